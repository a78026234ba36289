//! The attachments of an item: each [`Attachment`] belongs to exactly one item (its *root item*,
//! whose [`Attachments`] list keeps it) and has a number unique within that item, never reused,
//! so an attachment id (`ids::encode_attachment`: root item + number) of a deleted attachment
//! stays dead. A file attachment keeps its decoded bytes; an item attachment keeps the attached
//! item itself (an [`Item`] with its own fields, rendered by the item renderer), which has no
//! folder and no attachments of its own on this server.

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
    fn an_item_attachment_weighs_its_item() {
        let mut item = Item::new(0, "Message", "IPM.Note", "2026-01-01T00:00:00Z");
        item.subject = "hello".to_string();
        let mut attachment = file(b"");
        attachment.content = Content::Item(Box::new(item.clone()));
        assert_eq!(attachment.size(), item.size());
        assert!(attachment.size() >= 5);
    }
}
