//! Unsubscribe: ends a pull or streaming subscription of the caller's mailbox. Later GetEvents,
//! GetStreamingEvents and Unsubscribe with its id are `ErrorSubscriptionNotFound`; an open
//! GetStreamingEvents connection on it ends with `ConnectionStatus` Closed. Another user's id →
//! `ErrorSubscriptionAccessDenied`; an expired pull subscription → `ErrorExpiredSubscription`.

use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The Unsubscribe request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub subscription_id: String,
}

impl Handler for Unsubscribe {
    const NAME: &'static str = "Unsubscribe";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = super::SUBSCRIPTION_CODES;

    fn view(request: &RequestView<'_>) -> Self {
        Unsubscribe {
            subscription_id: request.text("SubscriptionId"),
        }
    }
}

impl Request for Unsubscribe {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        let outcome = ctx
            .subscriptions
            .unsubscribe(ctx.mailbox, &self.subscription_id)
            .map(|()| None)
            .map_err(super::error);
        Response::messages(vec![outcome])
    }
}
