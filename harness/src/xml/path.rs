//! Namespace-aware paths over the canonical tree (a small XPath subset).
//!
//! Steps are `name`, `p:name`, `*` or `p:*`, each optionally with a 1-based `[n]` index among
//! the matching siblings (XPath `child::name[n]`). `/` separates children, `//` reaches any
//! depth. A final `@attr` / `@p:attr` step selects attributes.

use std::collections::HashSet;

use super::pretty::addr;
use super::{Attr, Document, Element, Node, Path, ns};

/// Prefixes a path may use without declaring them.
pub const PREDECLARED: &[(&str, &str)] = &[
    ("soap", ns::SOAP),
    ("s", ns::SOAP),
    ("soap12", ns::SOAP12),
    ("m", ns::MESSAGES),
    ("t", ns::TYPES),
    ("e", ns::ERRORS),
    ("xsi", ns::XSI),
    ("xml", ns::XML),
];

/// A name test: namespace (None = any namespace) and local name (None = `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTest {
    ns: Option<&'static str>,
    local: Option<String>,
}

impl NameTest {
    fn matches(&self, name: &super::QName) -> bool {
        self.local.as_deref().is_none_or(|l| l == name.local)
            && self.ns.is_none_or(|n| name.ns.as_deref() == Some(n))
    }
}

/// One element step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `//` before the step: the step applies at any depth below the context.
    descendant: bool,
    test: NameTest,
    index: Option<usize>,
}

/// Something a path selects.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'d> {
    Element(&'d Element),
    /// An attribute: its element, its index in `attrs`, the attribute.
    Attr(&'d Element, usize, &'d Attr),
}

pub(crate) fn parse(text: &str) -> Result<Path, String> {
    let fail = |why: String| Err(format!("bad path `{text}`: {why}"));
    if !text.starts_with('/') {
        return fail("a path starts with `/` (from the root) or `//` (anywhere)".into());
    }
    let mut steps = Vec::new();
    let mut attr = None;
    let mut rest = text;
    while !rest.is_empty() {
        if attr.is_some() {
            return fail("the `@attribute` step must be the last one".into());
        }
        let descendant = if let Some(r) = rest.strip_prefix("//") {
            rest = r;
            true
        } else if let Some(r) = rest.strip_prefix('/') {
            rest = r;
            false
        } else {
            return fail(format!("expected `/` before `{rest}`"));
        };
        let end = rest.find('/').unwrap_or(rest.len());
        let raw = &rest[..end];
        rest = &rest[end..];
        if raw.is_empty() {
            return fail("empty step".into());
        }
        if let Some(name) = raw.strip_prefix('@') {
            if descendant {
                return fail(
                    "`//@attr` is not supported; name the element: `//t:ItemId/@Id`".into(),
                );
            }
            if name.contains('[') {
                return fail("an attribute step takes no index".into());
            }
            match name_test(name) {
                Ok(t) => attr = Some(t),
                Err(e) => return fail(e),
            }
            continue;
        }
        let (name, index) = match raw.split_once('[') {
            Some((n, idx)) => {
                let Some(digits) = idx.strip_suffix(']') else {
                    return fail(format!("unclosed index in `{raw}`"));
                };
                match digits.trim().parse::<usize>() {
                    Ok(i) if i >= 1 => (n, Some(i)),
                    _ => return fail(format!("index in `{raw}` must be a number from 1")),
                }
            }
            None => (raw, None),
        };
        let test = match name_test(name) {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        steps.push(Step {
            descendant,
            test,
            index,
        });
    }
    if steps.is_empty() {
        return fail("no element step".into());
    }
    Ok(Path {
        source: text.to_string(),
        steps,
        attr,
    })
}

fn name_test(name: &str) -> Result<NameTest, String> {
    let (prefix, local) = match name.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, name),
    };
    if local.is_empty()
        || local
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '[' | ']' | '@' | ':' | '/'))
    {
        return Err(format!("`{name}` is not a name"));
    }
    let ns = match prefix {
        None => None,
        Some(p) => match PREDECLARED.iter().find(|(k, _)| *k == p) {
            Some((_, uri)) => Some(*uri),
            None => {
                let known: Vec<&str> = PREDECLARED.iter().map(|(k, _)| *k).collect();
                return Err(format!(
                    "unknown prefix `{p}` (known prefixes: {})",
                    known.join(", ")
                ));
            }
        },
    };
    Ok(NameTest {
        ns,
        local: (local != "*").then(|| local.to_string()),
    })
}

/// Elements selected by the element steps, in discovery order without duplicates.
fn select_elements<'d>(path: &Path, doc: &'d Document) -> Vec<&'d Element> {
    // `None` is the document node, whose only child is the root.
    let mut context: Vec<Option<&'d Element>> = vec![None];
    for step in &path.steps {
        let mut next: Vec<Option<&'d Element>> = Vec::new();
        let mut seen = HashSet::new();
        for ctx in &context {
            let mut parents: Vec<Option<&'d Element>> = vec![*ctx];
            if step.descendant {
                let mut stack: Vec<&'d Element> = Vec::new();
                match ctx {
                    None => stack.push(&doc.root),
                    Some(e) => stack.extend(child_elements(e).rev()),
                }
                while let Some(e) = stack.pop() {
                    parents.push(Some(e));
                    stack.extend(child_elements(e).rev());
                }
            }
            for parent in parents {
                let mut n = 0;
                let candidates: Box<dyn Iterator<Item = &'d Element>> = match parent {
                    None => Box::new(std::iter::once(&doc.root)),
                    Some(p) => Box::new(child_elements(p)),
                };
                for child in candidates {
                    if !step.test.matches(&child.name) {
                        continue;
                    }
                    n += 1;
                    if step.index.is_some_and(|i| i != n) {
                        continue;
                    }
                    if seen.insert(addr(child)) {
                        next.push(Some(child));
                    }
                }
            }
        }
        context = next;
        if context.is_empty() {
            break;
        }
    }
    context.into_iter().flatten().collect()
}

fn child_elements(e: &Element) -> impl DoubleEndedIterator<Item = &Element> {
    e.children.iter().filter_map(|c| match c {
        Node::Element(e) => Some(e),
        Node::Text(_) => None,
    })
}

pub(crate) fn select<'d>(path: &Path, doc: &'d Document) -> Vec<Selection<'d>> {
    let elements = select_elements(path, doc);
    match &path.attr {
        None => elements.into_iter().map(Selection::Element).collect(),
        Some(test) => elements
            .into_iter()
            .flat_map(|e| {
                e.attrs
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| test.matches(&a.name))
                    .map(move |(i, a)| Selection::Attr(e, i, a))
            })
            .collect(),
    }
}

/// Direct text of an element (its text children joined).
pub(crate) fn text_of(e: &Element) -> String {
    let mut out = String::new();
    for c in &e.children {
        if let Node::Text(t) = c {
            out.push_str(t);
        }
    }
    out
}

pub(crate) fn select_values(path: &Path, doc: &Document) -> Vec<String> {
    select(path, doc)
        .into_iter()
        .map(|s| match s {
            Selection::Element(e) => text_of(e),
            Selection::Attr(_, _, a) => a.value.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{ParseOptions, parse};

    fn doc() -> Document {
        parse(
            br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
                 xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"
                 xmlns:x="urn:other">
              <s:Body><t:G Id="1"><t:N>a</t:N></t:G><t:G Id="2"><t:N>b</t:N></t:G><x:G Id="3"/></s:Body>
            </s:Envelope>"#,
            &ParseOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn selects_children_descendants_indexes_and_attributes() {
        let d = doc();
        let values = |p: &str| Path::parse(p).unwrap().select_values(&d);
        assert_eq!(values("/soap:Envelope/soap:Body/t:G/@Id"), ["1", "2"]);
        assert_eq!(values("//t:G[2]/t:N"), ["b"]);
        assert_eq!(values("//G/@Id"), ["1", "2", "3"]);
        assert_eq!(values("/s:Envelope/*/*[3]/@Id"), ["3"]);
        assert_eq!(values("//t:N"), ["a", "b"]);
        assert!(values("/t:Envelope").is_empty());
    }

    #[test]
    fn bad_paths_say_why() {
        assert!(
            Path::parse("//q:Foo")
                .unwrap_err()
                .contains("unknown prefix `q`")
        );
        assert!(Path::parse("Foo").unwrap_err().contains("starts with `/`"));
        assert!(Path::parse("/a[0]").unwrap_err().contains("index"));
        assert!(Path::parse("/a/@b/c").unwrap_err().contains("last"));
        assert!(Path::parse("/a//").is_err());
    }
}
