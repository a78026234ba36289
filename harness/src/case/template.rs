//! `{{expr}}` templates: splitting text into literals, variables and matcher expressions, and
//! rendering with escaping.
//!
//! An expression whose first word is one of [`xml::MATCHER_WORDS`] is a matcher and is kept
//! verbatim (with its braces) when rendering, for the XML engine. Any other expression must be a
//! single variable name `[A-Za-z_][A-Za-z0-9_]*`. There is no escape for a literal `{{`: EWS XML
//! never needs one.

use std::ops::Range;

use super::{Escape, MissingVar, Segment, Template};
use crate::xml;

/// Why a template could not be parsed, with the byte offset (in the template text) of the `{{`
/// that starts the bad expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

/// A segment with the byte range of its source text (including the braces of expressions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned {
    pub range: Range<usize>,
    pub segment: Segment,
}

/// Splits `text` into spanned segments.
pub fn scan(text: &str) -> Result<Vec<Spanned>, TemplateError> {
    let mut out = Vec::new();
    let mut literal_start = 0;
    let mut rest_at = 0;
    while let Some(found) = text[rest_at..].find("{{") {
        let open = rest_at + found;
        let inner_start = open + 2;
        let Some(close) = find_close(text, inner_start) else {
            return Err(TemplateError {
                offset: open,
                message: "unclosed `{{`: every `{{` needs a matching `}}`".to_string(),
            });
        };
        if open > literal_start {
            out.push(Spanned {
                range: literal_start..open,
                segment: Segment::Literal(text[literal_start..open].to_string()),
            });
        }
        let segment = classify(&text[inner_start..close]).map_err(|message| TemplateError {
            offset: open,
            message,
        })?;
        out.push(Spanned {
            range: open..close + 2,
            segment,
        });
        literal_start = close + 2;
        rest_at = literal_start;
    }
    if literal_start < text.len() {
        out.push(Spanned {
            range: literal_start..text.len(),
            segment: Segment::Literal(text[literal_start..].to_string()),
        });
    }
    Ok(out)
}

/// Byte offset of the `}}` closing an expression that starts at `from`. In a run of more than
/// two `}`, the last two close (so `{{regex a{2}}}` holds `regex a{2}`). A `{{` before the close
/// means the first one was never closed.
fn find_close(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && bytes[i + 1] == b'{' {
            return None;
        }
        if bytes[i] == b'}' && bytes[i + 1] == b'}' {
            let mut end = i + 2;
            while end < bytes.len() && bytes[end] == b'}' {
                end += 1;
            }
            return Some(end - 2);
        }
        i += 1;
    }
    None
}

/// Decides whether the inside of `{{ }}` is a matcher or a variable.
fn classify(inner: &str) -> Result<Segment, String> {
    let expr = inner.trim();
    let Some(first) = expr.split_whitespace().next() else {
        return Err("empty `{{}}`: write a variable name or a matcher".to_string());
    };
    if xml::MATCHER_WORDS.contains(&first) {
        return Ok(Segment::Matcher(expr.to_string()));
    }
    if is_variable_name(expr) || is_export_name(expr) {
        return Ok(Segment::Var(expr.to_string()));
    }
    Err(format!(
        "`{{{{{expr}}}}}` is neither a variable name ([A-Za-z_][A-Za-z0-9_]*, or ALIAS.NAME for what a fixture exports) nor a matcher ({})",
        xml::MATCHER_WORDS.join(", ")
    ))
}

/// `ALIAS.NAME`: a name a fixture used `as: ALIAS` exports (both parts variable names).
pub fn is_export_name(name: &str) -> bool {
    name.split_once('.')
        .is_some_and(|(alias, local)| is_variable_name(alias) && is_variable_name(local))
}

/// `[A-Za-z_][A-Za-z0-9_]*`
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Template {
    /// Splits `text` into segments and says where a bad expression starts.
    pub fn parse_spanned(text: &str) -> Result<(Template, Vec<Spanned>), TemplateError> {
        let spans = scan(text)?;
        let template = Template {
            source: text.to_string(),
            segments: spans.iter().map(|s| s.segment.clone()).collect(),
        };
        Ok((template, spans))
    }

    pub(super) fn parse_impl(text: &str) -> Result<Template, String> {
        Template::parse_spanned(text)
            .map(|(t, _)| t)
            .map_err(|e| format!("{} (at byte {})", e.message, e.offset))
    }

    pub(super) fn render_impl(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
        escape: Escape,
    ) -> Result<String, MissingVar> {
        let mut out = String::with_capacity(self.source.len());
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Matcher(expr) => {
                    out.push_str("{{");
                    out.push_str(expr);
                    out.push_str("}}");
                }
                Segment::Var(name) => {
                    let value = lookup(name).ok_or_else(|| MissingVar(name.clone()))?;
                    match escape {
                        Escape::Xml => out.push_str(&crate::xml::escape_value(&value)),
                        Escape::None => out.push_str(&value),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// The template text with every variable replaced by a run of `x` as long as its `{{name}}`
/// source (so positions in the result are positions in the source), matchers kept verbatim.
/// Used to check well-formedness at load time, before any value is known.
pub fn placeholder_text(source: &str, spans: &[Spanned]) -> String {
    let mut out = String::with_capacity(source.len());
    for span in spans {
        match &span.segment {
            Segment::Var(_) => {
                let width = source[span.range.clone()].chars().count();
                out.extend(std::iter::repeat_n('x', width));
            }
            Segment::Literal(_) | Segment::Matcher(_) => out.push_str(&source[span.range.clone()]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_literals_variables_and_matchers() {
        let spans = scan("a{{run_id}}b{{ bind id }}{{regex a{2}}}").unwrap();
        let segments: Vec<_> = spans.iter().map(|s| s.segment.clone()).collect();
        assert_eq!(
            segments,
            vec![
                Segment::Literal("a".into()),
                Segment::Var("run_id".into()),
                Segment::Literal("b".into()),
                Segment::Matcher("bind id".into()),
                Segment::Matcher("regex a{2}".into()),
            ]
        );
        assert_eq!(spans[1].range, 1..11);
    }

    #[test]
    fn unclosed_braces_point_at_the_opening() {
        let err = scan("<a>{{run_id</a>").unwrap_err();
        assert_eq!(err.offset, 3);
        let err = scan("{{a {{b}}").unwrap_err();
        assert_eq!(err.offset, 0);
    }

    #[test]
    fn bad_expressions_are_errors() {
        assert!(scan("{{}}").is_err());
        assert!(scan("{{two words}}").is_err());
        assert!(scan("{{1abc}}").is_err());
    }

    #[test]
    fn placeholder_keeps_positions() {
        let text = "<a b=\"{{run_id}}\">{{any}}</a>";
        let spans = scan(text).unwrap();
        let placeholder = placeholder_text(text, &spans);
        assert_eq!(placeholder, "<a b=\"xxxxxxxxxx\">{{any}}</a>");
        assert_eq!(placeholder.len(), text.len());
    }
}
