//! Character encodings: bytes -> UTF-8 text, honouring the byte order mark and the XML
//! declaration's `encoding`.
//!
//! Owns the decision which encoding a document is in and the decoding itself: UTF-8 (with or
//! without BOM), UTF-16 LE/BE (with a BOM, or detected from `<?` without one), ISO-8859-1,
//! windows-1252 and US-ASCII. Bytes that contradict the declaration are an error, as .NET's
//! XmlReader treats them (UTF-8 bytes declared `utf-16`, a UTF-16 BOM declared `utf-8`, a UTF-8
//! BOM declared `iso-8859-1`). The returned text starts after the BOM.

use std::borrow::Cow;

use super::canon::LineIndex;
use super::{TextPos, XmlError, XmlErrorKind};

/// The encodings the harness decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    Utf8,
    Utf16Le,
    Utf16Be,
    Latin1,
    Windows1252,
    Ascii,
}

fn err(pos: TextPos, message: String) -> XmlError {
    XmlError {
        pos,
        kind: XmlErrorKind::Encoding,
        message,
    }
}

const START: TextPos = TextPos { line: 1, col: 1 };

/// The `encoding` value of an XML declaration at the start of `text` (already ASCII-level
/// text), if there is one. Only locates the value; the declaration's grammar is checked later.
fn declared_encoding(text: &str) -> Option<&str> {
    let decl = text.strip_prefix("<?xml")?;
    if !decl.starts_with([' ', '\t', '\r', '\n']) {
        return None;
    }
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start_matches([' ', '\t', '\r', '\n']);
    let rest = rest
        .strip_prefix('=')?
        .trim_start_matches([' ', '\t', '\r', '\n']);
    let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let value = &rest[1..];
    Some(&value[..value.find(quote)?])
}

fn by_name(name: &str) -> Option<Enc> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "utf-8" | "utf8" => Enc::Utf8,
        "utf-16" | "utf16" => Enc::Utf16Le, // byte order decided by the BOM
        "utf-16le" => Enc::Utf16Le,
        "utf-16be" => Enc::Utf16Be,
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1" => Enc::Latin1,
        "windows-1252" | "cp1252" => Enc::Windows1252,
        "us-ascii" | "ascii" => Enc::Ascii,
        _ => return None,
    })
}

/// EncName: a letter, then letters, digits, `.`, `_`, `-`.
fn is_enc_name(name: &str) -> bool {
    let mut cs = name.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic())
        && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn is_utf16_name(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "utf-16" | "utf16" | "utf-16le" | "utf-16be"
    )
}

/// Decodes a document to UTF-8 text (without its BOM).
pub(crate) fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let text = utf8(rest)?;
        if let Some(name) = declared_encoding(text) {
            if by_name(name) != Some(Enc::Utf8) {
                return Err(err(
                    START,
                    format!(
                        "the document starts with a UTF-8 byte order mark but its XML declaration says encoding=\"{name}\""
                    ),
                ));
            }
        }
        return Ok(Cow::Borrowed(text));
    }
    let utf16 = if bytes.starts_with(&[0xFF, 0xFE]) {
        Some((Enc::Utf16Le, &bytes[2..], true))
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Some((Enc::Utf16Be, &bytes[2..], true))
    } else if bytes.starts_with(&[b'<', 0, b'?', 0]) {
        Some((Enc::Utf16Le, bytes, false))
    } else if bytes.starts_with(&[0, b'<', 0, b'?']) {
        Some((Enc::Utf16Be, bytes, false))
    } else {
        None
    };
    if let Some((enc, body, bom)) = utf16 {
        let text = utf16_decode(body, enc == Enc::Utf16Le)?;
        match declared_encoding(&text) {
            Some(name) if !is_utf16_name(name) => {
                let how = if bom {
                    "a UTF-16 byte order mark"
                } else {
                    "UTF-16 bytes"
                };
                return Err(err(
                    START,
                    format!(
                        "the document is in UTF-16 ({how}) but its XML declaration says encoding=\"{name}\""
                    ),
                ));
            }
            None if !bom => {
                return Err(err(
                    START,
                    "UTF-16 text without a byte order mark must declare encoding=\"UTF-16\"".into(),
                ));
            }
            _ => {}
        }
        return Ok(Cow::Owned(text));
    }
    // ASCII-compatible: the declaration (if any) names the encoding.
    let head_len = bytes.len().min(512);
    let head = String::from_utf8_lossy(&bytes[..head_len]);
    let Some(name) = declared_encoding(&head) else {
        return utf8(bytes).map(Cow::Borrowed);
    };
    match by_name(name) {
        Some(Enc::Utf8) => utf8(bytes).map(Cow::Borrowed),
        Some(Enc::Utf16Le | Enc::Utf16Be) => Err(err(
            START,
            format!(
                "the XML declaration says encoding=\"{name}\" but the bytes are not UTF-16 (no byte order mark; they read as ASCII/UTF-8)"
            ),
        )),
        Some(Enc::Latin1) => Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())),
        Some(Enc::Windows1252) => windows1252(bytes),
        Some(Enc::Ascii) => match bytes.iter().position(|&b| b >= 0x80) {
            None => utf8(bytes).map(Cow::Borrowed),
            Some(at) => Err(err(
                LineIndex::new(bytes).pos(at),
                format!(
                    "byte 0x{:02X} is not US-ASCII, which the XML declaration says the document is in",
                    bytes[at]
                ),
            )),
        },
        // Not even an encoding name: the declaration's grammar check says so, with its place.
        None if !is_enc_name(name) => utf8(bytes).map(Cow::Borrowed),
        None => Err(err(
            START,
            format!(
                "unsupported encoding \"{name}\" in the XML declaration (supported: UTF-8, UTF-16, ISO-8859-1, windows-1252, US-ASCII)"
            ),
        )),
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, XmlError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let pos = LineIndex::new(bytes).pos(e.valid_up_to());
        err(
            pos,
            format!(
                "invalid UTF-8 (byte 0x{:02X} at byte offset {})",
                bytes.get(e.valid_up_to()).copied().unwrap_or_default(),
                e.valid_up_to()
            ),
        )
    })
}

fn utf16_decode(body: &[u8], little: bool) -> Result<String, XmlError> {
    if body.len() % 2 != 0 {
        return Err(err(
            START,
            "UTF-16 input has an odd number of bytes (truncated)".into(),
        ));
    }
    let units = body.chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    let mut out = String::with_capacity(body.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => out.push(c),
            Err(e) => {
                let pos = LineIndex::new(out.as_bytes()).pos(out.len());
                return Err(err(
                    pos,
                    format!(
                        "invalid UTF-16: unpaired surrogate 0x{:04X}",
                        e.unpaired_surrogate()
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// windows-1252 bytes 0x80..=0x9F (0 = undefined in windows-1252).
const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
    0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
];

fn windows1252(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    let mut out = String::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        let c = if (0x80..0xA0).contains(&b) {
            let u = CP1252_HIGH[usize::from(b - 0x80)];
            if u == 0 {
                return Err(err(
                    LineIndex::new(bytes).pos(i),
                    format!(
                        "byte 0x{b:02X} is undefined in windows-1252, which the XML declaration says the document is in"
                    ),
                ));
            }
            char::from_u32(u32::from(u)).unwrap_or('\u{FFFD}')
        } else {
            char::from(b)
        };
        out.push(c);
    }
    Ok(Cow::Owned(out))
}
