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
//! `SendAndSaveCopy` need at least one recipient (`ErrorInvalidRecipients`), send the message as
//! SendItem does ([`submit`]: every recipient of the organisation gets a copy in their Inbox),
//! answer an empty `m:Items` as Exchange does, and `SendAndSaveCopy` keeps the sent copy
//! (`IsDraft` false) in `SavedItemFolderId` or Sent Items.
//!
//! `t:MimeContent` (base64 of an internet message) fills the item's subject, body, addresses,
//! date, Message-ID and importance ([`crate::mailbox::mime`]); fields given beside it win. Not
//! base64 → `ErrorMimeContentInvalidBase64String`; no internet message → `ErrorMimeContentInvalid`.
//! Every other field the request gives is kept and given back by GetItem, in schema order.
//!
//! The server sets `DateTimeCreated`, `DateTimeReceived`, `DateTimeSent`, `LastModifiedTime`
//! (all the time of the request) and `Size`.

use super::send_item::submit;
use super::{ItemShape, read_item};
use crate::Quirk;
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
        // Of the item's t:Attachments (ops/attachments).
        ResponseCode::ErrorRequiredPropertyMissing,
        ResponseCode::ErrorAttachmentSizeLimitExceeded,
        ResponseCode::ErrorMissingItemForCreateItemAttachment,
        ResponseCode::ErrorInvalidItemForOperationCreateItemAttachment,
        ResponseCode::ErrorAttachmentNestLevelLimitExceeded,
        ResponseCode::ErrorMimeContentInvalidBase64String,
        ResponseCode::ErrorMimeContentInvalid,
        ResponseCode::ErrorSendAsDenied,
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
        crate::ops::attachments::attach_from_request(ctx, &mut item, element, now)?;
        let sending = disposition != Disposition::SaveOnly;
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
            submit(ctx, &mut item, ResponseCode::ErrorInvalidRecipients)?;
            let keep_copy = !ctx.config.quirks.contains(&Quirk::NoSentItemsCopy);
            if disposition == Disposition::SendAndSaveCopy && keep_copy {
                mailbox.items.add(item);
            }
            return Ok(Some(Node::m("Items")));
        }
        let seq = mailbox.items.add(item);
        let created = mailbox.items.get(seq).map(|item| {
            ctx.item_node(mailbox, item, &ItemShape::ID_ONLY)
                .children(crate::ops::attachments::created_attachments_node(ctx, item))
        });
        Ok(Some(Node::m("Items").children(created)))
    }
}
