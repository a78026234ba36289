//! Sending with real clients: exchangelib's `send_and_save()` and `send()` of a saved draft, its
//! `mime_content` read back and a message created from MIME content; ews-javascript-api's
//! EmailMessage Save, Bind, Update, SendAndSaveCopy, Send and Delete. Delivery is observed in
//! bob's Inbox through bob's own session of the client (scripts `exchangelib_send.py`,
//! `ewsjs_send.js`).

use serde_json::Value;

use super::{Client, run, server};

fn int(result: &Value, path: &[&str]) -> i64 {
    let mut value = result;
    for key in path {
        value = match key.parse::<usize>() {
            Ok(index) => &value[index],
            Err(_) => &value[*key],
        };
    }
    value
        .as_i64()
        .unwrap_or_else(|| panic!("{path:?} is no integer: {result}"))
}

/// `send_and_save()`: bob's Inbox gets one more message, unread; alice's Sent Items keeps one
/// more, read.
#[test]
fn exchangelib_send_and_save_reaches_bob_and_keeps_a_copy() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "send/send_and_save", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let at = |path: &[&str]| int(&result, path);
        assert_eq!(
            at(&["inbox_after", "0"]),
            at(&["inbox_before", "0"]) + 1,
            "{result}"
        );
        assert_eq!(
            at(&["inbox_after", "1"]),
            at(&["inbox_before", "1"]) + 1,
            "{result}"
        );
        assert_eq!(
            at(&["sent_after", "0"]),
            at(&["sent_before", "0"]) + 1,
            "{result}"
        );
        assert_eq!(
            at(&["sent_after", "1"]),
            at(&["sent_before", "1"]),
            "{result}"
        );
    }
    server.shutdown();
}

/// A saved draft is a draft in Drafts; `send()` takes it out of Drafts (its id is then
/// `ErrorItemNotFound`), saves it in Sent Items and delivers it to bob.
#[test]
fn exchangelib_sends_a_saved_draft() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "send/send_draft", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let at = |key: &str| int(&result, &[key]);
        assert_eq!(result["saved_is_draft"], true, "{result}");
        assert_eq!(at("drafts_saved"), at("drafts_before") + 1, "{result}");
        assert_eq!(at("drafts_after"), at("drafts_before"), "{result}");
        assert_eq!(at("sent_after"), at("sent_before") + 1, "{result}");
        assert_eq!(at("inbox_after"), at("inbox_before") + 1, "{result}");
        assert_eq!(result["draft_after_send"], "ErrorItemNotFound", "{result}");
    }
    server.shutdown();
}

/// The MIME content exchangelib reads back parses (Python's email package) to the message's
/// subject, recipients, importance and UTF-8 text body; a message created from MIME content has
/// the subject, body, To, From, Message-ID and date of that content.
#[test]
fn exchangelib_reads_mime_content_and_creates_from_it() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "send/mime_round_trip", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let subject = result["subject"].as_str().expect("subject");
        assert_eq!(result["mime_subject"], subject, "{result}");
        assert_eq!(result["mime_to"], "Bob Kelly <bob@contoso.com>", "{result}");
        assert_eq!(result["mime_cc"], "carol@contoso.com", "{result}");
        assert_eq!(result["mime_importance"], "high", "{result}");
        assert_eq!(result["mime_body"], "Plain words", "{result}");
        assert_eq!(result["mime_charset"], "utf-8", "{result}");
        assert_eq!(
            result["created_subject"],
            format!("From MIME {subject}"),
            "{result}"
        );
        assert_eq!(result["created_body"], "Made from MIME", "{result}");
        assert_eq!(
            result["created_to"],
            serde_json::json!(["bob@contoso.com"]),
            "{result}"
        );
        assert_eq!(result["created_from"], "alice@contoso.com", "{result}");
        assert_eq!(
            result["created_message_id"], "<mime-scenario@contoso.com>",
            "{result}"
        );
        assert_eq!(
            result["created_sent"], "2012-01-05T23:06:58+00:00",
            "{result}"
        );
    }
    server.shutdown();
}

/// ews-javascript-api: a draft saved, bound (a draft, its recipient), edited, sent with
/// SendAndSaveCopy (gone from Drafts, in Sent Items, in bob's Inbox); a new message sent with
/// Send (bob gets it, Sent Items does not grow); a saved draft deleted (Bind then fails).
#[test]
fn ewsjs_saves_binds_updates_sends_and_deletes_email_messages() {
    let server = server();
    if let Some(result) = run(Client::EwsJavascriptApi, "send/email_lifecycle", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let at = |key: &str, i: &str| int(&result, &[key, i]);
        assert_eq!(result["bound_is_draft"], true, "{result}");
        assert_eq!(
            result["bound_to"],
            serde_json::json!(["bob@contoso.com"]),
            "{result}"
        );
        let subject = result["subject"].as_str().expect("subject");
        assert_eq!(
            result["edited_subject"],
            format!("{subject} (edited)"),
            "{result}"
        );
        assert_eq!(at("drafts", "1"), at("drafts", "0") + 1, "{result}");
        assert_eq!(at("drafts", "2"), at("drafts", "0"), "{result}");
        assert_eq!(at("bob_inbox", "1"), at("bob_inbox", "0") + 1, "{result}");
        assert_eq!(at("bob_inbox", "2"), at("bob_inbox", "0") + 2, "{result}");
        assert_eq!(at("sent_items", "1"), at("sent_items", "0") + 1, "{result}");
        assert_eq!(at("sent_items", "2"), at("sent_items", "1"), "{result}");
        let not_found = "The specified object was not found in the store.";
        assert_eq!(result["draft_after_send"], not_found, "{result}");
        assert_eq!(result["dropped_after_delete"], not_found, "{result}");
    }
    server.shutdown();
}
