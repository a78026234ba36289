//! RemoveDistributionGroupFromImList: takes a distribution group off the IM list.
//!
//! Errors: id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no distribution group with that id on the list (already removed,
//! or the id names a user/default group or a contact) → `ErrorItemNotFound`, as documented.

use super::{OpContext, Outcome};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::schema::IdRef;
use crate::store::{GroupKind, MailboxStore};

pub fn handle(ctx: &OpContext<'_>, store: &mut MailboxStore, group_id: &IdRef) -> Outcome {
    let group = ctx.resolve(group_id, IdKind::Group, ResponseCode::ErrorItemNotFound)?;
    let is_dg = store
        .group(group)
        .is_some_and(|g| g.kind == GroupKind::DistributionGroup);
    if !is_dg || !store.remove_group(group) {
        return Err(ResponseError::new(ResponseCode::ErrorItemNotFound));
    }
    Ok(None)
}
