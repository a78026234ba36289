//! Free/busy: the busy times of a mailbox's Calendar folder as [`Event`]s, the merged free/busy
//! string over a window ([`merged_free_busy`]), and the request time zone of GetUserAvailability
//! ([`RequestZone`]: `t:SerializableTimeZone`, a bias and the two yearly transitions), which
//! turns local times into UTC and back. Times are seconds since the epoch (UTC) throughout.

use super::Mailbox;
use super::settings::parse_datetime;

/// `t:LegacyFreeBusyType`, with its digit in `MergedFreeBusy` (0 free, 1 tentative, 2 busy,
/// 3 OOF, 4 working elsewhere, 5 no data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyType {
    Free,
    Tentative,
    Busy,
    Oof,
    WorkingElsewhere,
    NoData,
}

impl BusyType {
    /// The `LegacyFreeBusyStatus` text of a calendar item; `Busy` (Exchange's default) for
    /// anything else.
    pub fn parse(text: &str) -> BusyType {
        match text.trim() {
            "Free" => BusyType::Free,
            "Tentative" => BusyType::Tentative,
            "OOF" => BusyType::Oof,
            "WorkingElsewhere" => BusyType::WorkingElsewhere,
            "NoData" => BusyType::NoData,
            _ => BusyType::Busy,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BusyType::Free => "Free",
            BusyType::Tentative => "Tentative",
            BusyType::Busy => "Busy",
            BusyType::Oof => "OOF",
            BusyType::WorkingElsewhere => "WorkingElsewhere",
            BusyType::NoData => "NoData",
        }
    }

    /// The character of a `MergedFreeBusy` slot.
    pub fn digit(self) -> char {
        match self {
            BusyType::Free => '0',
            BusyType::Tentative => '1',
            BusyType::Busy => '2',
            BusyType::Oof => '3',
            BusyType::WorkingElsewhere => '4',
            BusyType::NoData => '5',
        }
    }

    /// Which status wins when events overlap in one slot: OOF over busy over tentative over
    /// working elsewhere over free.
    fn weight(self) -> u8 {
        match self {
            BusyType::Free | BusyType::NoData => 0,
            BusyType::WorkingElsewhere => 1,
            BusyType::Tentative => 2,
            BusyType::Busy => 3,
            BusyType::Oof => 4,
        }
    }
}

/// One calendar item as free/busy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The item's sequence number in its mailbox.
    pub seq: u32,
    pub start: i64,
    pub end: i64,
    pub busy: BusyType,
    pub subject: String,
    pub location: String,
    pub is_meeting: bool,
    pub is_recurring: bool,
    pub is_reminder_set: bool,
    pub is_private: bool,
}

/// The calendar items of `mailbox`'s Calendar folder that overlap `[start, end)`, by start time.
/// An item without a readable Start and End takes no time and is left out.
pub fn calendar_events(mailbox: &Mailbox, start: i64, end: i64) -> Vec<Event> {
    let Some(calendar) = mailbox.folders.distinguished("calendar") else {
        return Vec::new();
    };
    let mut events: Vec<Event> = mailbox
        .items
        .in_folder(calendar)
        .filter(|item| item.element == "CalendarItem")
        .filter_map(|item| {
            let field = |local: &str| {
                item.specific
                    .iter()
                    .find(|n| n.local == local)
                    .and_then(|n| n.text.clone())
            };
            let time = |local: &str| {
                field(local)
                    .and_then(|t| parse_datetime(&t))
                    .and_then(|t| i64::try_from(t).ok())
            };
            let has = |local: &str| item.specific.iter().any(|n| n.local == local);
            Some(Event {
                seq: item.seq,
                start: time("Start")?,
                end: time("End")?,
                busy: field("LegacyFreeBusyStatus").map_or(BusyType::Busy, |t| BusyType::parse(&t)),
                subject: item.subject.clone(),
                location: field("Location").unwrap_or_default(),
                is_meeting: has("RequiredAttendees")
                    || has("OptionalAttendees")
                    || has("Resources"),
                is_recurring: has("Recurrence"),
                is_reminder_set: field("ReminderIsSet").is_some_and(|t| t.trim() == "true"),
                is_private: item.sensitivity == "Private",
            })
        })
        .filter(|e| e.end > start && e.start < end)
        .collect();
    events.sort_by_key(|e| (e.start, e.end, e.seq));
    events
}

/// `MergedFreeBusy` over `[start, end)` in slots of `interval` seconds (the last one may be cut
/// short): per slot, the digit of the weightiest event overlapping it, `0` where none does.
pub fn merged_free_busy(events: &[Event], start: i64, end: i64, interval: i64) -> String {
    let interval = interval.max(1);
    let mut slots = String::new();
    let mut slot = start;
    while slot < end {
        let slot_end = (slot + interval).min(end);
        let busiest = events
            .iter()
            .filter(|e| e.start < slot_end && e.end > slot && e.busy != BusyType::NoData)
            .map(|e| e.busy)
            .max_by_key(|b| b.weight())
            .unwrap_or(BusyType::Free);
        slots.push(busiest.digit());
        slot += interval;
    }
    slots
}

/// One yearly transition of a `t:SerializableTimeZoneTime`: at `time` seconds after midnight
/// (local, before the change) of the `day_order`th (5: last) `weekday` (0 Sunday) of `month`,
/// the bias becomes the zone's bias plus `bias` minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub bias: i64,
    pub time: i64,
    pub day_order: i64,
    pub month: i64,
    pub weekday: i64,
}

/// The time zone of a GetUserAvailability request (`t:TimeZone`): UTC = local + bias minutes;
/// in daylight time the daylight bias is added, otherwise the standard one. Without daylight
/// transitions (month 0) the standard bias always applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestZone {
    pub bias: i64,
    pub standard: Option<Transition>,
    pub daylight: Option<Transition>,
}

const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The civil year of a day count.
fn year_of(days: i64) -> i64 {
    let mut y = 1970 + days.div_euclid(365);
    while days_from_civil(y, 1, 1) > days {
        y -= 1;
    }
    while days_from_civil(y + 1, 1, 1) <= days {
        y += 1;
    }
    y
}

impl Transition {
    /// The local moment (seconds, as if local time were UTC) of this transition in `year`.
    fn local_moment(&self, year: i64) -> i64 {
        let month_len = days_from_civil(year + i64::from(self.month == 12), self.month % 12 + 1, 1)
            - days_from_civil(year, self.month, 1);
        let first = days_from_civil(year, self.month, 1);
        // 1970-01-01 was a Thursday (4).
        let first_weekday = (first + 4).rem_euclid(7);
        let mut day = (self.weekday - first_weekday).rem_euclid(7) + 7 * (self.day_order - 1);
        while day >= month_len {
            day -= 7;
        }
        (first + day) * DAY + self.time
    }
}

impl RequestZone {
    /// The daylight rule when the zone has one that applies.
    fn rules(&self) -> Option<(Transition, Transition)> {
        match (self.standard, self.daylight) {
            (Some(s), Some(d)) if (1..=12).contains(&s.month) && (1..=12).contains(&d.month) => {
                Some((s, d))
            }
            _ => None,
        }
    }

    /// Minutes to add to UTC moment `utc` for local time there.
    pub fn offset_minutes(&self, utc: i64) -> i64 {
        let standard_bias = self.bias + self.standard.map_or(0, |s| s.bias);
        let Some((standard, daylight)) = self.rules() else {
            return -standard_bias;
        };
        let daylight_bias = self.bias + daylight.bias;
        let year = year_of((utc - standard_bias * 60).div_euclid(DAY));
        // Daylight time starts at local standard time, standard time at local daylight time.
        let daylight_starts = daylight.local_moment(year) + standard_bias * 60;
        let standard_starts = standard.local_moment(year) + daylight_bias * 60;
        let in_daylight = if daylight_starts < standard_starts {
            utc >= daylight_starts && utc < standard_starts
        } else {
            utc >= daylight_starts || utc < standard_starts
        };
        -(if in_daylight {
            daylight_bias
        } else {
            standard_bias
        })
    }

    /// A request time: with `Z` or an offset it is that moment; without, local time in this zone.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let moment = i64::try_from(parse_datetime(text)?).ok()?;
        if has_zone(text) {
            return Some(moment);
        }
        let guess = moment - self.offset_minutes(moment) * 60;
        Some(moment - self.offset_minutes(guess) * 60)
    }

    /// `utc` as local time in this zone with its offset: `2006-10-16T06:00:00-07:00`.
    pub fn format(&self, utc: i64) -> String {
        let offset = self.offset_minutes(utc);
        let local = u64::try_from(utc + offset * 60).unwrap_or(0);
        let text = super::format_utc(local);
        let sign = if offset < 0 { '-' } else { '+' };
        format!(
            "{}{sign}{:02}:{:02}",
            text.trim_end_matches('Z'),
            offset.abs() / 60,
            offset.abs() % 60
        )
    }
}

/// Whether an `xs:dateTime` text names its zone (`Z` or `±hh:mm` after the time).
fn has_zone(text: &str) -> bool {
    let text = text.trim();
    let time = text.get(11..).unwrap_or("");
    time.ends_with('Z') || time.contains('+') || time.contains('-')
}

/// `hh:mm:ss` → seconds after midnight.
pub fn parse_clock(text: &str) -> Option<i64> {
    let mut parts = text.trim().split(':').map(|p| p.parse::<i64>().ok());
    let h = parts.next()??;
    let m = parts.next().flatten().unwrap_or(0);
    let s = parts.next().flatten().unwrap_or(0);
    ((0..24).contains(&h) && (0..60).contains(&m) && (0..60).contains(&s))
        .then_some(h * 3600 + m * 60 + s)
}

/// `Sunday` .. `Saturday` → 0 .. 6.
pub fn parse_weekday(text: &str) -> Option<i64> {
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    DAYS.iter()
        .position(|d| *d == text.trim())
        .and_then(|p| i64::try_from(p).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The zone of the documented request: UTC-8, daylight UTC-7 from the first Sunday of April
    /// to the last Sunday of October, at 02:00.
    fn pacific_2006() -> RequestZone {
        RequestZone {
            bias: 480,
            standard: Some(Transition {
                bias: 0,
                time: 7200,
                day_order: 5,
                month: 10,
                weekday: 0,
            }),
            daylight: Some(Transition {
                bias: -60,
                time: 7200,
                day_order: 1,
                month: 4,
                weekday: 0,
            }),
        }
    }

    fn utc(text: &str) -> i64 {
        i64::try_from(parse_datetime(text).expect("time")).expect("after 1970")
    }

    #[test]
    fn local_times_convert_both_ways_across_daylight_saving() {
        let zone = pacific_2006();
        assert_eq!(
            zone.parse("2006-10-16T06:00:00"),
            Some(utc("2006-10-16T13:00:00Z"))
        );
        assert_eq!(
            zone.format(utc("2006-10-16T13:00:00Z")),
            "2006-10-16T06:00:00-07:00"
        );
        assert_eq!(
            zone.format(utc("2006-12-01T20:00:00Z")),
            "2006-12-01T12:00:00-08:00"
        );
        // 2006: daylight from Sunday 2 April, standard from Sunday 29 October.
        assert_eq!(zone.offset_minutes(utc("2006-04-02T09:59:59Z")), -480);
        assert_eq!(zone.offset_minutes(utc("2006-04-02T10:00:00Z")), -420);
        assert_eq!(zone.offset_minutes(utc("2006-10-29T08:59:59Z")), -420);
        assert_eq!(zone.offset_minutes(utc("2006-10-29T09:00:00Z")), -480);
        assert_eq!(
            zone.parse("2006-10-16T06:00:00Z"),
            Some(utc("2006-10-16T06:00:00Z"))
        );
        let plain = RequestZone::default();
        assert_eq!(
            plain.format(utc("2026-01-05T09:30:00Z")),
            "2026-01-05T09:30:00+00:00"
        );
    }

    fn event(start: &str, end: &str, busy: BusyType) -> Event {
        Event {
            seq: 1,
            start: utc(start),
            end: utc(end),
            busy,
            subject: String::new(),
            location: String::new(),
            is_meeting: false,
            is_recurring: false,
            is_reminder_set: false,
            is_private: false,
        }
    }

    #[test]
    fn merged_slots_take_the_weightiest_overlapping_status() {
        let events = [
            event(
                "2026-01-05T09:00:00Z",
                "2026-01-05T10:00:00Z",
                BusyType::Busy,
            ),
            event(
                "2026-01-05T09:30:00Z",
                "2026-01-05T11:00:00Z",
                BusyType::Tentative,
            ),
            event(
                "2026-01-05T12:15:00Z",
                "2026-01-05T12:45:00Z",
                BusyType::Oof,
            ),
        ];
        let merged = merged_free_busy(
            &events,
            utc("2026-01-05T08:00:00Z"),
            utc("2026-01-05T14:00:00Z"),
            3600,
        );
        assert_eq!(merged, "021030");
        let half_hours = merged_free_busy(
            &events,
            utc("2026-01-05T08:00:00Z"),
            utc("2026-01-05T10:15:00Z"),
            1800,
        );
        assert_eq!(half_hours, "00221");
    }

    #[test]
    fn clock_and_weekday_texts() {
        assert_eq!(parse_clock("02:00:00"), Some(7200));
        assert_eq!(parse_clock("25:00:00"), None);
        assert_eq!(parse_weekday("Saturday"), Some(6));
        assert_eq!(parse_weekday("Weekday"), None);
    }
}
