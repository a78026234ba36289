//! GetRoomLists: the room lists of the directory (configuration `room_lists`), in order, as
//! `m:RoomLists` of `t:Address` (`MailboxType` `PublicDL`: a room list is a distribution group).
//! No room lists: an empty `m:RoomLists`, as the second documented response shows. The request
//! has no parameters, so no error can be provoked.

use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// `<t:{local}>` of type `t:EmailAddressType`.
pub fn address_node(local: &str, name: &str, address: &str, mailbox_type: &str) -> Node {
    Node::t(local)
        .child(Node::t_text("Name", name))
        .child(Node::t_text("EmailAddress", address))
        .child(Node::t_text("RoutingType", "SMTP"))
        .child(Node::t_text("MailboxType", mailbox_type))
}

/// The GetRoomLists request (it has no content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetRoomLists;

impl Handler for GetRoomLists {
    const NAME: &'static str = "GetRoomLists";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    const CODES: &'static [ResponseCode] = &[];

    fn view(_request: &RequestView<'_>) -> Self {
        GetRoomLists
    }
}

impl Request for GetRoomLists {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        let lists = ctx.config.room_lists.iter().map(|list| {
            address_node(
                "Address",
                &list.display_name,
                &list.smtp_address,
                "PublicDL",
            )
        });
        Response::Single(Ok(Some(Node::m("RoomLists").children(lists))))
    }
}
