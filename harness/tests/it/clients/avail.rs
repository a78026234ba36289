//! Real clients over the availability and settings operations: exchangelib's
//! `protocol.get_free_busy_info` (GetServerTimeZones, then GetUserAvailability),
//! `Account.delegates` and inbox rules (`exchangelib_avail.py`); ews-javascript-api's
//! GetUserAvailability, UserConfiguration, inbox rules and delegates (`ewsjs_avail.js`). Each
//! test asserts what the client itself parsed.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Client, run, server};

/// `result[key]` as a string.
fn text<'a>(result: &'a Value, pointer: &str) -> &'a str {
    result
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {result}"))
}

/// Runs the exchangelib free/busy `scenario` (window 08:00-12:00 UTC of 2031-04-07, its start
/// written in the scenario's zone as `window_start`) and checks what the client parsed.
fn exchangelib_free_busy(scenario: &str, window_start: &str) {
    let server = server();
    let Some(result) = run(Client::Exchangelib, scenario, &server) else {
        return;
    };
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(text(&result, "/window_start"), window_start, "{result}");
    let tag = text(&result, "/tag");
    let own = &result["views"][0];
    assert_eq!(own["view_type"], "DetailedMerged", "{result}");
    // 08:00-12:00 UTC by the half hour: busy 09:00-10:00, tentative 11:00-11:30.
    assert_eq!(own["merged"], "00220010", "{result}");
    assert_eq!(
        own["events"],
        json!([
            {"start": "2031-04-07T09:00:00+00:00", "end": "2031-04-07T10:00:00+00:00",
             "busy_type": "Busy", "subject": format!("{tag} busy")},
            {"start": "2031-04-07T11:00:00+00:00", "end": "2031-04-07T11:30:00+00:00",
             "busy_type": "Tentative", "subject": format!("{tag} maybe")},
        ]),
        "{result}"
    );
    assert_eq!(own["working_days"], json!([[1, 2, 3, 4, 5]]), "{result}");
    let bob = &result["views"][1];
    assert_eq!(bob["view_type"], "FreeBusyMerged", "{result}");
    assert_eq!(bob["merged"], "00000000", "{result}");
    assert_eq!(bob["events"], json!([]), "{result}");
    server.shutdown();
}

#[test]
fn exchangelib_get_free_busy_info_reads_two_mailboxes() {
    exchangelib_free_busy("avail/free_busy", "2031-04-07T08:00:00+00:00");
}

#[test]
fn exchangelib_get_free_busy_info_in_a_daylight_time_zone() {
    exchangelib_free_busy("avail/free_busy_copenhagen", "2031-04-07T10:00:00+02:00");
}

/// Sends `body` as alice (SOAP 1.1, Exchange2013) and returns the response text.
fn post_as_alice(server: &ews_conformance::reference_server::RunningServer, body: &str) -> String {
    let envelope = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">
  <soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>
  <soap:Body>{body}</soap:Body>
</soap:Envelope>"#
    );
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
        .post(server.url())
        .header("Content-Type", "text/xml; charset=utf-8")
        .basic_auth("alice", Some("alice-password"))
        .body(envelope)
        .send()
        .expect("answered")
        .text()
        .expect("body")
}

#[test]
fn exchangelib_reads_the_delegates_of_the_account() {
    let server = server();
    let added = post_as_alice(
        &server,
        "<m:AddDelegate><m:Mailbox><t:EmailAddress>alice@contoso.com</t:EmailAddress></m:Mailbox><m:DelegateUsers><t:DelegateUser><t:UserId><t:PrimarySmtpAddress>bob@contoso.com</t:PrimarySmtpAddress></t:UserId><t:DelegatePermissions><t:CalendarFolderPermissionLevel>Reviewer</t:CalendarFolderPermissionLevel><t:InboxFolderPermissionLevel>Editor</t:InboxFolderPermissionLevel></t:DelegatePermissions><t:ViewPrivateItems>true</t:ViewPrivateItems></t:DelegateUser></m:DelegateUsers></m:AddDelegate>",
    );
    assert!(added.contains("ResponseClass=\"Success\""), "{added}");
    let Some(result) = run(Client::Exchangelib, "avail/delegates", &server) else {
        return;
    };
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(
        result["delegates"],
        json!([{
            "address": "bob@contoso.com",
            "display_name": "Bob Kelly",
            "calendar": "Reviewer",
            "inbox": "Editor",
            "view_private_items": true,
        }]),
        "{result}"
    );
    server.shutdown();
}

#[test]
fn exchangelib_inbox_rules_move_matching_mail_and_change() {
    let server = server();
    let Some(result) = run(Client::Exchangelib, "avail/rules", &server) else {
        return;
    };
    assert_eq!(result["ok"], true, "{result}");
    let tag = text(&result, "/tag");
    assert_eq!(
        result["created"],
        json!([[format!("{tag} to junk"), 1, true, [tag]]]),
        "{result}"
    );
    let before = &result["junk_total_unread_inbox_total_before"];
    let after = &result["junk_total_unread_inbox_total_after"];
    let n = |v: &Value, i: usize| v[i].as_i64().unwrap_or(-1);
    // The matching message went to Junk, read; the other one stayed in the Inbox.
    assert_eq!(n(after, 0), n(before, 0) + 1, "{result}");
    assert_eq!(n(after, 1), n(before, 1), "{result}");
    assert_eq!(n(after, 2), n(before, 2) + 1, "{result}");
    assert_eq!(
        result["changed"],
        json!([[format!("{tag} renamed"), false]]),
        "{result}"
    );
    assert_eq!(result["left"], json!([]), "{result}");
    server.shutdown();
}

#[test]
fn ewsjs_reads_free_busy_and_the_merged_statuses() {
    let server = server();
    let Some(result) = run(Client::EwsJavascriptApi, "avail/free_busy", &server) else {
        return;
    };
    assert_eq!(result["ok"], true, "{result}");
    let tag = text(&result, "/tag");
    let own = &result["views"][0];
    assert_eq!(own["result"], "Success", "{result}");
    assert_eq!(own["view_type"], "DetailedMerged", "{result}");
    // The client sends the window as the whole day: 48 half hours, busy 18-19, tentative 22.
    let merged: Vec<&str> = own["merged"]
        .as_array()
        .expect("merged")
        .iter()
        .map(|s| s.as_str().unwrap_or_default())
        .collect();
    assert_eq!(merged.len(), 48, "{result}");
    for (slot, status) in merged.iter().enumerate() {
        let wanted = match slot {
            18 | 19 => "Busy",
            22 => "Tentative",
            _ => "Free",
        };
        assert_eq!(*status, wanted, "slot {slot}: {result}");
    }
    assert_eq!(
        own["events"],
        json!([
            {"start": "2031-04-08T09:00:00.000Z", "end": "2031-04-08T10:00:00.000Z",
             "free_busy": "Busy", "subject": format!("{tag} Busy")},
            {"start": "2031-04-08T11:00:00.000Z", "end": "2031-04-08T11:30:00.000Z",
             "free_busy": "Tentative", "subject": format!("{tag} Tentative")},
        ]),
        "{result}"
    );
    let bob = &result["views"][1];
    assert_eq!(bob["view_type"], "FreeBusyMerged", "{result}");
    assert_eq!(bob["events"], json!([]), "{result}");
    server.shutdown();
}

#[test]
fn ewsjs_user_configuration_round_trip() {
    let server = server();
    let Some(result) = run(
        Client::EwsJavascriptApi,
        "avail/user_configuration",
        &server,
    ) else {
        return;
    };
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(
        result["read"],
        json!({"phone": "555-555-1111", "count": 7, "binary": "AQID"}),
        "{result}"
    );
    assert_eq!(result["updated"], "111-111-5555", "{result}");
    assert_eq!(
        result["after_delete"], "The specified object was not found in the store.",
        "{result}"
    );
    server.shutdown();
}

#[test]
fn ewsjs_inbox_rules_list_the_created_rule() {
    let server = server();
    let Some(result) = run(Client::EwsJavascriptApi, "avail/inbox_rules", &server) else {
        return;
    };
    assert_eq!(result["ok"], true, "{result}");
    let tag = text(&result, "/tag");
    let found = &result["found"][0];
    assert_eq!(found["name"], format!("{tag} flag"), "{result}");
    assert_eq!(found["priority"], 1, "{result}");
    assert_eq!(found["enabled"], true, "{result}");
    assert_eq!(found["subject_strings"], json!([tag]), "{result}");
    assert_eq!(found["mark_as_read"], true, "{result}");
    assert!(
        found["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{result}"
    );
    assert_eq!(result["left"], 0, "{result}");
    server.shutdown();
}

#[test]
fn ewsjs_manages_delegates() {
    let server = server();
    let Some(result) = run(Client::EwsJavascriptApi, "avail/delegates", &server) else {
        return;
    };
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["added"], json!(["Success"]), "{result}");
    assert_eq!(
        result["listed"],
        json!([{"result": "Success", "address": "carol@contoso.com", "inbox": "Editor", "calendar": "Reviewer"}]),
        "{result}"
    );
    assert_eq!(result["delivery"], "DelegatesAndMe", "{result}");
    assert_eq!(result["removed"], json!(["Success"]), "{result}");
    assert_eq!(
        result["removed_again"],
        json!(["ErrorNotDelegate"]),
        "{result}"
    );
    server.shutdown();
}
