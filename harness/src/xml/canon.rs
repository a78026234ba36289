//! The parser: XML text -> canonical [`Document`], applying the ordered [`RULES`].
//!
//! Bytes are decoded by `encoding`, checked by the strict well-formedness checker
//! (`wellformed`, which also resolves namespaces), and this module builds the canonical tree
//! from what the checker reports (local names interned, attributes sorted, text trimmed by the
//! `trim-text` rule, QName values resolved). It owns the rule list and the line:column index.
//! It never panics and never expands a DTD.

use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::encoding;
use super::ns;
use super::wellformed::{Checker, NsScope, ScanAttr, Sink};
use super::{
    Attr, Document, Element, Name, Node, ParseOptions, QName, TextPos, XmlError, XmlErrorKind,
};

/// One canonicalization rule: a stable name (used in docs and golden tests) and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub description: &'static str,
}

/// The canonicalization rules, in order. New rules are appended so existing expectations stay
/// valid; each has a golden test under `harness/tests/golden/xml/`.
pub const RULES: &[Rule] = &[
    Rule {
        name: "expanded-names",
        description: "element and attribute names compare as (namespace URI, local name); prefixes vanish",
    },
    Rule {
        name: "attribute-order",
        description: "attributes are sorted by (namespace URI, local name); their order never matters",
    },
    Rule {
        name: "xmlns-not-attributes",
        description: "namespace declarations (`xmlns`, `xmlns:p`) are not attributes",
    },
    Rule {
        name: "drop-comments-pis-decl",
        description: "comments, processing instructions and the XML declaration are dropped",
    },
    Rule {
        name: "cdata-as-text",
        description: "CDATA sections are text; adjacent text and CDATA merge into one text node",
    },
    Rule {
        name: "empty-element-forms",
        description: "`<a/>` equals `<a></a>`",
    },
    Rule {
        name: "resolve-char-refs",
        description: "character references and the five predefined entities are resolved; other entities are errors",
    },
    Rule {
        name: "drop-whitespace-text",
        description: "whitespace-only text (indentation between elements) is dropped",
    },
    Rule {
        name: "trim-text",
        description: "leading and trailing whitespace of a text value is dropped when it contains a line break (indentation); spaces beside the value on its line are kept (a step may opt out of all trimming)",
    },
    Rule {
        name: "qname-values",
        description: "SOAP faultcode text (and SOAP 1.2 Code/Value) and xsi:type values become `{uri}local`",
    },
    Rule {
        name: "refuse-dtd",
        description: "a DOCTYPE or entity declaration is an error (kind Dtd), never expanded",
    },
];

pub(crate) use super::wellformed::XMLNS_NS;

/// Converts byte offsets into 1-based line:column positions, moving forward incrementally
/// (each byte is scanned once for monotonic queries). Columns count characters.
pub(crate) struct LineIndex<'a> {
    text: &'a [u8],
    offset: usize,
    line: u32,
    col: u32,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        LineIndex {
            text,
            offset: 0,
            line: 1,
            col: 1,
        }
    }

    pub(crate) fn pos(&mut self, offset: usize) -> TextPos {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
            self.col = 1;
        }
        let segment = self.text.get(self.offset..offset).unwrap_or_default();
        if segment.len() < 64 {
            // Short hops (between tags and attributes): one simple pass.
            for &b in segment {
                if b == b'\n' {
                    self.line = self.line.saturating_add(1);
                    self.col = 1;
                } else if (b as i8) >= -0x40 {
                    self.col = self.col.saturating_add(1);
                }
            }
        } else {
            match memchr::memrchr(b'\n', segment) {
                Some(last) => {
                    let newlines = memchr::memchr_iter(b'\n', segment).count();
                    self.line = self.line.saturating_add(to_u32(newlines));
                    self.col = 1u32
                        .saturating_add(count_chars(segment.get(last + 1..).unwrap_or_default()));
                }
                None => self.col = self.col.saturating_add(count_chars(segment)),
            }
        }
        self.offset = offset;
        TextPos {
            line: self.line,
            col: self.col,
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Characters in a UTF-8 byte slice (bytes that do not continue a sequence).
fn count_chars(bytes: &[u8]) -> u32 {
    to_u32(bytes.iter().filter(|&&b| (b as i8) >= -0x40).count())
}

/// `s` without XML whitespace at either end (byte scan).
pub(crate) fn trim_xml_space(s: &str) -> &str {
    let b = s.as_bytes();
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let start = b.iter().position(|c| !is_space(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !is_space(c))
        .map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or_default()
}

pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Whether an element's text is a QName value (rule `qname-values`): SOAP 1.1 `faultcode`
/// (unqualified, child of `soap:Fault`) and SOAP 1.2 `Value` under `Code`/`Subcode`.
pub(crate) fn is_qname_text(parent: Option<&QName>, name: &QName) -> bool {
    let Some(parent) = parent else { return false };
    (name.ns.is_none() && name.local == "faultcode" && parent.is(ns::SOAP, "Fault"))
        || (name.is(ns::SOAP12, "Value")
            && (parent.is(ns::SOAP12, "Code") || parent.is(ns::SOAP12, "Subcode")))
}

/// Whether an attribute's value is a QName value (rule `qname-values`): `xsi:type`.
pub(crate) fn is_qname_attr(name: &QName) -> bool {
    name.is(ns::XSI, "type")
}

struct Open {
    name: QName,
    attrs: Vec<Attr>,
    pos: TextPos,
    first_child: usize,
    qname_text: bool,
}

/// Builds the canonical tree from what the well-formedness checker reports.
struct Builder {
    trim: bool,
    locals: FxHashSet<Arc<str>>,
    stack: Vec<Open>,
    /// Children of all open elements, innermost last.
    nodes: Vec<Node>,
    /// Pending text of the innermost open element.
    text: String,
    /// Byte range of `text` from its first to its last character that is not literal
    /// whitespace (a character reference is never literal whitespace).
    hard: Option<(usize, usize)>,
    root: Option<Element>,
}

/// Parses `xml` (see [`super::parse`]).
pub(crate) fn parse(xml: &[u8], opts: &ParseOptions) -> Result<Document, XmlError> {
    let input = encoding::decode(xml)?;
    let mut builder = Builder {
        trim: opts.trim_text,
        locals: FxHashSet::default(),
        stack: Vec::new(),
        nodes: Vec::new(),
        text: String::new(),
        hard: None,
        root: None,
    };
    Checker::new(&input, &opts.limits, &mut builder).run()?;
    match builder.root {
        Some(root) => Ok(Document { root }),
        None => Err(XmlError {
            pos: LineIndex::new(input.as_bytes()).pos(input.len()),
            kind: XmlErrorKind::Empty,
            message: "no root element".into(),
        }),
    }
}

/// Whether a whitespace run holds a line break.
fn has_break(run: &str) -> bool {
    run.bytes().any(|c| c == b'\n' || c == b'\r')
}

impl Builder {
    /// The shared copy of a local name.
    fn local(&mut self, local: &str) -> Name {
        match self.locals.get(local) {
            Some(a) => Name::from(a.clone()),
            None => {
                let a: Arc<str> = Arc::from(local);
                self.locals.insert(a.clone());
                Name::from(a)
            }
        }
    }

    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        if let (false, Some((start, end))) = (trim_xml_space(&self.text).is_empty(), self.hard) {
            // Rule `trim-text`: literal whitespace at either end goes when it holds a line
            // break (indentation); spaces beside the value on its line stay.
            let (lead, trail) = (&self.text[..start], &self.text[end..]);
            let kept = if self.trim {
                let from = if has_break(lead) { start } else { 0 };
                let to = if has_break(trail) {
                    end
                } else {
                    self.text.len()
                };
                &self.text[from..to]
            } else {
                self.text.as_str()
            };
            self.nodes.push(Node::Text(kept.to_string()));
        }
        self.text.clear();
        self.hard = None;
    }
}

impl Sink for Builder {
    fn start(
        &mut self,
        ns: Option<Arc<str>>,
        local: &str,
        pos: TextPos,
        attrs: &mut Vec<ScanAttr<'_>>,
        scope: &NsScope,
    ) {
        self.flush_text();
        let name = QName {
            ns,
            local: self.local(local),
        };
        let mut element_attrs: Vec<Attr> = Vec::with_capacity(attrs.len());
        for a in attrs.drain(..) {
            let name = QName {
                ns: a.ns,
                local: self.local(a.local),
            };
            let value = if is_qname_attr(&name) {
                scope.resolve_qname_value(&a.value)
            } else {
                a.value.into_owned()
            };
            element_attrs.push(Attr {
                name,
                value,
                pos: a.pos,
            });
        }
        element_attrs.sort_by(|a, b| a.name.cmp(&b.name));
        let qname_text = is_qname_text(self.stack.last().map(|o| &o.name), &name);
        self.stack.push(Open {
            name,
            attrs: element_attrs,
            pos,
            first_child: self.nodes.len(),
            qname_text,
        });
    }

    fn end(&mut self, scope: &NsScope) {
        self.flush_text();
        let Some(open) = self.stack.pop() else {
            return;
        };
        let first = open.first_child.min(self.nodes.len());
        let mut children: Vec<Node> = self.nodes.drain(first..).collect();
        if open.qname_text {
            if let [Node::Text(t)] = children.as_mut_slice() {
                *t = scope.resolve_qname_value(t);
            }
        }
        let element = Element {
            name: open.name,
            attrs: open.attrs,
            children,
            pos: open.pos,
        };
        if self.stack.is_empty() {
            self.root = Some(element);
        } else {
            self.nodes.push(Node::Element(element));
        }
    }

    fn text(&mut self, text: &str, literal: bool) {
        let base = self.text.len();
        self.text.push_str(text);
        let (first, last) = if literal {
            let b = text.as_bytes();
            let solid = |c: &u8| !matches!(c, b' ' | b'\t' | b'\n' | b'\r');
            match (b.iter().position(solid), b.iter().rposition(solid)) {
                (Some(f), Some(l)) => (base + f, base + l + 1),
                _ => return,
            }
        } else {
            (base, self.text.len())
        };
        self.hard = Some(match self.hard {
            Some((start, _)) => (start, last),
            None => (first, last),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_lines_and_characters() {
        let text = "ab\ncäd\n\nxyz";
        let mut idx = LineIndex::new(text.as_bytes());
        assert_eq!(idx.pos(0), TextPos { line: 1, col: 1 });
        assert_eq!(idx.pos(1), TextPos { line: 1, col: 2 });
        // 'd' after the two-byte 'ä'
        assert_eq!(idx.pos(6), TextPos { line: 2, col: 3 });
        assert_eq!(idx.pos(9), TextPos { line: 4, col: 1 });
        // going back rescans
        assert_eq!(idx.pos(3), TextPos { line: 2, col: 1 });
    }

    #[test]
    fn rule_names_are_unique() {
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }
}
