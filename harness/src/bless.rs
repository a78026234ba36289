//! Blessing: the one switch that lets tests accept new output as their expectation.
//!
//! Owns the closed set of modes read from one environment variable, [`ENV`] (`EWS_BLESS`):
//! `no` (the default: compare only), `new` (write expectations that do not exist yet, never
//! change one), `overwrite` (write new and changed ones). Any other value is an error. When `CI`
//! is set nothing is ever written, whatever `EWS_BLESS` says. Every mismatch message ends with
//! the exact command that would accept the new output.
//!
//! Tests call [`check_text`] for a golden file (or [`Mode::from_env`] for expectations kept
//! inside a larger file). The harness itself takes the same modes for recording case
//! expectations (`--bless` or `EWS_BLESS`, see [`crate::record`]): there `new` writes pending
//! `case.yaml.new` files (the case file is never changed) and `overwrite` rewrites case files.
//! Tests that start the harness clear `EWS_BLESS`, so blessing goldens never records.

use std::fmt;
use std::path::Path;

/// The environment variable holding the mode.
pub const ENV: &str = "EWS_BLESS";

/// What a test may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Compare only.
    No,
    /// Create missing expectations; never change an existing one.
    New,
    /// Create missing and rewrite differing expectations.
    Overwrite,
}

/// An `EWS_BLESS` value outside the closed set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadMode(pub String);

impl fmt::Display for BadMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{ENV}=`{}` is not a bless mode; use `no`, `new` or `overwrite`",
            self.0
        )
    }
}

impl std::error::Error for BadMode {}

impl Mode {
    /// The mode from `EWS_BLESS`, forced to [`Mode::No`] when `CI` is set.
    pub fn from_env() -> Result<Mode, BadMode> {
        let value = std::env::var(ENV).ok();
        Mode::parse(value.as_deref(), std::env::var_os("CI").is_some())
    }

    /// The mode for an `EWS_BLESS` value (`None` = unset) and whether `CI` is set. An unknown
    /// value is an error even under CI.
    pub fn parse(value: Option<&str>, ci: bool) -> Result<Mode, BadMode> {
        let mode = match value.map(str::trim) {
            None | Some("") | Some("no") => Mode::No,
            Some("new") => Mode::New,
            Some("overwrite") => Mode::Overwrite,
            Some(other) => return Err(BadMode(other.to_string())),
        };
        Ok(if ci { Mode::No } else { mode })
    }

    /// Whether a missing expectation may be created.
    pub fn may_create(self) -> bool {
        matches!(self, Mode::New | Mode::Overwrite)
    }

    /// Whether an existing expectation may be replaced.
    pub fn may_overwrite(self) -> bool {
        self == Mode::Overwrite
    }
}

/// What [`check_text`] did when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The golden file holds exactly the actual text.
    Same,
    /// The golden file did not exist and was written.
    Created,
    /// The golden file differed and was rewritten.
    Overwritten,
}

/// The command that accepts new output: `EWS_BLESS=<mode> cargo test --test it <filter>`.
pub fn accept_command(mode: Mode, test_filter: &str) -> String {
    let word = if mode == Mode::New {
        "new"
    } else {
        "overwrite"
    };
    format!("{ENV}={word} cargo test --test it {test_filter}")
}

/// Compares the golden file at `path` with `actual` under `mode`; `test_filter` names the tests
/// to rerun in the message. `Err` carries a readable message: the diff (golden → actual) and the
/// command that would accept the new output.
pub fn check_text(
    mode: Mode,
    path: &Path,
    actual: &str,
    test_filter: &str,
) -> Result<Checked, String> {
    let expected = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if mode.may_create() {
                write(path, actual)?;
                return Ok(Checked::Created);
            }
            return Err(format!(
                "golden {} does not exist\ncreate it with: {}",
                path.display(),
                accept_command(Mode::New, test_filter)
            ));
        }
        Err(e) => return Err(format!("cannot read golden {}: {e}", path.display())),
    };
    if expected == actual {
        return Ok(Checked::Same);
    }
    if mode.may_overwrite() {
        write(path, actual)?;
        return Ok(Checked::Overwritten);
    }
    let diff = similar::TextDiff::from_lines(&expected, actual)
        .unified_diff()
        .header("golden", "actual")
        .to_string();
    Err(format!(
        "{} differs from the golden:\n{diff}\naccept with: {}",
        path.display(),
        accept_command(Mode::Overwrite, test_filter)
    ))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_modes_are_a_closed_set_and_ci_never_writes() {
        assert_eq!(Mode::parse(None, false), Ok(Mode::No));
        assert_eq!(Mode::parse(Some("no"), false), Ok(Mode::No));
        assert_eq!(Mode::parse(Some("new"), false), Ok(Mode::New));
        assert_eq!(Mode::parse(Some("overwrite"), false), Ok(Mode::Overwrite));
        assert_eq!(Mode::parse(Some("overwrite"), true), Ok(Mode::No));
        assert_eq!(Mode::parse(Some("1"), false), Err(BadMode("1".into())));
        assert_eq!(Mode::parse(Some("yes"), true), Err(BadMode("yes".into())));
        assert!(
            BadMode("1".into())
                .to_string()
                .contains("`no`, `new` or `overwrite`")
        );
    }

    #[test]
    fn check_text_creates_only_with_new_and_rewrites_only_with_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.txt");
        let err = check_text(Mode::No, &path, "a\n", "x::").unwrap_err();
        assert!(
            err.contains("EWS_BLESS=new cargo test --test it x::"),
            "{err}"
        );
        assert!(!path.exists());
        assert_eq!(
            check_text(Mode::New, &path, "a\n", "x::"),
            Ok(Checked::Created)
        );
        assert_eq!(check_text(Mode::No, &path, "a\n", "x::"), Ok(Checked::Same));
        let err = check_text(Mode::New, &path, "b\n", "x::").unwrap_err();
        assert!(err.contains("-a") && err.contains("+b"), "{err}");
        assert!(
            err.ends_with("EWS_BLESS=overwrite cargo test --test it x::"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\n");
        assert_eq!(
            check_text(Mode::Overwrite, &path, "b\n", "x::"),
            Ok(Checked::Overwritten)
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b\n");
    }
}
