//! Windows time zones: the definitions GetServerTimeZones answers, generated from IANA data.
//!
//! The zones are the Windows zone ids of CLDR's `windowsZones` mapping (release 48, copied into
//! `data/cldr/` with its licence), each with the canonical IANA zone CLDR gives it (territory
//! `001`). Their rules come from the IANA time-zone database bundled with `jiff`: for each zone,
//! the transitions of the current year (UTC). A zone with one change to daylight time and one
//! back that year gets two periods (`Standard`, `Daylight`) and one transitions group of two
//! `RecurringDayTransition`s (month, weekday, occurrence — `-1` for the last one of the month
//! when it is the last in the next year too — and the wall-clock time before the change); any
//! other zone one `Standard` period. `Bias` is minutes west of UTC, as Windows counts (Pacific
//! Standard Time: `PT8H`; W. Europe Standard Time: `-PT1H`).
//!
//! The display name is `(UTC±hh:mm) ` and the id (`(UTC-08:00) Pacific Standard Time`): the
//! localized Windows names are not in CLDR. Zones are listed by standard offset, then id.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::{Offset, TimeZone};

/// The CLDR mapping, as shipped.
const WINDOWS_ZONES_JSON: &str = include_str!("../data/cldr/windowsZones.json");

/// A recurring change of offset: the `occurrence`-th `weekday` of `month` (`-1`: the last), at
/// `time` seconds after local midnight (wall clock before the change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    pub month: i8,
    pub weekday: Weekday,
    pub occurrence: i8,
    pub time: i32,
}

/// Daylight time: its offset and when it starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Daylight {
    /// Seconds east of UTC during daylight time.
    pub offset: i32,
    pub starts: Recurrence,
    pub ends: Recurrence,
}

/// One Windows time zone with its current rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsZone {
    /// The Windows id (`Pacific Standard Time`).
    pub id: String,
    /// The canonical IANA zone (`America/Los_Angeles`).
    pub iana: String,
    /// Seconds east of UTC of standard time.
    pub standard_offset: i32,
    pub daylight: Option<Daylight>,
    /// The year the rules were taken from.
    pub year: i16,
}

impl WindowsZone {
    /// `(UTC-08:00) Pacific Standard Time`; `(UTC) Coordinated Universal Time` style for UTC.
    pub fn display_name(&self) -> String {
        let minutes = self.standard_offset / 60;
        let sign = if minutes < 0 { '-' } else { '+' };
        let minutes = minutes.abs();
        format!(
            "(UTC{sign}{:02}:{:02}) {}",
            minutes / 60,
            minutes % 60,
            self.id
        )
    }

    /// The id of one of its periods (`Standard`, `Daylight`).
    pub fn period_id(&self, period: &str) -> String {
        format!(
            "trule:Microsoft/Registry/{}/{}-{period}",
            self.id, self.year
        )
    }
}

/// `Bias` as an `xs:duration`: minutes west of UTC of `offset` seconds east (`PT8H`,
/// `-PT5H30M`, `PT0M`).
pub fn bias_duration(offset: i32) -> String {
    duration(-offset)
}

/// Seconds as an `xs:duration` of hours and minutes (`PT2H`, `-PT1H`, `PT0M`).
pub fn duration(seconds: i32) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let minutes = seconds.abs() / 60;
    let (hours, minutes) = (minutes / 60, minutes % 60);
    match (hours, minutes) {
        (0, m) => format!("{sign}PT{m}M"),
        (h, 0) => format!("{sign}PT{h}H"),
        (h, m) => format!("{sign}PT{h}H{m}M"),
    }
}

/// Every zone, by standard offset then id. Built at first use.
pub fn all() -> &'static [WindowsZone] {
    static ZONES: OnceLock<Vec<WindowsZone>> = OnceLock::new();
    ZONES.get_or_init(|| {
        let year = Offset::UTC.to_datetime(Timestamp::now()).year();
        let mut zones: Vec<WindowsZone> = canonical_mapping()
            .into_iter()
            .filter_map(|(id, iana)| zone(id, iana, year))
            .collect();
        zones.sort_by(|a, b| {
            a.standard_offset
                .cmp(&b.standard_offset)
                .then_with(|| a.id.cmp(&b.id))
        });
        zones
    })
}

/// The zone with Windows id `id` (case-insensitive, as Windows compares ids).
pub fn find(id: &str) -> Option<&'static WindowsZone> {
    all().iter().find(|z| z.id.eq_ignore_ascii_case(id.trim()))
}

/// (Windows id, canonical IANA zone) pairs of the CLDR mapping (territory `001`).
fn canonical_mapping() -> Vec<(String, String)> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(WINDOWS_ZONES_JSON) else {
        return Vec::new();
    };
    let entries = json["supplemental"]["windowsZones"]["mapTimezones"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    entries
        .iter()
        .filter_map(|entry| {
            let zone = &entry["mapZone"];
            let territory = zone["_territory"].as_str()?;
            (territory == "001").then(|| {
                Some((
                    zone["_other"].as_str()?.to_string(),
                    zone["_type"]
                        .as_str()?
                        .split_whitespace()
                        .next()?
                        .to_string(),
                ))
            })?
        })
        .collect()
}

fn year_start(year: i16) -> Option<Timestamp> {
    Offset::UTC
        .to_timestamp(jiff::civil::date(year, 1, 1).at(0, 0, 0, 0))
        .ok()
}

/// A change of offset: when, and the offsets before and after.
#[derive(Debug, Clone, Copy)]
struct Change {
    at: Timestamp,
    before: Offset,
    after: Offset,
    into_dst: bool,
}

fn changes(tz: &TimeZone, year: i16) -> Option<Vec<Change>> {
    let (start, end) = (year_start(year)?, year_start(year + 1)?);
    let before_start = start.checked_sub(jiff::SignedDuration::from_secs(1)).ok()?;
    Some(
        tz.following(before_start)
            .take_while(|t| t.timestamp() < end)
            .filter(|t| t.timestamp() >= start)
            .filter_map(|t| {
                let just_before = t
                    .timestamp()
                    .checked_sub(jiff::SignedDuration::from_secs(1))
                    .ok()?;
                let before = tz.to_offset_info(just_before).offset();
                (before != t.offset()).then(|| Change {
                    at: t.timestamp(),
                    before,
                    after: t.offset(),
                    into_dst: t.dst().is_dst(),
                })
            })
            .collect(),
    )
}

/// The recurrence of `change` (`next_year`: the same change a year later, to tell "the last"
/// from "the fourth").
fn recurrence(change: &Change, next_year: Option<&Change>) -> Recurrence {
    let local = change.before.to_datetime(change.at);
    let in_last_week = |c: &Change| {
        let l = c.before.to_datetime(c.at);
        l.day() + 7 > l.days_in_month()
    };
    let occurrence = if in_last_week(change) && next_year.is_none_or(in_last_week) {
        -1
    } else {
        (local.day() - 1) / 7 + 1
    };
    Recurrence {
        month: local.month(),
        weekday: local.weekday(),
        occurrence,
        time: i32::from(local.hour()) * 3600
            + i32::from(local.minute()) * 60
            + i32::from(local.second()),
    }
}

fn zone(id: String, iana: String, year: i16) -> Option<WindowsZone> {
    let tz = TimeZone::get(&iana).ok()?;
    let this_year = changes(&tz, year)?;
    let next_year = changes(&tz, year + 1).unwrap_or_default();
    let pair = |changes: &[Change]| -> Option<(Change, Change)> {
        match changes {
            [a, b] if a.into_dst != b.into_dst => {
                Some(if a.into_dst { (*a, *b) } else { (*b, *a) })
            }
            _ => None,
        }
    };
    let (standard_offset, daylight) = match pair(&this_year) {
        Some((to_daylight, to_standard)) => {
            let next = pair(&next_year);
            let starts = recurrence(&to_daylight, next.as_ref().map(|(d, _)| d));
            let ends = recurrence(&to_standard, next.as_ref().map(|(_, s)| s));
            let (standard, daylight) = (to_standard.after.seconds(), to_daylight.after.seconds());
            // Negative daylight time (Europe/Dublin's winter): Windows calls the summer offset
            // daylight time, the larger one.
            if daylight >= standard {
                (
                    standard,
                    Some(Daylight {
                        offset: daylight,
                        starts,
                        ends,
                    }),
                )
            } else {
                (
                    daylight,
                    Some(Daylight {
                        offset: standard,
                        starts: ends,
                        ends: starts,
                    }),
                )
            }
        }
        None => {
            // A zone whose offset changed for good this year: the offset at its end.
            let offset = match this_year.last() {
                Some(change) => change.after,
                None => tz.to_offset_info(year_start(year)?).offset(),
            };
            (offset.seconds(), None)
        }
    };
    Some(WindowsZone {
        id,
        iana,
        standard_offset,
        daylight,
        year,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_exchange_writes_biases() {
        assert_eq!(bias_duration(-8 * 3600), "PT8H");
        assert_eq!(bias_duration(3600), "-PT1H");
        assert_eq!(bias_duration(5 * 3600 + 1800), "-PT5H30M");
        assert_eq!(bias_duration(0), "PT0M");
        assert_eq!(duration(2 * 3600), "PT2H");
    }

    #[test]
    fn the_mapping_has_every_windows_zone_once() {
        let zones = all();
        assert!(zones.len() > 130, "{}", zones.len());
        let mut ids: Vec<&str> = zones.iter().map(|z| z.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), zones.len());
    }

    #[test]
    fn pacific_time_changes_on_the_second_sunday_of_march_and_the_first_of_november() {
        let pacific = find("pacific standard time").expect("zone");
        assert_eq!(pacific.iana, "America/Los_Angeles");
        assert_eq!(pacific.standard_offset, -8 * 3600);
        let daylight = pacific.daylight.expect("DST");
        assert_eq!(daylight.offset, -7 * 3600);
        assert_eq!(
            daylight.starts,
            Recurrence {
                month: 3,
                weekday: Weekday::Sunday,
                occurrence: 2,
                time: 2 * 3600
            }
        );
        assert_eq!(
            daylight.ends,
            Recurrence {
                month: 11,
                weekday: Weekday::Sunday,
                occurrence: 1,
                time: 2 * 3600
            }
        );
        assert_eq!(pacific.display_name(), "(UTC-08:00) Pacific Standard Time");
    }

    #[test]
    fn europe_changes_on_last_sundays_and_the_southern_hemisphere_the_other_way_round() {
        let europe = find("W. Europe Standard Time").expect("zone");
        assert_eq!(europe.standard_offset, 3600);
        let daylight = europe.daylight.expect("DST");
        assert_eq!((daylight.starts.month, daylight.starts.occurrence), (3, -1));
        assert_eq!((daylight.ends.month, daylight.ends.occurrence), (10, -1));
        assert_eq!(
            (daylight.starts.time, daylight.ends.time),
            (2 * 3600, 3 * 3600)
        );
        let sydney = find("AUS Eastern Standard Time").expect("zone");
        assert_eq!(sydney.standard_offset, 10 * 3600);
        let daylight = sydney.daylight.expect("DST");
        assert_eq!((daylight.starts.month, daylight.ends.month), (10, 4));
        assert_eq!(daylight.starts.occurrence, 1);
    }

    #[test]
    fn zones_without_daylight_time_have_one_offset() {
        let utc = find("UTC").expect("zone");
        assert_eq!((utc.standard_offset, utc.daylight), (0, None));
        let india = find("India Standard Time").expect("zone");
        assert_eq!((india.standard_offset, india.daylight), (19800, None));
        let tokyo = find("Tokyo Standard Time").expect("zone");
        assert_eq!(tokyo.daylight, None);
    }
}
