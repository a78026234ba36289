//! RemoveImContactFromGroup: takes one IM contact out of one group (the contact stays on the
//! IM list).
//!
//! Errors: an id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no such group → `ErrorInvalidImGroupId`; the group is a
//! distribution group (its members come from the directory) →
//! `ErrorUnableToRemoveImContactFromGroup`; the contact is not in that group (or does not exist)
//! → `ErrorInvalidImContactId`, as documented.

use super::{OpContext, Outcome};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::schema::IdRef;
use crate::store::{GroupKind, MailboxStore};

pub fn handle(
    ctx: &OpContext<'_>,
    store: &mut MailboxStore,
    contact_id: &IdRef,
    group_id: &IdRef,
) -> Outcome {
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
