//! Canonical pretty printing with stable prefixes.
//!
//! The printer works on a small view ([`PNode`]) so that the diff renderer can print an
//! expectation assembled from parts of both documents without copying them. A plain document
//! prints as `PNode::Elem(root)`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::canon::{XMLNS_NS, is_qname_attr, is_qname_text};
use super::{Document, Element, Node, QName, matcher, ns};

/// The stable prefix of a well-known namespace.
pub(crate) fn stable_prefix(uri: &str) -> Option<&'static str> {
    Some(match uri {
        ns::SOAP => "soap",
        ns::MESSAGES => "m",
        ns::TYPES => "t",
        ns::ERRORS => "e",
        ns::XSI => "xsi",
        ns::XML => "xml",
        ns::SOAP12 => "soap12",
        ns::XSD => "xs",
        XMLNS_NS => "xmlns",
        _ => return None,
    })
}

/// Namespaces that are bound without a declaration.
fn is_builtin(uri: &str) -> bool {
    uri == ns::XML || uri == XMLNS_NS
}

/// Nodes and attributes left out when printing (ignored parts of a comparison), by identity.
#[derive(Debug, Default)]
pub(crate) struct Skip {
    pub(crate) elements: HashSet<usize>,
    pub(crate) attrs: HashSet<(usize, usize)>,
}

impl Skip {
    pub(crate) fn is_empty(&self) -> bool {
        self.elements.is_empty() && self.attrs.is_empty()
    }
    pub(crate) fn element(&self, e: &Element) -> bool {
        !self.elements.is_empty() && self.elements.contains(&addr(e))
    }
    pub(crate) fn attr(&self, e: &Element, index: usize) -> bool {
        !self.attrs.is_empty() && self.attrs.contains(&(addr(e), index))
    }
}

/// Identity of an element inside a borrowed document.
pub(crate) fn addr(e: &Element) -> usize {
    std::ptr::from_ref(e) as usize
}

/// What the printer prints: an element of a document, or one assembled by the diff.
#[derive(Debug)]
pub(crate) enum PNode<'a> {
    /// An element printed as it is.
    Elem(&'a Element),
    /// An element of the actual document that prints identically on both sides of a diff.
    Shared(&'a Element),
    Built {
        name: &'a QName,
        attrs: Vec<(&'a QName, Cow<'a, str>)>,
        children: Vec<PChild<'a>>,
    },
}

#[derive(Debug)]
pub(crate) enum PChild<'a> {
    Node(PNode<'a>),
    Text(Cow<'a, str>),
}

/// Prefix assignment shared by everything printed together.
#[derive(Debug, Default)]
pub(crate) struct Prefixes {
    by_uri: HashMap<String, String>,
    /// Declared on the root, in order of first appearance.
    declared: Vec<(String, String)>,
    /// Prefixes that unresolvable QName values use verbatim: never bound.
    reserved: HashSet<String>,
    next: usize,
    /// Namespaces noted by `collect`, not yet assigned.
    noted: HashSet<String>,
    pending: Vec<String>,
    /// URI texts by address (interned `Arc<str>`s repeat): (ptr, len, URI), after `finish`
    /// (ptr, len, prefix).
    recent: Vec<(usize, usize, String)>,
}

/// Most URI addresses remembered by [`Prefixes`].
const RECENT_MAX: usize = 32;

impl Prefixes {
    /// Notes the namespaces `node` uses (in order of first appearance) and the prefixes its
    /// unresolvable QName values use verbatim (those must stay unbound). `Shared` subtrees are
    /// skipped unless `shared` is true (the diff notes them through the actual document).
    pub(crate) fn collect(&mut self, node: &PNode<'_>, skip: Option<&Skip>, shared: bool) {
        walk(node, None, skip, shared, &mut |item| match item {
            Item::Name(q) => {
                if let Some(uri) = q.ns.as_deref() {
                    self.note(uri);
                }
            }
            Item::QNameValue(v) => {
                if let Some((uri, _)) = clark(v) {
                    self.note(uri);
                } else if matcher::token(v).is_none() {
                    if let Some((p, _)) = v.split_once(':') {
                        self.reserved.insert(p.to_string());
                    }
                }
            }
        });
    }

    /// Assigns prefixes to the namespaces noted so far.
    pub(crate) fn finish(&mut self) {
        for uri in std::mem::take(&mut self.pending) {
            self.assign(&uri);
        }
        // The remembered addresses now map to prefixes instead of URIs.
        for entry in &mut self.recent {
            if let Some(prefix) = self.by_uri.get(&entry.2) {
                entry.2 = prefix.clone();
            }
        }
    }

    fn note(&mut self, uri: &str) {
        let key = (uri.as_ptr() as usize, uri.len());
        if self.recent.iter().any(|(p, l, _)| (*p, *l) == key) {
            return;
        }
        if !self.noted.contains(uri) {
            self.noted.insert(uri.to_string());
            self.pending.push(uri.to_string());
        }
        if self.recent.len() < RECENT_MAX {
            self.recent.push((key.0, key.1, uri.to_string()));
        }
    }

    fn assign(&mut self, uri: &str) {
        if self.by_uri.contains_key(uri) {
            return;
        }
        let prefix = match stable_prefix(uri) {
            Some(p) if is_builtin(uri) || !self.reserved.contains(p) => p.to_string(),
            _ => loop {
                self.next += 1;
                let candidate = format!("ns{}", self.next);
                if !self.reserved.contains(&candidate) {
                    break candidate;
                }
            },
        };
        if !is_builtin(uri) {
            self.declared.push((prefix.clone(), uri.to_string()));
        }
        self.by_uri.insert(uri.to_string(), prefix);
    }

    fn prefix(&self, uri: &str) -> &str {
        let key = (uri.as_ptr() as usize, uri.len());
        if let Some((_, _, prefix)) = self.recent.iter().find(|(p, l, _)| (*p, *l) == key) {
            return prefix;
        }
        self.by_uri.get(uri).map(String::as_str).unwrap_or("ns0")
    }
}

enum Item<'x> {
    Name(&'x QName),
    QNameValue(&'x str),
}

/// Visits names and QName values in document order.
fn walk<'x>(
    node: &'x PNode<'x>,
    parent: Option<&'x QName>,
    skip: Option<&Skip>,
    shared: bool,
    f: &mut dyn FnMut(Item<'x>),
) {
    match node {
        PNode::Elem(e) => walk_element(e, parent, skip, f),
        PNode::Shared(e) => {
            if shared {
                walk_element(e, parent, skip, f);
            }
        }
        PNode::Built {
            name,
            attrs,
            children,
        } => {
            f(Item::Name(name));
            for (q, v) in attrs {
                f(Item::Name(q));
                if is_qname_attr(q) {
                    f(Item::QNameValue(v));
                }
            }
            let qtext = is_qname_text(parent, name) && children.len() == 1;
            for c in children {
                match c {
                    PChild::Node(n) => walk(n, Some(name), skip, shared, f),
                    PChild::Text(t) => {
                        if qtext {
                            f(Item::QNameValue(t));
                        }
                    }
                }
            }
        }
    }
}

fn walk_element<'x>(
    e: &'x Element,
    parent: Option<&'x QName>,
    skip: Option<&Skip>,
    f: &mut dyn FnMut(Item<'x>),
) {
    f(Item::Name(&e.name));
    for (i, a) in e.attrs.iter().enumerate() {
        if skip.is_some_and(|s| s.attr(e, i)) {
            continue;
        }
        f(Item::Name(&a.name));
        if is_qname_attr(&a.name) {
            f(Item::QNameValue(&a.value));
        }
    }
    let qtext = is_qname_text(parent, &e.name) && e.children.len() == 1;
    for c in &e.children {
        match c {
            Node::Element(child) => {
                if skip.is_some_and(|s| s.element(child)) {
                    continue;
                }
                walk_element(child, Some(&e.name), skip, f);
            }
            Node::Text(t) => {
                if qtext {
                    f(Item::QNameValue(t));
                }
            }
        }
    }
}

/// Splits a Clark-notation value `{uri}local`.
pub(crate) fn clark(v: &str) -> Option<(&str, &str)> {
    if matcher::token(v).is_some() {
        return None;
    }
    let rest = v.strip_prefix('{')?;
    let (uri, local) = rest.split_once('}')?;
    (!uri.is_empty()).then_some((uri, local))
}

pub(crate) fn pretty(doc: &Document) -> String {
    let node = PNode::Elem(&doc.root);
    let mut prefixes = Prefixes::default();
    prefixes.collect(&node, None, true);
    prefixes.finish();
    print(&node, &prefixes, None)
}

/// Prints `node` with the given prefixes (which must cover every namespace in it).
pub(crate) fn print<'p>(
    node: &'p PNode<'p>,
    prefixes: &'p Prefixes,
    skip: Option<&'p Skip>,
) -> String {
    let mut p = Printer {
        out: String::new(),
        prefixes,
        skip: skip.filter(|s| !s.is_empty()),
        shared: None,
        chunks: Vec::new(),
    };
    p.node(node, None, 0, true);
    p.out
}

/// Printed output where the elements in `shared` are left as placeholders.
#[derive(Debug)]
pub(crate) enum Chunk<'p> {
    /// Whole lines, each ending in `\n`.
    Lines(String),
    /// An element (its depth, its parent's name) that prints the same on both sides.
    Shared(&'p Element, usize, Option<&'p QName>),
}

/// Like [`print`], but elements whose address is in `shared` become [`Chunk::Shared`].
pub(crate) fn print_chunks<'p>(
    node: &'p PNode<'p>,
    prefixes: &'p Prefixes,
    skip: Option<&'p Skip>,
    shared: &'p HashSet<usize>,
) -> Vec<Chunk<'p>> {
    let mut p = Printer {
        out: String::new(),
        prefixes,
        skip: skip.filter(|s| !s.is_empty()),
        shared: Some(shared),
        chunks: Vec::new(),
    };
    p.node(node, None, 0, true);
    p.flush();
    p.chunks
}

/// Prints one element at `depth` (the text of a [`Chunk::Shared`]).
pub(crate) fn print_element(
    e: &Element,
    parent: Option<&QName>,
    depth: usize,
    prefixes: &Prefixes,
    skip: Option<&Skip>,
) -> String {
    let mut p = Printer {
        out: String::new(),
        prefixes,
        skip: skip.filter(|s| !s.is_empty()),
        shared: None,
        chunks: Vec::new(),
    };
    p.element(e, parent, depth, false);
    p.out
}

/// Lines [`print_element`] would print, without printing.
pub(crate) fn count_lines(e: &Element, skip: Option<&Skip>) -> usize {
    let kept = |c: &&Node| match c {
        Node::Element(child) => !skip.is_some_and(|s| s.element(child)),
        Node::Text(_) => true,
    };
    let newlines = |t: &str| memchr::memchr_iter(b'\n', t.as_bytes()).count();
    let mut visible = e.children.iter().filter(kept);
    match (visible.next(), visible.next()) {
        (None, _) => 1,
        (Some(Node::Text(t)), None) => 1 + newlines(t),
        _ => {
            2 + e
                .children
                .iter()
                .filter(kept)
                .map(|c| match c {
                    Node::Element(child) => count_lines(child, skip),
                    Node::Text(t) => 1 + newlines(t),
                })
                .sum::<usize>()
        }
    }
}

struct Printer<'p> {
    out: String,
    prefixes: &'p Prefixes,
    skip: Option<&'p Skip>,
    shared: Option<&'p HashSet<usize>>,
    chunks: Vec<Chunk<'p>>,
}

impl<'p> Printer<'p> {
    fn flush(&mut self) {
        if !self.out.is_empty() {
            self.chunks
                .push(Chunk::Lines(std::mem::take(&mut self.out)));
        }
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn name(&mut self, q: &QName) {
        if let Some(uri) = q.ns.as_deref() {
            let prefix = self.prefixes.prefix(uri);
            self.out.push_str(prefix);
            self.out.push(':');
        }
        self.out.push_str(&q.local);
    }

    fn qname_value(&mut self, v: &str, attr: bool) {
        match clark(v) {
            Some((uri, local)) => {
                let prefix = self.prefixes.prefix(uri).to_string();
                self.out.push_str(&prefix);
                self.out.push(':');
                escape_into(&mut self.out, local, attr);
            }
            None => escape_into(&mut self.out, v, attr),
        }
    }

    fn declarations(&mut self) {
        for (prefix, uri) in &self.prefixes.declared {
            let _ = write!(self.out, " xmlns:{prefix}=\"");
            escape_into(&mut self.out, uri, true);
            self.out.push('"');
        }
    }

    fn attr(&mut self, q: &QName, v: &str) {
        self.out.push(' ');
        self.name(q);
        self.out.push_str("=\"");
        if is_qname_attr(q) {
            self.qname_value(v, true);
        } else {
            escape_into(&mut self.out, v, true);
        }
        self.out.push('"');
    }

    fn node(&mut self, node: &'p PNode<'p>, parent: Option<&'p QName>, depth: usize, root: bool) {
        match node {
            PNode::Elem(e) | PNode::Shared(e) => self.element(e, parent, depth, root),
            PNode::Built {
                name,
                attrs,
                children,
            } => {
                self.indent(depth);
                self.out.push('<');
                self.name(name);
                if root {
                    self.declarations();
                }
                for (q, v) in attrs {
                    self.attr(q, v);
                }
                let qtext = is_qname_text(parent, name);
                match children.as_slice() {
                    [] => self.out.push_str("/>\n"),
                    [PChild::Text(t)] => {
                        self.out.push('>');
                        self.text(t, qtext, false);
                        self.close(name);
                    }
                    _ => {
                        self.out.push_str(">\n");
                        for c in children {
                            match c {
                                PChild::Node(n) => self.node(n, Some(name), depth + 1, false),
                                PChild::Text(t) => {
                                    self.indent(depth + 1);
                                    self.text(t, false, true);
                                    self.out.push('\n');
                                }
                            }
                        }
                        self.indent(depth);
                        self.close(name);
                    }
                }
            }
        }
    }

    /// A text value. Whitespace at its ends that the `trim-text` rule would drop when the
    /// output is parsed again (next to a line break: always in `mixed` content, which prints
    /// one child per line) is written as character references, which are never trimmed.
    fn text(&mut self, t: &str, qname: bool, mixed: bool) {
        if qname {
            self.qname_value(t, false);
            return;
        }
        let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
        let body = t.trim_start_matches(is_space);
        let lead = &t[..t.len() - body.len()];
        let inner = body.trim_end_matches(is_space);
        let trail = &body[inner.len()..];
        let breaks = |run: &str| run.contains(['\n', '\r']);
        let refs = |out: &mut String, run: &str| {
            for c in run.chars() {
                let _ = write!(out, "&#{};", u32::from(c));
            }
        };
        if mixed || breaks(lead) {
            refs(&mut self.out, lead);
        } else {
            self.out.push_str(lead);
        }
        escape_into(&mut self.out, inner, false);
        if mixed || breaks(trail) {
            refs(&mut self.out, trail);
        } else {
            self.out.push_str(trail);
        }
    }

    fn close(&mut self, name: &QName) {
        self.out.push_str("</");
        self.name(name);
        self.out.push_str(">\n");
    }

    fn element(&mut self, e: &'p Element, parent: Option<&'p QName>, depth: usize, root: bool) {
        if self.shared.is_some_and(|set| set.contains(&addr(e))) {
            self.flush();
            self.chunks.push(Chunk::Shared(e, depth, parent));
            return;
        }
        self.indent(depth);
        self.out.push('<');
        self.name(&e.name);
        if root {
            self.declarations();
        }
        let skip = self.skip;
        for (i, a) in e.attrs.iter().enumerate() {
            if skip.is_some_and(|s| s.attr(e, i)) {
                continue;
            }
            self.attr(&a.name, &a.value);
        }
        let qtext = is_qname_text(parent, &e.name) && e.children.len() == 1;
        let kept = |c: &&Node| match c {
            Node::Element(child) => !skip.is_some_and(|s| s.element(child)),
            Node::Text(_) => true,
        };
        let mut visible = e.children.iter().filter(kept);
        let first = visible.next();
        let second = visible.next();
        match (first, second) {
            (None, _) => self.out.push_str("/>\n"),
            (Some(Node::Text(t)), None) => {
                self.out.push('>');
                self.text(t, qtext, false);
                self.close(&e.name);
            }
            _ => {
                self.out.push_str(">\n");
                for c in e.children.iter().filter(kept) {
                    match c {
                        Node::Element(child) => {
                            self.element(child, Some(&e.name), depth + 1, false)
                        }
                        Node::Text(t) => {
                            self.indent(depth + 1);
                            self.text(t, false, true);
                            self.out.push('\n');
                        }
                    }
                }
                self.indent(depth);
                self.close(&e.name);
            }
        }
    }
}

/// Escapes text or an attribute value so that it parses back to the same value.
pub(crate) fn escape_into(out: &mut String, s: &str, attr: bool) {
    let needs = |b: u8| {
        matches!(b, b'&' | b'<' | b'>' | b'\r' | 0x7f)
            || (b < 0x20 && b != b'\t' && b != b'\n')
            || (attr && matches!(b, b'"' | b'\t' | b'\n'))
    };
    let bytes = s.as_bytes();
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs(b) {
            continue;
        }
        out.push_str(&s[last..i]);
        match b {
            b'&' => out.push_str("&amp;"),
            b'<' => out.push_str("&lt;"),
            b'>' => out.push_str("&gt;"),
            b'"' => out.push_str("&quot;"),
            other => {
                let _ = write!(out, "&#{other};");
            }
        }
        last = i + 1;
    }
    out.push_str(&s[last..]);
}
