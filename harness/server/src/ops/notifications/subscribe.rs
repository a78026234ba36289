//! Subscribe: a pull subscription (`m:PullSubscriptionRequest`: FolderIds or
//! `SubscribeToAllFolders`, EventTypes, an optional Watermark to resume from, Timeout 1–1440
//! minutes, which the schema bounds) or a streaming subscription
//! (`m:StreamingSubscriptionRequest`), answering `m:SubscriptionId` and, for pull, `m:Watermark`
//! (a streaming subscription has no watermark, as in Exchange's answer). One response message.
//!
//! Codes: a folder id that does not resolve → the folder resolution's code (`ErrorFolderNotFound`,
//! `ErrorItemNotFound`, `ErrorInvalidIdMalformed`, ...); a folder in another user's mailbox
//! (`t:Mailbox`) → `ErrorSubscriptionDelegateAccessNotSupported`, whatever the caller's rights, as
//! the documented example; neither FolderIds nor `SubscribeToAllFolders="true"`, or both → the
//! server's choice `ErrorInvalidSubscriptionRequest`; a Watermark that is not one of this
//! mailbox's (or from before a pause in recording) → `ErrorInvalidWatermark`. Push subscriptions
//! (`m:PushSubscriptionRequest`) are not supported: `ErrorInvalidSubscriptionRequest`.

use std::collections::BTreeSet;

use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::mailbox::subscriptions::{Filter, Kind};
use crate::ops::folders::{FolderRef, folder_refs};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;

/// What a Subscribe asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// `None`: a push subscription (not supported).
    pub kind: Option<Kind>,
    pub folders: Vec<FolderRef>,
    pub all_folders: bool,
    pub event_types: Vec<crate::mailbox::events::EventKind>,
    pub watermark: Option<String>,
}

impl Handler for Subscribe {
    const NAME: &'static str = "Subscribe";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorSubscriptionDelegateAccessNotSupported,
        ResponseCode::ErrorInvalidSubscriptionRequest,
        ResponseCode::ErrorInvalidWatermark,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let (kind, element) = if let Some(pull) = request.element("PullSubscriptionRequest") {
            let timeout = child(pull, "Timeout")
                .and_then(|t| t.text.trim().parse().ok())
                .unwrap_or(1);
            (Some(Kind::Pull { timeout }), Some(pull))
        } else if let Some(streaming) = request.element("StreamingSubscriptionRequest") {
            (Some(Kind::Streaming), Some(streaming))
        } else {
            (None, None)
        };
        Subscribe {
            kind,
            folders: folder_refs(element.and_then(|e| child(e, "FolderIds"))),
            all_folders: element
                .and_then(|e| e.attr("SubscribeToAllFolders"))
                .is_some_and(|v| matches!(v.trim(), "true" | "1")),
            event_types: super::event_types(element.and_then(|e| child(e, "EventTypes"))),
            watermark: element
                .and_then(|e| child(e, "Watermark"))
                .map(|w| w.text.clone()),
        }
    }
}

fn child<'a>(
    element: &'a crate::xml_tree::Element,
    local: &str,
) -> Option<&'a crate::xml_tree::Element> {
    element.children.iter().find(|c| c.is(TYPES_NS, local))
}

impl Subscribe {
    fn run(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Outcome {
        let error = super::error;
        let Some(kind) = self.kind else {
            return Err(error(ResponseCode::ErrorInvalidSubscriptionRequest));
        };
        if self.all_folders != self.folders.is_empty() {
            return Err(error(ResponseCode::ErrorInvalidSubscriptionRequest));
        }
        let mut watched = BTreeSet::new();
        for reference in &self.folders {
            if let FolderRef::Distinguished {
                mailbox: Some(address),
                ..
            } = reference
            {
                let other = ctx.directory.user_by_smtp(address);
                if other.is_some_and(|user| user != ctx.mailbox) {
                    return Err(error(
                        ResponseCode::ErrorSubscriptionDelegateAccessNotSupported,
                    ));
                }
            }
            watched.insert(ctx.resolve_folder(mailbox, reference)?);
        }
        let filter = Filter {
            folders: (!self.all_folders).then_some(watched),
            event_types: self.event_types.iter().copied().collect(),
        };
        let (id, watermark) = ctx
            .subscriptions
            .subscribe(ctx.mailbox, kind, filter, self.watermark.as_deref())
            .map_err(error)?;
        let mut payload = vec![Node::m("SubscriptionId").text(id)];
        if matches!(kind, Kind::Pull { .. }) {
            payload.push(Node::m("Watermark").text(watermark));
        }
        Ok(Some(crate::ops::payloads(payload)))
    }
}

impl Request for Subscribe {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        Response::messages(vec![self.run(ctx, mailbox)])
    }
}
