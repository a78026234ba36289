//! The JUnit XML report (`junit.xml`), written with `quick-junit`.
//!
//! Mapping (documented for users in `reports/FORMAT.md`):
//! - one `<testsuite>` per operation family (the case's folder, `im`), in family order, each
//!   carrying the run's properties (run id, target, server version, partition...);
//! - one `<testcase>` per case: `name` = case id, `classname` = family, `time` = case duration,
//!   properties `operation`, `operations`, `file`, `title`, `status` (+ `raw-status`, `tags`,
//!   `spec` when present);
//! - `fail` → `<failure type="mismatch">`: message = first mismatch, text = every mismatch with
//!   its paths, then the diff; `error` → `<error type="error">`: the case could not be tested;
//!   `ignored` → `<skipped>` with the reason; `expected-failure` → passing testcase whose
//!   system-out starts with `expected failure (baseline): REASON`; `unexpected-pass` → passing
//!   testcase with a note, or `<failure type="unexpected-pass">` when
//!   [`JunitOptions::strict_baseline`] is set;
//! - `<system-out>` of a testcase: the step log and the diffs.
//!
//! Text from servers and cases goes through [`super::text::visible_controls`] first (XML 1.0
//! cannot carry most control characters; they become visible `\xNN` escapes).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::WriteOptions;
use super::model::{CaseResult, CaseStatus, RunReport, StepResult, StepStatus};
use super::text::{clean, first_line};

/// Choices for the JUnit writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JunitOptions {
    /// Report unexpected passes as `<failure>` (they fail the run under `--strict-baseline`).
    pub strict_baseline: bool,
}

impl From<WriteOptions> for JunitOptions {
    fn from(options: WriteOptions) -> Self {
        JunitOptions {
            strict_baseline: options.strict_baseline,
        }
    }
}

/// Name of the `<testsuites>` element.
pub const REPORT_NAME: &str = "ews-conformance";

/// Writes `report` as JUnit XML with the default options (non-strict baseline).
pub fn write(report: &RunReport, out: impl Write) -> io::Result<()> {
    write_with(report, out, JunitOptions::default())
}

/// Writes `report` as JUnit XML.
pub fn write_with(report: &RunReport, out: impl Write, options: JunitOptions) -> io::Result<()> {
    build(report, options)
        .serialize(out)
        .map_err(io::Error::other)
}

/// The quick-junit report for `report`.
fn build(report: &RunReport, options: JunitOptions) -> Report {
    let mut junit = Report::new(REPORT_NAME);
    junit.set_time(Duration::from_millis(report.duration_ms));
    if let Ok(started) = chrono::DateTime::parse_from_rfc3339(&report.started_at) {
        junit.set_timestamp(started);
    }
    let mut families: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for case in &report.cases {
        families.entry(case.family.as_str()).or_default().push(case);
    }
    let run_properties = run_properties(report);
    for (family, cases) in families {
        let mut suite = TestSuite::new(clean(family));
        if let Ok(started) = chrono::DateTime::parse_from_rfc3339(&report.started_at) {
            suite.set_timestamp(started);
        }
        suite.set_time(Duration::from_millis(
            cases.iter().map(|c| c.duration_ms).sum(),
        ));
        suite.add_properties(run_properties.iter().cloned());
        if report.interrupted {
            suite.set_system_err("run interrupted: only the cases that finished are reported\n");
        }
        suite.add_test_cases(cases.into_iter().map(|case| test_case(case, options)));
        junit.add_test_suite(suite);
    }
    junit
}

fn run_properties(report: &RunReport) -> Vec<Property> {
    let mut properties = vec![
        Property::new("run-id", clean(&report.run_id)),
        Property::new("harness-version", clean(&report.harness_version)),
        Property::new("target-url", clean(&report.target.url)),
        Property::new("embedded", report.target.embedded.to_string()),
    ];
    if let Some(version) = &report.target.server_version {
        properties.push(Property::new("server-version", clean(version)));
    }
    if let Some(build) = &report.target.server_build {
        properties.push(Property::new("server-build", clean(build)));
    }
    if !report.target.quirks.is_empty() {
        properties.push(Property::new(
            "quirks",
            clean(&report.target.quirks.join(",")),
        ));
    }
    let score = super::matrix::score(report);
    for (grade, (passed, counted)) in super::model::Grade::ALL.iter().zip(score.by_grade) {
        properties.push(Property::new(
            format!("score-{}", grade.label()),
            format!("{passed}/{counted}"),
        ));
    }
    if score.unsupported > 0 {
        properties.push(Property::new("unsupported", score.unsupported.to_string()));
    }
    if let Some(partition) = &report.partition {
        properties.push(Property::new("partition", clean(partition)));
    }
    if report.interrupted {
        properties.push(Property::new("interrupted", "true"));
    }
    properties
}

fn test_case(case: &CaseResult, options: JunitOptions) -> TestCase {
    let reason = case.reason.as_deref().map(first_line).unwrap_or("");
    let status = match case.status {
        CaseStatus::Pass | CaseStatus::ExpectedFailure => TestCaseStatus::success(),
        CaseStatus::UnexpectedPass if !options.strict_baseline => TestCaseStatus::success(),
        CaseStatus::UnexpectedPass => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type("unexpected-pass")
                .set_message(clean(&unexpected_pass_note(reason)));
            status
        }
        CaseStatus::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type("mismatch").set_message(clean(
                &case
                    .problem_summary()
                    .unwrap_or_else(|| "the server did not conform".to_owned()),
            ));
            status.set_description(clean(&failure_text(case)));
            status
        }
        CaseStatus::Error => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_type("error").set_message(clean(
                &case
                    .problem_summary()
                    .unwrap_or_else(|| "the case could not be tested".to_owned()),
            ));
            status.set_description(clean(&error_text(case)));
            status
        }
        CaseStatus::Ignored => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(clean(if reason.is_empty() { "ignored" } else { reason }));
            status
        }
        CaseStatus::Unsupported => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_type("unsupported")
                .set_message(clean(if reason.is_empty() {
                    "unsupported: the target does not implement an operation the case needs"
                } else {
                    reason
                }));
            status
        }
    };
    let mut test_case = TestCase::new(clean(&case.id), status);
    test_case
        .set_classname(clean(&case.family))
        .set_time(Duration::from_millis(case.duration_ms));
    test_case.add_properties(case_properties(case));
    let system_out = system_out(case, reason);
    if !system_out.is_empty() {
        test_case.set_system_out(clean(&system_out));
    }
    test_case
}

fn unexpected_pass_note(reason: &str) -> String {
    let mut note = "unexpected pass (baseline): listed as a known divergence but passed; \
                    remove it from the baseline"
        .to_owned();
    if !reason.is_empty() {
        let _ = write!(note, " (baseline reason: {reason})");
    }
    note
}

fn case_properties(case: &CaseResult) -> Vec<Property> {
    let mut properties = vec![
        Property::new("operation", clean(&case.operation)),
        Property::new("operations", clean(&case.exercised_operations().join(","))),
        Property::new("file", clean(&case.file)),
        Property::new("title", clean(&case.title)),
        Property::new("status", case.status.label()),
        Property::new("grade", case.grade.label()),
    ];
    if let Some(raw) = case.raw_status {
        properties.push(Property::new("raw-status", raw.label()));
    }
    if !case.tags.is_empty() {
        properties.push(Property::new("tags", clean(&case.tags.join(","))));
    }
    if let Some(spec) = &case.spec {
        properties.push(Property::new("spec", clean(spec)));
    }
    properties
}

/// Every mismatch of every step with its paths, then the step's diff.
fn failure_text(case: &CaseResult) -> String {
    let mut text = String::new();
    for step in case.steps.iter().filter(|s| !s.mismatches.is_empty()) {
        let _ = writeln!(
            text,
            "step `{}` ({}): {} mismatch(es)",
            step.name,
            step.phase.label(),
            step.mismatches.len()
        );
        for (index, m) in step.mismatches.iter().enumerate() {
            let _ = writeln!(text, "  {}. [{}] {}", index + 1, m.kind, m.message);
            let _ = writeln!(text, "     expected path: {}", m.expected_path);
            let _ = writeln!(text, "     actual path:   {}", m.actual_path);
            if let Some(expected) = &m.expected {
                let _ = writeln!(text, "     expected: {expected}");
            }
            if let Some(actual) = &m.actual {
                let _ = writeln!(text, "     actual:   {actual}");
            }
            if let Some(location) = &m.location {
                let _ = writeln!(text, "     --> {location}");
            }
        }
        if let Some(diff) = &step.diff {
            let _ = writeln!(text, "diff (- expected, + actual):\n{}", diff.trim_end());
        }
    }
    for step in case.steps.iter().filter(|s| s.mismatches.is_empty()) {
        if let Some(error) = &step.error {
            let _ = writeln!(
                text,
                "step `{}` ({}): {error}",
                step.name,
                step.status.label()
            );
        }
    }
    text
}

/// Why the case could not be tested: each step error, and the case's reason.
fn error_text(case: &CaseResult) -> String {
    let mut text = String::new();
    if let Some(reason) = &case.reason {
        let _ = writeln!(text, "{reason}");
    }
    for step in &case.steps {
        if let Some(error) = &step.error {
            let location = step.location.as_deref().unwrap_or("");
            let _ = writeln!(
                text,
                "step `{}` ({}) {location}: {error}",
                step.name,
                step.status.label()
            );
        }
    }
    text
}

/// Baseline note, then one line per step, then the diffs.
fn system_out(case: &CaseResult, reason: &str) -> String {
    let mut out = String::new();
    match case.status {
        CaseStatus::ExpectedFailure => {
            let _ = writeln!(out, "expected failure (baseline): {reason}");
            if let Some(problem) = case.problem_summary() {
                let raw = case.raw_status.map(CaseStatus::label).unwrap_or("fail");
                let _ = writeln!(out, "still {raw}s: {problem}");
            }
        }
        CaseStatus::UnexpectedPass => {
            let _ = writeln!(out, "{}", unexpected_pass_note(reason));
        }
        _ => {}
    }
    for step in &case.steps {
        let _ = writeln!(out, "{}", step_line(step));
    }
    for step in case.steps.iter().filter(|s| s.diff.is_some()) {
        if let Some(diff) = &step.diff {
            let _ = writeln!(
                out,
                "\ndiff of step `{}` (- expected, + actual):\n{}",
                step.name,
                diff.trim_end()
            );
        }
    }
    out
}

fn step_line(step: &StepResult) -> String {
    let mut line = format!(
        "[{}] {} step `{}` ({} ms)",
        step.status.label(),
        step.phase.label(),
        step.name,
        step.duration_ms
    );
    if let Some(status) = step.response.as_ref().and_then(|r| r.status) {
        let _ = write!(line, " HTTP {status}");
    }
    if !step.mismatches.is_empty() {
        let _ = write!(line, ", {} mismatch(es)", step.mismatches.len());
    }
    if let Some(error) = &step.error {
        let _ = write!(line, ": {}", first_line(error));
    }
    if let Some(throttling) = &step.throttling {
        let _ = write!(line, " [{throttling}]");
    }
    if let Some(who) = &step.detail.session {
        let _ = write!(line, " [as {who}]");
    }
    if let Some(waited) = &step.detail.waited {
        let _ = write!(line, " [{waited}]");
    }
    for d in &step.detail.stream_documents {
        let _ = write!(
            line,
            "\n      stream `{}` document {} at {} ms{}: {}",
            d.stream,
            d.index,
            d.at_ms,
            if d.matched { " (matched)" } else { "" },
            first_line(&d.body).chars().take(200).collect::<String>()
        );
    }
    if step.status == StepStatus::Skipped && step.error.is_none() {
        line.push_str(": not run");
    }
    line
}
