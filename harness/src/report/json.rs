//! The JSON report (`report.json`): the [`RunReport`] as pretty JSON, schema version
//! [`REPORT_SCHEMA_VERSION`], plus a derived `coverage` object (recomputed from the cases, so
//! [`read`] ignores it). The schema is documented field by field in `reports/FORMAT.md`.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ReportError;
use super::coverage::Coverage;
use super::model::{REPORT_SCHEMA_VERSION, RunReport};

/// What is written: the report's own fields, then `coverage`.
#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a RunReport,
    coverage: Coverage,
    score: Score,
}

/// The derived score: passed / counted over all cases and per grade (see `report::matrix`).
#[derive(Serialize)]
struct Score {
    passed: usize,
    counted: usize,
    unsupported: usize,
    ignored: usize,
    required: GradeScore,
    recommended: GradeScore,
}

#[derive(Serialize)]
struct GradeScore {
    passed: usize,
    counted: usize,
}

/// Writes `report` as pretty JSON (two-space indent, trailing newline).
pub fn write(report: &RunReport, mut out: impl Write) -> io::Result<()> {
    let document = JsonReport {
        report,
        coverage: Coverage::from_report(report),
        score: {
            let c = super::matrix::score(report);
            let grade = |(passed, counted): (usize, usize)| GradeScore { passed, counted };
            Score {
                passed: c.passed,
                counted: c.counted,
                unsupported: c.unsupported,
                ignored: c.ignored,
                required: grade(c.by_grade[0]),
                recommended: grade(c.by_grade[1]),
            }
        },
    };
    serde_json::to_writer_pretty(&mut out, &document).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Only the version, read first so an unsupported schema is reported as such and not as a
/// confusing missing-field error.
#[derive(Deserialize)]
struct SchemaProbe {
    schema_version: u32,
}

/// Reads a JSON report written by [`write()`] (of this schema version).
pub fn read(path: impl AsRef<Path>) -> Result<RunReport, ReportError> {
    let path = path.as_ref();
    let text = fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_owned(),
        source,
    })?;
    from_str(&text, path)
}

/// Parses the text of a JSON report; `path` is only used in errors.
pub fn from_str(text: &str, path: &Path) -> Result<RunReport, ReportError> {
    let parse_error = |e: serde_json::Error| ReportError::Parse {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: without_position(&e),
    };
    let probe: SchemaProbe = serde_json::from_str(text).map_err(parse_error)?;
    if probe.schema_version != REPORT_SCHEMA_VERSION {
        return Err(ReportError::UnsupportedSchema {
            path: path.to_owned(),
            found: probe.schema_version,
            supported: REPORT_SCHEMA_VERSION,
        });
    }
    serde_json::from_str(text).map_err(parse_error)
}

/// serde_json's message without its trailing ` at line L column C` (the error shows it as
/// `path:line:column`).
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&suffix) {
        Some(stripped) => stripped.to_owned(),
        None => message,
    }
}
