//! Mailbox events: what changed in a mailbox during one request, as the notification event types
//! of EWS (`CreatedEvent`, `DeletedEvent`, `ModifiedEvent`, `MovedEvent`, `CopiedEvent`,
//! `NewMailEvent`).
//!
//! Events are computed where the request ran, not by hooks in every operation: dispatch takes a
//! [`Snapshot`] of the mailbox before and after the handler (only when the mailbox has live
//! subscriptions) and [`diff`] turns the two into [`Change`]s, in this order: item events, then
//! folder events. What a before/after comparison cannot see — that a new id came from an old one
//! — the move and copy operations record in the mailbox's [`Provenance`] (one call each); dispatch
//! drains it after every request.
//!
//! The rules:
//! - an object only in the after state is `CreatedEvent`; a message that is not a draft arriving
//!   in the Inbox also gets a `NewMailEvent` right after it;
//! - an object only in the before state, or soft-deleted by the request, is `DeletedEvent`;
//! - a provenance record `moved`/`copied` is `MovedEvent`/`CopiedEvent` with `OldItemId`
//!   (`OldFolderId`) and `OldParentFolderId`; an object that keeps its id but changes parent
//!   (MoveFolder, DeleteItem to Deleted Items) is `MovedEvent` whose old and new ids are equal;
//! - an object whose version or read state changed is `ModifiedEvent`; a folder whose item
//!   counts changed is `ModifiedEvent` with its `UnreadCount` (the Exchange example shows this
//!   event for the folder that received an item).
//!
//! This module owns its own before/after comparison; `mailbox/changes.rs` (SyncFolderItems)
//! compares two states too, and the two may later share one snapshot type.

use std::collections::{BTreeMap, BTreeSet};

use super::Mailbox;

/// The kinds of notification events (`t:NotificationEventTypeType`, plus `StatusEvent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Copied,
    Created,
    Deleted,
    Modified,
    Moved,
    NewMail,
    FreeBusyChanged,
    Status,
}

impl EventKind {
    /// The event types a subscription may ask for.
    pub const SUBSCRIBABLE: &'static [EventKind] = &[
        EventKind::Copied,
        EventKind::Created,
        EventKind::Deleted,
        EventKind::Modified,
        EventKind::Moved,
        EventKind::NewMail,
        EventKind::FreeBusyChanged,
    ];

    /// The element name (`CreatedEvent`), which is also the `t:EventType` value.
    pub fn element(self) -> &'static str {
        match self {
            EventKind::Copied => "CopiedEvent",
            EventKind::Created => "CreatedEvent",
            EventKind::Deleted => "DeletedEvent",
            EventKind::Modified => "ModifiedEvent",
            EventKind::Moved => "MovedEvent",
            EventKind::NewMail => "NewMailEvent",
            EventKind::FreeBusyChanged => "FreeBusyChangedEvent",
            EventKind::Status => "StatusEvent",
        }
    }

    /// The kind a `t:EventType` value names.
    pub fn from_element(name: &str) -> Option<EventKind> {
        EventKind::SUBSCRIBABLE
            .iter()
            .copied()
            .find(|k| k.element() == name)
    }
}

/// An item or a folder, by sequence number in its mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Object {
    Item(u32),
    Folder(u32),
}

/// An object at a place: the object, its version (for the ChangeKey) and its parent folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub object: Object,
    pub version: u32,
    pub parent: u32,
    /// The parent folder's version (its ChangeKey in the event).
    pub parent_version: u32,
}

/// One change of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: EventKind,
    /// The object now (for a deletion: as it was).
    pub now: Placed,
    /// Where a moved or copied object came from.
    pub old: Option<Placed>,
    /// A folder's `UnreadCount` after the change (folder `ModifiedEvent`s).
    pub unread_count: Option<usize>,
}

impl Change {
    /// The folders this change concerns, for a subscription's folder filter: the parent folder,
    /// the old parent of a move or copy, and a folder's own id.
    pub fn folders(&self) -> impl Iterator<Item = u32> + '_ {
        let own = match self.now.object {
            Object::Folder(seq) => Some(seq),
            Object::Item(_) => None,
        };
        std::iter::once(self.now.parent)
            .chain(self.old.map(|o| o.parent))
            .chain(own)
    }
}

/// "New id came from old id": what the move and copy operations record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub old: Object,
    pub new: Object,
    pub copied: bool,
}

/// The origins recorded during the current request (dispatch drains them after it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    origins: Vec<Origin>,
}

impl Provenance {
    /// Records that `new` is `old` moved (`copied: false`) or a copy of it.
    pub fn record(&mut self, old: Object, new: Object, copied: bool) {
        self.origins.push(Origin { old, new, copied });
    }

    /// The recorded origins, leaving none.
    pub fn take(&mut self) -> Vec<Origin> {
        std::mem::take(&mut self.origins)
    }
}

/// What the diff compares of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ItemState {
    parent: u32,
    version: u32,
    is_read: bool,
    soft_deleted: bool,
    new_mail: bool,
}

/// What the diff compares of one folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FolderState {
    parent: Option<u32>,
    version: u32,
    soft_deleted: bool,
    counts: (usize, usize),
}

/// The state of a mailbox the events are computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    items: BTreeMap<u32, ItemState>,
    folders: BTreeMap<u32, FolderState>,
}

impl Snapshot {
    /// Takes the snapshot of `mailbox`.
    pub fn of(mailbox: &Mailbox) -> Snapshot {
        let mut snapshot = Snapshot::default();
        let Some(root) = mailbox.folders.distinguished("root") else {
            return snapshot;
        };
        let inbox = mailbox.folders.distinguished("inbox");
        for seq in mailbox.folders.subtree(root) {
            let Some(folder) = mailbox.folders.get(seq) else {
                continue;
            };
            snapshot.folders.insert(
                seq,
                FolderState {
                    parent: folder.parent,
                    version: folder.version,
                    soft_deleted: folder.soft_deleted,
                    counts: mailbox.items.counts(seq),
                },
            );
            let items = mailbox
                .items
                .in_folder(seq)
                .chain(mailbox.items.soft_deleted_in(seq));
            for item in items {
                snapshot.items.insert(
                    item.seq,
                    ItemState {
                        parent: item.parent,
                        version: item.version,
                        is_read: item.is_read,
                        soft_deleted: item.soft_deleted,
                        new_mail: Some(item.parent) == inbox
                            && item.element == "Message"
                            && !item.is_draft,
                    },
                );
            }
        }
        snapshot
    }

    fn placed(&self, object: Object) -> Option<Placed> {
        let (version, parent) = match object {
            Object::Item(seq) => self.items.get(&seq).map(|s| (s.version, s.parent))?,
            Object::Folder(seq) => self
                .folders
                .get(&seq)
                .and_then(|s| s.parent.map(|parent| (s.version, parent)))?,
        };
        Some(Placed {
            object,
            version,
            parent,
            parent_version: self.folders.get(&parent).map_or(1, |f| f.version),
        })
    }
}

/// The `MovedEvent`s and `CopiedEvent`s of the origins whose new object `objects` selects; the
/// objects they explain go into `explained`.
fn from_origins(
    before: &Snapshot,
    after: &Snapshot,
    origins: &[Origin],
    objects: impl Fn(Object) -> bool,
    explained: &mut BTreeSet<Object>,
    changes: &mut Vec<Change>,
) {
    for origin in origins.iter().filter(|o| objects(o.new)) {
        let (Some(now), Some(old)) = (after.placed(origin.new), before.placed(origin.old)) else {
            continue;
        };
        explained.insert(origin.new);
        if !origin.copied {
            explained.insert(origin.old);
        }
        changes.push(Change {
            kind: if origin.copied {
                EventKind::Copied
            } else {
                EventKind::Moved
            },
            now,
            old: Some(old),
            unread_count: None,
        });
    }
}

/// The changes from `before` to `after`, given the origins the request recorded.
pub fn diff(before: &Snapshot, after: &Snapshot, origins: &[Origin]) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut explained: BTreeSet<Object> = BTreeSet::new();
    let change = |kind, now: Placed| Change {
        kind,
        now,
        old: None,
        unread_count: None,
    };
    let items = |o: Object| matches!(o, Object::Item(_));
    from_origins(before, after, origins, items, &mut explained, &mut changes);
    for (&seq, state) in &after.items {
        let object = Object::Item(seq);
        let Some(now) = after.placed(object) else {
            continue;
        };
        match before.items.get(&seq) {
            _ if explained.contains(&object) => {}
            None => {
                changes.push(change(EventKind::Created, now));
                if state.new_mail && !state.soft_deleted {
                    changes.push(change(EventKind::NewMail, now));
                }
            }
            Some(old) if state.soft_deleted && !old.soft_deleted => {
                changes.push(change(EventKind::Deleted, now));
            }
            Some(old) if old.parent != state.parent => changes.push(Change {
                kind: EventKind::Moved,
                now,
                old: before.placed(object),
                unread_count: None,
            }),
            Some(old) if old.version != state.version || old.is_read != state.is_read => {
                changes.push(change(EventKind::Modified, now));
            }
            Some(_) => {}
        }
    }
    for &seq in before.items.keys() {
        let object = Object::Item(seq);
        if !after.items.contains_key(&seq) && !explained.contains(&object) {
            if let Some(was) = before.placed(object) {
                changes.push(change(EventKind::Deleted, was));
            }
        }
    }

    let folders = |o: Object| matches!(o, Object::Folder(_));
    from_origins(
        before,
        after,
        origins,
        folders,
        &mut explained,
        &mut changes,
    );
    for (&seq, state) in &after.folders {
        let object = Object::Folder(seq);
        let Some(now) = after.placed(object) else {
            continue;
        };
        match before.folders.get(&seq) {
            _ if explained.contains(&object) => {}
            None => changes.push(change(EventKind::Created, now)),
            Some(old) if state.soft_deleted && !old.soft_deleted => {
                changes.push(change(EventKind::Deleted, now));
            }
            Some(old) if old.parent != state.parent => changes.push(Change {
                kind: EventKind::Moved,
                now,
                old: before.placed(object),
                unread_count: None,
            }),
            Some(old) if old.version != state.version || old.counts != state.counts => {
                changes.push(Change {
                    unread_count: Some(state.counts.1),
                    ..change(EventKind::Modified, now)
                });
            }
            Some(_) => {}
        }
    }
    for &seq in before.folders.keys() {
        let object = Object::Folder(seq);
        if !after.folders.contains_key(&seq) && !explained.contains(&object) {
            if let Some(was) = before.placed(object) {
                changes.push(change(EventKind::Deleted, was));
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::items::Item;

    fn kinds(changes: &[Change]) -> Vec<(EventKind, Object)> {
        changes.iter().map(|c| (c.kind, c.now.object)).collect()
    }

    #[test]
    fn a_message_arriving_in_the_inbox_is_created_new_mail_and_a_folder_modification() {
        let mut mailbox = Mailbox::new();
        let inbox = mailbox.folders.distinguished("inbox").expect("inbox");
        let before = Snapshot::of(&mailbox);
        let mut item = Item::new(inbox, "Message", "IPM.Note", "2026-01-01T00:00:00Z");
        item.is_read = false;
        let seq = mailbox.items.add(item);
        let changes = diff(&before, &Snapshot::of(&mailbox), &[]);
        assert_eq!(
            kinds(&changes),
            vec![
                (EventKind::Created, Object::Item(seq)),
                (EventKind::NewMail, Object::Item(seq)),
                (EventKind::Modified, Object::Folder(inbox)),
            ]
        );
        assert_eq!(changes[2].unread_count, Some(1));
    }

    #[test]
    fn a_draft_saved_elsewhere_is_only_created() {
        let mut mailbox = Mailbox::new();
        let drafts = mailbox.folders.distinguished("drafts").expect("drafts");
        let before = Snapshot::of(&mailbox);
        let mut item = Item::new(drafts, "Message", "IPM.Note", "2026-01-01T00:00:00Z");
        item.is_draft = true;
        let seq = mailbox.items.add(item);
        let changes = diff(&before, &Snapshot::of(&mailbox), &[]);
        assert_eq!(changes[0].kind, EventKind::Created);
        assert_eq!(changes[0].now.object, Object::Item(seq));
        assert!(!changes.iter().any(|c| c.kind == EventKind::NewMail));
    }

    #[test]
    fn recorded_moves_and_copies_carry_their_old_ids() {
        let mut mailbox = Mailbox::new();
        let inbox = mailbox.folders.distinguished("inbox").expect("inbox");
        let drafts = mailbox.folders.distinguished("drafts").expect("drafts");
        let a = mailbox.items.insert(inbox, "IPM.Note", "a", true);
        let b = mailbox.items.insert(inbox, "IPM.Note", "b", true);
        let before = Snapshot::of(&mailbox);
        let mut moved = mailbox.items.get(a).cloned().expect("a");
        mailbox.items.remove(a);
        moved.parent = drafts;
        let moved = mailbox.items.add(moved);
        let mut copy = mailbox.items.get(b).cloned().expect("b");
        copy.parent = drafts;
        let copy = mailbox.items.add(copy);
        let origins = [
            Origin {
                old: Object::Item(a),
                new: Object::Item(moved),
                copied: false,
            },
            Origin {
                old: Object::Item(b),
                new: Object::Item(copy),
                copied: true,
            },
        ];
        let changes = diff(&before, &Snapshot::of(&mailbox), &origins);
        assert_eq!(changes[0].kind, EventKind::Moved);
        assert_eq!(
            changes[0].old.map(|o| (o.object, o.parent)),
            Some((Object::Item(a), inbox))
        );
        assert_eq!(changes[1].kind, EventKind::Copied);
        assert_eq!(changes[1].old.map(|o| o.object), Some(Object::Item(b)));
        // Nothing else about the items: no Created or Deleted for the ids the origins explain.
        assert!(
            !changes
                .iter()
                .any(|c| matches!(c.kind, EventKind::Created | EventKind::Deleted))
        );
    }

    #[test]
    fn read_state_and_deletion_are_modified_and_deleted() {
        let mut mailbox = Mailbox::new();
        let inbox = mailbox.folders.distinguished("inbox").expect("inbox");
        let a = mailbox.items.insert(inbox, "IPM.Note", "a", false);
        let b = mailbox.items.insert(inbox, "IPM.Note", "b", true);
        let before = Snapshot::of(&mailbox);
        mailbox.items.get_mut(a).expect("a").is_read = true;
        mailbox.items.remove(b);
        let changes = diff(&before, &Snapshot::of(&mailbox), &[]);
        assert_eq!(
            kinds(&changes),
            vec![
                (EventKind::Modified, Object::Item(a)),
                (EventKind::Deleted, Object::Item(b)),
                (EventKind::Modified, Object::Folder(inbox)),
            ]
        );
        assert_eq!(changes[1].now.parent, inbox);
    }
}
