//! DeleteFolder: deletes the folders named, one response message each. `HardDelete` removes the
//! folder, its subfolders and their items; `SoftDelete` keeps it for a `SoftDeleted` FindFolder
//! of its parent; `MoveToDeletedItems` moves it under Deleted Items (a folder already in Deleted
//! Items is soft-deleted instead). A distinguished folder → `ErrorDeleteDistinguishedFolder`; an
//! id of no folder → `ErrorItemNotFound` (the documented error example).

use super::{FolderRef, folder_refs};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// `DeleteType` (`t:DisposalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposal {
    HardDelete,
    SoftDelete,
    MoveToDeletedItems,
}

impl Disposal {
    /// Reads `DeleteType` (schema-valid values only reach here; anything else is a hard delete).
    pub fn parse(value: Option<&str>) -> Disposal {
        match value.map(str::trim) {
            Some("SoftDelete") => Disposal::SoftDelete,
            Some("MoveToDeletedItems") => Disposal::MoveToDeletedItems,
            _ => Disposal::HardDelete,
        }
    }
}

/// The DeleteFolder request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteFolder {
    pub delete_type: Disposal,
    pub folder_ids: Vec<FolderRef>,
}

impl Handler for DeleteFolder {
    const NAME: &'static str = "DeleteFolder";
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
        ResponseCode::ErrorDeleteDistinguishedFolder,
        ResponseCode::ErrorFolderExists,
        ResponseCode::ErrorMoveCopyFailed,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        DeleteFolder {
            delete_type: Disposal::parse(request.body().attr("DeleteType")),
            folder_ids: folder_refs(request.element("FolderIds")),
        }
    }
}

impl Request for DeleteFolder {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .folder_ids
            .iter()
            .map(|reference| delete(ctx, mailbox, reference, self.delete_type))
            .collect();
        Response::messages(outcomes)
    }

    fn mailbox_address(&self) -> Option<&str> {
        super::mailbox_address(&self.folder_ids)
    }
}

fn delete(
    ctx: &OpContext<'_>,
    mailbox: &mut Mailbox,
    reference: &FolderRef,
    disposal: Disposal,
) -> Outcome {
    let seq = ctx.resolve_folder(mailbox, reference)?;
    if mailbox
        .folders
        .get(seq)
        .is_some_and(|f| f.distinguished.is_some())
    {
        return Err(ResponseError::new(
            ResponseCode::ErrorDeleteDistinguishedFolder,
        ));
    }
    let deleted_items = mailbox.folders.distinguished("deleteditems");
    let in_deleted_items = deleted_items.is_some_and(|d| mailbox.folders.subtree(d).contains(&seq));
    match (disposal, deleted_items) {
        (Disposal::HardDelete, _) => {
            let gone = mailbox.folders.remove(seq);
            mailbox.items.remove_in(&gone);
        }
        (Disposal::MoveToDeletedItems, Some(target)) if !in_deleted_items => {
            mailbox
                .folders
                .move_to(seq, target)
                .map_err(super::tree_error)?;
        }
        _ => mailbox.folders.soft_delete(seq),
    }
    Ok(None)
}
