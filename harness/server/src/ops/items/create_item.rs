//! CreateItem: creates the items of `m:Items`, one response message each, in request order.
//!
//! Where an item goes: `m:SavedItemFolderId` when given, else by class (`t:Message` and `t:Item`
//! in Drafts — Sent Items for `SendAndSaveCopy` —, `t:CalendarItem` in Calendar, `t:Contact` in
//! Contacts, `t:Task` in Tasks). A contact into a folder that is not a contacts folder →
//! `ErrorCannotCreateContactInNonContactFolder` (the documented example); a folder id that names
//! nothing → `ErrorItemNotFound`, an unknown distinguished folder → `ErrorFolderNotFound`.
//!
//! `MessageDisposition` (required for messages: `ErrorMessageDispositionRequired` without it):
//! `SaveOnly` saves a draft (`IsDraft` true, read) and returns its id; `SendOnly` and
//! `SendAndSaveCopy` need at least one recipient (`ErrorInvalidRecipients`), answer an empty
//! `m:Items` as Exchange does, and `SendAndSaveCopy` keeps the sent copy (`IsDraft` false). A
//! message addressed to the sender's own address is delivered to their Inbox, unread, and the
//! mailbox's inbox rules run on it (`mailbox::rules::apply_inbox_rules`). Delivery
//! to other mailboxes of the server is not done by this operation yet.
//!
//! The server sets `DateTimeCreated`, `DateTimeReceived`, `DateTimeSent`, `LastModifiedTime`
//! (all the time of the request) and `Size`.

use super::{ItemShape, read_item};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::folders::FolderKind;
use crate::ops::folders::{FolderRef, folder_refs};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;
use crate::xml_tree::Element;

/// `MessageDisposition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    SaveOnly,
    SendOnly,
    SendAndSaveCopy,
}

/// The CreateItem request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateItem {
    pub disposition: Option<Disposition>,
    pub saved_folder: Option<FolderRef>,
    /// The item elements, as sent.
    pub items: Vec<Element>,
}

impl Handler for CreateItem {
    const NAME: &'static str = "CreateItem";
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
        ResponseCode::ErrorCannotCreateContactInNonContactFolder,
        ResponseCode::ErrorInvalidRecipients,
        ResponseCode::ErrorMessageDispositionRequired,
        ResponseCode::ErrorInvalidPropertySet,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let disposition = match request.body().attr("MessageDisposition").map(str::trim) {
            Some("SaveOnly") => Some(Disposition::SaveOnly),
            Some("SendOnly") => Some(Disposition::SendOnly),
            Some("SendAndSaveCopy") => Some(Disposition::SendAndSaveCopy),
            _ => None,
        };
        CreateItem {
            disposition,
            saved_folder: folder_refs(request.element("SavedItemFolderId"))
                .into_iter()
                .next(),
            items: request
                .element("Items")
                .map(|items| {
                    items
                        .children
                        .iter()
                        .filter(|c| c.ns == TYPES_NS)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl Request for CreateItem {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let now = crate::mailbox::now_utc();
        let outcomes = self
            .items
            .iter()
            .map(|element| self.create(ctx, mailbox, element, &now))
            .collect();
        Response::Messages {
            outcomes,
            empty_on_error: Some("Items"),
        }
    }

    fn mailbox_address(&self) -> Option<&str> {
        crate::ops::folders::mailbox_address(self.saved_folder.as_slice())
    }
}

/// The recipients' addresses of a message element (`To`, `Cc`, `Bcc`).
fn recipients(element: &Element) -> Vec<String> {
    element
        .children
        .iter()
        .filter(|c| {
            c.ns == TYPES_NS
                && matches!(
                    c.local.as_str(),
                    "ToRecipients" | "CcRecipients" | "BccRecipients"
                )
        })
        .flat_map(|list| list.children.iter())
        .filter_map(|mailbox| {
            mailbox
                .children
                .iter()
                .find(|e| e.is(TYPES_NS, "EmailAddress"))
                .map(|e| e.text.trim().to_string())
        })
        .filter(|a| !a.is_empty())
        .collect()
}

impl CreateItem {
    fn create(
        &self,
        ctx: &OpContext<'_>,
        mailbox: &mut Mailbox,
        element: &Element,
        now: &str,
    ) -> Outcome {
        let is_message = element.local == "Message";
        let disposition = match (is_message, self.disposition) {
            (true, None) => {
                return Err(ResponseError::new(
                    ResponseCode::ErrorMessageDispositionRequired,
                ));
            }
            (true, Some(d)) => d,
            (false, _) => Disposition::SaveOnly,
        };
        let mut item = read_item(element, now)?;
        let sending = disposition != Disposition::SaveOnly;
        let to = recipients(element);
        if sending && to.is_empty() {
            return Err(ResponseError::new(ResponseCode::ErrorInvalidRecipients));
        }
        let folder = match &self.saved_folder {
            Some(reference) => ctx.resolve_folder(mailbox, reference)?,
            None => {
                let name = match element.local.as_str() {
                    "CalendarItem" => "calendar",
                    "Contact" => "contacts",
                    "Task" => "tasks",
                    _ if disposition == Disposition::SendAndSaveCopy => "sentitems",
                    _ => "drafts",
                };
                mailbox
                    .folders
                    .distinguished(name)
                    .ok_or_else(|| ResponseError::new(ResponseCode::ErrorFolderNotFound))?
            }
        };
        if element.local == "Contact"
            && mailbox
                .folders
                .get(folder)
                .is_some_and(|f| f.kind != FolderKind::Contacts)
        {
            return Err(ResponseError::new(
                ResponseCode::ErrorCannotCreateContactInNonContactFolder,
            ));
        }
        item.parent = folder;
        item.is_draft = is_message && !sending;
        if sending {
            let own = ctx
                .directory
                .users
                .get(ctx.mailbox)
                .map(|u| u.smtp_address.clone())
                .unwrap_or_default();
            if to.iter().any(|a| a.eq_ignore_ascii_case(&own)) {
                if let Some(inbox) = mailbox.folders.distinguished("inbox") {
                    let mut delivered = item.clone();
                    delivered.parent = inbox;
                    delivered.is_read = false;
                    let seq = mailbox.items.add(delivered);
                    crate::mailbox::rules::apply_inbox_rules(mailbox, seq);
                }
            }
            if disposition == Disposition::SendAndSaveCopy {
                mailbox.items.add(item);
            }
            return Ok(Some(Node::m("Items")));
        }
        let seq = mailbox.items.add(item);
        let created = mailbox
            .items
            .get(seq)
            .map(|item| ctx.item_node(mailbox, item, &ItemShape::ID_ONLY));
        Ok(Some(Node::m("Items").children(created)))
    }
}
