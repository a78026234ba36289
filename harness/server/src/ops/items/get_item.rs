//! GetItem: the items named by id, one response message each, in request order, in the requested
//! shape ([`ItemShape`]). An error message ends with an empty `m:Items`, as the documented error
//! example shows. `t:IncludeMimeContent` true (in `m:ItemShape`), or `item:MimeContent` among its
//! additional properties, adds the item's `t:MimeContent`,
//! an internet message built from it ([`crate::mailbox::mime::build`]), as its first field.

use super::ItemShape;
use crate::faults::ResponseCode;
use crate::mailbox::properties::PropertyPath;
use crate::mailbox::{Mailbox, mime};
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::{IdRef, RequestView};

/// The GetItem request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetItem {
    pub shape: ItemShape,
    pub item_ids: Vec<IdRef>,
    /// `t:IncludeMimeContent` of the shape.
    pub include_mime: bool,
}

/// Whether the shape names `item:MimeContent` among its additional properties (as exchangelib
/// asks for it).
fn shape_asks_mime(shape: &ItemShape) -> bool {
    shape
        .additional
        .iter()
        .any(|p| matches!(p, PropertyPath::Field(uri) if uri == "item:MimeContent"))
}

impl Handler for GetItem {
    const NAME: &'static str = "GetItem";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorItemNotFound,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let shape = ItemShape::parse(request.element("ItemShape"));
        GetItem {
            item_ids: request.item_ids("ItemIds"),
            shape: shape.clone(),
            include_mime: request.element("ItemShape").is_some_and(|shape| {
                shape.children.iter().any(|c| {
                    c.is(TYPES_NS, "IncludeMimeContent") && matches!(c.text.trim(), "true" | "1")
                })
            }) || shape_asks_mime(&shape),
        }
    }
}

impl Request for GetItem {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .item_ids
            .iter()
            .map(|id| {
                let seq = ctx.resolve_item(mailbox, id)?;
                let node = mailbox.items.get(seq).map(|item| {
                    let mut node = ctx.item_node(mailbox, item, &self.shape);
                    if self.include_mime {
                        let content = mime::mime_content_node(&mime::build(item));
                        node.children.insert(0, content);
                    }
                    node
                });
                Ok(Some(Node::m("Items").children(node)))
            })
            .collect();
        Response::Messages {
            outcomes,
            empty_on_error: Some("Items"),
        }
    }
}
