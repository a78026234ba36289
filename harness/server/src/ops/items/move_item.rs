//! MoveItem and CopyItem: move or copy the items named into `m:ToFolderId`, one response message
//! each, in request order, holding the item at its new place (`IdOnly`). A moved item gets a new
//! id (its old one is then `ErrorItemNotFound`), as Exchange gives moved items new ids; a copy is
//! a new item with its own id and a first ChangeKey. `ReturnNewItemIds="false"` answers an empty
//! `m:Items`. A target folder that cannot be resolved is the folder resolution's code
//! (`ErrorItemNotFound`, `ErrorFolderNotFound`, ...) for every item; an id of no item →
//! `ErrorItemNotFound`. Both folders' counts follow at once.

use super::ItemShape;
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::mailbox::events::Object;
use crate::ops::folders::{FolderRef, folder_refs};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::{IdRef, RequestView};

/// What MoveItem and CopyItem read: the target, the ids, whether to return the new ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub to_folder: Option<FolderRef>,
    pub item_ids: Vec<IdRef>,
    pub return_new_ids: bool,
}

impl Transfer {
    fn read(request: &RequestView<'_>) -> Transfer {
        Transfer {
            to_folder: folder_refs(request.element("ToFolderId"))
                .into_iter()
                .next(),
            item_ids: request.item_ids("ItemIds"),
            return_new_ids: !matches!(
                request
                    .opt_text("ReturnNewItemIds")
                    .as_deref()
                    .map(str::trim),
                Some("false" | "0")
            ),
        }
    }

    fn run(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox, copy: bool) -> Response {
        let target = match &self.to_folder {
            Some(reference) => ctx.resolve_folder(mailbox, reference),
            None => Err(crate::faults::ResponseError::new(
                ResponseCode::ErrorFolderNotFound,
            )),
        };
        let outcomes = self
            .item_ids
            .iter()
            .map(|id| -> Outcome {
                let target = target.clone()?;
                let seq = ctx.resolve_item(mailbox, id)?;
                let Some(mut item) = mailbox.items.get(seq).cloned() else {
                    return Err(crate::faults::ResponseError::new(
                        ResponseCode::ErrorItemNotFound,
                    ));
                };
                item.parent = target;
                if copy {
                    item.version = 1;
                    item.created = crate::mailbox::now_utc();
                } else {
                    mailbox.items.remove(seq);
                    item.version += 1;
                }
                item.modified = crate::mailbox::now_utc();
                let new_seq = mailbox.items.add(item);
                let (old, new) = (Object::Item(seq), Object::Item(new_seq));
                mailbox.provenance.record(old, new, copy);
                let node = mailbox
                    .items
                    .get(new_seq)
                    .filter(|_| self.return_new_ids)
                    .map(|item| ctx.item_node(mailbox, item, &ItemShape::ID_ONLY));
                Ok(Some(Node::m("Items").children(node)))
            })
            .collect();
        Response::Messages {
            outcomes,
            empty_on_error: Some("Items"),
        }
    }

    fn mailbox_address(&self) -> Option<&str> {
        crate::ops::folders::mailbox_address(self.to_folder.as_slice())
    }
}

const CODES: &[ResponseCode] = &[
    ResponseCode::ErrorInvalidIdEmpty,
    ResponseCode::ErrorInvalidIdMalformed,
    ResponseCode::ErrorNonExistentMailbox,
    ResponseCode::ErrorNonExistentMailboxAddress,
    ResponseCode::ErrorItemNotFound,
    ResponseCode::ErrorFolderNotFound,
    ResponseCode::ErrorAccessDenied,
];

/// The MoveItem request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveItem(pub Transfer);

impl Handler for MoveItem {
    const NAME: &'static str = "MoveItem";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = CODES;

    fn view(request: &RequestView<'_>) -> Self {
        MoveItem(Transfer::read(request))
    }
}

impl Request for MoveItem {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        self.0.run(ctx, mailbox, false)
    }

    fn mailbox_address(&self) -> Option<&str> {
        self.0.mailbox_address()
    }
}

/// The CopyItem request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyItem(pub Transfer);

impl Handler for CopyItem {
    const NAME: &'static str = "CopyItem";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = CODES;

    fn view(request: &RequestView<'_>) -> Self {
        CopyItem(Transfer::read(request))
    }
}

impl Request for CopyItem {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        self.0.run(ctx, mailbox, true)
    }

    fn mailbox_address(&self) -> Option<&str> {
        self.0.mailbox_address()
    }
}
