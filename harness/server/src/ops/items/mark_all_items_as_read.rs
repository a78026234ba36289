//! MarkAllItemsAsRead: sets the read state of every item of each folder named (`ReadFlag` true:
//! read, false: unread), one response message per folder, in request order; the folder's
//! `UnreadCount` follows. Items whose state changes get a new ChangeKey. A folder id that names
//! nothing → `ErrorItemNotFound` (the documented error example); an unknown distinguished folder →
//! `ErrorFolderNotFound`. `SuppressReadReceipts` is accepted (this server sends no receipts).

use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::folders::{FolderRef, folder_refs};
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The MarkAllItemsAsRead request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkAllItemsAsRead {
    pub read: bool,
    pub folder_ids: Vec<FolderRef>,
}

impl Handler for MarkAllItemsAsRead {
    const NAME: &'static str = "MarkAllItemsAsRead";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorAccessDenied,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        MarkAllItemsAsRead {
            read: request.boolean("ReadFlag"),
            folder_ids: folder_refs(request.element("FolderIds")),
        }
    }
}

impl Request for MarkAllItemsAsRead {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .folder_ids
            .iter()
            .map(|reference| {
                let folder = ctx.resolve_folder(mailbox, reference)?;
                let seqs: Vec<u32> = mailbox
                    .items
                    .in_folder(folder)
                    .filter(|i| i.is_read != self.read)
                    .map(|i| i.seq)
                    .collect();
                for seq in seqs {
                    if let Some(item) = mailbox.items.get_mut(seq) {
                        item.is_read = self.read;
                        item.version += 1;
                    }
                }
                Ok(None)
            })
            .collect();
        Response::messages(outcomes)
    }

    fn mailbox_address(&self) -> Option<&str> {
        crate::ops::folders::mailbox_address(&self.folder_ids)
    }
}
