//! The discover area through the real clients: exchangelib's `Account(autodiscover=True)` (from
//! its Autodiscover cache entry for the server's SOAP endpoint) and ews-javascript-api's
//! `AutodiscoverService` with its `Url` set find the EWS URL the server listens on; both clients
//! read the server's time zones and room lists.

use super::{Client, run, server};

/// exchangelib autodiscovers alice: GetUserSettings gives the server's own EWS URL and
/// Exchange2013, and the account then works on that URL (the inbox's counts).
#[test]
fn exchangelib_autodiscovers_the_ews_url_and_uses_it() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "discover/autodiscover", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["ews_url"], server.url(), "{result}");
        assert_eq!(result["version"], "Exchange2013", "{result}");
        assert_eq!(result["smtp_address"], "alice@contoso.com", "{result}");
        assert_eq!(result["display_name"], "Alice Wilson", "{result}");
        assert_eq!(result["inbox_total_count"], 0, "{result}");
    }
    server.shutdown();
}

/// An address without a mailbox: InvalidUser, which exchangelib raises as ErrorNonExistentMailbox
/// with the server's message.
#[test]
fn exchangelib_reads_an_unknown_user_as_a_non_existent_mailbox() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "discover/unknown_user", &server) {
        assert_eq!(result["ok"], false, "{result}");
        assert_eq!(result["error_class"], "ErrorNonExistentMailbox", "{result}");
        assert_eq!(
            result["message"], "Invalid user: 'nobody@contoso.com'",
            "{result}"
        );
    }
    server.shutdown();
}

/// exchangelib's get_timezones: every Windows zone by name, and Pacific time in full (Bias 480
/// and 420 minutes west of UTC, one transitions group of current rules).
#[test]
fn exchangelib_reads_the_server_time_zones() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "discover/timezones", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert!(result["count"].as_u64().unwrap_or(0) > 130, "{result}");
        assert_eq!(result["has_utc"], true, "{result}");
        assert_eq!(result["pacific_id"], "Pacific Standard Time", "{result}");
        assert_eq!(
            result["pacific_biases_minutes"],
            serde_json::json!([480, 420]),
            "{result}"
        );
        assert_eq!(
            result["pacific_period_names"],
            serde_json::json!(["Standard", "Daylight"]),
            "{result}"
        );
        assert_eq!(result["pacific_groups"], 1, "{result}");
    }
    server.shutdown();
}

/// The configured room list and its two rooms, in order, as each client returns them.
#[test]
fn both_clients_list_room_lists_and_rooms() {
    let server = server();
    for client in [Client::Exchangelib, Client::EwsJavascriptApi] {
        if let Some(result) = run(client, "discover/rooms", &server) {
            assert_eq!(result["ok"], true, "{client:?}: {result}");
            assert_eq!(
                result["room_lists"],
                serde_json::json!(["rooms@contoso.com"]),
                "{client:?}: {result}"
            );
            assert_eq!(
                result["rooms"],
                serde_json::json!(["conf-room-1@contoso.com", "conf-room-2@contoso.com"]),
                "{client:?}: {result}"
            );
            assert_eq!(
                result["room_names"],
                serde_json::json!(["Conference Room 1", "Conference Room 2"]),
                "{client:?}: {result}"
            );
        }
    }
    server.shutdown();
}

/// ews-javascript-api's AutodiscoverService (Url set to the SOAP endpoint): GetUserSettings
/// answers NoError with the EWS URL the server listens on, internal and external.
#[test]
fn ews_javascript_api_gets_user_settings_with_the_ews_url() {
    let server = server();
    if let Some(result) = run(Client::EwsJavascriptApi, "discover/user_settings", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["error_code"], "NoError", "{result}");
        assert_eq!(result["external_ews_url"], server.url(), "{result}");
        assert_eq!(result["internal_ews_url"], server.url(), "{result}");
        assert_eq!(result["display_name"], "Alice Wilson", "{result}");
        let schemas = result["schemas"].as_str().unwrap_or_default();
        assert!(schemas.ends_with("Exchange2013"), "{result}");
    }
    if let Some(result) = run(Client::EwsJavascriptApi, "discover/unknown_user", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["error_code"], "InvalidUser", "{result}");
        let message = result["error_message"].as_str().unwrap_or_default();
        assert!(message.starts_with("Invalid user: 'zz-nobody-"), "{result}");
    }
    server.shutdown();
}

/// ews-javascript-api's GetServerTimeZones: every zone, Pacific time with its display name.
#[test]
fn ews_javascript_api_reads_the_server_time_zones() {
    let server = server();
    if let Some(result) = run(Client::EwsJavascriptApi, "discover/timezones", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert!(result["count"].as_u64().unwrap_or(0) > 130, "{result}");
        assert_eq!(
            result["ids"],
            serde_json::json!(["Pacific Standard Time", "UTC", "W. Europe Standard Time"]),
            "{result}"
        );
        assert_eq!(
            result["pacific_display_name"], "(UTC-08:00) Pacific Standard Time",
            "{result}"
        );
    }
    server.shutdown();
}
