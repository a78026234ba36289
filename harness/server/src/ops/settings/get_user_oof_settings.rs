//! GetUserOofSettings (body element `GetUserOofSettingsRequest`): the mailbox's OOF settings as
//! `t:OofSettings` (OofState, ExternalAudience, Duration, InternalReply, ExternalReply) and
//! `m:AllowExternalOof` `All`, after `m:ResponseMessage`, as the documented response shows. A new
//! mailbox: `Disabled`, `All`, a day from the next whole hour, empty messages. Another user's
//! mailbox, without a `folder_access` or delegate grant: the documented SOAP fault (`soap:Client`,
//! "User is not mailbox owner", `detail/m:ErrorCode`), [`FaultKind::NotMailboxOwner`].

use super::{check_owner, mailbox_address, response_message};
use crate::faults::{Fault, FaultKind, ResponseCode};
use crate::mailbox::{Directory, Mailbox};
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// The GetUserOofSettings request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUserOofSettings {
    pub address: String,
}

impl Handler for GetUserOofSettings {
    const NAME: &'static str = "GetUserOofSettings";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[ResponseCode::ErrorAccessDenied];

    fn view(request: &RequestView<'_>) -> Self {
        GetUserOofSettings {
            address: mailbox_address(request),
        }
    }
}

impl Request for GetUserOofSettings {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let body = Node::m("GetUserOofSettingsResponse");
        if check_owner(ctx, &self.address).is_err() {
            let owner_sid = ctx
                .directory
                .user_by_smtp(&self.address)
                .map_or_else(|| self.address.clone(), Directory::sid);
            return Response::Fault(Fault::new(FaultKind::NotMailboxOwner {
                user_sid: Directory::sid(ctx.mailbox),
                owner_sid,
            }));
        }
        let oof = &mailbox.settings.oof;
        let reply = |local: &str, text: &str| Node::t(local).child(Node::t_text("Message", text));
        let settings = Node::t("OofSettings")
            .child(Node::t_text("OofState", oof.state.as_str()))
            .child(Node::t_text(
                "ExternalAudience",
                oof.external_audience.clone(),
            ))
            .child(
                Node::t("Duration")
                    .child(Node::t_text("StartTime", oof.start_text()))
                    .child(Node::t_text("EndTime", oof.end_text())),
            )
            .child(reply("InternalReply", &oof.internal_reply))
            .child(reply("ExternalReply", &oof.external_reply));
        Response::Body {
            codes: Vec::new(),
            body: body
                .child(response_message(Ok(None)))
                .child(settings)
                .child(Node::m("AllowExternalOof").text("All")),
        }
    }

    fn mailbox_address(&self) -> Option<&str> {
        Some(&self.address)
    }
}
