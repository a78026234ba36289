//! The one module that names the YAML backend.
//!
//! `serde_yaml` is deprecated upstream. Every other module goes through the items here, so moving
//! to a maintained fork (for example `serde_yml` or `serde_norway`) is a change of the `use` line
//! below and nothing else.

pub use serde_yaml as backend;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Error type of the YAML backend.
pub type Error = backend::Error;

/// Parses a YAML document into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    backend::from_str(text)
}

/// Serializes `value` as a YAML document.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, Error> {
    backend::to_string(value)
}

/// 1-based (line, column) of a YAML error, when the backend knows it.
pub fn error_location(error: &Error) -> Option<(usize, usize)> {
    error.location().map(|loc| (loc.line(), loc.column()))
}

/// The 1-based line of the `---` marker that starts a second YAML document in `text`, if any.
/// A `---` at column 1 is always a document marker (it also ends a block scalar); one before any
/// content is the explicit start of the first document.
pub fn second_document_line(text: &str) -> Option<usize> {
    let mut seen_content = false;
    for (index, line) in text.lines().enumerate() {
        let is_marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if is_marker {
            if seen_content {
                return Some(index + 1);
            }
            seen_content = true;
            continue;
        }
        let trimmed = line.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            seen_content = true;
        }
    }
    None
}

/// Tags in `text` other than YAML's own (`!!str`, `!!int`, ...): `(tag, line, col)` of the first
/// use of each, 1-based. The case format gives no meaning to custom tags (`!include`, `!env`),
/// so they are refused rather than silently read as plain values.
pub fn custom_tags(text: &str) -> Vec<(String, usize, usize)> {
    let Ok(value) = backend::from_str::<backend::Value>(text) else {
        return Vec::new();
    };
    let mut tags = Vec::new();
    collect_tags(&value, &mut tags);
    let mut found: Vec<(String, usize, usize)> = Vec::new();
    for tag in tags {
        if found.iter().any(|(t, _, _)| *t == tag) {
            continue;
        }
        let (line, col) = locate_token(text, &tag).unwrap_or((1, 1));
        found.push((tag, line, col));
    }
    found.sort_by_key(|(_, line, col)| (*line, *col));
    found
}

fn collect_tags(value: &backend::Value, tags: &mut Vec<String>) {
    match value {
        backend::Value::Tagged(tagged) => {
            tags.push(tagged.tag.to_string());
            collect_tags(&tagged.value, tags);
        }
        backend::Value::Sequence(items) => items.iter().for_each(|v| collect_tags(v, tags)),
        backend::Value::Mapping(map) => {
            for (k, v) in map {
                collect_tags(k, tags);
                collect_tags(v, tags);
            }
        }
        _ => {}
    }
}

/// 1-based line and column (in characters) of the first `token` followed by a space or the end
/// of the line, outside comments.
fn locate_token(text: &str, token: &str) -> Option<(usize, usize)> {
    for (index, line) in text.lines().enumerate() {
        let code = line.split(" #").next().unwrap_or(line);
        for (at, _) in code.match_indices(token) {
            let after = code[at + token.len()..].chars().next();
            if after.is_none_or(|c| c == ' ' || c == '\t') {
                return Some((index + 1, code[..at].chars().count() + 1));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_document_is_found_at_its_marker() {
        assert_eq!(second_document_line("a: 1\n---\nb: 2\n"), Some(2));
        assert_eq!(second_document_line("---\na: 1\n"), None);
        assert_eq!(second_document_line("# c\n---\na: 1\n--- \nb: 2"), Some(4));
        assert_eq!(second_document_line("a: |\n  x\n  ---\n"), None);
    }

    #[test]
    fn custom_tags_are_found_where_they_are_used() {
        let text = "a: 1\nb: !include x.yaml\nc: !!str 5\n";
        assert_eq!(custom_tags(text), vec![("!include".to_string(), 2, 4)]);
        assert!(custom_tags("a: !!str 1\nb: 2\n").is_empty());
    }
}
