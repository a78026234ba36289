//! The named misbehaviours ([`Quirk`]) applied to responses, so the project's own tests can prove
//! the suite notices each non-conformance. Each quirk edits the response the server would
//! otherwise send, at the level its name implies:
//!
//! | quirk | what changes |
//! |---|---|
//! | `wrong-response-code` | every response message's `ResponseCode` becomes `ErrorInternalServerError` (ResponseClass and everything else unchanged), on success and error responses |
//! | `missing-element` | every response message loses its `ResponseCode` element |
//! | `extra-element` | every response message gets an extra last child `<QuirkExtraElement>` (messages namespace) |
//! | `https-namespace` | responses and faults use `https://schemas.microsoft.com/...` for the messages, types and errors namespaces |
//! | `wrong-child-order` | error responses put `ResponseCode` before `MessageText`; every `ImGroup` has `GroupType` before `DisplayName`; every `Persona` has `PersonaType` before `PersonaId` (success responses without payload have a single child and stay unchanged) |
//! | `wrong-message-text` | error responses' `MessageText`, and faults' `faultstring` and `e:Message`, read `The operation failed.` |
//! | `soap12-fault` | faults use the SOAP 1.2 envelope and shape (`Code/Value`, `Subcode`, `Reason/Text`, `Detail`), content type `application/soap+xml` |
//! | `drop-server-version-info` | responses carry no `ServerVersionInfo` (and no `s:Header`) |
//! | `http-200-for-fault` | faults are sent with HTTP 200 instead of 500 |
//! | `frozen-change-key` | every `ChangeKey` attribute in a response message carries one fixed value, so a change never moves it |
//! | `html-content-type` | every response (messages and faults) is labelled `text/html; charset=utf-8` |
//! | `schema-invalid-response` | responses carry an undeclared `t:QuirkHeaderEntry` in `s:Header` after `ServerVersionInfo`: invalid against the schema, invisible to a comparison that ignores SOAP headers (the default) |
//! | `wrong-folder-counts` | every folder's `ChildFolderCount` is one more than it has |
//! | `paging-off-by-one` | a paged FindFolder or FindItem (`IndexedPagingOffset` or `NumeratorOffset` in the answer) leaves out the last folder or item of its page |
//! | `includes-last-item-wrong` | every `RootFolder`'s `IncludesLastItemInRange` says the opposite |
//! | `restriction-ignored` | FindFolder and FindItem ignore their `Restriction` (and FindItem its `QueryString`; applied in `ops/folders/find_folder.rs`, `ops/items/find_item.rs`) |
//! | `folder-class-first` | every folder element has `FolderClass` before `FolderId` |
//! | `stale-change-key-accepted` | UpdateFolder and UpdateItem do not check the ChangeKey (applied in `ops/folders/update_folder.rs`, `ops/items/update_item.rs`) |
//! | `public-dl-as-mailbox` | every `MailboxType` `PublicDL` (ResolveNames, ExpandDL) reads `Mailbox` |
//! | `sort-ignored` | FindItem ignores its `SortOrder` (items come in the default order; applied in `ops/items/find_item.rs`) |
//! | `duplicated-event` | GetEvents delivers the event at the watermark given once more, so the last event of one call comes again in the next (applied in `ops/notifications/get_events.rs`) |
//! | `missing-keepalive` | an open GetStreamingEvents stream sends no keep-alive envelopes (applied in `http.rs`) |
//! | `attachment-change-key-frozen` | CreateAttachment and DeleteAttachment leave the root item's ChangeKey as it was (applied in `ops/attachments/mod.rs`) |
//! | `attachment-size-wrong` | a file attachment's `Size` counts its base64 text, not its bytes (applied in `ops/attachments/mod.rs`) |
//! | `sync-loses-change` | SyncFolderItems and SyncFolderHierarchy leave out the first Update of each answer, while the new sync state counts it as told (applied in `ops/sync/mod.rs`) |
//! | `sync-includes-last-wrong` | SyncFolderItems says `IncludesLastItemInRange` true even when more changes remain (applied in `ops/sync/sync_folder_items.rs`) |
//! | `no-sent-items-copy` | CreateItem `SendAndSaveCopy` and SendItem `SaveItemToFolder` keep no copy of the sent message (applied in `ops/items/create_item.rs`, `ops/items/send_item.rs`) |
//! | `bcc-visible` | delivered copies keep the `BccRecipients` line, so every recipient sees the Bcc recipients (applied in `dispatch.rs` delivery) |
//! | `autodiscover-wrong-ews-url` | Autodiscover (POX `ASUrl`/`EwsUrl`/..., SOAP `InternalEwsUrl`/`ExternalEwsUrl`) announces `/EWS/Wrong.asmx` (applied in `autodiscover/mod.rs`) |
//! | `timezone-bias-sign` | GetServerTimeZones writes every `Period/@Bias` with the opposite sign (applied in `ops/timezones/get_server_time_zones.rs`) |
//! | `merged-freebusy-shifted` | GetUserAvailability's `MergedFreeBusy` is one slot late (a free slot first, the last dropped; applied in `ops/availability/get_user_availability.rs`) |
//! | `delegate-write-allowed` | a delegate with `Reviewer` permission on a folder may also write to it (applied in `dispatch.rs`) |
//! | `photo-missing-as-message` | GetUserPhoto of an address without a photo answers an `ErrorItemNotFound` response message (HTTP 200) instead of the fault (applied in `ops/directory/get_user_photo.rs`) |

use super::Quirk;
use super::faults::ResponseCode;
use super::render::{Namespaces, Node};

/// Replacement text of the `wrong-message-text` quirk.
pub const WRONG_MESSAGE_TEXT: &str = "The operation failed.";
/// The one `ChangeKey` the `frozen-change-key` quirk writes.
pub const FROZEN_CHANGE_KEY: &str = "AAAAAAAAAAA=";
/// Content type of every response under the `html-content-type` quirk.
pub const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";
/// Name of the element the `extra-element` quirk adds.
pub const EXTRA_ELEMENT: &str = "QuirkExtraElement";
/// Name of the header entry (types namespace) the `schema-invalid-response` quirk adds.
pub const SCHEMA_INVALID_HEADER_ENTRY: &str = "QuirkHeaderEntry";

/// The quirks a server runs with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quirks {
    active: Vec<Quirk>,
}

impl Quirks {
    pub fn new(quirks: &[Quirk]) -> Quirks {
        Quirks {
            active: quirks.to_vec(),
        }
    }

    pub fn has(&self, quirk: Quirk) -> bool {
        self.active.contains(&quirk)
    }

    /// Namespace URIs responses are written with.
    pub fn namespaces(&self) -> Namespaces {
        if self.has(Quirk::HttpsNamespace) {
            Namespaces::HTTPS
        } else {
            Namespaces::EXCHANGE
        }
    }

    /// HTTP status of a fault.
    pub fn fault_status(&self) -> u16 {
        if self.has(Quirk::Http200ForFault) {
            200
        } else {
            500
        }
    }

    /// The content type a response is sent with, `proper` unless a quirk says otherwise.
    pub fn content_type(&self, proper: &'static str) -> &'static str {
        if self.has(Quirk::HtmlContentType) {
            HTML_CONTENT_TYPE
        } else {
            proper
        }
    }

    /// Edits one response message (`<XResponse ResponseClass=...>`).
    pub fn apply_to_message(&self, message: &mut Node) {
        if self.has(Quirk::WrongResponseCode) {
            if let Some(code) = message.find_mut("ResponseCode") {
                code.text = Some(ResponseCode::ErrorInternalServerError.as_str().into());
            }
        }
        if self.has(Quirk::WrongMessageText) {
            if let Some(text) = message.find_mut("MessageText") {
                text.text = Some(WRONG_MESSAGE_TEXT.into());
            }
        }
        if self.has(Quirk::WrongChildOrder) {
            swap_children(message, "MessageText", "ResponseCode");
            message.walk_mut(&mut |node| match node.local.as_str() {
                "ImGroup" => swap_children(node, "DisplayName", "GroupType"),
                "Persona" => swap_children(node, "PersonaId", "PersonaType"),
                _ => {}
            });
        }
        if self.has(Quirk::FrozenChangeKey) {
            message.walk_mut(&mut |node| {
                for (name, value) in &mut node.attrs {
                    if name == "ChangeKey" {
                        *value = FROZEN_CHANGE_KEY.into();
                    }
                }
            });
        }
        if self.has(Quirk::PublicDlAsMailbox) {
            message.walk_mut(&mut |node| {
                if node.local == "MailboxType" && node.text.as_deref() == Some("PublicDL") {
                    node.text = Some("Mailbox".into());
                }
            });
        }
        if self.has(Quirk::WrongFolderCounts) {
            message.walk_mut(&mut |node| {
                if node.local == "ChildFolderCount" {
                    if let Some(n) = node.text.as_deref().and_then(|t| t.parse::<u64>().ok()) {
                        node.text = Some((n + 1).to_string());
                    }
                }
            });
        }
        if self.has(Quirk::PagingOffByOne) {
            message.walk_mut(&mut |node| {
                let paged = node
                    .attrs
                    .iter()
                    .any(|(name, _)| name == "IndexedPagingOffset" || name == "NumeratorOffset");
                if node.local == "RootFolder" && paged {
                    if let Some(folders) = node.find_mut("Folders") {
                        folders.children.pop();
                    }
                    if let Some(items) = node.find_mut("Items") {
                        items.children.pop();
                    }
                }
            });
        }
        if self.has(Quirk::IncludesLastItemWrong) {
            message.walk_mut(&mut |node| {
                if node.local == "RootFolder" {
                    for (name, value) in &mut node.attrs {
                        if name == "IncludesLastItemInRange" {
                            *value = if value == "true" { "false" } else { "true" }.into();
                        }
                    }
                }
            });
        }
        if self.has(Quirk::FolderClassFirst) {
            message.walk_mut(&mut |node| {
                if node.local.ends_with("Folder") && node.local != "RootFolder" {
                    swap_children(node, "FolderId", "FolderClass");
                }
            });
        }
        if self.has(Quirk::MissingElement) {
            message.children.retain(|c| c.local != "ResponseCode");
        }
        if self.has(Quirk::ExtraElement) {
            message
                .children
                .push(Node::m(EXTRA_ELEMENT).text("added by the extra-element quirk"));
        }
    }
}

fn swap_children(node: &mut Node, first: &str, second: &str) {
    let a = node.children.iter().position(|c| c.local == first);
    let b = node.children.iter().position(|c| c.local == second);
    if let (Some(a), Some(b)) = (a, b) {
        node.children.swap(a, b);
    }
}
