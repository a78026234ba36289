//! The operations, grouped by area (`im/`, `folders/`, `ids/`; later `items/`, ...), one file
//! each, and what every handler gets: [`OpContext`] (configuration, directory, the mailbox acted
//! on, the request's version, id helpers) and what it answers, a [`Response`]: one message
//! ([`Outcome`], the IM operations' shape `<m:XResponse ResponseClass=..>`) or a batch of
//! messages (`<m:XResponse><m:ResponseMessages><m:XResponseMessage ..>`, one per id of the
//! request, in order, successes and errors mixed). [`Response::into_body`] is the one place
//! that writes either shape.
//!
//! Adding an operation is one file under its area (its request view, its handler, the response
//! codes it can give: see [`Handler`](crate::registry::Handler)), its line in
//! [`REGISTRY`](crate::registry::REGISTRY) turned into `implemented::<Type>()`, and one cases
//! folder `cases/<family>/<snake_case_operation>/`.

pub mod attachments;
pub mod availability;
pub mod directory;
pub mod folders;
pub mod ids;
pub mod im;
pub mod items;
pub mod notifications;
pub mod settings;
pub mod sync;
pub mod timezones;

use super::ServerConfig;
use super::faults::{Fault, FaultKind, ResponseCode, ResponseError};
use super::mailbox::Directory;
use super::quirks::Quirks;
use super::render::Node;
use super::schema::IdRef;
use crate::ids::{IdKind, StoreId};
use crate::mailbox::items::Item;
use std::cell::RefCell;

/// One response message: the payload of a success, or a business error.
pub type Outcome = Result<Option<Node>, ResponseError>;

/// What a handler answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// One message that is the body element itself (`<m:AddImGroupResponse ResponseClass=..>`).
    Single(Outcome),
    /// `m:ResponseMessages` holding one `<m:{Operation}ResponseMessage>` per outcome, in order.
    Messages {
        outcomes: Vec<Outcome>,
        /// An empty element (messages namespace) that error messages end with, as the
        /// documented GetFolder error ends with `<m:Folders/>`.
        empty_on_error: Option<&'static str>,
    },
    /// A body of its own shape (the OOF operations: `m:ResponseMessage` followed by payload
    /// elements), built by the handler; `codes` are the error codes it carries.
    Body {
        codes: Vec<ResponseCode>,
        body: Node,
    },
    /// A SOAP fault (HTTP 500) instead of a response, where Exchange answers one
    /// (GetUserOofSettings of a mailbox the caller does not own, GetUserAvailability with an
    /// invalid time window): [`FaultKind::Operation`] for a code of the table.
    Fault(Fault),
}

impl Response {
    /// The fault of a code of the table (`faultcode` `a:<code>`, `e:ResponseCode`, `e:Message`).
    pub fn fault(code: ResponseCode) -> Response {
        Response::Fault(Fault::new(FaultKind::Operation { code }))
    }
}

impl From<Outcome> for Response {
    fn from(outcome: Outcome) -> Response {
        Response::Single(outcome)
    }
}

impl Response {
    /// A batch without a trailing element on errors.
    pub fn messages(outcomes: Vec<Outcome>) -> Response {
        Response::Messages {
            outcomes,
            empty_on_error: None,
        }
    }

    /// The error codes the response carries (dispatch checks them against the handler's CODES).
    pub fn error_codes(&self) -> Vec<ResponseCode> {
        let outcomes: &[Outcome] = match self {
            Response::Single(outcome) => std::slice::from_ref(outcome),
            Response::Messages { outcomes, .. } => outcomes,
            Response::Body { codes, .. } => return codes.clone(),
            Response::Fault(fault) => return vec![fault.response_code()],
        };
        outcomes
            .iter()
            .filter_map(|o| o.as_ref().err().map(|e| e.code))
            .collect()
    }

    /// The SOAP body's child for operation `operation`, quirks applied to every message; a
    /// [`Response::Fault`] is `Err` with its fault (dispatch writes it).
    pub fn into_body(self, operation: &str, quirks: &Quirks) -> Result<Node, Fault> {
        Ok(match self {
            Response::Fault(fault) => return Err(fault),
            Response::Single(outcome) => {
                let mut message = message_node(&format!("{operation}Response"), outcome, None);
                quirks.apply_to_message(&mut message);
                message
            }
            Response::Body { mut body, .. } => {
                // Every response message of the body gets the quirks: the body element itself
                // when it is one (delegate and inbox rule operations), and each nested one (the
                // OOF operations' `m:ResponseMessage`, one per FreeBusyResponse or delegate).
                // Their payloads hold none of the elements whose quirk edits would not be
                // idempotent when a message nests in another (ImGroup, Persona, RootFolder).
                apply_to_messages(&mut body, quirks);
                body
            }
            Response::Messages {
                outcomes,
                empty_on_error,
            } => {
                let local = format!("{operation}ResponseMessage");
                let messages = outcomes.into_iter().map(|outcome| {
                    let mut message = message_node(&local, outcome, empty_on_error);
                    quirks.apply_to_message(&mut message);
                    message
                });
                Node::m(&format!("{operation}Response"))
                    .child(Node::m("ResponseMessages").children(messages))
            }
        })
    }
}

/// Applies the quirks to `node` when it is a response message (it has a `ResponseCode` child)
/// and to every response message below it.
fn apply_to_messages(node: &mut Node, quirks: &Quirks) {
    for child in &mut node.children {
        apply_to_messages(child, quirks);
    }
    if node.children.iter().any(|c| c.local == "ResponseCode") {
        quirks.apply_to_message(node);
    }
}

/// A success payload of several elements (UpdateItem's `m:Items` and `m:ConflictResults`): each
/// becomes a child of the message, in order.
pub fn payloads(nodes: impl IntoIterator<Item = Node>) -> Node {
    Node::m(PAYLOADS).children(nodes)
}

/// The name of the element [`payloads`] wraps its elements in (never written).
const PAYLOADS: &str = "";

/// `<m:{local} ResponseClass=..>` with the code, text and payload of `outcome` (the payload is
/// a child of the message; the elements of [`payloads`] are children each).
pub fn message_node(local: &str, outcome: Outcome, empty_on_error: Option<&str>) -> Node {
    let mut message = Node::m(local);
    match outcome {
        Ok(payload) => {
            message = message
                .attr("ResponseClass", "Success")
                .child(Node::m("ResponseCode").text(ResponseCode::NoError.as_str()));
            match payload {
                Some(payload) if payload.local == PAYLOADS => {
                    message = message.children(payload.children);
                }
                Some(payload) => message = message.child(payload),
                None => {}
            }
        }
        Err(error) => {
            let class = if error.warning_payload.is_some() {
                "Warning"
            } else {
                "Error"
            };
            message = message
                .attr("ResponseClass", class)
                .child(Node::m("MessageText").text(error.code.message_text()))
                .child(Node::m("ResponseCode").text(error.code.as_str()))
                .child(Node::m("DescriptiveLinkKey").text("0"));
            if !error.message_xml.is_empty() {
                message = message.child(Node::m("MessageXml").children(error.message_xml));
            }
            if let Some(payload) = error.warning_payload {
                message = message.child(*payload);
            }
            if let Some(empty) = empty_on_error {
                message = message.child(Node::m(empty));
            }
        }
    }
    message
}

/// One message a handler sent: the sender's copy of it and the addresses it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub message: Item,
    pub recipients: Vec<String>,
}

/// What a request sends. A handler runs under its own mailbox's lock only, so it cannot deliver
/// to others: it leaves its messages here ([`Outbox::send`]) and dispatch delivers them once the
/// lock is released ([`crate::mailbox::delivery`]).
#[derive(Debug, Default)]
pub struct Outbox {
    sent: RefCell<Vec<Outgoing>>,
}

impl Outbox {
    /// Queues `message` for delivery to `recipients` (SMTP addresses of users, groups or
    /// strangers).
    pub fn send(&self, message: Item, recipients: Vec<String>) {
        self.sent.borrow_mut().push(Outgoing {
            message,
            recipients,
        });
    }

    /// The queued messages, in the order sent; the outbox is empty afterwards.
    pub fn take(&self) -> Vec<Outgoing> {
        self.sent.take()
    }
}

/// Everything a handler may use besides its mailbox.
pub struct OpContext<'a> {
    pub config: &'a ServerConfig,
    pub directory: &'a Directory,
    /// Index of the mailbox the request acts on (after impersonation).
    pub mailbox: usize,
    /// The request's `RequestServerVersion` (at least the operation's minimum by now).
    pub version: &'a str,
    /// The server's notification subscriptions (the `notifications` operations).
    pub subscriptions: &'a crate::mailbox::subscriptions::Subscriptions,
    /// Where the messages the request sends go (delivered after the handler returns).
    pub outbox: &'a Outbox,
    /// Every mailbox, for a handler that reads other mailboxes (GetMailTips): only with
    /// [`Store::try_lock`](crate::mailbox::Store::try_lock), as the handler holds its own.
    pub store: &'a crate::mailbox::Store,
}

#[cfg(test)]
impl<'a> OpContext<'a> {
    /// A context for unit tests: mailbox 0 of `store`, Exchange2013, subscriptions nobody
    /// holds and an outbox nobody delivers (both leaked: a test's lifetime).
    pub fn for_test(
        config: &'a ServerConfig,
        directory: &'a Directory,
        store: &'a crate::mailbox::Store,
    ) -> OpContext<'a> {
        OpContext {
            config,
            directory,
            mailbox: 0,
            version: "Exchange2013",
            subscriptions: Box::leak(Box::new(crate::mailbox::subscriptions::Subscriptions::new(
                std::time::Duration::from_secs(60),
            ))),
            outbox: Box::leak(Box::default()),
            store,
        }
    }
}

impl OpContext<'_> {
    pub fn mailbox_id(&self) -> u16 {
        u16::try_from(self.mailbox).unwrap_or(u16::MAX)
    }

    /// Id of an object in this mailbox.
    pub fn id(&self, kind: IdKind, seq: u32) -> String {
        crate::ids::encode(StoreId {
            kind,
            mailbox: self.mailbox_id(),
            seq,
        })
    }

    /// Resolves a request id to a sequence number in this mailbox.
    ///
    /// `Id=""` → `ErrorInvalidIdEmpty`; an id that does not decode → `ErrorInvalidIdMalformed`;
    /// another mailbox's id → `ErrorNonExistentMailbox`; `not_found` is the code for a
    /// well-formed id of the wrong kind.
    pub fn resolve(
        &self,
        id: &IdRef,
        kind: IdKind,
        not_found: ResponseCode,
    ) -> Result<u32, ResponseError> {
        if id.id.is_empty() {
            return Err(ResponseError::new(ResponseCode::ErrorInvalidIdEmpty));
        }
        let Some(decoded) = crate::ids::decode(&id.id) else {
            return Err(ResponseError::new(ResponseCode::ErrorInvalidIdMalformed));
        };
        if decoded.mailbox != self.mailbox_id() {
            return Err(ResponseError::non_existent_mailbox(
                crate::ids::mailbox_guid(decoded.mailbox),
            ));
        }
        if decoded.kind != kind {
            return Err(ResponseError::new(not_found));
        }
        Ok(decoded.seq)
    }

    /// Like [`resolve`](Self::resolve) but for GetImItems, which ignores ids it cannot use.
    pub fn resolve_quietly(&self, id: &IdRef, kind: IdKind) -> Option<u32> {
        crate::ids::decode(&id.id)
            .filter(|d| d.mailbox == self.mailbox_id() && d.kind == kind)
            .map(|d| d.seq)
    }
}
