//! What changed between two states of a set of mailbox objects: the items of a folder, or the
//! folders of a subtree.
//!
//! A [`Snapshot`] is what a client has been told about each object: one [`Entry`] per object
//! (its sequence number, its version, a fingerprint of the properties a change is reported for,
//! and for items the read flag), sorted by sequence number. [`Snapshot::changes`] compares a
//! snapshot with the current one ([`Snapshot::of_items`], [`Snapshot::of_folders`]) in one
//! merge pass (linear in both sizes) and lists the [`Change`]s, newest object first (the order
//! Exchange 2010 SP2 and later use). [`Snapshot::advanced`] is the snapshot after the client
//! has been told some of those changes (a page of them), so a later comparison reports only the
//! rest. [`Snapshot::encode`] / [`Snapshot::decode`] give a compact byte form (about 6 bytes per
//! object) for the sync states of `ops/sync/`; decoding is strict and never panics.
//!
//! Nothing here needs a journal: a snapshot taken earlier simply yields more changes.
//!
//! How a change is classified (`old` the told entry, `new` the current one):
//! - only in `new`: [`ChangeKind::Create`]; only in `old`: [`ChangeKind::Delete`];
//! - same fingerprint and version, same read flag: no change;
//! - same fingerprint, read flag differs: [`ChangeKind::ReadFlag`] (an IsRead-only change);
//! - otherwise (fingerprint or version moved): [`ChangeKind::Update`].

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::Mailbox;
use super::folders::Folder;
use super::items::Item;

/// What a client has been told about one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub seq: u32,
    /// The object's version (its ChangeKey follows it).
    pub version: u32,
    /// [`item_fingerprint`] or [`folder_fingerprint`].
    pub fingerprint: u32,
    /// The item's read flag (`false` for folders).
    pub is_read: bool,
}

/// How an object changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    /// Only the read flag changed; its new value.
    ReadFlag(bool),
    Delete,
}

/// One change of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: u32,
    pub kind: ChangeKind,
}

/// Why bytes are not a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes end inside an entry or a number.
    Truncated,
    /// A number does not fit, sequence numbers do not increase, or bytes follow the last entry.
    Malformed,
}

/// The told state of a set of objects, sorted by sequence number, one entry per object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    entries: Vec<Entry>,
}

impl Snapshot {
    /// A snapshot of `entries` (sorted here; of two entries for one object the last wins).
    pub fn new(entries: impl IntoIterator<Item = Entry>) -> Snapshot {
        let mut entries: Vec<Entry> = entries.into_iter().collect();
        entries.reverse();
        entries.sort_by_key(|e| e.seq);
        entries.dedup_by_key(|e| e.seq);
        Snapshot { entries }
    }

    /// The current state of `items`, hashing as little as it can: an item whose version is the
    /// one `known` has for it keeps `known`'s fingerprint (an item's version grows on every
    /// change, `items.rs`), and an item `known` lacks is not hashed yet (fingerprint 0: it is a
    /// Create whatever its properties); [`hashed`](Self::hashed) fills those in for the entries
    /// kept in a new state. So a sync of an unchanged folder hashes nothing, and paging through a
    /// new folder hashes each item once.
    pub fn of_items<'a>(items: impl IntoIterator<Item = &'a Item>, known: &Snapshot) -> Snapshot {
        Snapshot::new(items.into_iter().map(|item| Entry {
            seq: item.seq,
            version: item.version,
            fingerprint: match known.get(item.seq) {
                Some(entry) if entry.version == item.version => entry.fingerprint,
                Some(_) => item_fingerprint(item),
                None => 0,
            },
            is_read: item.is_read,
        }))
    }

    /// This snapshot with the entries `known` lacks given their fingerprint (`fingerprint` of
    /// their sequence number): the completion of a state built from [`of_items`](Self::of_items).
    pub fn hashed(mut self, known: &Snapshot, fingerprint: impl Fn(u32) -> u32) -> Snapshot {
        for entry in &mut self.entries {
            if known.get(entry.seq).is_none() {
                entry.fingerprint = fingerprint(entry.seq);
            }
        }
        self
    }

    /// The current state of the folders `seqs` of `mailbox` (missing ones are left out).
    pub fn of_folders(mailbox: &Mailbox, seqs: &[u32]) -> Snapshot {
        Snapshot::new(seqs.iter().filter_map(|seq| {
            let folder = mailbox.folders.get(*seq)?;
            Some(Entry {
                seq: folder.seq,
                version: folder.version,
                fingerprint: folder_fingerprint(mailbox, folder),
                is_read: false,
            })
        }))
    }

    /// The entry of object `seq`.
    pub fn get(&self, seq: u32) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&seq, |e| e.seq)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Every change from this (told) snapshot to `current`, newest object (highest sequence
    /// number) first.
    pub fn changes(&self, current: &Snapshot) -> Vec<Change> {
        let mut out = Vec::new();
        let (mut old, mut new) = (
            self.entries.iter().peekable(),
            current.entries.iter().peekable(),
        );
        loop {
            let change = match (old.peek(), new.peek()) {
                (None, None) => break,
                (Some(o), Some(n)) if o.seq == n.seq => {
                    let (o, n) = (**o, **n);
                    old.next();
                    new.next();
                    classify(&o, &n).map(|kind| Change { seq: n.seq, kind })
                }
                (Some(o), n) if n.is_none_or(|n| o.seq < n.seq) => {
                    let seq = o.seq;
                    old.next();
                    Some(Change {
                        seq,
                        kind: ChangeKind::Delete,
                    })
                }
                _ => new.next().map(|n| Change {
                    seq: n.seq,
                    kind: ChangeKind::Create,
                }),
            };
            out.extend(change);
        }
        out.reverse();
        out
    }

    /// This snapshot after the client has been told the changes of the objects `told` (their
    /// entries become those of `current`, or go when `current` has none); the other entries stay.
    pub fn advanced(&self, current: &Snapshot, told: &BTreeSet<u32>) -> Snapshot {
        let kept = self
            .entries
            .iter()
            .filter(|e| !told.contains(&e.seq))
            .copied();
        let taken = told.iter().filter_map(|seq| current.get(*seq)).copied();
        Snapshot::new(kept.chain(taken))
    }

    /// Appends the byte form: the entry count, then per entry the sequence number's distance
    /// from the previous one, `version << 1 | is_read` (both LEB128) and the fingerprint (4
    /// bytes, little-endian).
    pub fn encode(&self, out: &mut Vec<u8>) {
        write_varint(out, self.entries.len() as u64);
        let mut previous = 0u32;
        for entry in &self.entries {
            write_varint(out, u64::from(entry.seq - previous));
            write_varint(
                out,
                (u64::from(entry.version) << 1) | u64::from(entry.is_read),
            );
            out.extend_from_slice(&entry.fingerprint.to_le_bytes());
            previous = entry.seq;
        }
    }

    /// Reads the byte form written by [`encode`](Self::encode); every byte must belong to it.
    pub fn decode(bytes: &[u8]) -> Result<Snapshot, DecodeError> {
        let mut reader = Reader { bytes, at: 0 };
        let count = reader.varint()?;
        // Each entry takes at least 6 bytes: a count beyond that is a lie, not an allocation.
        if count > (bytes.len() / 6) as u64 {
            return Err(DecodeError::Truncated);
        }
        let mut entries = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut previous = 0u32;
        for index in 0..count {
            let distance = u32::try_from(reader.varint()?).map_err(|_| DecodeError::Malformed)?;
            if distance == 0 && index > 0 {
                return Err(DecodeError::Malformed);
            }
            let seq = previous
                .checked_add(distance)
                .ok_or(DecodeError::Malformed)?;
            let packed = reader.varint()?;
            let version = u32::try_from(packed >> 1).map_err(|_| DecodeError::Malformed)?;
            let fingerprint = u32::from_le_bytes(reader.take::<4>()?);
            entries.push(Entry {
                seq,
                version,
                fingerprint,
                is_read: packed & 1 == 1,
            });
            previous = seq;
        }
        if reader.at != bytes.len() {
            return Err(DecodeError::Malformed);
        }
        Ok(Snapshot { entries })
    }
}

fn classify(old: &Entry, new: &Entry) -> Option<ChangeKind> {
    if old == new {
        None
    } else if old.fingerprint == new.fingerprint && old.is_read != new.is_read {
        Some(ChangeKind::ReadFlag(new.is_read))
    } else {
        Some(ChangeKind::Update)
    }
}

/// A hash of the item properties whose change is an Update: everything but the read flag, the
/// version and the server-set times.
pub fn item_fingerprint(item: &Item) -> u32 {
    let mut hasher = DefaultHasher::new();
    (
        &item.parent,
        &item.element,
        &item.item_class,
        &item.subject,
        item.body.as_ref().map(|b| (b.html, &b.text)),
        &item.importance,
        &item.sensitivity,
        &item.categories,
        item.is_draft,
        item.soft_deleted,
    )
        .hash(&mut hasher);
    format!("{:?}{:?}", item.specific, item.properties).hash(&mut hasher);
    fold(hasher.finish())
}

/// A hash of the folder properties whose change is an Update: name, class, kind, parent, the
/// three counts and the extended properties.
pub fn folder_fingerprint(mailbox: &Mailbox, folder: &Folder) -> u32 {
    let mut hasher = DefaultHasher::new();
    let (total, unread) = mailbox.items.counts(folder.seq);
    let children = mailbox.folders.children(folder.seq).len();
    (
        &folder.display_name,
        &folder.folder_class,
        folder.kind.element(),
        folder.parent,
        total,
        unread,
        children,
    )
        .hash(&mut hasher);
    format!("{:?}", folder.properties).hash(&mut hasher);
    fold(hasher.finish())
}

fn fold(hash: u64) -> u32 {
    (hash ^ (hash >> 32)) as u32
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or(DecodeError::Truncated)?;
            self.at += 1;
            let part = u64::from(byte & 0x7f);
            if shift == 63 && part > 1 {
                return Err(DecodeError::Malformed);
            }
            value |= part << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::Malformed)
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let end = self.at.checked_add(N).ok_or(DecodeError::Truncated)?;
        let slice = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated)?;
        self.at = end;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u32, version: u32, fingerprint: u32, is_read: bool) -> Entry {
        Entry {
            seq,
            version,
            fingerprint,
            is_read,
        }
    }

    fn change(seq: u32, kind: ChangeKind) -> Change {
        Change { seq, kind }
    }

    #[test]
    fn changes_are_classified_and_listed_newest_first() {
        let old = Snapshot::new([
            entry(1, 1, 10, false),
            entry(2, 1, 20, false),
            entry(3, 1, 30, false),
            entry(5, 1, 50, true),
        ]);
        let new = Snapshot::new([
            entry(2, 2, 21, false), // subject changed
            entry(3, 2, 30, true),  // read only
            entry(4, 1, 40, false), // created
            entry(5, 2, 50, true),  // version moved, nothing else
        ]);
        assert_eq!(
            old.changes(&new),
            vec![
                change(5, ChangeKind::Update),
                change(4, ChangeKind::Create),
                change(3, ChangeKind::ReadFlag(true)),
                change(2, ChangeKind::Update),
                change(1, ChangeKind::Delete),
            ]
        );
        assert!(new.changes(&new).is_empty());
        assert_eq!(Snapshot::default().changes(&new).len(), 4);
    }

    #[test]
    fn advancing_by_every_change_reaches_the_current_state_and_by_some_keeps_the_rest() {
        let old = Snapshot::new([entry(1, 1, 10, false), entry(2, 1, 20, false)]);
        let new = Snapshot::new([entry(2, 2, 20, true), entry(3, 1, 30, false)]);
        let all: BTreeSet<u32> = old.changes(&new).iter().map(|c| c.seq).collect();
        assert_eq!(old.advanced(&new, &all), new);
        let first: BTreeSet<u32> = [3].into();
        let partial = old.advanced(&new, &first);
        assert_eq!(
            partial.changes(&new),
            vec![
                change(2, ChangeKind::ReadFlag(true)),
                change(1, ChangeKind::Delete)
            ]
        );
    }

    #[test]
    fn only_changed_items_are_hashed_and_a_told_new_item_gets_its_fingerprint() {
        let mut items = crate::mailbox::items::Items::default();
        let a = items.insert(5, "IPM.Note", "a", false);
        let b = items.insert(5, "IPM.Note", "b", false);
        let fresh = Snapshot::of_items(items.in_folder(5), &Snapshot::default());
        assert!(
            fresh.entries.iter().all(|e| e.fingerprint == 0),
            "nothing hashed yet"
        );
        let fingerprint = |seq: u32| items.get(seq).map_or(0, item_fingerprint);
        let told: BTreeSet<u32> = [a].into();
        let state = Snapshot::default()
            .advanced(&fresh, &told)
            .hashed(&Snapshot::default(), fingerprint);
        assert_eq!(state.get(a).map(|e| e.fingerprint), Some(fingerprint(a)));
        assert!(state.get(b).is_none(), "b not told yet");

        let item = items.get_mut(a).expect("a");
        item.is_read = true;
        item.version += 1;
        let current = Snapshot::of_items(items.in_folder(5), &state);
        assert_eq!(
            state.changes(&current),
            vec![
                change(b, ChangeKind::Create),
                change(a, ChangeKind::ReadFlag(true))
            ]
        );
    }

    #[test]
    fn the_byte_form_round_trips_and_rejects_damage() {
        let snapshot = Snapshot::new([
            entry(1, 1, 0xdead_beef, false),
            entry(300, 70_000, 7, true),
            entry(u32::MAX, u32::MAX, u32::MAX, true),
        ]);
        let mut bytes = Vec::new();
        snapshot.encode(&mut bytes);
        assert_eq!(Snapshot::decode(&bytes), Ok(snapshot));
        for cut in 0..bytes.len() {
            assert!(Snapshot::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Snapshot::decode(&longer), Err(DecodeError::Malformed));
        assert_eq!(Snapshot::decode(&[0xff; 12]), Err(DecodeError::Malformed));
        assert_eq!(Snapshot::decode(&[200]), Err(DecodeError::Truncated));
        assert_eq!(
            Snapshot::decode(&[0]),
            Ok(Snapshot::default()),
            "no entries"
        );
    }

    #[test]
    fn fingerprints_ignore_the_read_flag_and_follow_the_subject() {
        let mut item = Item::new(5, "Message", "IPM.Note", "2024-01-01T00:00:00Z");
        let before = item_fingerprint(&item);
        item.is_read = !item.is_read;
        item.modified = "2024-01-02T00:00:00Z".into();
        assert_eq!(item_fingerprint(&item), before);
        item.subject = "changed".into();
        assert_ne!(item_fingerprint(&item), before);
    }

    #[test]
    fn ten_thousand_items_take_about_six_bytes_each() {
        let items: Vec<Entry> = (1..=10_000)
            .map(|seq| entry(seq, 3, seq * 7, false))
            .collect();
        let mut bytes = Vec::new();
        Snapshot::new(items).encode(&mut bytes);
        assert!(bytes.len() <= 10_000 * 7 + 3, "{} bytes", bytes.len());
    }
}
