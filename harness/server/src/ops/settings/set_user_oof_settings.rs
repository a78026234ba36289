//! SetUserOofSettings (body element `SetUserOofSettingsRequest`): replaces the mailbox's OOF
//! settings with `t:UserOofSettings` and answers `m:ResponseMessage` alone, as documented.
//!
//! - `Scheduled` needs a `Duration` whose EndTime is after its StartTime and in the future, else
//!   `ErrorInvalidScheduledOofDuration` (responsecode.md); nothing is changed then. The
//!   Duration of `Enabled`/`Disabled` is kept as given but not checked.
//! - An absent `Duration` keeps the stored one; an absent reply keeps the stored reply; a reply
//!   without `Message` clears it.
//! - Times are stored in UTC (an offset applies; no offset is UTC) and read back with `Z`.
//!
//! Errors of the mailbox address: see [`super`].

use super::{check_owner, child, mailbox_address, response_message};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::settings::{OofState, parse_datetime};
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;

/// The SetUserOofSettings request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetUserOofSettings {
    pub address: String,
    pub state: Option<OofState>,
    pub external_audience: String,
    /// `(StartTime, EndTime)` as given (`None` inside when a time does not parse).
    pub duration: Option<(Option<u64>, Option<u64>)>,
    pub internal_reply: Option<String>,
    pub external_reply: Option<String>,
}

impl Handler for SetUserOofSettings {
    const NAME: &'static str = "SetUserOofSettings";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorInvalidScheduledOofDuration,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let settings = request
            .body()
            .children
            .iter()
            .find(|c| c.is(TYPES_NS, "UserOofSettings"));
        let text = |local: &str| {
            settings
                .and_then(|s| child(s, local))
                .map(|e| e.text.trim().to_string())
        };
        let reply = |local: &str| {
            settings.and_then(|s| child(s, local)).map(|r| {
                child(r, "Message")
                    .map(|m| m.text.clone())
                    .unwrap_or_default()
            })
        };
        let duration = settings.and_then(|s| child(s, "Duration")).map(|d| {
            let time = |local: &str| child(d, local).and_then(|t| parse_datetime(&t.text));
            (time("StartTime"), time("EndTime"))
        });
        SetUserOofSettings {
            address: mailbox_address(request),
            state: text("OofState").as_deref().and_then(OofState::parse),
            external_audience: text("ExternalAudience").unwrap_or_else(|| "All".into()),
            duration,
            internal_reply: reply("InternalReply"),
            external_reply: reply("ExternalReply"),
        }
    }
}

impl Request for SetUserOofSettings {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcome = self.apply(ctx, mailbox);
        let codes = outcome.as_ref().err().map(|e| e.code).into_iter().collect();
        Response::Body {
            codes,
            body: Node::m("SetUserOofSettingsResponse")
                .child(response_message(outcome.map(|()| None))),
        }
    }

    fn mailbox_address(&self) -> Option<&str> {
        Some(&self.address)
    }
}

impl SetUserOofSettings {
    fn apply(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Result<(), ResponseError> {
        check_owner(ctx, &self.address)?;
        let invalid = || ResponseError::new(ResponseCode::ErrorInvalidScheduledOofDuration);
        let state = self.state.unwrap_or(OofState::Disabled);
        let oof = &mut mailbox.settings.oof;
        let duration = match self.duration {
            Some((Some(start), Some(end))) => Some((start, end)),
            Some(_) => return Err(invalid()),
            None => None,
        };
        if state == OofState::Scheduled {
            let (start, end) = duration.ok_or_else(invalid)?;
            if end <= start || end <= now() {
                return Err(invalid());
            }
        }
        oof.state = state;
        oof.external_audience = self.external_audience.clone();
        if let Some((start, end)) = duration {
            oof.start = start;
            oof.end = end;
        }
        if let Some(reply) = &self.internal_reply {
            oof.internal_reply = reply.clone();
        }
        if let Some(reply) = &self.external_reply {
            oof.external_reply = reply.clone();
        }
        Ok(())
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
