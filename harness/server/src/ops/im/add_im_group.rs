//! AddImGroup: creates a user IM group (`IPM.DistList.MOC.UserGroup`).
//!
//! Errors: a group (any kind, default groups included) already has this display name
//! (case-insensitive) → `ErrorImGroupDisplayNameAlreadyExists`; the mailbox already holds
//! `max_im_groups` user and distribution groups → `ErrorImGroupLimitReached`.

use super::store::{GroupKind, ImList};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// The AddImGroup request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddImGroup {
    pub display_name: String,
}

impl Handler for AddImGroup {
    const NAME: &'static str = "AddImGroup";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorImGroupDisplayNameAlreadyExists,
        ResponseCode::ErrorImGroupLimitReached,
        ResponseCode::ErrorInvalidImGroupId,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        AddImGroup {
            display_name: request.text("DisplayName"),
        }
    }
}

impl Request for AddImGroup {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(ctx, &mut mailbox.im, &self.display_name).into()
    }
}

fn run(ctx: &OpContext<'_>, store: &mut ImList, display_name: &str) -> Outcome {
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
pub fn name_taken(store: &ImList, name: &str, except: Option<u32>) -> bool {
    let wanted = name.to_lowercase();
    store
        .groups
        .iter()
        .any(|g| Some(g.seq) != except && g.display_name.to_lowercase() == wanted)
}
