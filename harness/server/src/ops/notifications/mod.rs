//! The notification operations: Subscribe (pull and streaming subscriptions), GetEvents,
//! GetStreamingEvents and Unsubscribe. The subscriptions and the event journal they read are in
//! `mailbox/subscriptions.rs`; what becomes an event is decided in `mailbox/events.rs`; dispatch
//! records the events of every request on a watched mailbox and serves a GetStreamingEvents as a
//! long-lived chunked response (`dispatch.rs`, `http.rs`). This module writes the
//! `t:Notification` element both GetEvents and GetStreamingEvents answer with.

pub mod get_events;
pub mod get_streaming_events;
pub mod subscribe;
pub mod unsubscribe;

use super::OpContext;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::{self, IdKind};
use crate::mailbox::events::{EventKind, Object, Placed};
use crate::mailbox::subscriptions::Recorded;
use crate::render::Node;

/// The cases family of this area: `cases/notifications/<operation>/`.
pub const FAMILY: &str = "notifications";

/// The response codes every operation that names a subscription id can give.
pub const SUBSCRIPTION_CODES: &[ResponseCode] = &[
    ResponseCode::ErrorSubscriptionNotFound,
    ResponseCode::ErrorSubscriptionAccessDenied,
    ResponseCode::ErrorExpiredSubscription,
    ResponseCode::ErrorInvalidSubscription,
];

/// A notification of subscription `id` as element `element` (`m:Notification` in GetEvents,
/// `t:Notification` in GetStreamingEvents): `PreviousWatermark` and `MoreEvents` for pull
/// subscriptions, then its events (at least one: the schema wants one).
pub fn notification_node(
    element: Node,
    id: &str,
    pull: Option<(&str, bool)>,
    events: Vec<Node>,
) -> Node {
    let mut node = element.child(Node::t_text("SubscriptionId", id));
    if let Some((previous, more)) = pull {
        node = node
            .child(Node::t_text("PreviousWatermark", previous))
            .child(Node::t_text("MoreEvents", more.to_string()));
    }
    node.children(events)
}

/// The element of one recorded event; `watermark` for pull subscriptions.
pub fn event_node(ctx: &OpContext<'_>, recorded: &Recorded, watermark: Option<&str>) -> Node {
    let change = &recorded.change;
    let mut node = Node::t(change.kind.element());
    if let Some(watermark) = watermark {
        node = node.child(Node::t_text("Watermark", watermark));
    }
    node = node.child(Node::t_text("TimeStamp", recorded.time_stamp.clone()));
    let (own, old_own) = match change.now.object {
        Object::Item(_) => ("ItemId", "OldItemId"),
        Object::Folder(_) => ("FolderId", "OldFolderId"),
    };
    node = node
        .child(id_node(ctx, own, &change.now))
        .child(folder_node(ctx, "ParentFolderId", &change.now));
    if let Some(old) = &change.old {
        node = node.child(id_node(ctx, old_own, old)).child(folder_node(
            ctx,
            "OldParentFolderId",
            old,
        ));
    }
    if let Some(unread) = change.unread_count {
        node = node.child(Node::t_text("UnreadCount", unread.to_string()));
    }
    node
}

/// A `t:StatusEvent` at `watermark` (pull) or without one (streaming).
pub fn status_event(watermark: Option<&str>) -> Node {
    Node::t("StatusEvent").children(watermark.map(|w| Node::t_text("Watermark", w)))
}

fn id_node(ctx: &OpContext<'_>, local: &str, placed: &Placed) -> Node {
    let (kind, seq) = match placed.object {
        Object::Item(seq) => (IdKind::Item, seq),
        Object::Folder(seq) => (IdKind::Folder, seq),
    };
    Node::t(local)
        .attr("Id", ctx.id(kind, seq))
        .attr("ChangeKey", ids::change_key(kind, placed.version))
}

/// The id of the parent folder of `placed`, with the ChangeKey it had then.
fn folder_node(ctx: &OpContext<'_>, local: &str, placed: &Placed) -> Node {
    Node::t(local)
        .attr("Id", ctx.id(IdKind::Folder, placed.parent))
        .attr(
            "ChangeKey",
            ids::change_key(IdKind::Folder, placed.parent_version),
        )
}

/// The event types a request lists (`t:EventTypes/t:EventType`).
pub fn event_types(container: Option<&crate::xml_tree::Element>) -> Vec<EventKind> {
    container
        .into_iter()
        .flat_map(|c| c.children.iter())
        .filter_map(|e| EventKind::from_element(e.text.trim()))
        .collect()
}

/// A business error of code `code`.
pub fn error(code: ResponseCode) -> ResponseError {
    ResponseError::new(code)
}
