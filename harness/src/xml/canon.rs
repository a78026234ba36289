//! The parser: XML text -> canonical [`Document`], applying the ordered [`RULES`].
//!
//! quick-xml's `NsReader` does the tokenizing and namespace resolution; this module builds the
//! tree (one exact-size allocation per element's child list, namespace URIs interned), turns
//! byte offsets into 1-based line:column positions incrementally, and maps every failure to an
//! [`XmlError`] with a position. It never panics and never expands a DTD.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{NamespaceResolver, ResolveResult};
use quick_xml::reader::NsReader;

use super::{
    Attr, Document, Element, Name, Node, ParseOptions, QName, TextPos, XmlError, XmlErrorKind,
};
use super::{matcher, ns};

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
        description: "text values are trimmed at both ends (a step may opt out)",
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

/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 512;

/// The namespace quick-xml binds to the reserved `xmlns` prefix.
pub(crate) const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

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

/// Byte offset of `part` inside `whole`, when `part` borrows from it.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let start = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    (p >= start && p + part.len() <= start + whole.len()).then(|| p - start)
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

/// Resolves a QName value against the namespaces in scope: `{uri}local`, `local` without a
/// namespace, the value verbatim when its prefix is unknown or it is a matcher token.
fn resolve_qname_value(resolver: &NamespaceResolver, value: &str) -> String {
    let v = value.trim_matches(is_xml_space);
    if v.is_empty() || matcher::token(v).is_some() || v.contains(is_xml_space) {
        return v.to_string();
    }
    let (res, local) = resolver.resolve_element(quick_xml::name::QName(v));
    match res {
        ResolveResult::Bound(uri) => format!("{{{}}}{}", uri.0, local.into_inner()),
        ResolveResult::Unbound => local.into_inner().to_string(),
        ResolveResult::Unknown(_) => v.to_string(),
    }
}

struct Open {
    name: QName,
    attrs: Vec<Attr>,
    pos: TextPos,
    first_child: usize,
    qname_text: bool,
}

struct Builder<'i> {
    input: &'i str,
    lines: LineIndex<'i>,
    trim: bool,
    /// Namespace URIs by the raw `xmlns` text quick-xml resolves to.
    namespaces: FxHashMap<Box<str>, Arc<str>>,
    last_ns_raw: String,
    last_ns: Option<Arc<str>>,
    locals: FxHashSet<Arc<str>>,
    stack: Vec<Open>,
    /// Children of all open elements, innermost last.
    nodes: Vec<Node>,
    /// Pending text of the innermost open element.
    text: String,
    root: Option<Element>,
    attr_scratch: Vec<Attr>,
}

/// Parses `xml` (see [`super::parse`]).
pub(crate) fn parse(xml: &[u8], opts: &ParseOptions) -> Result<Document, XmlError> {
    if xml.starts_with(&[0xFF, 0xFE]) || xml.starts_with(&[0xFE, 0xFF]) {
        return Err(XmlError {
            pos: TextPos { line: 1, col: 1 },
            kind: XmlErrorKind::Encoding,
            message: "UTF-16 input is not supported; expected UTF-8".into(),
        });
    }
    let body = xml.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(xml);
    let input = match std::str::from_utf8(body) {
        Ok(s) => s,
        Err(e) => {
            let pos = LineIndex::new(body).pos(e.valid_up_to());
            return Err(XmlError {
                pos,
                kind: XmlErrorKind::Encoding,
                message: format!("invalid UTF-8 (byte offset {})", e.valid_up_to()),
            });
        }
    };
    let mut builder = Builder {
        input,
        lines: LineIndex::new(input.as_bytes()),
        trim: opts.trim_text,
        namespaces: FxHashMap::default(),
        last_ns_raw: String::new(),
        last_ns: None,
        locals: FxHashSet::default(),
        stack: Vec::new(),
        nodes: Vec::new(),
        text: String::new(),
        root: None,
        attr_scratch: Vec::new(),
    };
    builder.run()?;
    match builder.root {
        Some(root) => Ok(Document { root }),
        None => Err(XmlError {
            pos: builder.lines.pos(input.len()),
            kind: XmlErrorKind::Empty,
            message: "no root element".into(),
        }),
    }
}

impl<'i> Builder<'i> {
    fn error(&mut self, offset: usize, kind: XmlErrorKind, message: String) -> XmlError {
        XmlError {
            pos: self.lines.pos(offset),
            kind,
            message,
        }
    }

    /// The shared copy of a namespace URI. quick-xml resolves to the raw `xmlns` attribute
    /// text; the namespace name is its normalized value (references resolved).
    fn intern(&mut self, raw: &str) -> Arc<str> {
        if let Some(arc) = &self.last_ns {
            if self.last_ns_raw == raw {
                return arc.clone();
            }
        }
        let arc = match self.namespaces.get(raw) {
            Some(a) => a.clone(),
            None => {
                let a: Arc<str> = Arc::from(&*normalize_uri(raw));
                self.namespaces.insert(raw.into(), a.clone());
                a
            }
        };
        self.last_ns_raw.clear();
        self.last_ns_raw.push_str(raw);
        self.last_ns = Some(arc.clone());
        arc
    }

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

    fn run(&mut self) -> Result<(), XmlError> {
        let input = self.input;
        let mut reader = NsReader::from_str(input);
        {
            let config = reader.config_mut();
            config.check_end_names = true;
            config.check_comments = true;
            config.expand_empty_elements = false;
            config.trim_text(false);
        }
        loop {
            let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            // `read_event` pushes/pops namespace scopes like `read_resolved_event`; names are
            // resolved below through `resolver()` (which a resolved event would keep borrowed).
            let event = match reader.read_event() {
                Ok(ev) => ev,
                Err(err) => {
                    let at = usize::try_from(reader.error_position()).unwrap_or(before);
                    return Err(self.quick_xml_error(&err, at));
                }
            };
            match event {
                Event::Start(e) => {
                    let (res, _) = reader.resolver().resolve_element(e.name());
                    self.start(owned_resolution(&res), &e, reader.resolver(), before)?;
                }
                Event::Empty(e) => {
                    let (res, _) = reader.resolver().resolve_element(e.name());
                    self.start(owned_resolution(&res), &e, reader.resolver(), before)?;
                    self.end(reader.resolver());
                }
                Event::End(_) => self.end(reader.resolver()),
                Event::Text(t) => {
                    let content = t.xml10_content();
                    self.text(&content, before)?;
                }
                Event::CData(c) => {
                    let content = c.xml10_content();
                    if self.stack.is_empty() {
                        return Err(self.error(
                            before,
                            XmlErrorKind::Malformed,
                            "CDATA outside the root element".into(),
                        ));
                    }
                    self.text.push_str(&content);
                }
                Event::GeneralRef(r) => {
                    let name: &str = &r;
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => predefined_entity(name),
                        Err(_) => None,
                    };
                    let Some(c) = resolved else {
                        let message = if r.is_char_ref() {
                            format!("invalid character reference `&{name};`")
                        } else {
                            format!(
                                "unknown entity reference `&{name};` (only the five predefined XML entities are allowed)"
                            )
                        };
                        return Err(self.error(before, XmlErrorKind::Malformed, message));
                    };
                    if self.stack.is_empty() {
                        return Err(self.error(
                            before,
                            XmlErrorKind::Malformed,
                            "text outside the root element".into(),
                        ));
                    }
                    self.text.push(c);
                }
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
                Event::DocType(_) => {
                    return Err(self.error(
                        before,
                        XmlErrorKind::Dtd,
                        "DOCTYPE declarations are refused (entities are never expanded)".into(),
                    ));
                }
                Event::Eof => break,
            }
        }
        if let Some(open) = self.stack.last() {
            let message = format!(
                "unexpected end of input: element `{}` opened at {}:{} is not closed",
                open.name.local, open.pos.line, open.pos.col
            );
            return Err(self.error(input.len(), XmlErrorKind::Malformed, message));
        }
        Ok(())
    }

    fn quick_xml_error(&mut self, err: &quick_xml::Error, at: usize) -> XmlError {
        use quick_xml::Error as E;
        use quick_xml::name::NamespaceError as N;
        let rest = self.input.get(at..).unwrap_or_default();
        let kind = if rest.starts_with("<!DOCTYPE") || rest.starts_with("<!ENTITY") {
            XmlErrorKind::Dtd
        } else {
            match err {
                E::Encoding(_) => XmlErrorKind::Encoding,
                E::Namespace(N::TooManyBindings(_) | N::TooDeeplyNested(_)) => {
                    XmlErrorKind::TooLarge
                }
                _ => XmlErrorKind::Malformed,
            }
        };
        let message = match kind {
            XmlErrorKind::Dtd => {
                "DTD and entity declarations are refused (never expanded)".to_string()
            }
            _ => err.to_string(),
        };
        self.error(at, kind, message)
    }

    fn text(&mut self, content: &str, offset: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            if content.trim_matches(is_xml_space).is_empty() {
                return Ok(());
            }
            let what = if self.root.is_some() {
                "after"
            } else {
                "before"
            };
            let at = offset + content.find(|c| !is_xml_space(c)).unwrap_or_default();
            return Err(self.error(
                at,
                XmlErrorKind::Malformed,
                format!("text {what} the root element"),
            ));
        }
        self.text.push_str(content);
        Ok(())
    }

    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let trimmed = trim_xml_space(&self.text);
        if !trimmed.is_empty() {
            let kept = if self.trim {
                trimmed
            } else {
                self.text.as_str()
            };
            self.nodes.push(Node::Text(kept.to_string()));
        }
        self.text.clear();
    }

    fn start(
        &mut self,
        resolved: Resolution<'_>,
        e: &BytesStart<'_>,
        resolver: &NamespaceResolver,
        before: usize,
    ) -> Result<(), XmlError> {
        let tag_offset = offset_in(self.input, e.name().0)
            .map(|o| o.saturating_sub(1))
            .unwrap_or(before);
        if self.root.is_some() && self.stack.is_empty() {
            return Err(self.error(
                tag_offset,
                XmlErrorKind::Malformed,
                "a second root element".into(),
            ));
        }
        if self.stack.len() >= super::canon::MAX_DEPTH {
            return Err(self.error(
                tag_offset,
                XmlErrorKind::TooLarge,
                format!("elements nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.flush_text();
        let pos = self.lines.pos(tag_offset);
        let ns = match resolved {
            Resolution::Bound(uri) => Some(self.intern(uri)),
            Resolution::Unbound => None,
            Resolution::Unknown(prefix) => {
                return Err(XmlError {
                    pos,
                    kind: XmlErrorKind::Malformed,
                    message: format!(
                        "undeclared namespace prefix `{prefix}` on element `{}`",
                        e.name().0
                    ),
                });
            }
        };
        let name = QName {
            ns,
            local: self.local(e.local_name().into_inner()),
        };

        let mut attrs = std::mem::take(&mut self.attr_scratch);
        attrs.clear();
        // Duplicates are checked after namespace resolution below (which also catches
        // `a:x` and `b:x` bound to one URI); quick-xml's own check would allocate per tag.
        for attr in e.attributes().with_checks(false) {
            let attr = match attr {
                Ok(a) => a,
                Err(err) => {
                    return Err(XmlError {
                        pos,
                        kind: XmlErrorKind::Malformed,
                        message: format!("bad attribute in `<{}>`: {err}", e.name().0),
                    });
                }
            };
            if attr.key.as_namespace_binding().is_some() {
                continue;
            }
            let attr_offset = offset_in(self.input, attr.key.0).unwrap_or(tag_offset);
            let attr_pos = self.lines.pos(attr_offset);
            let (res, local) = resolver.resolve_attribute(attr.key);
            let ns = match res {
                ResolveResult::Bound(uri) => Some(self.intern(uri.0)),
                ResolveResult::Unbound => None,
                ResolveResult::Unknown(prefix) => {
                    return Err(XmlError {
                        pos: attr_pos,
                        kind: XmlErrorKind::Malformed,
                        message: format!(
                            "undeclared namespace prefix `{prefix}` on attribute `{}`",
                            attr.key.0
                        ),
                    });
                }
            };
            let value = match attr.normalized_value(XmlVersion::Implicit1_0) {
                Ok(v) => v,
                Err(err) => {
                    return Err(XmlError {
                        pos: attr_pos,
                        kind: XmlErrorKind::Malformed,
                        message: format!("bad value of attribute `{}`: {err}", attr.key.0),
                    });
                }
            };
            let name = QName {
                ns,
                local: self.local(local.into_inner()),
            };
            let value = if is_qname_attr(&name) {
                resolve_qname_value(resolver, &value)
            } else {
                value.into_owned()
            };
            attrs.push(Attr {
                name,
                value,
                pos: attr_pos,
            });
        }
        attrs.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(w) = attrs.windows(2).find(|w| w[0].name == w[1].name) {
            let message = format!(
                "attribute `{}` appears twice (after namespace resolution)",
                w[1].name.clark()
            );
            let pos = w[1].pos;
            self.attr_scratch = attrs;
            return Err(XmlError {
                pos,
                kind: XmlErrorKind::Malformed,
                message,
            });
        }
        // Exact-size list for the tree; the scratch keeps its capacity for the next element.
        #[allow(clippy::drain_collect)]
        let element_attrs: Vec<Attr> = attrs.drain(..).collect();
        self.attr_scratch = attrs;

        let qname_text = is_qname_text(self.stack.last().map(|o| &o.name), &name);
        self.stack.push(Open {
            name,
            attrs: element_attrs,
            pos,
            first_child: self.nodes.len(),
            qname_text,
        });
        Ok(())
    }

    fn end(&mut self, resolver: &NamespaceResolver) {
        self.flush_text();
        let Some(open) = self.stack.pop() else {
            return;
        };
        let first = open.first_child.min(self.nodes.len());
        let mut children: Vec<Node> = self.nodes.drain(first..).collect();
        if open.qname_text {
            if let [Node::Text(t)] = children.as_mut_slice() {
                *t = resolve_qname_value(resolver, t);
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
}

/// A namespace resolution detached from the reader's borrow.
enum Resolution<'a> {
    Bound(&'a str),
    Unbound,
    Unknown(String),
}

fn owned_resolution<'a>(res: &'a ResolveResult<'_>) -> Resolution<'a> {
    match res {
        ResolveResult::Bound(ns) => Resolution::Bound(ns.0),
        ResolveResult::Unbound => Resolution::Unbound,
        ResolveResult::Unknown(p) => Resolution::Unknown(p.clone()),
    }
}

fn normalize_uri(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains(['&', '\t', '\n', '\r']) {
        return std::borrow::Cow::Borrowed(raw);
    }
    let spaced = raw.replace(['\t', '\n', '\r'], " ");
    match quick_xml::escape::unescape(&spaced) {
        Ok(v) => std::borrow::Cow::Owned(v.into_owned()),
        Err(_) => std::borrow::Cow::Owned(spaced),
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
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
