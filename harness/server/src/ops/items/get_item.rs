//! GetItem: the items named by id, one response message each, in request order, in the requested
//! shape ([`ItemShape`]). An error message ends with an empty `m:Items`, as the documented error
//! example shows.

use super::ItemShape;
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::{IdRef, RequestView};

/// The GetItem request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetItem {
    pub shape: ItemShape,
    pub item_ids: Vec<IdRef>,
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
        GetItem {
            shape: ItemShape::parse(request.element("ItemShape")),
            item_ids: request.item_ids("ItemIds"),
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
                let node = mailbox
                    .items
                    .get(seq)
                    .map(|item| ctx.item_node(mailbox, item, &self.shape));
                Ok(Some(Node::m("Items").children(node)))
            })
            .collect();
        Response::Messages {
            outcomes,
            empty_on_error: Some("Items"),
        }
    }
}
