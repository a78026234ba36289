//! Real EWS clients drive the reference server: exchangelib (Python) and ews-javascript-api
//! (Node), at the versions pinned in `harness/tests/clients/` (installed by `.ci/run`). Each
//! scenario is a script of the client's own calls whose result the client itself reports; a
//! client error is a failure carrying the client's message.
//!
//! Scenarios of the first areas live in `exchangelib_scenarios.py` / `ewsjs_scenarios.js` and
//! are named plainly (`folder_lifecycle`); an area with many scenarios has its own scripts
//! `exchangelib_<area>.py` / `ewsjs_<area>.js` (which import the common helpers and `main`) and its
//! own test module here, `clients/<area>.rs`, and names its scenarios `<area>/<scenario>`.
//!
//! Without the clients installed the tests skip with a message, except under `CI`, where a
//! missing client fails the test: CI must never be green for a scenario that did not run.

mod avail;
/// Autodiscover, time zones and rooms (`exchangelib_discover.py`, `ewsjs_discover.js`).
mod discover;
mod notify;
mod send;

use std::path::{Path, PathBuf};
use std::process::Command;

use ews_conformance::reference_server::{self, RunningServer, ServerConfig};
use serde_json::Value;

mod attach;
mod search;
mod sync;

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Which real client runs a scenario.
#[derive(Clone, Copy, Debug)]
pub(super) enum Client {
    Exchangelib,
    EwsJavascriptApi,
}

impl Client {
    /// The command that runs `scenario` (`name`, or `area/name` for an area's own script), or
    /// why the client is not available here.
    fn command(self, scenario: &str) -> Result<Command, String> {
        let dir = clients_dir();
        let (area, name) = match scenario.split_once('/') {
            Some((area, name)) => (area, name),
            None => ("scenarios", scenario),
        };
        match self {
            Client::Exchangelib => {
                let probe = Command::new("python3")
                    .args(["-c", "import exchangelib"])
                    .output();
                if !probe.is_ok_and(|o| o.status.success()) {
                    return Err("exchangelib is not installed \
                                (pip install -r harness/tests/clients/requirements.txt)"
                        .into());
                }
                let mut cmd = Command::new("python3");
                cmd.arg(dir.join(format!("exchangelib_{area}.py")))
                    .arg(name);
                Ok(cmd)
            }
            Client::EwsJavascriptApi => {
                if !dir.join("node_modules/ews-javascript-api").is_dir() {
                    return Err("ews-javascript-api is not installed \
                                (npm ci --prefix harness/tests/clients)"
                        .into());
                }
                let mut cmd = Command::new("node");
                cmd.arg(dir.join(format!("ewsjs_{area}.js"))).arg(name);
                Ok(cmd)
            }
        }
    }
}

/// Runs `scenario` with `client` as alice against `server`; `None` when the client is missing
/// outside CI (the test then passes vacuously, and says so on stderr).
pub(super) fn run(client: Client, scenario: &str, server: &RunningServer) -> Option<Value> {
    let mut cmd = match client.command(scenario) {
        Ok(cmd) => cmd,
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED {client:?} scenario {scenario}: {why}");
            return None;
        }
        Err(why) => panic!("{client:?} scenario {scenario} cannot run under CI: {why}"),
    };
    let out = cmd
        .args(["--url", &server.url(), "--user", "alice"])
        .args(["--address", "alice@contoso.com"])
        .env("EWS_CLIENT_PASSWORD", "alice-password")
        .output()
        .unwrap_or_else(|e| panic!("{client:?} did not start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{client:?} scenario {scenario} crashed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let line = stdout.lines().last().unwrap_or_default();
    Some(serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("{client:?} scenario {scenario} printed no JSON result ({e}):\n{stdout}\n{stderr}")
    }))
}

pub(super) fn server() -> RunningServer {
    reference_server::start(ServerConfig::default()).expect("reference server starts")
}

/// An operation the server does not implement reads as exactly that in both clients: the
/// operation is named, and exchangelib raises the code's own class at once instead of taking it
/// for a version mismatch and retrying with other versions.
#[test]
fn unimplemented_operation_reads_as_not_implemented_in_both_clients() {
    let server = server();
    let expected = "The operation GetSearchableMailboxes is not implemented by this server.";
    if let Some(result) = run(Client::Exchangelib, "unimplemented_operation", &server) {
        assert_eq!(result["ok"], false, "{result}");
        assert_eq!(result["error_class"], "ErrorInvalidOperation", "{result}");
        assert_eq!(result["message"], expected, "{result}");
    }
    if let Some(result) = run(Client::EwsJavascriptApi, "unimplemented_operation", &server) {
        assert_eq!(result["ok"], false, "{result}");
        assert_eq!(result["response_code"], "ErrorInvalidOperation", "{result}");
        assert_eq!(result["message"], expected, "{result}");
    }
    server.shutdown();
}

/// The folders Exchange 2013 shows under the root of a new mailbox, as exchangelib's
/// `root.walk()` lists them (its own order), plus the folder the scenario created.
fn assert_walked_tree(result: &Value) {
    let walked: Vec<&str> = result["walked"]
        .as_array()
        .unwrap_or_else(|| panic!("no walked list: {result}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let created = result["created"].as_str().expect("created name");
    for expected in [
        "Top of Information Store",
        "Inbox",
        "Calendar",
        "Contacts",
        "Deleted Items",
        "Drafts",
        "Sent Items",
        "Outbox",
        "Junk Email",
        "Tasks",
        "Notes",
        "Journal",
        "Conversation History",
        "Recoverable Items",
        "Finder",
        "Voice Mail",
        created,
    ] {
        assert!(
            walked.contains(&expected),
            "{expected} not walked: {result}"
        );
    }
    assert_eq!(
        walked.len(),
        33,
        "the default tree and the created folder: {result}"
    );
    assert_eq!(result["inbox_total_count"], 0, "{result}");
    assert_eq!(result["inbox_unread_count"], 0, "{result}");
    assert_eq!(result["inbox_child_folder_count"], 1, "{result}");
    assert_eq!(
        result["inbox_children"],
        serde_json::json!([created]),
        "{result}"
    );
    assert_eq!(result["root_class"], "Root", "{result}");
    assert_eq!(result["calendar_class"], "Calendar", "{result}");
    assert_eq!(result["version"], "Exchange2013", "{result}");
    assert_eq!(result["build"], "15.0.349.0", "{result}");
}

/// exchangelib's default set-up guesses the server version with a ConvertId call (a dummy id,
/// answered `ErrorInvalidIdMalformed` with the ServerVersionInfo header), then walks the folder
/// tree, reads the inbox's counts and children, and creates and deletes a folder.
#[test]
fn exchangelib_guesses_the_version_and_walks_the_folder_tree() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "folder_tree_guessed", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_walked_tree(&result);
    }
    server.shutdown();
}

/// The same walk with the version pinned (no ConvertId first).
#[test]
fn exchangelib_with_a_pinned_version_walks_the_folder_tree() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "folder_tree_pinned", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_walked_tree(&result);
    }
    server.shutdown();
}

/// exchangelib creates, renames, moves and deletes a folder: the id survives the rename and the
/// move, the ChangeKey moves, the folder is found under its new parent and is gone after the
/// delete.
#[test]
fn exchangelib_creates_renames_moves_and_deletes_a_folder() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "folder_lifecycle", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let suffix = &result["suffix"];
        assert_eq!(result["id_kept"], true, "{result}");
        assert_eq!(result["changekey_moved_on_rename"], true, "{result}");
        assert_eq!(
            result["renamed"],
            format!("client-renamed-{suffix}"),
            "{result}"
        );
        assert_eq!(
            result["moved_parent"],
            format!("client-target-{suffix}"),
            "{result}"
        );
        assert_eq!(
            result["target_children"],
            serde_json::json!([format!("client-renamed-{suffix}")]),
            "{result}"
        );
        assert_eq!(
            result["after_delete"],
            serde_json::json!([format!("client-target-{suffix}")]),
            "only the move target is left before its own delete: {result}"
        );
    }
    server.shutdown();
}

/// ews-javascript-api binds well-known folders (the calendar as a `CalendarFolder`), finds
/// folders with a FolderView (also paged: 3 of the 13 folders under the message root, more
/// available), creates, renames (a new ChangeKey) and deletes a folder, which then no longer binds.
#[test]
fn ews_javascript_api_binds_finds_creates_updates_and_deletes_folders() {
    let server = server();
    if let Some(result) = run(Client::EwsJavascriptApi, "folder_lifecycle", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let name = result["name"].as_str().expect("name");
        assert_eq!(result["inbox_name"], "Inbox", "{result}");
        assert_eq!(result["inbox_total_count"], 0, "{result}");
        assert_eq!(result["inbox_unread_count"], 0, "{result}");
        assert_eq!(result["calendar_class"], "CalendarFolder", "{result}");
        assert_eq!(result["found_names"], serde_json::json!([name]), "{result}");
        assert_eq!(result["found_total"], 1, "{result}");
        assert_eq!(result["renamed"], format!("{name}-renamed"), "{result}");
        assert_eq!(result["change_key_moved"], true, "{result}");
        assert_eq!(result["paged_count"], 3, "{result}");
        assert_eq!(result["paged_more"], true, "{result}");
        assert_eq!(result["paged_total"], 13, "{result}");
        assert_eq!(
            result["after_delete"], "The specified object was not found in the store.",
            "{result}"
        );
    }
    server.shutdown();
}

/// exchangelib saves three drafts (CreateItem SaveOnly), reads them back by id (GetItem with its
/// own long list of additional properties), updates one (UpdateItem with its ChangeKey; the
/// unread count follows), and deletes them the three ways its users do
/// (`soft_delete`, `move_to_trash`, `delete`): the fields round-trip, Drafts counts three then
/// none, the trashed one is in Deleted Items, the others read as `ErrorItemNotFound`.
#[test]
fn exchangelib_saves_reads_and_deletes_messages() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "message_lifecycle", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let suffix = &result["suffix"];
        assert_eq!(
            result["subject"],
            format!("client draft 1 {suffix}"),
            "{result}"
        );
        assert_eq!(result["body"], "body 1", "{result}");
        assert_eq!(
            result["updated_subject"],
            format!("client updated {suffix}"),
            "{result}"
        );
        assert_eq!(result["updated_is_read"], true, "{result}");
        assert_eq!(result["changekey_moved_on_update"], true, "{result}");
        assert_eq!(
            result["unread_before"], 2,
            "exchangelib saves drafts unread; one was read: {result}"
        );
        assert_eq!(result["importance"], "High", "{result}");
        assert_eq!(
            result["categories"],
            serde_json::json!(["Finance"]),
            "{result}"
        );
        assert_eq!(result["is_draft"], true, "{result}");
        assert_eq!(
            result["to"],
            serde_json::json!(["bob@contoso.com"]),
            "{result}"
        );
        assert_eq!(result["created_is_set"], true, "{result}");
        assert_eq!(result["total_before"], 3, "{result}");
        assert_eq!(result["total_after"], 0, "{result}");
        assert_eq!(
            result["trashed"],
            serde_json::json!([[format!("client draft 1 {suffix}"), true]]),
            "{result}"
        );
        assert_eq!(
            result["gone"],
            serde_json::json!(["ErrorItemNotFound", "ErrorItemNotFound"]),
            "{result}"
        );
        assert_eq!(result["trash_total_at_end"], 0, "{result}");
    }
    server.shutdown();
}

/// The reference server's directory as both clients read it: a unique name, an ambiguous one
/// (both candidates, sorted by name, the group as a public group), contact details, a name
/// nobody has, a group whose members include a nested group, and that nested group.
#[test]
fn both_clients_resolve_names_and_expand_groups() {
    let server = server();
    let person = |name: &str, email: &str, kind: &str| serde_json::json!({"name": name, "email": email, "type": kind});
    if let Some(result) = run(Client::Exchangelib, "directory", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(
            result["unique"],
            serde_json::json!([person("Carol Lopez", "carol@contoso.com", "Mailbox")])
        );
        assert_eq!(
            result["ambiguous"],
            serde_json::json!([
                person("Alice Wilson", "alice@contoso.com", "Mailbox"),
                person("All Staff", "all-staff@contoso.com", "PublicDL"),
            ]),
            "{result}"
        );
        assert_eq!(result["full_display_name"], "Bob Kelly", "{result}");
        assert_eq!(result["full_given_name"], "Bob", "{result}");
        assert_eq!(result["full_surname"], "Kelly", "{result}");
        assert_eq!(result["full_source"], "ActiveDirectory", "{result}");
        assert_eq!(
            result["nobody"],
            serde_json::json!(["ErrorNameResolutionNoResults"]),
            "{result}"
        );
        assert_eq!(
            result["staff"],
            serde_json::json!([
                person("Alice Wilson", "alice@contoso.com", "Mailbox"),
                person("Bob Kelly", "bob@contoso.com", "Mailbox"),
                person("Engineering", "engineering@contoso.com", "PublicDL"),
            ]),
            "{result}"
        );
        assert_eq!(
            result["nested"],
            serde_json::json!([person("Carol Lopez", "carol@contoso.com", "Mailbox")]),
            "{result}"
        );
    }
    if let Some(result) = run(Client::EwsJavascriptApi, "directory", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(
            result["unique"],
            serde_json::json!([person("Carol Lopez", "carol@contoso.com", "Mailbox")])
        );
        assert_eq!(result["unique_display_name"], "Carol Lopez", "{result}");
        assert_eq!(result["unique_surname"], "Lopez", "{result}");
        assert_eq!(
            result["ambiguous"],
            serde_json::json!([
                person("Alice Wilson", "alice@contoso.com", "Mailbox"),
                person("All Staff", "all-staff@contoso.com", "PublicGroup"),
            ]),
            "{result}"
        );
        assert_eq!(result["nobody"], 0, "{result}");
        assert_eq!(result["staff_count"], 3, "{result}");
        assert_eq!(result["staff_complete"], true, "{result}");
        assert_eq!(
            result["staff"],
            serde_json::json!([
                person("Alice Wilson", "alice@contoso.com", "Mailbox"),
                person("Bob Kelly", "bob@contoso.com", "Mailbox"),
                person("Engineering", "engineering@contoso.com", "PublicGroup"),
            ]),
            "{result}"
        );
        assert_eq!(
            result["nested"],
            serde_json::json!([person("Carol Lopez", "carol@contoso.com", "Mailbox")]),
            "{result}"
        );
    }
    server.shutdown();
}

/// exchangelib creates a calendar item (Start/End in UTC) and a contact in their distinguished
/// folders, reads them back, copies the meeting (CopyItem) and moves the contact (MoveItem, which
/// gives it a new id) into Drafts, then deletes all three: the fields round-trip and the counts
/// end where they started.
#[test]
fn exchangelib_creates_copies_moves_and_deletes_a_meeting_and_a_contact() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "calendar_and_contact", &server) {
        assert_eq!(result["ok"], true, "{result}");
        let suffix = &result["suffix"];
        assert_eq!(
            result["meeting_subject"],
            format!("planning {suffix}"),
            "{result}"
        );
        assert_eq!(
            result["meeting_start"], "2026-11-02T14:00:00+00:00",
            "{result}"
        );
        assert_eq!(result["meeting_location"], "Room 721", "{result}");
        assert_eq!(
            result["contact_name"],
            serde_json::json!(["Dana", format!("Scully{suffix}")]),
            "{result}"
        );
        assert_eq!(
            result["copy_subjects"],
            serde_json::json!([format!("planning {suffix}")]),
            "{result}"
        );
        assert_eq!(result["moved_got_new_id"], true, "{result}");
        assert_eq!(result["drafts_total_after_copy_and_move"], 2, "{result}");
        assert_eq!(
            result["deleted"],
            serde_json::json!(["CalendarItem", "Contact", "CalendarItem"]),
            "{result}"
        );
        assert_eq!(result["drafts_total_at_end"], 0, "{result}");
        assert_eq!(result["calendar_total_at_end"], 0, "{result}");
    }
    server.shutdown();
}

/// OOF as both clients read it: exchangelib reads the defaults, schedules OOF with both replies
/// (the text with `&` intact), reads exactly that back and disables it again;
/// ews-javascript-api reads the defaults with their duration.
#[test]
fn both_clients_read_and_exchangelib_sets_oof_settings() {
    let server = server();
    if let Some(result) = run(Client::Exchangelib, "oof_settings", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["before_state"], "Disabled", "{result}");
        assert_eq!(result["before_audience"], "All", "{result}");
        assert_eq!(result["state"], "Scheduled", "{result}");
        assert_eq!(result["audience"], "Known", "{result}");
        assert_eq!(result["internal_reply"], "Back on the 26th.", "{result}");
        assert_eq!(result["external_reply"], "Out & about.", "{result}");
        assert_eq!(result["start"], "2090-10-05T08:00:00+00:00", "{result}");
        assert_eq!(result["end"], "2090-10-25T17:30:00+00:00", "{result}");
        assert_eq!(result["disabled_state"], "Disabled", "{result}");
    }
    if let Some(result) = run(Client::EwsJavascriptApi, "oof_settings", &server) {
        assert_eq!(result["ok"], true, "{result}");
        assert_eq!(result["state"], "Disabled", "{result}");
        assert_eq!(result["audience"], "All", "{result}");
        assert_eq!(result["allow_external"], "All", "{result}");
        assert_eq!(result["has_duration"], true, "{result}");
    }
    server.shutdown();
}
