//! SOAP envelope and header semantics over the parsed element tree (`xml_tree.rs`): the
//! envelope shape, the SOAP headers the server acts on, and the `ExchangeVersionType` order.
//!
//! What the envelope check accepts: a SOAP 1.1 `Envelope` with any prefix (`s:`, `soap:`,
//! `SOAP-ENV:`, ...) or a default namespace; an optional `Header` (empty or not) before a
//! `Body` holding exactly one element; EWS elements with any prefix (`m:`, `t:`, `ns1:`, `ns2:`)
//! or none. Header entries and the body element are validated against the schema by
//! `schema.rs`; this module reads the values the server acts on (`RequestServerVersion`,
//! `MailboxCulture`, `ExchangeImpersonation`) and ignores the other entries.

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

/// Every value of `t:ExchangeVersionType`, oldest first: the one table of versions, read from
/// types.xsd by the schema engine (the harness uses it too).
pub fn exchange_versions() -> &'static [&'static str] {
    ews_schema::Schema::ews().exchange_versions()
}

/// Rank of a version in [`exchange_versions`] (higher is newer).
pub fn version_rank(version: &str) -> Option<usize> {
    exchange_versions().iter().position(|v| *v == version)
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

/// Reads the header entries the server acts on. Their validity is the schema's business
/// (`schema::validate` runs before any of them is used); this only extracts values.
fn parse_headers(header: &Element) -> RequestHeaders {
    let mut headers = RequestHeaders::default();
    for entry in header.children.iter().filter(|e| e.ns == TYPES_NS) {
        match entry.local.as_str() {
            "RequestServerVersion" => headers.version = entry.attr("Version").map(str::to_string),
            "MailboxCulture" => headers.culture = Some(entry.text.trim().to_string()),
            "ExchangeImpersonation" => headers.impersonation = parse_impersonation(entry),
            _ => {}
        }
    }
    headers
}

fn parse_impersonation(entry: &Element) -> Option<ConnectingSid> {
    let sid = entry
        .children
        .iter()
        .find(|c| c.is(TYPES_NS, "ConnectingSID"))?;
    let choice = sid.children.first()?;
    let make: fn(String) -> ConnectingSid = match (choice.ns.as_str(), choice.local.as_str()) {
        (TYPES_NS, "PrincipalName") => ConnectingSid::PrincipalName,
        (TYPES_NS, "SID") => ConnectingSid::Sid,
        (TYPES_NS, "PrimarySmtpAddress") => ConnectingSid::PrimarySmtpAddress,
        (TYPES_NS, "SmtpAddress") => ConnectingSid::SmtpAddress,
        _ => return None,
    };
    Some(make(choice.text.trim().to_string()))
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
            no_text(child)?;
            headers = parse_headers(child);
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
    fn versions_are_the_schema_enumeration_in_order() {
        let versions = exchange_versions();
        assert_eq!(versions.len(), 21);
        assert_eq!(versions.first(), Some(&"Exchange2007"));
        assert_eq!(versions.last(), Some(&"V2018_01_08"));
        assert!(version_rank("Exchange2013_SP1") > version_rank("Exchange2013"));
        assert!(version_rank("Exchange2012") < version_rank("Exchange2013"));
        assert_eq!(version_rank("exchange2013"), None);
    }
}
