//! GetAttachment: the attachments named by id, one response message each, in request order,
//! with their content (a file's `Content`, an item's element in the `AttachmentShape`'s
//! `BodyType` and `AdditionalProperties`; see [`super`]). An error message ends with an empty
//! `m:Attachments`.

use super::{Detail, attachment_node, resolve_attachment};
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::items::ItemShape;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// The GetAttachment request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAttachment {
    /// `BodyType` and `AdditionalProperties` of `m:AttachmentShape`.
    pub shape: ItemShape,
    pub attachment_ids: Vec<String>,
}

impl Handler for GetAttachment {
    const NAME: &'static str = "GetAttachment";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorInvalidAttachmentId,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        GetAttachment {
            shape: ItemShape::parse(request.element("AttachmentShape")),
            attachment_ids: super::attachment_ids(request),
        }
    }
}

impl Request for GetAttachment {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .attachment_ids
            .iter()
            .map(|id| {
                let (seq, path) = resolve_attachment(ctx, mailbox, id)?;
                let node = mailbox.items.get(seq).and_then(|root| {
                    root.attachments.at(&path).map(|a| {
                        attachment_node(ctx, mailbox, root, &path, a, Detail::Full(&self.shape))
                    })
                });
                Ok(Some(Node::m("Attachments").children(node)))
            })
            .collect();
        Response::Messages {
            outcomes,
            empty_on_error: Some("Attachments"),
        }
    }
}
