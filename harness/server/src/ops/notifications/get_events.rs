//! GetEvents: the events of a pull subscription after a watermark, in order, in one
//! `m:Notification` (`SubscriptionId`, `PreviousWatermark` = the watermark given, `MoreEvents`),
//! each event with its own `Watermark`; a `StatusEvent` carrying the current watermark when no
//! event is waiting. Reading does not consume: giving an older watermark of the subscription
//! reads again from there, and the last event's watermark reads only what came after it, so a
//! client that always passes the last watermark sees every event once. At most
//! `EVENTS_PER_GET` (50) events per answer, then `MoreEvents` is true.
//!
//! Codes: an id the server does not know (or unsubscribed) → `ErrorSubscriptionNotFound`;
//! another user's subscription → `ErrorSubscriptionAccessDenied`; a subscription not polled for
//! its `Timeout` → `ErrorExpiredSubscription` (once; then it is not found); a streaming
//! subscription's id → `ErrorInvalidSubscription`; a watermark not of this subscription's
//! mailbox, from before the subscription started or after the journal's end →
//! `ErrorInvalidWatermark`. Under the `duplicated-event` quirk the event at the watermark given
//! is delivered again.

use super::{event_node, notification_node, status_event};
use crate::Quirk;
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// The GetEvents request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetEvents {
    pub subscription_id: String,
    pub watermark: String,
}

const CODES: &[ResponseCode] = &[
    ResponseCode::ErrorSubscriptionNotFound,
    ResponseCode::ErrorSubscriptionAccessDenied,
    ResponseCode::ErrorExpiredSubscription,
    ResponseCode::ErrorInvalidSubscription,
    ResponseCode::ErrorInvalidWatermark,
];

impl Handler for GetEvents {
    const NAME: &'static str = "GetEvents";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = CODES;

    fn view(request: &RequestView<'_>) -> Self {
        GetEvents {
            subscription_id: request.text("SubscriptionId"),
            watermark: request.text("Watermark"),
        }
    }
}

impl Request for GetEvents {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        let redeliver = ctx.config.quirks.contains(&Quirk::DuplicatedEvent);
        let outcome = ctx
            .subscriptions
            .get_events(
                ctx.mailbox,
                &self.subscription_id,
                &self.watermark,
                redeliver,
            )
            .map_err(super::error)
            .map(|batch| {
                let mut events: Vec<Node> = batch
                    .events
                    .iter()
                    .map(|(watermark, recorded)| event_node(ctx, recorded, Some(watermark)))
                    .collect();
                if events.is_empty() {
                    events.push(status_event(Some(&batch.watermark)));
                }
                Some(notification_node(
                    Node::m("Notification"),
                    self.subscription_id.trim(),
                    Some((&batch.previous, batch.more)),
                    events,
                ))
            });
        Response::messages(vec![outcome])
    }
}
