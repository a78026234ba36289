//! The text a failing case shows in the terminal (libtest-mimic prints it under `failures:`):
//! the case file, each failing step with its location, every mismatch with its paths and the
//! expectation's position, then the diff.

use std::fmt::Write;

use crate::case::Case;
use crate::report::{CaseResult, StepPhase, StepStatus};

/// Renders the failure message of `result`; `rerun` is how the harness was invoked (the hint
/// appends `--exact ID`). `color` adds ANSI colors to the diff.
pub fn failure(case: &Case, result: &CaseResult, rerun: &str, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}) — {}",
        result.id,
        result.file,
        result.status.label()
    );
    let total = result
        .steps
        .iter()
        .filter(|s| s.phase == StepPhase::Main)
        .count();
    for (index, step) in result.steps.iter().enumerate() {
        if matches!(step.status, StepStatus::Pass) {
            continue;
        }
        if step.status == StepStatus::Skipped && step.phase == StepPhase::Main {
            continue;
        }
        let phase = match step.phase {
            StepPhase::Main => format!("step {}/{}", index + 1, total),
            StepPhase::Cleanup => "cleanup".to_string(),
        };
        let location = step.location.as_deref().unwrap_or("?");
        let _ = writeln!(
            out,
            "  {phase} \"{}\" at {location}: {}",
            step.name,
            status_word(step.status)
        );
        if let Some(error) = &step.error {
            let _ = writeln!(out, "    {error}");
        }
        for (n, m) in step.mismatches.iter().enumerate() {
            let _ = writeln!(out, "    {}) {} [{}]", n + 1, m.expected_path, m.kind);
            if m.actual_path != m.expected_path && !m.actual_path.is_empty() {
                let _ = writeln!(out, "       actual path: {}", m.actual_path);
            }
            let _ = writeln!(out, "       {}", m.message);
            if m.kind == "http-header" {
                // Header values are short: show both sides in full.
                let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
                let _ = writeln!(out, "       expected: {}", shown(&m.expected));
                let _ = writeln!(out, "       actual:   {}", shown(&m.actual));
            }
            if let Some(loc) = &m.location {
                let _ = writeln!(out, "       expectation at {loc}");
            }
        }
        if let Some(diff) = &step.diff {
            let _ = writeln!(out, "    diff (- expected, + actual):");
            for line in diff.lines() {
                let _ = writeln!(out, "      {}", colorize(line, color));
            }
        }
    }
    let _ = write!(
        out,
        "  rerun: {rerun} --exact {}   (case file: {})",
        shell_word(&result.id),
        case.file.display()
    );
    out
}

/// `word` as one shell word: unchanged when it is plain, else in single quotes.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn status_word(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Pass => "passed",
        StepStatus::Fail => "FAILED",
        StepStatus::Error => "ERROR (could not test)",
        StepStatus::Skipped => "skipped",
    }
}

fn colorize(line: &str, color: bool) -> String {
    if !color {
        return line.to_string();
    }
    let code = if line.starts_with("@@") {
        "36"
    } else if line.starts_with('+') && !line.starts_with("+++") {
        "32"
    } else if line.starts_with('-') && !line.starts_with("---") {
        "31"
    } else {
        return line.to_string();
    };
    format!("\x1b[{code}m{line}\x1b[0m")
}
