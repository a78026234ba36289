//! DeleteItem: deletes the items named, one response message each, in request order.
//! `HardDelete` removes the item; `SoftDelete` keeps it for a `SoftDeleted` traversal of its
//! folder (it no longer counts, and GetItem no longer finds it); `MoveToDeletedItems` moves it to
//! Deleted Items (an item already there is soft-deleted instead). An id of no item →
//! `ErrorItemNotFound` (the documented error example). The folder counts follow at once.

use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::folders::delete_folder::Disposal;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::{IdRef, RequestView};

/// The DeleteItem request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteItem {
    pub delete_type: Disposal,
    pub item_ids: Vec<IdRef>,
}

impl Handler for DeleteItem {
    const NAME: &'static str = "DeleteItem";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorItemNotFound,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        DeleteItem {
            delete_type: Disposal::parse(request.body().attr("DeleteType")),
            item_ids: request.item_ids("ItemIds"),
        }
    }
}

impl Request for DeleteItem {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .item_ids
            .iter()
            .map(|id| delete(ctx, mailbox, id, self.delete_type))
            .collect();
        Response::messages(outcomes)
    }
}

fn delete(ctx: &OpContext<'_>, mailbox: &mut Mailbox, id: &IdRef, disposal: Disposal) -> Outcome {
    let seq = ctx.resolve_item(mailbox, id)?;
    let deleted_items = mailbox.folders.distinguished("deleteditems");
    let Some(item) = mailbox.items.get_mut(seq) else {
        return Err(crate::faults::ResponseError::new(
            ResponseCode::ErrorItemNotFound,
        ));
    };
    match (disposal, deleted_items) {
        (Disposal::HardDelete, _) => {
            mailbox.items.remove(seq);
        }
        (Disposal::MoveToDeletedItems, Some(target)) if item.parent != target => {
            item.parent = target;
            item.version += 1;
            item.modified = crate::mailbox::now_utc();
        }
        _ => item.soft_deleted = true,
    }
    Ok(None)
}
