//! Reports: consumers of the one result model ([`model::RunReport`]).
//!
//! Owns the terminal summary and progress ([`terminal`]), the JUnit XML ([`junit`]), JSON
//! ([`json`]) and HTML ([`html`]) writers, baselines of known divergences ([`baseline`]), merging
//! of shard reports ([`merge`]; shards are selected by [`crate::runner::partition`]), the
//! cases × servers matrix of runs against several targets ([`matrix`]), and the
//! operation coverage table ([`coverage`]). Every writer writes to `impl Write`; [`write_all`] writes the three report
//! files atomically (temporary file in the same folder + rename), so a reader never sees a
//! half-written report and an interrupted or failed write leaves the previous report in place.
//!
//! The file formats, the JUnit mapping, the baseline format, the partition hash and the exit
//! codes are documented for users in `reports/FORMAT.md`.
//!
//! CONTRACT (used by the runner and CLI): [`write_all`], [`Baseline`], [`apply_baseline`] keep
//! these names and shapes.

pub mod baseline;
pub mod coverage;
pub mod html;
pub mod json;
pub mod junit;
pub mod matrix;
pub mod merge;
pub mod model;
pub mod terminal;
pub mod text;

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub use baseline::{Baseline, BaselineError, apply_baseline};
pub use model::*;

/// File name of the JUnit report inside the reports folder.
pub const JUNIT_FILE: &str = "junit.xml";
/// File name of the JSON report inside the reports folder.
pub const JSON_FILE: &str = "report.json";
/// File name of the HTML report inside the reports folder.
pub const HTML_FILE: &str = "report.html";

/// Choices that change how the report files render a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// `--strict-baseline`: an unexpected pass (a baseline entry that now passes) is a JUnit
    /// `<failure>`, as it fails the run. Without it, it is a passing testcase with a note.
    pub strict_baseline: bool,
}

/// Writes `junit.xml`, `report.json` and `report.html` into `dir` atomically; returns the paths.
///
/// Creates `dir` if needed. Each file is written to a temporary file in `dir` and renamed over
/// the old one, so readers see either the previous or the new complete file. Uses the default
/// [`WriteOptions`] (non-strict baseline); see [`write_all_with`].
pub fn write_all(report: &RunReport, dir: &Path) -> io::Result<Vec<PathBuf>> {
    write_all_with(report, dir, WriteOptions::default())
}

/// [`write_all`] with explicit [`WriteOptions`].
pub fn write_all_with(
    report: &RunReport,
    dir: &Path,
    options: WriteOptions,
) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).map_err(|e| with_path(e, "cannot create reports folder", dir))?;
    let junit_path = dir.join(JUNIT_FILE);
    atomic_write(&junit_path, |out| {
        junit::write_with(report, out, junit::JunitOptions::from(options))
    })?;
    let json_path = dir.join(JSON_FILE);
    atomic_write(&json_path, |out| json::write(report, out))?;
    let html_path = dir.join(HTML_FILE);
    atomic_write(&html_path, |out| html::write(report, out))?;
    Ok(vec![junit_path, json_path, html_path])
}

/// Writes `path` atomically: `write` fills a temporary file in the same folder, which is
/// flushed, synced and renamed over `path`. If `write` (or any later step) fails, the temporary
/// file is removed and `path` keeps its previous content.
pub fn atomic_write<F>(path: &Path, write: F) -> io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| with_path(e, "cannot create a temporary file in", dir))?;
    {
        let mut out = BufWriter::new(temp.as_file());
        write(&mut out).map_err(|e| with_path(e, "cannot write", path))?;
        out.flush()
            .map_err(|e| with_path(e, "cannot write", path))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| with_path(e, "cannot sync", path))?;
    // On failure the returned error owns the temporary file; dropping it removes the file.
    temp.persist(path)
        .map_err(|e| with_path(e.error, "cannot replace", path))?;
    Ok(())
}

/// Adds what was being done and to which path to an I/O error, keeping its kind.
fn with_path(error: io::Error, doing: &str, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{doing} {}: {error}", path.display()))
}

/// Errors reading a report file back (JSON report, shards to merge).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file could not be read.
    #[error("cannot read report {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not a JSON report.
    #[error("{}:{line}:{column}: not a valid JSON report: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The report was written with a schema this harness does not read.
    #[error(
        "{}: report schema version {found} is not supported (this harness reads version {supported})",
        path.display()
    )]
    UnsupportedSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}
