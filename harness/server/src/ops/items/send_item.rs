//! SendItem: sends the saved messages named by `m:ItemIds`, one response message each (no
//! payload), in request order; and [`submit`], what every sending operation does with a message
//! (CreateItem `SendOnly` / `SendAndSaveCopy` too).
//!
//! Sending stamps the message (`From` the sending mailbox's user; a `From` naming anyone else is
//! `ErrorSendAsDenied`,
//! `Sender` that user, `InternetMessageId` unless given, `DateTimeSent` now, `IsDraft` false) and
//! leaves it in the request's outbox, from which dispatch delivers a copy to every To/Cc/Bcc
//! recipient of the organisation ([`crate::mailbox::delivery`]).
//!
//! `SaveItemToFolder="true"` moves the draft to `m:SavedItemFolderId` (default Sent Items) as the
//! sent message, with a new id; `false` removes it. Errors: an id of no item →
//! `ErrorItemNotFound`, a malformed one → `ErrorInvalidIdMalformed`; an item that is not a
//! `t:Message` → `ErrorInvalidItemForOperationSendItem`; a ChangeKey that is not the item's current
//! one → `ErrorStaleObject` (responsecode.md); no recipients → `ErrorMissingRecipients` (CreateItem
//! says `ErrorInvalidRecipients` instead, as responsecode.md notes); `SavedItemFolderId` with
//! `SaveItemToFolder="false"` → `ErrorInvalidSendItemSaveSettings`; a saved-item folder that cannot
//! be resolved → the folder resolution's code.

use super::FAMILY;
use crate::Quirk;
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::delivery::recipient_addresses;
use crate::mailbox::items::Item;
use crate::mailbox::{Mailbox, mime, normalize_address};
use crate::ops::folders::{FolderRef, folder_refs};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::{IdRef, RequestView};

/// Stamps `message` as sent by the context's mailbox (see the module doc) and queues it for
/// delivery; `Err` with `no_recipients` when it has none, `ErrorSendAsDenied` when its `From` is
/// another address than the sending mailbox's (this server grants no send-as rights).
pub fn submit(
    ctx: &OpContext<'_>,
    message: &mut Item,
    no_recipients: ResponseCode,
) -> Result<(), ResponseError> {
    let recipients = recipient_addresses(message);
    if recipients.is_empty() {
        return Err(ResponseError::new(no_recipients));
    }
    let now = crate::mailbox::now_utc();
    if let Some(user) = ctx.directory.users.get(ctx.mailbox) {
        let from = message
            .field("From")
            .and_then(|f| f.find("Mailbox")?.find("EmailAddress")?.text.as_deref())
            .map(normalize_address);
        if from.is_some_and(|from| !from.eq_ignore_ascii_case(&user.smtp_address)) {
            return Err(ResponseError::new(ResponseCode::ErrorSendAsDenied));
        }
        let me = || mime::mailbox_node(Some(&user.display_name), &user.smtp_address);
        if message.field("From").is_none() {
            message.put_field(Node::t("From").child(me()));
        }
        message.put_field(Node::t("Sender").child(me()));
        if message.field("InternetMessageId").is_none() {
            let domain = user.smtp_address.rsplit('@').next().unwrap_or("localhost");
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            message.put_field(Node::t_text(
                "InternetMessageId",
                format!("<{nanos:x}.{}.{}@{domain}>", ctx.mailbox, message.seq),
            ));
        }
    }
    message.sent = now.clone();
    message.received = now.clone();
    message.modified = now;
    message.is_draft = false;
    message.is_read = true;
    ctx.outbox.send(message.clone(), recipients);
    Ok(())
}

/// The SendItem request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendItem {
    pub item_ids: Vec<IdRef>,
    pub save_to_folder: bool,
    pub saved_folder: Option<FolderRef>,
}

impl Handler for SendItem {
    const NAME: &'static str = "SendItem";
    const FAMILY: &'static str = FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorInvalidItemForOperationSendItem,
        ResponseCode::ErrorInvalidSendItemSaveSettings,
        ResponseCode::ErrorMissingRecipients,
        ResponseCode::ErrorStaleObject,
        ResponseCode::ErrorSendAsDenied,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        SendItem {
            item_ids: request.item_ids("ItemIds"),
            save_to_folder: matches!(
                request.body().attr("SaveItemToFolder").map(str::trim),
                Some("true" | "1")
            ),
            saved_folder: folder_refs(request.element("SavedItemFolderId"))
                .into_iter()
                .next(),
        }
    }
}

impl Request for SendItem {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let target = match (self.save_to_folder, &self.saved_folder) {
            (false, Some(_)) => Err(ResponseError::new(
                ResponseCode::ErrorInvalidSendItemSaveSettings,
            )),
            (false, None) => Ok(None),
            (true, Some(reference)) => ctx.resolve_folder(mailbox, reference).map(Some),
            (true, None) => mailbox
                .folders
                .distinguished("sentitems")
                .map(Some)
                .ok_or_else(|| ResponseError::new(ResponseCode::ErrorFolderNotFound)),
        };
        let outcomes = self
            .item_ids
            .iter()
            .map(|id| -> Outcome {
                let target = target.clone()?;
                let seq = ctx.resolve_item(mailbox, id)?;
                let Some(mut message) = mailbox.items.get(seq).cloned() else {
                    return Err(ResponseError::new(ResponseCode::ErrorItemNotFound));
                };
                if message.element != "Message" {
                    return Err(ResponseError::new(
                        ResponseCode::ErrorInvalidItemForOperationSendItem,
                    ));
                }
                if id
                    .change_key
                    .as_ref()
                    .is_some_and(|key| *key != ctx.item_change_key(&message))
                {
                    return Err(ResponseError::new(ResponseCode::ErrorStaleObject));
                }
                submit(ctx, &mut message, ResponseCode::ErrorMissingRecipients)?;
                mailbox.items.remove(seq);
                let keep_copy = !ctx.config.quirks.contains(&Quirk::NoSentItemsCopy);
                if let (Some(folder), true) = (target, keep_copy) {
                    message.parent = folder;
                    message.version += 1;
                    mailbox.items.add(message);
                }
                Ok(None)
            })
            .collect();
        Response::messages(outcomes)
    }

    fn mailbox_address(&self) -> Option<&str> {
        crate::ops::folders::mailbox_address(self.saved_folder.as_slice())
    }
}
