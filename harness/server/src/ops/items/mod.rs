//! The item area: CreateItem, GetItem, UpdateItem, DeleteItem, MoveItem, CopyItem,
//! MarkAllItemsAsRead, SendItem and MarkAsJunk (one file each; Move and Copy share `move_item.rs`), over the mailbox's items
//! ([`crate::mailbox::items`]).
//!
//! Shared here: reading an item from a request ([`read_item`]: `t:Item`, `t:Message`,
//! `t:CalendarItem`, `t:Contact`, `t:Task`), resolving item ids ([`OpContext::resolve_item`]),
//! the response shapes ([`ItemShape`]: `IdOnly`, `Default`, `AllProperties`, `BodyType` and
//! `AdditionalProperties`) and the XML of an item ([`OpContext::item_node`]).
//!
//! Resolution: `Id=""` → `ErrorInvalidIdEmpty`; an id that does not decode →
//! `ErrorInvalidIdMalformed`; another mailbox's id → `ErrorNonExistentMailbox`; a well-formed id
//! of no (visible) item, or of a folder → `ErrorItemNotFound` (the DeleteItem error example).
//!
//! Shapes (chosen where the documentation lists no exact set): `IdOnly` is `ItemId`; `Default`
//! adds `Subject`, `Sensitivity`, `Body`, `Attachments` (when there are any), `DateTimeReceived`, `Size`, `Importance`, `IsDraft`,
//! `DateTimeSent`, `DateTimeCreated`, `HasAttachments`, the class's own fields and, for messages,
//! `IsRead`; `AllProperties` adds `ParentFolderId`, `ItemClass`, `Categories` and
//! `LastModifiedTime`. `AdditionalProperties` adds any of these by `FieldURI` (`item:Subject`,
//! `message:IsRead`, `calendar:Start`, ...) and extended properties by tag, id or name.
//! `BodyType` `Text` of an HTML body strips the markup; `HTML` of a text body escapes it into a
//! minimal HTML document; `Best` (the default) gives the body as stored.

pub mod create_item;
pub mod delete_item;
pub mod find_item;
pub mod get_item;
pub mod mark_all_items_as_read;
pub mod mark_as_junk;
pub mod move_item;
pub mod send_item;
pub mod update_item;

use super::OpContext;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::{self, IdKind};
use crate::mailbox::items::{Body, Item, field_rank};
use crate::mailbox::properties::{PropertyPath, extended_values, parse_extended, parse_path};
use crate::mailbox::{Mailbox, mime};
use crate::render::{Node, Ns, TYPES_NS};
use crate::schema::IdRef;
use crate::xml_tree::Element;

pub use super::folders::BaseShape;

/// The cases family of this area: `cases/items/<operation>/`.
pub const FAMILY: &str = "items";

/// The `t:ItemType` fields the server keeps as typed fields, in schema order; every other child
/// of an item element is a field of its class.
pub(crate) const COMMON_FIELDS: &[&str] = &[
    "MimeContent",
    "ItemId",
    "ParentFolderId",
    "ItemClass",
    "Subject",
    "Sensitivity",
    "Body",
    "Attachments",
    "DateTimeReceived",
    "Size",
    "Categories",
    "Importance",
    "InReplyTo",
    "IsSubmitted",
    "IsDraft",
    "IsFromMe",
    "IsResend",
    "IsUnmodified",
    "InternetMessageHeaders",
    "DateTimeSent",
    "DateTimeCreated",
    "ResponseObjects",
    "ReminderDueBy",
    "ReminderIsSet",
    "ReminderNextTime",
    "ReminderMinutesBeforeStart",
    "DisplayCc",
    "DisplayTo",
    "DisplayBcc",
    "HasAttachments",
    "ExtendedProperty",
    "Culture",
    "EffectiveRights",
    "LastModifiedName",
    "LastModifiedTime",
    "IsAssociated",
    "WebClientReadFormQueryString",
    "WebClientEditFormQueryString",
    "ConversationId",
    "UniqueBody",
    "Flag",
    "StoreEntryId",
    "InstanceKey",
    "NormalizedBody",
    "EntityExtractionResult",
    "PolicyTag",
    "ArchiveTag",
    "RetentionDate",
    "Preview",
    "RightsManagementLicenseData",
    "PredictedActionReasons",
    "IsClutter",
    "BlockStatus",
    "HasBlockedImages",
    "TextBody",
    "IconIndex",
    "SearchKey",
    "SortKey",
    "Hashtags",
];

/// The `t:ItemType` fields the server sets itself (read-only): a value a request gives for them is
/// ignored. Every other field a request gives that the server does not interpret is kept as sent
/// ([`Item::specific`]) and given back.
const SERVER_SET_FIELDS: &[&str] = &[
    "MimeContent",
    "ItemId",
    "ParentFolderId",
    "Attachments",
    "DateTimeReceived",
    "Size",
    "IsSubmitted",
    "IsDraft",
    "IsFromMe",
    "IsResend",
    "IsUnmodified",
    "DateTimeSent",
    "DateTimeCreated",
    "ResponseObjects",
    "DisplayCc",
    "DisplayTo",
    "DisplayBcc",
    "HasAttachments",
    "EffectiveRights",
    "LastModifiedName",
    "LastModifiedTime",
    "WebClientReadFormQueryString",
    "WebClientEditFormQueryString",
    "ConversationId",
    "UniqueBody",
    "StoreEntryId",
    "InstanceKey",
    "NormalizedBody",
    "EntityExtractionResult",
    "Preview",
    "TextBody",
    "IconIndex",
    "SearchKey",
    "SortKey",
];

/// The item element names CreateItem accepts and the `ItemClass` each gets by default.
pub fn default_class(element: &str) -> Option<&'static str> {
    Some(match element {
        "Item" => "IPM",
        "Message" => "IPM.Note",
        "CalendarItem" => "IPM.Appointment",
        "Contact" => "IPM.Contact",
        "Task" => "IPM.Task",
        _ => return None,
    })
}

/// `t:DefaultShapeNamesType` plus `BodyType`: what GetItem (and later FindItem) returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemShape {
    pub base: BaseShape,
    /// `Some(true)` HTML, `Some(false)` Text, `None` Best.
    pub body_html: Option<bool>,
    pub additional: Vec<PropertyPath>,
}

impl ItemShape {
    /// `IdOnly` (what CreateItem returns).
    pub const ID_ONLY: ItemShape = ItemShape {
        base: BaseShape::IdOnly,
        body_html: None,
        additional: Vec::new(),
    };

    /// Reads `m:ItemShape` (absent or unknown base shape reads as `Default`).
    pub fn parse(element: Option<&Element>) -> ItemShape {
        let Some(element) = element else {
            return ItemShape {
                base: BaseShape::Default,
                body_html: None,
                additional: Vec::new(),
            };
        };
        let child = |name: &str| element.children.iter().find(|c| c.is(TYPES_NS, name));
        let base = match child("BaseShape").map(|c| c.text.trim()) {
            Some("IdOnly") => BaseShape::IdOnly,
            Some("AllProperties") => BaseShape::AllProperties,
            _ => BaseShape::Default,
        };
        let body_html = match child("BodyType").map(|c| c.text.trim()) {
            Some("HTML") => Some(true),
            Some("Text") => Some(false),
            _ => None,
        };
        let additional = child("AdditionalProperties")
            .map(|a| a.children.iter().filter_map(parse_path).collect())
            .unwrap_or_default();
        ItemShape {
            base,
            body_html,
            additional,
        }
    }

    /// Whether the shape asks for field `field` (a local name), `specific` for a class field.
    fn wants(&self, field: &str, specific: bool) -> bool {
        let in_base = match self.base {
            BaseShape::IdOnly => field == "ItemId",
            BaseShape::Default | BaseShape::AllProperties
                if specific
                    || matches!(
                        field,
                        "ItemId"
                            | "Subject"
                            | "Sensitivity"
                            | "Body"
                            | "Attachments"
                            | "DateTimeReceived"
                            | "Size"
                            | "Importance"
                            | "IsDraft"
                            | "DateTimeSent"
                            | "DateTimeCreated"
                            | "HasAttachments"
                            | "IsRead"
                    ) =>
            {
                true
            }
            BaseShape::Default => false,
            BaseShape::AllProperties => matches!(
                field,
                "ParentFolderId" | "ItemClass" | "Categories" | "LastModifiedTime"
            ),
        };
        in_base
            || self.additional.iter().any(|p| {
                matches!(p, PropertyPath::Field(uri)
                    if uri.split_once(':').is_some_and(|(_, name)| name == field))
            })
    }
}

/// An item read from a CreateItem request; `Err` with the code when it cannot be created.
pub fn read_item(element: &Element, now: &str) -> Result<Item, ResponseError> {
    let class = default_class(&element.local)
        .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidPropertySet))?;
    let mut item = Item::new(0, &element.local, class, now);
    for child in element.children.iter().filter(|c| c.ns == TYPES_NS) {
        let text = child.text.trim();
        match child.local.as_str() {
            "ItemClass" if !text.is_empty() => item.item_class = text.to_string(),
            "Subject" => item.subject = child.text.clone(),
            "Sensitivity" => item.sensitivity = text.to_string(),
            "Importance" => item.importance = text.to_string(),
            "Body" => {
                item.body = Some(Body {
                    html: child.attr("BodyType") == Some("HTML"),
                    text: child.text.clone(),
                });
            }
            "Categories" => {
                item.categories = child
                    .children
                    .iter()
                    .filter(|s| s.is(TYPES_NS, "String"))
                    .map(|s| s.text.clone())
                    .collect();
            }
            "ExtendedProperty" => {
                let key = child
                    .children
                    .iter()
                    .find(|c| c.is(TYPES_NS, "ExtendedFieldURI"))
                    .and_then(parse_extended)
                    .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidPropertySet))?;
                item.properties.set(key, extended_values(child));
            }
            "IsRead" => item.is_read = matches!(text, "true" | "1"),
            "MimeContent" => {
                let raw = mime::decode(&child.text).map_err(mime_error)?;
                mime::apply(&mut item, &raw).map_err(mime_error)?;
            }
            name if SERVER_SET_FIELDS.contains(&name) => {}
            _ => item.put_field(to_node(child)),
        }
    }
    Ok(item)
}

/// The response code of MIME content that cannot be read.
fn mime_error(error: mime::MimeError) -> ResponseError {
    ResponseError::new(match error {
        mime::MimeError::InvalidBase64 => ResponseCode::ErrorMimeContentInvalidBase64String,
        mime::MimeError::Invalid => ResponseCode::ErrorMimeContentInvalid,
    })
}

/// A request element (types namespace) as a response node.
pub(crate) fn to_node(element: &Element) -> Node {
    let mut node = Node::new(
        if element.ns == TYPES_NS {
            Ns::Types
        } else {
            Ns::Messages
        },
        element.local.clone(),
    );
    for attr in element.attrs.iter().filter(|a| a.ns.is_empty()) {
        node = node.attr(&attr.local, attr.value.clone());
    }
    if element.children.is_empty() {
        node = node.text(element.text.clone());
    }
    node.children(element.children.iter().map(to_node))
}

/// Plain text of an HTML body: tags dropped, the common entities resolved.
fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// A text body as a minimal HTML document.
fn text_to_html(text: &str) -> String {
    let mut escaped = String::new();
    crate::render::escape_text(text, &mut escaped);
    format!(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>{}</body></html>",
        escaped.replace('\n', "<br>")
    )
}

impl OpContext<'_> {
    /// The current ChangeKey of an item.
    pub fn item_change_key(&self, item: &Item) -> String {
        ids::change_key(IdKind::Item, item.version)
    }

    /// `t:ItemId` of an item.
    pub fn item_id_node(&self, item: &Item) -> Node {
        Node::t("ItemId")
            .attr("Id", self.id(IdKind::Item, item.seq))
            .attr("ChangeKey", self.item_change_key(item))
    }

    /// The sequence number of the (visible) item `id` names in `mailbox`.
    pub fn resolve_item(&self, mailbox: &Mailbox, id: &IdRef) -> Result<u32, ResponseError> {
        let seq = self.resolve(id, IdKind::Item, ResponseCode::ErrorItemNotFound)?;
        mailbox
            .items
            .visible(seq)
            .map(|i| i.seq)
            .ok_or_else(|| ResponseError::new(ResponseCode::ErrorItemNotFound))
    }

    /// The item's element in `shape`, its fields in schema order.
    pub fn item_node(&self, mailbox: &Mailbox, item: &Item, shape: &ItemShape) -> Node {
        let mut node = Node::t(&item.element);
        let text = |name: &str, value: &str| Node::t_text(name, value.to_string());
        if shape.wants("ItemId", false) {
            node = node.child(self.item_id_node(item));
        }
        if shape.wants("ParentFolderId", false) {
            if let Some(folder) = mailbox.folders.get(item.parent) {
                node = node.child(self.folder_id_node("ParentFolderId", folder));
            }
        }
        if shape.wants("ItemClass", false) {
            node = node.child(text("ItemClass", &item.item_class));
        }
        if shape.wants("Subject", false) {
            node = node.child(text("Subject", &item.subject));
        }
        if shape.wants("Sensitivity", false) {
            node = node.child(text("Sensitivity", &item.sensitivity));
        }
        if shape.wants("Body", false) {
            let (html, body) = match (&item.body, shape.body_html) {
                (None, want) => (want.unwrap_or(false), String::new()),
                (Some(b), None) => (b.html, b.text.clone()),
                (Some(b), Some(true)) if !b.html => (true, text_to_html(&b.text)),
                (Some(b), Some(false)) if b.html => (false, html_to_text(&b.text)),
                (Some(b), Some(_)) => (b.html, b.text.clone()),
            };
            node = node.child(
                Node::t("Body")
                    .attr("BodyType", if html { "HTML" } else { "Text" })
                    .text(body),
            );
        }
        if shape.wants("Attachments", false) {
            node = node.children(super::attachments::attachments_node(self, mailbox, item));
        }
        if shape.wants("DateTimeReceived", false) {
            node = node.child(text("DateTimeReceived", &item.received));
        }
        if shape.wants("Size", false) {
            node = node.child(text("Size", &item.size().to_string()));
        }
        if shape.wants("Categories", false) {
            node = node.child(
                Node::t("Categories").children(item.categories.iter().map(|c| text("String", c))),
            );
        }
        if shape.wants("Importance", false) {
            node = node.child(text("Importance", &item.importance));
        }
        if shape.wants("IsDraft", false) {
            node = node.child(text(
                "IsDraft",
                if item.is_draft { "true" } else { "false" },
            ));
        }
        if shape.wants("DateTimeSent", false) {
            node = node.child(text("DateTimeSent", &item.sent));
        }
        if shape.wants("DateTimeCreated", false) {
            node = node.child(text("DateTimeCreated", &item.created));
        }
        if shape.wants("HasAttachments", false) {
            let has = !item.attachments.is_empty();
            node = node.child(text("HasAttachments", if has { "true" } else { "false" }));
        }
        for path in &shape.additional {
            if let PropertyPath::Extended(key) = path {
                if let Some(values) = item.properties.get(key) {
                    node = node.child(key.property_node(values));
                }
            }
        }
        if shape.wants("LastModifiedTime", false) {
            node = node.child(text("LastModifiedTime", &item.modified));
        }
        if item.element == "Message" && shape.wants("IsRead", false) {
            node = node.child(text("IsRead", if item.is_read { "true" } else { "false" }));
        }
        for field in &item.specific {
            if shape.wants(&field.local, true) {
                node = node.child(field.clone());
            }
        }
        // Typed and kept fields interleave: the schema's sequence of the item's type decides.
        node.children
            .sort_by_key(|child| field_rank(&item.element, &child.local));
        node
    }
}
