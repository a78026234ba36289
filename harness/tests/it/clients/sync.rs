//! The sync area's client scenarios (`exchangelib_sync.py`, `ewsjs_sync.js`): each client syncs
//! a folder's items through several pages and a folder's subtree, makes changes, and the next
//! sync yields exactly those changes, the one after nothing. Changes are compared as the client
//! reports them: `[change type, subject or name]` (`[type, subject, is_read]` for read flags).

use serde_json::{Value, json};

use super::{Client, run, server};

fn field<'a>(result: &'a Value, name: &str) -> &'a Value {
    result
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {result}"))
}

/// exchangelib's `Folder.sync_items()` pages a folder of five with `max_changes_returned=2`
/// (three requests), then after a create, a subject change, a read-flag change and a delete
/// yields exactly those (newest first); a final sync yields nothing, and the first state, used
/// again, yields the same changes.
#[test]
fn exchangelib_syncs_items_through_pages_and_changes() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "sync/items", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(
            field(&result, "initial"),
            &json!([
                ["create", "m4"],
                ["create", "m3"],
                ["create", "m2"],
                ["create", "m1"],
                ["create", "m0"]
            ]),
            "{result}"
        );
        assert_eq!(
            field(&result, "initial_pages"),
            &json!([2, 2, 2]),
            "{result}"
        );
        let changes = json!([
            ["create", "m5"],
            ["delete", "m2"],
            ["read_flag_change", "m1", true],
            ["update", "m0 renamed"]
        ]);
        assert_eq!(field(&result, "after_changes"), &changes, "{result}");
        assert_eq!(field(&result, "after_pages"), &json!([2, 2]), "{result}");
        assert_eq!(field(&result, "final"), &json!([]), "{result}");
        assert_eq!(field(&result, "from_first_state"), &changes, "{result}");
    }
    server.shutdown();
}

/// exchangelib's `Folder.sync_hierarchy()` of a new folder: nothing, two creates, a rename as an
/// update, a delete, then nothing.
#[test]
fn exchangelib_syncs_a_folder_hierarchy() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "sync/hierarchy", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(field(&result, "empty"), &json!([]), "{result}");
        assert_eq!(
            field(&result, "created"),
            &json!([["create", "beta"], ["create", "alpha"]]),
            "{result}"
        );
        assert_eq!(
            field(&result, "renamed"),
            &json!([["update", "alpha renamed"]]),
            "{result}"
        );
        assert_eq!(
            field(&result, "deleted"),
            &json!([["delete", "beta"]]),
            "{result}"
        );
        assert_eq!(field(&result, "final"), &json!([]), "{result}");
    }
    server.shutdown();
}

/// ews-javascript-api's `SyncFolderItems` paged by `MoreChangesAvailable` and the returned
/// `SyncState` (pages of two: three, then two), then the create, the delete and the read flag
/// `MarkAllItemsAsRead` set; the final sync has no changes and keeps the state.
#[test]
fn ews_javascript_api_pages_sync_folder_items_by_more_changes_available() {
    let server = server();
    if let Some(result) = run(Client::EwsJavascriptApi, "sync/items", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(
            field(&result, "initial"),
            &json!([
                ["Create", "m4"],
                ["Create", "m3"],
                ["Create", "m2"],
                ["Create", "m1"],
                ["Create", "m0"]
            ]),
            "{result}"
        );
        assert_eq!(field(&result, "initial_pages"), &json!(3), "{result}");
        assert_eq!(
            field(&result, "after_changes"),
            &json!([
                ["Create", "m5"],
                ["Delete", "m2"],
                ["ReadFlagChange", "m1", true]
            ]),
            "{result}"
        );
        assert_eq!(field(&result, "after_pages"), &json!(2), "{result}");
        assert_eq!(field(&result, "final"), &json!([]), "{result}");
        assert_eq!(
            field(&result, "final_state_stable"),
            &json!(true),
            "{result}"
        );
    }
    server.shutdown();
}

/// ews-javascript-api's `SyncFolderHierarchy` of a new folder: nothing, two creates, a rename as
/// an update, a delete, then nothing; never `MoreChangesAvailable`.
#[test]
fn ews_javascript_api_syncs_a_folder_hierarchy() {
    let server = server();
    if let Some(result) = run(Client::EwsJavascriptApi, "sync/hierarchy", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(field(&result, "empty"), &json!([]), "{result}");
        assert_eq!(
            field(&result, "created"),
            &json!([["Create", "beta"], ["Create", "alpha"]]),
            "{result}"
        );
        assert_eq!(
            field(&result, "renamed"),
            &json!([["Update", "alpha renamed"]]),
            "{result}"
        );
        assert_eq!(
            field(&result, "deleted"),
            &json!([["Delete", "beta"]]),
            "{result}"
        );
        assert_eq!(field(&result, "final"), &json!([]), "{result}");
        assert_eq!(field(&result, "more"), &json!(false), "{result}");
    }
    server.shutdown();
}
