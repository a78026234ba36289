//! GetDelegate: the mailbox's delegates (all of them, or those `m:UserIds` names, in that order:
//! one that is not a delegate → `ErrorNotDelegate`, one not in the directory →
//! `ErrorDelegateNoUser`), each with its permissions when `IncludePermissions` is true, then
//! `m:DeliverMeetingRequests`. Shape and mailbox check: [`super::delegate_users`].

use super::delegate_users::{
    UserRef, check_mailbox, delegate_user_node, mailbox_email, respond, user_refs,
};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// The GetDelegate request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetDelegate {
    pub mailbox: String,
    pub include_permissions: bool,
    /// `None`: every delegate.
    pub users: Option<Vec<UserRef>>,
}

impl Handler for GetDelegate {
    const NAME: &'static str = "GetDelegate";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007_SP1";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorNotDelegate,
        ResponseCode::ErrorDelegateNoUser,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        GetDelegate {
            mailbox: mailbox_email(request),
            include_permissions: matches!(
                request.body().attr("IncludePermissions").map(str::trim),
                Some("true" | "1")
            ),
            users: request
                .element("UserIds")
                .map(|_| user_refs(request, "UserIds")),
        }
    }
}

impl Request for GetDelegate {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        if let Err(response) = check_mailbox(ctx, Self::NAME, &self.mailbox) {
            return *response;
        }
        let delegates = &mailbox.settings.delegates;
        let node = |d| Ok(Some(delegate_user_node(ctx, d, self.include_permissions)));
        let messages = match &self.users {
            None => delegates.users.iter().map(node).collect(),
            Some(users) => users
                .iter()
                .map(|u| {
                    let user = u.resolve(ctx.directory)?;
                    delegates.get(user).map_or(
                        Err(ResponseError::new(ResponseCode::ErrorNotDelegate)),
                        node,
                    )
                })
                .collect(),
        };
        respond(
            Self::NAME,
            messages,
            Some(
                Node::m("DeliverMeetingRequests").text(delegates.deliver_meeting_requests.clone()),
            ),
        )
    }

    fn mailbox_address(&self) -> Option<&str> {
        Some(&self.mailbox)
    }
}
