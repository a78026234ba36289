//! The well-formedness checker: XML 1.0 (fifth edition) + Namespaces in XML 1.0, strictly.
//!
//! Owns the one tokenizer every XML text of the harness goes through (responses, case XML,
//! `diff`): the Char production (also through character references), the Name and QName
//! productions, attribute values (no `<`, only the five predefined entities), `]]>` in text,
//! the XML declaration (only at the very start, with its own grammar), comments, processing
//! instructions, CDATA, start/end tag matching, one root element, and the namespace
//! constraints (declared prefixes, reserved `xml`/`xmlns` prefixes and URIs, no empty
//! `xmlns:p=""`, attributes unique after resolution). DTDs are refused, never read.
//! It also enforces the harness's own [`Limits`]. Every error has a 1-based line:column.
//!
//! The checker drives a [`Sink`] (the canonical tree builder in `canon`) with resolved names
//! and decoded values; the input is already decoded to UTF-8 (`encoding`).

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::canon::LineIndex;
use super::{Limits, TextPos, XmlError, XmlErrorKind, ns};

/// The namespace of the reserved `xmlns` prefix (never bindable).
pub(crate) const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// An attribute as the checker hands it to the sink: resolved namespace, local name, value
/// after normalization (references resolved, whitespace characters become spaces).
pub(crate) struct ScanAttr<'i> {
    pub ns: Option<Arc<str>>,
    pub local: &'i str,
    pub value: Cow<'i, str>,
    pub pos: TextPos,
}

/// What the checker reports while it reads a document (only well-formed parts are reported).
pub(crate) trait Sink {
    /// A start tag (for `<a/>` an [`Sink::end`] follows at once).
    fn start(
        &mut self,
        ns: Option<Arc<str>>,
        local: &str,
        pos: TextPos,
        attrs: &mut Vec<ScanAttr<'_>>,
        scope: &NsScope,
    );
    /// The end of the innermost open element; its namespace declarations are still in scope.
    fn end(&mut self, scope: &NsScope);
    /// Character data inside the root element: literal text and CDATA (`literal`), or the
    /// character a reference stands for (not `literal`: never whitespace to trim).
    fn text(&mut self, text: &str, literal: bool);
}

/// Namespace bindings in scope.
pub(crate) struct NsScope {
    /// (prefix, URI); the empty prefix is the default namespace, `None` undeclares it.
    bindings: Vec<(Box<str>, Option<Arc<str>>)>,
    /// `bindings.len()` when each open element started.
    marks: Vec<usize>,
    /// Interned URIs.
    uris: FxHashMap<Box<str>, Arc<str>>,
    xml: Arc<str>,
}

/// The result of looking a prefix up.
pub(crate) enum Lookup<'s> {
    Bound(&'s Arc<str>),
    Unbound,
    Undeclared,
}

impl NsScope {
    fn new() -> NsScope {
        NsScope {
            bindings: Vec::new(),
            marks: Vec::new(),
            uris: FxHashMap::default(),
            xml: Arc::from(ns::XML),
        }
    }

    fn intern(&mut self, uri: &str) -> Arc<str> {
        if let Some(a) = self.uris.get(uri) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(uri);
        self.uris.insert(uri.into(), a.clone());
        a
    }

    /// The binding of `prefix` (`""` = the default namespace).
    pub(crate) fn lookup(&self, prefix: &str) -> Lookup<'_> {
        for (p, uri) in self.bindings.iter().rev() {
            if &**p == prefix {
                return match uri {
                    Some(u) => Lookup::Bound(u),
                    None => Lookup::Unbound,
                };
            }
        }
        match prefix {
            "" => Lookup::Unbound,
            "xml" => Lookup::Bound(&self.xml),
            _ => Lookup::Undeclared,
        }
    }

    /// Resolves a QName value (`faultcode` text, `xsi:type`) against the bindings in scope:
    /// `{uri}local`, `local` without a namespace, the value verbatim when it is not a QName
    /// or its prefix is undeclared (matcher tokens stay verbatim).
    pub(crate) fn resolve_qname_value(&self, value: &str) -> String {
        let v = super::canon::trim_xml_space(value);
        if v.is_empty() || super::matcher::token(v).is_some() || !is_qname(v) {
            return v.to_string();
        }
        let (prefix, local) = match v.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", v),
        };
        match self.lookup(prefix) {
            Lookup::Bound(uri) => format!("{{{uri}}}{local}"),
            Lookup::Unbound => local.to_string(),
            Lookup::Undeclared => v.to_string(),
        }
    }
}

/// Whether `c` matches the XML 1.0 Char production.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `s` is an XML Name.
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// Whether `s` is a QName: `NCName` or `NCName:NCName`.
pub(crate) fn is_qname(s: &str) -> bool {
    is_name(s) && qname_problem(s).is_none()
}

/// Why a Name is not a QName (Namespaces in XML 1.0), if it is not.
fn qname_problem(name: &str) -> Option<&'static str> {
    let colons = name.bytes().filter(|&b| b == b':').count();
    if colons > 1 {
        Some("a qualified name has at most one colon")
    } else if name.starts_with(':') {
        Some("a qualified name cannot start with a colon")
    } else if name.ends_with(':') {
        Some("a qualified name cannot end with a colon")
    } else if colons == 1
        && !name
            .split(':')
            .nth(1)
            .and_then(|l| l.chars().next())
            .is_some_and(is_name_start)
    {
        Some("the local part after the colon must start with a letter or `_`")
    } else {
        None
    }
}

/// Whether `s` is a URI reference (RFC 3986), as a namespace name must be.
pub(crate) fn is_uri_reference(s: &str) -> bool {
    fn unreserved_or_sub(c: u8) -> bool {
        c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&c)
    }
    /// Every byte is allowed by `ok` or starts a `%HH` escape.
    fn chars(s: &str, ok: impl Fn(u8) -> bool) -> bool {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
                {
                    return false;
                }
                i += 3;
            } else if ok(b[i]) {
                i += 1;
            } else {
                return false;
            }
        }
        true
    }
    let pchar = |c: u8| unreserved_or_sub(c) || c == b':' || c == b'@';
    let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let tail_ok = |t: &str| chars(t, |c| pchar(c) || c == b'/' || c == b'?');
    if !tail_ok(fragment) || !tail_ok(query) {
        return false;
    }
    let first_colon = rest.find(':');
    let first_slash = rest.find('/');
    let rest = match first_colon {
        Some(c) if first_slash.is_none_or(|sl| c < sl) => {
            let scheme = &rest[..c];
            let valid = scheme
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
            if !valid {
                // A relative reference's first segment has no colon.
                return false;
            }
            &rest[c + 1..]
        }
        _ => rest,
    };
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            let authority = &after[..end];
            let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("", authority));
            if !chars(userinfo, |c| unreserved_or_sub(c) || c == b':') {
                return false;
            }
            let (host, port) = if let Some(lit) = hostport.strip_prefix('[') {
                let Some((inside, after_lit)) = lit.split_once(']') else {
                    return false;
                };
                if inside.is_empty()
                    || !inside
                        .bytes()
                        .all(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.' | b'v' | b'V'))
                {
                    return false;
                }
                match after_lit.strip_prefix(':') {
                    Some(p) => ("", p),
                    None if after_lit.is_empty() => ("", ""),
                    None => return false,
                }
            } else {
                hostport.split_once(':').unwrap_or((hostport, ""))
            };
            if !chars(host, unreserved_or_sub) || !port.bytes().all(|c| c.is_ascii_digit()) {
                return false;
            }
            &after[end..]
        }
        None => rest,
    };
    chars(path, |c| pchar(c) || c == b'/')
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The first character that is not an XML Char, with its byte offset.
fn first_bad_char(text: &str) -> Option<(usize, char)> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x20 {
            if !matches!(c, b'\t' | b'\n' | b'\r') {
                return Some((i, char::from(c)));
            }
        } else if c == 0xEF
            && b.get(i + 1) == Some(&0xBF)
            && matches!(b.get(i + 2), Some(0xBE | 0xBF))
        {
            let ch = if b[i + 2] == 0xBE {
                '\u{FFFE}'
            } else {
                '\u{FFFF}'
            };
            return Some((i, ch));
        }
        i += 1;
    }
    None
}

/// How a character is named in messages: `U+0000` plus a readable form when printable.
pub(crate) fn describe_char(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// An open element: its raw qualified name and where it started.
struct OpenTag<'i> {
    qname: &'i str,
    pos: TextPos,
}

/// The checker over one decoded document.
pub(crate) struct Checker<'i, 's, S: Sink> {
    input: &'i str,
    b: &'i [u8],
    i: usize,
    lines: LineIndex<'i>,
    limits: &'s Limits,
    sink: &'s mut S,
    scope: NsScope,
    open: Vec<OpenTag<'i>>,
    root_seen: bool,
    attrs: Vec<ScanAttr<'i>>,
    raw: Vec<RawAttr<'i>>,
    text: String,
}

struct RawAttr<'i> {
    qname: &'i str,
    offset: usize,
    value: Cow<'i, str>,
}

impl<'i, 's, S: Sink> Checker<'i, 's, S> {
    pub(crate) fn new(input: &'i str, limits: &'s Limits, sink: &'s mut S) -> Self {
        Checker {
            input,
            b: input.as_bytes(),
            i: 0,
            lines: LineIndex::new(input.as_bytes()),
            limits,
            sink,
            scope: NsScope::new(),
            open: Vec::new(),
            root_seen: false,
            attrs: Vec::new(),
            raw: Vec::new(),
            text: String::new(),
        }
    }

    fn err(&mut self, offset: usize, message: String) -> XmlError {
        self.err_kind(offset, XmlErrorKind::Malformed, message)
    }

    fn err_kind(&mut self, offset: usize, kind: XmlErrorKind, message: String) -> XmlError {
        XmlError {
            pos: self.lines.pos(offset),
            kind,
            message,
        }
    }

    fn at(&self, s: &str) -> bool {
        self.b
            .get(self.i..)
            .is_some_and(|r| r.starts_with(s.as_bytes()))
    }

    fn skip_space(&mut self) -> bool {
        let start = self.i;
        while self.b.get(self.i).is_some_and(|&c| is_space(c)) {
            self.i += 1;
        }
        self.i > start
    }

    /// The Name starting at `self.i` (may be empty when no name starts there).
    fn name(&mut self) -> &'i str {
        let start = self.i;
        let mut first = true;
        while let Some(&c) = self.b.get(self.i) {
            if c < 0x80 {
                let ch = char::from(c);
                let ok = if first {
                    is_name_start(ch)
                } else {
                    is_name_char(ch)
                };
                if !ok {
                    break;
                }
                self.i += 1;
            } else {
                let ch = self.input[self.i..].chars().next().unwrap_or('\u{0}');
                let ok = if first {
                    is_name_start(ch)
                } else {
                    is_name_char(ch)
                };
                if !ok {
                    break;
                }
                self.i += ch.len_utf8();
            }
            first = false;
        }
        &self.input[start..self.i]
    }

    /// A readable description of what is at `offset` (for "expected X, found Y").
    fn found(&self, offset: usize) -> String {
        match self.input.get(offset..).and_then(|r| r.chars().next()) {
            None => "the end of the input".to_string(),
            Some(c) if c.is_whitespace() || c.is_control() => describe_char(c),
            Some(c) => format!("`{c}`"),
        }
    }

    /// A name that must be there: an error naming what was expected otherwise.
    fn required_name(&mut self, what: &str) -> Result<&'i str, XmlError> {
        let start = self.i;
        let name = self.name();
        if name.is_empty() {
            let found = self.found(start);
            let message = match self.input.get(start..).and_then(|r| r.chars().next()) {
                Some(c) if is_name_char(c) => format!(
                    "{what} cannot start with `{c}` (a name starts with a letter, `_` or `:`)"
                ),
                _ => format!("expected {what}, found {found}"),
            };
            return Err(self.err(start, message));
        }
        Ok(name)
    }

    pub(crate) fn run(&mut self) -> Result<(), XmlError> {
        if let Some((offset, c)) = first_bad_char(self.input) {
            let message = format!(
                "character {} is not allowed in XML (XML 1.0 allows tab, line feed, carriage return and U+0020 upwards, except U+FFFE and U+FFFF)",
                describe_char(c)
            );
            return Err(self.err(offset, message));
        }
        if self.at("<?xml") && self.b.get(5).is_none_or(|&c| is_space(c) || c == b'?') {
            self.declaration()?;
        }
        while self.i < self.b.len() {
            if self.open.is_empty() {
                self.misc()?;
            } else {
                self.content()?;
            }
        }
        if let Some(open) = self.open.last() {
            let message = format!(
                "unexpected end of input: element `{}` opened at {}:{} is not closed",
                open.qname, open.pos.line, open.pos.col
            );
            return Err(self.err(self.b.len(), message));
        }
        if !self.root_seen {
            let end = self.b.len();
            return Err(self.err_kind(end, XmlErrorKind::Empty, "no root element".into()));
        }
        Ok(())
    }

    /// Outside the root element: whitespace, comments, PIs, the root's start tag.
    fn misc(&mut self) -> Result<(), XmlError> {
        let c = self.b[self.i];
        if is_space(c) {
            self.i += 1;
            return Ok(());
        }
        if c == b'<' {
            return self.markup();
        }
        let what = if self.root_seen { "after" } else { "before" };
        let message = if self.input[self.i..].starts_with('\u{FEFF}') {
            "a second byte order mark (U+FEFF): only one may start a document".to_string()
        } else {
            format!("text {what} the root element")
        };
        Err(self.err(self.i, message))
    }

    /// Inside the root element: character data, references, markup.
    fn content(&mut self) -> Result<(), XmlError> {
        let rest = &self.b[self.i..];
        let run = memchr::memchr2(b'<', b'&', rest).unwrap_or(rest.len());
        if run > 0 {
            let chunk = &self.input[self.i..self.i + run];
            let mut from = 0;
            while let Some(gt) = memchr::memchr(b'>', &chunk.as_bytes()[from..]) {
                let at = from + gt;
                if at >= 2 && &chunk.as_bytes()[at - 2..at] == b"]]" {
                    let offset = self.i + at - 2;
                    return Err(self.err(
                        offset,
                        "`]]>` is not allowed in text (write `]]&gt;`)".into(),
                    ));
                }
                from = at + 1;
            }
            if chunk.contains('\r') {
                let normalized = chunk.replace("\r\n", "\n").replace('\r', "\n");
                self.sink.text(&normalized, true);
            } else {
                self.sink.text(chunk, true);
            }
            self.i += run;
            return Ok(());
        }
        if self.b[self.i] == b'&' {
            self.text.clear();
            let mut out = std::mem::take(&mut self.text);
            let r = self.reference(&mut out);
            if r.is_ok() {
                self.sink.text(&out, false);
            }
            self.text = out;
            return r;
        }
        self.markup()
    }

    /// A reference at `self.i` (`&...;`), appended to `out` resolved.
    fn reference(&mut self, out: &mut String) -> Result<(), XmlError> {
        let start = self.i;
        self.i += 1;
        if self.b.get(self.i) == Some(&b'#') {
            self.i += 1;
            let hex = self.b.get(self.i) == Some(&b'x');
            if hex {
                self.i += 1;
            }
            let digits_start = self.i;
            while self.b.get(self.i).is_some_and(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            }) {
                self.i += 1;
            }
            let digits = &self.input[digits_start..self.i];
            if digits.is_empty() || self.b.get(self.i) != Some(&b';') {
                let end = (self.i + 1).min(self.b.len());
                let shown = self.input.get(start..end).unwrap_or("&#");
                return Err(self.err(
                    start,
                    format!("bad character reference `{shown}` (write `&#NNN;` or `&#xHHHH;`)"),
                ));
            }
            self.i += 1;
            let value = u32::from_str_radix(digits, if hex { 16 } else { 10 }).ok();
            match value.and_then(char::from_u32).filter(|&c| is_xml_char(c)) {
                Some(c) => {
                    out.push(c);
                    Ok(())
                }
                None => {
                    let what = match value {
                        Some(v) if v <= 0x10FFFF => format!("U+{v:04X}"),
                        _ => "a number beyond U+10FFFF".to_string(),
                    };
                    let text = &self.input[start..self.i];
                    Err(self.err(
                        start,
                        format!(
                            "character reference `{text}` refers to {what}, which is not an XML character"
                        ),
                    ))
                }
            }
        } else {
            let name = self.name();
            if name.is_empty() || self.b.get(self.i) != Some(&b';') {
                return Err(self.err(
                    start,
                    "`&` must start a reference like `&amp;` (write `&amp;` for a literal `&`)"
                        .into(),
                ));
            }
            self.i += 1;
            let c = match name {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "apos" => '\'',
                "quot" => '"',
                _ => {
                    return Err(self.err(
                        start,
                        format!(
                            "unknown entity reference `&{name};` (only the five predefined XML entities are allowed; no DTD is read)"
                        ),
                    ));
                }
            };
            out.push(c);
            Ok(())
        }
    }

    /// Markup starting with `<` at `self.i`.
    fn markup(&mut self) -> Result<(), XmlError> {
        let start = self.i;
        match self.b.get(self.i + 1) {
            Some(b'/') => self.end_tag(),
            Some(b'?') => self.pi(),
            Some(b'!') => {
                if self.at("<!--") {
                    self.comment()
                } else if self.at("<![CDATA[") {
                    self.cdata()
                } else if self.at("<!DOCTYPE") {
                    Err(self.err_kind(
                        start,
                        XmlErrorKind::Dtd,
                        "DOCTYPE declarations are refused (entities are never expanded)".into(),
                    ))
                } else if self.at("<!ENTITY")
                    || self.at("<!ELEMENT")
                    || self.at("<!ATTLIST")
                    || self.at("<!NOTATION")
                {
                    Err(self.err_kind(
                        start,
                        XmlErrorKind::Dtd,
                        "DTD and entity declarations are refused (never expanded)".into(),
                    ))
                } else {
                    Err(self.err(
                        start,
                        "`<!` starts only a comment `<!--`, a CDATA section `<![CDATA[` or a DOCTYPE"
                            .into(),
                    ))
                }
            }
            _ => self.start_tag(),
        }
    }

    fn comment(&mut self) -> Result<(), XmlError> {
        let start = self.i;
        let body = self.i + 4;
        match memchr::memmem::find(&self.b[body..], b"--") {
            Some(at) => {
                let dashes = body + at;
                if self.b.get(dashes + 2) != Some(&b'>') {
                    return Err(self.err(
                        dashes,
                        "`--` is not allowed inside a comment (a comment ends with `-->`)".into(),
                    ));
                }
                self.i = dashes + 3;
                Ok(())
            }
            None => Err(self.err(start, "comment `<!--` is not closed with `-->`".into())),
        }
    }

    fn cdata(&mut self) -> Result<(), XmlError> {
        let start = self.i;
        if self.open.is_empty() {
            return Err(self.err(start, "CDATA outside the root element".into()));
        }
        let body = self.i + 9;
        match memchr::memmem::find(&self.b[body..], b"]]>") {
            Some(at) => {
                let chunk = &self.input[body..body + at];
                if chunk.contains('\r') {
                    let normalized = chunk.replace("\r\n", "\n").replace('\r', "\n");
                    self.sink.text(&normalized, true);
                } else {
                    self.sink.text(chunk, true);
                }
                self.i = body + at + 3;
                Ok(())
            }
            None => Err(self.err(start, "CDATA section is not closed with `]]>`".into())),
        }
    }

    fn pi(&mut self) -> Result<(), XmlError> {
        let start = self.i;
        self.i += 2;
        let target = self.required_name("a processing instruction target")?;
        if target.eq_ignore_ascii_case("xml") {
            return Err(self.err(
                start,
                "the XML declaration `<?xml ...?>` is allowed only at the very start of the document (nothing, not even whitespace or a byte order mark, before it)"
                    .into(),
            ));
        }
        if target.contains(':') {
            return Err(self.err(
                start + 2,
                format!("processing instruction target `{target}` contains a colon (not allowed with namespaces)"),
            ));
        }
        if self.at("?>") {
            self.i += 2;
            return Ok(());
        }
        if !self.skip_space() {
            let found = self.found(self.i);
            return Err(self.err(
                self.i,
                format!("expected whitespace or `?>` after the processing instruction target, found {found}"),
            ));
        }
        match memchr::memmem::find(&self.b[self.i..], b"?>") {
            Some(at) => {
                self.i += at + 2;
                Ok(())
            }
            None => Err(self.err(
                start,
                "processing instruction `<?` is not closed with `?>`".into(),
            )),
        }
    }

    /// The XML declaration at offset 0.
    fn declaration(&mut self) -> Result<(), XmlError> {
        let start = self.i;
        self.i += 5;
        let Some(end) = memchr::memmem::find(&self.b[self.i..], b"?>").map(|e| e + self.i) else {
            return Err(self.err(start, "the XML declaration is not closed with `?>`".into()));
        };
        let mut seen = Vec::new();
        loop {
            let had_space = self.skip_space();
            if self.i >= end {
                break;
            }
            let name_at = self.i;
            let name = self.name();
            if name.is_empty() || !had_space {
                let found = self.found(name_at);
                return Err(self.err(
                    name_at,
                    format!("bad XML declaration: expected whitespace and `version`, `encoding` or `standalone`, found {found}"),
                ));
            }
            let order = match name {
                "version" => 0,
                "encoding" => 1,
                "standalone" => 2,
                other => {
                    return Err(self.err(
                        name_at,
                        format!("bad XML declaration: unknown pseudo-attribute `{other}` (only version, encoding, standalone, in this order)"),
                    ));
                }
            };
            if seen.last().is_some_and(|&l| l >= order) || (order > 0 && seen.is_empty()) {
                return Err(self.err(
                    name_at,
                    format!("bad XML declaration: `{name}` out of place (version first, then encoding, then standalone, each once)"),
                ));
            }
            seen.push(order);
            self.skip_space();
            if self.b.get(self.i) != Some(&b'=') {
                let found = self.found(self.i);
                return Err(self.err(
                    self.i,
                    format!("bad XML declaration: expected `=` after `{name}`, found {found}"),
                ));
            }
            self.i += 1;
            self.skip_space();
            let quote = match self.b.get(self.i) {
                Some(&q @ (b'"' | b'\'')) => q,
                _ => {
                    let found = self.found(self.i);
                    return Err(self.err(self.i, format!("bad XML declaration: expected a quoted value for `{name}`, found {found}")));
                }
            };
            let value_at = self.i + 1;
            let Some(close) = memchr::memchr(quote, &self.b[value_at..end]).map(|c| c + value_at)
            else {
                return Err(self.err(
                    self.i,
                    format!("bad XML declaration: the value of `{name}` is not closed"),
                ));
            };
            let value = &self.input[value_at..close];
            let ok = match order {
                0 => value
                    .strip_prefix("1.")
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit())),
                1 => {
                    let mut cs = value.chars();
                    cs.next().is_some_and(|c| c.is_ascii_alphabetic())
                        && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                }
                _ => matches!(value, "yes" | "no"),
            };
            if !ok {
                let rule = match order {
                    0 => "`1.` followed by digits, e.g. `1.0`",
                    1 => "a letter followed by letters, digits, `.`, `_` or `-`",
                    _ => "`yes` or `no`",
                };
                return Err(self.err(
                    value_at,
                    format!("bad XML declaration: `{name}=\"{value}\"` must be {rule}"),
                ));
            }
            self.i = close + 1;
        }
        if seen.first() != Some(&0) {
            return Err(self.err(start, "bad XML declaration: `version` is required".into()));
        }
        self.i = end + 2;
        Ok(())
    }

    fn end_tag(&mut self) -> Result<(), XmlError> {
        let start = self.i;
        self.i += 2;
        let name = self.required_name("an element name after `</`")?;
        self.skip_space();
        if self.b.get(self.i) != Some(&b'>') {
            let found = self.found(self.i);
            return Err(self.err(
                self.i,
                format!("expected `>` to close the end tag `</{name}`, found {found}"),
            ));
        }
        self.i += 1;
        let Some(open) = self.open.last() else {
            return Err(self.err(start, format!("end tag `</{name}>` without a start tag")));
        };
        if open.qname != name {
            let message = format!(
                "end tag `</{name}>` does not match the start tag `<{}>` at {}:{}",
                open.qname, open.pos.line, open.pos.col
            );
            return Err(self.err(start, message));
        }
        self.open.pop();
        self.sink.end(&self.scope);
        self.pop_scope();
        Ok(())
    }

    fn pop_scope(&mut self) {
        if let Some(mark) = self.scope.marks.pop() {
            self.scope.bindings.truncate(mark);
        }
    }

    /// An attribute value at `self.i` (the opening quote), normalized.
    fn attr_value(&mut self, name: &str) -> Result<Cow<'i, str>, XmlError> {
        let quote = match self.b.get(self.i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                let found = self.found(self.i);
                return Err(self.err(
                    self.i,
                    format!("expected a quoted value for attribute `{name}`, found {found}"),
                ));
            }
        };
        let open_at = self.i;
        let value_at = self.i + 1;
        let Some(close) = memchr::memchr(quote, &self.b[value_at..]).map(|c| c + value_at) else {
            return Err(self.err(
                open_at,
                format!("the value of attribute `{name}` is not closed"),
            ));
        };
        let raw = &self.input[value_at..close];
        if let Some(lt) = memchr::memchr(b'<', raw.as_bytes()) {
            return Err(self.err(
                value_at + lt,
                format!("`<` is not allowed in the value of attribute `{name}` (write `&lt;`)"),
            ));
        }
        let plain = !raw
            .bytes()
            .any(|c| matches!(c, b'&' | b'\t' | b'\n' | b'\r'));
        if plain {
            self.i = close + 1;
            return Ok(Cow::Borrowed(raw));
        }
        let mut out = String::with_capacity(raw.len());
        self.i = value_at;
        while self.i < close {
            match self.b[self.i] {
                b'&' => self.reference(&mut out)?,
                b'\r' => {
                    out.push(' ');
                    self.i += 1;
                    if self.b.get(self.i) == Some(&b'\n') {
                        self.i += 1;
                    }
                }
                b'\t' | b'\n' => {
                    out.push(' ');
                    self.i += 1;
                }
                _ => {
                    let next = memchr::memchr3(b'&', b'\r', b'\n', &self.b[self.i..close])
                        .map_or(close, |n| n + self.i);
                    let next = self.input[self.i..next]
                        .find('\t')
                        .map_or(next, |t| t + self.i);
                    out.push_str(&self.input[self.i..next]);
                    self.i = next;
                }
            }
        }
        if self.i > close {
            // A reference ran into the closing quote (`&amp"`): report it as unterminated.
            return Err(self.err(
                close,
                format!("bad reference in the value of attribute `{name}`"),
            ));
        }
        self.i = close + 1;
        Ok(Cow::Owned(out))
    }

    fn start_tag(&mut self) -> Result<(), XmlError> {
        let start = self.i;
        self.i += 1;
        let qname = self.required_name("an element name after `<`")?;
        if let Some(problem) = qname_problem(qname) {
            return Err(self.err(start + 1, format!("element name `{qname}`: {problem}")));
        }
        if self.open.is_empty() && self.root_seen {
            return Err(self.err(start, "a second root element".into()));
        }
        if self.open.len() >= self.limits.max_depth.min(Limits::MAX_DEPTH_CEILING) {
            let max = self.limits.max_depth.min(Limits::MAX_DEPTH_CEILING);
            return Err(self.err_kind(
                start,
                XmlErrorKind::TooLarge,
                format!("elements nest deeper than {max} levels (the harness's limit `max_depth`; raise it with --xml-max-depth or `limits: {{ xml_max_depth: N }}` in the target profile)"),
            ));
        }
        let pos = self.lines.pos(start);
        let mut raw = std::mem::take(&mut self.raw);
        raw.clear();
        let empty = loop {
            let had_space = self.skip_space();
            match self.b.get(self.i) {
                Some(b'>') => {
                    self.i += 1;
                    break false;
                }
                Some(b'/') => {
                    if self.b.get(self.i + 1) == Some(&b'>') {
                        self.i += 2;
                        break true;
                    }
                    let found = self.found(self.i + 1);
                    self.raw = raw;
                    return Err(self.err(
                        self.i,
                        format!("expected `/>` to end the tag `<{qname}`, found `/` then {found}"),
                    ));
                }
                None => {
                    self.raw = raw;
                    return Err(self.err(
                        start,
                        format!("start tag `<{qname}` is not closed with `>`"),
                    ));
                }
                Some(_) => {}
            }
            let name_at = self.i;
            if !had_space {
                let found = self.found(name_at);
                self.raw = raw;
                return Err(self.err(
                    name_at,
                    format!(
                        "expected whitespace, `>` or `/>` in the tag `<{qname}`, found {found}"
                    ),
                ));
            }
            let name = match self.required_name("an attribute name") {
                Ok(n) => n,
                Err(e) => {
                    self.raw = raw;
                    return Err(e);
                }
            };
            if let Some(problem) = qname_problem(name) {
                self.raw = raw;
                return Err(self.err(name_at, format!("attribute name `{name}`: {problem}")));
            }
            self.skip_space();
            if self.b.get(self.i) != Some(&b'=') {
                let found = self.found(self.i);
                self.raw = raw;
                return Err(self.err(
                    self.i,
                    format!("expected `=` after attribute name `{name}`, found {found}"),
                ));
            }
            self.i += 1;
            self.skip_space();
            let value = match self.attr_value(name) {
                Ok(v) => v,
                Err(e) => {
                    self.raw = raw;
                    return Err(e);
                }
            };
            if raw.len() >= self.limits.max_attributes {
                let max = self.limits.max_attributes;
                self.raw = raw;
                return Err(self.err_kind(
                    name_at,
                    XmlErrorKind::TooLarge,
                    format!("element `{qname}` has more than {max} attributes (the harness's limit `max_attributes`; raise it with --xml-max-attributes or `limits: {{ xml_max_attributes: N }}` in the target profile)"),
                ));
            }
            if let Some(first) = raw.iter().find(|a| a.qname == name) {
                let first_pos = self.lines_pos_of(first.offset);
                self.raw = raw;
                return Err(self.err(
                    name_at,
                    format!(
                        "attribute `{name}` appears twice in one tag (first at {}:{})",
                        first_pos.line, first_pos.col
                    ),
                ));
            }
            raw.push(RawAttr {
                qname: name,
                offset: name_at,
                value,
            });
        };
        let result = self.resolve_tag(qname, start, pos, &mut raw);
        self.raw = raw;
        result?;
        self.root_seen = true;
        self.open.push(OpenTag { qname, pos });
        if empty {
            self.open.pop();
            self.sink.end(&self.scope);
            self.pop_scope();
        }
        Ok(())
    }

    /// Position of an earlier offset without disturbing the incremental index much.
    fn lines_pos_of(&self, offset: usize) -> TextPos {
        LineIndex::new(self.b).pos(offset)
    }

    /// Namespace declarations, resolution and uniqueness of one start tag; then the sink.
    fn resolve_tag(
        &mut self,
        qname: &'i str,
        start: usize,
        pos: TextPos,
        raw: &mut Vec<RawAttr<'i>>,
    ) -> Result<(), XmlError> {
        self.scope.marks.push(self.scope.bindings.len());
        for a in raw.iter() {
            let prefix = if a.qname == "xmlns" {
                ""
            } else if let Some(p) = a.qname.strip_prefix("xmlns:") {
                p
            } else {
                continue;
            };
            let uri = a.value.as_ref();
            let problem = if prefix == "xmlns" {
                Some("the prefix `xmlns` is reserved and cannot be declared".to_string())
            } else if prefix == "xml" && uri != ns::XML {
                Some(format!(
                    "the prefix `xml` is bound to `{}` and to nothing else",
                    ns::XML
                ))
            } else if prefix != "xml" && uri == ns::XML {
                Some(format!(
                    "only the prefix `xml` may be bound to `{}`",
                    ns::XML
                ))
            } else if uri == XMLNS_NS {
                Some(format!("`{XMLNS_NS}` cannot be bound to a prefix"))
            } else if !prefix.is_empty() && uri.is_empty() {
                Some(format!(
                    "`xmlns:{prefix}=\"\"` is not allowed: Namespaces in XML 1.0 cannot undeclare a prefix"
                ))
            } else if !uri.is_empty() && !uri.contains('&') && !is_uri_reference(uri) {
                // (libxml2 does not judge a namespace name holding `&`; neither do we)
                Some(format!(
                    "`{uri}` is not a URI reference (RFC 3986: no spaces, non-ASCII or `<>\"{{}}|\\^` characters; `%` only before two hex digits)"
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                let offset = a.offset;
                return Err(self.err(
                    offset,
                    format!("namespace declaration `{}`: {problem}", a.qname),
                ));
            }
            let bound = if uri.is_empty() {
                None
            } else {
                Some(self.scope.intern(uri))
            };
            if self.scope.bindings.len() >= self.limits.max_namespace_bindings {
                let max = self.limits.max_namespace_bindings;
                let offset = a.offset;
                return Err(self.err_kind(
                    offset,
                    XmlErrorKind::TooLarge,
                    format!("more than {max} namespace declarations in scope (the harness's limit `max_namespace_bindings`; raise it with --xml-max-namespace-bindings or `limits: {{ xml_max_namespace_bindings: N }}` in the target profile)"),
                ));
            }
            self.scope.bindings.push((prefix.into(), bound));
        }
        let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
        if prefix == "xmlns" {
            return Err(self.err(start + 1, format!("element name `{qname}`: the prefix `xmlns` is reserved for namespace declarations")));
        }
        let ns = match self.scope.lookup(prefix) {
            Lookup::Bound(u) => Some(u.clone()),
            Lookup::Unbound => None,
            Lookup::Undeclared => {
                return Err(self.err(
                    start,
                    format!("undeclared namespace prefix `{prefix}` on element `{qname}`"),
                ));
            }
        };
        let mut attrs = std::mem::take(&mut self.attrs);
        attrs.clear();
        for a in raw.drain(..) {
            if a.qname == "xmlns" || a.qname.starts_with("xmlns:") {
                continue;
            }
            let (prefix, local) = match a.qname.split_once(':') {
                Some((p, l)) => (p, l),
                None => ("", a.qname),
            };
            let ns = if prefix.is_empty() {
                None
            } else {
                match self.scope.lookup(prefix) {
                    Lookup::Bound(u) => Some(u.clone()),
                    _ => {
                        self.attrs = attrs;
                        return Err(self.err(
                            a.offset,
                            format!(
                                "undeclared namespace prefix `{prefix}` on attribute `{}`",
                                a.qname
                            ),
                        ));
                    }
                }
            };
            let apos = self.lines.pos(a.offset);
            if ns.is_some() {
                if let Some(first) = attrs.iter().find(|x| x.local == local && x.ns == ns) {
                    let message = format!(
                        "attribute `{}` appears twice (after namespace resolution; the first is at {}:{})",
                        a.qname, first.pos.line, first.pos.col
                    );
                    self.attrs = attrs;
                    return Err(XmlError {
                        pos: apos,
                        kind: XmlErrorKind::Malformed,
                        message,
                    });
                }
            }
            attrs.push(ScanAttr {
                ns,
                local,
                value: a.value,
                pos: apos,
            });
        }
        self.sink.start(ns, local, pos, &mut attrs, &self.scope);
        attrs.clear();
        // Keep the scratch capacity; its borrowed lifetime ends here.
        self.attrs = attrs;
        Ok(())
    }
}
