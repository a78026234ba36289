//! SetImGroup: renames a user group (the ChangeKey changes). Renaming to its current name
//! succeeds and changes nothing.
//!
//! Errors: id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no such group, or a default group → `ErrorInvalidImGroupId`;
//! another group already has the new name (case-insensitive) →
//! `ErrorImGroupDisplayNameAlreadyExists`.

use super::add_im_group::name_taken;
use super::store::ImList;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::{IdRef, RequestView};

/// The SetImGroup request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetImGroup {
    pub group_id: IdRef,
    pub new_display_name: String,
}

impl Handler for SetImGroup {
    const NAME: &'static str = "SetImGroup";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidImGroupId,
        ResponseCode::ErrorImGroupDisplayNameAlreadyExists,
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        SetImGroup {
            group_id: request.id("GroupId"),
            new_display_name: request.text("NewDisplayName"),
        }
    }
}

impl Request for SetImGroup {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(ctx, &mut mailbox.im, &self.group_id, &self.new_display_name).into()
    }
}

fn run(
    ctx: &OpContext<'_>,
    store: &mut ImList,
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
