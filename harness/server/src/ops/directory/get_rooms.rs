//! GetRooms: the rooms of one room list (`m:RoomList/t:EmailAddress`, compared
//! case-insensitively), in the configured order, each a `t:Room` whose `t:Id` is the room's
//! address (`MailboxType` `Mailbox`). An address that is no room list (nobody's, a user's, a
//! distribution group's) → `ErrorNameResolutionNoResults`, as the documented error response
//! shows; a room list without rooms answers an empty `m:Rooms`.

use super::get_room_lists::address_node;
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;

/// The GetRooms request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRooms {
    /// `t:EmailAddress` of `m:RoomList` (empty when absent).
    pub room_list: String,
}

impl Handler for GetRooms {
    const NAME: &'static str = "GetRooms";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    const CODES: &'static [ResponseCode] = &[ResponseCode::ErrorNameResolutionNoResults];

    fn view(request: &RequestView<'_>) -> Self {
        let room_list = request
            .element("RoomList")
            .and_then(|list| {
                list.children
                    .iter()
                    .find(|c| c.is(TYPES_NS, "EmailAddress"))
                    .map(|c| c.text.trim().to_string())
            })
            .unwrap_or_default();
        GetRooms { room_list }
    }
}

impl Request for GetRooms {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        let list = ctx.config.room_lists.iter().find(|l| {
            !self.room_list.is_empty() && l.smtp_address.eq_ignore_ascii_case(&self.room_list)
        });
        let Some(list) = list else {
            return Response::Single(Err(ResponseError::new(
                ResponseCode::ErrorNameResolutionNoResults,
            )));
        };
        let rooms = list.rooms.iter().map(|room| {
            Node::t("Room").child(address_node(
                "Id",
                &room.display_name,
                &room.smtp_address,
                "Mailbox",
            ))
        });
        Response::Single(Ok(Some(Node::m("Rooms").children(rooms))))
    }
}
