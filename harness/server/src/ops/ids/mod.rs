//! The id area: ConvertId, which converts ids between the formats of `t:IdFormatType`.
//!
//! Every format encodes the same [`StoreId`] (kind, mailbox, sequence number), so any id the
//! server hands out converts to every format and back exactly:
//!
//! | format | layout |
//! |---|---|
//! | `EwsId` | the server's ids ([`crate::ids`]): base64 of 13 bytes, `00 03 24 01 kind mailbox seq sum` |
//! | `EwsLegacyId` | the same 13 bytes with byte 2 `4C` instead of `24` (Exchange 2007 ids) |
//! | `EntryId` | base64 of a MAPI-style entry id: 4 flag bytes `00`, the 16 bytes of the mailbox GUID, the kind byte, the sequence number (big-endian u32) |
//! | `HexEntryId` | the entry id's 25 bytes in upper-case hexadecimal |
//! | `StoreId` | base64 of the entry id followed by the kind byte (the object type) |
//! | `OwaId` | `Rg` style: base64 of `46 00 00 00` and the entry id, with `+`, `/`, `=` percent-encoded (`%2B`, `%2F`, `%3D`) |
//!
//! Anything that does not decode exactly → `ErrorInvalidIdMalformed` (the documented error). The
//! `Mailbox` attribute must name a mailbox of the directory (`ErrorNonExistentMailbox`) and be the
//! one the id belongs to (else `ErrorInvalidIdMalformed`); the answer carries it unchanged.

pub mod convert_id;

use crate::ids::{self, IdKind, StoreId};

/// The cases family of this area: `cases/ids/<operation>/`.
pub const FAMILY: &str = "ids";

/// `t:IdFormatType` (the variants are the schema's names, all ending in `Id`).
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdFormat {
    EwsLegacyId,
    EwsId,
    EntryId,
    HexEntryId,
    StoreId,
    OwaId,
}

impl IdFormat {
    pub const ALL: &'static [IdFormat] = &[
        IdFormat::EwsLegacyId,
        IdFormat::EwsId,
        IdFormat::EntryId,
        IdFormat::HexEntryId,
        IdFormat::StoreId,
        IdFormat::OwaId,
    ];

    pub fn parse(text: &str) -> Option<IdFormat> {
        IdFormat::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == text.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IdFormat::EwsLegacyId => "EwsLegacyId",
            IdFormat::EwsId => "EwsId",
            IdFormat::EntryId => "EntryId",
            IdFormat::HexEntryId => "HexEntryId",
            IdFormat::StoreId => "StoreId",
            IdFormat::OwaId => "OwaId",
        }
    }
}

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const LEGACY_MARKER: u8 = 0x4c;
const OWA_PREFIX: [u8; 4] = [0x46, 0, 0, 0];

fn guid_bytes(mailbox: u16) -> [u8; 16] {
    let text = ids::mailbox_guid(mailbox).replace('-', "");
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2).unwrap_or("00"), 16).unwrap_or(0);
    }
    out
}

fn kind_byte(kind: IdKind) -> u8 {
    match kind {
        IdKind::Group => 1,
        IdKind::Contact => 2,
        IdKind::Persona => 3,
        IdKind::Folder => 4,
        IdKind::Item => 5,
        IdKind::Attachment => 6,
        IdKind::UserConfiguration => 7,
    }
}

fn kind_from_byte(byte: u8) -> Option<IdKind> {
    Some(match byte {
        1 => IdKind::Group,
        2 => IdKind::Contact,
        3 => IdKind::Persona,
        4 => IdKind::Folder,
        5 => IdKind::Item,
        6 => IdKind::UserConfiguration,
        _ => return None,
    })
}

fn entry_id(id: StoreId) -> Vec<u8> {
    let mut out = vec![0u8; 4];
    out.extend_from_slice(&guid_bytes(id.mailbox));
    out.push(kind_byte(id.kind));
    out.extend_from_slice(&id.seq.to_be_bytes());
    out
}

fn parse_entry_id(bytes: &[u8]) -> Option<StoreId> {
    if bytes.len() != 25 || bytes[..4] != [0, 0, 0, 0] {
        return None;
    }
    let guid: [u8; 16] = bytes[4..20].try_into().ok()?;
    // The GUID's last 6 bytes carry the mailbox index; the rest must be the fixed prefix.
    let mailbox = u16::from_be_bytes([guid[14], guid[15]]);
    if guid != guid_bytes(mailbox) {
        return None;
    }
    Some(StoreId {
        kind: kind_from_byte(bytes[20])?,
        mailbox,
        seq: u32::from_be_bytes(bytes[21..25].try_into().ok()?),
    })
}

fn percent_encode(text: &str) -> String {
    text.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

fn percent_decode(text: &str) -> String {
    text.replace("%2B", "+")
        .replace("%2b", "+")
        .replace("%2F", "/")
        .replace("%2f", "/")
        .replace("%3D", "=")
        .replace("%3d", "=")
}

/// `id` written in `format`.
pub fn encode(id: StoreId, format: IdFormat) -> String {
    match format {
        IdFormat::EwsId => ids::encode(id),
        IdFormat::EwsLegacyId => {
            let mut bytes = STANDARD.decode(ids::encode(id)).unwrap_or_default();
            if let Some(marker) = bytes.get_mut(2) {
                *marker = LEGACY_MARKER;
            }
            STANDARD.encode(bytes)
        }
        IdFormat::EntryId => STANDARD.encode(entry_id(id)),
        IdFormat::HexEntryId => entry_id(id).iter().map(|b| format!("{b:02X}")).collect(),
        IdFormat::StoreId => {
            let mut bytes = entry_id(id);
            bytes.push(kind_byte(id.kind));
            STANDARD.encode(bytes)
        }
        IdFormat::OwaId => {
            let mut bytes = OWA_PREFIX.to_vec();
            bytes.extend(entry_id(id));
            percent_encode(&STANDARD.encode(bytes))
        }
    }
}

/// Reads an id written in `format`; `None` when it is malformed.
pub fn decode(text: &str, format: IdFormat) -> Option<StoreId> {
    let text = text.trim();
    match format {
        IdFormat::EwsId => ids::decode(text),
        IdFormat::EwsLegacyId => {
            let mut bytes = STANDARD.decode(text).ok()?;
            if bytes.get(2) != Some(&LEGACY_MARKER) {
                return None;
            }
            bytes[2] = 0x24;
            ids::decode(&STANDARD.encode(bytes))
        }
        IdFormat::EntryId => parse_entry_id(&STANDARD.decode(text).ok()?),
        IdFormat::HexEntryId => {
            if text.len() != 50 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let bytes: Option<Vec<u8>> = (0..25)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
                .collect();
            parse_entry_id(&bytes?)
        }
        IdFormat::StoreId => {
            let bytes = STANDARD.decode(text).ok()?;
            let (entry, kind) = bytes.split_at_checked(25)?;
            let id = parse_entry_id(entry)?;
            (kind == [kind_byte(id.kind)]).then_some(id)
        }
        IdFormat::OwaId => {
            let bytes = STANDARD.decode(percent_decode(text)).ok()?;
            let (prefix, entry) = bytes.split_at_checked(4)?;
            if prefix != OWA_PREFIX {
                return None;
            }
            parse_entry_id(entry)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_round_trips_exactly() {
        for kind in [IdKind::Folder, IdKind::Item, IdKind::Group] {
            let id = StoreId {
                kind,
                mailbox: 2,
                seq: 70_001,
            };
            for &from in IdFormat::ALL {
                let text = encode(id, from);
                assert_eq!(decode(&text, from), Some(id), "{from:?}: {text}");
                for &to in IdFormat::ALL {
                    let converted = encode(decode(&text, from).expect("decodes"), to);
                    assert_eq!(decode(&converted, to), Some(id));
                    assert_eq!(encode(id, from), text, "deterministic");
                }
                if from != IdFormat::EwsId {
                    assert_eq!(
                        decode(&text, IdFormat::EwsId),
                        None,
                        "{from:?} is not an EwsId"
                    );
                }
            }
        }
    }

    #[test]
    fn bad_ids_are_malformed_in_every_format() {
        for &format in IdFormat::ALL {
            for bad in ["", "DUMMY", "AAAA", "%%%", "00112233"] {
                assert_eq!(decode(bad, format), None, "{format:?} {bad}");
            }
        }
        assert!(
            encode(
                StoreId {
                    kind: IdKind::Folder,
                    mailbox: 0,
                    seq: 1
                },
                IdFormat::OwaId
            )
            .starts_with("Rg")
        );
    }
}
