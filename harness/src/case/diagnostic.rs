//! Building [`LoadError`]s: source lines for the caret display, did-you-mean suggestions, and
//! translating YAML backend errors (unknown keys, wrong types, bad syntax) into load errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::locate::Outline;
use super::{LoadError, SourcePos};
use crate::yaml;

/// The texts of the files a case is made of (the case file and its sidecars), so that any
/// error can show its source line.
#[derive(Debug, Default)]
pub struct Sources {
    texts: BTreeMap<PathBuf, String>,
}

impl Sources {
    pub fn add(&mut self, file: &Path, text: &str) {
        self.texts.insert(file.to_path_buf(), text.to_string());
    }

    /// The whole text of `file`, when it was added.
    pub fn text(&self, file: &Path) -> Option<&str> {
        self.texts.get(file).map(String::as_str)
    }

    /// Line `line` (1-based) of `file`, without its line break.
    pub fn line(&self, file: &Path, line: usize) -> Option<String> {
        let text = self.texts.get(file)?;
        text.lines()
            .nth(line.checked_sub(1)?)
            .map(|l| l.trim_end_matches('\r').to_string())
    }

    /// A load error at `pos`, with its source line.
    pub fn error(
        &self,
        case_id: &str,
        pos: SourcePos,
        message: impl Into<String>,
        help: Option<String>,
    ) -> LoadError {
        LoadError {
            case_id: case_id.to_string(),
            source_line: self.line(&pos.file, pos.line),
            pos,
            message: message.into(),
            help,
        }
    }
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a likely typo (distance at most
/// a third of the word's length, at least 1; ties go to the first candidate).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Help text for an unknown name: "did you mean `x`?" or the list of allowed names.
pub fn suggestion(word: &str, candidates: &[&str]) -> Option<String> {
    if let Some(best) = did_you_mean(word, candidates.iter().copied()) {
        return Some(format!("did you mean `{best}`?"));
    }
    if candidates.is_empty() || candidates.len() > 20 {
        return None;
    }
    let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    Some(format!("expected one of {}", list.join(", ")))
}

/// Translates a YAML backend error into a load error at its position.
pub fn from_yaml_error(
    error: &yaml::Error,
    case_id: &str,
    file: &Path,
    sources: &Sources,
    outline: &Outline,
) -> LoadError {
    let (mut line, mut col) = yaml::error_location(error).unwrap_or((1, 1));
    let full = error.to_string();
    // The backend writes " at line L column C" after the problem; the arrow line says that.
    let text = full.replacen(&format!(" at line {line} column {col}"), "", 1);
    let (context, message) = split_context(&text);
    if message.contains("more than one document") {
        if let Some(marker) = sources.text(file).and_then(yaml::second_document_line) {
            let pos = SourcePos {
                file: file.to_path_buf(),
                line: marker,
                col: 1,
            };
            return sources.error(
                case_id,
                pos,
                "a second YAML document starts here; a case file holds one case".to_string(),
                Some(
                    "remove this `---` line, or move the second case into a file of its own".into(),
                ),
            );
        }
    }
    if let Some(path) = context {
        // The backend points at the anchor an alias refers to; the mistake is at the alias.
        let located = outline.value(path);
        let at_alias = sources
            .line(file, located.line)
            .and_then(|l| l.chars().nth(located.col.saturating_sub(1)))
            == Some('*');
        if at_alias {
            (line, col) = (located.line, located.col);
        }
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        // The backend points at the mapping; point at the second occurrence of the key.
        if let Some(key) = backticked(rest).first() {
            let keys = outline.keys(context.unwrap_or(""));
            if let Some((_, l, c)) = keys.iter().filter(|(k, _, _)| k == key).nth(1) {
                (line, col) = (*l, *c);
            }
        }
    }
    let pos = SourcePos {
        file: file.to_path_buf(),
        line,
        col,
    };
    let (message, help) = describe(message, context);
    sources.error(case_id, pos, message, help)
}

/// Splits "steps[0].fault: message" into the path prefix and the message. A colon inside the
/// message (after a backtick or a space) is not a path.
fn split_context(text: &str) -> (Option<&str>, &str) {
    match text.split_once(": ") {
        Some((path, rest))
            if !path.is_empty()
                && path
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']')) =>
        {
            (Some(path), rest)
        }
        _ => (None, text),
    }
}

/// Rewrites serde's messages into the case vocabulary and adds a did-you-mean.
fn describe(message: &str, context: Option<&str>) -> (String, Option<String>) {
    let place = context.map(|c| format!(" in `{c}`")).unwrap_or_default();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names = backticked(rest);
        if let Some((unknown, expected)) = names.split_first() {
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            return (
                format!("unknown key `{unknown}`{place}"),
                suggestion(unknown, &expected),
            );
        }
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        if let Some(name) = backticked(rest).first() {
            return (
                format!("key `{name}` is given twice{place}"),
                Some("a key may appear once in a mapping".to_string()),
            );
        }
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let names = backticked(rest);
        if let Some(name) = names.first() {
            return (format!("missing key `{name}`{place}"), None);
        }
    }
    (format!("{}{place}", plain_type_names(message)), None)
}

/// serde names the raw structs (`expected struct RawStep`); say what they are instead.
fn plain_type_names(message: &str) -> String {
    [
        (
            "struct RawCase",
            "a case (a mapping with title, operation, since, steps, ...)",
        ),
        (
            "struct RawStep",
            "a step (a mapping with name, body, expect, ...)",
        ),
        ("struct RawHeaders", "a headers mapping"),
        ("struct RawFault", "a fault mapping (code, response_code)"),
        ("struct RawOptions", "an options mapping"),
    ]
    .iter()
    .fold(message.to_string(), |text, (raw, plain)| {
        text.replace(raw, plain)
    })
}

/// Every `name` between backticks in `text`.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("expext", "expect"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("capture", "capture"), 0);
        assert_eq!(edit_distance("stpes", "steps"), 2);
    }

    #[test]
    fn suggests_the_closest_key() {
        let keys = ["name", "body", "expect", "expect_file", "capture"];
        assert_eq!(did_you_mean("expext", keys), Some("expect"));
        assert_eq!(did_you_mean("captur", keys), Some("capture"));
        assert_eq!(did_you_mean("zzzzzz", keys), None);
        assert_eq!(
            suggestion("zz", &["a", "b"]).as_deref(),
            Some("expected one of `a`, `b`")
        );
    }

    #[test]
    fn rewrites_serde_messages() {
        assert_eq!(
            describe("invalid type: sequence, expected struct RawCase", None).0,
            "invalid type: sequence, expected a case (a mapping with title, operation, since, steps, ...)"
        );
        let (message, help) = describe(
            "unknown field `expext`, expected one of `name`, `expect`",
            Some("steps[0]"),
        );
        assert_eq!(message, "unknown key `expext` in `steps[0]`");
        assert_eq!(help.as_deref(), Some("did you mean `expect`?"));
        assert_eq!(
            split_context("steps[0].status: invalid type: string \"a\", expected u16"),
            (
                Some("steps[0].status"),
                "invalid type: string \"a\", expected u16"
            )
        );
        assert_eq!(
            split_context("did not find expected key"),
            (None, "did not find expected key")
        );
    }
}
