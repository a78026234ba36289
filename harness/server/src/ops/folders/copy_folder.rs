//! CopyFolder: copies the folders named, with their subfolders and items, under `ToFolderId`;
//! each copy has a new id. Errors and shape: see [`super::move_folder`] (a distinguished folder
//! may be copied; the copy is an ordinary folder).

use super::move_folder::{MOVE_COPY_CODES, move_or_copy};
use super::{FolderRef, folder_refs};
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The CopyFolder request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFolder {
    pub to: Option<FolderRef>,
    pub folder_ids: Vec<FolderRef>,
}

impl Handler for CopyFolder {
    const NAME: &'static str = "CopyFolder";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = MOVE_COPY_CODES;

    fn view(request: &RequestView<'_>) -> Self {
        CopyFolder {
            to: folder_refs(request.element("ToFolderId"))
                .into_iter()
                .next(),
            folder_ids: folder_refs(request.element("FolderIds")),
        }
    }
}

impl Request for CopyFolder {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        move_or_copy(ctx, mailbox, self.to.as_ref(), &self.folder_ids, true)
    }

    fn mailbox_address(&self) -> Option<&str> {
        super::mailbox_address(self.to.as_slice())
            .or_else(|| super::mailbox_address(&self.folder_ids))
    }
}
