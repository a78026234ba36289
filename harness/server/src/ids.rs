//! Deterministic EWS-style identifiers.
//!
//! Owns the binary layout of the `Id` and `ChangeKey` strings the server hands out. An `Id` is the
//! standard base64 of 13 bytes:
//!
//! | bytes  | meaning                                                              |
//! |--------|----------------------------------------------------------------------|
//! | 0..3   | marker `00 03 24` (store item, base64 starts `AAMk`) or `00 04 24` (persona, `AAQk`) |
//! | 3      | layout version, `01`                                                 |
//! | 4      | object kind: 1 IM group, 2 contact, 3 persona, 4 folder, 5 item, 6 attachment |
//! | 5..7   | mailbox index (big-endian u16, position of the user in the config)   |
//! | 7..11  | sequence number inside that mailbox (big-endian u32)                 |
//! | 11..13 | checksum of bytes 0..11 (big-endian u16)                             |
//!
//! An attachment id ([`encode_attachment`]) is 11 + 4·n + 2 bytes: bytes 0..11 as above with kind 6
//! and the sequence number of its root item, then n attachment numbers (big-endian u32; the
//! first is an attachment of the root item, each further one an attachment of the item the
//! previous one holds; 1 ≤ n ≤ [`MAX_ATTACHMENT_LEVELS`]), then the checksum of all bytes before
//! it; so an attachment id names its root item.
//!
//! Anything that does not decode to exactly this layout is *malformed* (`ErrorInvalidIdMalformed`).
//! A `ChangeKey` is the base64 of `[marker, 0, 0, 0]` followed by the object's version (big-endian
//! u32); the marker is `0x12` for groups (`Eg...`), `0x11` for contacts (`EQ...`) and `0x01` for
//! folders (`AQ...`), like Exchange's. The version grows whenever the object changes, so the
//! change key changes with it. Same requests in the same order give the same ids.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// What an id points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Group,
    Contact,
    Persona,
    Folder,
    Item,
    Attachment,
    /// A user configuration object (`t:UserConfiguration/t:ItemId`).
    UserConfiguration,
}

impl IdKind {
    fn byte(self) -> u8 {
        match self {
            IdKind::Group => 1,
            IdKind::Contact => 2,
            IdKind::Persona => 3,
            IdKind::Folder => 4,
            IdKind::Item => 5,
            IdKind::Attachment => 6,
            IdKind::UserConfiguration => 7,
        }
    }

    fn from_byte(byte: u8) -> Option<IdKind> {
        match byte {
            1 => Some(IdKind::Group),
            2 => Some(IdKind::Contact),
            3 => Some(IdKind::Persona),
            4 => Some(IdKind::Folder),
            5 => Some(IdKind::Item),
            6 => Some(IdKind::Attachment),
            7 => Some(IdKind::UserConfiguration),
            _ => None,
        }
    }

    fn marker(self) -> u8 {
        match self {
            IdKind::Persona => 0x04,
            _ => 0x03,
        }
    }

    fn change_key_marker(self) -> u8 {
        match self {
            IdKind::Group => 0x12,
            IdKind::Contact | IdKind::Persona => 0x11,
            IdKind::Folder => 0x01,
            IdKind::Item | IdKind::Attachment => 0x09,
            IdKind::UserConfiguration => 0x0a,
        }
    }
}

/// A decoded id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreId {
    pub kind: IdKind,
    pub mailbox: u16,
    pub seq: u32,
}

const LEN: usize = 13;
const LAYOUT_VERSION: u8 = 1;

fn checksum(bytes: &[u8]) -> u16 {
    // Fletcher-16: cheap, order-sensitive, catches edits of single characters.
    let (mut a, mut b) = (0u16, 0u16);
    for &byte in bytes {
        a = (a + u16::from(byte)) % 255;
        b = (b + a) % 255;
    }
    (b << 8) | a
}

/// The `Id` attribute value for `id`.
pub fn encode(id: StoreId) -> String {
    let mut bytes = [0u8; LEN];
    bytes[..11].copy_from_slice(&header(id));
    let sum = checksum(&bytes[..11]);
    bytes[11..13].copy_from_slice(&sum.to_be_bytes());
    STANDARD.encode(bytes)
}

/// Bytes 0..11 of an id: marker, layout version, kind, mailbox, sequence number.
fn header(id: StoreId) -> [u8; 11] {
    let mut bytes = [0u8; 11];
    bytes[1] = id.kind.marker();
    bytes[2] = 0x24;
    bytes[3] = LAYOUT_VERSION;
    bytes[4] = id.kind.byte();
    bytes[5..7].copy_from_slice(&id.mailbox.to_be_bytes());
    bytes[7..11].copy_from_slice(&id.seq.to_be_bytes());
    bytes
}

/// Decodes an `Id` attribute value; `None` when it is malformed.
pub fn decode(text: &str) -> Option<StoreId> {
    let bytes = STANDARD.decode(text.trim()).ok()?;
    if bytes.len() != LEN || bytes[0] != 0 || bytes[2] != 0x24 || bytes[3] != LAYOUT_VERSION {
        return None;
    }
    let kind = IdKind::from_byte(bytes[4]).filter(|k| *k != IdKind::Attachment)?;
    if bytes[1] != kind.marker() {
        return None;
    }
    let sum = u16::from_be_bytes([bytes[11], bytes[12]]);
    if sum != checksum(&bytes[..11]) {
        return None;
    }
    Some(StoreId {
        kind,
        mailbox: u16::from_be_bytes([bytes[5], bytes[6]]),
        seq: u32::from_be_bytes([bytes[7], bytes[8], bytes[9], bytes[10]]),
    })
}

/// Most attachment levels an attachment id can name (an attachment of an item attached to an
/// item attached to ..., counted from the root item's own attachments).
pub const MAX_ATTACHMENT_LEVELS: usize = 16;

/// The `Id` of the attachment reached from item `root` (its kind is ignored) through `path`: the
/// number of one of its attachments, then of an attachment of the item that one holds, ...
pub fn encode_attachment(root: StoreId, path: &[u32]) -> String {
    let mut bytes = header(StoreId {
        kind: IdKind::Attachment,
        ..root
    })
    .to_vec();
    for number in path.iter().take(MAX_ATTACHMENT_LEVELS) {
        bytes.extend_from_slice(&number.to_be_bytes());
    }
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_be_bytes());
    STANDARD.encode(bytes)
}

/// Decodes an attachment `Id`: its root item (kind `Item`) and the path of attachment numbers;
/// `None` when it is not an attachment id of this layout.
pub fn decode_attachment(text: &str) -> Option<(StoreId, Vec<u32>)> {
    let bytes = STANDARD.decode(text.trim()).ok()?;
    let levels = bytes.len().checked_sub(13)? / 4;
    if bytes.len() != 13 + 4 * levels
        || !(1..=MAX_ATTACHMENT_LEVELS).contains(&levels)
        || bytes[..5]
            != [
                0,
                IdKind::Attachment.marker(),
                0x24,
                LAYOUT_VERSION,
                IdKind::Attachment.byte(),
            ]
    {
        return None;
    }
    let (body, sum) = bytes.split_at(bytes.len() - 2);
    if u16::from_be_bytes([sum[0], sum[1]]) != checksum(body) {
        return None;
    }
    let root = StoreId {
        kind: IdKind::Item,
        mailbox: u16::from_be_bytes([body[5], body[6]]),
        seq: u32::from_be_bytes([body[7], body[8], body[9], body[10]]),
    };
    let path = body[11..]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some((root, path))
}

/// The `ChangeKey` of an object of `kind` at `version`.
pub fn change_key(kind: IdKind, version: u32) -> String {
    let mut bytes = [0u8; 8];
    bytes[0] = kind.change_key_marker();
    bytes[4..8].copy_from_slice(&version.to_be_bytes());
    STANDARD.encode(bytes)
}

/// The mailbox GUID reported in `ErrorNonExistentMailbox` (`MessageXml/Value[@Name="MailboxGuid"]`).
pub fn mailbox_guid(mailbox: u16) -> String {
    format!("6d626f78-0000-4000-8000-{:012x}", mailbox)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_look_like_exchange_ids() {
        let id = StoreId {
            kind: IdKind::Group,
            mailbox: 2,
            seq: 77,
        };
        let text = encode(id);
        assert!(text.starts_with("AAMk"), "{text}");
        assert_eq!(decode(&text), Some(id));
        let persona = encode(StoreId {
            kind: IdKind::Persona,
            mailbox: 0,
            seq: 5,
        });
        assert!(persona.starts_with("AAQk"), "{persona}");
    }

    #[test]
    fn edited_or_foreign_ids_are_malformed() {
        let text = encode(StoreId {
            kind: IdKind::Contact,
            mailbox: 0,
            seq: 9,
        });
        let mut chars: Vec<char> = text.chars().collect();
        chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
        let edited: String = chars.into_iter().collect();
        assert_eq!(decode(&edited), None);
        assert_eq!(decode(""), None);
        assert_eq!(
            decode("AAMkAGQ1MjJjMTBkLTc4Y2UtNDA5Ny04ZjU5LWI3MAAA="),
            None
        );
        assert_eq!(decode("not base64!"), None);
    }

    #[test]
    fn attachment_ids_name_their_root_item() {
        let root = StoreId {
            kind: IdKind::Item,
            mailbox: 1,
            seq: 42,
        };
        let text = encode_attachment(root, &[3]);
        assert!(text.starts_with("AAMk"), "{text}");
        assert_eq!(decode_attachment(&text), Some((root, vec![3])));
        let nested = encode_attachment(root, &[3, 1, 7]);
        assert_eq!(decode_attachment(&nested), Some((root, vec![3, 1, 7])));
        assert_eq!(decode(&text), None, "not an item id");
        assert_eq!(
            decode_attachment(&encode(root)),
            None,
            "not an attachment id"
        );
        let mut chars: Vec<char> = text.chars().collect();
        chars[18] = if chars[18] == 'A' { 'B' } else { 'A' };
        assert_eq!(
            decode_attachment(&chars.into_iter().collect::<String>()),
            None
        );
    }

    #[test]
    fn change_keys_follow_the_version() {
        assert_eq!(change_key(IdKind::Group, 0), "EgAAAAAAAAA=");
        assert_ne!(change_key(IdKind::Group, 1), change_key(IdKind::Group, 2));
        assert!(change_key(IdKind::Contact, 1).starts_with("EQ"));
    }
}
