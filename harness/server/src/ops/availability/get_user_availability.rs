//! GetUserAvailability (body element `GetUserAvailabilityRequest`): for each `t:MailboxData`, in
//! order, one `m:FreeBusyResponse` (its `m:ResponseMessage`, then `m:FreeBusyView`) in
//! `m:FreeBusyResponseArray`, computed from the calendar items of that user's Calendar folder
//! over `FreeBusyViewOptions/TimeWindow`.
//!
//! - Times of the request without a zone are local times of `t:TimeZone` (UTC without one); the
//!   events' `StartTime`/`EndTime` are written in that zone with its offset, as the documented
//!   response shows.
//! - `RequestedView`: `MergedOnly` (the `MergedFreeBusy` string only), `FreeBusy` (events with
//!   `BusyType`), `FreeBusyMerged` (both), `Detailed` (events with `CalendarEventDetails`),
//!   `DetailedMerged` (both). Details are given for the caller's own calendar and for users who
//!   granted the caller `folder_access`; anyone else's view is reduced to `FreeBusy` /
//!   `FreeBusyMerged`, as Exchange's default calendar permission (free/busy time only) does
//!   (the documented response's second mailbox); a delegate with `Reviewer` or more on the
//!   owner's calendar sees details too. A private item shows its subject and location only to
//!   the owner and to delegates with `ViewPrivateItems`.
//! - `MergedFreeBusy`: one digit per `MergedFreeBusyIntervalInMinutes` slot (default 30), the
//!   weightiest status of the events overlapping it (0 free, 1 tentative, 2 busy, 3 OOF,
//!   4 working elsewhere).
//! - `WorkingHours`: Monday to Friday, 08:00 to 17:00 in the request's zone (the server keeps no
//!   per-user working hours).
//! - Errors: an address that is no mailbox → `ErrorMailRecipientNotFound` in that mailbox's
//!   message; for the whole request, SOAP faults: a window that ends before it starts
//!   (`ErrorInvalidTimeInterval`), longer than 42 days (`ErrorTimeIntervalTooBig`), an interval
//!   outside 5..=1440 minutes (`ErrorInvalidMergedFreeBusyInterval`), view `None`
//!   (`ErrorInvalidFreeBusyViewType`).
//!
//! The handler reads several mailboxes: it runs in the store
//! ([`Request::handle_in_store`]), locking one mailbox at a time. Run on a single mailbox
//! ([`Request::handle`]) it can only read that one; others are `ErrorFreeBusyGenerationFailed`.
//! `SuggestionsViewOptions` is accepted and not answered (no `SuggestionsResponse`).

use crate::Quirk;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::{IdKind, StoreId};
use crate::mailbox::Mailbox;
use crate::mailbox::freebusy::{
    BusyType, Event, RequestZone, Transition, calendar_events, merged_free_busy, parse_clock,
    parse_weekday,
};
use crate::ops::{OpContext, Outcome, Response, message_node};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;
use crate::xml_tree::Element;

/// The longest TimeWindow Exchange accepts by default (timewindow.md: 42 days).
pub const MAX_WINDOW_DAYS: i64 = 42;
/// Bounds of MergedFreeBusyIntervalInMinutes (responsecode.md: 5 to 1440 by default).
pub const INTERVAL_MINUTES: std::ops::RangeInclusive<i64> = 5..=1440;
/// Working hours of every mailbox: minutes after midnight, Monday to Friday.
const WORKING_MINUTES: (i64, i64) = (480, 1020);

/// The GetUserAvailability request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUserAvailability {
    pub zone: RequestZone,
    /// `t:MailboxData/t:Email/t:Address`, in order.
    pub addresses: Vec<String>,
    /// `FreeBusyViewOptions`, when given.
    pub view: Option<ViewOptions>,
}

/// `t:FreeBusyViewOptions` as sent (texts; checked when the request runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewOptions {
    pub start: String,
    pub end: String,
    pub interval_minutes: Option<String>,
    pub requested_view: String,
}

fn child<'a>(element: &'a Element, local: &str) -> Option<&'a Element> {
    element.children.iter().find(|c| c.is(TYPES_NS, local))
}

fn child_text(element: &Element, local: &str) -> String {
    child(element, local)
        .map(|c| c.text.trim().to_string())
        .unwrap_or_default()
}

fn transition(element: Option<&Element>) -> Option<Transition> {
    let element = element?;
    let number = |local: &str| child_text(element, local).parse::<i64>().ok();
    Some(Transition {
        bias: number("Bias")?,
        time: parse_clock(&child_text(element, "Time"))?,
        day_order: number("DayOrder")?.clamp(1, 5),
        month: number("Month")?,
        weekday: parse_weekday(&child_text(element, "DayOfWeek")).unwrap_or(0),
    })
}

/// `t:TimeZone` (a `t:SerializableTimeZone`) of the request; UTC without one.
fn read_zone(element: Option<&Element>) -> RequestZone {
    let Some(element) = element else {
        return RequestZone::default();
    };
    RequestZone {
        bias: child_text(element, "Bias").parse().unwrap_or(0),
        standard: transition(child(element, "StandardTime")),
        daylight: transition(child(element, "DaylightTime")),
    }
}

impl Handler for GetUserAvailability {
    const NAME: &'static str = "GetUserAvailability";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorMailRecipientNotFound,
        ResponseCode::ErrorFreeBusyGenerationFailed,
        ResponseCode::ErrorInvalidTimeInterval,
        ResponseCode::ErrorTimeIntervalTooBig,
        ResponseCode::ErrorInvalidMergedFreeBusyInterval,
        ResponseCode::ErrorInvalidFreeBusyViewType,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let body = request.body();
        let addresses = request
            .types_children("MailboxDataArray", "MailboxData")
            .map(|data| {
                child(data, "Email")
                    .map(|email| child_text(email, "Address"))
                    .unwrap_or_default()
            })
            .collect();
        let view = child(body, "FreeBusyViewOptions").map(|options| {
            let window = child(options, "TimeWindow");
            ViewOptions {
                start: window
                    .map(|w| child_text(w, "StartTime"))
                    .unwrap_or_default(),
                end: window.map(|w| child_text(w, "EndTime")).unwrap_or_default(),
                interval_minutes: child(options, "MergedFreeBusyIntervalInMinutes")
                    .map(|i| i.text.trim().to_string()),
                requested_view: child(options, "RequestedView")
                    .map_or_else(|| "FreeBusy".to_string(), |v| v.text.trim().to_string()),
            }
        });
        GetUserAvailability {
            zone: read_zone(child(body, "TimeZone")),
            addresses,
            view,
        }
    }
}

/// The view asked for, as flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct View {
    merged: bool,
    events: bool,
    details: bool,
}

impl View {
    fn parse(text: &str) -> Option<View> {
        let (merged, events, details) = match text {
            "MergedOnly" => (true, false, false),
            "FreeBusy" => (false, true, false),
            "FreeBusyMerged" => (true, true, false),
            "Detailed" => (false, true, true),
            "DetailedMerged" => (true, true, true),
            _ => return None,
        };
        Some(View {
            merged,
            events,
            details,
        })
    }

    fn name(self) -> &'static str {
        match (self.merged, self.events, self.details) {
            (true, false, _) => "MergedOnly",
            (false, _, false) => "FreeBusy",
            (true, _, false) => "FreeBusyMerged",
            (false, _, true) => "Detailed",
            (true, _, true) => "DetailedMerged",
        }
    }
}

/// The checked window: UTC start and end, slot length in seconds, view.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    end: i64,
    interval: i64,
    view: View,
}

/// What the request may learn of one mailbox: its events in the window, and whether the caller
/// may see their details.
struct Calendar {
    owner: usize,
    events: Vec<Event>,
    details_allowed: bool,
    /// Whether subjects and locations of private items show (the owner, or a delegate with
    /// `ViewPrivateItems`).
    private_visible: bool,
}

impl GetUserAvailability {
    fn window(&self, options: &ViewOptions) -> Result<Window, ResponseCode> {
        let view = match View::parse(&options.requested_view) {
            Some(view) => view,
            None => return Err(ResponseCode::ErrorInvalidFreeBusyViewType),
        };
        let interval = match &options.interval_minutes {
            None => 30,
            Some(text) => text.parse::<i64>().unwrap_or(0),
        };
        if !INTERVAL_MINUTES.contains(&interval) {
            return Err(ResponseCode::ErrorInvalidMergedFreeBusyInterval);
        }
        let (Some(start), Some(end)) = (
            self.zone.parse(&options.start),
            self.zone.parse(&options.end),
        ) else {
            return Err(ResponseCode::ErrorInvalidTimeInterval);
        };
        if end <= start {
            return Err(ResponseCode::ErrorInvalidTimeInterval);
        }
        if end - start > MAX_WINDOW_DAYS * 86_400 {
            return Err(ResponseCode::ErrorTimeIntervalTooBig);
        }
        Ok(Window {
            start,
            end,
            interval: interval * 60,
            view,
        })
    }

    /// The response, reading each named mailbox through `read` (its calendar, or the error of
    /// that mailbox).
    fn respond(
        &self,
        ctx: &OpContext<'_>,
        mut read: impl FnMut(usize, &Window) -> Result<Calendar, ResponseError>,
    ) -> Response {
        let mut body = Node::m("GetUserAvailabilityResponse");
        let Some(options) = &self.view else {
            return Response::Body {
                codes: Vec::new(),
                body,
            };
        };
        let window = match self.window(options) {
            Ok(window) => window,
            Err(code) => return Response::fault(code),
        };
        let mut codes = Vec::new();
        let responses = self.addresses.iter().map(|address| {
            let outcome = ctx
                .directory
                .user_by_smtp(address)
                .ok_or_else(|| ResponseError::new(ResponseCode::ErrorMailRecipientNotFound))
                .and_then(|owner| read(owner, &window));
            let response = Node::m("FreeBusyResponse");
            match outcome {
                Ok(calendar) => response
                    .child(message_node("ResponseMessage", Ok(None), None))
                    .child(self.free_busy_view(ctx, &window, &calendar)),
                Err(error) => {
                    codes.push(error.code);
                    response.child(message_node("ResponseMessage", Outcome::Err(error), None))
                }
            }
        });
        body = body.child(Node::m("FreeBusyResponseArray").children(responses.collect::<Vec<_>>()));
        Response::Body { codes, body }
    }

    fn free_busy_view(&self, ctx: &OpContext<'_>, window: &Window, calendar: &Calendar) -> Node {
        let mut view = window.view;
        if !calendar.details_allowed {
            view.details = false;
        }
        let mut node = Node::m("FreeBusyView").child(Node::t_text("FreeBusyViewType", view.name()));
        if view.merged {
            let mut merged =
                merged_free_busy(&calendar.events, window.start, window.end, window.interval);
            if ctx.config.quirks.contains(&Quirk::MergedFreeBusyShifted) && !merged.is_empty() {
                merged.pop();
                merged.insert(0, BusyType::Free.digit());
            }
            node = node.child(Node::t_text("MergedFreeBusy", merged));
        }
        if view.events {
            let events = calendar
                .events
                .iter()
                .map(|event| self.event_node(view.details, calendar, event));
            node = node.child(Node::t("CalendarEventArray").children(events.collect::<Vec<_>>()));
        }
        node.child(self.working_hours())
    }

    fn event_node(&self, details: bool, calendar: &Calendar, event: &Event) -> Node {
        let mut node = Node::t("CalendarEvent")
            .child(Node::t_text("StartTime", self.zone.format(event.start)))
            .child(Node::t_text("EndTime", self.zone.format(event.end)))
            .child(Node::t_text("BusyType", event.busy.as_str()));
        if details {
            let hidden = event.is_private && !calendar.private_visible;
            let flag = |local: &str, value: bool| Node::t_text(local, value.to_string());
            let mut d = Node::t("CalendarEventDetails").child(Node::t_text(
                "ID",
                crate::ids::encode(StoreId {
                    kind: IdKind::Item,
                    mailbox: u16::try_from(calendar.owner).unwrap_or(u16::MAX),
                    seq: event.seq,
                }),
            ));
            if !hidden {
                d = d
                    .child(Node::t_text("Subject", event.subject.clone()))
                    .child(Node::t_text("Location", event.location.clone()));
            }
            d = d
                .child(flag("IsMeeting", event.is_meeting))
                .child(flag("IsRecurring", event.is_recurring))
                .child(flag("IsException", false))
                .child(flag("IsReminderSet", event.is_reminder_set))
                .child(flag("IsPrivate", event.is_private));
            node = node.child(d);
        }
        node
    }

    fn working_hours(&self) -> Node {
        let transition = |local: &str, t: Option<Transition>| {
            let t = t.unwrap_or(Transition {
                bias: 0,
                time: 0,
                day_order: 1,
                month: 0,
                weekday: 0,
            });
            const DAYS: [&str; 7] = [
                "Sunday",
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
            ];
            Node::t(local)
                .child(Node::t_text("Bias", t.bias.to_string()))
                .child(Node::t_text(
                    "Time",
                    format!(
                        "{:02}:{:02}:{:02}",
                        t.time / 3600,
                        t.time % 3600 / 60,
                        t.time % 60
                    ),
                ))
                .child(Node::t_text("DayOrder", t.day_order.to_string()))
                .child(Node::t_text("Month", t.month.to_string()))
                .child(Node::t_text(
                    "DayOfWeek",
                    DAYS[usize::try_from(t.weekday.rem_euclid(7)).unwrap_or(0)],
                ))
        };
        Node::t("WorkingHours")
            .child(
                Node::t("TimeZone")
                    .child(Node::t_text("Bias", self.zone.bias.to_string()))
                    .child(transition("StandardTime", self.zone.standard))
                    .child(transition("DaylightTime", self.zone.daylight)),
            )
            .child(
                Node::t("WorkingPeriodArray").child(
                    Node::t("WorkingPeriod")
                        .child(Node::t_text(
                            "DayOfWeek",
                            "Monday Tuesday Wednesday Thursday Friday",
                        ))
                        .child(Node::t_text(
                            "StartTimeInMinutes",
                            WORKING_MINUTES.0.to_string(),
                        ))
                        .child(Node::t_text(
                            "EndTimeInMinutes",
                            WORKING_MINUTES.1.to_string(),
                        )),
                ),
            )
    }
}

/// Whether the caller of `ctx` may see the details of `owner`'s calendar items.
fn details_allowed(ctx: &OpContext<'_>, owner: usize) -> bool {
    if owner == ctx.mailbox {
        return true;
    }
    let (Some(caller), Some(owner)) = (
        ctx.directory.users.get(ctx.mailbox),
        ctx.directory.users.get(owner),
    ) else {
        return false;
    };
    caller
        .folder_access
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&owner.smtp_address))
}

fn calendar(ctx: &OpContext<'_>, owner: usize, mailbox: &Mailbox, window: &Window) -> Calendar {
    let delegate = mailbox.settings.delegates.get(ctx.mailbox);
    Calendar {
        owner,
        events: calendar_events(mailbox, window.start, window.end),
        details_allowed: details_allowed(ctx, owner)
            || delegate.is_some_and(|d| d.permission_on("calendar").can_read()),
        private_visible: owner == ctx.mailbox || delegate.is_some_and(|d| d.view_private_items),
    }
}

impl Request for GetUserAvailability {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        self.respond(ctx, |owner, window| {
            if owner == ctx.mailbox {
                Ok(calendar(ctx, owner, mailbox, window))
            } else {
                Err(ResponseError::new(
                    ResponseCode::ErrorFreeBusyGenerationFailed,
                ))
            }
        })
    }

    fn handle_in_store(&self, ctx: &OpContext<'_>) -> Response {
        self.respond(ctx, |owner, window| match ctx.store.lock(owner) {
            Some(mailbox) => Ok(calendar(ctx, owner, &mailbox, window)),
            None => Err(ResponseError::new(
                ResponseCode::ErrorFreeBusyGenerationFailed,
            )),
        })
    }
}
