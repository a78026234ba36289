//! DeleteAttachment: removes the attachments named by id, one response message each, in request
//! order. A success carries `m:RootItemId` with the root item's id and its new ChangeKey (each
//! removal changes it); `HasAttachments` turns false with the last attachment and `Size`
//! shrinks. Deleting an attachment again → `ErrorInvalidAttachmentId` (responsecode.md: "an
//! attachment that corresponds to the specified ID is not found"); ids: [`super`].

use super::{resolve_attachment, root_item_id_node, touch_root};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The DeleteAttachment request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAttachment {
    pub attachment_ids: Vec<String>,
}

impl Handler for DeleteAttachment {
    const NAME: &'static str = "DeleteAttachment";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorInvalidAttachmentId,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        DeleteAttachment {
            attachment_ids: super::attachment_ids(request),
        }
    }
}

impl Request for DeleteAttachment {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let now = crate::mailbox::now_utc();
        let outcomes = self
            .attachment_ids
            .iter()
            .map(|id| {
                let (seq, path) = resolve_attachment(ctx, mailbox, id)?;
                let gone = || ResponseError::new(ResponseCode::ErrorInvalidAttachmentId);
                let root = mailbox.items.get_mut(seq).ok_or_else(gone)?;
                if !root.attachments.remove_at(&path) {
                    return Err(gone());
                }
                touch_root(ctx, root, &now);
                let root = &*root;
                Ok(Some(root_item_id_node(ctx, root)))
            })
            .collect();
        Response::messages(outcomes)
    }
}
