//! The items of a mailbox: each [`Item`] lives in exactly one folder, which counts over it
//! (`TotalCount`, `UnreadCount` are computed from here, never stored, so they are always
//! consistent). No item operation exists yet; EmptyFolder, DeleteFolder, MoveFolder and
//! CopyFolder act on items, and tests insert them with [`Items::insert`].

use std::collections::BTreeMap;

use super::properties::PropertyBag;

/// One item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub seq: u32,
    /// The folder it is in.
    pub parent: u32,
    /// `ItemClass` (`IPM.Note`, `IPM.Appointment`, ...).
    pub item_class: String,
    pub subject: String,
    pub is_read: bool,
    /// Grows on every change (the ChangeKey follows it).
    pub version: u32,
    /// Extended properties.
    pub properties: PropertyBag,
}

/// Every item of a mailbox, by sequence number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items {
    items: BTreeMap<u32, Item>,
    next_seq: u32,
}

impl Items {
    /// Adds an item to folder `parent`; its sequence number.
    pub fn insert(&mut self, parent: u32, item_class: &str, subject: &str, is_read: bool) -> u32 {
        self.next_seq += 1;
        let seq = self.next_seq;
        self.items.insert(
            seq,
            Item {
                seq,
                parent,
                item_class: item_class.to_string(),
                subject: subject.to_string(),
                is_read,
                version: 1,
                properties: PropertyBag::default(),
            },
        );
        seq
    }

    pub fn get(&self, seq: u32) -> Option<&Item> {
        self.items.get(&seq)
    }

    /// The items of folder `folder`, in creation order.
    pub fn in_folder(&self, folder: u32) -> impl Iterator<Item = &Item> {
        self.items.values().filter(move |i| i.parent == folder)
    }

    /// `(TotalCount, UnreadCount)` of folder `folder`.
    pub fn counts(&self, folder: u32) -> (usize, usize) {
        self.in_folder(folder)
            .fold((0, 0), |(total, unread), item| {
                (total + 1, unread + usize::from(!item.is_read))
            })
    }

    /// Deletes the items of the given folders; how many.
    pub fn remove_in(&mut self, folders: &[u32]) -> usize {
        let before = self.items.len();
        self.items.retain(|_, i| !folders.contains(&i.parent));
        before - self.items.len()
    }

    /// Copies the items of folder `from` into folder `to` (new sequence numbers).
    pub fn copy_into(&mut self, from: u32, to: u32) {
        let copies: Vec<Item> = self.in_folder(from).cloned().collect();
        for mut item in copies {
            self.next_seq += 1;
            item.seq = self.next_seq;
            item.parent = to;
            item.version = 1;
            self.items.insert(item.seq, item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_items() {
        let mut items = Items::default();
        items.insert(5, "IPM.Note", "a", false);
        items.insert(5, "IPM.Note", "b", true);
        items.insert(6, "IPM.Note", "c", false);
        assert_eq!(items.counts(5), (2, 1));
        items.copy_into(5, 7);
        assert_eq!(items.counts(7), (2, 1));
        assert_eq!(items.remove_in(&[5, 6]), 3);
        assert_eq!(items.counts(5), (0, 0));
        assert_eq!(items.counts(7), (2, 1));
    }
}
