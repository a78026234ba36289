//! MarkAsJunk (Exchange 2013): for each item of `m:ItemIds`, one response message in request
//! order. `IsJunk="true"` puts the item's sender (its `From`, else its `Sender`) on the mailbox's
//! blocked-sender list, so their later mail is delivered to Junk Email
//! ([`crate::mailbox::delivery::deliver`]); `IsJunk="false"` takes them off it. The list itself is
//! not readable through EWS, as the operation page says. `MoveItem="true"` moves the item to Junk
//! Email (`IsJunk` true) or the Inbox (`IsJunk` false) with a new id, answered as `m:MovedItemId`;
//! an item already there keeps its id, which is answered. `MoveItem="false"` leaves it where it is
//! and the message has no `m:MovedItemId`. An id of no item → `ErrorItemNotFound` (the documented
//! error), malformed → `ErrorInvalidIdMalformed`.

use super::FAMILY;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::{Mailbox, normalize_address};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::{IdRef, RequestView};

/// The MarkAsJunk request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkAsJunk {
    pub is_junk: bool,
    pub move_item: bool,
    pub item_ids: Vec<IdRef>,
}

fn flag(request: &RequestView<'_>, name: &str) -> bool {
    matches!(request.body().attr(name).map(str::trim), Some("true" | "1"))
}

impl Handler for MarkAsJunk {
    const NAME: &'static str = "MarkAsJunk";
    const FAMILY: &'static str = FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorFolderNotFound,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        MarkAsJunk {
            is_junk: flag(request, "IsJunk"),
            move_item: flag(request, "MoveItem"),
            item_ids: request.item_ids("ItemIds"),
        }
    }
}

impl Request for MarkAsJunk {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .item_ids
            .iter()
            .map(|id| self.mark(ctx, mailbox, id))
            .collect();
        Response::messages(outcomes)
    }
}

impl MarkAsJunk {
    fn mark(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox, id: &IdRef) -> Outcome {
        let seq = ctx.resolve_item(mailbox, id)?;
        let Some(item) = mailbox.items.get(seq).cloned() else {
            return Err(ResponseError::new(ResponseCode::ErrorItemNotFound));
        };
        let sender = ["From", "Sender"].iter().find_map(|field| {
            item.field(field)?
                .find("Mailbox")?
                .find("EmailAddress")?
                .text
                .as_deref()
                .map(normalize_address)
        });
        if let Some(sender) = sender {
            if self.is_junk {
                mailbox.blocked_senders.insert(sender);
            } else {
                mailbox.blocked_senders.remove(&sender);
            }
        }
        if !self.move_item {
            return Ok(None);
        }
        let target = mailbox
            .folders
            .distinguished(if self.is_junk { "junkemail" } else { "inbox" })
            .ok_or_else(|| ResponseError::new(ResponseCode::ErrorFolderNotFound))?;
        let moved = if item.parent == target {
            item
        } else {
            let mut moved = item;
            mailbox.items.remove(seq);
            moved.parent = target;
            moved.version += 1;
            moved.modified = crate::mailbox::now_utc();
            let new_seq = mailbox.items.add(moved);
            match mailbox.items.get(new_seq) {
                Some(item) => item.clone(),
                None => return Err(ResponseError::new(ResponseCode::ErrorItemNotFound)),
            }
        };
        Ok(Some(
            Node::m("MovedItemId")
                .attr("Id", ctx.id(IdKind::Item, moved.seq))
                .attr("ChangeKey", ctx.item_change_key(&moved)),
        ))
    }
}
