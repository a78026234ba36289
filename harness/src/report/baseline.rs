//! Baselines: the known divergences of a target server, so that a nightly job turns red only on
//! regressions (and, with `--strict-baseline`, on newly fixed cases).
//!
//! The file is YAML, a map from case id to either a reason string or `{reason, link}`:
//! ```yaml
//! im/add_group_twice: returns NoError instead of ErrorImGroupDisplayNameAlreadyExists
//! im/remove_contact:
//!   reason: wrong ResponseCode
//!   link: https://tracker.example/EWS-12
//! ```
//! A top-level `grade: recommended` (or `--baseline-grade recommended`) makes the baseline accept
//! divergences of `recommended` cases only: a listed `required` case that fails still fails.
//!
//! [`apply_baseline`] turns listed failing/erroring cases into expected failures and listed
//! passing cases into unexpected passes. [`Baseline::from_report`] + [`Baseline::write`] are
//! `--write-baseline`.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::atomic_write;
use super::model::{CaseStatus, Grade, RunReport};
use super::text::clean;
use crate::yaml;

/// Known divergences: case id -> reason (text or link).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Case id -> why it is a known divergence.
    pub entries: BTreeMap<String, String>,
    /// Case id -> link to a ticket or discussion, for entries that have one.
    pub links: BTreeMap<String, String>,
    /// The strictest grade whose divergences the baseline accepts: `Some(Recommended)` accepts
    /// recommended cases only; `None` (or `Required`) accepts any listed case.
    pub grade: Option<Grade>,
}

/// The key of the baseline file that sets [`Baseline::grade`].
pub const GRADE_KEY: &str = "grade";

/// Errors loading or writing a baseline file.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read or written.
    #[error("baseline {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not a valid baseline.
    #[error("{}:{line}:{column}: {message}{snippet}", path.display())]
    Parse {
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        message: String,
        /// The offending line with a caret under the column (starts with a newline), or empty.
        snippet: String,
    },
    /// The baseline could not be turned into YAML.
    #[error("baseline {}: cannot serialize: {message}", path.display())]
    Serialize { path: PathBuf, message: String },
}

const HEADER: &str = "\
# ews-conformance baseline: known divergences of the target server.
# Listed cases that fail or error are reported as expected failures and do not fail the run;
# listed cases that pass are reported as unexpected passes: remove them from this file.
# Format: `case-id: reason`, or `case-id: {reason: ..., link: ...}`. See reports/FORMAT.md.
";

impl Baseline {
    /// Reads a baseline file. Errors point at `file:line:col`.
    pub fn load(path: impl AsRef<Path>) -> Result<Baseline, BaselineError> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: path.to_owned(),
            source,
        })?;
        Baseline::parse(&text, path)
    }

    /// Parses the text of a baseline file; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let raw: Option<RawBaseline> = yaml::from_str(text).map_err(|error| {
            let message = clean_message(&error.to_string());
            let (line, column) = yaml::error_location(&error).unwrap_or((1, 1));
            let (line, column) =
                refine_unknown_field(text, &message, line).unwrap_or((line, column));
            BaselineError::Parse {
                path: path.to_owned(),
                line,
                column,
                message,
                snippet: snippet(text, line, column),
            }
        })?;
        let invalid = |id: &str, occurrence: usize, message: String| {
            let (line, column) = locate_key(text, id, occurrence).unwrap_or((1, 1));
            BaselineError::Parse {
                path: path.to_owned(),
                line,
                column,
                message,
                snippet: snippet(text, line, column),
            }
        };
        let mut baseline = Baseline::default();
        for (id, entry) in raw.map(|r| r.0).unwrap_or_default() {
            if id == GRADE_KEY {
                baseline.grade = Some(match entry.reason.trim() {
                    "required" => Grade::Required,
                    "recommended" => Grade::Recommended,
                    other => {
                        return Err(invalid(
                            &id,
                            1,
                            format!(
                                "`grade: {other}` is not a grade: use `recommended` (accept \
                                 divergences of recommended cases only) or `required` (any)"
                            ),
                        ));
                    }
                });
                continue;
            }
            if id.trim().is_empty() {
                return Err(invalid(&id, 1, "empty case id".to_owned()));
            }
            if baseline.entries.contains_key(&id) {
                return Err(invalid(
                    &id,
                    2,
                    format!("case `{id}` is listed twice; keep one entry"),
                ));
            }
            if entry.reason.trim().is_empty() {
                return Err(invalid(
                    &id,
                    1,
                    format!("case `{id}` has an empty reason; say why it is a known divergence"),
                ));
            }
            if let Some(link) = entry.link {
                baseline.links.insert(id.clone(), link);
            }
            baseline.entries.insert(id, entry.reason);
        }
        Ok(baseline)
    }

    /// The current failures of `report` as a baseline: every `fail` and `error` case, with the
    /// first mismatch or error line as reason; `expected-failure` cases keep their baseline
    /// reason.
    pub fn from_report(report: &RunReport) -> Baseline {
        let mut baseline = Baseline::default();
        for case in &report.cases {
            let reason = match case.status {
                CaseStatus::Fail | CaseStatus::Error => case.problem_summary(),
                CaseStatus::ExpectedFailure => {
                    case.reason.clone().or_else(|| case.problem_summary())
                }
                _ => continue,
            };
            let reason = reason.unwrap_or_else(|| case.status.label().to_owned());
            baseline.entries.insert(case.id.clone(), clean(&reason));
        }
        baseline
    }

    /// Writes the baseline atomically: a header comment, then the entries sorted by case id.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), BaselineError> {
        let path = path.as_ref();
        let text = self.to_yaml().map_err(|error| BaselineError::Serialize {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
        atomic_write(path, |out| out.write_all(text.as_bytes())).map_err(|source| {
            BaselineError::Io {
                path: path.to_owned(),
                source,
            }
        })
    }

    /// The file text [`Baseline::write`] writes.
    pub fn to_yaml(&self) -> Result<String, yaml::Error> {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Entry<'a> {
            Reason(&'a str),
            Linked { reason: &'a str, link: &'a str },
        }
        let entries: BTreeMap<&str, Entry<'_>> = self
            .entries
            .iter()
            .map(|(id, reason)| {
                let entry = match self.links.get(id) {
                    Some(link) => Entry::Linked { reason, link },
                    None => Entry::Reason(reason),
                };
                (id.as_str(), entry)
            })
            .collect();
        let body = if entries.is_empty() {
            "{}\n".to_owned()
        } else {
            yaml::to_string(&entries)?
        };
        let grade = self
            .grade
            .map(|g| format!("{GRADE_KEY}: {}\n", g.label()))
            .unwrap_or_default();
        Ok(format!("{HEADER}{grade}{body}"))
    }

    /// Whether a listed case of `grade` may be accepted as a known divergence.
    pub fn accepts(&self, grade: Grade) -> bool {
        self.grade.is_none_or(|strictest| grade >= strictest)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the baseline lists nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries naming no case of `report` (stale ids, or cases not selected in this run).
    pub fn unmatched_ids<'a>(&'a self, report: &RunReport) -> Vec<&'a str> {
        let ids: std::collections::HashSet<&str> =
            report.cases.iter().map(|c| c.id.as_str()).collect();
        self.entries
            .keys()
            .map(String::as_str)
            .filter(|id| !ids.contains(id))
            .collect()
    }

    /// The reason shown for `id`: the reason, followed by the link in parentheses if any.
    pub fn reason_for(&self, id: &str) -> Option<String> {
        let reason = self.entries.get(id)?;
        Some(match self.links.get(id) {
            Some(link) => format!("{reason} ({link})"),
            None => reason.clone(),
        })
    }
}

/// Marks failing/erroring cases listed in the baseline as expected failures and passing listed
/// cases as unexpected passes (keeping the raw status in `raw_status`).
///
/// The case's `reason` becomes the baseline reason (with its link). Ignored cases and cases not
/// listed are left alone; applying the same baseline twice changes nothing more.
pub fn apply_baseline(report: &mut RunReport, baseline: &Baseline) {
    for case in &mut report.cases {
        let Some(reason) = baseline.reason_for(&case.id) else {
            continue;
        };
        if !baseline.accepts(case.grade)
            && matches!(case.status, CaseStatus::Fail | CaseStatus::Error)
        {
            // A required case: the baseline may not excuse it; its failure stays a failure.
            continue;
        }
        let new_status = match case.status {
            CaseStatus::Fail | CaseStatus::Error => CaseStatus::ExpectedFailure,
            CaseStatus::Pass => CaseStatus::UnexpectedPass,
            CaseStatus::Ignored
            | CaseStatus::Unsupported
            | CaseStatus::ExpectedFailure
            | CaseStatus::UnexpectedPass => {
                continue;
            }
        };
        case.raw_status = Some(case.status);
        case.status = new_status;
        case.reason = Some(reason);
    }
}

/// The parsed file: entries in file order, duplicates kept (so they can be reported with their
/// position, which the YAML backend does not give for errors raised while visiting a map).
struct RawBaseline(Vec<(String, RawEntry)>);

struct RawEntry {
    reason: String,
    link: Option<String>,
}

impl<'de> Deserialize<'de> for RawBaseline {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = RawBaseline;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from case id to a reason or {reason, link}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawBaseline, A::Error> {
                let mut entries: Vec<(String, RawEntry)> = Vec::new();
                while let Some(id) = map.next_key::<String>()? {
                    let entry: RawEntry = map.next_value()?;
                    entries.push((id, entry));
                }
                Ok(RawBaseline(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor)
    }
}

impl<'de> Deserialize<'de> for RawEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = RawEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a reason string or a map with `reason` and optional `link`")
            }
            fn visit_str<E: de::Error>(self, reason: &str) -> Result<RawEntry, E> {
                Ok(RawEntry {
                    reason: reason.to_owned(),
                    link: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEntry, A::Error> {
                let mut reason: Option<String> = None;
                let mut link: Option<String> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "reason" => &mut reason,
                        "link" => &mut link,
                        other => return Err(de::Error::unknown_field(other, &["reason", "link"])),
                    };
                    if slot.is_some() {
                        return Err(de::Error::custom(format!("`{key}` is given twice")));
                    }
                    *slot = Some(map.next_value()?);
                }
                match reason {
                    Some(reason) => Ok(RawEntry { reason, link }),
                    None => Err(de::Error::missing_field("reason")),
                }
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

/// 1-based (line, column) of the `occurrence`-th top-level key `id` in a block mapping
/// (`id:`, `"id":` or `'id':` at the start of a line).
fn locate_key(text: &str, id: &str, occurrence: usize) -> Option<(usize, usize)> {
    let forms = [format!("{id}:"), format!("\"{id}\":"), format!("'{id}':")];
    text.lines()
        .enumerate()
        .filter(|(_, line)| forms.iter().any(|form| line.starts_with(form.as_str())))
        .nth(occurrence.saturating_sub(1))
        .map(|(index, _)| (index + 1, 1))
}

/// The backend places an unknown field of an entry at the start of the entry's map; point at
/// the key itself: the first line from `line` on whose content starts with `key:`.
fn refine_unknown_field(text: &str, message: &str, line: usize) -> Option<(usize, usize)> {
    let key = message.split("unknown field `").nth(1)?.split('`').next()?;
    let wanted = format!("{key}:");
    text.lines()
        .enumerate()
        .skip(line.saturating_sub(1))
        .find_map(|(index, content)| {
            let trimmed = content.trim_start();
            trimmed.starts_with(&wanted).then(|| {
                let indent = &content[..content.len() - trimmed.len()];
                (index + 1, indent.chars().count() + 1)
            })
        })
}

/// The backend's message without its own trailing position (the error shows `file:line:col`).
fn clean_message(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// The 1-based `line` of `text` with a caret under `column`, or empty when out of range.
fn snippet(text: &str, line: usize, column: usize) -> String {
    let Some(source) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let indent: String = source
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("\n{pad} |\n{number} | {}\n{pad} | {indent}^", clean(source))
}
