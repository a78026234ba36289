//! The attachments of an item: each [`Attachment`] belongs to exactly one item (its *root item*,
//! whose [`Attachments`] list keeps it) and has a number unique within that item, never reused,
//! so an attachment id (`ids::encode_attachment`: root item + number) of a deleted attachment
//! stays dead. A file attachment keeps its decoded bytes; an item attachment keeps the attached
//! item itself (an [`Item`] with its own fields, rendered by the item renderer), which has no
//! folder and may have attachments of its own (nested attachments, reached by a path of numbers).

use super::items::Item;

/// What an attachment holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// `t:FileAttachment`: the decoded `Content` and `IsContactPhoto`.
    File {
        bytes: Vec<u8>,
        is_contact_photo: bool,
    },
    /// `t:ItemAttachment`: the attached item.
    Item(Box<Item>),
}

/// One attachment: the `t:AttachmentType` fields and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its number inside the root item (assigned by [`Attachments::add`]).
    pub number: u32,
    pub name: String,
    pub content_type: Option<String>,
    pub content_id: Option<String>,
    pub content_location: Option<String>,
    pub is_inline: bool,
    /// `LastModifiedTime`, `xs:dateTime` UTC.
    pub modified: String,
    pub content: Content,
}

impl Attachment {
    /// `Size`: the decoded bytes of a file, the size of an attached item.
    pub fn size(&self) -> usize {
        match &self.content {
            Content::File { bytes, .. } => bytes.len(),
            Content::Item(item) => item.size(),
        }
    }
}

/// The attachments of one item, in the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachments {
    list: Vec<Attachment>,
    last_number: u32,
}

impl Attachments {
    /// Adds `attachment` (its `number` is assigned here); its number.
    pub fn add(&mut self, mut attachment: Attachment) -> u32 {
        self.last_number += 1;
        attachment.number = self.last_number;
        self.list.push(attachment);
        self.last_number
    }

    pub fn get(&self, number: u32) -> Option<&Attachment> {
        self.list.iter().find(|a| a.number == number)
    }

    /// Removes attachment `number`; whether it was there.
    pub fn remove(&mut self, number: u32) -> bool {
        let before = self.list.len();
        self.list.retain(|a| a.number != number);
        self.list.len() != before
    }

    /// The attachment reached through `path`: one of these attachments, then one of the
    /// attachments of the item it holds, ... (`ids::encode_attachment`).
    pub fn at(&self, path: &[u32]) -> Option<&Attachment> {
        let (first, rest) = path.split_first()?;
        let attachment = self.get(*first)?;
        match (&attachment.content, rest) {
            (_, []) => Some(attachment),
            (Content::Item(item), _) => item.attachments.at(rest),
            (Content::File { .. }, _) => None,
        }
    }

    /// Removes the attachment reached through `path`; whether it was there.
    pub fn remove_at(&mut self, path: &[u32]) -> bool {
        match path {
            [] => false,
            [number] => self.remove(*number),
            [first, rest @ ..] => match self.list.iter_mut().find(|a| a.number == *first) {
                Some(Attachment {
                    content: Content::Item(item),
                    ..
                }) => item.attachments.remove_at(rest),
                _ => false,
            },
        }
    }

    /// How deep attachments nest here: 0 without attachments, 1 with attachments whose items
    /// have none, ...
    pub fn depth(&self) -> usize {
        self.list
            .iter()
            .map(|a| match &a.content {
                Content::Item(item) => 1 + item.attachments.depth(),
                Content::File { .. } => 1,
            })
            .max()
            .unwrap_or(0)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Attachment> {
        self.list.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The sizes of all attachments together (part of the root item's `Size`).
    pub fn size(&self) -> usize {
        self.list.iter().map(Attachment::size).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> Attachment {
        Attachment {
            number: 0,
            name: "f".to_string(),
            content_type: None,
            content_id: None,
            content_location: None,
            is_inline: false,
            modified: String::new(),
            content: Content::File {
                bytes: bytes.to_vec(),
                is_contact_photo: false,
            },
        }
    }

    #[test]
    fn numbers_are_never_reused_and_sizes_add_up() {
        let mut list = Attachments::default();
        let a = list.add(file(b"12345"));
        let b = list.add(file(b"xy"));
        assert_eq!((a, b), (1, 2));
        assert_eq!(list.size(), 7);
        assert!(list.remove(a));
        assert!(!list.remove(a), "already gone");
        assert_eq!(list.add(file(b"")), 3);
        assert!(list.get(a).is_none());
        assert_eq!(list.get(b).map(Attachment::size), Some(2));
    }

    #[test]
    fn nested_attachments_are_reached_and_removed_by_path() {
        let mut inner = Item::new(0, "Message", "IPM.Note", "2026-01-01T00:00:00Z");
        inner.attachments.add(file(b"abc"));
        let mut holder = file(b"");
        holder.content = Content::Item(Box::new(inner));
        let mut list = Attachments::default();
        list.add(file(b"x"));
        let outer = list.add(holder);
        assert_eq!(list.depth(), 2);
        assert_eq!(list.size(), 1 + list.get(outer).map_or(0, Attachment::size));
        assert_eq!(list.at(&[outer, 1]).map(Attachment::size), Some(3));
        assert!(list.at(&[1, 1]).is_none(), "a file holds no attachments");
        assert!(list.at(&[]).is_none());
        assert!(list.remove_at(&[outer, 1]));
        assert!(!list.remove_at(&[outer, 1]));
        assert_eq!(list.depth(), 1);
    }

    #[test]
    fn an_item_attachment_weighs_its_item() {
        let mut item = Item::new(0, "Message", "IPM.Note", "2026-01-01T00:00:00Z");
        item.subject = "hello".to_string();
        let mut attachment = file(b"");
        attachment.content = Content::Item(Box::new(item.clone()));
        assert_eq!(attachment.size(), item.size());
        assert!(attachment.size() >= 5);
    }
}
