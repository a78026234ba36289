//! MoveFolder and CopyFolder (which shares this file's logic through [`move_or_copy`]): the
//! folders named go (or are copied, with their subfolders and items) under `ToFolderId`, one
//! response message each holding the folder's id (`IdOnly`). A moved folder keeps its id and gets
//! a new ChangeKey (exchangelib 5.6 checks exactly that: its `Folder.move` raises `ID mismatch`
//! when MoveFolder answers another id); a copy has a new id. A distinguished folder cannot be moved
//! (`ErrorMoveDistinguishedFolder`); a folder cannot go into itself or below itself, and a
//! sibling of the same name at the destination blocks it (`ErrorMoveCopyFailed`, the documented
//! CopyFolder error). A destination that does not resolve → its error for every folder.

use super::{FolderRef, FolderShape, folder_refs};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::events::Object;
use crate::mailbox::folders::TreeError;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The MoveFolder request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveFolder {
    pub to: Option<FolderRef>,
    pub folder_ids: Vec<FolderRef>,
}

/// The codes MoveFolder and CopyFolder can give.
pub const MOVE_COPY_CODES: &[ResponseCode] = &[
    ResponseCode::ErrorInvalidIdEmpty,
    ResponseCode::ErrorInvalidIdMalformed,
    ResponseCode::ErrorNonExistentMailbox,
    ResponseCode::ErrorNonExistentMailboxAddress,
    ResponseCode::ErrorItemNotFound,
    ResponseCode::ErrorFolderNotFound,
    ResponseCode::ErrorAccessDenied,
    ResponseCode::ErrorMoveDistinguishedFolder,
    ResponseCode::ErrorMoveCopyFailed,
    ResponseCode::ErrorParentFolderNotFound,
];

impl Handler for MoveFolder {
    const NAME: &'static str = "MoveFolder";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = MOVE_COPY_CODES;

    fn view(request: &RequestView<'_>) -> Self {
        MoveFolder {
            to: folder_refs(request.element("ToFolderId"))
                .into_iter()
                .next(),
            folder_ids: folder_refs(request.element("FolderIds")),
        }
    }
}

impl Request for MoveFolder {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        move_or_copy(ctx, mailbox, self.to.as_ref(), &self.folder_ids, false)
    }

    fn mailbox_address(&self) -> Option<&str> {
        super::mailbox_address(self.to.as_slice())
            .or_else(|| super::mailbox_address(&self.folder_ids))
    }
}

/// Moves (`copy == false`) or copies the folders.
pub fn move_or_copy(
    ctx: &OpContext<'_>,
    mailbox: &mut Mailbox,
    to: Option<&FolderRef>,
    folder_ids: &[FolderRef],
    copy: bool,
) -> Response {
    let target = match to {
        Some(reference) => ctx.resolve_folder(mailbox, reference).map_err(|e| {
            if e.code == ResponseCode::ErrorItemNotFound {
                ResponseError::new(ResponseCode::ErrorParentFolderNotFound)
            } else {
                e
            }
        }),
        None => Err(ResponseError::new(ResponseCode::ErrorParentFolderNotFound)),
    };
    let outcomes = folder_ids
        .iter()
        .map(|reference| one(ctx, mailbox, target.clone()?, reference, copy))
        .collect();
    Response::messages(outcomes)
}

fn one(
    ctx: &OpContext<'_>,
    mailbox: &mut Mailbox,
    target: u32,
    reference: &FolderRef,
    copy: bool,
) -> Outcome {
    let seq = ctx.resolve_folder(mailbox, reference)?;
    let distinguished = mailbox
        .folders
        .get(seq)
        .is_some_and(|f| f.distinguished.is_some());
    let failed = |error: TreeError| match error {
        TreeError::NotFound => ResponseError::new(ResponseCode::ErrorItemNotFound),
        TreeError::NameTaken | TreeError::IntoItself => {
            ResponseError::new(ResponseCode::ErrorMoveCopyFailed)
        }
    };
    let result = if copy {
        let pairs = mailbox.folders.copy_to(seq, target).map_err(failed)?;
        for (from, to) in &pairs {
            mailbox.items.copy_into(*from, *to);
        }
        if let Some((from, to)) = pairs.first() {
            let (old, new) = (Object::Folder(*from), Object::Folder(*to));
            mailbox.provenance.record(old, new, true);
        }
        pairs.first().map_or(seq, |(_, copy)| *copy)
    } else {
        if distinguished {
            return Err(ResponseError::new(
                ResponseCode::ErrorMoveDistinguishedFolder,
            ));
        }
        mailbox.folders.move_to(seq, target).map_err(failed)?;
        seq
    };
    Ok(Some(ctx.folders_payload(
        mailbox,
        &[result],
        &FolderShape::ID_ONLY,
    )))
}
