//! Response headers as part of conformance.
//!
//! Owns three checks, each a *failure* (the server did not conform), never an error:
//! - the media type: a SOAP 1.1 response is `text/xml` (parameters allowed); anything else
//!   (`text/html`, `application/soap+xml`, none) fails, unless the step states its own
//!   `Content-Type` in `expect_headers`;
//! - the `charset` parameter against the document (RFC 7303 §3.2, §8.1): a byte-order mark comes
//!   first, then for `text/xml` the charset parameter is authoritative over the XML declaration;
//!   a charset that contradicts the BOM or the declaration fails with both values;
//! - the step's `expect_headers`: exact value, `{{regex}}`, `{{any}}`, `{{absent}}`.

use std::collections::BTreeMap;

use crate::case::{Escape, HeaderExpectation, HeaderMatcher, Step};
use crate::report::MismatchRecord;
use crate::transport::HttpResponse;

/// The media type SOAP 1.1 responses carry.
pub const SOAP11_MEDIA_TYPE: &str = "text/xml";

/// Every header mismatch of `response` for `step`.
pub fn check(
    step: &Step,
    response: &HttpResponse,
    vars: &BTreeMap<String, String>,
) -> Vec<MismatchRecord> {
    let location = Some(step.pos.to_string());
    let mut mismatches = Vec::new();
    let content_type = header_values(response, "content-type");
    if !step.expect.states_content_type() {
        mismatches.extend(media_type(content_type.as_deref(), location.clone()));
    }
    if let Some(content_type) = content_type.as_deref().filter(|c| is_xml_media_type(c)) {
        mismatches.extend(charset(content_type, &response.body, location));
    }
    for expected in &step.expect.headers {
        mismatches.extend(expected_header(expected, response, vars));
    }
    mismatches
}

/// All values of header `name` (case-insensitive) joined with `, ` as HTTP allows; `None` when
/// the header is not present.
pub fn header_values(response: &HttpResponse, name: &str) -> Option<String> {
    let values: Vec<&str> = response
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

fn mismatch(
    header: &str,
    expected: String,
    actual: Option<String>,
    location: Option<String>,
    message: String,
) -> MismatchRecord {
    let path = format!("HTTP header {header}");
    MismatchRecord {
        kind: "http-header".into(),
        expected_path: path.clone(),
        actual_path: path,
        expected: Some(expected),
        actual,
        location,
        message,
    }
}

/// The media type (lower case, without parameters) of a Content-Type value.
pub fn media_type_of(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn media_type(content_type: Option<&str>, location: Option<String>) -> Option<MismatchRecord> {
    let Some(value) = content_type else {
        return Some(mismatch(
            "Content-Type",
            SOAP11_MEDIA_TYPE.into(),
            None,
            location,
            format!(
                "the response has no Content-Type header; a SOAP 1.1 response is \
                 `{SOAP11_MEDIA_TYPE}`"
            ),
        ));
    };
    let media = media_type_of(value);
    (media != SOAP11_MEDIA_TYPE).then(|| {
        mismatch(
            "Content-Type",
            SOAP11_MEDIA_TYPE.into(),
            Some(value.to_string()),
            location,
            format!(
                "Content-Type is `{value}`: a SOAP 1.1 response is `{SOAP11_MEDIA_TYPE}` (say \
                 otherwise with `expect_headers: {{Content-Type: ...}}`)"
            ),
        )
    })
}

/// Whether RFC 7303's rules apply: `text/xml`, `application/xml` or a `+xml` type.
pub fn is_xml_media_type(content_type: &str) -> bool {
    let media = media_type_of(content_type);
    media == "text/xml" || media == "application/xml" || media.ends_with("+xml")
}

/// The `charset` parameter of a Content-Type value, unquoted.
pub fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_string())
    })
}

/// The encoding a byte-order mark announces.
pub fn bom_encoding(body: &[u8]) -> Option<&'static str> {
    if body.starts_with(&[0xef, 0xbb, 0xbf]) {
        Some("UTF-8")
    } else if body.starts_with(&[0xff, 0xfe]) {
        Some("UTF-16LE")
    } else if body.starts_with(&[0xfe, 0xff]) {
        Some("UTF-16BE")
    } else {
        None
    }
}

/// The `encoding` pseudo-attribute of an XML declaration at the start of `body` (after a UTF-8
/// BOM), read as ASCII.
pub fn declared_encoding(body: &[u8]) -> Option<String> {
    let body = body.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(body);
    let head = body.get(..body.len().min(256))?;
    let head = String::from_utf8_lossy(head);
    let decl = head.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[quote.len_utf8()..];
    Some(value[..value.find(quote)?].to_string())
}

/// Encoding names compare case-insensitively, ignoring `-` and `_` (`UTF-8` = `utf8`).
fn same_encoding(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let (a, b) = (norm(a), norm(b));
    // A UTF-16 BOM is consistent with a plain `UTF-16` label.
    a == b || (a.starts_with("utf16") && b.starts_with("utf16") && (a == "utf16" || b == "utf16"))
}

fn charset(content_type: &str, body: &[u8], location: Option<String>) -> Option<MismatchRecord> {
    let charset = charset_param(content_type)?;
    if let Some(bom) = bom_encoding(body) {
        return (!same_encoding(&charset, bom)).then(|| {
            mismatch(
                "Content-Type",
                format!("charset={bom} (the byte-order mark)"),
                Some(format!("charset={charset}")),
                location,
                format!(
                    "the Content-Type charset `{charset}` contradicts the document's byte-order \
                     mark ({bom}); the byte-order mark wins (RFC 7303)"
                ),
            )
        });
    }
    let declared = declared_encoding(body)?;
    (!same_encoding(&charset, &declared)).then(|| {
        mismatch(
            "Content-Type",
            format!("charset={declared} (the XML declaration)"),
            Some(format!("charset={charset}")),
            location,
            format!(
                "the Content-Type charset `{charset}` contradicts the XML declaration's \
                 encoding `{declared}`; the charset parameter is authoritative (RFC 7303), so \
                 the document is mislabelled"
            ),
        )
    })
}

fn expected_header(
    expected: &HeaderExpectation,
    response: &HttpResponse,
    vars: &BTreeMap<String, String>,
) -> Option<MismatchRecord> {
    let actual = header_values(response, &expected.name);
    let name = &expected.name;
    let location = Some(expected.pos.to_string());
    let want = expected.matcher.to_string();
    let fail = |actual: Option<String>, message: String| {
        Some(mismatch(
            name,
            want.clone(),
            actual,
            location.clone(),
            message,
        ))
    };
    match (&expected.matcher, actual) {
        (HeaderMatcher::Absent, None) => None,
        (HeaderMatcher::Absent, Some(value)) => fail(
            Some(value.clone()),
            format!("header {name} must be absent, but the response has `{value}`"),
        ),
        (_, None) => fail(None, format!("header {name} is missing; expected {want}")),
        (HeaderMatcher::Any, Some(_)) => None,
        (HeaderMatcher::Regex(re), Some(value)) => (!re.regex.is_match(&value)).then(|| {
            mismatch(
                name,
                want.clone(),
                Some(value.clone()),
                location.clone(),
                format!("header {name} is `{value}`; expected {want}"),
            )
        }),
        (HeaderMatcher::Exact(template), Some(value)) => {
            let lookup = |n: &str| vars.get(n).cloned();
            let wanted = match template.render(&lookup, Escape::None) {
                Ok(text) => text,
                Err(missing) => {
                    return fail(
                        Some(value),
                        format!("header {name}: variable `{}` is not defined", missing.0),
                    );
                }
            };
            (value != wanted.trim()).then(|| {
                mismatch(
                    name,
                    wanted.trim().to_string(),
                    Some(value.clone()),
                    location.clone(),
                    format!("header {name} is `{value}`; expected `{}`", wanted.trim()),
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_and_declaration_are_read() {
        assert_eq!(
            charset_param("text/xml; charset=\"UTF-8\"").as_deref(),
            Some("UTF-8")
        );
        assert_eq!(charset_param("text/xml"), None);
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding='iso-8859-1'?><a/>").as_deref(),
            Some("iso-8859-1")
        );
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><a/>"), None);
        assert_eq!(declared_encoding(b"<a/>"), None);
        assert_eq!(bom_encoding(b"\xef\xbb\xbf<a/>"), Some("UTF-8"));
        assert_eq!(media_type_of(" Text/XML ; charset=utf-8"), "text/xml");
        assert!(is_xml_media_type("application/soap+xml; charset=utf-8"));
        assert!(!is_xml_media_type("text/html; charset=utf-8"));
        assert!(same_encoding("utf8", "UTF-8"));
        assert!(!same_encoding("utf-8", "iso-8859-1"));
    }

    #[test]
    fn a_contradicting_charset_names_both_values() {
        let m = charset(
            "text/xml; charset=iso-8859-1",
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a/>",
            None,
        )
        .expect("mismatch");
        assert!(m.message.contains("iso-8859-1") && m.message.contains("utf-8"));
        assert!(
            charset(
                "text/xml; charset=utf-8",
                b"<?xml version='1.0' encoding='UTF-8'?>",
                None
            )
            .is_none()
        );
        let bom = charset("text/xml; charset=utf-16", b"\xef\xbb\xbf<a/>", None).expect("bom");
        assert!(bom.message.contains("byte-order mark"));
    }
}
