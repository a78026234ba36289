//! The sync area: SyncFolderItems and SyncFolderHierarchy (one file each), over the change
//! computation of [`crate::mailbox::changes`].
//!
//! Shared here: the sync state ([`SyncState`]) and the response message both operations write
//! ([`sync_response`]).
//!
//! **Sync states** are opaque tokens the server can verify, and need no journal. A state holds
//! what the client has been told: a [`Snapshot`] of the folder's items (or of the subtree's
//! folders), one entry per object (sequence number, version, fingerprint, read flag). The next
//! sync compares the folder's current contents with it, so an old state stays usable after
//! later changes: it simply yields more changes. Its bytes, base64-encoded:
//!
//! | bytes | content |
//! |---|---|
//! | 1 | format version (1) |
//! | 1 | kind: 1 SyncFolderItems, 2 SyncFolderHierarchy |
//! | 2 | mailbox index, little-endian |
//! | 4 | the synchronized folder's sequence number, little-endian |
//! | n | the snapshot ([`Snapshot::encode`], about 6 bytes per object) |
//! | 16 | HMAC-SHA256 of everything before, truncated, under a key drawn at server start |
//!
//! A state that is not base64, is too short, fails the check (corrupted, truncated, made by
//! another server process), belongs to another mailbox, another folder or the other operation
//! is `ErrorInvalidSyncStateData`. An absent or empty `SyncState` starts from scratch.

pub mod sync_folder_hierarchy;
pub mod sync_folder_items;

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::changes::{Change, ChangeKind, Snapshot};
use crate::ops::{Response, message_node};
use crate::render::Node;

/// The cases family of this area: `cases/sync/<operation>/`.
pub const FAMILY: &str = "sync";

const FORMAT_VERSION: u8 = 1;
const HEADER_LEN: usize = 8;
const TAG_LEN: usize = 16;

/// Which operation a state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    Items = 1,
    Hierarchy = 2,
}

/// A verified sync state: whose, of which folder, and what the client has been told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    pub kind: StateKind,
    pub mailbox: u16,
    pub folder: u32,
    pub snapshot: Snapshot,
}

fn key() -> &'static hmac::Key {
    static KEY: OnceLock<hmac::Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let rng = ring::rand::SystemRandom::new();
        hmac::Key::generate(hmac::HMAC_SHA256, &rng).unwrap_or_else(|_| {
            // No system randomness: a key from the clock and the process, still unguessable
            // enough for a test server's tokens.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let seed = format!("{nanos}:{}", std::process::id());
            hmac::Key::new(hmac::HMAC_SHA256, seed.as_bytes())
        })
    })
}

fn tag(bytes: &[u8]) -> [u8; TAG_LEN] {
    let full = hmac::sign(key(), bytes);
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&full.as_ref()[..TAG_LEN]);
    out
}

impl SyncState {
    /// The token sent as `m:SyncState`.
    pub fn encode(&self) -> String {
        let mut bytes = vec![FORMAT_VERSION, self.kind as u8];
        bytes.extend_from_slice(&self.mailbox.to_le_bytes());
        bytes.extend_from_slice(&self.folder.to_le_bytes());
        self.snapshot.encode(&mut bytes);
        let tag = tag(&bytes);
        bytes.extend_from_slice(&tag);
        STANDARD.encode(bytes)
    }

    /// The snapshot of a token given back for operation `kind` on folder `folder` of mailbox
    /// `mailbox`: empty for an absent or empty token, `Err` (`invalid`, the operation's
    /// wording of ErrorInvalidSyncStateData) for anything this server did not issue for them.
    pub fn told(
        token: Option<&str>,
        kind: StateKind,
        mailbox: u16,
        folder: u32,
        invalid: ResponseCode,
    ) -> Result<Snapshot, ResponseError> {
        let token = token.map(str::trim).unwrap_or_default();
        if token.is_empty() {
            return Ok(Snapshot::default());
        }
        let state = SyncState::decode(token).ok_or_else(|| ResponseError::new(invalid))?;
        if (state.kind, state.mailbox, state.folder) != (kind, mailbox, folder) {
            return Err(ResponseError::new(invalid));
        }
        Ok(state.snapshot)
    }

    /// A token's state, `None` unless this server process issued it unchanged.
    pub fn decode(token: &str) -> Option<SyncState> {
        let bytes = STANDARD.decode(token).ok()?;
        if bytes.len() < HEADER_LEN + TAG_LEN {
            return None;
        }
        let (signed, given) = bytes.split_at(bytes.len() - TAG_LEN);
        let expected = tag(signed);
        // Constant time: every byte is compared.
        let differs = expected
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs != 0 || signed[0] != FORMAT_VERSION {
            return None;
        }
        let kind = match signed[1] {
            1 => StateKind::Items,
            2 => StateKind::Hierarchy,
            _ => return None,
        };
        let mailbox = u16::from_le_bytes([signed[2], signed[3]]);
        let folder = u32::from_le_bytes([signed[4], signed[5], signed[6], signed[7]]);
        let snapshot = Snapshot::decode(&signed[HEADER_LEN..]).ok()?;
        Some(SyncState {
            kind,
            mailbox,
            folder,
            snapshot,
        })
    }
}

/// Under the `sync-loses-change` quirk: the first Update of `changes`, which the answer leaves
/// out while its new state counts it as told.
pub fn lost_change(changes: &[Change], quirk: bool) -> Option<usize> {
    quirk
        .then(|| changes.iter().position(|c| c.kind == ChangeKind::Update))
        .flatten()
}

/// A successful sync answer: its new state, whether it holds the last change, and the change
/// elements (`t:Create`, `t:Update`, ...).
pub struct SyncAnswer {
    pub state: String,
    pub includes_last: bool,
    pub changes: Vec<Node>,
}

/// The whole response body of `operation` (`SyncFolderItems`): one response message with
/// `m:SyncState`, `m:{last_name}` and `m:Changes`; an error message carries an empty
/// `m:SyncState` and `{last_name}` true, as the documented error examples show.
pub fn sync_response(
    operation: &str,
    last_name: &str,
    outcome: Result<SyncAnswer, ResponseError>,
) -> Response {
    let local = format!("{operation}ResponseMessage");
    let (codes, message) = match outcome {
        Ok(answer) => (
            Vec::new(),
            message_node(&local, Ok(None), None)
                .child(Node::m("SyncState").text(answer.state))
                .child(Node::m(last_name).text(answer.includes_last.to_string()))
                .child(Node::m("Changes").children(answer.changes)),
        ),
        Err(error) => (
            vec![error.code],
            message_node(&local, Err(error), None)
                .child(Node::m("SyncState"))
                .child(Node::m(last_name).text("true")),
        ),
    };
    Response::Body {
        codes,
        body: Node::m(&format!("{operation}Response"))
            .child(Node::m("ResponseMessages").child(message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::changes::Entry;

    fn state() -> SyncState {
        SyncState {
            kind: StateKind::Items,
            mailbox: 3,
            folder: 42,
            snapshot: Snapshot::new([Entry {
                seq: 7,
                version: 2,
                fingerprint: 99,
                is_read: true,
            }]),
        }
    }

    #[test]
    fn a_state_round_trips_and_any_damage_is_refused() {
        let token = state().encode();
        assert_eq!(SyncState::decode(&token), Some(state()));
        let bytes = STANDARD.decode(&token).expect("base64");
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x01;
            assert_eq!(
                SyncState::decode(&STANDARD.encode(&damaged)),
                None,
                "byte {at}"
            );
            assert_eq!(
                SyncState::decode(&STANDARD.encode(&bytes[..at])),
                None,
                "cut {at}"
            );
        }
        assert_eq!(SyncState::decode("not base64!"), None);
    }

    #[test]
    fn a_state_is_refused_for_another_mailbox_folder_or_operation() {
        let token = state().encode();
        let told = |kind, mailbox, folder| {
            SyncState::told(
                Some(&token),
                kind,
                mailbox,
                folder,
                ResponseCode::ErrorInvalidSyncStateData,
            )
        };
        assert_eq!(told(StateKind::Items, 3, 42), Ok(state().snapshot));
        for (kind, mailbox, folder) in [
            (StateKind::Hierarchy, 3, 42),
            (StateKind::Items, 4, 42),
            (StateKind::Items, 3, 43),
        ] {
            assert_eq!(
                told(kind, mailbox, folder).map_err(|e| e.code),
                Err(ResponseCode::ErrorInvalidSyncStateData)
            );
        }
        assert_eq!(
            SyncState::told(
                Some("  "),
                StateKind::Items,
                0,
                0,
                ResponseCode::ErrorInvalidSyncStateData
            ),
            Ok(Snapshot::default())
        );
    }
}
