//! Masking: a response element becomes an expectation whose dynamic values are visible
//! placeholders, printed as pretty XML with the predeclared prefixes.
//!
//! For every attribute and text value, first rule that applies:
//! 1. the old expectation had `{{bind ...}}` or `{{differs ...}}` at the same place: kept (later
//!    steps use the name; "this changed" stays checked);
//! 2. the value equals a value captured or bound by an earlier step: that variable
//!    (`{{group.id}}`);
//! 3. an `Id` attribute: `{{ews_id}}`; a `ChangeKey` attribute: `{{base64}}`;
//! 4. an `xs:dateTime`: `{{datetime}}`;
//! 5. otherwise the value, with the run id and the target's variables put back as templates
//!    (`conf-{{run_id}}-x`, `{{mailbox}}`).

use std::collections::BTreeMap;

use crate::soap;
use crate::xml::{self, Element, Node};

/// What masking knows about the case at the step being recorded.
pub struct MaskContext<'a> {
    /// Values captured or bound by earlier steps (not the target's variables).
    pub captured: &'a BTreeMap<String, String>,
    /// The target's variables and `run_id`.
    pub target: &'a BTreeMap<String, String>,
    /// Matchers of the old expectation, by place (see [`places`]).
    pub old: &'a BTreeMap<String, String>,
}

/// The response's Body child, masked and pretty-printed (no namespace declarations for the
/// predeclared prefixes).
pub fn expectation(response: &Element, ctx: &MaskContext<'_>) -> String {
    let mut element = response.clone();
    let here = format!("/{}", element.name.local);
    mask_element(&mut element, &here, ctx);
    let text = xml::pretty(&xml::Document { root: element });
    strip_predeclared(&text)
}

/// Masks `element`, whose place is `here` (`/Root`, `/Root/Child[0]`: children are keyed by
/// name and index among same-named siblings, as [`places`] keys the old expectation).
fn mask_element(element: &mut Element, here: &str, ctx: &MaskContext<'_>) {
    for attr in &mut element.attrs {
        let place = format!("{here}/@{}", attr.name.local);
        attr.value = mask_value(&attr.value, Some(&attr.name.local), &place, ctx);
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for child in &mut element.children {
        match child {
            Node::Element(e) => {
                let n = seen.entry(e.name.local.to_string()).or_insert(0);
                let place = format!("{here}/{}[{n}]", e.name.local);
                *n += 1;
                mask_element(e, &place, ctx);
            }
            Node::Text(text) => {
                let place = format!("{here}/text()");
                *text = mask_value(text, None, &place, ctx);
            }
        }
    }
}

fn mask_value(value: &str, attr: Option<&str>, place: &str, ctx: &MaskContext<'_>) -> String {
    if let Some(old) = ctx.old.get(place) {
        return old.clone();
    }
    // Short values ("0", "true") equal to a capture by chance are not that capture.
    if value.len() >= 8 || (attr.is_some() && !value.is_empty()) {
        if let Some((name, _)) = ctx.captured.iter().find(|(_, v)| v.as_str() == value) {
            return format!("{{{{{name}}}}}");
        }
    }
    match attr {
        Some("Id") if !value.is_empty() => return "{{ews_id}}".to_string(),
        Some("ChangeKey") if !value.is_empty() => return "{{base64}}".to_string(),
        _ => {}
    }
    if is_datetime(value.trim()) {
        return "{{datetime}}".to_string();
    }
    templated(value, ctx.target)
}

/// `value` with the run id and the target's variable values replaced by their templates
/// (longest values first, so `mailbox` wins over the `domain` inside it).
fn templated(value: &str, target: &BTreeMap<String, String>) -> String {
    let mut vars: Vec<(&String, &String)> = target.iter().filter(|(_, v)| v.len() >= 3).collect();
    vars.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    // Replace by scanning once, so a template inserted is never matched again.
    let mut out = String::new();
    let mut rest = value;
    'scan: while !rest.is_empty() {
        for (name, v) in &vars {
            if rest.starts_with(v.as_str()) {
                out.push_str(&format!("{{{{{name}}}}}"));
                rest = &rest[v.len()..];
                continue 'scan;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `YYYY-MM-DDThh:mm:ss`, optional fraction, optional `Z` or `±hh:mm`.
fn is_datetime(v: &str) -> bool {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    if b.len() < 19
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [] | [b'Z'] => true,
        [s, h1, h2, b':', m1, m2] if (*s == b'+' || *s == b'-') => {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Removes `xmlns:p="..."` declarations of the predeclared prefixes from the first line.
fn strip_predeclared(text: &str) -> String {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut first = first.to_string();
    for (prefix, uri) in soap::PREDECLARED {
        first = first.replace(&format!(" xmlns:{prefix}=\"{uri}\""), "");
    }
    if rest.is_empty() {
        first
    } else {
        format!("{first}\n{rest}")
    }
}

/// The matchers worth keeping (`bind`, `differs`) of an old expectation, by place. `expected`
/// is the expectation's element (the Body's child), parsed with its matchers as text.
pub fn places(expected: &Element) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let here = format!("/{}", expected.name.local);
    collect(expected, &here, &mut out);
    out
}

fn collect(element: &Element, here: &str, out: &mut BTreeMap<String, String>) {
    let keep = |v: &str| {
        let t = v.trim();
        let inner = t.strip_prefix("{{")?.strip_suffix("}}")?.trim();
        let word = inner.split_whitespace().next()?;
        matches!(word, "bind" | "differs").then(|| t.to_string())
    };
    for attr in &element.attrs {
        if let Some(m) = keep(&attr.value) {
            out.insert(format!("{here}/@{}", attr.name.local), m);
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for child in &element.children {
        match child {
            Node::Element(e) => {
                let n = seen.entry(e.name.local.to_string()).or_insert(0);
                let place = format!("{here}/{}[{n}]", e.name.local);
                *n += 1;
                collect(e, &place, out);
            }
            Node::Text(text) => {
                if let Some(m) = keep(text) {
                    out.insert(format!("{here}/text()"), m);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_are_recognised() {
        assert!(is_datetime("2012-01-05T23:06:58Z"));
        assert!(is_datetime("2012-01-05T23:06:58.123+01:00"));
        assert!(is_datetime("2012-01-05T23:06:58"));
        assert!(!is_datetime("2012-01-05"));
        assert!(!is_datetime("2012-01-05T23:06:58+0100"));
    }

    #[test]
    fn run_id_and_target_values_go_back_to_templates() {
        let mut target = BTreeMap::new();
        target.insert("run_id".to_string(), "r0123456789".to_string());
        target.insert("mailbox".to_string(), "alice@example.com".to_string());
        target.insert("domain".to_string(), "example.com".to_string());
        assert_eq!(
            templated(
                "conf-r0123456789-x alice@example.com c@example.com",
                &target
            ),
            "conf-{{run_id}}-x {{mailbox}} c@{{domain}}"
        );
    }
}
