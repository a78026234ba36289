//! GetFolder: the folders named by id or distinguished name, one response message each, in
//! request order, in the requested shape. An error message ends with an empty `m:Folders`, as the
//! documented error example shows.

use super::{FolderRef, FolderShape, folder_refs};
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The GetFolder request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetFolder {
    pub shape: FolderShape,
    pub folder_ids: Vec<FolderRef>,
}

impl Handler for GetFolder {
    const NAME: &'static str = "GetFolder";
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
    ];

    fn view(request: &RequestView<'_>) -> Self {
        GetFolder {
            shape: FolderShape::parse(request.element("FolderShape")),
            folder_ids: folder_refs(request.element("FolderIds")),
        }
    }
}

impl Request for GetFolder {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .folder_ids
            .iter()
            .map(|reference| {
                let seq = ctx.resolve_folder(mailbox, reference)?;
                Ok(Some(ctx.folders_payload(mailbox, &[seq], &self.shape)))
            })
            .collect();
        Response::Messages {
            outcomes,
            empty_on_error: Some("Folders"),
        }
    }

    fn mailbox_address(&self) -> Option<&str> {
        super::mailbox_address(&self.folder_ids)
    }
}
