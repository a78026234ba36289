//! RemoveDelegate: removes each user of `m:UserIds` from the mailbox's delegates, in order, one
//! message each (no payload, as documented). Errors per user: not in the directory →
//! `ErrorDelegateNoUser`, not a delegate → `ErrorNotDelegate` (the documented example).

use super::delegate_users::{UserRef, check_mailbox, mailbox_email, respond, user_refs};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The RemoveDelegate request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveDelegate {
    pub mailbox: String,
    pub users: Vec<UserRef>,
}

impl Handler for RemoveDelegate {
    const NAME: &'static str = "RemoveDelegate";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007_SP1";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorDelegateNoUser,
        ResponseCode::ErrorNotDelegate,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        RemoveDelegate {
            mailbox: mailbox_email(request),
            users: user_refs(request, "UserIds"),
        }
    }
}

impl Request for RemoveDelegate {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        if let Err(response) = check_mailbox(ctx, Self::NAME, &self.mailbox) {
            return *response;
        }
        let delegates = &mut mailbox.settings.delegates;
        let messages = self
            .users
            .iter()
            .map(|u| {
                let user = u.resolve(ctx.directory)?;
                let before = delegates.users.len();
                delegates.users.retain(|d| d.user != user);
                if delegates.users.len() == before {
                    return Err(ResponseError::new(ResponseCode::ErrorNotDelegate));
                }
                Ok(None)
            })
            .collect();
        respond(Self::NAME, messages, None)
    }

    fn mailbox_address(&self) -> Option<&str> {
        Some(&self.mailbox)
    }
}
