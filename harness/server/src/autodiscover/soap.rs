//! SOAP Autodiscover (`/autodiscover/autodiscover.svc`): SOAP 1.1 with WS-Addressing, namespace
//! [`AUTODISCOVER_NS`]. Operations: `GetUserSettings` and `GetDomainSettings`; another body is a
//! SOAP fault (`s:Client`, HTTP 500), as is a request that is not a SOAP 1.1 envelope.
//!
//! Every response carries `a:Action` (the request's action + `Response`, `s:mustUnderstand="1"`)
//! and `h:ServerVersionInfo` in the header, and `Response` with a top-level `ErrorCode`
//! (`NoError`, or `InvalidRequest` for a request without users/domains or without settings).
//!
//! GetUserSettings answers one `UserResponse` per `User/Mailbox`, in order: `NoError` with
//! `UserSettings` (`StringSetting`s in the order requested) and a `UserSettingError` per setting
//! it cannot give (`InvalidSetting` for a name the documentation does not list,
//! `SettingIsNotAvailable` for a listed one this server has no value for), or `InvalidUser`
//! ("Invalid user: '<address>'") for an address with no mailbox. GetDomainSettings answers one
//! `DomainResponse` per `Domain`: `NoError` for a domain of a configured user (or an alias
//! domain) with `ExternalEwsUrl` / `ExternalEwsVersion`, `InvalidDomain` otherwise.

use super::{El, Origin, deployment_id, host_of, legacy_dn, mailbox_dn, xml_reply};
use crate::dispatch::{Reply, SERVER_BUILD, ServerState};
use crate::envelope::exchange_versions;
use crate::render::{SOAP11_NS, XSI_NS};
use crate::xml_tree::{self, Element};

/// The Autodiscover SOAP namespace.
pub const AUTODISCOVER_NS: &str = "http://schemas.microsoft.com/exchange/2010/Autodiscover";
/// WS-Addressing.
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
/// The action of operation `op` (`.../Autodiscover/Autodiscover/GetUserSettings`).
pub fn action(op: &str) -> String {
    format!("{AUTODISCOVER_NS}/Autodiscover/{op}")
}

/// Every user setting name the documentation lists (`setting-soap.md`).
pub const USER_SETTINGS: &[&str] = &[
    "UserDisplayName",
    "UserDN",
    "UserDeploymentId",
    "InternalMailboxServer",
    "InternalRpcClientServer",
    "InternalMailboxServerDN",
    "InternalEcpUrl",
    "InternalEcpVoicemailUrl",
    "InternalEcpEmailSubscriptionsUrl",
    "InternalEcpTextMessagingUrl",
    "InternalEcpDeliveryReportUrl",
    "InternalEcpRetentionPolicyTagsUrl",
    "InternalEcpPublishingUrl",
    "InternalEwsUrl",
    "InternalOABUrl",
    "InternalUMUrl",
    "InternalWebClientUrls",
    "MailboxDN",
    "PublicFolderServer",
    "ActiveDirectoryServer",
    "ExternalMailboxServer",
    "ExternalMailboxServerRequiresSSL",
    "ExternalMailboxServerAuthenticationMethods",
    "EcpVoicemailUrlFragment",
    "EcpEmailSubscriptionsUrlFragment",
    "EcpTextMessagingUrlFragment",
    "EcpDeliveryReportUrlFragment",
    "EcpRetentionPolicyTagsUrlFragment",
    "EcpPublishingUrlFragment",
    "ExternalEcpUrl",
    "ExternalEcpVoicemailUrl",
    "ExternalEcpEmailSubscriptionsUrl",
    "ExternalEcpTextMessagingUrl",
    "ExternalEcpDeliveryReportUrl",
    "ExternalEcpRetentionPolicyTagsUrl",
    "ExternalEcpPublishingUrl",
    "ExternalEwsUrl",
    "ExternalOABUrl",
    "ExternalUMUrl",
    "ExternalWebClientUrls",
    "CrossOrganizationSharingEnabled",
    "AlternateMailboxes",
    "CasVersion",
    "EwsSupportedSchemas",
    "InternalPop3Connections",
    "ExternalPop3Connections",
    "InternalImap4Connections",
    "ExternalImap4Connections",
    "InternalSmtpConnections",
    "ExternalSmtpConnections",
    "InternalServerExclusiveConnect",
    "ExternalServerExclusiveConnect",
    "ExchangeRpcUrl",
    "ShowGalAsDefaultView",
    "AutoDiscoverSMTPAddress",
    "InteropExternalEwsUrl",
    "ExternalEwsVersion",
    "InteropExternalEwsVersion",
    "MobileMailboxPolicyInterop",
    "GroupingInformation",
    "UserMSOnline",
    "MapiHttpEnabled",
];

/// Message of a `UserSettingError`/`DomainSettingError` `InvalidSetting`.
pub const INVALID_SETTING_MESSAGE: &str = "The requested setting is invalid.";
/// Message of a `SettingIsNotAvailable` error.
pub const NOT_AVAILABLE_MESSAGE: &str = "The requested setting is not available.";

/// A parsed SOAP Autodiscover request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoapRequest {
    GetUserSettings {
        mailboxes: Vec<String>,
        settings: Vec<String>,
    },
    GetDomainSettings {
        domains: Vec<String>,
        settings: Vec<String>,
    },
}

/// Why a request gets a fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapFault(pub String);

/// Reads the envelope and its body.
pub fn parse(body: &[u8]) -> Result<SoapRequest, SoapFault> {
    let root = xml_tree::parse_document(body)
        .map_err(|v| SoapFault(format!("The request is not well-formed XML: {}", v.message)))?;
    if !root.is(SOAP11_NS, "Envelope") {
        return Err(SoapFault("The request is not a SOAP 1.1 envelope.".into()));
    }
    let body = root
        .children
        .iter()
        .find(|c| c.is(SOAP11_NS, "Body"))
        .ok_or_else(|| SoapFault("The envelope has no Body.".into()))?;
    let Some(message) = body.children.first() else {
        return Err(SoapFault("The Body is empty.".into()));
    };
    let list = |parent: &str, item: &str| -> Vec<String> {
        ad_child(message, "Request")
            .and_then(|r| ad_child(r, parent))
            .map(|p| {
                p.children
                    .iter()
                    .filter(|c| c.is(AUTODISCOVER_NS, item))
                    .map(|c| c.text.trim().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let settings = list("RequestedSettings", "Setting");
    match (message.ns.as_str(), message.local.as_str()) {
        (AUTODISCOVER_NS, "GetUserSettingsRequestMessage") => {
            let mailboxes = ad_child(message, "Request")
                .and_then(|r| ad_child(r, "Users"))
                .map(|users| {
                    users
                        .children
                        .iter()
                        .filter(|u| u.is(AUTODISCOVER_NS, "User"))
                        .map(|u| {
                            ad_child(u, "Mailbox")
                                .map(|m| m.text.trim().to_string())
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(SoapRequest::GetUserSettings {
                mailboxes,
                settings,
            })
        }
        (AUTODISCOVER_NS, "GetDomainSettingsRequestMessage") => {
            Ok(SoapRequest::GetDomainSettings {
                domains: list("Domains", "Domain"),
                settings,
            })
        }
        _ => Err(SoapFault(format!(
            "The operation {} is not implemented by this server.",
            message.local.trim_end_matches("RequestMessage")
        ))),
    }
}

fn ad_child<'a>(parent: &'a Element, local: &str) -> Option<&'a Element> {
    parent
        .children
        .iter()
        .find(|c| c.is(AUTODISCOVER_NS, local))
}

/// Answers one SOAP Autodiscover request.
pub fn handle(state: &ServerState, origin: &Origin, body: &[u8]) -> Reply {
    match parse(body) {
        Ok(SoapRequest::GetUserSettings {
            mailboxes,
            settings,
        }) => {
            let response = top_response(
                "UserResponses",
                mailboxes.is_empty() || settings.is_empty(),
                mailboxes
                    .iter()
                    .map(|m| user_response(state, origin, m, &settings)),
            );
            envelope(state, "GetUserSettings", response)
        }
        Ok(SoapRequest::GetDomainSettings { domains, settings }) => {
            let response = top_response(
                "DomainResponses",
                domains.is_empty() || settings.is_empty(),
                domains
                    .iter()
                    .map(|d| domain_response(state, origin, d, &settings)),
            );
            envelope(state, "GetDomainSettings", response)
        }
        Err(SoapFault(message)) => xml_reply(
            state,
            500,
            &El::new("s:Envelope").attr("xmlns:s", SOAP11_NS).child(
                El::new("s:Body").child(
                    El::new("s:Fault")
                        .child(El::text_el("faultcode", "s:Client"))
                        .child(El::text_el("faultstring", message)),
                ),
            ),
        ),
    }
}

/// `<Response>` with its top-level code and the per-user (per-domain) responses.
fn top_response(list: &str, invalid: bool, responses: impl Iterator<Item = El>) -> El {
    let response = El::new("Response").attr("xmlns:i", XSI_NS);
    if invalid {
        return response
            .child(El::text_el("ErrorCode", "InvalidRequest"))
            .child(El::text_el(
                "ErrorMessage",
                "The request is invalid: it names no user or domain, or no setting.",
            ))
            .child(El::new(list));
    }
    response
        .child(El::text_el("ErrorCode", "NoError"))
        .child(El::new("ErrorMessage"))
        .child(El::new(list).children(responses))
}

fn envelope(state: &ServerState, op: &str, response: El) -> Reply {
    let (major, minor, build, revision) = SERVER_BUILD;
    let header = El::new("s:Header")
        .child(
            El::text_el("a:Action", format!("{}Response", action(op)))
                .attr("s:mustUnderstand", "1"),
        )
        .child(
            El::new("h:ServerVersionInfo")
                .attr("xmlns:h", AUTODISCOVER_NS)
                .attr("xmlns:i", XSI_NS)
                .child(El::text_el("h:MajorVersion", major.to_string()))
                .child(El::text_el("h:MinorVersion", minor.to_string()))
                .child(El::text_el("h:MajorBuildNumber", build.to_string()))
                .child(El::text_el("h:MinorBuildNumber", revision.to_string()))
                .child(El::text_el(
                    "h:Version",
                    state.config.server_version.clone(),
                )),
        );
    let body = El::new("s:Body").child(
        El::new(&format!("{op}ResponseMessage"))
            .attr("xmlns", AUTODISCOVER_NS)
            .child(response),
    );
    xml_reply(
        state,
        200,
        &El::new("s:Envelope")
            .attr("xmlns:s", SOAP11_NS)
            .attr("xmlns:a", WSA_NS)
            .child(header)
            .child(body),
    )
}

/// `CasVersion` / `ExternalEwsVersion`: `15.00.0349.000`.
fn cas_version() -> String {
    let (major, minor, build, revision) = SERVER_BUILD;
    format!("{major}.{minor:02}.{build:04}.{revision:03}")
}

/// The versions up to the announced one, as `EwsSupportedSchemas` lists them (without
/// `Exchange2009` and `Exchange2012`, values of types.xsd no released server announces).
fn supported_schemas(state: &ServerState) -> String {
    let versions = exchange_versions();
    let last = versions
        .iter()
        .position(|v| *v == state.config.server_version)
        .unwrap_or(versions.len().saturating_sub(1));
    versions[..=last]
        .iter()
        .filter(|v| !matches!(**v, "Exchange2009" | "Exchange2012"))
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

fn user_value(
    state: &ServerState,
    origin: &Origin,
    index: usize,
    user: &crate::UserConfig,
    setting: &str,
) -> Option<String> {
    let host = host_of(&origin.base_url).to_string();
    Some(match setting {
        "UserDisplayName" => user.display_name.clone(),
        "UserDN" => legacy_dn(user),
        "UserDeploymentId" => deployment_id(index),
        "AutoDiscoverSMTPAddress" => user.smtp_address.clone(),
        "InternalEwsUrl" | "ExternalEwsUrl" => origin.ews_url(state),
        "EwsSupportedSchemas" => supported_schemas(state),
        "CasVersion" | "ExternalEwsVersion" => cas_version(),
        "InternalMailboxServer" | "ExternalMailboxServer" | "ActiveDirectoryServer" => host,
        "MailboxDN" => mailbox_dn(),
        "UserMSOnline" | "MapiHttpEnabled" | "CrossOrganizationSharingEnabled" => "False".into(),
        _ => return None,
    })
}

fn setting_error(element: &str, code: &str, message: &str, name: &str) -> El {
    El::new(element)
        .child(El::text_el("ErrorCode", code))
        .child(El::text_el("ErrorMessage", message))
        .child(El::text_el("SettingName", name))
}

fn string_setting(element: &str, kind: &str, name: &str, value: String) -> El {
    El::new(element)
        .attr("i:type", kind)
        .child(El::text_el("Name", name))
        .child(El::text_el("Value", value))
}

/// Requested settings without repeats, in the order first requested.
fn distinct(settings: &[String]) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for s in settings {
        if !seen.contains(&s.as_str()) {
            seen.push(s);
        }
    }
    seen
}

fn user_response(state: &ServerState, origin: &Origin, mailbox: &str, settings: &[String]) -> El {
    let Some((index, user)) = super::user_by_address(state, mailbox) else {
        return El::new("UserResponse")
            .child(El::text_el("ErrorCode", "InvalidUser"))
            .child(El::text_el(
                "ErrorMessage",
                format!("Invalid user: '{mailbox}'"),
            ))
            .child(El::new("RedirectTarget").attr("i:nil", "true"))
            .child(El::new("UserSettingErrors"))
            .child(El::new("UserSettings"));
    };
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for setting in distinct(settings) {
        match user_value(state, origin, index, user, setting) {
            Some(value) => values.push(string_setting(
                "UserSetting",
                "StringSetting",
                setting,
                value,
            )),
            None if USER_SETTINGS.contains(&setting) => errors.push(setting_error(
                "UserSettingError",
                "SettingIsNotAvailable",
                NOT_AVAILABLE_MESSAGE,
                setting,
            )),
            None => errors.push(setting_error(
                "UserSettingError",
                "InvalidSetting",
                INVALID_SETTING_MESSAGE,
                setting,
            )),
        }
    }
    El::new("UserResponse")
        .child(El::text_el("ErrorCode", "NoError"))
        .child(El::text_el("ErrorMessage", "No error."))
        .child(El::new("RedirectTarget").attr("i:nil", "true"))
        .child(El::new("UserSettingErrors").children(errors))
        .child(El::new("UserSettings").children(values))
}

fn domain_response(state: &ServerState, origin: &Origin, domain: &str, settings: &[String]) -> El {
    let known = state
        .directory
        .users
        .iter()
        .filter_map(|u| u.smtp_address.rsplit_once('@').map(|(_, d)| d))
        .chain(
            state
                .config
                .autodiscover_alias_domains
                .iter()
                .map(String::as_str),
        )
        .any(|d| d.eq_ignore_ascii_case(domain));
    if !known {
        return El::new("DomainResponse")
            .child(El::text_el("ErrorCode", "InvalidDomain"))
            .child(El::text_el(
                "ErrorMessage",
                format!("Invalid domain: '{domain}'"),
            ))
            .child(El::new("DomainSettingErrors"))
            .child(El::new("DomainSettings"))
            .child(El::new("RedirectTarget").attr("i:nil", "true"));
    }
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for setting in distinct(settings) {
        let value = match setting {
            "ExternalEwsUrl" => Some(origin.ews_url(state)),
            "ExternalEwsVersion" => Some(cas_version()),
            _ => None,
        };
        match value {
            Some(value) => values.push(string_setting(
                "DomainSetting",
                "DomainStringSetting",
                setting,
                value,
            )),
            None => errors.push(setting_error(
                "DomainSettingError",
                "InvalidSetting",
                INVALID_SETTING_MESSAGE,
                setting,
            )),
        }
    }
    El::new("DomainResponse")
        .child(El::text_el("ErrorCode", "NoError"))
        .child(El::text_el("ErrorMessage", "No error."))
        .child(El::new("DomainSettingErrors").children(errors))
        .child(El::new("DomainSettings").children(values))
        .child(El::new("RedirectTarget").attr("i:nil", "true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(body: &str) -> Vec<u8> {
        format!(
            "<s:Envelope xmlns:s=\"{SOAP11_NS}\" xmlns:a=\"{AUTODISCOVER_NS}\"><s:Body>{body}</s:Body></s:Envelope>"
        )
        .into_bytes()
    }

    #[test]
    fn get_user_settings_is_read() {
        let parsed = parse(&envelope(
            "<a:GetUserSettingsRequestMessage><a:Request><a:Users><a:User><a:Mailbox> x@y </a:Mailbox></a:User></a:Users>\
             <a:RequestedSettings><a:Setting>UserDN</a:Setting><a:Setting>Bogus</a:Setting></a:RequestedSettings></a:Request></a:GetUserSettingsRequestMessage>",
        ));
        assert_eq!(
            parsed,
            Ok(SoapRequest::GetUserSettings {
                mailboxes: vec!["x@y".into()],
                settings: vec!["UserDN".into(), "Bogus".into()],
            })
        );
    }

    #[test]
    fn other_bodies_and_documents_are_faults() {
        assert!(parse(b"<x/>").is_err());
        assert!(parse(b"\xff").is_err());
        let fault = parse(&envelope("<a:GetFederationInformationRequestMessage/>"))
            .expect_err("not implemented");
        assert!(fault.0.contains("GetFederationInformation"), "{fault:?}");
    }

    #[test]
    fn versions_are_written_as_exchange_does() {
        assert_eq!(cas_version(), "15.00.0349.000");
        assert_eq!(distinct(&["A".into(), "B".into(), "A".into()]), ["A", "B"]);
    }
}
