//! Autodiscover: the two endpoints a client uses to find the EWS URL from an e-mail address.
//!
//! - **POX** (`POST /autodiscover/autodiscover.xml`, Outlook's plain-XML protocol, [`pox`]): a
//!   `Request` with `EMailAddress` and `AcceptableResponseSchema` answered with the `User`
//!   (DisplayName, LegacyDN, AutoDiscoverSMTPAddress, DeploymentId) and the `Account` with its
//!   `EXCH` and `EXPR` protocol sections (the EWS URL in `ASUrl`, `EwsUrl`, `OOFUrl`), or an
//!   `Error` (500: unknown address; 600: invalid request; 601: response schema not offered).
//! - **SOAP** (`POST /autodiscover/autodiscover.svc`, SOAP 1.1 with WS-Addressing, [`soap`]):
//!   `GetUserSettings` and `GetDomainSettings`.
//!
//! Paths compare case-insensitively, as IIS does (`/Autodiscover/Autodiscover.xml` is the
//! spelling most clients send). Both endpoints take the same HTTP Basic credentials as EWS.
//! The EWS URL announced is the one this server answers on: the request's `Host` header with
//! `https` when the server serves TLS (`http` otherwise), and the EWS path
//! ([`crate::http::EWS_PATH`]); without a `Host` header, the listening address.
//!
//! What every user gets and the documentation leaves open: the `LegacyDN` is
//! `/o=ews-conformance/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=<user
//! name>`, the `DeploymentId` the mailbox GUID ([`crate::ids::mailbox_guid`]), and
//! `EwsSupportedSchemas` every version up to the announced one.
//!
//! Responses are written by the small element writer [`El`] (the EWS renderer knows only the
//! EWS namespaces). Quirk `autodiscover-wrong-ews-url` makes every EWS URL point at
//! `/EWS/Wrong.asmx`.

pub mod pox;
pub mod soap;

use crate::dispatch::{Reply, ServerState};
use crate::render::{escape_attr, escape_text};
use crate::{Quirk, UserConfig};

/// The POX endpoint's path (compared case-insensitively).
pub const POX_PATH: &str = "/autodiscover/autodiscover.xml";
/// The SOAP endpoint's path (compared case-insensitively).
pub const SOAP_PATH: &str = "/autodiscover/autodiscover.svc";
/// Where the `autodiscover-wrong-ews-url` quirk points clients.
pub const WRONG_EWS_PATH: &str = "/EWS/Wrong.asmx";
/// The organization part of every LegacyDN.
const ORGANIZATION_DN: &str =
    "/o=ews-conformance/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)";

/// Which Autodiscover endpoint a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Pox,
    Soap,
}

impl Endpoint {
    /// The endpoint at `path`, if it is one (case-insensitive).
    pub fn at(path: &str) -> Option<Endpoint> {
        if path.eq_ignore_ascii_case(POX_PATH) {
            Some(Endpoint::Pox)
        } else if path.eq_ignore_ascii_case(SOAP_PATH) {
            Some(Endpoint::Soap)
        } else {
            None
        }
    }
}

/// Where a request was sent (any authenticated user may discover any address, as in Exchange).
#[derive(Debug, Clone)]
pub struct Origin {
    /// `http://host:port` or `https://host:port`, no trailing slash.
    pub base_url: String,
}

impl Origin {
    /// `scheme://host` from the `Host` header (the listening address without one).
    pub fn new(state: &ServerState, host: Option<&str>) -> Origin {
        let scheme = if state.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let host = host
            .map(str::trim)
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
            .map_or_else(|| state.config.listen.to_string(), str::to_string);
        Origin {
            base_url: format!("{scheme}://{host}"),
        }
    }

    /// The EWS URL clients are told to use.
    pub fn ews_url(&self, state: &ServerState) -> String {
        let path = if state.quirks.has(Quirk::AutodiscoverWrongEwsUrl) {
            WRONG_EWS_PATH
        } else {
            crate::http::EWS_PATH
        };
        format!("{}{path}", self.base_url)
    }
}

/// Answers one Autodiscover request.
pub fn handle(state: &ServerState, endpoint: Endpoint, origin: &Origin, body: &[u8]) -> Reply {
    match endpoint {
        Endpoint::Pox => pox::handle(state, origin, body),
        Endpoint::Soap => soap::handle(state, origin, body),
    }
}

/// The LegacyDN (X.500 address) of a user.
pub fn legacy_dn(user: &UserConfig) -> String {
    format!("{ORGANIZATION_DN}/cn=Recipients/cn={}", user.username)
}

/// The LegacyDN of the server's mailbox database.
pub fn mailbox_dn() -> String {
    format!("{ORGANIZATION_DN}/cn=Configuration/cn=Servers/cn=EWS-CONFORMANCE/cn=Mailbox Database")
}

/// The DeploymentId of the user at `index`.
pub fn deployment_id(index: usize) -> String {
    crate::ids::mailbox_guid(u16::try_from(index).unwrap_or(u16::MAX))
}

/// The host part of a base URL (`http://127.0.0.1:8080` → `127.0.0.1:8080`).
pub fn host_of(base_url: &str) -> &str {
    base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest)
}

/// The user whose SMTP address is `address` (case-insensitive, `SMTP:` allowed).
pub fn user_by_address<'a>(
    state: &'a ServerState,
    address: &str,
) -> Option<(usize, &'a UserConfig)> {
    let trimmed = address.trim();
    let bare = match trimmed.get(..5) {
        Some(scheme) if scheme.eq_ignore_ascii_case("smtp:") => &trimmed[5..],
        _ => trimmed,
    };
    let index = state.directory.user_by_smtp(bare)?;
    state.directory.users.get(index).map(|u| (index, u))
}

/// One element of an Autodiscover response: a name (with its prefix, if any), attributes
/// (namespace declarations included, written as given), text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: Option<String>,
    children: Vec<El>,
}

impl El {
    pub fn new(name: &str) -> El {
        El {
            name: name.to_string(),
            ..El::default()
        }
    }

    /// `<name>text</name>`.
    pub fn text_el(name: &str, text: impl Into<String>) -> El {
        El::new(name).text(text)
    }

    pub fn attr(mut self, name: &str, value: impl Into<String>) -> El {
        self.attrs.push((name.to_string(), value.into()));
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> El {
        self.text = Some(text.into());
        self
    }

    pub fn child(mut self, child: El) -> El {
        self.children.push(child);
        self
    }

    pub fn children(mut self, children: impl IntoIterator<Item = El>) -> El {
        self.children.extend(children);
        self
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attrs {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape_attr(value, out);
            out.push('"');
        }
        if self.text.is_none() && self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        if let Some(text) = &self.text {
            escape_text(text, out);
        }
        for child in &self.children {
            child.write(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// The whole document: XML declaration and this element.
    pub fn document(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        self.write(&mut out);
        out
    }
}

/// A `text/xml` reply.
pub fn xml_reply(state: &ServerState, status: u16, document: &El) -> Reply {
    Reply {
        status,
        content_type: state.quirks.content_type("text/xml; charset=utf-8"),
        body: document.document(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_found_case_insensitively() {
        assert_eq!(
            Endpoint::at("/Autodiscover/Autodiscover.xml"),
            Some(Endpoint::Pox)
        );
        assert_eq!(
            Endpoint::at("/AUTODISCOVER/autodiscover.SVC"),
            Some(Endpoint::Soap)
        );
        assert_eq!(Endpoint::at("/autodiscover/autodiscover.json"), None);
        assert_eq!(Endpoint::at("/EWS/Exchange.asmx"), None);
    }

    #[test]
    fn the_writer_escapes_text_and_attributes() {
        let el = El::new("A")
            .attr("xmlns", "urn:x")
            .child(El::text_el("B", "<&>").attr("q", "\"x\""))
            .child(El::new("C"));
        assert_eq!(
            el.document(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><A xmlns=\"urn:x\"><B q=\"&quot;x&quot;\">&lt;&amp;&gt;</B><C/></A>"
        );
    }
}
