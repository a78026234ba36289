//! RemoveImGroup: deletes a user group (or a distribution group). Its member contacts stay on
//! the IM list.
//!
//! Errors: id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no such group, or one of the three default groups (which cannot be
//! removed) → `ErrorInvalidImGroupId`.

use super::store::ImList;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::{IdRef, RequestView};

/// The RemoveImGroup request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveImGroup {
    pub group_id: IdRef,
}

impl Handler for RemoveImGroup {
    const NAME: &'static str = "RemoveImGroup";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidImGroupId,
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        RemoveImGroup {
            group_id: request.id("GroupId"),
        }
    }
}

impl Request for RemoveImGroup {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(ctx, &mut mailbox.im, &self.group_id).into()
    }
}

fn run(ctx: &OpContext<'_>, store: &mut ImList, group_id: &IdRef) -> Outcome {
    let group = ctx.resolve(group_id, IdKind::Group, ResponseCode::ErrorInvalidImGroupId)?;
    let removable = store.group(group).is_some_and(|g| !g.kind.is_default());
    if !removable || !store.remove_group(group) {
        return Err(ResponseError::new(ResponseCode::ErrorInvalidImGroupId));
    }
    Ok(None)
}
