//! Text hygiene shared by the writers: everything a server or a case file produced is passed
//! through [`visible_controls`] before it reaches a terminal, an XML file or an HTML page, so a
//! hostile response cannot move the cursor, recolor a terminal, or hide text with control
//! characters. Markup escaping is each writer's own job (XML writer, HTML templating).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Replaces control characters with visible escapes (`\x1b`, `\x00`, `\u{85}`), keeping tab,
/// line feed and carriage return. Also replaces the Unicode line/paragraph separators and the
/// bidirectional overrides (`\u{202e}` ...) that can disguise text.
pub fn visible_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            let code = u32::from(c);
            if code < 0x80 {
                let _ = write!(out, "\\x{code:02x}");
            } else {
                let _ = write!(out, "\\u{{{code:x}}}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        '\u{2028}' | '\u{2029}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    }
}

/// [`visible_controls`] into an owned string.
pub fn clean(text: &str) -> String {
    visible_controls(text).into_owned()
}

/// `text` for an HTML page: control characters made visible ([`visible_controls`]), then the
/// markup characters escaped, so hostile text can stand in an element or a quoted attribute.
pub fn html_text(text: &str) -> String {
    let text = visible_controls(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The head of a static report page (no script at all): doctype, a Content-Security-Policy that
/// forbids every fetch and script, the title (escaped) and the page's own style sheet.
pub fn static_page_head(title: &str, style: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>{}</title><style>{style}</style></head><body>",
        html_text(title)
    )
}

/// The first non-blank line of `text`, trimmed.
pub fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// Formats milliseconds for people: `850 ms`, `12.3 s`, `4 min 05 s`.
pub fn human_duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        let secs = ms / 1000;
        format!("{} min {:02} s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(visible_controls("a\u{1b}[31mb"), "a\\x1b[31mb");
        assert_eq!(visible_controls("nul\0bel\u{7}"), "nul\\x00bel\\x07");
        assert_eq!(visible_controls("c1\u{85}"), "c1\\u{85}");
        assert_eq!(visible_controls("rtl\u{202e}x"), "rtl\\u{202e}x");
        assert_eq!(visible_controls("del\u{7f}"), "del\\x7f");
    }

    #[test]
    fn ordinary_text_and_line_breaks_are_kept_without_copying() {
        let text = "line 1\n\tline 2\r\nÄ ü 漢字";
        assert!(matches!(visible_controls(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(850), "850 ms");
        assert_eq!(human_duration(12_345), "12.3 s");
        assert_eq!(human_duration(245_000), "4 min 05 s");
    }
}
