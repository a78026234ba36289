//! The attachment area's client scenarios: exchangelib and ews-javascript-api attach files and
//! items, read them back from a fresh fetch and detach them, each asserting what the client
//! itself reports (`harness/tests/clients/exchangelib_attach.py`, `ewsjs_attach.js`).

use super::{Client, run, server};

/// exchangelib: `item.attach(FileAttachment(...))` on a saved draft (CreateAttachment) moves the
/// draft's changekey; a draft saved with an inline attachment (CreateItem with Attachments) gets
/// its attachment id; a fresh fetch lists both, and `content` (GetAttachment) gives back the exact
/// bytes, `size` their count, `is_inline` and `content_id` as attached; `detach()`
/// (DeleteAttachment) leaves the draft without attachments.
#[test]
fn exchangelib_attaches_reads_back_and_detaches_files() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "attach/file_attachments", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["changekey_moved"], true, "{result}");
        assert_eq!(result["has_attachments"], true, "{result}");
        assert_eq!(
            result["names"],
            serde_json::json!(["payload.bin"]),
            "{result}"
        );
        assert_eq!(result["content_equal"], true, "{result}");
        assert_eq!(result["size"], result["payload_len"], "{result}");
        assert_eq!(result["is_inline"], false, "{result}");
        assert_eq!(result["inline_saved_with_item"], true, "{result}");
        assert_eq!(result["inline_is_inline"], true, "{result}");
        assert_eq!(
            result["inline_content_id"], result["expected_content_id"],
            "{result}"
        );
        assert_eq!(result["inline_content_equal"], true, "{result}");
        assert_eq!(result["after_detach"], serde_json::json!([]), "{result}");
        assert_eq!(result["has_attachments_after_detach"], false, "{result}");
    }
    server.shutdown();
}

/// exchangelib: `ItemAttachment(item=Message(...))` attached to a draft; the fetched attachment's
/// `item` (GetAttachment with the item's fields) is a Message with the subject and body given.
#[test]
fn exchangelib_reads_back_an_attached_message() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "attach/item_attachment", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["kind"], "ItemAttachment", "{result}");
        assert_eq!(result["name"], "forwarded message", "{result}");
        assert_eq!(result["item_kind"], "Message", "{result}");
        assert_eq!(result["subject"], result["expected_subject"], "{result}");
        assert_eq!(result["body"], "inner body", "{result}");
    }
    server.shutdown();
}

/// ews-javascript-api: `Attachments.AddFileAttachment` + `Save`, `EmailMessage.Bind` with the
/// attachments, `FileAttachment.Load()` gives back the content; `Attachments.Remove` + `Update`
/// deletes it.
#[test]
fn ews_javascript_api_saves_binds_and_loads_a_file_attachment() {
    let server = server();
    if let Some(result) = run(Client::EwsJavascriptApi, "attach/file_attachment", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["has_attachments"], true, "{result}");
        assert_eq!(result["count"], 1, "{result}");
        assert_eq!(result["name"], "hello.txt", "{result}");
        assert_eq!(result["content_equal"], true, "{result}");
        assert_eq!(result["size"], result["content_length"], "{result}");
        assert_eq!(result["is_inline"], false, "{result}");
        assert_eq!(result["count_after_remove"], 0, "{result}");
        assert_eq!(result["has_attachments_after_remove"], false, "{result}");
    }
    server.shutdown();
}
