//! Operation coverage: for every EWS operation ([`crate::operations::ALL`], 125 names), how
//! many cases exercise it and how they fared. Shown by the `coverage` command
//! ([`render_text`]), in the HTML report and in the JSON report (`coverage` key, derived from
//! the report's cases).
//!
//! A case counts once for each operation it exercises. Operations named by cases but missing
//! from the list (a typo, a private extension) are listed apart so they are not lost.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::model::{CaseStatus, RunReport};
use super::text::clean;
use crate::operations;

/// Coverage of all EWS operations by a set of cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Number of operations of the EWS list with at least one case.
    pub covered: usize,
    /// Number of operations in the EWS list (125).
    pub total: usize,
    /// One row per EWS operation, in the list's (alphabetical) order.
    pub operations: Vec<OperationCoverage>,
    /// Operations named by cases that are not EWS operations, sorted by name.
    pub unknown_operations: Vec<OperationCoverage>,
}

/// Coverage of one operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationCoverage {
    /// Operation name (`AddImGroup`).
    pub operation: String,
    /// Version that introduced the operation, as the EWS reference states it (may be empty).
    pub introduced: String,
    /// Ids of the cases exercising the operation, sorted.
    pub cases: Vec<String>,
    /// How many of those cases ended with each status (only statuses that occur).
    pub statuses: BTreeMap<CaseStatus, usize>,
    /// Cases that exercise the operation but are not in the report (not run, or no report given).
    pub not_run: usize,
}

impl OperationCoverage {
    fn new(operation: &str, introduced: &str) -> Self {
        OperationCoverage {
            operation: operation.to_owned(),
            introduced: introduced.to_owned(),
            cases: Vec::new(),
            statuses: BTreeMap::new(),
            not_run: 0,
        }
    }

    /// Number of cases with `status`.
    pub fn count(&self, status: CaseStatus) -> usize {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
}

impl Coverage {
    /// Coverage of the given cases (id, operations exercised). When `report` is given, each
    /// case's status is looked up in it by id; cases absent from it count as `not_run`.
    pub fn compute<'a, I>(cases: I, report: Option<&RunReport>) -> Coverage
    where
        I: IntoIterator<Item = (&'a str, &'a [String])>,
    {
        let statuses: BTreeMap<&str, CaseStatus> = report
            .map(|r| r.cases.iter().map(|c| (c.id.as_str(), c.status)).collect())
            .unwrap_or_default();
        let mut rows: Vec<OperationCoverage> = operations::ALL
            .iter()
            .map(|op| OperationCoverage::new(op.name, op.introduced))
            .collect();
        let mut unknown: BTreeMap<String, OperationCoverage> = BTreeMap::new();
        for (id, ops) in cases {
            let mut seen: Vec<&str> = Vec::with_capacity(ops.len());
            for op in ops {
                if seen.contains(&op.as_str()) {
                    continue;
                }
                seen.push(op);
                let row = match operations::ALL.binary_search_by(|o| o.name.cmp(op)) {
                    Ok(index) => &mut rows[index],
                    Err(_) => unknown
                        .entry(op.clone())
                        .or_insert_with(|| OperationCoverage::new(op, "")),
                };
                row.cases.push(id.to_owned());
                match statuses.get(id) {
                    Some(status) => *row.statuses.entry(*status).or_insert(0) += 1,
                    None => row.not_run += 1,
                }
            }
        }
        for row in rows.iter_mut().chain(unknown.values_mut()) {
            row.cases.sort();
        }
        Coverage {
            covered: rows.iter().filter(|r| !r.cases.is_empty()).count(),
            total: rows.len(),
            operations: rows,
            unknown_operations: unknown.into_values().collect(),
        }
    }

    /// Coverage of the cases of a run, with their statuses.
    pub fn from_report(report: &RunReport) -> Coverage {
        let cases: Vec<(&str, Vec<String>)> = report
            .cases
            .iter()
            .map(|c| {
                let ops = c
                    .exercised_operations()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                (c.id.as_str(), ops)
            })
            .collect();
        Coverage::compute(
            cases.iter().map(|(id, ops)| (*id, ops.as_slice())),
            Some(report),
        )
    }
}

/// Short column headings of the status columns, in [`CaseStatus::ALL`] order.
const STATUS_HEADINGS: [&str; 7] = [
    "pass", "fail", "error", "ignored", "unsup", "xfail", "xpass",
];

/// The coverage table as plain text, for the `coverage` command: one row per operation
/// (uncovered ones marked `-`), then unknown operations, then the covered count.
pub fn render_text(coverage: &Coverage) -> String {
    let width = coverage
        .operations
        .iter()
        .chain(&coverage.unknown_operations)
        .map(|r| r.operation.chars().count())
        .max()
        .unwrap_or(0)
        .max("operation".len());
    let since_width = coverage
        .operations
        .iter()
        .map(|r| r.introduced.chars().count())
        .max()
        .unwrap_or(0)
        .max("since".len());
    let mut out = String::new();
    let _ = write!(
        out,
        "{:<width$}  {:<since_width$}  cases",
        "operation", "since"
    );
    for heading in STATUS_HEADINGS {
        let _ = write!(out, "  {heading:>7}");
    }
    out.push_str("  not-run\n");
    let row = |out: &mut String, r: &OperationCoverage| {
        let name = clean(&r.operation);
        let _ = write!(
            out,
            "{name:<width$}  {:<since_width$}",
            clean(&r.introduced)
        );
        if r.cases.is_empty() {
            let _ = writeln!(out, "  {:>5}", "-");
            return;
        }
        let _ = write!(out, "  {:>5}", r.cases.len());
        for status in CaseStatus::ALL {
            let _ = write!(out, "  {:>7}", r.count(status));
        }
        let _ = writeln!(out, "  {:>7}", r.not_run);
    };
    for r in &coverage.operations {
        row(&mut out, r);
    }
    if !coverage.unknown_operations.is_empty() {
        out.push_str(
            "\nnot EWS operations (the Autodiscover service's, or check the case's `operation`):\n",
        );
        for r in &coverage.unknown_operations {
            row(&mut out, r);
        }
    }
    let percent = if coverage.total == 0 {
        0.0
    } else {
        coverage.covered as f64 * 100.0 / coverage.total as f64
    };
    let _ = writeln!(
        out,
        "\ncovered: {} of {} EWS operations ({percent:.1}%)",
        coverage.covered, coverage.total
    );
    out
}
