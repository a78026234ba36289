//! GetServerTimeZones: the server's Windows time zones ([`crate::timezones`]), one
//! `m:GetServerTimeZonesResponseMessage` holding `m:TimeZoneDefinitions`.
//!
//! - `m:Ids` names the zones wanted (compared case-insensitively), in the order given; without
//!   it, every zone. An id the server does not know is left out (the documentation gives no
//!   error code for it; a request of only unknown ids answers an empty `m:TimeZoneDefinitions`).
//! - `ReturnFullTimeZoneData="false"` gives `Id` and `Name` only; `true` (the default) adds
//!   `Periods`, `TransitionsGroups` and `Transitions` as the documented full example shows:
//!   one group (`Id="0"`) of the two `RecurringDayTransition`s of the current rules (to
//!   daylight time first), or of one `Transition` to the standard period for a zone without
//!   daylight time, and one `Transition` to group 0.
//!
//! Quirk `timezone-bias-sign`: every `Bias` has the opposite sign.

use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;
use crate::timezones::{self, Recurrence, WindowsZone, bias_duration, duration};

/// The GetServerTimeZones request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetServerTimeZones {
    /// `m:Ids/t:Id`; `None` without `m:Ids`.
    pub ids: Option<Vec<String>>,
    /// `@ReturnFullTimeZoneData` (default true).
    pub full: bool,
}

impl Handler for GetServerTimeZones {
    const NAME: &'static str = "GetServerTimeZones";
    const FAMILY: &'static str = "settings";
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    const CODES: &'static [ResponseCode] = &[];

    fn view(request: &RequestView<'_>) -> Self {
        let ids = request.element("Ids").map(|ids| {
            ids.children
                .iter()
                .filter(|c| c.is(TYPES_NS, "Id"))
                .map(|c| c.text.trim().to_string())
                .collect()
        });
        let full = request
            .body()
            .attr("ReturnFullTimeZoneData")
            .is_none_or(|v| matches!(v.trim(), "true" | "1"));
        GetServerTimeZones { ids, full }
    }
}

impl Request for GetServerTimeZones {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        let flip_bias = ctx.config.quirks.contains(&crate::Quirk::TimezoneBiasSign);
        let zones: Vec<&WindowsZone> = match &self.ids {
            None => timezones::all().iter().collect(),
            Some(ids) => ids.iter().filter_map(|id| timezones::find(id)).collect(),
        };
        let definitions = zones
            .into_iter()
            .map(|zone| definition(zone, self.full, flip_bias));
        Response::messages(vec![Ok(Some(
            Node::m("TimeZoneDefinitions").children(definitions),
        ))])
    }
}

fn period(zone: &WindowsZone, name: &str, offset: i32, flip_bias: bool) -> Node {
    let offset = if flip_bias { -offset } else { offset };
    Node::t("Period")
        .attr("Bias", bias_duration(offset))
        .attr("Name", name)
        .attr("Id", zone.period_id(name))
}

fn to(kind: &str, target: String) -> Node {
    Node::t("To").attr("Kind", kind).text(target)
}

fn recurring(zone: &WindowsZone, period: &str, r: &Recurrence) -> Node {
    Node::t("RecurringDayTransition")
        .child(to("Period", zone.period_id(period)))
        .child(Node::t_text("TimeOffset", duration(r.time)))
        .child(Node::t_text("Month", r.month.to_string()))
        .child(Node::t_text("DayOfWeek", format!("{:?}", r.weekday)))
        .child(Node::t_text("Occurrence", r.occurrence.to_string()))
}

/// `t:TimeZoneDefinition` of `zone`.
fn definition(zone: &WindowsZone, full: bool, flip_bias: bool) -> Node {
    let node = Node::t("TimeZoneDefinition")
        .attr("Id", zone.id.clone())
        .attr("Name", zone.display_name());
    if !full {
        return node;
    }
    let mut periods = vec![period(zone, "Standard", zone.standard_offset, flip_bias)];
    let group = Node::t("TransitionsGroup").attr("Id", "0");
    let group = match &zone.daylight {
        Some(daylight) => {
            periods.push(period(zone, "Daylight", daylight.offset, flip_bias));
            group
                .child(recurring(zone, "Daylight", &daylight.starts))
                .child(recurring(zone, "Standard", &daylight.ends))
        }
        None => group.child(Node::t("Transition").child(to("Period", zone.period_id("Standard")))),
    };
    node.child(Node::t("Periods").children(periods))
        .child(Node::t("TransitionsGroups").child(group))
        .child(
            Node::t("Transitions").child(Node::t("Transition").child(to("Group", "0".to_string()))),
        )
}
