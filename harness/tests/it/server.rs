//! The embedded reference server over real loopback HTTP: every IM operation's success and
//! error responses, envelope styles, faults with positions, versions, auth, impersonation,
//! mailbox isolation, ids, limits, timeouts, concurrency, hostile input and each quirk.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ews_conformance::reference_server::{
    EXTRA_ELEMENT, Quirk, RunningServer, ServerConfig, WRONG_MESSAGE_TEXT, start,
};
use quick_xml::events::Event;

const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

fn server_with(config: ServerConfig) -> RunningServer {
    start(config).expect("the reference server starts")
}

fn server() -> RunningServer {
    server_with(ServerConfig::default())
}

struct Reply {
    status: u16,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    body: String,
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

fn post_as(server: &RunningServer, user: Option<(&str, &str)>, body: &str) -> Reply {
    let mut request = client()
        .post(server.url())
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(body.to_string());
    if let Some((name, password)) = user {
        request = request.basic_auth(name, Some(password));
    }
    let response = request.send().expect("request is answered");
    let reply = Reply {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        headers: response.headers().clone(),
        body: response.text().unwrap_or_default(),
    };
    if reply.content_type.contains("xml") {
        assert_strict_xml(&reply.body);
    }
    reply
}

/// Checks a response body with the harness's strict XML 1.0 + Namespaces checker (the one
/// every response of a run goes through): a well-formed document, no character outside the
/// `Char` production, literal or by reference.
fn assert_strict_xml(body: &str) {
    if let Err(message) = strict_xml(body) {
        panic!("ill-formed response ({message}):\n{body}");
    }
}

fn strict_xml(body: &str) -> Result<(), String> {
    ews_conformance::xml::check_well_formed(body.as_bytes(), &Default::default())
        .map_err(|e| e.to_string())
}

fn post(server: &RunningServer, body: &str) -> Reply {
    post_as(server, Some(("alice", "alice-password")), body)
}

/// A request envelope (Exchange2013, `soap:`/`t:`/`m:` prefixes) around `body`.
fn envelope(body: &str) -> String {
    envelope_with_header(r#"<t:RequestServerVersion Version="Exchange2013"/>"#, body)
}

fn envelope_with_header(header: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="{T}" xmlns:m="{M}">
  <soap:Header>{header}</soap:Header>
  <soap:Body>{body}</soap:Body>
</soap:Envelope>"#
    )
}

/// Text of every element named `local` (any namespace), in document order.
fn texts(xml: &str, local: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut inside = false;
    let mut current = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == local => {
                inside = true;
                current.clear();
            }
            Ok(Event::Empty(e)) if e.local_name().as_ref() == local => out.push(String::new()),
            Ok(Event::Text(t)) if inside => current.push_str(&t),
            Ok(Event::GeneralRef(r)) if inside => {
                current.push_str(match r.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    _ => "?",
                });
            }
            Ok(Event::End(e)) if inside && e.local_name().as_ref() == local => {
                inside = false;
                out.push(current.clone());
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn text(xml: &str, local: &str) -> String {
    texts(xml, local)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no <{local}> in {xml}"))
}

/// Values of attribute `attr` on every element named `local`.
fn attrs(xml: &str, local: &str, attr: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == local => {
                for a in e.attributes().flatten() {
                    if a.key.local_name().as_ref() == attr {
                        out.push(a.value.to_string());
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn assert_success(reply: &Reply, op: &str) {
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains(&format!(
            "<{op}Response xmlns=\"{M}\" ResponseClass=\"Success\">"
        )),
        "{}",
        reply.body
    );
    assert_eq!(text(&reply.body, "ResponseCode"), "NoError");
}

fn assert_error(reply: &Reply, op: &str, code: &str, message: &str) {
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains(&format!(
            "<{op}Response xmlns=\"{M}\" ResponseClass=\"Error\">"
        )),
        "{}",
        reply.body
    );
    assert_eq!(text(&reply.body, "ResponseCode"), code, "{}", reply.body);
    assert_eq!(text(&reply.body, "MessageText"), message, "{}", reply.body);
    assert_eq!(text(&reply.body, "DescriptiveLinkKey"), "0");
}

fn assert_fault(reply: &Reply, code: &str) {
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert!(
        reply.content_type.starts_with("text/xml"),
        "{}",
        reply.content_type
    );
    assert_eq!(
        text(&reply.body, "faultcode"),
        format!("a:{code}"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains(&format!("<faultcode xmlns:a=\"{T}\">")),
        "{}",
        reply.body
    );
    assert_eq!(text(&reply.body, "ResponseCode"), code);
}

fn add_group(server: &RunningServer, name: &str) -> (String, String) {
    let reply = post(
        server,
        &envelope(&format!(
            "<m:AddImGroup><m:DisplayName>{name}</m:DisplayName></m:AddImGroup>"
        )),
    );
    assert_success(&reply, "AddImGroup");
    let id = attrs(&reply.body, "ExchangeStoreId", "Id").remove(0);
    let key = attrs(&reply.body, "ExchangeStoreId", "ChangeKey").remove(0);
    (id, key)
}

/// Adds a contact to `group` (or Other Contacts); returns (contact id, persona reply body).
fn add_contact(server: &RunningServer, address: &str, group: Option<&str>) -> (String, String) {
    let group = group
        .map(|g| format!("<m:GroupId Id=\"{g}\"/>"))
        .unwrap_or_default();
    let reply = post(
        server,
        &envelope(&format!(
            "<m:AddNewImContactToGroup><m:ImAddress>{address}</m:ImAddress>{group}</m:AddNewImContactToGroup>"
        )),
    );
    assert_success(&reply, "AddNewImContactToGroup");
    let id = attrs(&reply.body, "SourceId", "Id").remove(0);
    (id, reply.body)
}

fn item_list(server: &RunningServer) -> String {
    let reply = post(server, &envelope("<m:GetImItemList/>"));
    assert_success(&reply, "GetImItemList");
    reply.body
}

#[test]
fn add_im_group_then_get_im_item_list_shows_defaults_then_the_new_group() {
    let server = server();
    let reply = post(
        &server,
        &envelope("<m:AddImGroup><m:DisplayName>MyCustomGroup</m:DisplayName></m:AddImGroup>"),
    );
    assert_success(&reply, "AddImGroup");
    assert!(reply.content_type.starts_with("text/xml; charset=utf-8"));
    assert!(
        reply.body.contains(&format!(
            "<ImGroup><DisplayName xmlns=\"{T}\">MyCustomGroup</DisplayName><GroupType xmlns=\"{T}\">IPM.DistList.MOC.UserGroup</GroupType><ExchangeStoreId xmlns=\"{T}\" Id=\""
        )),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("<h:ServerVersionInfo xmlns:h=\"http://schemas.microsoft.com/exchange/services/2006/types\" MajorVersion=\"15\" MinorVersion=\"0\" MajorBuildNumber=\"349\" MinorBuildNumber=\"0\" Version=\"Exchange2013\""), "{}", reply.body);
    let list = item_list(&server);
    assert_eq!(
        texts(&list, "GroupType"),
        [
            "IPM.DistList.MOC.OtherContacts",
            "IPM.DistList.MOC.Tagged",
            "IPM.DistList.MOC.Favorites",
            "IPM.DistList.MOC.UserGroup"
        ]
    );
    assert_eq!(
        texts(&list, "DisplayName"),
        ["Other Contacts", "Tagged", "Favorites", "MyCustomGroup"]
    );
    assert!(
        list.contains(
            "<Personas xmlns=\"http://schemas.microsoft.com/exchange/services/2006/types\"/>"
        ),
        "{list}"
    );
}

#[test]
fn contacts_personas_and_membership() {
    let server = server();
    let (group, _) = add_group(&server, "Team");
    let (bob, persona) = add_contact(&server, "sip:bob@contoso.com", Some(&group));
    // Persona children in schema order, with the schema's e-mail element names.
    let order = [
        "PersonaId",
        "PersonaType",
        "CreationTime",
        "DisplayName",
        "DisplayNameFirstLast",
        "DisplayNameLastFirst",
        "FileAsId",
        "EmailAddress",
        "EmailAddresses",
        "ImAddress",
        "RelevanceScore",
        "Attributions",
        "DisplayNames",
        "FileAsIds",
        "Emails1",
        "ImAddresses",
    ];
    let mut last = 0;
    for name in order {
        let at = persona
            .find(&format!("<{name}"))
            .unwrap_or_else(|| panic!("{name} missing in {persona}"));
        assert!(at >= last, "{name} out of order in {persona}");
        last = at;
    }
    assert_eq!(text(&persona, "DisplayName"), "Bob Kelly", "directory name");
    assert!(persona.contains("<EmailAddresses xmlns=\"http://schemas.microsoft.com/exchange/services/2006/types\"><Address><Name>Bob Kelly</Name><EmailAddress>bob@contoso.com</EmailAddress><RoutingType>SMTP</RoutingType></Address></EmailAddresses>"), "{persona}");
    let persona_id = attrs(&persona, "PersonaId", "Id").remove(0);
    assert_ne!(persona_id, bob, "the contact id is not the persona id");

    let list = item_list(&server);
    assert_eq!(
        attrs(&list, "ItemId", "Id"),
        std::slice::from_ref(&bob),
        "MemberCorrelationKey"
    );
    assert_eq!(texts(&list, "ImAddress"), ["sip:bob@contoso.com"]);

    // The same address again returns the existing persona.
    let (again, _) = add_contact(&server, "bob@CONTOSO.com", None);
    assert_eq!(again, bob);
    assert_eq!(texts(&item_list(&server), "ImAddress").len(), 1);

    // AddImContactToGroup into a second group.
    let (second, _) = add_group(&server, "Second");
    let reply = post(
        &server,
        &envelope(&format!(
            "<m:AddImContactToGroup><m:ContactId Id=\"{bob}\"/><m:GroupId Id=\"{second}\"/></m:AddImContactToGroup>"
        )),
    );
    assert_success(&reply, "AddImContactToGroup");
    assert!(!reply.body.contains("<ImGroup"), "no payload");

    // RemoveImContactFromGroup: first succeeds, second is ErrorInvalidImContactId.
    let remove = envelope(&format!(
        "<m:RemoveImContactFromGroup><m:ContactId Id=\"{bob}\"/><m:GroupId Id=\"{group}\"/></m:RemoveImContactFromGroup>"
    ));
    assert_success(&post(&server, &remove), "RemoveImContactFromGroup");
    assert_error(
        &post(&server, &remove),
        "RemoveImContactFromGroup",
        "ErrorInvalidImContactId",
        "The specified Im Contact Id is invalid.",
    );

    // GetImItems returns what is asked for and skips unknown ids.
    let reply = post(
        &server,
        &envelope(&format!(
            "<m:GetImItems><m:ContactIds><t:ItemId Id=\"{bob}\"/><t:ItemId Id=\"garbage\"/></m:ContactIds><m:GroupIds><t:ItemId Id=\"{second}\"/><t:ItemId Id=\"{group}\" ChangeKey=\"x\"/></m:GroupIds><m:ExtendedProperties><t:ExtendedProperty PropertyTag=\"0x3001\" PropertyType=\"String\"/></m:ExtendedProperties></m:GetImItems>"
        )),
    );
    assert_success(&reply, "GetImItems");
    assert_eq!(texts(&reply.body, "GroupType").len(), 2);
    assert_eq!(texts(&reply.body, "ImAddress"), ["sip:bob@contoso.com"]);
    assert!(reply.body.contains("<ExtendedProperty><ExtendedFieldURI PropertyTag=\"0x3001\" PropertyType=\"String\"/><Value>Second</Value></ExtendedProperty>"), "{}", reply.body);

    // RemoveContactFromImList: success, then ErrorItemNotFound.
    let remove = envelope(&format!(
        "<m:RemoveContactFromImList><m:ContactId Id=\"{bob}\"/></m:RemoveContactFromImList>"
    ));
    assert_success(&post(&server, &remove), "RemoveContactFromImList");
    assert_error(
        &post(&server, &remove),
        "RemoveContactFromImList",
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    );
    let list = item_list(&server);
    assert!(texts(&list, "ImAddress").is_empty());
    assert!(
        attrs(&list, "ItemId", "Id").is_empty(),
        "no member keys left"
    );
    // AddImContactToGroup of a removed contact.
    assert_error(
        &post(
            &server,
            &envelope(&format!(
                "<m:AddImContactToGroup><m:ContactId Id=\"{bob}\"/><m:GroupId Id=\"{second}\"/></m:AddImContactToGroup>"
            )),
        ),
        "AddImContactToGroup",
        "ErrorInvalidImContactId",
        "The specified Im Contact Id is invalid.",
    );
}

#[test]
fn group_errors_rename_and_change_keys() {
    let server = server();
    let (group, key) = add_group(&server, "Alpha");
    add_group(&server, "Beta");
    assert_error(
        &post(
            &server,
            &envelope("<m:AddImGroup><m:DisplayName>alpha</m:DisplayName></m:AddImGroup>"),
        ),
        "AddImGroup",
        "ErrorImGroupDisplayNameAlreadyExists",
        "An IM group with the specified display name already exists.",
    );
    let rename = |name: &str| {
        post(
            &server,
            &envelope(&format!(
                "<m:SetImGroup><m:GroupId Id=\"{group}\"/><m:NewDisplayName>{name}</m:NewDisplayName></m:SetImGroup>"
            )),
        )
    };
    assert_error(
        &rename("Beta"),
        "SetImGroup",
        "ErrorImGroupDisplayNameAlreadyExists",
        "An IM group with the specified display name already exists.",
    );
    assert_success(&rename("Gamma"), "SetImGroup");
    let list = item_list(&server);
    assert!(texts(&list, "DisplayName").contains(&"Gamma".to_string()));
    let ids = attrs(&list, "ExchangeStoreId", "Id");
    let keys = attrs(&list, "ExchangeStoreId", "ChangeKey");
    let position = ids.iter().position(|i| *i == group).expect("group listed");
    assert_ne!(keys[position], key, "ChangeKey changes on rename");

    let remove = envelope(&format!(
        "<m:RemoveImGroup><m:GroupId Id=\"{group}\"/></m:RemoveImGroup>"
    ));
    assert_success(&post(&server, &remove), "RemoveImGroup");
    assert_error(
        &post(&server, &remove),
        "RemoveImGroup",
        "ErrorInvalidImGroupId",
        "The specified Im Group Id is invalid.",
    );
    assert_error(
        &post(
            &server,
            &envelope(
                "<m:RemoveImGroup><m:GroupId Id=\"AAMkAGQ1MjJjMTBkLTc4Y2UtNDA5hQoTbWAAAAAAQRAAA=\"/></m:RemoveImGroup>",
            ),
        ),
        "RemoveImGroup",
        "ErrorInvalidIdMalformed",
        "Id is malformed.",
    );
    // Default groups cannot be removed.
    let other_contacts = attrs(&list, "ExchangeStoreId", "Id").remove(0);
    assert_error(
        &post(
            &server,
            &envelope(&format!(
                "<m:RemoveImGroup><m:GroupId Id=\"{other_contacts}\"/></m:RemoveImGroup>"
            )),
        ),
        "RemoveImGroup",
        "ErrorInvalidImGroupId",
        "The specified Im Group Id is invalid.",
    );
}

#[test]
fn ids_are_deterministic_across_servers() {
    let run = || {
        let server = server();
        let (group, key) = add_group(&server, "G");
        let (contact, _) = add_contact(&server, "sip:x@contoso.com", Some(&group));
        (group, key, contact)
    };
    assert_eq!(run(), run());
}

#[test]
fn limits_are_business_errors() {
    let config = ServerConfig {
        max_im_groups: 1,
        max_im_contacts: 1,
        ..ServerConfig::default()
    };
    let server = server_with(config);
    add_group(&server, "One");
    assert_error(
        &post(
            &server,
            &envelope("<m:AddImGroup><m:DisplayName>Two</m:DisplayName></m:AddImGroup>"),
        ),
        "AddImGroup",
        "ErrorImGroupLimitReached",
        "The maximum number of IM groups has been reached.",
    );
    add_contact(&server, "sip:a@contoso.com", None);
    assert_error(
        &post(
            &server,
            &envelope(
                "<m:AddNewImContactToGroup><m:ImAddress>sip:b@contoso.com</m:ImAddress></m:AddNewImContactToGroup>",
            ),
        ),
        "AddNewImContactToGroup",
        "ErrorImContactLimitReached",
        "The maximum number of IM contacts has been reached.",
    );
}

#[test]
fn distribution_groups() {
    let server = server();
    let add = |smtp: &str| {
        post(
            &server,
            &envelope(&format!(
                "<m:AddDistributionGroupToImList><m:SmtpAddress>{smtp}</m:SmtpAddress><m:DisplayName>IM Distribution Group</m:DisplayName></m:AddDistributionGroupToImList>"
            )),
        )
    };
    assert_error(
        &add("nobody@contoso.com"),
        "AddDistributionGroupToImList",
        "ErrorInvalidImDistributionGroupSmtpAddress",
        "The specified IM distribution group SMTP address is invalid.",
    );
    let reply = add("im-dg@contoso.com");
    assert_success(&reply, "AddDistributionGroupToImList");
    assert_eq!(text(&reply.body, "GroupType"), "IPM.DistList.MOC.DG");
    assert!(
        texts(&reply.body, "SmtpAddress").is_empty(),
        "not for Exchange2013 requests"
    );
    let dg = attrs(&reply.body, "ExchangeStoreId", "Id").remove(0);
    // Newer versions see the schema's SmtpAddress child; adding again returns the same group.
    let reply = post(
        &server,
        &envelope_with_header(
            "<t:RequestServerVersion Version=\"Exchange2016\"/>",
            "<m:AddDistributionGroupToImList><m:SmtpAddress>IM-DG@contoso.com</m:SmtpAddress><m:DisplayName>x</m:DisplayName></m:AddDistributionGroupToImList>",
        ),
    );
    assert_success(&reply, "AddDistributionGroupToImList");
    assert_eq!(text(&reply.body, "SmtpAddress"), "im-dg@contoso.com");
    assert_eq!(
        attrs(&reply.body, "ExchangeStoreId", "Id"),
        std::slice::from_ref(&dg)
    );

    // Contacts cannot be removed from (or added to) a DG group.
    let (contact, _) = add_contact(&server, "sip:z@contoso.com", None);
    assert_error(
        &post(
            &server,
            &envelope(&format!(
                "<m:RemoveImContactFromGroup><m:ContactId Id=\"{contact}\"/><m:GroupId Id=\"{dg}\"/></m:RemoveImContactFromGroup>"
            )),
        ),
        "RemoveImContactFromGroup",
        "ErrorUnableToRemoveImContactFromGroup",
        "Unable to remove the IM contact from the group.",
    );

    let remove = envelope(&format!(
        "<m:RemoveDistributionGroupFromImList><m:GroupId Id=\"{dg}\"/></m:RemoveDistributionGroupFromImList>"
    ));
    assert_success(&post(&server, &remove), "RemoveDistributionGroupFromImList");
    assert_error(
        &post(&server, &remove),
        "RemoveDistributionGroupFromImList",
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    );
}

#[test]
fn set_im_list_migration_completed_accepts_every_boolean_form() {
    let server = server();
    for value in ["true", "false", "1", "0", " true "] {
        let reply = post(
            &server,
            &envelope(&format!(
                "<m:SetImListMigrationCompleted><m:ImListMigrationCompleted>{value}</m:ImListMigrationCompleted></m:SetImListMigrationCompleted>"
            )),
        );
        assert_success(&reply, "SetImListMigrationCompleted");
    }
}

#[test]
fn mailboxes_are_isolated_and_foreign_ids_are_non_existent_mailbox() {
    let server = server();
    let (alice_group, _) = add_group(&server, "AliceOnly");
    let bob = Some(("bob", "bob-password"));
    let reply = post_as(&server, bob, &envelope("<m:GetImItemList/>"));
    assert_success(&reply, "GetImItemList");
    assert!(!reply.body.contains("AliceOnly"));
    let reply = post_as(
        &server,
        bob,
        &envelope(&format!(
            "<m:AddNewImContactToGroup><m:ImAddress>sip:q@contoso.com</m:ImAddress><m:GroupId Id=\"{alice_group}\"/></m:AddNewImContactToGroup>"
        )),
    );
    assert_error(
        &reply,
        "AddNewImContactToGroup",
        "ErrorNonExistentMailbox",
        "No mailbox with such guid.",
    );
    assert!(reply.body.contains("<MessageXml><t:Value xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\" Name=\"MailboxGuid\">"), "{}", reply.body);
    // Bob can use his own groups.
    let reply = post_as(
        &server,
        bob,
        &envelope("<m:AddImGroup><m:DisplayName>AliceOnly</m:DisplayName></m:AddImGroup>"),
    );
    assert_success(&reply, "AddImGroup");
}

#[test]
fn impersonation_is_allowed_only_when_granted() {
    let server = server();
    let impersonate = |how: &str, address: &str| {
        envelope_with_header(
            &format!(
                "<t:RequestServerVersion Version=\"Exchange2013\"/><t:ExchangeImpersonation><t:ConnectingSID><t:{how}>{address}</t:{how}></t:ConnectingSID></t:ExchangeImpersonation>"
            ),
            "<m:AddImGroup><m:DisplayName>ViaImpersonation</m:DisplayName></m:AddImGroup>",
        )
    };
    assert_success(
        &post(
            &server,
            &impersonate("PrimarySmtpAddress", "bob@contoso.com"),
        ),
        "AddImGroup",
    );
    let reply = post_as(
        &server,
        Some(("bob", "bob-password")),
        &envelope("<m:GetImItemList/>"),
    );
    assert!(
        reply.body.contains("ViaImpersonation"),
        "landed in bob's mailbox"
    );
    assert!(
        !item_list(&server).contains("ViaImpersonation"),
        "not in alice's"
    );
    // alice may impersonate bob, not carol: the per-user right is missing.
    let reply = post(&server, &impersonate("SmtpAddress", "carol@contoso.com"));
    assert_fault(&reply, "ErrorImpersonateUserDenied");
    assert_eq!(
        text(&reply.body, "Message"),
        "The account does not have permission to impersonate the requested user."
    );
    let reply = post(&server, &impersonate("PrincipalName", "nobody@contoso.com"));
    assert_fault(&reply, "ErrorNonExistentMailbox");
    let reply = post_as(
        &server,
        Some(("bob", "bob-password")),
        &impersonate("PrimarySmtpAddress", "alice@contoso.com"),
    );
    // bob may impersonate nobody: the impersonation right itself is missing.
    assert_fault(&reply, "ErrorImpersonationDenied");
}

#[test]
fn every_envelope_style_is_accepted() {
    let server = server();
    let styles = [
        // s: prefix, MailboxCulture, no XML declaration
        format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><RequestServerVersion xmlns="{T}" Version="Exchange2013_SP1"/><MailboxCulture xmlns="{T}">de-DE</MailboxCulture></s:Header><s:Body><GetImItemList xmlns="{M}"/></s:Body></s:Envelope>"#
        ),
        // SOAP-ENV: prefix, ns1/ns2 prefixes
        format!(
            r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="{T}" xmlns:ns2="{M}"><SOAP-ENV:Header><ns1:RequestServerVersion Version="V2018_01_08"/></SOAP-ENV:Header><SOAP-ENV:Body><ns2:GetImItemList></ns2:GetImItemList></SOAP-ENV:Body></SOAP-ENV:Envelope>"#
        ),
        // default namespaces everywhere, lots of whitespace
        format!(
            "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\">\n\t<Header>\n <RequestServerVersion xmlns=\"{T}\" Version=\"Exchange2016\" />\n</Header>\r\n  <Body>\n    <GetImItemList xmlns=\"{M}\">\n    </GetImItemList>\n  </Body>\n</Envelope>\n"
        ),
    ];
    for style in &styles {
        let reply = post(&server, style);
        assert_success(&reply, "GetImItemList");
    }
    // With a SOAPAction header too.
    let response = client()
        .post(server.url())
        .basic_auth("alice@contoso.com", Some("alice-password"))
        .header(
            "SOAPAction",
            "\"http://schemas.microsoft.com/exchange/services/2006/messages/GetImItemList\"",
        )
        .header("Content-Type", "text/xml")
        .body(envelope("<m:GetImItemList/>"))
        .send()
        .expect("answered");
    assert_eq!(response.status().as_u16(), 200);
    // An empty Header is fine, but without RequestServerVersion the request is Exchange2007.
    let reply = post(
        &server,
        &format!(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body><GetImItemList xmlns="{M}"/></soap:Body></soap:Envelope>"#
        ),
    );
    assert_fault(&reply, "ErrorIncorrectSchemaVersion");
}

#[test]
fn malformed_xml_is_a_schema_validation_fault_with_its_position() {
    let server = server();
    let request =
        envelope("\n<m:AddImGroup>\n   <m:DisplayName>Jones & Co</m:DisplayName>\n</m:AddImGroup>");
    let reply = post(&server, &request);
    assert_fault(&reply, "ErrorSchemaValidation");
    assert_eq!(text(&reply.body, "LineNumber"), "6");
    assert_eq!(text(&reply.body, "LinePosition"), "26");
    assert_eq!(
        text(&reply.body, "Violation"),
        "An error occurred while parsing EntityName. Line 6, position 26."
    );
    assert_eq!(
        text(&reply.body, "faultstring"),
        "The request failed schema validation: An error occurred while parsing EntityName. Line 6, position 26."
    );
    assert_eq!(
        text(&reply.body, "Message"),
        "The request failed schema validation."
    );
    assert!(reply.body.contains("<faultstring xml:lang=\"en-US\">"));
    assert!(
        !reply.body.contains("ServerVersionInfo"),
        "faults carry no header, like Exchange's"
    );
}

#[test]
fn schema_violations_are_faults() {
    let server = server();
    let cases = [
        (
            "<m:AddImGroup><m:DisplayName></m:DisplayName></m:AddImGroup>",
            "MinLength",
            4,
        ),
        ("<m:AddImGroup/>", "incomplete content", 4),
        (
            "<m:AddImGroup><t:DisplayName>x</t:DisplayName></m:AddImGroup>",
            "invalid child element 'DisplayName'",
            4,
        ),
        (
            "<m:RemoveImContactFromGroup><t:ContactId Id=\"a\"/><m:GroupId Id=\"b\"/></m:RemoveImContactFromGroup>",
            "invalid child element 'ContactId'",
            4,
        ),
        (
            "<m:SetImGroup><m:NewDisplayName>x</m:NewDisplayName><m:GroupId Id=\"b\"/></m:SetImGroup>",
            "invalid child",
            4,
        ),
        (
            "<m:AddDistributionGroupToImList><m:SmtpAddress>im-dg@contoso.com</m:SmtpAddress></m:AddDistributionGroupToImList>",
            "'DisplayName'",
            4,
        ),
        (
            "<m:AddImGroup><m:DisplayName>x</m:DisplayName><m:Bogus/></m:AddImGroup>",
            "Bogus",
            4,
        ),
        (
            "<m:NoSuchOperation/>",
            "The 'http://schemas.microsoft.com/exchange/services/2006/messages:NoSuchOperation' element is not declared.",
            4,
        ),
        (
            "<x:RemoveImGroup xmlns:x=\"https://schemas.microsoft.com/exchange/services/2006/messages\"><x:GroupId Id=\"a\"/></x:RemoveImGroup>",
            "The 'https://schemas.microsoft.com/exchange/services/2006/messages:RemoveImGroup' element is not declared.",
            4,
        ),
    ];
    for (body, expected, line) in cases {
        let reply = post(&server, &envelope(body));
        assert_fault(&reply, "ErrorSchemaValidation");
        let violation = text(&reply.body, "Violation");
        assert!(violation.contains(expected), "{body}: {violation}");
        assert_eq!(text(&reply.body, "LineNumber"), line.to_string(), "{body}");
    }
}

/// The two documented schema-validation faults of the EWS reference (FindConversation/03 and
/// GetServiceConfiguration/03): the documented request with the documented mistake gets the
/// documented LineNumber, LinePosition and Violation, word for word. Neither operation is
/// implemented: validation comes first.
#[test]
fn documented_schema_violations_get_the_documented_position_and_text() {
    let server = server();
    let find_conversation = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<soap:Envelope xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n               xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"\n               xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"\n               xmlns:t=\"{T}\"\n               xmlns:m=\"{M}\">\n  <soap:Header>\n    <t:RequestServerVersion Version=\"Exchange2010_SP1\" />\n  </soap:Header>\n  <soap:Body>\n    <m:FindConversation>\n      <m:IndexedPageItemView BasePoint=\"Beginning\" MaxEntriesReturned=\"1\" Offset=\"0\"/>\n      <m:ParentFolderId>\n        <t:DistinguishedFolderId Id =\"inbox1\"/>\n      </m:ParentFolderId>\n    </m:FindConversation>\n  </soap:Body>\n</soap:Envelope>\n"
    );
    let reply = post(&server, &find_conversation);
    assert_fault(&reply, "ErrorSchemaValidation");
    assert_eq!(text(&reply.body, "LineNumber"), "14");
    assert_eq!(text(&reply.body, "LinePosition"), "34");
    assert_eq!(
        text(&reply.body, "Violation"),
        format!(
            "The 'Id' attribute is invalid - The value 'inbox1' is invalid according to its datatype '{T}:DistinguishedFolderIdNameType' - The Enumeration constraint failed."
        )
    );
    let service_configuration = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<soap:Envelope xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n               xmlns:m=\"{M}\"\n               xmlns:t=\"{T}\"\n               xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"\n               xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n  <soap:Header>\n    <t:RequestServerVersion Version=\"Exchange2010\" />\n  </soap:Header>\n  <soap:Body>\n    <m:GetServiceConfiguration>\n      <m:RequestedConfiguration>\n        <m:ConfigurationName>UUnifiedMessagingConfiguration</m:ConfigurationName>\n      </m:RequestedConfiguration>\n    </m:GetServiceConfiguration>\n  </soap:Body>\n</soap:Envelope>"
    );
    let reply = post(&server, &service_configuration);
    assert_fault(&reply, "ErrorSchemaValidation");
    assert_eq!(text(&reply.body, "LineNumber"), "13");
    assert_eq!(text(&reply.body, "LinePosition"), "62");
    assert_eq!(
        text(&reply.body, "Violation"),
        format!(
            "The '{M}:ConfigurationName' element is invalid - The value 'UUnifiedMessagingConfiguration' is invalid according to its datatype '{T}:ServiceConfigurationType' - The Enumeration constraint failed."
        )
    );
}

/// The ews-schema engine validates every request: its position is .NET's (the tag name, one
/// column after `<`), its text Exchange's wording, and SOAP header entries are validated too.
#[test]
fn schema_faults_carry_exchange_positions_and_cover_header_entries() {
    let server = server();
    let reply = post(
        &server,
        &envelope("<m:AddImGroup><m:DisplayName>x</m:DisplayName><m:Bogus/></m:AddImGroup>"),
    );
    assert_fault(&reply, "ErrorSchemaValidation");
    assert_eq!(text(&reply.body, "LineNumber"), "4");
    assert_eq!(text(&reply.body, "LinePosition"), "61");
    assert_eq!(
        text(&reply.body, "Violation"),
        format!(
            "The element 'AddImGroup' in namespace '{M}' has invalid child element 'Bogus' in namespace '{M}'."
        )
    );
    let reply = post(
        &server,
        &envelope_with_header(
            "<t:RequestServerVersion Version=\"Exchange2013\"/><t:ExchangeImpersonation><t:ConnectingSID><t:Nickname>bob</t:Nickname></t:ConnectingSID></t:ExchangeImpersonation>",
            "<m:GetImItemList/>",
        ),
    );
    assert_fault(&reply, "ErrorSchemaValidation");
    let violation = text(&reply.body, "Violation");
    assert!(
        violation.starts_with(&format!(
            "The element 'ConnectingSID' in namespace '{T}' has invalid child element 'Nickname'"
        )),
        "{violation}"
    );
    // A header entry the server does not act on is still validated.
    let reply = post(
        &server,
        &envelope_with_header(
            "<t:RequestServerVersion Version=\"Exchange2013\"/><t:DateTimePrecision>Nanoseconds</t:DateTimePrecision>",
            "<m:GetImItemList/>",
        ),
    );
    assert_fault(&reply, "ErrorSchemaValidation");
    assert!(text(&reply.body, "Violation").contains("'Nanoseconds'"));
}

#[test]
fn versions_before_exchange2013_and_unknown_operations_are_faults() {
    let server = server();
    for version in [
        "Exchange2007",
        "Exchange2007_SP1",
        "Exchange2010",
        "Exchange2010_SP2",
    ] {
        let reply = post(
            &server,
            &envelope_with_header(
                &format!("<t:RequestServerVersion Version=\"{version}\"/>"),
                "<m:GetImItemList/>",
            ),
        );
        assert_fault(&reply, "ErrorIncorrectSchemaVersion");
        assert_eq!(
            text(&reply.body, "Message"),
            "The request is valid but does not specify the correct server version in the RequestServerVersion SOAP header.  Ensure that the RequestServerVersion SOAP header is set with the correct RequestServerVersionValue."
        );
    }
    let reply = post(
        &server,
        &envelope_with_header(
            "<t:RequestServerVersion Version=\"Exchange2099\"/>",
            "<m:GetImItemList/>",
        ),
    );
    assert_fault(&reply, "ErrorSchemaValidation");
    // An EWS operation the server does not implement is refused only once it validates: an
    // invalid one is a schema fault like any other request.
    let reply = post(&server, &envelope("<m:GetSearchableMailboxes/>"));
    assert_fault(&reply, "ErrorInvalidOperation");
    assert!(
        text(&reply.body, "faultstring").contains("GetSearchableMailboxes"),
        "{}",
        reply.body
    );
    let reply = post(
        &server,
        &envelope("<m:GetSearchableMailboxes><m:Bogus/></m:GetSearchableMailboxes>"),
    );
    assert_fault(&reply, "ErrorSchemaValidation");
    assert!(
        text(&reply.body, "Violation").contains("invalid child element 'Bogus'"),
        "{}",
        reply.body
    );
    let reply = post(&server, &envelope("<m:GetFolder/>"));
    assert_fault(&reply, "ErrorSchemaValidation");
    assert!(text(&reply.body, "Violation").contains("'FolderShape'"));
    // A declared element that is no request (a response message) is no operation either.
    let reply = post(
        &server,
        &envelope(
            "<m:AddImGroupResponse ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode></m:AddImGroupResponse>",
        ),
    );
    assert_fault(&reply, "ErrorSchemaValidation");
    assert!(text(&reply.body, "Violation").contains("is not an operation request"));
    let reply = post(
        &server,
        &envelope_with_header(
            "<t:RequestServerVersion Version=\"Exchange2013\"/><t:MailboxCulture>en_US!</t:MailboxCulture>",
            "<m:GetImItemList/>",
        ),
    );
    assert_fault(&reply, "ErrorSchemaValidation");
}

#[test]
fn http_level_rules() {
    let server = server_with(ServerConfig {
        max_request_bytes: 64 * 1024,
        ..ServerConfig::default()
    });
    let body = envelope("<m:GetImItemList/>");
    let reply = post_as(&server, None, &body);
    assert_eq!(reply.status, 401);
    let challenge = reply
        .headers
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(challenge.starts_with("Basic realm=\""), "{challenge}");
    assert_eq!(
        post_as(&server, Some(("alice", "wrong")), &body).status,
        401
    );
    assert_eq!(
        post_as(&server, Some(("mallory", "alice-password")), &body).status,
        401
    );
    assert_eq!(
        post_as(
            &server,
            Some(("ALICE@contoso.com", "alice-password")),
            &body
        )
        .status,
        200
    );

    let huge = envelope(&format!(
        "<m:AddImGroup><m:DisplayName>{}</m:DisplayName></m:AddImGroup>",
        "x".repeat(100 * 1024)
    ));
    assert_eq!(post(&server, &huge).status, 413);
    let get = client()
        .get(server.url())
        .basic_auth("alice", Some("alice-password"))
        .send()
        .expect("answered");
    assert_eq!(get.status().as_u16(), 405);
    let other = client()
        .post(server.url().replace("/EWS/Exchange.asmx", "/other"))
        .body(body.clone())
        .send()
        .expect("answered");
    assert_eq!(other.status().as_u16(), 404);
}

/// Sends `bytes` and nothing more; returns what the server wrote until it closed the connection,
/// and how long that took.
fn send_and_wait_for_close(server: &RunningServer, bytes: &[u8]) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr()).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(bytes).expect("writes");
    let mut buffer = Vec::new();
    let _ = stream.read_to_end(&mut buffer);
    (buffer, started.elapsed())
}

#[test]
fn slow_clients_time_out() {
    let server = server_with(ServerConfig {
        header_read_timeout: Duration::from_millis(500),
        body_read_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    });
    // Headers that never finish: the connection is closed.
    let (_, elapsed) =
        send_and_wait_for_close(&server, b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\n");
    assert!(elapsed < Duration::from_secs(5), "closed in time");

    // A body that never finishes: 408.
    let (buffer, elapsed) = send_and_wait_for_close(
        &server,
        b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=\r\nContent-Length: 1000\r\n\r\n<soap:Env",
    );
    let head = String::from_utf8_lossy(&buffer);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    assert!(elapsed < Duration::from_secs(5), "answered in time");

    // An idle keep-alive connection is closed after the header timeout, too.
    let body = envelope("<m:GetImItemList/>");
    let request = format!(
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (buffer, elapsed) = send_and_wait_for_close(&server, request.as_bytes());
    assert!(String::from_utf8_lossy(&buffer).starts_with("HTTP/1.1 200"));
    assert!(
        elapsed < Duration::from_secs(5),
        "idle connection closed in time"
    );
    // The server still answers.
    assert_success(
        &post(&server, &envelope("<m:GetImItemList/>")),
        "GetImItemList",
    );
}

#[test]
fn concurrent_clients_lose_no_update() {
    const CLIENTS: usize = 200;
    let server = server_with(ServerConfig {
        max_im_groups: 3 * CLIENTS,
        max_im_contacts: 3 * CLIENTS,
        ..ServerConfig::default()
    });
    let url = server.url();
    // Each client, all in alice's mailbox: adds two groups and two contacts, removes one of
    // each, renames the other group, and reads the list in between.
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let url = url.clone();
            std::thread::spawn(move || {
                let http = client();
                let send = |body: String| {
                    http.post(&url)
                        .basic_auth("alice", Some("alice-password"))
                        .body(envelope(&body))
                        .send()
                        .and_then(|r| r.text())
                        .unwrap_or_default()
                };
                let mut groups = Vec::new();
                let mut contacts = Vec::new();
                for n in 0..2 {
                    let reply = send(format!(
                        "<m:AddImGroup><m:DisplayName>g-{c}-{n}</m:DisplayName></m:AddImGroup>"
                    ));
                    groups.extend(attrs(&reply, "ExchangeStoreId", "Id"));
                    let reply = send(format!(
                        "<m:AddNewImContactToGroup><m:ImAddress>sip:c{c}-{n}@contoso.com</m:ImAddress></m:AddNewImContactToGroup>"
                    ));
                    contacts.extend(attrs(&reply, "SourceId", "Id"));
                }
                send("<m:GetImItemList/>".to_string());
                let mut ok = 0;
                if let [first, second] = groups.as_slice() {
                    let reply = send(format!(
                        "<m:RemoveImGroup><m:GroupId Id=\"{first}\"/></m:RemoveImGroup>"
                    ));
                    ok += usize::from(reply.contains("NoError"));
                    let reply = send(format!(
                        "<m:SetImGroup><m:GroupId Id=\"{second}\"/><m:NewDisplayName>renamed-{c}</m:NewDisplayName></m:SetImGroup>"
                    ));
                    ok += usize::from(reply.contains("NoError"));
                }
                if let [first, _] = contacts.as_slice() {
                    let reply = send(format!(
                        "<m:RemoveContactFromImList><m:ContactId Id=\"{first}\"/></m:RemoveContactFromImList>"
                    ));
                    ok += usize::from(reply.contains("NoError"));
                }
                ok
            })
        })
        .collect();
    let successes: usize = threads
        .into_iter()
        .map(|t| t.join().expect("client thread"))
        .sum();
    assert_eq!(successes, CLIENTS * 3, "every update succeeded");
    let list = item_list(&server);
    let names = texts(&list, "DisplayName");
    assert_eq!(
        texts(&list, "GroupType").len(),
        3 + CLIENTS,
        "default groups + one group per client"
    );
    assert_eq!(
        texts(&list, "ImAddress").len(),
        CLIENTS,
        "one contact per client"
    );
    for c in 0..CLIENTS {
        assert!(
            names.contains(&format!("renamed-{c}")),
            "rename of client {c} kept"
        );
        assert!(
            !names.contains(&format!("g-{c}-0")),
            "removal of client {c} kept"
        );
    }
    // Every remaining contact is a member of Other Contacts, and only those.
    assert_eq!(attrs(&list, "ItemId", "Id").len(), CLIENTS);
}

#[test]
fn hostile_input_gets_faults_and_the_server_keeps_answering() {
    let server = server();
    let valid = envelope("<m:GetImItemList/>");
    let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    let huge_attribute = envelope(&format!(
        "<m:RemoveImGroup><m:GroupId Id=\"{}\"/></m:RemoveImGroup>",
        "A".repeat(1_000_000)
    ));
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"#;
    let mut bytes: Vec<Vec<u8>> = vec![
        valid.as_bytes()[..valid.len() / 2].to_vec(),
        deep.into_bytes(),
        b"<soap:Envelope \xff\xfe\x00 garbage".to_vec(),
        laughs.as_bytes().to_vec(),
        (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(),
        Vec::new(),
        b"<".to_vec(),
        b"<?xml version='1.0'?>".to_vec(),
        envelope("<m:AddImGroup><m:DisplayName>&#xFFFFFF;</m:DisplayName></m:AddImGroup>").into_bytes(),
        envelope("<m:AddImGroup><m:DisplayName>&unknown;</m:DisplayName></m:AddImGroup>").into_bytes(),
        envelope("<m:AddImGroup><m:DisplayName><![CDATA[x]]></m:DisplayName><m:DisplayName>y</m:DisplayName></m:AddImGroup>").into_bytes(),
    ];
    // A huge attribute value gets through parsing and is just a malformed id.
    let reply = post(&server, &huge_attribute);
    assert_error(
        &reply,
        "RemoveImGroup",
        "ErrorInvalidIdMalformed",
        "Id is malformed.",
    );
    for (index, body) in bytes.drain(..).enumerate() {
        let response = client()
            .post(server.url())
            .basic_auth("alice", Some("alice-password"))
            .body(body)
            .send()
            .expect("answered");
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        assert_eq!(status, 500, "input {index}: {text}");
        assert!(
            text.contains("a:ErrorSchemaValidation"),
            "input {index}: {text}"
        );
        assert!(!text.contains("lollol"), "entities are never expanded");
    }
    assert_success(&post(&server, &valid), "GetImItemList");
}

fn quirk_server(quirk: Quirk) -> RunningServer {
    server_with(ServerConfig {
        quirks: vec![quirk],
        ..ServerConfig::default()
    })
}

#[test]
fn each_quirk_changes_the_response_as_named() {
    let add = envelope("<m:AddImGroup><m:DisplayName>Q</m:DisplayName></m:AddImGroup>");
    let error = envelope("<m:RemoveImGroup><m:GroupId Id=\"bad\"/></m:RemoveImGroup>");
    let fault = envelope("<m:AddImGroup><m:DisplayName>a & b</m:DisplayName></m:AddImGroup>");
    let contact = envelope(
        "<m:AddNewImContactToGroup><m:ImAddress>sip:q@contoso.com</m:ImAddress></m:AddNewImContactToGroup>",
    );
    // The reference responses, for comparison.
    let normal = server();
    let normal_add = post(&normal, &add).body;
    let normal_fault = post(&normal, &fault);
    assert_eq!(normal_fault.status, 500);

    for quirk in Quirk::ALL.iter().copied() {
        let server = quirk_server(quirk);
        let success = post(&server, &add);
        let failure = post(&server, &error);
        let faulted = post(&server, &fault);
        let persona = post(&server, &contact);
        match quirk {
            Quirk::WrongResponseCode => {
                assert_eq!(
                    text(&success.body, "ResponseCode"),
                    "ErrorInternalServerError"
                );
                assert!(success.body.contains("ResponseClass=\"Success\""));
                assert_eq!(
                    text(&failure.body, "ResponseCode"),
                    "ErrorInternalServerError"
                );
            }
            Quirk::MissingElement => {
                assert!(
                    texts(&success.body, "ResponseCode").is_empty(),
                    "{}",
                    success.body
                );
                assert!(texts(&failure.body, "ResponseCode").is_empty());
            }
            Quirk::ExtraElement => {
                assert!(
                    success.body.contains(&format!("<{EXTRA_ELEMENT}>")),
                    "{}",
                    success.body
                );
                assert!(failure.body.contains(&format!("<{EXTRA_ELEMENT}>")));
            }
            Quirk::HttpsNamespace => {
                assert!(
                    success.body.contains(
                        "xmlns=\"https://schemas.microsoft.com/exchange/services/2006/messages\""
                    ),
                    "{}",
                    success.body
                );
                assert!(
                    !success.body.contains(
                        "\"http://schemas.microsoft.com/exchange/services/2006/messages\""
                    )
                );
                assert!(
                    faulted
                        .body
                        .contains("https://schemas.microsoft.com/exchange/services/2006/types")
                );
            }
            Quirk::WrongChildOrder => {
                let order = |body: &str, a: &str, b: &str| {
                    body.find(&format!("<{a}")).unwrap_or(0)
                        < body.find(&format!("<{b}")).unwrap_or(0)
                };
                assert!(
                    order(&success.body, "GroupType", "DisplayName"),
                    "{}",
                    success.body
                );
                assert!(
                    order(&failure.body, "ResponseCode", "MessageText"),
                    "{}",
                    failure.body
                );
                assert!(
                    order(&persona.body, "PersonaType", "PersonaId"),
                    "{}",
                    persona.body
                );
            }
            Quirk::WrongMessageText => {
                assert_eq!(text(&failure.body, "MessageText"), WRONG_MESSAGE_TEXT);
                assert_eq!(text(&faulted.body, "faultstring"), WRONG_MESSAGE_TEXT);
            }
            Quirk::Soap12Fault => {
                assert!(
                    faulted
                        .body
                        .contains("http://www.w3.org/2003/05/soap-envelope"),
                    "{}",
                    faulted.body
                );
                assert!(
                    faulted.body.contains("<s:Subcode><s:Value xmlns:a="),
                    "{}",
                    faulted.body
                );
                assert!(faulted.content_type.starts_with("application/soap+xml"));
                assert!(texts(&faulted.body, "faultcode").is_empty());
            }
            Quirk::DropServerVersionInfo => {
                assert!(!success.body.contains("ServerVersionInfo"));
                assert!(normal_add.contains("ServerVersionInfo"));
            }
            Quirk::Http200ForFault => {
                assert_eq!(faulted.status, 200);
                assert!(faulted.body.contains("a:ErrorSchemaValidation"));
            }
            Quirk::FrozenChangeKey => {
                assert!(
                    success.body.contains(r#"ChangeKey="AAAAAAAAAAA=""#),
                    "{}",
                    success.body
                );
                assert!(!normal_add.contains(r#"ChangeKey="AAAAAAAAAAA=""#));
            }
            Quirk::HtmlContentType => {
                assert!(success.content_type.starts_with("text/html"));
                assert!(faulted.content_type.starts_with("text/html"));
            }
            Quirk::SchemaInvalidResponse => {
                // Only the header changes: the body is the honest one, and the engine rejects
                // exactly the added header entry.
                assert!(
                    success.body.contains("<QuirkHeaderEntry"),
                    "{}",
                    success.body
                );
                assert_eq!(
                    success.body.split("<s:Body").nth(1),
                    normal_add.split("<s:Body").nth(1)
                );
                let violations = ews_schema::Schema::ews()
                    .validate_document(success.body.as_bytes())
                    .expect("well-formed");
                assert_eq!(violations.len(), 1, "{violations:?}");
                assert!(
                    violations[0].to_string().contains("QuirkHeaderEntry"),
                    "{}",
                    violations[0]
                );
                assert!(
                    ews_schema::Schema::ews()
                        .validate_document(normal_add.as_bytes())
                        .expect("well-formed")
                        .is_empty()
                );
            }
            // The folder and directory quirks change folder and directory responses only; the mutation self-test
            // (`suite::every_quirk_of_the_reference_server_is_caught_and_its_node_named`)
            // proves each one fails the folder cases.
            Quirk::WrongFolderCounts
            | Quirk::PagingOffByOne
            | Quirk::IncludesLastItemWrong
            | Quirk::RestrictionIgnored
            | Quirk::FolderClassFirst
            | Quirk::StaleChangeKeyAccepted
            | Quirk::PublicDlAsMailbox
            | Quirk::SortIgnored
            | Quirk::DuplicatedEvent
            | Quirk::MissingKeepalive
            | Quirk::AttachmentChangeKeyFrozen
            | Quirk::AttachmentSizeWrong
            | Quirk::SyncLosesChange
            | Quirk::SyncIncludesLastWrong
            | Quirk::NoSentItemsCopy
            | Quirk::BccVisible
            | Quirk::AutodiscoverWrongEwsUrl
            | Quirk::TimezoneBiasSign
            | Quirk::MergedFreeBusyShifted
            | Quirk::DelegateWriteAllowed
            | Quirk::PhotoMissingAsMessage => {
                assert_eq!(
                    success.body, normal_add,
                    "{quirk} leaves IM responses alone"
                );
                continue;
            }
        }
        // Every quirk changes at least one of the common responses.
        let changed = [
            success.body != normal_add,
            failure.body != post(&normal, &error).body,
            faulted.body != normal_fault.body || faulted.status != normal_fault.status,
            faulted.content_type != normal_fault.content_type,
        ];
        assert!(changed.iter().any(|c| *c), "{quirk} changes nothing");
    }
}

/// The documented IM examples (with the known doc errors fixed: `http://` namespaces, the
/// required DisplayName added, the schema's persona e-mail element names), sent in a realistic
/// order with real ids, must get the documented response bodies (ids, change keys, creation
/// times and mailbox GUIDs masked as `*`). The expectations are written here in compact form.
/// Not replayed: GetImItemList/02 and GetImItems/02, whose personas merge an Outlook contact
/// (given name, phones, a second attribution) that the IM operations cannot create.
mod doc_examples {
    use super::*;

    /// Canonical form: `{ns}local[attrs](text|children)`, attributes sorted, text trimmed,
    /// dynamic values masked.
    fn canonical(xml: &str) -> String {
        let mut reader = quick_xml::NsReader::from_str(xml);
        let mut out = String::new();
        let mut stack: Vec<(String, bool)> = Vec::new();
        loop {
            let event = reader.read_resolved_event();
            let empty = matches!(event, Ok((_, Event::Empty(_))));
            match event {
                Ok((ns, Event::Start(e))) | Ok((ns, Event::Empty(e))) => {
                    let ns = match ns {
                        quick_xml::name::ResolveResult::Bound(n) => n.0.to_string(),
                        _ => String::new(),
                    };
                    let local = e.local_name().as_ref().to_string();
                    let mut attrs: Vec<String> = e
                        .attributes()
                        .flatten()
                        .filter(|a| a.key.as_namespace_binding().is_none())
                        .map(|a| {
                            let name = a.key.local_name().as_ref().to_string();
                            let value = if name == "Id" || name == "ChangeKey" {
                                "*".to_string()
                            } else {
                                a.value.to_string()
                            };
                            format!("{name}={value}")
                        })
                        .collect();
                    attrs.sort();
                    let masked =
                        local == "CreationTime" || attrs.iter().any(|a| a == "Name=MailboxGuid");
                    out.push_str(&format!(
                        "\n{}{{{ns}}}{local}[{}]",
                        "  ".repeat(stack.len()),
                        attrs.join(" ")
                    ));
                    if masked {
                        out.push_str(" *");
                    }
                    if !empty {
                        stack.push((local, masked));
                    }
                }
                Ok((_, Event::Text(t))) => {
                    let trimmed = t.trim();
                    let masked = stack.last().is_some_and(|(_, m)| *m);
                    if !trimmed.is_empty() && !masked {
                        out.push_str(&format!(" {trimmed:?}"));
                    }
                }
                Ok((_, Event::GeneralRef(r))) => out.push_str(&format!(" &{};", &*r)),
                Ok((_, Event::End(_))) => {
                    stack.pop();
                }
                Ok((_, Event::Eof)) => break,
                Err(error) => panic!("not XML: {error}: {xml}"),
                _ => {}
            }
        }
        out
    }

    /// Canonical form of the element inside `s:Body` of a response.
    fn body_of(response: &str) -> String {
        let start = response.find("<s:Body").expect("a body");
        let open_end = response[start..].find('>').expect("body tag") + start + 1;
        let end = response.rfind("</s:Body>").expect("body end");
        canonical(&format!(
            "<w xmlns=\"{M}\" xmlns:m=\"{M}\" xmlns:t=\"{T}\">{}</w>",
            &response[open_end..end]
        ))
    }

    fn expected(fragment: &str) -> String {
        canonical(&format!(
            "<w xmlns=\"{M}\" xmlns:m=\"{M}\" xmlns:t=\"{T}\">{fragment}</w>"
        ))
    }

    fn check(
        server: &RunningServer,
        example: &str,
        request_body: &str,
        expected_body: &str,
    ) -> String {
        let reply = post(server, &envelope(request_body));
        assert_eq!(reply.status, 200, "{example}: {}", reply.body);
        let actual = body_of(&reply.body);
        let wanted = expected(expected_body);
        assert!(
            actual == wanted,
            "{example}\n--- expected{wanted}\n--- actual{actual}"
        );
        reply.body
    }

    fn success(op: &str, payload: &str) -> String {
        format!(
            "<m:{op}Response ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode>{payload}</m:{op}Response>"
        )
    }

    fn error(op: &str, text: &str, code: &str) -> String {
        format!(
            "<m:{op}Response ResponseClass=\"Error\"><m:MessageText>{text}</m:MessageText><m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:{op}Response>"
        )
    }

    fn group(name: &str, group_type: &str) -> String {
        format!(
            "<m:ImGroup><t:DisplayName>{name}</t:DisplayName><t:GroupType>{group_type}</t:GroupType><t:ExchangeStoreId Id=\"*\" ChangeKey=\"*\"/></m:ImGroup>"
        )
    }

    fn attributed(list: &str, value: &str) -> String {
        format!(
            "<t:{list}><t:StringAttributedValue><t:Value>{value}</t:Value><t:Attributions><t:Attribution>0</t:Attribution></t:Attributions></t:StringAttributedValue></t:{list}>"
        )
    }

    fn tony_smith_persona() -> String {
        let email = "<t:Name>Tony Smith</t:Name><t:EmailAddress>tsmith@contoso.com</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType>";
        format!(
            "<m:Persona><t:PersonaId Id=\"*\"/><t:PersonaType>Person</t:PersonaType><t:CreationTime>2012-01-05T23:06:58Z</t:CreationTime>\
             <t:DisplayName>Tony Smith</t:DisplayName><t:DisplayNameFirstLast>Tony Smith</t:DisplayNameFirstLast><t:DisplayNameLastFirst>Tony Smith</t:DisplayNameLastFirst>\
             <t:FileAsId>None</t:FileAsId><t:EmailAddress>{email}</t:EmailAddress><t:EmailAddresses><t:Address>{email}</t:Address></t:EmailAddresses>\
             <t:ImAddress>tsmith@contoso.com</t:ImAddress><t:RelevanceScore>2147483647</t:RelevanceScore>\
             <t:Attributions><t:Attribution><t:Id>0</t:Id><t:SourceId Id=\"*\" ChangeKey=\"*\"/><t:DisplayName>Outlook</t:DisplayName><t:IsWritable>true</t:IsWritable><t:IsQuickContact>true</t:IsQuickContact><t:IsHidden>false</t:IsHidden><t:FolderId Id=\"*\" ChangeKey=\"*\"/></t:Attribution></t:Attributions>\
             {}{}<t:Emails1><t:EmailAddressAttributedValue><t:Value>{email}</t:Value><t:Attributions><t:Attribution>0</t:Attribution></t:Attributions></t:EmailAddressAttributedValue></t:Emails1>{}</m:Persona>",
            attributed("DisplayNames", "Tony Smith"),
            attributed("FileAsIds", "None"),
            attributed("ImAddresses", "tsmith@contoso.com"),
        )
    }

    #[test]
    fn documented_requests_get_documented_responses() {
        let mut config = ServerConfig::default();
        config.distribution_groups.push(
            ews_conformance::reference_server::DistributionGroupConfig {
                smtp_address: "distributionlist1@example.com".into(),
                display_name: "Distribution List 1".into(),
                members: Vec::new(),
            },
        );
        let server = server_with(config);

        let reply = check(
            &server,
            "AddImGroup/02",
            "<m:AddImGroup><m:DisplayName>MyCustomGroup</m:DisplayName></m:AddImGroup>",
            &success(
                "AddImGroup",
                &group("MyCustomGroup", "IPM.DistList.MOC.UserGroup"),
            ),
        );
        let group_id = attrs(&reply, "ExchangeStoreId", "Id").remove(0);

        let reply = check(
            &server,
            "AddNewImContactToGroup/02",
            &format!(
                "<m:AddNewImContactToGroup><m:ImAddress>tsmith@contoso.com</m:ImAddress><m:DisplayName>Tony Smith</m:DisplayName><m:GroupId Id=\"{group_id}\" ChangeKey=\"EgAAAA==\"/></m:AddNewImContactToGroup>"
            ),
            &success("AddNewImContactToGroup", &tony_smith_persona()),
        );
        let contact = attrs(&reply, "SourceId", "Id").remove(0);

        let bob_list = post_as(
            &server,
            Some(("bob", "bob-password")),
            &envelope("<m:GetImItemList/>"),
        )
        .body;
        let bob_group = attrs(&bob_list, "ExchangeStoreId", "Id").remove(0);
        let mut nonexistent = error(
            "AddNewImContactToGroup",
            "No mailbox with such guid.",
            "ErrorNonExistentMailbox",
        );
        nonexistent = nonexistent.replace(
            "</m:AddNewImContactToGroupResponse>",
            "<m:MessageXml><t:Value Name=\"MailboxGuid\">d5fasdadcw3d-23de-2341-8f59-b71523fsddda</t:Value></m:MessageXml></m:AddNewImContactToGroupResponse>",
        );
        check(
            &server,
            "AddNewImContactToGroup/03",
            &format!(
                "<m:AddNewImContactToGroup><m:ImAddress>tsmith@contoso.com</m:ImAddress><m:DisplayName>Tony Smith</m:DisplayName><m:GroupId Id=\"{bob_group}\"/></m:AddNewImContactToGroup>"
            ),
            &nonexistent,
        );

        let second = add_group(&server, "MyCustomGroup2").0;
        check(
            &server,
            "AddImContactToGroup/02",
            &format!(
                "<m:AddImContactToGroup><m:ContactId Id=\"{contact}\"/><m:GroupId Id=\"{second}\"/></m:AddImContactToGroup>"
            ),
            &success("AddImContactToGroup", ""),
        );
        let remove_from_group = format!(
            "<m:RemoveImContactFromGroup><m:ContactId Id=\"{contact}\"/><m:GroupId Id=\"{group_id}\"/></m:RemoveImContactFromGroup>"
        );
        check(
            &server,
            "RemoveImContactFromGroup/02",
            &remove_from_group,
            &success("RemoveImContactFromGroup", ""),
        );
        check(
            &server,
            "RemoveImContactFromGroup/03",
            &remove_from_group,
            &error(
                "RemoveImContactFromGroup",
                "The specified Im Contact Id is invalid.",
                "ErrorInvalidImContactId",
            ),
        );

        check(
            &server,
            "SetImGroup/02",
            &format!(
                "<m:SetImGroup><m:GroupId Id=\"{second}\"/><m:NewDisplayName>MyNewGroupName</m:NewDisplayName></m:SetImGroup>"
            ),
            &success("SetImGroup", ""),
        );
        check(
            &server,
            "SetImGroup/03",
            &format!(
                "<m:SetImGroup><m:GroupId Id=\"{group_id}\"/><m:NewDisplayName>MyNewGroupName</m:NewDisplayName></m:SetImGroup>"
            ),
            &error(
                "SetImGroup",
                "An IM group with the specified display name already exists.",
                "ErrorImGroupDisplayNameAlreadyExists",
            ),
        );

        let reply = check(
            &server,
            "AddDistributionGroupToImList/02",
            "<m:AddDistributionGroupToImList><m:SmtpAddress>distributionlist1@example.com</m:SmtpAddress><m:DisplayName>distributionlist1@example.com</m:DisplayName></m:AddDistributionGroupToImList>",
            &success(
                "AddDistributionGroupToImList",
                &group("distributionlist1@example.com", "IPM.DistList.MOC.DG"),
            ),
        );
        let dg = attrs(&reply, "ExchangeStoreId", "Id").remove(0);
        check(
            &server,
            "AddDistributionGroupToImList/03",
            "<m:AddDistributionGroupToImList><m:SmtpAddress>nosuchlist@example.com</m:SmtpAddress><m:DisplayName>x</m:DisplayName></m:AddDistributionGroupToImList>",
            &error(
                "AddDistributionGroupToImList",
                "The specified IM distribution group SMTP address is invalid.",
                "ErrorInvalidImDistributionGroupSmtpAddress",
            ),
        );
        let remove_dg = format!(
            "<m:RemoveDistributionGroupFromImList><m:GroupId Id=\"{dg}\"/></m:RemoveDistributionGroupFromImList>"
        );
        check(
            &server,
            "RemoveDistributionGroupFromImList/02",
            &remove_dg,
            &success("RemoveDistributionGroupFromImList", ""),
        );
        check(
            &server,
            "RemoveDistributionGroupFromImList/03",
            &remove_dg,
            &error(
                "RemoveDistributionGroupFromImList",
                "The specified object was not found in the store.",
                "ErrorItemNotFound",
            ),
        );

        let remove_contact = format!(
            "<m:RemoveContactFromImList><m:ContactId Id=\"{contact}\"/></m:RemoveContactFromImList>"
        );
        check(
            &server,
            "RemoveContactFromImList/02",
            &remove_contact,
            &success("RemoveContactFromImList", ""),
        );
        check(
            &server,
            "RemoveContactFromImList/03",
            &remove_contact,
            &error(
                "RemoveContactFromImList",
                "The specified object was not found in the store.",
                "ErrorItemNotFound",
            ),
        );
        check(
            &server,
            "AddImContactToGroup/03",
            &format!(
                "<m:AddImContactToGroup><m:ContactId Id=\"{contact}\"/><m:GroupId Id=\"{second}\"/></m:AddImContactToGroup>"
            ),
            &error(
                "AddImContactToGroup",
                "The specified Im Contact Id is invalid.",
                "ErrorInvalidImContactId",
            ),
        );

        let remove_group = format!(
            "<m:RemoveImGroup><m:GroupId Id=\"{group_id}\" ChangeKey=\"EgAAAA==\"/></m:RemoveImGroup>"
        );
        check(
            &server,
            "RemoveImGroup/02",
            &remove_group,
            &success("RemoveImGroup", ""),
        );
        check(
            &server,
            "RemoveImGroup/03",
            &remove_group,
            &error(
                "RemoveImGroup",
                "The specified Im Group Id is invalid.",
                "ErrorInvalidImGroupId",
            ),
        );
        check(
            &server,
            "RemoveImGroup/04",
            "<m:RemoveImGroup><m:GroupId Id=\"AAMkAGQ1MjJjMTBkLTc4Y2UtNDA5hQoTbWAAAAAAQRAAA=\" ChangeKey=\"EgAAAA==\"/></m:RemoveImGroup>",
            &error(
                "RemoveImGroup",
                "Id is malformed.",
                "ErrorInvalidIdMalformed",
            ),
        );
    }

    #[test]
    fn documented_faults() {
        let server = server();
        // GetImItemList/03: the whole response, byte for byte in canonical form.
        let reply = post(
            &server,
            &envelope_with_header(
                "<t:RequestServerVersion Version=\"Exchange2010_SP2\"/>",
                "<m:GetImItemList/>",
            ),
        );
        assert_eq!(reply.status, 500);
        let message = "The request is valid but does not specify the correct server version in the RequestServerVersion SOAP header.  Ensure that the RequestServerVersion SOAP header is set with the correct RequestServerVersionValue.";
        let documented = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="{T}">a:ErrorIncorrectSchemaVersion</faultcode><faultstring xml:lang="en-US">{message}</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorIncorrectSchemaVersion</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{message}</e:Message></detail></s:Fault></s:Body></s:Envelope>"#
        );
        assert_eq!(canonical(&reply.body), canonical(&documented));

        // AddImGroup/03: a raw `&` in the display name on line 11; the position is that of the
        // character after `&` (here 33, as in the documented fault).
        let request = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"\n               xmlns:t=\"{T}\"\n               xmlns:m=\"{M}\">\n   <soap:Header>\n      <t:RequestServerVersion Version=\"Exchange2013\" />\n      <t:MailboxCulture>en-US</t:MailboxCulture>\n   </soap:Header>\n   <soap:Body >\n      <m:AddImGroup>\n         <m:DisplayName>Design & Build</m:DisplayName>\n      </m:AddImGroup>\n   </soap:Body>\n</soap:Envelope>"
        );
        let reply = post(&server, &request);
        let violation = "An error occurred while parsing EntityName. Line 11, position 33.";
        let documented = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="{T}">a:ErrorSchemaValidation</faultcode><faultstring xml:lang="en-US">The request failed schema validation: {violation}</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorSchemaValidation</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The request failed schema validation.</e:Message><t:MessageXml xmlns:t="{T}"><t:LineNumber>11</t:LineNumber><t:LinePosition>33</t:LinePosition><t:Violation>{violation}</t:Violation></t:MessageXml></detail></s:Fault></s:Body></s:Envelope>"#
        );
        assert_eq!(reply.status, 500);
        assert_eq!(canonical(&reply.body), canonical(&documented));
    }
}

/// A cheap stand-in for the `request_parser` fuzz target that runs on stable in every test
/// run: thousands of deterministic mutations of valid requests go through the parser and
/// validator, which must answer (request or fault) without panicking, the same way twice.
#[test]
fn mutated_requests_never_panic_the_parser() {
    use ews_conformance::reference_server::check_request;
    let seeds = [
        envelope("<m:AddImGroup><m:DisplayName>MyCustomGroup</m:DisplayName></m:AddImGroup>"),
        envelope(
            "<m:GetImItems><m:ContactIds><t:ItemId Id=\"a\"/></m:ContactIds><m:ExtendedProperties><t:ExtendedProperty PropertyTag=\"0x3001\" PropertyType=\"String\"/></m:ExtendedProperties></m:GetImItems>",
        ),
        envelope_with_header(
            "<t:RequestServerVersion Version=\"Exchange2013\"/><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>bob@contoso.com</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>",
            "<m:AddNewImContactToGroup><m:ImAddress>sip:a@b.c</m:ImAddress><m:DisplayName>A &amp; B</m:DisplayName><m:GroupId Id=\"x\"/></m:AddNewImContactToGroup>",
        ),
    ];
    for seed in &seeds {
        assert!(
            check_request(seed.as_bytes()).is_ok(),
            "seed is valid: {seed}"
        );
    }
    let tokens: [&[u8]; 10] = [
        b"<",
        b">",
        b"&",
        b"&#x0;",
        b"]]>",
        b"<!DOCTYPE a>",
        b"xmlns:m=\"\"",
        b"\xff",
        b"</m:x>",
        b"<![CDATA[",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound.max(1) as u64) as usize
    };
    let mut faults = 0;
    for round in 0..6_000 {
        let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
        for _ in 0..1 + next(4) {
            if bytes.is_empty() {
                bytes.push(b'<');
            }
            let at = next(bytes.len());
            match next(5) {
                0 => bytes[at] ^= 1 << next(8),
                1 => {
                    let end = (at + next(40)).min(bytes.len());
                    bytes.drain(at..end);
                }
                2 => {
                    let token = tokens[next(tokens.len())];
                    bytes.splice(at..at, token.iter().copied());
                }
                3 => bytes.truncate(at),
                _ => {
                    let end = (at + next(60)).min(bytes.len());
                    let copy = bytes[at..end].to_vec();
                    bytes.splice(at..at, copy);
                }
            }
        }
        let first = check_request(&bytes);
        assert_eq!(first, check_request(&bytes));
        faults += usize::from(first.is_err());
    }
    assert!(
        faults > 1_000,
        "mutations mostly break requests ({faults} faults)"
    );
}

/// An EWS operation the server does not implement is refused so that clients show "not
/// implemented by this server" naming it (exchangelib shows `e:Message` with the code's class,
/// ews-javascript-api shows `e:Message`; see the crate docs): `ErrorInvalidOperation`, never
/// `ErrorInvalidRequest`, which exchangelib reads as a version mismatch and retries.
#[test]
fn an_operation_the_server_does_not_implement_is_refused_by_name() {
    let server = server();
    for (operation, body) in [
        // Operations no area of the server implements (eDiscovery, passwords).
        ("GetSearchableMailboxes", "<m:GetSearchableMailboxes/>"),
        (
            "GetDiscoverySearchConfiguration",
            "<m:GetDiscoverySearchConfiguration><m:SearchId>s</m:SearchId></m:GetDiscoverySearchConfiguration>",
        ),
        (
            "GetPasswordExpirationDate",
            "<m:GetPasswordExpirationDate/>",
        ),
    ] {
        for version in ["Exchange2013", "Exchange2016"] {
            let reply = post(
                &server,
                &envelope_with_header(
                    &format!("<t:RequestServerVersion Version=\"{version}\"/>"),
                    body,
                ),
            );
            assert_fault(&reply, "ErrorInvalidOperation");
            let expected = format!("The operation {operation} is not implemented by this server.");
            assert_eq!(text(&reply.body, "faultstring"), expected, "{}", reply.body);
            assert_eq!(text(&reply.body, "Message"), expected, "{}", reply.body);
        }
    }
    // Not an EWS operation at all: undeclared, as Exchange's schema check says.
    let reply = post(&server, &envelope("<m:GetEverything/>"));
    assert_fault(&reply, "ErrorSchemaValidation");
}

/// HTTPS with a generated certificate: a client that trusts exactly that certificate gets the
/// same answers as over HTTP; one that does not trust it is refused by its own TLS check.
#[test]
fn https_with_a_self_signed_certificate_serves_clients_that_trust_it() {
    use ews_conformance::reference_server::TlsIdentity;
    let identity = TlsIdentity::self_signed().expect("certificate");
    let cert_pem = identity.cert_pem().to_string();
    let server = server_with(ServerConfig {
        tls: Some(identity),
        ..ServerConfig::default()
    });
    assert!(
        server.url().starts_with("https://127.0.0.1:"),
        "{}",
        server.url()
    );
    for host in ["127.0.0.1", "localhost"] {
        let url = server.url().replace("127.0.0.1", host);
        let trusting = reqwest::blocking::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("pem"))
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client");
        let response = trusting
            .post(&url)
            .basic_auth("alice", Some("alice-password"))
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(envelope("<m:GetImItemList/>"))
            .send()
            .expect("https request is answered");
        assert_eq!(response.status().as_u16(), 200, "{url}");
        let body = response.text().expect("body");
        assert_strict_xml(&body);
        assert_eq!(text(&body, "ResponseCode"), "NoError", "{body}");
    }
    let error = client()
        .post(server.url())
        .body(envelope("<m:GetImItemList/>"))
        .send()
        .expect_err("an untrusted certificate is refused");
    assert!(error.is_connect(), "{error:?}");
    // A plain-HTTP client on the TLS port gets no EWS answer, and the server keeps serving.
    let plain = server.url().replace("https://", "http://");
    assert!(client().post(&plain).body("x").send().is_err());
}

/// `serve --tls-self-signed` writes the certificate where asked, prints its path and an https
/// URL, and answers a client that trusts the printed file.
#[test]
fn serve_tls_self_signed_prints_the_certificate_path_clients_trust() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("tempdir");
    let cert_path = dir.path().join("server.crt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ews-conformance"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-self-signed",
            "--tls-cert-out",
        ])
        .arg(&cert_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut banner = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        let done = line.contains("Ctrl-C");
        banner.push(line);
        if done {
            break;
        }
    }
    let url = banner
        .first()
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_default()
        .to_string();
    let printed = banner
        .iter()
        .find_map(|l| l.strip_prefix("self-signed certificate (trust it in clients): "))
        .map(std::path::PathBuf::from);
    let _guard = KillOnDrop(child);
    assert!(url.starts_with("https://127.0.0.1:"), "{banner:?}");
    assert_eq!(printed.as_deref(), Some(cert_path.as_path()), "{banner:?}");
    let pem = std::fs::read(&cert_path).expect("certificate written");
    let response = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
        .post(&url)
        .basic_auth("bob", Some("bob-password"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(envelope("<m:GetImItemList/>"))
        .send()
        .expect("https request is answered");
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().unwrap_or_default();
    assert_strict_xml(&body);
    assert!(body.contains("GetImItemListResponse"), "{body}");
}

/// Kills (and reaps) a child process this test started, also when the test fails.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server names its target variables itself; they must be the harness's built-in ones.
#[test]
fn the_server_target_variables_are_the_harness_built_in_variables() {
    use ews_conformance::target::vars;
    let mut harness: Vec<&str> = vars::ALL
        .iter()
        .copied()
        .filter(|v| *v != vars::RUN_ID)
        .collect();
    harness.sort_unstable();
    let mut server = ews_conformance::reference_server::vars::ALL.to_vec();
    server.sort_unstable();
    assert_eq!(server, harness);
}

/// The strict checker used on every response above rejects what it must.
#[test]
fn the_strict_response_checker_rejects_ill_formed_xml() {
    assert_eq!(strict_xml("<a b=\"1\">x&amp;&#x41;</a>"), Ok(()));
    for bad in [
        "<a>\u{0}</a>",
        "<a>\u{1}</a>",
        "<a>&#0;</a>",
        "<a b=\"&#x1;\"/>",
        "<a>&#xFFFE;</a>",
        "<a>",
        "<a></b>",
        "<a/><b/>",
        "<p:a/>",
        "<a b=\"1\" b=\"2\"/>",
        "<a>&nbsp;</a>",
        "x<a/>",
    ] {
        assert!(strict_xml(bad).is_err(), "accepted {bad:?}");
    }
}

/// The registry is complete and consistent: its lines are the 125 EWS operations, each once,
/// in order; every implemented operation has its cases folder
/// (`cases/<family>/<snake_case_operation>/`, holding at least one case) and is refused by
/// nothing; every other one is refused as not implemented.
#[test]
fn every_implemented_operation_has_cases_and_every_ews_operation_is_accounted_for() {
    use ews_conformance::operations;
    use ews_conformance::reference_server::registry::{self, REGISTRY};
    let lines: Vec<&str> = REGISTRY.iter().map(|entry| entry.name()).collect();
    let all: Vec<&str> = operations::ALL.iter().map(|o| o.name).collect();
    assert_eq!(
        lines, all,
        "one registry line per EWS operation, sorted by name"
    );
    assert_eq!(all.len(), 125);
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    let mut implemented = 0;
    for op in registry::implemented_operations() {
        implemented += 1;
        let folder = cases.join(op.cases_folder());
        let yaml = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("{}: no cases folder {}: {e}", op.name, folder.display()))
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
            .count();
        assert!(yaml > 0, "{}: {} holds no case", op.name, folder.display());
        assert!(!registry::is_not_implemented(op.name), "{}", op.name);
    }
    assert!(implemented > 0);
    // The other direction: a cases folder named after an EWS operation belongs to an
    // implemented operation of that family (cases for an unregistered operation would only
    // ever fail, and a family typo would leave an operation without its cases).
    let folders: std::collections::BTreeSet<String> = registry::implemented_operations()
        .map(|op| op.cases_folder())
        .collect();
    for family in std::fs::read_dir(&cases)
        .expect("cases/")
        .filter_map(Result::ok)
    {
        let Ok(children) = std::fs::read_dir(family.path()) else {
            continue;
        };
        for child in children.filter_map(Result::ok) {
            let name = child.file_name().to_string_lossy().into_owned();
            if all.iter().any(|op| registry::snake_case(op) == name) {
                let folder = format!("{}/{name}", family.file_name().to_string_lossy());
                assert!(
                    folders.contains(&folder),
                    "cases/{folder} is named after an EWS operation that is not implemented \
                     in family {}",
                    family.file_name().to_string_lossy()
                );
            }
        }
    }
    assert_eq!(
        registry::not_implemented_operations().count(),
        125 - implemented
    );
}

/// `Id=""` is ErrorInvalidIdEmpty wherever an id is resolved; GetImItems skips it as it skips
/// every id it cannot use.
#[test]
fn an_empty_id_is_error_invalid_id_empty() {
    let server = server();
    for (op, body) in [
        ("RemoveImGroup", "<m:RemoveImGroup><m:GroupId Id=\"\"/></m:RemoveImGroup>".to_string()),
        ("SetImGroup", "<m:SetImGroup><m:GroupId Id=\"\" ChangeKey=\"\"/><m:NewDisplayName>x</m:NewDisplayName></m:SetImGroup>".to_string()),
        ("RemoveContactFromImList", "<m:RemoveContactFromImList><m:ContactId Id=\"\"/></m:RemoveContactFromImList>".to_string()),
        ("AddNewImContactToGroup", "<m:AddNewImContactToGroup><m:ImAddress>sip:x@contoso.com</m:ImAddress><m:GroupId Id=\"\"/></m:AddNewImContactToGroup>".to_string()),
        ("RemoveDistributionGroupFromImList", "<m:RemoveDistributionGroupFromImList><m:GroupId Id=\"\"/></m:RemoveDistributionGroupFromImList>".to_string()),
    ] {
        let reply = post(&server, &envelope(&body));
        assert_error(&reply, op, "ErrorInvalidIdEmpty", "Id is empty.");
    }
    let reply = post(
        &server,
        &envelope("<m:GetImItems><m:GroupIds><t:ItemId Id=\"\"/></m:GroupIds></m:GetImItems>"),
    );
    assert_success(&reply, "GetImItems");
}

/// A NUL, another C0 control or a character reference XML 1.0 forbids is an ErrorSchemaValidation
/// fault at its line and position, and never reaches a response (every body here also passes
/// the strict checker in `post_as`); legal but hostile text comes back escaped, intact.
#[test]
fn forbidden_characters_are_faults_and_hostile_text_is_escaped() {
    let server = server();
    let add_group = |name: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:t=\"{T}\" xmlns:m=\"{M}\">\n<soap:Header><t:RequestServerVersion Version=\"Exchange2013\"/></soap:Header>\n<soap:Body><m:AddImGroup><m:DisplayName>{name}</m:DisplayName></m:AddImGroup></soap:Body>\n</soap:Envelope>"
        )
    };
    // Line 4 is the body line; the display name starts at column 41. (U+007F is a legal Char.)
    for (name, column) in [
        ("a\u{0}b", 42),
        ("\u{1}", 41),
        ("tab\tok\u{1b}", 47),
        ("x\u{7f}y\u{8}", 44),
    ] {
        let reply = post(&server, &add_group(name));
        assert_fault(&reply, "ErrorSchemaValidation");
        assert_eq!(
            text(&reply.body, "LineNumber"),
            "4",
            "{name:?}: {}",
            reply.body
        );
        assert_eq!(
            text(&reply.body, "LinePosition"),
            column.to_string(),
            "{name:?}: {}",
            reply.body
        );
        assert!(text(&reply.body, "Violation").contains("is an invalid character"));
    }
    for reference in [
        "&#0;",
        "&#x1;",
        "&#x1F;",
        "&#xFFFE;",
        "&#xD800;",
        "&#1114112;",
    ] {
        let reply = post(&server, &add_group(&format!("name{reference}")));
        assert_fault(&reply, "ErrorSchemaValidation");
        assert_eq!(text(&reply.body, "LineNumber"), "4", "{reference}");
        assert!(
            text(&reply.body, "Violation")
                .contains(&format!("Invalid character reference '{reference}'")),
            "{reference}: {}",
            reply.body
        );
    }
    // In an attribute value, raw or by reference.
    for id in ["\u{2}", "&#x2;"] {
        let reply = post(
            &server,
            &envelope(&format!(
                "<m:RemoveImGroup><m:GroupId Id=\"{id}\"/></m:RemoveImGroup>"
            )),
        );
        assert_fault(&reply, "ErrorSchemaValidation");
    }
    // Legal but hostile: markup characters, a CDATA end, quotes, CR, astral characters.
    let hostile = "</m:DisplayName><x a=\"'\">&amp;]]>\r\n\u{10FFFF}\u{FFFD}";
    let escaped = hostile
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\r', "&#xD;");
    let reply = post(&server, &add_group(&escaped));
    assert_success(&reply, "AddImGroup");
    assert!(item_list(&server).contains("&lt;/m:DisplayName&gt;&lt;x a="));
    let mut reader = quick_xml::Reader::from_str(&reply.body);
    let mut names = Vec::new();
    let mut inside = false;
    loop {
        match reader.read_event().expect("strict XML") {
            Event::Start(e) if e.local_name().as_ref() == "DisplayName" => inside = true,
            Event::Text(t) if inside => names.push(t.to_string()),
            Event::GeneralRef(r) if inside => {
                let value = r
                    .resolve_char_ref()
                    .expect("char ref")
                    .map(String::from)
                    .unwrap_or_else(|| {
                        quick_xml::escape::resolve_predefined_entity(&r)
                            .expect("predefined entity")
                            .to_string()
                    });
                names.push(value);
            }
            Event::End(e) if e.local_name().as_ref() == "DisplayName" => inside = false,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(names.concat(), hostile, "{}", reply.body);
    // A violation message quoting request text escapes it.
    let reply = post(
        &server,
        &envelope(
            "<m:SetImListMigrationCompleted><m:ImListMigrationCompleted>&lt;b&gt;&amp;&quot;</m:ImListMigrationCompleted></m:SetImListMigrationCompleted>",
        ),
    );
    assert_fault(&reply, "ErrorSchemaValidation");
    assert!(
        text(&reply.body, "Violation").contains("'<b>&\"'"),
        "{}",
        reply.body
    );
}

/// Raises this process's open-file limit to `wanted` when it is lower (Linux `prlimit`), so the
/// test can hold its connections; says so when it cannot.
fn ensure_open_files(wanted: u64) {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(3)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        });
    if soft.is_some_and(|soft| soft < wanted) {
        let status = std::process::Command::new("prlimit")
            .arg(format!("--pid={}", std::process::id()))
            .arg(format!("--nofile={wanted}:{wanted}"))
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "this test needs {wanted} open files (ulimit -n {wanted}); prlimit could not raise the limit"
        );
    }
}

/// With 1,024 idle connections held open (the default `max_connections`), half never sending a
/// byte and half idle on keep-alive after a request, a new client is answered within one second:
/// the server closes the longest-idle connection to make room instead of making it wait.
#[test]
fn a_new_client_is_answered_within_a_second_while_1024_idle_connections_are_held() {
    ensure_open_files(8192);
    let server = server();
    assert_eq!(ServerConfig::default().max_connections, 1024);
    let request = envelope("<m:GetImItemList/>");
    let head = format!(
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        server.addr(),
        request.len()
    );
    let mut idle = Vec::with_capacity(1024);
    for i in 0..1024 {
        let mut stream = TcpStream::connect(server.addr()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        if i % 2 == 1 {
            // A complete request, then the connection stays open, idle, on keep-alive.
            stream.write_all(head.as_bytes()).expect("send head");
            stream.write_all(request.as_bytes()).expect("send body");
            let mut seen = Vec::new();
            let mut buf = [0u8; 8192];
            while !seen.ends_with(b"</s:Envelope>") {
                let n = stream.read(&mut buf).expect("response");
                assert!(n > 0, "closed before answering");
                seen.extend_from_slice(&buf[..n]);
            }
            assert!(
                seen.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&seen)
            );
        }
        idle.push(stream);
    }
    for round in 0..3 {
        let started = Instant::now();
        let reply = post(&server, &request);
        let took = started.elapsed();
        assert_eq!(reply.status, 200, "round {round}");
        assert!(
            took < Duration::from_secs(1),
            "round {round}: a new client waited {took:?} behind 1,024 idle connections"
        );
    }
    // The room was made by closing idle connections: some of ours now read end-of-file.
    std::thread::sleep(Duration::from_millis(100));
    let mut closed = 0;
    for stream in &mut idle {
        stream.set_nonblocking(true).expect("nonblocking");
        let mut buf = [0u8; 1];
        if matches!(stream.read(&mut buf), Ok(0)) {
            closed += 1;
        }
    }
    assert!(closed >= 1, "no idle connection was closed");
}

/// Over HTTPS too: clients that connect and never start the TLS handshake are idle, and a full
/// server closes one of them for a new client instead of making it wait for the handshake
/// timeout.
#[test]
fn https_clients_stalled_before_the_handshake_do_not_starve_new_ones() {
    use ews_conformance::reference_server::TlsIdentity;
    let identity = TlsIdentity::self_signed().expect("certificate");
    let trust = reqwest::Certificate::from_pem(identity.cert_pem().as_bytes()).expect("pem");
    let server = server_with(ServerConfig {
        tls: Some(identity),
        max_connections: 8,
        ..ServerConfig::default()
    });
    let _stalled: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(server.addr()).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    for round in 0..3 {
        let client = reqwest::blocking::Client::builder()
            .add_root_certificate(trust.clone())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client");
        let started = Instant::now();
        let response = client
            .post(server.url())
            .basic_auth("alice", Some("alice-password"))
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(envelope("<m:GetImItemList/>"))
            .send()
            .expect("answered");
        let took = started.elapsed();
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            took < Duration::from_secs(1),
            "round {round}: waited {took:?}"
        );
    }
}
