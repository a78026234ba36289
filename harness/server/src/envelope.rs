//! SOAP envelope and header semantics over the parsed element tree (`xml_tree.rs`): the
//! envelope shape, the SOAP headers the server acts on, and the `ExchangeVersionType` order.
//!
//! What the envelope check accepts: a SOAP 1.1 `Envelope` with any prefix (`s:`, `soap:`,
//! `SOAP-ENV:`, ...) or a default namespace; an optional `Header` (empty or not) before a
//! `Body` holding exactly one element; EWS elements with any prefix (`m:`, `t:`, `ns1:`, `ns2:`)
//! or none. Known header entries (`RequestServerVersion`, `MailboxCulture`,
//! `ExchangeImpersonation`) are checked against the schema; other header entries (for example
//! `TimeZoneContext`, `DateTimePrecision`) are accepted and ignored.

use super::render::{SOAP11_NS, TYPES_NS};
use super::xml_tree::{Element, Violation};

/// `ExchangeImpersonation/ConnectingSID`: how the caller names the mailbox to act as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectingSid {
    PrincipalName(String),
    Sid(String),
    PrimarySmtpAddress(String),
    SmtpAddress(String),
}

impl ConnectingSid {
    pub fn value(&self) -> &str {
        match self {
            ConnectingSid::PrincipalName(v)
            | ConnectingSid::Sid(v)
            | ConnectingSid::PrimarySmtpAddress(v)
            | ConnectingSid::SmtpAddress(v) => v,
        }
    }
}

/// The SOAP headers the server acts on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestHeaders {
    /// `RequestServerVersion/@Version`; `None` when the header is absent.
    pub version: Option<String>,
    pub culture: Option<String>,
    pub impersonation: Option<ConnectingSid>,
}

/// A checked envelope: headers and the single body element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub headers: RequestHeaders,
    pub body: Element,
}

/// Every value of `ExchangeVersionType`, oldest first.
pub const EXCHANGE_VERSIONS: &[&str] = &[
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2009",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2012",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2016",
    "V2015_10_05",
    "V2016_01_06",
    "V2016_04_13",
    "V2016_07_13",
    "V2016_10_10",
    "V2017_01_07",
    "V2017_04_14",
    "V2017_07_11",
    "V2017_10_09",
    "V2018_01_08",
];

/// Rank of a version in [`EXCHANGE_VERSIONS`] (higher is newer).
pub fn version_rank(version: &str) -> Option<usize> {
    EXCHANGE_VERSIONS.iter().position(|v| *v == version)
}

fn no_text(element: &Element) -> Result<(), Violation> {
    if element.text.trim().is_empty() {
        Ok(())
    } else {
        Err(Violation::at(
            element.position,
            format!(
                "The element '{}' cannot contain text. Content model is element-only.",
                element.qualified()
            ),
        ))
    }
}

/// xs:language: `[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*`.
pub fn is_language_tag(value: &str) -> bool {
    let mut parts = value.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn parse_headers(header: &Element) -> Result<RequestHeaders, Violation> {
    no_text(header)?;
    let mut headers = RequestHeaders::default();
    for entry in &header.children {
        if entry.ns != TYPES_NS {
            continue;
        }
        match entry.local.as_str() {
            "RequestServerVersion" => {
                let Some(version) = entry.attr("Version") else {
                    return Err(Violation::at(
                        entry.position,
                        "The required attribute 'Version' is missing.",
                    ));
                };
                if version_rank(version).is_none() {
                    return Err(Violation::at(
                        entry.position,
                        format!(
                            "The 'Version' attribute is invalid - The value '{version}' is invalid according to its datatype '{TYPES_NS}:ExchangeVersionType' - The Enumeration constraint failed."
                        ),
                    ));
                }
                headers.version = Some(version.to_string());
            }
            "MailboxCulture" => {
                let culture = entry.text.trim();
                if !entry.children.is_empty() || !is_language_tag(culture) {
                    return Err(Violation::at(
                        entry.position,
                        format!(
                            "The '{TYPES_NS}:MailboxCulture' element is invalid - The value '{culture}' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:language' - The Pattern constraint failed."
                        ),
                    ));
                }
                headers.culture = Some(culture.to_string());
            }
            "ExchangeImpersonation" => {
                headers.impersonation = Some(parse_impersonation(entry)?);
            }
            _ => {}
        }
    }
    Ok(headers)
}

fn parse_impersonation(entry: &Element) -> Result<ConnectingSid, Violation> {
    no_text(entry)?;
    let expected =
        format!("List of possible elements expected: 'ConnectingSID' in namespace '{TYPES_NS}'.");
    let sid = match entry.children.as_slice() {
        [only] if only.is(TYPES_NS, "ConnectingSID") => only,
        [] => {
            return Err(Violation::at(
                entry.position,
                format!(
                    "The element 'ExchangeImpersonation' in namespace '{TYPES_NS}' has incomplete content. {expected}"
                ),
            ));
        }
        [first, ..] => {
            let bad = if first.is(TYPES_NS, "ConnectingSID") {
                &entry.children[1]
            } else {
                first
            };
            return Err(Violation::at(
                bad.position,
                format!(
                    "The element 'ExchangeImpersonation' in namespace '{TYPES_NS}' has invalid child element '{}' in namespace '{}'. {expected}",
                    bad.local, bad.ns
                ),
            ));
        }
    };
    no_text(sid)?;
    let choices = "List of possible elements expected: 'PrincipalName, SID, PrimarySmtpAddress, SmtpAddress' in namespace 'http://schemas.microsoft.com/exchange/services/2006/types'.";
    let [choice] = sid.children.as_slice() else {
        let position = sid
            .children
            .get(1)
            .map(|c| c.position)
            .unwrap_or(sid.position);
        return Err(Violation::at(
            position,
            format!(
                "The element 'ConnectingSID' in namespace '{TYPES_NS}' must have exactly one child. {choices}"
            ),
        ));
    };
    let value = choice.text.clone();
    let make: fn(String) -> ConnectingSid = match (choice.ns.as_str(), choice.local.as_str()) {
        (TYPES_NS, "PrincipalName") => ConnectingSid::PrincipalName,
        (TYPES_NS, "SID") => ConnectingSid::Sid,
        (TYPES_NS, "PrimarySmtpAddress") => ConnectingSid::PrimarySmtpAddress,
        (TYPES_NS, "SmtpAddress") => ConnectingSid::SmtpAddress,
        _ => {
            return Err(Violation::at(
                choice.position,
                format!(
                    "The element 'ConnectingSID' in namespace '{TYPES_NS}' has invalid child element '{}' in namespace '{}'. {choices}",
                    choice.local, choice.ns
                ),
            ));
        }
    };
    if value.is_empty() || !choice.children.is_empty() {
        return Err(Violation::at(
            choice.position,
            format!(
                "The '{}' element is invalid - The value '{value}' is invalid according to its datatype '{TYPES_NS}:NonEmptyStringType' - The actual length is less than the MinLength value.",
                choice.qualified()
            ),
        ));
    }
    Ok(make(value.trim().to_string()))
}

/// Checks the SOAP envelope around the request and returns its headers and body element.
pub fn parse_envelope(root: Element) -> Result<Envelope, Violation> {
    if !root.is(SOAP11_NS, "Envelope") {
        return Err(Violation::at(
            root.position,
            format!(
                "The root element '{}' is not a SOAP 1.1 Envelope in namespace '{SOAP11_NS}'.",
                root.qualified()
            ),
        ));
    }
    no_text(&root)?;
    let mut headers = RequestHeaders::default();
    let mut body = None;
    for (index, child) in root.children.iter().enumerate() {
        let header_allowed = index == 0 && body.is_none();
        if child.is(SOAP11_NS, "Header") && header_allowed {
            headers = parse_headers(child)?;
        } else if child.is(SOAP11_NS, "Body") && body.is_none() {
            body = Some(child);
        } else {
            return Err(Violation::at(
                child.position,
                format!(
                    "The element 'Envelope' in namespace '{SOAP11_NS}' has invalid child element '{}' in namespace '{}'.",
                    child.local, child.ns
                ),
            ));
        }
    }
    let Some(body) = body else {
        return Err(Violation::at(
            root.position,
            format!(
                "The element 'Envelope' in namespace '{SOAP11_NS}' has incomplete content. List of possible elements expected: 'Body' in namespace '{SOAP11_NS}'."
            ),
        ));
    };
    no_text(body)?;
    match body.children.as_slice() {
        [only] => Ok(Envelope {
            headers,
            body: only.clone(),
        }),
        [] => Err(Violation::at(
            body.position,
            "The element 'Body' has incomplete content: it must hold the operation element.",
        )),
        [_, second, ..] => Err(Violation::at(
            second.position,
            format!(
                "The element 'Body' has invalid child element '{}': it must hold exactly one operation element.",
                second.local
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        assert!(is_language_tag("en-US"));
        assert!(is_language_tag("de-DE"));
        assert!(!is_language_tag("en_US"));
        assert!(!is_language_tag(""));
    }
}
