//! Terminal output: [`Progress`] while cases run, [`summary`] at the end and
//! [`reports_written`] for the paths of the report files.
//!
//! Progress goes to stderr (a bar on a TTY, one plain line per case otherwise) so stdout stays
//! for libtest-mimic's own output. All text from servers and cases has its control characters
//! made visible, so a hostile response cannot drive the terminal.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::model::{CaseResult, CaseStatus, RunReport};
use super::text::{clean, human_duration};

/// Layout of the progress bar on a TTY.
const BAR_TEMPLATE: &str = "{bar:40.cyan/blue} {pos}/{len} {elapsed} {wide_msg}";

/// Column headings of the status columns, in [`CaseStatus::ALL`] order.
const STATUS_HEADINGS: [&str; 7] = [
    "pass", "fail", "error", "ignored", "unsup", "xfail", "xpass",
];

fn color_code(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Pass => "32",             // green
        CaseStatus::Fail => "31",             // red
        CaseStatus::Error => "1;35",          // bold magenta
        CaseStatus::Ignored => "33",          // yellow
        CaseStatus::Unsupported => "34",      // blue
        CaseStatus::ExpectedFailure => "36",  // cyan
        CaseStatus::UnexpectedPass => "1;33", // bold yellow
    }
}

fn paint(text: &str, status: CaseStatus, color: bool) -> String {
    if color {
        format!("\x1b[{}m{text}\x1b[0m", color_code(status))
    } else {
        text.to_owned()
    }
}

/// The end-of-run summary: counts by status, a table by operation, then the failing cases with
/// their first mismatch (and stale baseline entries). `color` adds ANSI colors.
pub fn summary(report: &RunReport, color: bool) -> String {
    let mut out = String::new();
    let counts = report.counts();
    let total = report.cases.len();
    let parts: Vec<String> = CaseStatus::ALL
        .iter()
        .filter_map(|status| {
            let n = counts.get(status).copied().unwrap_or(0);
            (n > 0).then(|| paint(&format!("{n} {}", status.label()), *status, color))
        })
        .collect();
    let _ = writeln!(
        out,
        "{total} case{}: {} ({})",
        if total == 1 { "" } else { "s" },
        if parts.is_empty() {
            "none run".to_owned()
        } else {
            parts.join(", ")
        },
        human_duration(report.duration_ms)
    );
    let mut target = format!("target: {}", clean(&report.target.url));
    if report.target.embedded {
        target.push_str(" (embedded reference server");
        if !report.target.quirks.is_empty() {
            let _ = write!(
                target,
                ", quirks: {}",
                clean(&report.target.quirks.join(", "))
            );
        }
        target.push(')');
    }
    if let Some(version) = &report.target.server_version {
        let _ = write!(target, ", server {}", clean(version));
        if let Some(build) = &report.target.server_build {
            let _ = write!(target, " {}", clean(build));
        }
    }
    let _ = writeln!(out, "{target}");
    if total > 0 {
        let _ = writeln!(out, "{}", super::matrix::score_line(report));
    }
    if let Some(partition) = &report.partition {
        let _ = writeln!(out, "partition: {}", clean(partition));
    }
    if report.interrupted {
        let _ = writeln!(
            out,
            "{}",
            paint(
                "run interrupted: only the cases that finished are reported",
                CaseStatus::Error,
                color
            )
        );
    }
    if total == 0 {
        return out;
    }

    out.push('\n');
    operation_table(&mut out, report, color);

    let problems: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| matches!(c.status, CaseStatus::Fail | CaseStatus::Error))
        .collect();
    if !problems.is_empty() {
        out.push_str("\nfailures:\n");
        let width = problems
            .iter()
            .map(|c| c.id.chars().count())
            .max()
            .unwrap_or(0);
        for case in problems {
            let label = format!("{:<5}", case.status.label());
            let _ = writeln!(
                out,
                "  {}  {:<width$}  {}",
                paint(&label, case.status, color),
                clean(&case.id),
                clean(&case.problem_summary().unwrap_or_default())
            );
        }
    }
    let unsupported = unsupported_operations(report);
    if !unsupported.is_empty() {
        out.push_str("\nunsupported operations (their cases are not counted as failures):\n");
        let width = unsupported
            .iter()
            .map(|u| u.operation.chars().count())
            .max()
            .unwrap_or(0);
        for u in &unsupported {
            let _ = writeln!(
                out,
                "  {}  {:<width$}  {} case{}: {}",
                paint("unsup", CaseStatus::Unsupported, color),
                clean(&u.operation),
                u.cases,
                if u.cases == 1 { "" } else { "s" },
                clean(&u.why)
            );
        }
    }
    let stale: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::UnexpectedPass)
        .collect();
    if !stale.is_empty() {
        out.push_str("\nunexpected passes (listed in the baseline but passed; remove them):\n");
        for case in stale {
            let _ = writeln!(
                out,
                "  {}  {}",
                paint("xpass", CaseStatus::UnexpectedPass, color),
                clean(&case.id)
            );
        }
    }
    out
}

/// One operation the target does not implement, with how many cases it made unsupported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedOperation {
    pub operation: String,
    pub cases: usize,
    /// How the target refused it (the first case's reason).
    pub why: String,
}

/// The operations behind the run's `unsupported` cases, by name: one entry per operation.
pub fn unsupported_operations(report: &RunReport) -> Vec<UnsupportedOperation> {
    let mut by_op: BTreeMap<&str, UnsupportedOperation> = BTreeMap::new();
    for case in report
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Unsupported)
    {
        let operation = case
            .unsupported
            .as_deref()
            .unwrap_or(case.operation.as_str());
        by_op
            .entry(operation)
            .or_insert_with(|| UnsupportedOperation {
                operation: operation.to_string(),
                cases: 0,
                why: case
                    .reason
                    .as_deref()
                    .map(super::text::first_line)
                    .unwrap_or("")
                    .trim_start_matches("unsupported: ")
                    .to_string(),
            })
            .cases += 1;
    }
    by_op.into_values().collect()
}

fn operation_table(out: &mut String, report: &RunReport, color: bool) {
    let mut rows: BTreeMap<&str, [usize; 7]> = BTreeMap::new();
    for case in &report.cases {
        let row = rows.entry(case.operation.as_str()).or_default();
        if let Some(column) = CaseStatus::ALL.iter().position(|s| *s == case.status) {
            row[column] += 1;
        }
    }
    let mut totals = [0usize; 7];
    for row in rows.values() {
        for (total, n) in totals.iter_mut().zip(row) {
            *total += n;
        }
    }
    let width = rows
        .keys()
        .map(|op| op.chars().count())
        .max()
        .unwrap_or(0)
        .max("operation".len());
    let _ = write!(out, "{:<width$}  {:>5}", "operation", "cases");
    for heading in STATUS_HEADINGS {
        let _ = write!(out, "  {heading:>7}");
    }
    out.push('\n');
    let mut line = |name: &str, row: &[usize; 7]| {
        let _ = write!(
            out,
            "{:<width$}  {:>5}",
            clean(name),
            row.iter().sum::<usize>()
        );
        for (status, n) in CaseStatus::ALL.iter().zip(row) {
            let cell = format!("{n:>7}");
            if *n > 0 {
                let _ = write!(out, "  {}", paint(&cell, *status, color));
            } else {
                let _ = write!(out, "  {cell}");
            }
        }
        out.push('\n');
    };
    for (operation, row) in &rows {
        line(operation, row);
    }
    if rows.len() > 1 {
        line("total", &totals);
    }
}

/// Lines naming the report files written, for the end of a run.
pub fn reports_written(paths: &[PathBuf]) -> String {
    let mut out = String::from("reports:\n");
    for path in paths {
        let _ = writeln!(out, "  {}", path.display());
    }
    out
}

/// Progress while cases run: a bar on a TTY, one plain line per finished case otherwise
/// (`[12/40] fail im/x (123 ms)`). Safe to share between runner threads.
pub struct Progress {
    total: usize,
    state: Mutex<ProgressState>,
}

struct ProgressState {
    done: usize,
    failed: usize,
    sink: Sink,
}

enum Sink {
    Bar(ProgressBar),
    Lines(Box<dyn Write + Send>),
}

impl Progress {
    /// Progress for `total` cases drawn to stderr: a bar when `tty`, plain lines otherwise.
    pub fn new(total: usize, tty: bool) -> Progress {
        if tty {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(BAR_TEMPLATE) {
                bar.set_style(style.progress_chars("=> "));
            }
            Progress::with_sink(total, Sink::Bar(bar))
        } else {
            Progress::with_sink(total, Sink::Lines(Box::new(io::stderr())))
        }
    }

    /// Plain-line progress written to `out` (tests, log files).
    pub fn to_writer(total: usize, out: Box<dyn Write + Send>) -> Progress {
        Progress::with_sink(total, Sink::Lines(out))
    }

    fn with_sink(total: usize, sink: Sink) -> Progress {
        Progress {
            total,
            state: Mutex::new(ProgressState {
                done: 0,
                failed: 0,
                sink,
            }),
        }
    }

    /// Records a finished case.
    pub fn case_finished(&self, case: &CaseResult) {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        state.done += 1;
        if matches!(case.status, CaseStatus::Fail | CaseStatus::Error) {
            state.failed += 1;
        }
        let line = format!(
            "[{}/{}] {} {} ({} ms)",
            state.done,
            self.total,
            case.status.label(),
            clean(&case.id),
            case.duration_ms
        );
        let failed = state.failed;
        match &mut state.sink {
            Sink::Bar(bar) => {
                if matches!(
                    case.status,
                    CaseStatus::Fail | CaseStatus::Error | CaseStatus::UnexpectedPass
                ) {
                    bar.println(&line);
                }
                bar.set_message(format!("{failed} failing · {}", clean(&case.id)));
                bar.inc(1);
            }
            Sink::Lines(out) => {
                // Progress is best effort: a closed stderr must not stop the run.
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
    }

    /// Ends the progress display (clears the bar).
    pub fn finish(&self) {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        match &mut state.sink {
            Sink::Bar(bar) => bar.finish_and_clear(),
            Sink::Lines(out) => {
                let _ = out.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_template_is_valid() {
        assert!(ProgressStyle::with_template(BAR_TEMPLATE).is_ok());
    }
}
