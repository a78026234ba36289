//! The attachment area: CreateAttachment, GetAttachment and DeleteAttachment (one file each),
//! over the attachments of the mailbox's items ([`crate::mailbox::attachments`]).
//!
//! Shared here: reading an attachment from a request ([`read_attachment`], also used by
//! CreateItem for the `t:Attachments` of a new item), resolving attachment ids
//! ([`resolve_attachment`]), and the XML of an attachment ([`attachment_node`]) in its three
//! forms ([`Detail`]), among them the `t:Attachments` list GetItem shows ([`attachments_node`]).
//!
//! Ids: an attachment id names its root item and the attachment's number in it (`ids.rs`). `Id=""`
//! → `ErrorInvalidIdEmpty`; an id that is not an attachment id (an item or folder id, garbage) →
//! `ErrorInvalidIdMalformed`; another mailbox's → `ErrorNonExistentMailbox`; a well-formed id
//! whose root item or attachment is gone (deleted, moved: a moved item has a new id, so have its
//! attachments) → `ErrorInvalidAttachmentId`.
//!
//! Reading (chosen where the documentation is silent): `t:Name` is required
//! (`ErrorRequiredPropertyMissing` with `ExceptionFieldURI` `attachment:Name`, the documented
//! error); a file attachment without `t:Content` is empty; more decoded bytes than
//! `max_attachment_bytes` → `ErrorAttachmentSizeLimitExceeded`; an item attachment without an
//! item → `ErrorMissingItemForCreateItemAttachment`, with an item type CreateItem cannot create
//! (`t:MeetingMessage`, `t:PostItem`, ...) → `ErrorInvalidItemForOperationCreateItemAttachment`;
//! a `t:ReferenceAttachment` (Exchange 2016) → `ErrorInvalidPropertySet`. An attached item's own
//! `t:Attachments` are kept (nested attachments, with ids reaching them through their holders),
//! at most [`MAX_NESTED_LEVELS`] deep (`ErrorAttachmentNestLevelLimitExceeded`).
//!
//! Writing: the listing (GetItem) gives `AttachmentId`, `Name`, `ContentType`, `ContentId`,
//! `ContentLocation` (those given), `Size`, `LastModifiedTime`, `IsInline` and, for files,
//! `IsContactPhoto`; GetAttachment adds a file's `Content` and an item's element with all its
//! properties (`BodyType` and `AdditionalProperties` of the `AttachmentShape` apply; `ItemId` and
//! `ParentFolderId` are left out, the attached item having neither). `IncludeMimeContent` is
//! accepted and not answered: the server writes no MIME yet.

pub mod create_attachment;
pub mod delete_attachment;
pub mod get_attachment;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::OpContext;
use super::items::{ItemShape, default_class, read_item};
use crate::Quirk;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::{self, IdKind, StoreId};
use crate::mailbox::Mailbox;
use crate::mailbox::attachments::{Attachment, Content};
use crate::mailbox::items::Item;
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;
use crate::xml_tree::Element;

/// The cases family of this area: `cases/attachments/<operation>/`.
pub const FAMILY: &str = "attachments";

/// The item elements an item attachment may hold (types.xsd `ItemAttachmentType`'s choice).
const ATTACHABLE_ELEMENTS: &[&str] = &[
    "Item",
    "Message",
    "SharingMessage",
    "CalendarItem",
    "Contact",
    "MeetingMessage",
    "MeetingRequest",
    "MeetingResponse",
    "MeetingCancellation",
    "Task",
    "PostItem",
    "RoleMember",
    "Network",
    "Person",
];

/// How much of an attachment is written.
#[derive(Debug, Clone, Copy)]
pub enum Detail<'a> {
    /// CreateAttachment: the `AttachmentId` with `RootItemId` and `RootItemChangeKey` only.
    Created,
    /// GetItem's `t:Attachments`: every field but the content.
    Listing,
    /// GetAttachment: every field and the content; an attached item in this shape.
    Full(&'a ItemShape),
}

/// Most levels attachments may nest in an item (responsecode.md: "more than 10 nested
/// attachments" is `ErrorAttachmentNestLevelLimitExceeded`).
pub const MAX_NESTED_LEVELS: usize = 10;

/// An attachment of the root item read from a `t:FileAttachment` / `t:ItemAttachment` of a
/// request, created `now`.
pub fn read_attachment(
    ctx: &OpContext<'_>,
    element: &Element,
    now: &str,
) -> Result<Attachment, ResponseError> {
    read_nested(ctx, element, now, 1)
}

/// An attachment at nesting level `level` (1: an attachment of the root item).
fn read_nested(
    ctx: &OpContext<'_>,
    element: &Element,
    now: &str,
    level: usize,
) -> Result<Attachment, ResponseError> {
    if level > MAX_NESTED_LEVELS {
        return Err(ResponseError::new(
            ResponseCode::ErrorAttachmentNestLevelLimitExceeded,
        ));
    }
    let child = |name: &str| element.children.iter().find(|c| c.is(TYPES_NS, name));
    let text = |name: &str| child(name).map(|c| c.text.clone());
    let flag = |name: &str| child(name).is_some_and(|c| matches!(c.text.trim(), "true" | "1"));
    let Some(name) = text("Name") else {
        return Err(ResponseError {
            message_xml: vec![
                Node::t("ExceptionFieldURI")
                    .prefixed("t")
                    .attr("FieldURI", "attachment:Name"),
            ],
            ..ResponseError::new(ResponseCode::ErrorRequiredPropertyMissing)
        });
    };
    let content = match element.local.as_str() {
        "FileAttachment" => {
            let encoded: String = child("Content")
                .map(|c| c.text.chars().filter(|c| !c.is_whitespace()).collect())
                .unwrap_or_default();
            let bytes = STANDARD
                .decode(encoded)
                .map_err(|_| ResponseError::new(ResponseCode::ErrorInvalidPropertySet))?;
            if bytes.len() > ctx.config.max_attachment_bytes {
                return Err(ResponseError::new(
                    ResponseCode::ErrorAttachmentSizeLimitExceeded,
                ));
            }
            Content::File {
                bytes,
                is_contact_photo: flag("IsContactPhoto"),
            }
        }
        "ItemAttachment" => {
            let inner = element
                .children
                .iter()
                .find(|c| c.ns == TYPES_NS && ATTACHABLE_ELEMENTS.contains(&c.local.as_str()))
                .ok_or_else(|| {
                    ResponseError::new(ResponseCode::ErrorMissingItemForCreateItemAttachment)
                })?;
            if default_class(&inner.local).is_none() {
                return Err(ResponseError::new(
                    ResponseCode::ErrorInvalidItemForOperationCreateItemAttachment,
                ));
            }
            let mut item = read_item(inner, now)?;
            attach_nested(ctx, &mut item, inner, now, level + 1)?;
            Content::Item(Box::new(item))
        }
        _ => return Err(ResponseError::new(ResponseCode::ErrorInvalidPropertySet)),
    };
    Ok(Attachment {
        number: 0,
        name,
        content_type: text("ContentType"),
        content_id: text("ContentId"),
        content_location: text("ContentLocation"),
        is_inline: flag("IsInline"),
        modified: now.to_string(),
        content,
    })
}

/// Attaches the `t:Attachments` of a CreateItem item element to the new `item`.
pub fn attach_from_request(
    ctx: &OpContext<'_>,
    item: &mut Item,
    element: &Element,
    now: &str,
) -> Result<(), ResponseError> {
    attach_nested(ctx, item, element, now, 1)
}

/// Attaches the `t:Attachments` of item element `element` to `item`, at nesting level `level`.
fn attach_nested(
    ctx: &OpContext<'_>,
    item: &mut Item,
    element: &Element,
    now: &str,
    level: usize,
) -> Result<(), ResponseError> {
    let requested = element
        .children
        .iter()
        .filter(|c| c.is(TYPES_NS, "Attachments"))
        .flat_map(|list| list.children.iter().filter(|c| c.ns == TYPES_NS));
    for attachment in requested {
        let attachment = read_nested(ctx, attachment, now, level)?;
        item.attachments.add(attachment);
    }
    Ok(())
}

/// The root item's sequence number and the attachment's path named by attachment id `id`.
pub fn resolve_attachment(
    ctx: &OpContext<'_>,
    mailbox: &Mailbox,
    id: &str,
) -> Result<(u32, Vec<u32>), ResponseError> {
    if id.is_empty() {
        return Err(ResponseError::new(ResponseCode::ErrorInvalidIdEmpty));
    }
    let Some((root, path)) = ids::decode_attachment(id) else {
        return Err(ResponseError::new(ResponseCode::ErrorInvalidIdMalformed));
    };
    if root.mailbox != ctx.mailbox_id() {
        return Err(ResponseError::non_existent_mailbox(ids::mailbox_guid(
            root.mailbox,
        )));
    }
    mailbox
        .items
        .visible(root.seq)
        .filter(|item| item.attachments.at(&path).is_some())
        .map(|item| (item.seq, path))
        .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidAttachmentId))
}

/// The `Id`s of the request's `m:AttachmentIds`, in order.
pub fn attachment_ids(request: &RequestView<'_>) -> Vec<String> {
    request
        .types_children("AttachmentIds", "AttachmentId")
        .map(|id| id.attr("Id").unwrap_or_default().to_string())
        .collect()
}

/// Marks the root item changed by an attachment operation: a new ChangeKey (unless the
/// `attachment-change-key-frozen` quirk is on) and `LastModifiedTime`.
pub fn touch_root(ctx: &OpContext<'_>, item: &mut Item, now: &str) {
    if !ctx
        .config
        .quirks
        .contains(&Quirk::AttachmentChangeKeyFrozen)
    {
        item.version += 1;
    }
    item.modified = now.to_string();
}

/// The id of the attachment of root item `root` at `path`.
fn attachment_id(ctx: &OpContext<'_>, root: &Item, path: &[u32]) -> String {
    ids::encode_attachment(
        StoreId {
            kind: IdKind::Item,
            mailbox: ctx.mailbox_id(),
            seq: root.seq,
        },
        path,
    )
}

/// `m:RootItemId` (DeleteAttachment's answer): the root item's id and current ChangeKey.
pub fn root_item_id_node(ctx: &OpContext<'_>, item: &Item) -> Node {
    Node::m("RootItemId")
        .attr("RootItemId", ctx.id(IdKind::Item, item.seq))
        .attr("RootItemChangeKey", ctx.item_change_key(item))
}

/// The `t:Attachments` of `item` as GetItem lists them; `None` when it has none (Exchange then
/// leaves the element out).
pub fn attachments_node(ctx: &OpContext<'_>, mailbox: &Mailbox, item: &Item) -> Option<Node> {
    listing(ctx, mailbox, item, item, &[])
}

/// The `t:Attachments` listing of `holder` (the root item, or an item attached at `prefix` in
/// `root`); `None` when it has none.
fn listing(
    ctx: &OpContext<'_>,
    mailbox: &Mailbox,
    root: &Item,
    holder: &Item,
    prefix: &[u32],
) -> Option<Node> {
    (!holder.attachments.is_empty()).then(|| {
        Node::t("Attachments").children(holder.attachments.iter().map(|a| {
            let path = [prefix, &[a.number]].concat();
            attachment_node(ctx, mailbox, root, &path, a, Detail::Listing)
        }))
    })
}

/// The `t:Attachments` CreateItem answers for a new item created with attachments (each with its
/// `AttachmentId`, as the item itself with its `ItemId`); `None` without attachments.
pub fn created_attachments_node(ctx: &OpContext<'_>, item: &Item) -> Option<Node> {
    (!item.attachments.is_empty()).then(|| {
        Node::t("Attachments").children(item.attachments.iter().map(|a| {
            let element = match a.content {
                Content::File { .. } => "FileAttachment",
                Content::Item(_) => "ItemAttachment",
            };
            Node::t(element)
                .child(Node::t("AttachmentId").attr("Id", attachment_id(ctx, item, &[a.number])))
        }))
    })
}

/// `t:FileAttachment` / `t:ItemAttachment` of `attachment`, at `path` in root item `root`.
pub fn attachment_node(
    ctx: &OpContext<'_>,
    mailbox: &Mailbox,
    root: &Item,
    path: &[u32],
    attachment: &Attachment,
    detail: Detail<'_>,
) -> Node {
    let element = match attachment.content {
        Content::File { .. } => "FileAttachment",
        Content::Item(_) => "ItemAttachment",
    };
    let mut id = Node::t("AttachmentId").attr("Id", attachment_id(ctx, root, path));
    if matches!(detail, Detail::Created) {
        id = id
            .attr("RootItemId", ctx.id(IdKind::Item, root.seq))
            .attr("RootItemChangeKey", ctx.item_change_key(root));
        return Node::t(element).child(id);
    }
    let text = |name: &str, value: &str| Node::t_text(name, value.to_string());
    let boolean = |name: &str, value: bool| text(name, if value { "true" } else { "false" });
    let mut node = Node::t(element)
        .child(id)
        .child(text("Name", &attachment.name));
    for (name, value) in [
        ("ContentType", &attachment.content_type),
        ("ContentId", &attachment.content_id),
        ("ContentLocation", &attachment.content_location),
    ] {
        if let Some(value) = value {
            node = node.child(text(name, value));
        }
    }
    node = node
        .child(text("Size", &reported_size(ctx, attachment).to_string()))
        .child(text("LastModifiedTime", &attachment.modified))
        .child(boolean("IsInline", attachment.is_inline));
    match (&attachment.content, detail) {
        (
            Content::File {
                bytes,
                is_contact_photo,
            },
            _,
        ) => {
            node = node.child(boolean("IsContactPhoto", *is_contact_photo));
            if matches!(detail, Detail::Full(_)) {
                node = node.child(text("Content", &STANDARD.encode(bytes)));
            }
        }
        (Content::Item(item), Detail::Full(shape)) => {
            let shape = ItemShape {
                base: super::items::BaseShape::AllProperties,
                ..shape.clone()
            };
            let mut inner = ctx.item_node(mailbox, item, &shape);
            inner
                .children
                .retain(|c| !matches!(c.local.as_str(), "ItemId" | "ParentFolderId"));
            // The attached item's own attachments, with ids that reach them through this one.
            if let Some(position) = inner.children.iter().position(|c| c.local == "Attachments") {
                match listing(ctx, mailbox, root, item, path) {
                    Some(nested) => inner.children[position] = nested,
                    None => {
                        inner.children.remove(position);
                    }
                }
            }
            node = node.child(inner);
        }
        (Content::Item(_), _) => {}
    }
    node
}

/// The `Size` written for an attachment: its decoded size, or under the `attachment-size-wrong`
/// quirk the length of a file's base64 text.
fn reported_size(ctx: &OpContext<'_>, attachment: &Attachment) -> usize {
    match &attachment.content {
        Content::File { bytes, .. } if ctx.config.quirks.contains(&Quirk::AttachmentSizeWrong) => {
            bytes.len().div_ceil(3) * 4
        }
        _ => attachment.size(),
    }
}
