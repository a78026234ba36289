//! UpdateItem: applies each `t:ItemChange` to its item, one response message each holding the
//! item's id and new ChangeKey (`IdOnly`) and `m:ConflictResults` (a `Count` of 0: this server
//! resolves no conflicts, it refuses them). All updates of one change apply, or none.
//!
//! Updates: `SetItemField` of `item:Subject`, `item:Body`, `item:Importance`,
//! `item:Sensitivity`, `item:Categories`, `item:ItemClass`, `message:IsRead`, a field of the
//! item's class (`calendar:Start`, `message:ToRecipients`, ...: replaced where it is, else
//! inserted where the schema's sequence of the item's type puts it) or an extended property; `AppendToItemField` of `item:Categories`, a
//! recipients list or an array extended property; `DeleteItemField` of `item:Body`,
//! `item:Categories`, a class field or an extended property. Other fields: `ErrorInvalidPropertySet`
//! / `ErrorInvalidPropertyAppend` / `ErrorInvalidPropertyDelete`; a `SetItemField` whose item
//! element lacks the field: `ErrorRequiredPropertyMissing`.
//!
//! `ConflictResolution` (the documented default `AutoResolve`): a ChangeKey that is not the
//! item's current one is `ErrorIrresolvableConflict` under `NeverOverwrite` and `AutoResolve`
//! (this server has no per-property change tracking, so it resolves nothing), and is overwritten
//! under `AlwaysOverwrite`; `NeverOverwrite` without a ChangeKey is
//! `ErrorChangeKeyRequiredForWriteOperations`. `MessageDisposition` is accepted; the item is
//! saved in place (sending on update is not done by this operation yet).

use super::{COMMON_FIELDS, ItemShape, to_node};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::items::Body;
use crate::mailbox::properties::{PropertyPath, extended_values, parse_extended, parse_path};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::{IdRef, RequestView};
use crate::xml_tree::Element;

/// `ConflictResolution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictResolution {
    NeverOverwrite,
    AutoResolve,
    AlwaysOverwrite,
}

/// One update: its kind, the path, and the item element it carries (none for a delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemUpdate {
    pub kind: UpdateKind,
    pub path: PropertyPath,
    pub item: Option<Element>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateKind {
    Set,
    Append,
    Delete,
}

/// One `t:ItemChange`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemChange {
    pub id: Option<IdRef>,
    pub updates: Vec<ItemUpdate>,
}

/// The UpdateItem request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateItem {
    pub conflict: ConflictResolution,
    pub changes: Vec<ItemChange>,
}

fn parse_change(change: &Element) -> ItemChange {
    let id = change
        .children
        .iter()
        .find(|c| c.is(TYPES_NS, "ItemId"))
        .map(|c| IdRef {
            id: c.attr("Id").unwrap_or_default().to_string(),
            change_key: c.attr("ChangeKey").map(str::to_string),
        });
    let updates = change
        .children
        .iter()
        .find(|c| c.is(TYPES_NS, "Updates"))
        .map(|updates| {
            updates
                .children
                .iter()
                .filter(|u| u.ns == TYPES_NS)
                .filter_map(|u| {
                    let path = u.children.iter().find_map(parse_path)?;
                    let kind = match u.local.as_str() {
                        "SetItemField" => UpdateKind::Set,
                        "AppendToItemField" => UpdateKind::Append,
                        _ => UpdateKind::Delete,
                    };
                    let item = u
                        .children
                        .iter()
                        .find(|c| c.ns == TYPES_NS && super::default_class(&c.local).is_some())
                        .cloned();
                    Some(ItemUpdate { kind, path, item })
                })
                .collect()
        })
        .unwrap_or_default();
    ItemChange { id, updates }
}

impl Handler for UpdateItem {
    const NAME: &'static str = "UpdateItem";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorIrresolvableConflict,
        ResponseCode::ErrorChangeKeyRequiredForWriteOperations,
        ResponseCode::ErrorInvalidPropertySet,
        ResponseCode::ErrorInvalidPropertyAppend,
        ResponseCode::ErrorInvalidPropertyDelete,
        ResponseCode::ErrorRequiredPropertyMissing,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let conflict = match request.body().attr("ConflictResolution").map(str::trim) {
            Some("NeverOverwrite") => ConflictResolution::NeverOverwrite,
            Some("AlwaysOverwrite") => ConflictResolution::AlwaysOverwrite,
            _ => ConflictResolution::AutoResolve,
        };
        UpdateItem {
            conflict,
            changes: request
                .types_children("ItemChanges", "ItemChange")
                .map(parse_change)
                .collect(),
        }
    }
}

impl Request for UpdateItem {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .changes
            .iter()
            .map(|change| self.apply(ctx, mailbox, change))
            .collect();
        Response::Messages {
            outcomes,
            empty_on_error: Some("Items"),
        }
    }
}

fn err(code: ResponseCode) -> ResponseError {
    ResponseError::new(code)
}

/// The child of `item` that carries field `field` (a local name).
fn field_in<'a>(item: Option<&'a Element>, field: &str) -> Option<&'a Element> {
    item?.children.iter().find(|c| c.is(TYPES_NS, field))
}

fn strings(element: &Element) -> Vec<String> {
    element
        .children
        .iter()
        .filter(|s| s.is(TYPES_NS, "String"))
        .map(|s| s.text.clone())
        .collect()
}

impl UpdateItem {
    fn apply(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox, change: &ItemChange) -> Outcome {
        let Some(id) = &change.id else {
            return Err(err(ResponseCode::ErrorItemNotFound));
        };
        let seq = ctx.resolve_item(mailbox, id)?;
        let Some(current) = mailbox.items.get(seq) else {
            return Err(err(ResponseCode::ErrorItemNotFound));
        };
        let unchecked = ctx
            .config
            .quirks
            .contains(&crate::Quirk::StaleChangeKeyAccepted);
        match (&id.change_key, self.conflict) {
            (None, ConflictResolution::NeverOverwrite) if !unchecked => {
                return Err(err(ResponseCode::ErrorChangeKeyRequiredForWriteOperations));
            }
            (Some(key), ConflictResolution::NeverOverwrite | ConflictResolution::AutoResolve)
                if !unchecked && *key != ctx.item_change_key(current) =>
            {
                return Err(err(ResponseCode::ErrorIrresolvableConflict));
            }
            _ => {}
        }
        let mut item = current.clone();
        for update in &change.updates {
            let source = update.item.as_ref();
            match (&update.path, update.kind) {
                (PropertyPath::Extended(key), UpdateKind::Set | UpdateKind::Append) => {
                    let values = source
                        .into_iter()
                        .flat_map(|i| i.children.iter())
                        .filter(|c| c.is(TYPES_NS, "ExtendedProperty"))
                        .find(|p| {
                            p.children
                                .iter()
                                .find(|c| c.is(TYPES_NS, "ExtendedFieldURI"))
                                .and_then(parse_extended)
                                .is_some_and(|k| k.same(key))
                        })
                        .map(extended_values)
                        .ok_or_else(|| err(ResponseCode::ErrorRequiredPropertyMissing))?;
                    if update.kind == UpdateKind::Set {
                        item.properties.set(key.clone(), values);
                    } else if key.is_array() {
                        item.properties.append(key.clone(), values);
                    } else {
                        return Err(err(ResponseCode::ErrorInvalidPropertyAppend));
                    }
                }
                (PropertyPath::Extended(key), UpdateKind::Delete) => {
                    item.properties.remove(key);
                }
                (PropertyPath::Indexed { .. }, UpdateKind::Set) => {
                    return Err(err(ResponseCode::ErrorInvalidPropertySet));
                }
                (PropertyPath::Indexed { .. }, UpdateKind::Append) => {
                    return Err(err(ResponseCode::ErrorInvalidPropertyAppend));
                }
                (PropertyPath::Indexed { .. }, UpdateKind::Delete) => {
                    return Err(err(ResponseCode::ErrorInvalidPropertyDelete));
                }
                (PropertyPath::Field(uri), kind) => {
                    let field = uri.split_once(':').map_or(uri.as_str(), |(_, f)| f);
                    let value = field_in(source, field);
                    if kind != UpdateKind::Delete && value.is_none() {
                        return Err(err(ResponseCode::ErrorRequiredPropertyMissing));
                    }
                    let text = value.map(|v| v.text.clone()).unwrap_or_default();
                    match (field, kind, value) {
                        ("Subject", UpdateKind::Set, _) => item.subject = text,
                        ("Importance", UpdateKind::Set, _) => item.importance = text.trim().into(),
                        ("Sensitivity", UpdateKind::Set, _) => {
                            item.sensitivity = text.trim().into();
                        }
                        ("ItemClass", UpdateKind::Set, _) => item.item_class = text.trim().into(),
                        ("IsRead", UpdateKind::Set, _) => {
                            item.is_read = matches!(text.trim(), "true" | "1");
                        }
                        ("Body", UpdateKind::Set, Some(v)) => {
                            item.body = Some(Body {
                                html: v.attr("BodyType") == Some("HTML"),
                                text,
                            });
                        }
                        ("Body", UpdateKind::Delete, _) => item.body = None,
                        ("Categories", UpdateKind::Set, Some(v)) => item.categories = strings(v),
                        ("Categories", UpdateKind::Append, Some(v)) => {
                            item.categories.extend(strings(v));
                        }
                        ("Categories", UpdateKind::Delete, _) => item.categories.clear(),
                        (name, _, _) if COMMON_FIELDS.contains(&name) || name == "IsRead" => {
                            return Err(err(match kind {
                                UpdateKind::Set => ResponseCode::ErrorInvalidPropertySet,
                                UpdateKind::Append => ResponseCode::ErrorInvalidPropertyAppend,
                                UpdateKind::Delete => ResponseCode::ErrorInvalidPropertyDelete,
                            }));
                        }
                        (_, UpdateKind::Set, Some(v)) => item.put_field(to_node(v)),
                        (name, UpdateKind::Append, Some(v)) if name.ends_with("Recipients") => {
                            let added: Vec<Node> = v.children.iter().map(to_node).collect();
                            match item.specific.iter_mut().find(|n| n.local == name) {
                                Some(slot) => slot.children.extend(added),
                                None => item.put_field(to_node(v)),
                            }
                        }
                        (_, UpdateKind::Append, _) => {
                            return Err(err(ResponseCode::ErrorInvalidPropertyAppend));
                        }
                        (name, _, _) => {
                            item.remove_field(name);
                        }
                    }
                }
            }
        }
        item.version += 1;
        item.modified = crate::mailbox::now_utc();
        let node = ctx.item_node(mailbox, &item, &ItemShape::ID_ONLY);
        if let Some(slot) = mailbox.items.get_mut(seq) {
            *slot = item;
        }
        Ok(Some(crate::ops::payloads([
            Node::m("Items").child(node),
            Node::m("ConflictResults").child(Node::t_text("Count", "0")),
        ])))
    }
}
