//! AddImGroup: creates a user IM group (`IPM.DistList.MOC.UserGroup`).
//!
//! Errors: a group (any kind, default groups included) already has this display name
//! (case-insensitive) → `ErrorImGroupDisplayNameAlreadyExists`; the mailbox already holds
//! `max_im_groups` user and distribution groups → `ErrorImGroupLimitReached`.

use super::{OpContext, Outcome};
use crate::faults::{ResponseCode, ResponseError};
use crate::render::Node;
use crate::store::{GroupKind, MailboxStore};

pub fn handle(ctx: &OpContext<'_>, store: &mut MailboxStore, display_name: &str) -> Outcome {
    if name_taken(store, display_name, None) {
        return Err(ResponseError::new(
            ResponseCode::ErrorImGroupDisplayNameAlreadyExists,
        ));
    }
    if store.custom_group_count() >= ctx.config.max_im_groups {
        return Err(ResponseError::new(ResponseCode::ErrorImGroupLimitReached));
    }
    let seq = store
        .add_group(display_name.to_string(), GroupKind::User, None)
        .seq;
    let group = store
        .group(seq)
        .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidImGroupId))?;
    Ok(Some(ctx.group_node(Node::m("ImGroup"), group, store, &[])))
}

/// Whether another group (not `except`) already has `name`, compared case-insensitively.
pub fn name_taken(store: &MailboxStore, name: &str, except: Option<u32>) -> bool {
    let wanted = name.to_lowercase();
    store
        .groups
        .iter()
        .any(|g| Some(g.seq) != except && g.display_name.to_lowercase() == wanted)
}
