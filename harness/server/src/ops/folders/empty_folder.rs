//! EmptyFolder: deletes the items of each folder named (and, with `DeleteSubFolders="true"`, its
//! subfolders and their items), one response message each. The folder itself stays; its
//! ChangeKey moves when anything was removed. `DeleteType` is accepted (every disposal removes
//! the items from the folder). Emptying `msgfolderroot` or `root` with subfolders, or a search
//! folder → `ErrorCannotEmptyFolder`.

use super::{FolderRef, folder_refs};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::folders::FolderKind;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The EmptyFolder request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyFolder {
    pub delete_sub_folders: bool,
    pub folder_ids: Vec<FolderRef>,
}

impl Handler for EmptyFolder {
    const NAME: &'static str = "EmptyFolder";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010_SP1";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorCannotEmptyFolder,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        EmptyFolder {
            delete_sub_folders: matches!(
                request.body().attr("DeleteSubFolders").map(str::trim),
                Some("true" | "1")
            ),
            folder_ids: folder_refs(request.element("FolderIds")),
        }
    }
}

impl Request for EmptyFolder {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .folder_ids
            .iter()
            .map(|reference| self.empty(ctx, mailbox, reference))
            .collect();
        Response::messages(outcomes)
    }

    fn mailbox_address(&self) -> Option<&str> {
        super::mailbox_address(&self.folder_ids)
    }
}

impl EmptyFolder {
    fn empty(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox, reference: &FolderRef) -> Outcome {
        let seq = ctx.resolve_folder(mailbox, reference)?;
        let Some(folder) = mailbox.folders.get(seq) else {
            return Err(ResponseError::new(ResponseCode::ErrorItemNotFound));
        };
        let top = matches!(folder.distinguished, Some("root" | "msgfolderroot"));
        if folder.kind == FolderKind::Search || (top && self.delete_sub_folders) {
            return Err(ResponseError::new(ResponseCode::ErrorCannotEmptyFolder));
        }
        let mut changed = mailbox.items.remove_in(&[seq]) > 0;
        if self.delete_sub_folders {
            for child in mailbox.folders.children(seq) {
                let gone = mailbox.folders.remove(child);
                mailbox.items.remove_in(&gone);
                changed = true;
            }
        }
        if changed {
            mailbox.folders.touch(seq);
        }
        Ok(None)
    }
}
