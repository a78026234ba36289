//! Merging the JSON reports of the shards of a partitioned run into one report.
//!
//! Rules (documented in `reports/FORMAT.md`):
//! - every report must have the current schema version and the same harness version;
//! - a case id may appear in only one report (shards are disjoint);
//! - the targets must agree: all embedded, or all the same URL (embedded servers listen on a
//!   different loopback port on each machine, so their URLs are not compared);
//! - `run_id`: the common run id, or the distinct run ids sorted and joined with `+` (each CI
//!   machine usually makes its own run id);
//! - `started_at` = earliest, `duration_ms` = longest, `interrupted` = any, `partition` = none,
//!   `target.quirks` = union, server version/build = first known;
//! - cases sorted by id.
//!
//! [`merge_servers`] is the `merge` command's entry: it groups the reports by target first (the
//! URL; for the embedded server its set of quirks, since each quirk set is another server),
//! merges the shards of each group with the rules above, and returns one report per server.
//! More than one server makes the command write the cases × servers matrix
//! ([`super::matrix`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::ReportError;
use super::json;
use super::model::{REPORT_SCHEMA_VERSION, RunReport};

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no reports to merge")]
    Empty,
    /// A report could not be read.
    #[error(transparent)]
    Read(#[from] ReportError),
    /// A report has another schema version.
    #[error(
        "{shard} has report schema version {found}, expected {expected}: merge reports written by the same harness"
    )]
    SchemaVersion {
        shard: String,
        found: u32,
        expected: u32,
    },
    /// Reports written by different harness versions.
    #[error(
        "{shard} was written by harness {found}, {first} by {expected}: merge reports of one build"
    )]
    HarnessVersion {
        shard: String,
        found: String,
        first: String,
        expected: String,
    },
    /// Reports of different targets.
    #[error("{shard} tested {found}, {first} tested {expected}: shards must test the same target")]
    Target {
        shard: String,
        found: String,
        first: String,
        expected: String,
    },
    /// The same case in two reports.
    #[error(
        "case `{id}` appears in both {first} and {second}: shards overlap (were they run with the same --partition N?)"
    )]
    DuplicateCase {
        id: String,
        first: String,
        second: String,
    },
}

/// Merges shard reports; see the module docs for the rules.
pub fn merge(reports: Vec<RunReport>) -> Result<RunReport, MergeError> {
    let labels: Vec<String> = reports
        .iter()
        .enumerate()
        .map(|(index, report)| match &report.partition {
            Some(partition) => format!("report #{} (partition {partition})", index + 1),
            None => format!("report #{}", index + 1),
        })
        .collect();
    merge_labelled(reports, &labels)
}

/// Reads the JSON reports at `paths` and merges them; errors name the files.
pub fn merge_files<P: AsRef<Path>>(paths: &[P]) -> Result<RunReport, MergeError> {
    let mut reports = Vec::with_capacity(paths.len());
    let mut labels = Vec::with_capacity(paths.len());
    for path in paths {
        let path: PathBuf = path.as_ref().to_owned();
        reports.push(json::read(&path)?);
        labels.push(path.display().to_string());
    }
    merge_labelled(reports, &labels)
}

/// Reads the JSON reports at `paths`, groups them by target and merges each group's shards;
/// one report per server, in the order their first report was given.
pub fn merge_servers<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<RunReport>, MergeError> {
    let mut groups: Vec<(String, Vec<RunReport>, Vec<String>)> = Vec::new();
    for path in paths {
        let path: PathBuf = path.as_ref().to_owned();
        let report = json::read(&path)?;
        let key = target_key(&report);
        let index = match groups.iter().position(|(k, _, _)| *k == key) {
            Some(i) => i,
            None => {
                groups.push((key, Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        groups[index].1.push(report);
        groups[index].2.push(path.display().to_string());
    }
    if groups.is_empty() {
        return Err(MergeError::Empty);
    }
    groups
        .into_iter()
        .map(|(_, reports, labels)| merge_labelled(reports, &labels))
        .collect()
}

/// What identifies a server across reports.
fn target_key(report: &RunReport) -> String {
    if report.target.embedded {
        let quirks: BTreeSet<&str> = report.target.quirks.iter().map(String::as_str).collect();
        format!(
            "embedded:{}",
            quirks.into_iter().collect::<Vec<_>>().join(",")
        )
    } else {
        report.target.url.clone()
    }
}

fn merge_labelled(reports: Vec<RunReport>, labels: &[String]) -> Result<RunReport, MergeError> {
    let Some(first) = reports.first() else {
        return Err(MergeError::Empty);
    };
    let label = |index: usize| labels.get(index).cloned().unwrap_or_default();
    for (index, report) in reports.iter().enumerate() {
        if report.schema_version != REPORT_SCHEMA_VERSION {
            return Err(MergeError::SchemaVersion {
                shard: label(index),
                found: report.schema_version,
                expected: REPORT_SCHEMA_VERSION,
            });
        }
        if report.harness_version != first.harness_version {
            return Err(MergeError::HarnessVersion {
                shard: label(index),
                found: report.harness_version.clone(),
                first: label(0),
                expected: first.harness_version.clone(),
            });
        }
        let same_target = if first.target.embedded || report.target.embedded {
            first.target.embedded == report.target.embedded
        } else {
            first.target.url == report.target.url
        };
        if !same_target {
            return Err(MergeError::Target {
                shard: label(index),
                found: describe_target(report),
                first: label(0),
                expected: describe_target(first),
            });
        }
    }

    let mut owner: BTreeMap<String, usize> = BTreeMap::new();
    for (index, report) in reports.iter().enumerate() {
        for case in &report.cases {
            if let Some(previous) = owner.insert(case.id.clone(), index) {
                return Err(MergeError::DuplicateCase {
                    id: case.id.clone(),
                    first: label(previous),
                    second: label(index),
                });
            }
        }
    }

    let run_ids: BTreeSet<&str> = reports.iter().map(|r| r.run_id.as_str()).collect();
    let run_id = run_ids.into_iter().collect::<Vec<_>>().join("+");
    let started_at = reports
        .iter()
        .map(|r| r.started_at.as_str())
        .min_by(|a, b| compare_times(a, b))
        .unwrap_or_default()
        .to_owned();
    let duration_ms = reports.iter().map(|r| r.duration_ms).max().unwrap_or(0);
    let interrupted = reports.iter().any(|r| r.interrupted);
    let mut target = first.target.clone();
    let quirks: BTreeSet<String> = reports
        .iter()
        .flat_map(|r| r.target.quirks.iter().cloned())
        .collect();
    target.quirks = quirks.into_iter().collect();
    target.server_version = reports.iter().find_map(|r| r.target.server_version.clone());
    target.server_build = reports.iter().find_map(|r| r.target.server_build.clone());
    let harness_version = first.harness_version.clone();

    let mut cases: Vec<_> = reports.into_iter().flat_map(|r| r.cases).collect();
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        harness_version,
        run_id,
        target,
        started_at,
        duration_ms,
        partition: None,
        interrupted,
        cases,
    })
}

fn describe_target(report: &RunReport) -> String {
    if report.target.embedded {
        "the embedded reference server".to_owned()
    } else {
        format!("`{}`", report.target.url)
    }
}

/// Orders RFC 3339 times by instant; a time that does not parse sorts after one that does.
fn compare_times(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}
