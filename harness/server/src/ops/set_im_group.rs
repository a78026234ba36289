//! SetImGroup: renames a user group (the ChangeKey changes). Renaming to its current name
//! succeeds and changes nothing.
//!
//! Errors: id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no such group, or a default group → `ErrorInvalidImGroupId`;
//! another group already has the new name (case-insensitive) →
//! `ErrorImGroupDisplayNameAlreadyExists`.

use super::add_im_group::name_taken;
use super::{OpContext, Outcome};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::schema::IdRef;
use crate::store::MailboxStore;

pub fn handle(
    ctx: &OpContext<'_>,
    store: &mut MailboxStore,
    group_id: &IdRef,
    new_display_name: &str,
) -> Outcome {
    let seq = ctx.resolve(group_id, IdKind::Group, ResponseCode::ErrorInvalidImGroupId)?;
    let renamable = store.group(seq).is_some_and(|g| !g.kind.is_default());
    if !renamable {
        return Err(ResponseError::new(ResponseCode::ErrorInvalidImGroupId));
    }
    if name_taken(store, new_display_name, Some(seq)) {
        return Err(ResponseError::new(
            ResponseCode::ErrorImGroupDisplayNameAlreadyExists,
        ));
    }
    if let Some(group) = store.group_mut(seq) {
        if group.display_name != new_display_name {
            group.display_name = new_display_name.to_string();
            group.version = group.version.saturating_add(1);
        }
    }
    Ok(None)
}
