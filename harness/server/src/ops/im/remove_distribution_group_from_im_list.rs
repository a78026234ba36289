//! RemoveDistributionGroupFromImList: takes a distribution group off the IM list.
//!
//! Errors: id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no distribution group with that id on the list (already removed,
//! or the id names a user/default group or a contact) → `ErrorItemNotFound`, as documented.

use super::store::{GroupKind, ImList};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::{IdRef, RequestView};

/// The RemoveDistributionGroupFromImList request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveDistributionGroupFromImList {
    pub group_id: IdRef,
}

impl Handler for RemoveDistributionGroupFromImList {
    const NAME: &'static str = "RemoveDistributionGroupFromImList";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        RemoveDistributionGroupFromImList {
            group_id: request.id("GroupId"),
        }
    }
}

impl Request for RemoveDistributionGroupFromImList {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(ctx, &mut mailbox.im, &self.group_id).into()
    }
}

fn run(ctx: &OpContext<'_>, store: &mut ImList, group_id: &IdRef) -> Outcome {
    let group = ctx.resolve(group_id, IdKind::Group, ResponseCode::ErrorItemNotFound)?;
    let is_dg = store
        .group(group)
        .is_some_and(|g| g.kind == GroupKind::DistributionGroup);
    if !is_dg || !store.remove_group(group) {
        return Err(ResponseError::new(ResponseCode::ErrorItemNotFound));
    }
    Ok(None)
}
