//! AddDelegate: adds each `t:DelegateUser` to the mailbox's delegates with the permissions given
//! (absent folders `None`), in order, one message each (the new `m:DelegateUser` without its
//! permissions, as the documented response shows); `m:DeliverMeetingRequests` replaces the
//! mailbox's setting. Errors per user: not in the directory → `ErrorDelegateNoUser`, the owner
//! → `ErrorDelegateCannotAddOwner`, already a delegate → `ErrorDelegateAlreadyExists`.

use super::delegate_users::{
    DelegateChange, check_mailbox, delegate_changes, delegate_user_node, deliver_meeting_requests,
    mailbox_email, respond,
};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::settings::{Delegate, Permission};
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The AddDelegate request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddDelegate {
    pub mailbox: String,
    pub users: Vec<DelegateChange>,
    pub deliver_meeting_requests: Option<String>,
}

impl Handler for AddDelegate {
    const NAME: &'static str = "AddDelegate";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007_SP1";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorDelegateNoUser,
        ResponseCode::ErrorDelegateCannotAddOwner,
        ResponseCode::ErrorDelegateAlreadyExists,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        AddDelegate {
            mailbox: mailbox_email(request),
            users: delegate_changes(request, "DelegateUsers"),
            deliver_meeting_requests: deliver_meeting_requests(request),
        }
    }
}

impl Request for AddDelegate {
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
                if user == ctx.mailbox {
                    return Err(ResponseError::new(
                        ResponseCode::ErrorDelegateCannotAddOwner,
                    ));
                }
                if delegates.get(user).is_some() {
                    return Err(ResponseError::new(ResponseCode::ErrorDelegateAlreadyExists));
                }
                let mut delegate = Delegate {
                    user,
                    permissions: [Permission::None; 6],
                    receive_copies_of_meeting_messages: false,
                    view_private_items: false,
                };
                change.apply(&mut delegate);
                let node = delegate_user_node(ctx, &delegate, false);
                delegates.users.push(delegate);
                Ok(Some(node))
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
