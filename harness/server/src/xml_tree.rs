//! The reference server's XML parser: request bytes → a namespace-resolved element tree
//! ([`Element`]), with every failure a [`Violation`] at a 1-based line and position.
//!
//! Built on `quick_xml::NsReader` (names are compared by namespace URI and local name; prefixes
//! never matter). quick-xml is lenient, so this module adds the well-formedness checks XML
//! requires and Exchange's parser enforces: one root, every element closed, no undeclared prefix,
//! no unknown entity, no raw `&` or `<` in values, valid UTF-8, no DTD (a DTD is refused, never
//! expanded), and no character outside the XML 1.0 `Char` production, literal (a NUL or another
//! C0 control other than tab, LF and CR) or by reference (`&#0;`, `&#x1;`). Such a character is
//! never put into the tree, so it can never be echoed into a response. Hard limits keep hostile
//! input cheap: nesting depth [`MAX_DEPTH`], element count [`MAX_ELEMENTS`], attributes per
//! element [`MAX_ATTRIBUTES`]. SOAP semantics live in `envelope.rs`.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// Most elements accepted in one request.
pub const MAX_ELEMENTS: usize = 20_000;
/// Most attributes (namespace declarations included) accepted on one element.
pub const MAX_ATTRIBUTES: usize = 256;

/// 1-based line and position (in characters) of a place in the request text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Why a request is not acceptable XML / not valid against the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub position: Position,
    pub message: String,
}

impl Violation {
    pub fn at(position: Position, message: impl Into<String>) -> Violation {
        Violation {
            position,
            message: message.into(),
        }
    }
}

/// An attribute with its resolved namespace (empty when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub ns: String,
    pub local: String,
    pub value: String,
}

/// An element with its resolved namespace (empty when none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub ns: String,
    pub local: String,
    pub attrs: Vec<Attribute>,
    pub children: Vec<Element>,
    /// All character data directly inside this element, entities resolved.
    pub text: String,
    /// Where the element's name starts (just after `<`).
    pub position: Position,
}

impl Element {
    /// `{ns}local`, as schema messages print names.
    pub fn qualified(&self) -> String {
        if self.ns.is_empty() {
            self.local.clone()
        } else {
            format!("{}:{}", self.ns, self.local)
        }
    }

    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    /// Value of the attribute `local` in no namespace.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_empty() && a.local == local)
            .map(|a| a.value.as_str())
    }
}

/// Maps byte offsets to 1-based line/position.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        Position {
            line: line + 1,
            column: column + 1,
        }
    }
}

fn with_location(message: &str, position: Position) -> String {
    format!(
        "{message} Line {}, position {}.",
        position.line, position.column
    )
}

/// Parses request bytes into an element tree.
pub fn parse_document(input: &[u8]) -> Result<Element, Violation> {
    let text = match std::str::from_utf8(input) {
        Ok(text) => text,
        Err(error) => {
            let valid = &input[..error.valid_up_to()];
            // Safe: the prefix up to valid_up_to is valid UTF-8.
            let prefix = std::str::from_utf8(valid).unwrap_or("");
            let position = LineIndex::new(prefix).position(prefix.len());
            return Err(Violation::at(
                position,
                with_location("Invalid character in the given encoding.", position),
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((offset, ch)) = text.char_indices().find(|(_, c)| !is_xml_char(*c)) {
        let position = LineIndex::new(text).position(offset);
        return Err(Violation::at(
            position,
            with_location(
                &format!(
                    "'{}', hexadecimal value 0x{:02X}, is an invalid character.",
                    ch.escape_default(),
                    u32::from(ch)
                ),
                position,
            ),
        ));
    }
    Parser::new(text).run()
}

/// The XML 1.0 `Char` production: tab, LF, CR, and U+0020 upwards except the surrogates (which
/// a `char` cannot be) and U+FFFE, U+FFFF.
pub fn is_xml_char(ch: char) -> bool {
    matches!(ch, '\t' | '\n' | '\r') || (ch >= ' ' && ch != '\u{fffe}' && ch != '\u{ffff}')
}

struct Parser<'a> {
    reader: NsReader<&'a [u8]>,
    lines: LineIndex<'a>,
    stack: Vec<Element>,
    root: Option<Element>,
    elements: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        let mut reader = NsReader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Parser {
            reader,
            lines: LineIndex::new(text),
            stack: Vec::new(),
            root: None,
            elements: 0,
        }
    }

    fn pos(&self, offset: u64) -> Position {
        self.lines
            .position(usize::try_from(offset).unwrap_or(usize::MAX))
    }

    fn fail(&self, offset: u64, message: &str) -> Violation {
        let position = self.pos(offset);
        Violation::at(position, with_location(message, position))
    }

    fn run(mut self) -> Result<Element, Violation> {
        loop {
            let before = self.reader.buffer_position();
            let event = match self.reader.read_resolved_event() {
                Ok((resolved, event)) => {
                    let ns = match resolved {
                        ResolveResult::Bound(ns) => Ok(ns.0.to_string()),
                        ResolveResult::Unbound => Ok(String::new()),
                        ResolveResult::Unknown(prefix) => Err(prefix),
                    };
                    (ns, event)
                }
                Err(error) => return Err(self.quick_xml_error(&error, before)),
            };
            match event {
                (_, Event::Eof) => return self.finish(before),
                (ns, Event::Start(start)) => {
                    let element = self.open(ns, &start, before)?;
                    if self.stack.len() >= MAX_DEPTH {
                        return Err(self.fail(
                            before + 1,
                            "The XML document is nested too deeply for this server.",
                        ));
                    }
                    self.stack.push(element);
                }
                (ns, Event::Empty(start)) => {
                    let element = self.open(ns, &start, before)?;
                    self.close(element, before)?;
                }
                (_, Event::End(_)) => match self.stack.pop() {
                    Some(element) => self.close(element, before)?,
                    None => return Err(self.fail(before, "Unexpected end tag.")),
                },
                (_, Event::Text(text)) => {
                    let raw: String = text.to_string();
                    self.push_text(&raw, before)?;
                }
                (_, Event::CData(data)) => {
                    let raw: String = data.to_string();
                    match self.stack.last_mut() {
                        Some(top) => top.text.push_str(&raw),
                        None => {
                            return Err(self.fail(before, "Data at the root level is invalid."));
                        }
                    }
                }
                (_, Event::GeneralRef(reference)) => {
                    let name: String = reference.to_string();
                    let resolved = resolve_reference(&name);
                    let Some(value) = resolved else {
                        let message = if name.starts_with('#') {
                            format!("Invalid character reference '&{name};'.")
                        } else {
                            format!("Reference to undeclared entity '{name}'.")
                        };
                        return Err(self.fail(before + 1, &message));
                    };
                    match self.stack.last_mut() {
                        Some(top) => top.text.push_str(&value),
                        None => {
                            return Err(self.fail(before, "Data at the root level is invalid."));
                        }
                    }
                }
                (_, Event::DocType(_)) => {
                    return Err(self.fail(
                        before + 2,
                        "For security reasons DTD is prohibited in this XML document.",
                    ));
                }
                (_, Event::Decl(_)) => {
                    if before != 0 {
                        return Err(self.fail(
                            before + 2,
                            "Unexpected XML declaration. The XML declaration must be the first node in the document.",
                        ));
                    }
                }
                (_, Event::Comment(_)) | (_, Event::PI(_)) => {}
            }
        }
    }

    fn quick_xml_error(&self, error: &quick_xml::Error, before: u64) -> Violation {
        let offset = self.reader.error_position();
        let message = error.to_string();
        if message.contains("reference not closed") {
            // A raw `&`: Exchange's parser says it failed parsing an entity name.
            return self.fail(offset + 1, "An error occurred while parsing EntityName.");
        }
        if message.contains("namespace bindings") {
            return self.fail(
                offset.max(before) + 1,
                "Too many namespace declarations are in scope for this server.",
            );
        }
        if let quick_xml::Error::IllFormed(ill) = error {
            let text = ill.to_string();
            return self.fail(
                offset.max(before),
                &format!("The XML is not well-formed: {text}."),
            );
        }
        self.fail(offset, &format!("The XML is not well-formed: {message}."))
    }

    fn open(
        &mut self,
        ns: Result<String, String>,
        start: &BytesStart<'_>,
        at: u64,
    ) -> Result<Element, Violation> {
        if self.root.is_some() {
            return Err(self.fail(at + 1, "There are multiple root elements."));
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(self.fail(at + 1, "The request has too many elements for this server."));
        }
        let ns = match ns {
            Ok(ns) => ns,
            Err(prefix) => {
                return Err(self.fail(at + 1, &format!("'{prefix}' is an undeclared prefix.")));
            }
        };
        let local = start.local_name().as_ref().to_string();
        let mut attrs = Vec::new();
        for (index, attr) in start.attributes().enumerate() {
            if index >= MAX_ATTRIBUTES {
                return Err(self.fail(
                    at + 1,
                    "The element has too many attributes for this server.",
                ));
            }
            let attr = match attr {
                Ok(attr) => attr,
                Err(error) => {
                    return Err(self.fail(at + 1, &format!("Invalid attribute: {error}.")));
                }
            };
            let key = attr.key;
            if key.as_namespace_binding().is_some() {
                continue;
            }
            if attr.value.contains('<') {
                return Err(self.fail(
                    at + 1,
                    "'<', hexadecimal value 0x3C, is an invalid attribute character.",
                ));
            }
            let (resolved, attr_local) = self.reader.resolver().resolve_attribute(key);
            let attr_ns = match resolved {
                ResolveResult::Bound(ns) => ns.0.to_string(),
                ResolveResult::Unbound => String::new(),
                ResolveResult::Unknown(prefix) => {
                    return Err(self.fail(at + 1, &format!("'{prefix}' is an undeclared prefix.")));
                }
            };
            let raw = attr.value.to_string();
            let value = match unescape(&raw) {
                Ok(value) => value,
                Err(message) => return Err(self.fail(at + 1, &message)),
            };
            attrs.push(Attribute {
                ns: attr_ns,
                local: attr_local.as_ref().to_string(),
                value,
            });
        }
        Ok(Element {
            ns,
            local,
            attrs,
            children: Vec::new(),
            text: String::new(),
            position: self.pos(at + 1),
        })
    }

    fn close(&mut self, element: Element, _at: u64) -> Result<(), Violation> {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(element),
            None => self.root = Some(element),
        }
        Ok(())
    }

    fn push_text(&mut self, raw: &str, at: u64) -> Result<(), Violation> {
        match self.stack.last_mut() {
            Some(top) => {
                top.text.push_str(raw);
                Ok(())
            }
            None => {
                if raw.trim().is_empty() {
                    Ok(())
                } else {
                    let skip = raw.len() - raw.trim_start().len();
                    Err(self.fail(at + skip as u64, "Data at the root level is invalid."))
                }
            }
        }
    }

    fn finish(self, at: u64) -> Result<Element, Violation> {
        if let Some(open) = self.stack.last() {
            let names: Vec<&str> = self.stack.iter().map(|e| e.local.as_str()).collect();
            let _ = open;
            return Err(self.fail(
                at,
                &format!(
                    "Unexpected end of file has occurred. The following elements are not closed: {}.",
                    names.join(", ")
                ),
            ));
        }
        match self.root {
            Some(root) => Ok(root),
            None => Err(self.fail(at, "Root element is missing.")),
        }
    }
}

/// Resolves `&name;` (predefined entities and character references).
fn resolve_reference(name: &str) -> Option<String> {
    let resolved = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse::<u32>().ok()?,
            };
            let ch = char::from_u32(code)?;
            if !is_xml_char(ch) {
                return None;
            }
            ch
        }
    };
    Some(resolved.to_string())
}

/// Unescapes an attribute value; rejects raw `&` and unknown entities.
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';') else {
            return Err("An error occurred while parsing EntityName.".into());
        };
        let name = &after[..semi];
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '&') {
            return Err("An error occurred while parsing EntityName.".into());
        }
        match resolve_reference(name) {
            Some(value) => out.push_str(&value),
            None if name.starts_with('#') => {
                return Err(format!("Invalid character reference '&{name};'."));
            }
            None => return Err(format!("Reference to undeclared entity '{name}'.")),
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    // Attribute-value normalization: literal whitespace characters become spaces.
    Ok(out
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(text: &str) -> Violation {
        match parse_document(text.as_bytes()) {
            Ok(tree) => panic!("expected a violation, got {tree:?}"),
            Err(v) => v,
        }
    }

    #[test]
    fn raw_ampersand_points_at_the_entity_name() {
        let v = violation("<a>\n  <b>Jones & Co</b>\n</a>");
        assert_eq!(
            v.position,
            Position {
                line: 2,
                column: 13
            }
        );
        assert!(
            v.message
                .starts_with("An error occurred while parsing EntityName. Line 2, position 13."),
            "{}",
            v.message
        );
    }

    #[test]
    fn entities_and_prefixes_resolve() {
        let tree = parse_document(
            br#"<x:a xmlns:x="urn:x" xmlns="urn:d"><b k="1&amp;2">&lt;&#65;&#x42;<![CDATA[&]]></b></x:a>"#,
        )
        .expect("parses");
        assert_eq!(tree.ns, "urn:x");
        assert_eq!(tree.children[0].ns, "urn:d");
        assert_eq!(tree.children[0].text, "<AB&");
        assert_eq!(tree.children[0].attr("k"), Some("1&2"));
        assert_eq!(
            tree.children[0].position,
            Position {
                line: 1,
                column: 37
            }
        );
    }

    #[test]
    fn characters_xml_forbids_are_violations_at_their_position() {
        for (bad, line, column) in [
            ("<a>x\u{0}</a>", 1, 5),
            ("<a>\n  <b c=\"\u{1}\"/></a>", 2, 9),
            ("<a>\u{1f}</a>", 1, 4),
            ("<a>\u{fffe}</a>", 1, 4),
            ("<a><!-- \u{7} --></a>", 1, 9),
        ] {
            let v = violation(bad);
            assert_eq!(
                v.position,
                Position { line, column },
                "{bad:?}: {}",
                v.message
            );
            assert!(
                v.message.contains("is an invalid character"),
                "{}",
                v.message
            );
        }
        for bad in [
            "<a>&#0;</a>",
            "<a>&#x1;</a>",
            "<a b='&#x1F;'/>",
            "<a>&#xFFFF;</a>",
            "<a>&#xD800;</a>",
        ] {
            let v = violation(bad);
            assert!(
                v.message.contains("Invalid character reference"),
                "{bad}: {}",
                v.message
            );
        }
        let tree = parse_document("<a b='&#x9;'>\t&#xA;&#x10FFFF;</a>".as_bytes()).expect("legal");
        assert_eq!(tree.text, "\t\n\u{10ffff}");
    }

    #[test]
    fn malformed_documents_are_violations() {
        for bad in [
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "text",
            "",
            "<p:a/>",
            "<a>&foo;</a>",
            "<a>&#0;</a>",
            "<a b='x<y'/>",
            "<a b='1' b='2'/>",
            "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
            "<a><?xml version='1.0'?></a>",
        ] {
            violation(bad);
        }
        let many = format!(
            "<a {}/>",
            (0..=MAX_ATTRIBUTES)
                .map(|i| format!("a{i}=\"{i}\""))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let message = violation(&many).message;
        assert!(message.contains("too many attributes"), "{message}");
        let namespaces = format!(
            "<a {}/>",
            (0..200)
                .map(|i| format!("xmlns:p{i}=\"urn:{i}\""))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let message = violation(&namespaces).message;
        assert!(message.contains("namespace declarations"), "{message}");
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(violation(&deep).message.contains("nested too deeply"));
        let v = parse_document(b"<a>\xff</a>").expect_err("invalid utf-8");
        assert!(v.message.contains("Invalid character"));
    }
}
