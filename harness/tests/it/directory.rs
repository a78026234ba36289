//! The directory and OOF operations of the reference server (ResolveNames, ExpandDL,
//! Get/SetUserOofSettings) over loopback
//! HTTP, on its configured directory: ambiguous names answered as a Warning with every
//! resolution, full contact data, scopes, nested groups, the configuration's `members`; every
//! response validated against the EWS schema.

use std::time::Duration;

use ews_conformance::reference_server::{RunningServer, ServerConfig, start};
use quick_xml::events::Event;

const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

/// Posts `body` in an Exchange2013 envelope as alice; the response must be schema-valid.
fn call(server: &RunningServer, body: &str) -> String {
    let (status, text) = post(server, body);
    assert_eq!(status, 200, "{text}");
    text
}

/// The HTTP status and (schema-valid) body of the reply to `body`.
fn post(server: &RunningServer, body: &str) -> (u16, String) {
    let envelope = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="{T}" xmlns:m="{M}">
  <soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>
  <soap:Body>{body}</soap:Body>
</soap:Envelope>"#
    );
    let response = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
        .post(server.url())
        .header("Content-Type", "text/xml; charset=utf-8")
        .basic_auth("alice", Some("alice-password"))
        .body(envelope)
        .send()
        .expect("answered");
    let status = response.status().as_u16();
    let text = response.text().expect("body");
    let violations = ews_schema::Schema::ews()
        .validate_document(text.as_bytes())
        .unwrap_or_else(|e| panic!("not XML ({e}): {text}"));
    assert!(violations.is_empty(), "{violations:?} in\n{text}");
    (status, text)
}

/// Text of every element named `local` (any namespace or prefix), in document order.
fn texts(xml: &str, local: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == local => {
                current = Some(String::new());
            }
            Ok(Event::Empty(e)) if e.local_name().as_ref() == local => {
                out.push(String::new());
            }
            Ok(Event::Text(t)) => {
                if let Some(current) = current.as_mut() {
                    current.push_str(&t);
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == local => {
                out.extend(current.take());
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn resolve(server: &RunningServer, entry: &str, full: bool, scope: &str) -> String {
    call(
        server,
        &format!(
            r#"<m:ResolveNames ReturnFullContactData="{full}" SearchScope="{scope}"><m:UnresolvedEntry>{entry}</m:UnresolvedEntry></m:ResolveNames>"#
        ),
    )
}

fn expand(server: &RunningServer, address: &str) -> String {
    call(
        server,
        &format!(
            "<m:ExpandDL><m:Mailbox><t:EmailAddress>{address}</t:EmailAddress></m:Mailbox></m:ExpandDL>"
        ),
    )
}

#[test]
fn ambiguous_names_are_a_warning_with_every_resolution_sorted() {
    let server = start(ServerConfig::default()).expect("starts");
    // "a" starts Alice Wilson and All Staff (a word, an alias and an address each).
    let reply = resolve(&server, "a", false, "ActiveDirectory");
    assert!(reply.contains(r#"ResponseClass="Warning""#), "{reply}");
    assert_eq!(
        texts(&reply, "ResponseCode"),
        ["ErrorNameResolutionMultipleResults"]
    );
    assert_eq!(
        texts(&reply, "MessageText"),
        ["Multiple results were found."]
    );
    assert!(reply.contains(r#"TotalItemsInView="2""#), "{reply}");
    assert_eq!(texts(&reply, "Name"), ["Alice Wilson", "All Staff"]);
    assert_eq!(texts(&reply, "MailboxType"), ["Mailbox", "PublicDL"]);
    // A surname prefix, case-insensitive, is one user.
    let reply = resolve(&server, "KEL", false, "ActiveDirectory");
    assert_eq!(texts(&reply, "ResponseCode"), ["NoError"]);
    assert_eq!(texts(&reply, "EmailAddress"), ["bob@contoso.com"]);
    server.shutdown();
}

#[test]
fn full_contact_data_and_scopes() {
    let server = start(ServerConfig::default()).expect("starts");
    let reply = resolve(&server, "carol", true, "ActiveDirectoryContacts");
    assert_eq!(texts(&reply, "DisplayName"), ["Carol Lopez"]);
    assert_eq!(texts(&reply, "GivenName"), ["Carol"]);
    assert_eq!(texts(&reply, "Surname"), ["Lopez"]);
    assert_eq!(texts(&reply, "Entry"), ["SMTP:carol@contoso.com"]);
    assert_eq!(texts(&reply, "ContactSource"), ["ActiveDirectory"]);
    // Without full contact data there is no Contact.
    let reply = resolve(&server, "carol", false, "ActiveDirectory");
    assert!(!reply.contains("Contact>"), "{reply}");
    // The mailbox has no contacts: the Contacts scope finds nothing.
    let reply = resolve(&server, "carol", false, "Contacts");
    assert_eq!(
        texts(&reply, "ResponseCode"),
        ["ErrorNameResolutionNoResults"]
    );
    assert_eq!(texts(&reply, "MessageText"), ["No results were found."]);
    // SMTP: matches the whole address only.
    let reply = resolve(&server, "SMTP:car", false, "ActiveDirectory");
    assert_eq!(
        texts(&reply, "ResponseCode"),
        ["ErrorNameResolutionNoResults"]
    );
    server.shutdown();
}

#[test]
fn expand_dl_lists_members_and_nested_groups_as_public_dls() {
    let server = start(ServerConfig::default()).expect("starts");
    let reply = expand(&server, "all-staff@contoso.com");
    assert_eq!(texts(&reply, "ResponseCode"), ["NoError"]);
    assert!(reply.contains(r#"TotalItemsInView="3""#), "{reply}");
    assert_eq!(
        texts(&reply, "EmailAddress"),
        [
            "alice@contoso.com",
            "bob@contoso.com",
            "engineering@contoso.com"
        ]
    );
    assert_eq!(
        texts(&reply, "MailboxType"),
        ["Mailbox", "Mailbox", "PublicDL"]
    );
    // The nested group expands in turn; by display name too.
    let reply = expand(&server, "Engineering");
    assert_eq!(texts(&reply, "EmailAddress"), ["carol@contoso.com"]);
    // An empty group is an empty expansion.
    let reply = expand(&server, "SMTP:im-dg@contoso.com");
    assert!(reply.contains(r#"TotalItemsInView="0""#), "{reply}");
    // A user is no group.
    let reply = expand(&server, "bob@contoso.com");
    assert_eq!(
        texts(&reply, "ResponseCode"),
        ["ErrorNameResolutionNoResults"]
    );
    server.shutdown();
}

#[test]
fn group_members_must_be_in_the_directory() {
    let dir = std::env::temp_dir().join(format!("ews-dir-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("config.yaml");
    std::fs::write(
        &path,
        "distribution_groups:\n  - smtp_address: team@contoso.com\n    display_name: Team\n    members: [alice@contoso.com, nobody@contoso.com]\n",
    )
    .expect("write");
    let error = ServerConfig::from_file(&path).expect_err("an unknown member is refused");
    let message = error.to_string();
    assert!(
        message.contains("nobody@contoso.com") && message.contains("team@contoso.com"),
        "{message}"
    );
    std::fs::write(
        &path,
        "distribution_groups:\n  - smtp_address: team@contoso.com\n    display_name: Team\n    members: [alice@contoso.com]\n",
    )
    .expect("write");
    let config = ServerConfig::from_file(&path).expect("loads");
    assert_eq!(config.distribution_groups[0].members, ["alice@contoso.com"]);
    std::fs::remove_dir_all(&dir).ok();
}

/// OOF settings belong to their mailbox: reading another user's is the documented "User is not
/// mailbox owner" fault, setting them ErrorAccessDenied (the stored settings unchanged), and a
/// scheduled OOF without a Duration is refused.
#[test]
fn oof_settings_of_another_mailbox_are_access_denied() {
    let server = start(ServerConfig::default()).expect("starts");
    let (status, reply) = post(
        &server,
        "<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>carol@contoso.com</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>",
    );
    assert_eq!(status, 500, "{reply}");
    assert_eq!(texts(&reply, "faultcode"), ["s:Client"]);
    assert_eq!(texts(&reply, "ErrorCode"), ["-2146233088"]);
    assert!(reply.contains("User is not mailbox owner."), "{reply}");
    assert!(!reply.contains("OofSettings>"), "{reply}");
    let reply = call(
        &server,
        "<m:SetUserOofSettingsRequest><t:Mailbox><t:Address>carol@contoso.com</t:Address></t:Mailbox><t:UserOofSettings><t:OofState>Enabled</t:OofState><t:ExternalAudience>All</t:ExternalAudience></t:UserOofSettings></m:SetUserOofSettingsRequest>",
    );
    assert_eq!(texts(&reply, "ResponseCode"), ["ErrorAccessDenied"]);
    let reply = call(
        &server,
        "<m:SetUserOofSettingsRequest><t:Mailbox><t:Address>alice@contoso.com</t:Address></t:Mailbox><t:UserOofSettings><t:OofState>Scheduled</t:OofState><t:ExternalAudience>All</t:ExternalAudience></t:UserOofSettings></m:SetUserOofSettingsRequest>",
    );
    assert_eq!(
        texts(&reply, "ResponseCode"),
        ["ErrorInvalidScheduledOofDuration"]
    );
    let reply = call(
        &server,
        "<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>alice@contoso.com</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>",
    );
    assert_eq!(texts(&reply, "OofState"), ["Disabled"]);
    server.shutdown();
}
