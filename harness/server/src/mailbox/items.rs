//! The items of a mailbox: each [`Item`] lives in exactly one folder, which counts over it
//! (`TotalCount`, `UnreadCount` are computed from here, never stored, so they are always
//! consistent; soft-deleted items count nowhere). An item keeps the common `t:ItemType` fields
//! the server interprets (subject, body, importance, sensitivity, categories, read state, the
//! server-set dates) as typed fields, its extended properties in a [`PropertyBag`], and the
//! fields of its class (`t:Message` recipients, `t:CalendarItem` Start/End, `t:Contact` names,
//! `t:Task` dates, ...) and the `t:ItemType` fields it does not interpret (reminders,
//! `InReplyTo`, ...) as the elements the client sent, kept in schema order ([`Item::put_field`],
//! the order [`field_order`] reads from the schema engine), so GetItem gives them back as they
//! were created.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::attachments::Attachments;
use super::properties::PropertyBag;
use crate::render::Node;

/// The item elements and the schema type each is (`t:Message` is a `t:MessageType`).
const ITEM_TYPES: &[(&str, &str)] = &[
    ("Item", "ItemType"),
    ("Message", "MessageType"),
    ("CalendarItem", "CalendarItemType"),
    ("Contact", "ContactItemType"),
    ("Task", "TaskType"),
];

/// The children item element `element` allows, in schema order, as the schema engine reads them
/// from `types.xsd` (`t:ItemType`'s fields first, then the class's); `t:ItemType`'s for an
/// element it does not know.
pub fn field_order(element: &str) -> &'static [String] {
    static ORDERS: OnceLock<Vec<(&'static str, Vec<String>)>> = OnceLock::new();
    let orders = ORDERS.get_or_init(|| {
        let schema = ews_schema::Schema::ews();
        ITEM_TYPES
            .iter()
            .map(|(element, ty)| (*element, schema.child_order(ews_schema::TYPES_NS, ty)))
            .collect()
    });
    orders
        .iter()
        .find(|(e, _)| *e == element)
        .or_else(|| orders.first())
        .map_or(&[], |(_, order)| order.as_slice())
}

/// Where field `field` goes among the children of item element `element` (unknown fields last).
pub fn field_rank(element: &str, field: &str) -> usize {
    let order = field_order(element);
    order.iter().position(|f| f == field).unwrap_or(order.len())
}

/// `t:Body`: its `BodyType` and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub html: bool,
    pub text: String,
}

/// One item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub seq: u32,
    /// The folder it is in.
    pub parent: u32,
    /// The element it is written as: `Item`, `Message`, `CalendarItem`, `Contact`, `Task`.
    pub element: String,
    /// `ItemClass` (`IPM.Note`, `IPM.Appointment`, ...).
    pub item_class: String,
    pub subject: String,
    pub body: Option<Body>,
    /// `Low`, `Normal`, `High`.
    pub importance: String,
    /// `Normal`, `Personal`, `Private`, `Confidential`.
    pub sensitivity: String,
    pub categories: Vec<String>,
    pub is_read: bool,
    /// `IsDraft`: saved and not sent.
    pub is_draft: bool,
    /// Server-set dates, `xs:dateTime` UTC.
    pub created: String,
    pub modified: String,
    /// `DateTimeSent` and `DateTimeReceived` (the creation time for a saved item).
    pub sent: String,
    pub received: String,
    /// The class's own fields, as sent (types namespace), in schema order.
    pub specific: Vec<Node>,
    /// Grows on every change (the ChangeKey follows it).
    pub version: u32,
    /// Soft-deleted: only a `SoftDeleted` traversal sees it.
    pub soft_deleted: bool,
    /// Extended properties.
    pub properties: PropertyBag,
    /// Its attachments (`HasAttachments`, `t:Attachments`; their sizes count in `Size`).
    pub attachments: Attachments,
}

impl Item {
    /// A new item of element `element` and class `item_class` in folder `parent`, created now.
    pub fn new(parent: u32, element: &str, item_class: &str, now: &str) -> Item {
        Item {
            seq: 0,
            parent,
            element: element.to_string(),
            item_class: item_class.to_string(),
            subject: String::new(),
            body: None,
            importance: "Normal".to_string(),
            sensitivity: "Normal".to_string(),
            categories: Vec::new(),
            is_read: true,
            is_draft: false,
            created: now.to_string(),
            modified: now.to_string(),
            sent: now.to_string(),
            received: now.to_string(),
            specific: Vec::new(),
            version: 1,
            soft_deleted: false,
            properties: PropertyBag::default(),
            attachments: Attachments::default(),
        }
    }

    /// The class field `name` (`ToRecipients`, `From`, ...), if the item has it.
    pub fn field(&self, name: &str) -> Option<&Node> {
        self.specific.iter().find(|n| n.local == name)
    }

    /// Sets a class field: replaces the field of that name, or inserts it where the schema's
    /// sequence puts it among the others.
    pub fn put_field(&mut self, node: Node) {
        if let Some(slot) = self.specific.iter_mut().find(|n| n.local == node.local) {
            *slot = node;
            return;
        }
        let rank = field_rank(&self.element, &node.local);
        let at = self
            .specific
            .iter()
            .position(|n| field_rank(&self.element, &n.local) > rank)
            .unwrap_or(self.specific.len());
        self.specific.insert(at, node);
    }

    /// Removes the class field `name`; whether it was there.
    pub fn remove_field(&mut self, name: &str) -> bool {
        let before = self.specific.len();
        self.specific.retain(|n| n.local != name);
        before != self.specific.len()
    }

    /// `Size`: the bytes of its subject, body, class fields, property values and attachments (the server's
    /// own measure; Exchange counts its MAPI stream, which the documentation does not specify).
    pub fn size(&self) -> usize {
        fn node_len(node: &Node) -> usize {
            node.local.len()
                + node.text.as_ref().map_or(0, String::len)
                + node
                    .attrs
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
                + node.children.iter().map(node_len).sum::<usize>()
        }
        self.subject.len()
            + self.body.as_ref().map_or(0, |b| b.text.len())
            + self.categories.iter().map(String::len).sum::<usize>()
            + self.specific.iter().map(node_len).sum::<usize>()
            + self
                .properties
                .iter()
                .map(|(_, values)| values.iter().map(String::len).sum::<usize>())
                .sum::<usize>()
            + self.attachments.size()
    }
}

/// Every item of a mailbox, by sequence number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items {
    items: BTreeMap<u32, Item>,
    next_seq: u32,
}

impl Items {
    /// Adds a plain item to folder `parent`; its sequence number.
    pub fn insert(&mut self, parent: u32, item_class: &str, subject: &str, is_read: bool) -> u32 {
        let mut item = Item::new(parent, "Item", item_class, &super::now_utc());
        item.subject = subject.to_string();
        item.is_read = is_read;
        self.add(item)
    }

    /// Adds `item` (its `seq` is assigned here); its sequence number.
    pub fn add(&mut self, mut item: Item) -> u32 {
        self.next_seq += 1;
        item.seq = self.next_seq;
        self.items.insert(item.seq, item);
        self.next_seq
    }

    pub fn get(&self, seq: u32) -> Option<&Item> {
        self.items.get(&seq)
    }

    pub fn get_mut(&mut self, seq: u32) -> Option<&mut Item> {
        self.items.get_mut(&seq)
    }

    /// The item `seq` unless it is soft-deleted.
    pub fn visible(&self, seq: u32) -> Option<&Item> {
        self.items.get(&seq).filter(|i| !i.soft_deleted)
    }

    /// Removes item `seq` for good; whether it was there.
    pub fn remove(&mut self, seq: u32) -> bool {
        self.items.remove(&seq).is_some()
    }

    /// The (not soft-deleted) items of folder `folder`, in creation order.
    pub fn in_folder(&self, folder: u32) -> impl Iterator<Item = &Item> {
        self.items
            .values()
            .filter(move |i| i.parent == folder && !i.soft_deleted)
    }

    /// The soft-deleted items of folder `folder`, in creation order.
    pub fn soft_deleted_in(&self, folder: u32) -> impl Iterator<Item = &Item> {
        self.items
            .values()
            .filter(move |i| i.parent == folder && i.soft_deleted)
    }

    /// `(TotalCount, UnreadCount)` of folder `folder`.
    pub fn counts(&self, folder: u32) -> (usize, usize) {
        self.in_folder(folder)
            .fold((0, 0), |(total, unread), item| {
                (total + 1, unread + usize::from(!item.is_read))
            })
    }

    /// Deletes the items of the given folders (soft-deleted ones too); how many.
    pub fn remove_in(&mut self, folders: &[u32]) -> usize {
        let before = self.items.len();
        self.items.retain(|_, i| !folders.contains(&i.parent));
        before - self.items.len()
    }

    /// Copies the items of folder `from` into folder `to` (new sequence numbers).
    pub fn copy_into(&mut self, from: u32, to: u32) {
        let copies: Vec<Item> = self.in_folder(from).cloned().collect();
        for mut item in copies {
            item.parent = to;
            item.version = 1;
            self.add(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_inserted_in_schema_order() {
        let mut item = Item::new(1, "Message", "IPM.Note", "2012-01-05T23:06:58Z");
        item.put_field(Node::t_text("InternetMessageId", "<a@b>"));
        item.put_field(Node::t("ToRecipients"));
        item.put_field(Node::t("Sender"));
        item.put_field(Node::t("ReplyTo"));
        item.put_field(Node::t("From"));
        let names: Vec<&str> = item.specific.iter().map(|n| n.local.as_str()).collect();
        assert_eq!(
            names,
            [
                "Sender",
                "ToRecipients",
                "From",
                "InternetMessageId",
                "ReplyTo"
            ]
        );
        item.put_field(Node::t_text("InternetMessageId", "<c@d>"));
        assert_eq!(item.specific.len(), 5);
        assert_eq!(
            item.field("InternetMessageId")
                .and_then(|n| n.text.as_deref()),
            Some("<c@d>")
        );
        assert!(item.remove_field("Sender"));
        assert!(!item.remove_field("Sender"));
        assert!(field_rank("Contact", "GivenName") < field_rank("Contact", "Surname"));
    }

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

    #[test]
    fn soft_deleted_items_count_nowhere() {
        let mut items = Items::default();
        let a = items.insert(5, "IPM.Note", "a", false);
        items.insert(5, "IPM.Note", "b", false);
        items.get_mut(a).expect("a").soft_deleted = true;
        assert_eq!(items.counts(5), (1, 1));
        assert_eq!(items.soft_deleted_in(5).count(), 1);
        assert!(items.visible(a).is_none());
        assert!(items.get(a).is_some());
        assert!(items.remove(a));
        assert_eq!(items.soft_deleted_in(5).count(), 0);
    }
}
