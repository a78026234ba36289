//! POX Autodiscover (`/autodiscover/autodiscover.xml`): Outlook's plain-XML request
//! (`Autodiscover/Request/EMailAddress` or `LegacyDN`, `AcceptableResponseSchema`, namespace
//! [`REQUEST_NS`]) and its response in [`RESPONSE_NS`] with the payload in [`OUTLOOK_NS`].
//!
//! | answer | when |
//! |---|---|
//! | `User` + `Account` (`Action` `settings`, protocols `EXCH` and `EXPR`) | a configured user's address or LegacyDN |
//! | `Account` with `Action` `redirectAddr` and `RedirectAddr` | an address at one of `autodiscover_alias_domains` whose local part is a user's |
//! | `Error` 500 "The email address can't be found." | any other address |
//! | `Error` 600 "Invalid Request" | not well-formed, another root, no address |
//! | `Error` 601 "The requested schema version is not supported" | an `AcceptableResponseSchema` other than [`OUTLOOK_NS`] |
//!
//! Errors are HTTP 200 with the `Error` element, as Exchange sends them; `Error/@Time` is the
//! time of day (UTC) and `Error/@Id` a number, both varying.

use super::{El, Origin, deployment_id, host_of, legacy_dn, mailbox_dn, xml_reply};
use crate::dispatch::{Reply, SERVER_BUILD, ServerState};
use crate::xml_tree::{self, Element};

/// The request namespace.
pub const REQUEST_NS: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
/// The response envelope namespace (`Autodiscover`, and `Response` of an error).
pub const RESPONSE_NS: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
/// The Outlook response schema: `Response` of a success.
pub const OUTLOOK_NS: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/// What the request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoxRequest {
    /// `EMailAddress` or `LegacyDN`.
    pub address: Address,
    /// `AcceptableResponseSchema` (empty when absent).
    pub schema: String,
}

/// How the request names the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Email(String),
    LegacyDn(String),
}

/// An Autodiscover error: its code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoxError {
    pub code: u16,
    pub message: &'static str,
}

pub const UNKNOWN_ADDRESS: PoxError = PoxError {
    code: 500,
    message: "The email address can't be found.",
};
pub const INVALID_REQUEST: PoxError = PoxError {
    code: 600,
    message: "Invalid Request",
};
pub const SCHEMA_NOT_SUPPORTED: PoxError = PoxError {
    code: 601,
    message: "The requested schema version is not supported",
};

/// Reads the request; any shape other than the documented one is `INVALID_REQUEST`.
pub fn parse(body: &[u8]) -> Result<PoxRequest, PoxError> {
    let root = xml_tree::parse_document(body).map_err(|_| INVALID_REQUEST)?;
    if !root.is(REQUEST_NS, "Autodiscover") {
        return Err(INVALID_REQUEST);
    }
    let request = child(&root, "Request").ok_or(INVALID_REQUEST)?;
    let text = |local: &str| child(request, local).map(|e| e.text.trim().to_string());
    let address = match (text("EMailAddress"), text("LegacyDN")) {
        (Some(email), _) if !email.is_empty() => Address::Email(email),
        (_, Some(dn)) if !dn.is_empty() => Address::LegacyDn(dn),
        _ => return Err(INVALID_REQUEST),
    };
    Ok(PoxRequest {
        address,
        schema: text("AcceptableResponseSchema").unwrap_or_default(),
    })
}

fn child<'a>(parent: &'a Element, local: &str) -> Option<&'a Element> {
    parent.children.iter().find(|c| c.is(REQUEST_NS, local))
}

/// Answers one POX request.
pub fn handle(state: &ServerState, origin: &Origin, body: &[u8]) -> Reply {
    let answer = parse(body).and_then(|request| {
        if request.schema != OUTLOOK_NS {
            return Err(SCHEMA_NOT_SUPPORTED);
        }
        respond(state, origin, &request.address)
    });
    let response = match answer {
        Ok(response) => response,
        Err(error) => error_response(error),
    };
    xml_reply(
        state,
        200,
        &El::new("Autodiscover")
            .attr("xmlns", RESPONSE_NS)
            .child(response),
    )
}

fn respond(state: &ServerState, origin: &Origin, address: &Address) -> Result<El, PoxError> {
    let users = &state.directory.users;
    let found = match address {
        Address::Email(email) => super::user_by_address(state, email),
        Address::LegacyDn(dn) => users
            .iter()
            .enumerate()
            .find(|(_, u)| legacy_dn(u).eq_ignore_ascii_case(dn)),
    };
    if let Some((index, user)) = found {
        return Ok(settings(state, origin, index, user));
    }
    if let Address::Email(email) = address {
        if let Some(target) = alias_target(state, email) {
            return Ok(El::new("Response").attr("xmlns", OUTLOOK_NS).child(
                El::new("Account")
                    .child(El::text_el("AccountType", "email"))
                    .child(El::text_el("Action", "redirectAddr"))
                    .child(El::text_el("RedirectAddr", target)),
            ));
        }
    }
    Err(UNKNOWN_ADDRESS)
}

/// The primary address of `email` when its domain is an alias domain and its local part a user's.
pub fn alias_target(state: &ServerState, email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    if !state
        .config
        .autodiscover_alias_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(domain))
    {
        return None;
    }
    state
        .directory
        .users
        .iter()
        .find(|u| {
            u.smtp_address
                .rsplit_once('@')
                .is_some_and(|(l, _)| l.eq_ignore_ascii_case(local))
        })
        .map(|u| u.smtp_address.clone())
}

/// The `ServerVersion` of a POX protocol section: Exchange's hexadecimal encoding of the build
/// (`0x70000000 | major << 22 | minor << 16 | 0x8000 | build`, 15.0.349 → `73C0815D`).
pub fn server_version_hex() -> String {
    let (major, minor, build, _) = SERVER_BUILD;
    format!(
        "{:08X}",
        0x7000_0000u32 | (major << 22) | (minor << 16) | 0x8000 | (build & 0x7fff)
    )
}

fn settings(state: &ServerState, origin: &Origin, index: usize, user: &crate::UserConfig) -> El {
    let ews = origin.ews_url(state);
    let server = host_of(&origin.base_url).to_string();
    let urls = |el: El| {
        el.child(El::text_el("ASUrl", ews.clone()))
            .child(El::text_el("EwsUrl", ews.clone()))
            .child(El::text_el("EmwsUrl", ews.clone()))
            .child(El::text_el("OOFUrl", ews.clone()))
    };
    let exch = urls(
        El::new("Protocol")
            .child(El::text_el("Type", "EXCH"))
            .child(El::text_el("Server", server.clone()))
            .child(El::text_el("ServerDN", mailbox_dn()))
            .child(El::text_el("ServerVersion", server_version_hex()))
            .child(El::text_el("MdbDN", mailbox_dn())),
    );
    let expr = urls(
        El::new("Protocol")
            .child(El::text_el("Type", "EXPR"))
            .child(El::text_el("Server", server)),
    );
    El::new("Response")
        .attr("xmlns", OUTLOOK_NS)
        .child(
            El::new("User")
                .child(El::text_el("DisplayName", user.display_name.clone()))
                .child(El::text_el("LegacyDN", legacy_dn(user)))
                .child(El::text_el(
                    "AutoDiscoverSMTPAddress",
                    user.smtp_address.clone(),
                ))
                .child(El::text_el("DeploymentId", deployment_id(index))),
        )
        .child(
            El::new("Account")
                .child(El::text_el("AccountType", "email"))
                .child(El::text_el("Action", "settings"))
                .child(El::text_el("MicrosoftOnline", "False"))
                .child(exch)
                .child(expr),
        )
}

fn error_response(error: PoxError) -> El {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() % 86_400;
    let time = format!(
        "{:02}:{:02}:{:02}.{:07}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        now.subsec_nanos() / 100
    );
    El::new("Response").attr("xmlns", RESPONSE_NS).child(
        El::new("Error")
            .attr("Time", time)
            .attr("Id", (now.as_millis() % 4_000_000_000).to_string())
            .child(El::text_el("ErrorCode", error.code.to_string()))
            .child(El::text_el("Message", error.message))
            .child(El::new("DebugData")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(inner: &str) -> Vec<u8> {
        format!("<Autodiscover xmlns=\"{REQUEST_NS}\"><Request>{inner}</Request></Autodiscover>")
            .into_bytes()
    }

    fn answer(state: &ServerState, address: &str) -> String {
        let origin = Origin::new(state, Some("mail.example.test:8443"));
        let body = request(&format!(
            "<EMailAddress>{address}</EMailAddress><AcceptableResponseSchema>{OUTLOOK_NS}</AcceptableResponseSchema>"
        ));
        handle(state, &origin, &body).body
    }

    #[test]
    fn an_alias_domain_address_is_redirected_to_the_primary_address() {
        let state = ServerState::new(crate::ServerConfig {
            autodiscover_alias_domains: vec!["fabrikam.test".into()],
            ..crate::ServerConfig::default()
        });
        let body = answer(&state, "Bob@Fabrikam.test");
        assert!(body.contains("<Action>redirectAddr</Action>"), "{body}");
        assert!(
            body.contains("<RedirectAddr>bob@contoso.com</RedirectAddr>"),
            "{body}"
        );
        let body = answer(&state, "nobody@fabrikam.test");
        assert!(body.contains("<ErrorCode>500</ErrorCode>"), "{body}");
        let plain = ServerState::new(crate::ServerConfig::default());
        let body = answer(&plain, "bob@fabrikam.test");
        assert!(body.contains("<ErrorCode>500</ErrorCode>"), "{body}");
    }

    #[test]
    fn the_ews_url_is_the_one_the_request_was_sent_to() {
        let state = ServerState::new(crate::ServerConfig::default());
        let body = answer(&state, "alice@contoso.com");
        assert!(
            body.contains("<EwsUrl>http://mail.example.test:8443/EWS/Exchange.asmx</EwsUrl>"),
            "{body}"
        );
        let origin = Origin::new(&state, None);
        assert_eq!(origin.base_url, format!("http://{}", state.config.listen));
        let quirky = ServerState::new(crate::ServerConfig {
            quirks: vec![crate::Quirk::AutodiscoverWrongEwsUrl],
            ..crate::ServerConfig::default()
        });
        let body = answer(&quirky, "alice@contoso.com");
        assert!(body.contains("/EWS/Wrong.asmx</EwsUrl>"), "{body}");
    }

    #[test]
    fn the_server_version_is_encoded_as_exchange_does() {
        assert_eq!(server_version_hex(), "73C0815D");
    }

    #[test]
    fn requests_are_read_and_bad_ones_refused() {
        let parsed = parse(&request(&format!(
            "<EMailAddress> a@b.c </EMailAddress><AcceptableResponseSchema>{OUTLOOK_NS}</AcceptableResponseSchema>"
        )))
        .expect("valid");
        assert_eq!(parsed.address, Address::Email("a@b.c".into()));
        assert_eq!(parsed.schema, OUTLOOK_NS);
        assert_eq!(
            parse(&request("<LegacyDN>/o=x</LegacyDN>")).map(|r| r.address),
            Ok(Address::LegacyDn("/o=x".into()))
        );
        assert_eq!(parse(&request("")), Err(INVALID_REQUEST));
        assert_eq!(parse(b"<Autodiscover/>"), Err(INVALID_REQUEST));
        assert_eq!(parse(b"not xml"), Err(INVALID_REQUEST));
        assert_eq!(parse(&[0xff, 0xfe, 0]), Err(INVALID_REQUEST));
    }
}
