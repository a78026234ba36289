//! The XML engine: canonical form, matchers, comparison and diff rendering.
//!
//! Owns everything that turns XML text into a canonical tree and two trees into mismatches.
//! Nothing here knows about HTTP, cases or reports. Data flow:
//! `parse` (rules applied, DTDs refused) -> [`Document`] -> [`compare`] -> [`Comparison`]
//! (mismatches with paths + bound captures) -> [`render_diff`] for people.
//!
//! CONTRACT (used by runner, case loader, soap, reference server): the items below keep these
//! names and signatures. Internals live in submodules:
//! - `encoding`: bytes -> text (BOM, declared encoding, UTF-16, ISO-8859-1, windows-1252);
//! - `wellformed`: the one strict XML 1.0 + Namespaces checker every document goes through;
//! - `canon`: the canonical tree builder and the ordered canonicalization [`RULES`];
//! - `path`: namespace-aware paths ([`Path`]);
//! - `matcher`: `{{...}}` matcher tokens in expected values;
//! - `compare`: alignment of two trees and the mismatch list;
//! - `pretty`: canonical pretty printing with stable prefixes;
//! - `diff`: the unified diff shown to people.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

mod canon;
mod compare;
mod diff;
mod encoding;
mod matcher;
mod path;
mod pretty;
mod wellformed;

pub use canon::{RULES, Rule};
/// The typed matchers' value checks, for masking dynamic values (`compare`).
pub(crate) use matcher::{is_base64, is_datetime};
pub use path::Selection;

/// Well-known namespaces and the stable prefixes used when printing canonical XML.
pub mod ns {
    pub const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
    pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
    pub const MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
    pub const TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
    pub const ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    pub const XSD: &str = "http://www.w3.org/2001/XMLSchema";
    /// SOAP Autodiscover.
    pub const AUTODISCOVER: &str = "http://schemas.microsoft.com/exchange/2010/Autodiscover";
    /// WS-Addressing (SOAP Autodiscover headers).
    pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
    pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
}

/// 1-based position in an XML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextPos {
    pub line: u32,
    pub col: u32,
}

/// An expanded name: namespace URI (None = no namespace) and local name.
///
/// Both parts are shared strings, interned per parsed document: a 10 MB response repeats a
/// handful of URIs and local names hundreds of thousands of times. Build one with
/// [`QName::new`]; test one with [`QName::is`]; `local` compares with `&str` directly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QName {
    pub ns: Option<Arc<str>>,
    pub local: Name,
}

/// A local name: shared text that compares, hashes, derefs and prints as a `str`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Name(Arc<str>);

impl Name {
    pub fn new(text: &str) -> Name {
        Name(Arc::from(text))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name::new(text)
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name(Arc::from(text))
    }
}

impl From<Arc<str>> for Name {
    fn from(text: Arc<str>) -> Name {
        Name(text)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == &*other.0
    }
}

impl QName {
    /// A name from its namespace URI (`None` = no namespace) and local part.
    pub fn new(ns: Option<&str>, local: &str) -> QName {
        QName {
            ns: ns.map(Arc::from),
            local: Name::new(local),
        }
    }

    /// Whether this is the name `local` in namespace `ns`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }

    /// Clark notation: `{uri}local`, or `local` without a namespace.
    pub fn clark(&self) -> String {
        match &self.ns {
            Some(ns) => format!("{{{ns}}}{}", self.local),
            None => self.local.to_string(),
        }
    }
}

impl fmt::Display for QName {
    /// Readable form: the stable prefix for well-known namespaces (`t:Message`), Clark notation
    /// (`{urn:x}Message`) for others.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ns.as_deref() {
            None => f.write_str(&self.local),
            Some(uri) => match pretty::stable_prefix(uri) {
                Some(p) => write!(f, "{p}:{}", self.local),
                None => write!(f, "{{{uri}}}{}", self.local),
            },
        }
    }
}

/// An attribute of the canonical form (`xmlns` declarations are not attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub name: QName,
    pub value: String,
    pub pos: TextPos,
}

/// A canonical element: attributes sorted by name, children in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: QName,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
    pub pos: TextPos,
}

/// A child node of the canonical form (comments, PIs are dropped; CDATA became text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// A parsed, canonical document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub root: Element,
}

/// Parse settings.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Trim text values (rule `trim-text`); whitespace-only text between elements is always dropped.
    pub trim_text: bool,
    /// The harness's limits on untrusted XML.
    pub limits: Limits,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            trim_text: true,
            limits: Limits::default(),
        }
    }
}

/// Limits the parser enforces on every document (responses, case XML, `diff` input). Beyond
/// one, the document is refused with [`XmlErrorKind::TooLarge`] and a message naming the
/// setting. Raised from the CLI (`--xml-max-depth`, `--xml-max-namespace-bindings`,
/// `--xml-max-attributes`) or the target profile (`limits: { xml_max_depth: ... }`), which set
/// the process-wide defaults with [`set_default_limits`]; [`Limits::default`] reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest element nesting.
    pub max_depth: usize,
    /// Namespace declarations in scope at once (summed over the open elements).
    pub max_namespace_bindings: usize,
    /// Attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
}

impl Limits {
    /// The built-in limits (what [`Limits::default`] is until [`set_default_limits`]).
    pub const BUILT_IN: Limits = Limits {
        max_depth: Limits::DEFAULT_MAX_DEPTH,
        max_namespace_bindings: Limits::DEFAULT_MAX_NAMESPACE_BINDINGS,
        max_attributes: Limits::DEFAULT_MAX_ATTRIBUTES,
    };
    /// Deepest element nesting by default.
    pub const DEFAULT_MAX_DEPTH: usize = 512;
    /// The highest `max_depth` honoured: comparison and printing recurse per level, and a
    /// tree this deep still fits a 2 MiB thread stack. A larger setting is refused by the CLI
    /// and the target profile, and the parser never goes beyond it.
    pub const MAX_DEPTH_CEILING: usize = 1024;
    /// Namespace declarations in scope by default.
    pub const DEFAULT_MAX_NAMESPACE_BINDINGS: usize = 1024;
    /// Attributes per element by default.
    pub const DEFAULT_MAX_ATTRIBUTES: usize = 1024;
}

static DEFAULT_LIMITS: [std::sync::atomic::AtomicUsize; 3] = [
    std::sync::atomic::AtomicUsize::new(Limits::DEFAULT_MAX_DEPTH),
    std::sync::atomic::AtomicUsize::new(Limits::DEFAULT_MAX_NAMESPACE_BINDINGS),
    std::sync::atomic::AtomicUsize::new(Limits::DEFAULT_MAX_ATTRIBUTES),
];

/// Sets the limits [`Limits::default`] (and so [`ParseOptions::default`]) gives from now on,
/// for the whole process: the CLI calls it once with the resolved target settings, so every
/// parse of the run (responses, case XML) honours them.
pub fn set_default_limits(limits: Limits) {
    use std::sync::atomic::Ordering::Relaxed;
    DEFAULT_LIMITS[0].store(limits.max_depth, Relaxed);
    DEFAULT_LIMITS[1].store(limits.max_namespace_bindings, Relaxed);
    DEFAULT_LIMITS[2].store(limits.max_attributes, Relaxed);
}

impl Default for Limits {
    fn default() -> Self {
        use std::sync::atomic::Ordering::Relaxed;
        Limits {
            max_depth: DEFAULT_LIMITS[0].load(Relaxed),
            max_namespace_bindings: DEFAULT_LIMITS[1].load(Relaxed),
            max_attributes: DEFAULT_LIMITS[2].load(Relaxed),
        }
    }
}

/// Why XML could not be parsed. Always carries a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub pos: TextPos,
    pub kind: XmlErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlErrorKind {
    /// Not well-formed (includes truncated input and undeclared prefixes).
    Malformed,
    /// A DOCTYPE / entity declaration: refused, never expanded.
    Dtd,
    /// Bytes that are not in the document's encoding, or contradict its declaration/BOM.
    Encoding,
    /// No root element.
    Empty,
    /// Beyond one of the harness's [`Limits`].
    TooLarge,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.pos.line, self.pos.col, self.message)
    }
}

impl std::error::Error for XmlError {}

/// Escapes a value for XML text or a (single- or double-quoted) attribute value, so that it
/// parses back to the same value.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    pretty::escape_into(&mut out, value, true);
    if out.contains('\'') {
        out = out.replace('\'', "&apos;");
    }
    out
}

/// Parses XML text into the canonical form, applying the ordered canonicalization rules.
///
/// The bytes are decoded (BOM and declared encoding honoured) and checked strictly for
/// well-formedness (XML 1.0 and Namespaces 1.0): anything libxml2 refuses is refused, with a
/// plain message and a 1-based line:column.
pub fn parse(xml: &[u8], opts: &ParseOptions) -> Result<Document, XmlError> {
    canon::parse(xml, opts)
}

/// The document as text: its encoding decided by the BOM and the XML declaration, as [`parse`]
/// decides it (the BOM is not part of the text).
pub fn decode(xml: &[u8]) -> Result<std::borrow::Cow<'_, str>, XmlError> {
    encoding::decode(xml)
}

/// Checks that `xml` is a well-formed document (the same checker as [`parse`]).
pub fn check_well_formed(xml: &[u8], opts: &ParseOptions) -> Result<(), XmlError> {
    canon::parse(xml, opts).map(drop)
}

/// A namespace-aware path with the predeclared prefixes `soap`, `m`, `t`, `e`, `s`(=soap),
/// e.g. `//t:Persona/t:Attributions/t:Attribution/t:SourceId/@Id` or
/// `/soap:Envelope/soap:Body/m:AddImGroupResponse/m:ResponseCode`.
///
/// Syntax: `/a/b` (children from the root), `//x` (at any depth), `*` (any element), `[n]`
/// (1-based index among the matching siblings), a final `@attr` / `@p:attr`. An unprefixed
/// step matches its local name in any namespace. More prefixes: `soap12`, `xsi`, `xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    source: String,
    steps: Vec<path::Step>,
    attr: Option<path::NameTest>,
}

impl Path {
    /// Parses a path; unknown prefixes and bad syntax are errors (message says why).
    pub fn parse(text: &str) -> Result<Path, String> {
        path::parse(text)
    }
    /// The text the path was parsed from.
    pub fn as_str(&self) -> &str {
        &self.source
    }
    /// Values selected in `doc`: element text, or attribute value for a final `@attr` step.
    pub fn select_values(&self, doc: &Document) -> Vec<String> {
        path::select_values(self, doc)
    }
    /// Elements (or attributes, for a final `@attr` step) selected in `doc`, in document order.
    pub fn select<'d>(&self, doc: &'d Document) -> Vec<Selection<'d>> {
        path::select(self, doc)
    }
    /// Whether the path ends in an attribute step.
    pub fn selects_attributes(&self) -> bool {
        self.attr.is_some()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Comparison options (per step).
#[derive(Debug, Clone, Default)]
pub struct CompareOptions {
    /// Subtrees (or attributes) at these paths are not compared.
    pub ignore: Vec<Path>,
    /// Children of elements at these paths compare as an unordered multiset.
    pub unordered: Vec<Path>,
    /// Actual may carry extra elements/attributes not in the expectation.
    pub subset: bool,
}

/// What kind of difference a mismatch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MismatchKind {
    ElementName,
    MissingElement,
    UnexpectedElement,
    Text,
    MissingAttribute,
    UnexpectedAttribute,
    AttributeValue,
    Matcher,
    Order,
}

impl MismatchKind {
    /// Stable kebab-case label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            MismatchKind::ElementName => "element-name",
            MismatchKind::MissingElement => "missing-element",
            MismatchKind::UnexpectedElement => "unexpected-element",
            MismatchKind::Text => "text",
            MismatchKind::MissingAttribute => "missing-attribute",
            MismatchKind::UnexpectedAttribute => "unexpected-attribute",
            MismatchKind::AttributeValue => "attribute-value",
            MismatchKind::Matcher => "matcher",
            MismatchKind::Order => "order",
        }
    }
}

/// One difference. Paths use local names with positional indexes where siblings repeat,
/// e.g. `/Envelope/Body/GetImItemListResponse/ImItemList/Groups/ImGroup[3]/DisplayName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub kind: MismatchKind,
    pub expected_path: String,
    pub actual_path: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    /// Position of the expectation node in the expected XML text.
    pub expected_pos: Option<TextPos>,
    /// One-line explanation.
    pub message: String,
}

/// Result of a comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Every difference, in expected-document order.
    pub mismatches: Vec<Mismatch>,
    /// Values bound by `{{bind NAME}}` matchers.
    pub bound: BTreeMap<String, String>,
}

/// Compares an expectation (which may contain matcher tokens `{{...}}`) with an actual document.
/// No earlier values are known: a `{{differs NAME}}` matcher is a mismatch (use
/// [`compare_with`]).
pub fn compare(expected: &Document, actual: &Document, opts: &CompareOptions) -> Comparison {
    compare::compare(expected, actual, opts, &BTreeMap::new())
}

/// [`compare`] with the values captured and bound by earlier steps, which `{{differs NAME}}`
/// matchers compare against.
pub fn compare_with(
    expected: &Document,
    actual: &Document,
    opts: &CompareOptions,
    earlier: &BTreeMap<String, String>,
) -> Comparison {
    compare::compare(expected, actual, opts, earlier)
}

/// Diff rendering settings.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub color: bool,
    /// Lines of context around each change.
    pub context: usize,
    /// Maximum lines of diff output before eliding.
    pub max_lines: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            color: false,
            context: 3,
            max_lines: 400,
        }
    }
}

/// Unified diff of the canonical pretty-printed forms (stable prefixes soap/m/t/e). Shows only
/// real differences: values whose matcher matched print as the actual value, ignored subtrees
/// and (in subset mode) tolerated extras print identically on both sides.
pub fn render_diff(
    expected: &Document,
    actual: &Document,
    compare: &CompareOptions,
    opts: &DiffOptions,
) -> String {
    diff::render_diff(expected, actual, compare, opts, &BTreeMap::new())
}

/// [`render_diff`] with the earlier values `{{differs NAME}}` matchers compare against (as
/// given to [`compare_with`]).
pub fn render_diff_with(
    expected: &Document,
    actual: &Document,
    compare: &CompareOptions,
    opts: &DiffOptions,
    earlier: &BTreeMap<String, String>,
) -> String {
    diff::render_diff(expected, actual, compare, opts, earlier)
}

/// Canonical pretty-printed text of a document, with stable prefixes.
///
/// 2-space indentation, one element per line, text inline, attributes sorted, every used
/// namespace declared on the root with a stable prefix (`soap`, `m`, `t`, `e`, `xsi`, `soap12`,
/// then `ns1`, `ns2`, ...). The output parses back to an equal [`Document`].
pub fn pretty(doc: &Document) -> String {
    pretty::pretty(doc)
}

/// A matcher token found in expected XML (`{{any}}`, `{{regex ...}}`, `{{bind name}}`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    Any,
    Ignore,
    Regex(String),
    Integer,
    Boolean,
    DateTime,
    Base64,
    EwsId,
    Bind {
        name: String,
        check: Option<Box<Matcher>>,
    },
    /// `{{differs NAME [TYPE]}}`: a value different from the earlier value `NAME` (a capture
    /// or binding of an earlier step, or a binding earlier in this document), of TYPE if given.
    Differs {
        name: String,
        check: Option<Box<Matcher>>,
    },
}

/// Words that start a matcher expression inside `{{ }}`; any other word is a variable.
pub const MATCHER_WORDS: &[&str] = &[
    "any", "ignore", "regex", "integer", "boolean", "datetime", "base64", "ews_id", "bind",
    "differs",
];

/// Parses the inside of a `{{ }}` expression that starts with a matcher word.
pub fn parse_matcher(expr: &str) -> Result<Matcher, String> {
    matcher::parse_matcher(expr)
}

/// The matcher expression of a value, when the whole trimmed value is one `{{ ... }}` token
/// whose first word is a matcher word (`{{any}}` -> `Some("any")`).
pub fn matcher_token(value: &str) -> Option<&str> {
    matcher::token(value)
}
