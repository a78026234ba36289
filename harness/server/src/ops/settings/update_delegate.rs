//! UpdateDelegate: changes each `t:DelegateUser` given (the permissions and flags it names; the
//! rest unchanged), in order, one message each with the updated `m:DelegateUser`;
//! `m:DeliverMeetingRequests` replaces the mailbox's setting. Errors per user: not in the
//! directory → `ErrorDelegateNoUser`, not a delegate → `ErrorNotDelegate` (the documented
//! example).

use super::delegate_users::{
    DelegateChange, check_mailbox, delegate_changes, delegate_user_node, deliver_meeting_requests,
    mailbox_email, respond,
};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The UpdateDelegate request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateDelegate {
    pub mailbox: String,
    pub users: Vec<DelegateChange>,
    pub deliver_meeting_requests: Option<String>,
}

impl Handler for UpdateDelegate {
    const NAME: &'static str = "UpdateDelegate";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007_SP1";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorDelegateNoUser,
        ResponseCode::ErrorNotDelegate,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        UpdateDelegate {
            mailbox: mailbox_email(request),
            users: delegate_changes(request, "DelegateUsers"),
            deliver_meeting_requests: deliver_meeting_requests(request),
        }
    }
}

impl Request for UpdateDelegate {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        if let Err(response) = check_mailbox(ctx, Self::NAME, &self.mailbox) {
            return *response;
        }
        let delegates = &mut mailbox.settings.delegates;
        let messages = self
            .users
            .iter()
            .map(|change| {
                let user = change.user.resolve(ctx.directory)?;
                let delegate = delegates
                    .get_mut(user)
                    .ok_or_else(|| ResponseError::new(ResponseCode::ErrorNotDelegate))?;
                change.apply(delegate);
                Ok(Some(delegate_user_node(ctx, delegate, false)))
            })
            .collect();
        if let Some(deliver) = &self.deliver_meeting_requests {
            delegates.deliver_meeting_requests = deliver.clone();
        }
        respond(Self::NAME, messages, None)
    }

    fn mailbox_address(&self) -> Option<&str> {
        Some(&self.mailbox)
    }
}
