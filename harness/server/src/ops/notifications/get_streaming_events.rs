//! GetStreamingEvents: opens a stream on streaming subscriptions of the caller's mailbox for
//! `ConnectionTimeout` minutes (1–30, which the schema bounds; the length of a minute is the
//! server's `notification_minute`). The answer is one long-lived chunked HTTP response carrying
//! a sequence of SOAP envelopes, each a `GetStreamingEventsResponse` with one message:
//! - first `ConnectionStatus` OK;
//! - then, as events happen, `m:Notifications` with one `t:Notification` per subscription that has
//!   new events (no watermarks: streaming events carry none in Exchange's example), followed by
//!   `ConnectionStatus` OK;
//! - a keep-alive (`ConnectionStatus` OK alone) every `streaming_keepalive` without events (none
//!   under the `missing-keepalive` quirk);
//! - last `ConnectionStatus` Closed, when ConnectionTimeout has passed or one of the
//!   subscriptions was unsubscribed; then the response ends.
//!
//! Dispatch and `http.rs` serve the stream ([`StreamPlan`], [`StreamDocument`]). An id that is not
//! an open streaming subscription of the caller fails the whole request, in one message carrying
//! the first id's code (`ErrorSubscriptionNotFound`, `ErrorSubscriptionAccessDenied`, a pull
//! subscription's id `ErrorInvalidSubscription`), `m:ErrorSubscriptionIds` with every failing id
//! and `ConnectionStatus` Closed, as Exchange's documented error answer (no stream follows).

use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::subscriptions::Recorded;
use crate::ops::{OpContext, Response, message_node};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// What a stream that opened serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPlan {
    pub subscription_ids: Vec<String>,
    /// `ConnectionTimeout`, minutes.
    pub connection_timeout: u32,
}

/// One envelope of an open stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamDocument {
    /// `ConnectionStatus` OK alone: the first envelope and every keep-alive.
    KeepAlive,
    /// New events, per subscription.
    Events(Vec<(String, Vec<Recorded>)>),
    /// `ConnectionStatus` Closed: the last envelope.
    Closed,
}

/// The GetStreamingEvents request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetStreamingEvents(pub StreamPlan);

impl Handler for GetStreamingEvents {
    const NAME: &'static str = "GetStreamingEvents";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010_SP1";
    const CODES: &'static [ResponseCode] = super::SUBSCRIPTION_CODES;

    fn view(request: &RequestView<'_>) -> Self {
        GetStreamingEvents(StreamPlan {
            subscription_ids: request
                .types_children("SubscriptionIds", "SubscriptionId")
                .map(|e| e.text.trim().to_string())
                .collect(),
            connection_timeout: request
                .text("ConnectionTimeout")
                .trim()
                .parse()
                .unwrap_or(1),
        })
    }
}

fn status(value: &str) -> Node {
    Node::m("ConnectionStatus").text(value)
}

/// The body element of stream envelope `document` (messages of mailbox `ctx.mailbox`).
pub fn document_body(ctx: &OpContext<'_>, document: &StreamDocument) -> Node {
    let mut payload = Vec::new();
    if let StreamDocument::Events(per_subscription) = document {
        let notifications = per_subscription.iter().map(|(id, events)| {
            let events = events
                .iter()
                .map(|recorded| super::event_node(ctx, recorded, None))
                .collect();
            super::notification_node(Node::t("Notification"), id, None, events)
        });
        payload.push(Node::m("Notifications").children(notifications));
    }
    payload.push(status(match document {
        StreamDocument::Closed => "Closed",
        _ => "OK",
    }));
    let message = message_node(
        "GetStreamingEventsResponseMessage",
        Ok(Some(crate::ops::payload_fragment(payload))),
        None,
    );
    Node::m("GetStreamingEventsResponse").child(Node::m("ResponseMessages").child(message))
}

impl Request for GetStreamingEvents {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        match ctx
            .subscriptions
            .open_stream(ctx.mailbox, &self.0.subscription_ids)
        {
            Ok(()) => Response::Body {
                codes: Vec::new(),
                body: document_body(ctx, &StreamDocument::KeepAlive),
            },
            Err((code, failing)) => {
                let mut message = message_node(
                    "GetStreamingEventsResponseMessage",
                    Err(ResponseError::new(code)),
                    None,
                );
                message = message
                    .child(
                        Node::m("ErrorSubscriptionIds").children(
                            failing
                                .into_iter()
                                .map(|id| Node::t_text("SubscriptionId", id)),
                        ),
                    )
                    .child(status("Closed"));
                Response::Body {
                    codes: vec![code],
                    body: Node::m("GetStreamingEventsResponse")
                        .child(Node::m("ResponseMessages").child(message)),
                }
            }
        }
    }

    fn stream(&self) -> Option<StreamPlan> {
        Some(self.0.clone())
    }
}
