//! The HTML report (`report.html`): one self-contained page (inline CSS and JavaScript, no
//! network access, a Content-Security-Policy that forbids any other script and every fetch).
//!
//! It shows the run, the counts by status, a matrix by operation (each cell filters the
//! cases), every case with its steps, mismatches, colored diff and collapsible request and
//! response bodies, a filter box (also driven by a `#filter=TEXT` URL fragment) and the
//! coverage of all EWS operations.
//!
//! Escaping: the page is rendered by minijinja with HTML auto-escaping from
//! `templates/report.html`; every value from the report is a plain string in a view model
//! whose control characters were made visible first ([`super::text::visible_controls`]). The
//! template marks nothing from the report as safe.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};

use minijinja::{AutoEscape, Environment, context};
use serde::Serialize;

use super::coverage::Coverage;
use super::model::{CaseResult, CaseStatus, Exchange, RunReport, StepResult};
use super::text::{clean, human_duration};

const TEMPLATE: &str = include_str!("templates/report.html");
const STYLE: &str = include_str!("templates/report.css");
const SCRIPT: &str = include_str!("templates/report.js");

/// Writes the HTML report.
pub fn write(report: &RunReport, mut out: impl Write) -> io::Result<()> {
    let page = render(report).map_err(|e| io::Error::other(format!("HTML report: {e:#}")))?;
    out.write_all(page.as_bytes())
}

fn render(report: &RunReport) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // The style sheet and script are constant files: they go through the template engine only
    // to be included, and contain no template syntax.
    env.add_template("report.css", STYLE)?;
    env.add_template("report.js", SCRIPT)?;
    env.add_template("report.html", TEMPLATE)?;
    let view = View::new(report);
    env.get_template("report.html")?
        .render(context! { r => view, nonce => nonce() })
}

/// A random value for the Content-Security-Policy nonce of the page's own script, so that no
/// script that found its way into the page could run. Uses the randomly keyed std hasher.
fn nonce() -> String {
    let state = std::collections::hash_map::RandomState::new();
    let mut first = state.build_hasher();
    first.write_u64(0x6577_735f_6e6f_6e63);
    let mut second = std::collections::hash_map::RandomState::new().build_hasher();
    second.write_u64(first.finish());
    format!("{:016x}{:016x}", first.finish(), second.finish())
}

#[derive(Serialize)]
struct View {
    run_id: String,
    harness_version: String,
    target_url: String,
    embedded: bool,
    quirks: Vec<String>,
    server_version: Option<String>,
    server_build: Option<String>,
    started_at: String,
    duration: String,
    partition: Option<String>,
    interrupted: bool,
    total: usize,
    /// The score split by grade (one line).
    score: String,
    /// One line per operation the target does not implement.
    unsupported: Vec<UnsupportedView>,
    counts: Vec<CountView>,
    statuses: Vec<StatusView>,
    matrix: Vec<MatrixRow>,
    matrix_totals: Vec<usize>,
    cases: Vec<CaseView>,
    coverage: CoverageView,
}

#[derive(Serialize)]
struct UnsupportedView {
    operation: String,
    cases: usize,
    why: String,
    href: String,
}

#[derive(Serialize)]
struct StatusView {
    status: &'static str,
    heading: &'static str,
}

#[derive(Serialize)]
struct CountView {
    status: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct MatrixRow {
    operation: String,
    href: String,
    total: usize,
    cells: Vec<MatrixCell>,
}

#[derive(Serialize)]
struct MatrixCell {
    status: &'static str,
    count: usize,
    /// `#filter=...` fragment selecting these cases.
    href: String,
}

#[derive(Serialize)]
struct CaseView {
    anchor: String,
    id: String,
    file: String,
    title: String,
    operation: String,
    operations: Vec<String>,
    family: String,
    tags: Vec<String>,
    spec: Option<String>,
    grade: &'static str,
    status: &'static str,
    raw_status: Option<&'static str>,
    reason: Option<String>,
    problem: Option<String>,
    duration: String,
    mismatch_count: usize,
    /// Open the details of cases a reader will want to look at.
    open: bool,
    steps: Vec<StepView>,
}

#[derive(Serialize)]
struct StepView {
    name: String,
    phase: &'static str,
    status: &'static str,
    location: Option<String>,
    duration: String,
    /// Request then response, those that were recorded.
    exchanges: Vec<ExchangeView>,
    mismatches: Vec<MismatchView>,
    diff: Vec<DiffLine>,
    error: Option<String>,
    throttling: Option<String>,
    /// Who sent it, how polling or a stream wait ended.
    notes: Vec<String>,
}

#[derive(Serialize)]
struct ExchangeView {
    label: String,
    status: Option<u16>,
    headers: Vec<(String, String)>,
    body: String,
    size: String,
    truncated: bool,
}

#[derive(Serialize)]
struct MismatchView {
    kind: String,
    expected_path: String,
    actual_path: String,
    expected: Option<String>,
    actual: Option<String>,
    location: Option<String>,
    message: String,
}

#[derive(Serialize)]
struct DiffLine {
    class: &'static str,
    text: String,
}

#[derive(Serialize)]
struct CoverageView {
    covered: usize,
    total: usize,
    rows: Vec<CoverageRow>,
    unknown: Vec<CoverageRow>,
}

#[derive(Serialize)]
struct CoverageRow {
    operation: String,
    introduced: String,
    cases: usize,
    counts: Vec<usize>,
    href: String,
}

const HEADINGS: [&str; 7] = [
    "pass",
    "fail",
    "error",
    "ignored",
    "unsupported",
    "expected failure",
    "unexpected pass",
];

impl View {
    fn new(report: &RunReport) -> View {
        let counts = report.counts();
        let mut matrix: BTreeMap<&str, [usize; 7]> = BTreeMap::new();
        for case in &report.cases {
            let row = matrix.entry(case.operation.as_str()).or_default();
            if let Some(column) = CaseStatus::ALL.iter().position(|s| *s == case.status) {
                row[column] += 1;
            }
        }
        let mut matrix_totals = vec![0; 7];
        for row in matrix.values() {
            for (total, n) in matrix_totals.iter_mut().zip(row) {
                *total += n;
            }
        }
        View {
            run_id: clean(&report.run_id),
            harness_version: clean(&report.harness_version),
            target_url: clean(&report.target.url),
            embedded: report.target.embedded,
            quirks: report.target.quirks.iter().map(|q| clean(q)).collect(),
            server_version: report.target.server_version.as_deref().map(clean),
            server_build: report.target.server_build.as_deref().map(clean),
            started_at: clean(&report.started_at),
            duration: human_duration(report.duration_ms),
            partition: report.partition.as_deref().map(clean),
            interrupted: report.interrupted,
            total: report.cases.len(),
            score: clean(&super::matrix::score_line(report)),
            unsupported: super::terminal::unsupported_operations(report)
                .into_iter()
                .map(|u| UnsupportedView {
                    href: filter_href(&format!("op:{} status:unsupported", u.operation)),
                    operation: clean(&u.operation),
                    cases: u.cases,
                    why: clean(&u.why),
                })
                .collect(),
            counts: CaseStatus::ALL
                .iter()
                .map(|s| CountView {
                    status: s.label(),
                    count: counts.get(s).copied().unwrap_or(0),
                })
                .collect(),
            statuses: CaseStatus::ALL
                .iter()
                .zip(HEADINGS)
                .map(|(s, heading)| StatusView {
                    status: s.label(),
                    heading,
                })
                .collect(),
            matrix: matrix
                .into_iter()
                .map(|(operation, row)| MatrixRow {
                    operation: clean(operation),
                    href: filter_href(&format!("op:{operation}")),
                    total: row.iter().sum(),
                    cells: CaseStatus::ALL
                        .iter()
                        .zip(row)
                        .map(|(status, count)| MatrixCell {
                            status: status.label(),
                            count,
                            href: filter_href(&format!("op:{operation} status:{}", status.label())),
                        })
                        .collect(),
                })
                .collect(),
            matrix_totals,
            cases: report
                .cases
                .iter()
                .enumerate()
                .map(|(index, case)| CaseView::new(index, case))
                .collect(),
            coverage: CoverageView::new(&Coverage::from_report(report)),
        }
    }
}

impl CaseView {
    fn new(index: usize, case: &CaseResult) -> CaseView {
        CaseView {
            anchor: format!("case-{}", index + 1),
            id: clean(&case.id),
            file: clean(&case.file),
            title: clean(&case.title),
            operation: clean(&case.operation),
            operations: case.exercised_operations().into_iter().map(clean).collect(),
            family: clean(&case.family),
            tags: case.tags.iter().map(|t| clean(t)).collect(),
            spec: case.spec.as_deref().map(clean),
            grade: case.grade.label(),
            status: case.status.label(),
            raw_status: case.raw_status.map(CaseStatus::label),
            reason: case.reason.as_deref().map(clean),
            problem: case.problem_summary().as_deref().map(clean),
            duration: human_duration(case.duration_ms),
            mismatch_count: case.mismatch_count(),
            open: matches!(
                case.status,
                CaseStatus::Fail | CaseStatus::Error | CaseStatus::UnexpectedPass
            ),
            steps: case.steps.iter().map(StepView::new).collect(),
        }
    }
}

impl StepView {
    fn new(step: &StepResult) -> StepView {
        StepView {
            name: clean(&step.name),
            phase: step.phase.label(),
            status: step.status.label(),
            location: step.location.as_deref().map(clean),
            duration: human_duration(step.duration_ms),
            exchanges: [("Request", &step.request), ("Response", &step.response)]
                .into_iter()
                .filter_map(|(label, exchange)| {
                    exchange.as_ref().map(|e| ExchangeView::new(label, e))
                })
                .chain(step.detail.stream_documents.iter().map(|d| {
                    let label = format!(
                        "Stream `{}` document {} at {} ms{}",
                        d.stream,
                        d.index,
                        d.at_ms,
                        if d.matched { " (matched)" } else { "" }
                    );
                    ExchangeView::new(
                        &clean(&label),
                        &Exchange {
                            body: d.body.clone(),
                            ..Exchange::default()
                        },
                    )
                }))
                .collect(),
            mismatches: step
                .mismatches
                .iter()
                .map(|m| MismatchView {
                    kind: clean(&m.kind),
                    expected_path: clean(&m.expected_path),
                    actual_path: clean(&m.actual_path),
                    expected: m.expected.as_deref().map(clean),
                    actual: m.actual.as_deref().map(clean),
                    location: m.location.as_deref().map(clean),
                    message: clean(&m.message),
                })
                .collect(),
            diff: step.diff.as_deref().map(diff_lines).unwrap_or_default(),
            error: step.error.as_deref().map(clean),
            throttling: step.throttling.as_deref().map(clean),
            notes: step
                .detail
                .session
                .iter()
                .map(|who| format!("sent as {who}"))
                .chain(step.detail.waited.clone())
                .map(|n| clean(&n))
                .collect(),
        }
    }
}

impl ExchangeView {
    fn new(label: &str, exchange: &Exchange) -> ExchangeView {
        let bytes = exchange.body.len();
        ExchangeView {
            label: label.to_string(),
            status: exchange.status,
            headers: exchange
                .headers
                .iter()
                .map(|(name, value)| (clean(name), clean(value)))
                .collect(),
            body: clean(&exchange.body),
            size: if bytes < 10 * 1024 {
                format!("{bytes} bytes")
            } else {
                format!("{:.1} KiB", bytes as f64 / 1024.0)
            },
            truncated: exchange.truncated,
        }
    }
}

impl CoverageView {
    fn new(coverage: &Coverage) -> CoverageView {
        let row = |r: &super::coverage::OperationCoverage| CoverageRow {
            operation: clean(&r.operation),
            introduced: clean(&r.introduced),
            cases: r.cases.len(),
            counts: CaseStatus::ALL.iter().map(|s| r.count(*s)).collect(),
            href: filter_href(&format!("op:{}", r.operation)),
        };
        CoverageView {
            covered: coverage.covered,
            total: coverage.total,
            rows: coverage.operations.iter().map(row).collect(),
            unknown: coverage.unknown_operations.iter().map(row).collect(),
        }
    }
}

/// Splits a unified diff into lines classed for coloring.
fn diff_lines(diff: &str) -> Vec<DiffLine> {
    diff.lines()
        .map(|line| DiffLine {
            class: if line.starts_with("+++") || line.starts_with("---") {
                "diff-file"
            } else if line.starts_with("@@") {
                "diff-hunk"
            } else if line.starts_with('+') {
                "diff-add"
            } else if line.starts_with('-') {
                "diff-del"
            } else {
                "diff-ctx"
            },
            text: clean(line),
        })
        .collect()
}

/// `#filter=...` with the filter text percent-encoded (the page decodes it on load).
fn filter_href(filter: &str) -> String {
    let mut href = String::from("#filter=");
    for byte in filter.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~:/".contains(&byte) {
            href.push(char::from(byte));
        } else {
            href.push_str(&format!("%{byte:02X}"));
        }
    }
    href
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lines_are_classed_by_their_prefix() {
        let classes: Vec<&str> = diff_lines("--- expected\n+++ actual\n@@ -1 +1 @@\n a\n-b\n+c")
            .iter()
            .map(|l| l.class)
            .collect();
        assert_eq!(
            classes,
            [
                "diff-file",
                "diff-file",
                "diff-hunk",
                "diff-ctx",
                "diff-del",
                "diff-add"
            ]
        );
    }

    #[test]
    fn filter_links_percent_encode_the_filter() {
        assert_eq!(
            filter_href("op:A<b> status:fail"),
            "#filter=op:A%3Cb%3E%20status:fail"
        );
    }
}
