//! The settings area: GetUserOofSettings and SetUserOofSettings, the delegate operations
//! (Get/Add/Update/RemoveDelegate, [`delegate_users`]) and the user configuration operations
//! (Get/Create/Update/DeleteUserConfiguration, [`user_configuration`]), the inbox rule
//! operations (GetInboxRules, UpdateInboxRules, [`inbox_rules`]), over the mailbox's
//! [`Settings`](crate::mailbox::settings::Settings).
//!
//! Both name the mailbox in `t:Mailbox/t:Address`. The caller's own mailbox, or one whose owner
//! granted the caller `folder_access`, is served; any other address: GetUserOofSettings answers
//! the documented SOAP fault "User is not mailbox owner", SetUserOofSettings
//! `m:ResponseMessage ResponseClass="Error"` `ErrorAccessDenied`. The responses have these
//! operations' own shape: `m:ResponseMessage` first, then the payload.

pub mod add_delegate;
pub mod create_user_configuration;
pub mod delegate_users;
pub mod delete_user_configuration;
pub mod get_delegate;
pub mod get_inbox_rules;
pub mod get_user_configuration;
pub mod get_user_oof_settings;
pub mod inbox_rules;
pub mod remove_delegate;
pub mod set_user_oof_settings;
pub mod update_delegate;
pub mod update_inbox_rules;
pub mod update_user_configuration;
pub mod user_configuration;

use crate::faults::{ResponseCode, ResponseError};
use crate::ops::{OpContext, Outcome, message_node};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;
use crate::xml_tree::Element;

/// The cases family of this area: `cases/settings/<operation>/`.
pub const FAMILY: &str = "settings";

/// `t:Mailbox/t:Address` of the request.
pub fn mailbox_address(request: &RequestView<'_>) -> String {
    request
        .body()
        .children
        .iter()
        .find(|c| c.is(TYPES_NS, "Mailbox"))
        .and_then(|m| child(m, "Address"))
        .map(|a| a.text.trim().to_string())
        .unwrap_or_default()
}

/// The child `local` of `element` in the types namespace.
pub fn child<'a>(element: &'a Element, local: &str) -> Option<&'a Element> {
    element.children.iter().find(|c| c.is(TYPES_NS, local))
}

/// `Ok(())` when `address` is the mailbox the request runs on (dispatch has already switched to
/// a mailbox the caller may open), else `ErrorAccessDenied`.
pub fn check_owner(ctx: &OpContext<'_>, address: &str) -> Result<(), ResponseError> {
    match ctx.directory.user_by_smtp(address) {
        Some(owner) if owner == ctx.mailbox => Ok(()),
        _ => Err(ResponseError::new(ResponseCode::ErrorAccessDenied)),
    }
}

/// `<m:ResponseMessage>` of `outcome` (no payload inside).
pub fn response_message(outcome: Outcome) -> Node {
    message_node("ResponseMessage", outcome, None)
}
