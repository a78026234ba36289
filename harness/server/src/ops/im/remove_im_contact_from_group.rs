//! RemoveImContactFromGroup: takes one IM contact out of one group (the contact stays on the
//! IM list).
//!
//! Errors: an id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no such group → `ErrorInvalidImGroupId`; the group is a
//! distribution group (its members come from the directory) →
//! `ErrorUnableToRemoveImContactFromGroup`; the contact is not in that group (or does not exist)
//! → `ErrorInvalidImContactId`, as documented.

use super::store::{GroupKind, ImList};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::{IdRef, RequestView};

/// The RemoveImContactFromGroup request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveImContactFromGroup {
    pub contact_id: IdRef,
    pub group_id: IdRef,
}

impl Handler for RemoveImContactFromGroup {
    const NAME: &'static str = "RemoveImContactFromGroup";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidImContactId,
        ResponseCode::ErrorInvalidImGroupId,
        ResponseCode::ErrorUnableToRemoveImContactFromGroup,
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        RemoveImContactFromGroup {
            contact_id: request.id("ContactId"),
            group_id: request.id("GroupId"),
        }
    }
}

impl Request for RemoveImContactFromGroup {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(ctx, &mut mailbox.im, &self.contact_id, &self.group_id).into()
    }
}

fn run(ctx: &OpContext<'_>, store: &mut ImList, contact_id: &IdRef, group_id: &IdRef) -> Outcome {
    let contact = ctx.resolve(
        contact_id,
        IdKind::Contact,
        ResponseCode::ErrorInvalidImContactId,
    )?;
    let group = ctx.resolve(group_id, IdKind::Group, ResponseCode::ErrorInvalidImGroupId)?;
    let target = store
        .group(group)
        .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidImGroupId))?;
    if target.kind == GroupKind::DistributionGroup {
        return Err(ResponseError::new(
            ResponseCode::ErrorUnableToRemoveImContactFromGroup,
        ));
    }
    if !store.remove_member(group, contact) {
        return Err(ResponseError::new(ResponseCode::ErrorInvalidImContactId));
    }
    Ok(None)
}
