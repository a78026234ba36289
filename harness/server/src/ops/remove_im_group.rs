//! RemoveImGroup: deletes a user group (or a distribution group). Its member contacts stay on
//! the IM list.
//!
//! Errors: id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no such group, or one of the three default groups (which cannot be
//! removed) → `ErrorInvalidImGroupId`.

use super::{OpContext, Outcome};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::schema::IdRef;
use crate::store::MailboxStore;

pub fn handle(ctx: &OpContext<'_>, store: &mut MailboxStore, group_id: &IdRef) -> Outcome {
    let group = ctx.resolve(group_id, IdKind::Group, ResponseCode::ErrorInvalidImGroupId)?;
    let removable = store.group(group).is_some_and(|g| !g.kind.is_default());
    if !removable || !store.remove_group(group) {
        return Err(ResponseError::new(ResponseCode::ErrorInvalidImGroupId));
    }
    Ok(None)
}
