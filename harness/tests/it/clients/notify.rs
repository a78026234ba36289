//! The notification operations with real clients (exchangelib's `subscribe_to_pull`/`get_events`,
//! `subscribe_to_streaming`/`get_streaming_events`, `unsubscribe`; ews-javascript-api's
//! `SubscribeToStreamingNotifications` with a `StreamingSubscriptionConnection`), and, over real
//! HTTP with a short notification minute, what the suite cannot wait for: a stream's keep-alives
//! and its Closed envelope at ConnectionTimeout, and a pull subscription's expiry.

use std::io::Read;
use std::time::{Duration, Instant};

use ews_conformance::reference_server::{self, RunningServer, ServerConfig};
use serde_json::Value;

use super::{Client, run, server};

/// A sequence of strings from a JSON array field.
fn strings<'a>(value: &'a Value, field: &str) -> Vec<&'a str> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("no {field} list: {value}"))
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

fn events(value: &Value, field: &str) -> Vec<(String, String, String)> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("no {field} events: {value}"))
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or("").to_string();
            (text("type"), text("item_id"), text("parent_folder_id"))
        })
        .collect()
}

/// exchangelib: a pull subscription sees the message created after it as one CreatedEvent in the
/// folder, the next get_events from the last watermark only a StatusEvent, and after unsubscribe
/// get_events raises ErrorSubscriptionNotFound.
#[test]
fn exchangelib_pull_subscription_sees_a_created_message_once() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "notify/pull", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let message = result["message_id"].as_str().expect("message id");
        let folder = result["folder_id"].as_str().expect("folder id");
        assert_eq!(
            events(&result, "quiet"),
            vec![("StatusEvent".into(), String::new(), String::new())],
            "{result}"
        );
        assert_eq!(
            events(&result, "first"),
            vec![("CreatedEvent".into(), message.into(), folder.into())],
            "{result}"
        );
        assert_eq!(
            result["first_previous_watermark"], result["initial_watermark"],
            "{result}"
        );
        assert_eq!(
            events(&result, "second"),
            vec![("StatusEvent".into(), String::new(), String::new())],
            "nothing twice: {result}"
        );
        assert_eq!(result["unsubscribed"], true, "{result}");
        assert_eq!(
            result["after_unsubscribe"], "ErrorSubscriptionNotFound",
            "{result}"
        );
    }
    server.shutdown();
}

/// exchangelib: a streaming subscription on the Inbox delivers the NewMailEvent of a message sent
/// to oneself through get_streaming_events.
#[test]
fn exchangelib_streaming_subscription_receives_new_mail() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "notify/streaming", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let id = result["subscription_id"].as_str().expect("subscription id");
        assert_eq!(result["notifications"], 1, "{result}");
        assert_eq!(strings(&result, "subscription_ids"), vec![id], "{result}");
        let inbox = result["inbox_id"].as_str().expect("inbox id");
        let got = events(&result, "events");
        assert_eq!(got.len(), 1, "{result}");
        assert_eq!(got[0].0, "NewMailEvent", "{result}");
        assert!(!got[0].1.is_empty(), "the event names the item: {result}");
        assert_eq!(got[0].2, inbox, "{result}");
        assert_eq!(result["unsubscribed"], true, "{result}");
    }
    server.shutdown();
}

/// ews-javascript-api: a StreamingSubscriptionConnection's OnNotificationEvent receives the
/// Created event of the message the scenario saves in the Inbox; Close() disconnects it.
#[test]
fn ews_javascript_api_streaming_connection_receives_a_created_event() {
    let server = server();
    if let Some(result) = run(Client::EwsJavascriptApi, "notify/streaming", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let created = result["created"].as_str().expect("created id");
        let got = events(&result, "events");
        assert_eq!(got.len(), 1, "{result}");
        assert_eq!(got[0].0, "Created", "{result}");
        assert_eq!(got[0].1, created, "{result}");
        assert_eq!(result["closed"], true, "{result}");
    }
    server.shutdown();
}

const ENVELOPE_OPEN: &str = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header><s:Body>"#;

fn post(server: &RunningServer, body: &str) -> reqwest::blocking::Response {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
        .post(server.url())
        .basic_auth("alice", Some("alice-password"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(format!("{ENVELOPE_OPEN}{body}</s:Body></s:Envelope>"))
        .send()
        .expect("the server answers")
}

/// The text of the first element named `element` (messages namespace, unprefixed or `m:`).
fn text_of(xml: &str, element: &str) -> String {
    let (start, open) = [format!("<{element}>"), format!("<m:{element}>")]
        .into_iter()
        .find_map(|open| xml.find(&open).map(|at| (at, open)))
        .unwrap_or_else(|| panic!("no {element} in {xml}"));
    let start = start + open.len();
    let end = xml[start..].find('<').expect("end tag") + start;
    xml[start..end].to_string()
}

fn fast_server() -> RunningServer {
    reference_server::start(ServerConfig {
        notification_minute: Duration::from_millis(600),
        streaming_keepalive: Duration::from_millis(150),
        ..ServerConfig::default()
    })
    .expect("reference server starts")
}

/// With a 600 ms minute, a ConnectionTimeout of 1 holds the stream open for that long: it opens
/// with ConnectionStatus OK, sends keep-alives every 150 ms, and ends with Closed, each envelope
/// valid against the EWS schema.
#[test]
fn a_stream_sends_keepalives_and_closes_at_its_connection_timeout() {
    let server = fast_server();
    let subscribed = post(
        &server,
        "<m:Subscribe><m:StreamingSubscriptionRequest SubscribeToAllFolders=\"true\">\
         <t:EventTypes><t:EventType>CreatedEvent</t:EventType></t:EventTypes>\
         </m:StreamingSubscriptionRequest></m:Subscribe>",
    )
    .text()
    .expect("body");
    let id = text_of(&subscribed, "SubscriptionId");
    let started = Instant::now();
    let mut stream = post(
        &server,
        &format!(
            "<m:GetStreamingEvents><m:SubscriptionIds><t:SubscriptionId>{id}</t:SubscriptionId>\
             </m:SubscriptionIds><m:ConnectionTimeout>1</m:ConnectionTimeout></m:GetStreamingEvents>"
        ),
    );
    assert_eq!(stream.status().as_u16(), 200);
    let mut body = String::new();
    stream.read_to_string(&mut body).expect("the stream ends");
    let lasted = started.elapsed();
    assert!(
        lasted >= Duration::from_millis(550) && lasted < Duration::from_secs(5),
        "the stream lasted {lasted:?}, the ConnectionTimeout is 600 ms"
    );
    let documents: Vec<String> = body
        .split_inclusive("</Envelope>")
        .map(str::to_string)
        .collect();
    for document in &documents {
        let violations = ews_schema::Schema::ews()
            .validate_document(document.as_bytes())
            .expect("well-formed");
        assert!(violations.is_empty(), "{violations:?} in {document}");
    }
    let statuses: Vec<String> = documents
        .iter()
        .map(|d| text_of(d, "ConnectionStatus"))
        .collect();
    assert!(
        statuses.len() >= 4,
        "opening, keep-alives, closing: {statuses:?}"
    );
    assert!(
        statuses[..statuses.len() - 1].iter().all(|s| s == "OK"),
        "{statuses:?}"
    );
    assert_eq!(statuses.last().map(String::as_str), Some("Closed"));
    server.shutdown();
}

/// With a 600 ms minute, a pull subscription with Timeout 1 not polled for longer is
/// ErrorExpiredSubscription, once; then it is not found. Polling in time keeps it alive.
#[test]
fn a_pull_subscription_expires_after_its_timeout_without_get_events() {
    let server = fast_server();
    let subscribe = "<m:Subscribe><m:PullSubscriptionRequest><t:FolderIds>\
                     <t:DistinguishedFolderId Id=\"inbox\"/></t:FolderIds><t:EventTypes>\
                     <t:EventType>NewMailEvent</t:EventType></t:EventTypes><t:Timeout>1</t:Timeout>\
                     </m:PullSubscriptionRequest></m:Subscribe>";
    let subscribed = post(&server, subscribe).text().expect("body");
    let (id, watermark) = (
        text_of(&subscribed, "SubscriptionId"),
        text_of(&subscribed, "Watermark"),
    );
    let get_events = || {
        let body = post(
            &server,
            &format!(
                "<m:GetEvents><m:SubscriptionId>{id}</m:SubscriptionId>\
                 <m:Watermark>{watermark}</m:Watermark></m:GetEvents>"
            ),
        )
        .text()
        .expect("body");
        text_of(&body, "ResponseCode")
    };
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(get_events(), "NoError", "polled within the timeout");
    }
    std::thread::sleep(Duration::from_millis(900));
    assert_eq!(get_events(), "ErrorExpiredSubscription");
    assert_eq!(get_events(), "ErrorSubscriptionNotFound");
    server.shutdown();
}
