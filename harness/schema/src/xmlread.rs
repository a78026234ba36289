//! The XML reader both the schema compiler and [`crate::Schema::validate_document`] use:
//! quick-xml with namespace resolution, turned into start/text/end events with 1-based
//! `line:col` positions, entity and character references resolved, DTDs refused.

use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::model::XMLNS_NS;
use crate::{Attribute, InputError};

/// One event of a document.
pub(crate) enum Ev<'a> {
    Start {
        ns: &'a str,
        local: &'a str,
        attrs: &'a [Attribute<'a>],
        line: u32,
        col: u32,
    },
    Text(&'a str),
    End,
}

/// Converts byte offsets to 1-based line and column (in characters), moving forward in
/// linear time (minified documents are one long line).
pub(crate) struct LineIndex<'a> {
    input: &'a str,
    offset: usize,
    line: u32,
    col: u32,
}

impl<'a> LineIndex<'a> {
    pub fn new(input: &'a str) -> Self {
        LineIndex {
            input,
            offset: 0,
            line: 1,
            col: 1,
        }
    }

    pub fn at(&mut self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.input.len());
        if offset < self.offset {
            *self = LineIndex::new(self.input);
        }
        let bytes = &self.input.as_bytes()[self.offset..offset];
        let from = match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count() as u32;
                self.col = 1;
                self.offset + last + 1
            }
            None => self.offset,
        };
        // Columns count characters: UTF-8 continuation bytes do not start one.
        let tail = &self.input.as_bytes()[from..offset];
        self.col += tail.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u32;
        self.offset = offset;
        (self.line, self.col)
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

fn resolved<'r>(r: &ResolveResult<'r>) -> Result<&'r str, ()> {
    match r {
        ResolveResult::Bound(ns) => Ok(ns.0),
        ResolveResult::Unbound => Ok(""),
        ResolveResult::Unknown(_) => Err(()),
    }
}

/// Reads `input`, calling `sink` for each event. Text is delivered in pieces (a reference or a
/// CDATA section is its own piece).
pub(crate) fn read(input: &str, mut sink: impl FnMut(Ev<'_>)) -> Result<(), InputError> {
    let mut reader = NsReader::from_str(input);
    {
        let c = reader.config_mut();
        c.check_end_names = true;
        c.check_comments = true;
        c.expand_empty_elements = false;
        c.trim_text(false);
    }
    let mut lines = LineIndex::new(input);
    let mut depth = 0usize;
    let mut seen_root = false;
    let err = |lines: &mut LineIndex<'_>, at: usize, message: String| {
        let (line, col) = lines.at(at);
        InputError { line, col, message }
    };
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(before);
                return Err(err(&mut lines, at, format!("not well-formed XML: {e}")));
            }
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if depth == 0 && seen_root {
                    return Err(err(&mut lines, before, "a second root element".into()));
                }
                seen_root = true;
                let empty = matches!(event, Event::Empty(_));
                let resolver = reader.resolver();
                let (res, local) = resolver.resolve_element(e.name());
                let Ok(ns) = resolved(&res) else {
                    let name = e.name().as_ref().to_string();
                    return Err(err(
                        &mut lines,
                        before,
                        format!("the prefix of `{name}` is not declared"),
                    ));
                };
                let local: &str = local.into_inner();
                let mut owned: Vec<(&str, &str, std::borrow::Cow<'_, str>)> = Vec::new();
                for a in e.attributes() {
                    let a = match a {
                        Ok(a) => a,
                        Err(x) => {
                            return Err(err(
                                &mut lines,
                                before,
                                format!("not well-formed XML: {x}"),
                            ));
                        }
                    };
                    let value = match a.normalized_value(XmlVersion::Implicit1_0) {
                        Ok(v) => v,
                        Err(x) => {
                            return Err(err(
                                &mut lines,
                                before,
                                format!("not well-formed XML: {x}"),
                            ));
                        }
                    };
                    let key: &str = a.key.0;
                    if key == "xmlns" {
                        owned.push((XMLNS_NS, "xmlns", value));
                    } else if let Some(p) = key.strip_prefix("xmlns:") {
                        owned.push((XMLNS_NS, p, value));
                    } else {
                        let (res, l) = resolver.resolve_attribute(a.key);
                        let Ok(ans) = resolved(&res) else {
                            return Err(err(
                                &mut lines,
                                before,
                                format!("the prefix of attribute `{key}` is not declared"),
                            ));
                        };
                        let l: &str = l.into_inner();
                        if owned.iter().any(|(n, x, _)| *n == ans && *x == l) {
                            return Err(err(
                                &mut lines,
                                before,
                                format!("attribute `{l}` appears twice"),
                            ));
                        }
                        owned.push((ans, l, value));
                    }
                }
                let attrs: Vec<Attribute<'_>> = owned
                    .iter()
                    .map(|(ns, local, value)| Attribute { ns, local, value })
                    .collect();
                let (line, col) = lines.at(before);
                sink(Ev::Start {
                    ns,
                    local,
                    attrs: &attrs,
                    line,
                    col,
                });
                if empty {
                    sink(Ev::End);
                } else {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                sink(Ev::End);
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                if depth == 0 {
                    if !content.trim().is_empty() {
                        return Err(err(
                            &mut lines,
                            before,
                            "text outside the root element".into(),
                        ));
                    }
                } else {
                    sink(Ev::Text(&content));
                }
            }
            Event::CData(c) => {
                if depth == 0 {
                    return Err(err(
                        &mut lines,
                        before,
                        "CDATA outside the root element".into(),
                    ));
                }
                let content = c.xml10_content();
                sink(Ev::Text(&content));
            }
            Event::GeneralRef(r) => {
                let name: &str = &r;
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => predefined(name),
                    Err(_) => None,
                };
                let Some(c) = c else {
                    return Err(err(
                        &mut lines,
                        before,
                        format!("unknown or invalid reference `&{name};`"),
                    ));
                };
                if depth == 0 {
                    return Err(err(
                        &mut lines,
                        before,
                        "text outside the root element".into(),
                    ));
                }
                let mut buf = [0u8; 4];
                sink(Ev::Text(c.encode_utf8(&mut buf)));
            }
            Event::DocType(_) => {
                return Err(err(
                    &mut lines,
                    before,
                    "DOCTYPE declarations are refused".into(),
                ));
            }
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
            Event::Eof => break,
        }
    }
    if depth > 0 {
        return Err(err(
            &mut lines,
            input.len(),
            "unexpected end of input: an element is not closed".into(),
        ));
    }
    if !seen_root {
        return Err(err(&mut lines, input.len(), "no root element".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        let text = "ab\ncdé\n\nxyz";
        let mut idx = LineIndex::new(text);
        assert_eq!(idx.at(0), (1, 1));
        assert_eq!(idx.at(1), (1, 2));
        assert_eq!(idx.at(3), (2, 1));
        // 'é' is two bytes, one column.
        assert_eq!(idx.at(text.find("\n\n").unwrap()), (2, 4));
        assert_eq!(idx.at(text.len() - 1), (4, 3));
        // Going back restarts from the beginning.
        assert_eq!(idx.at(4), (2, 2));
    }
}
