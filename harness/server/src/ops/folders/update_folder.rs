//! UpdateFolder: applies each `t:FolderChange` to its folder, one response message each holding
//! the folder's id and new ChangeKey (`IdOnly`). Updates: `SetFolderField` (`folder:DisplayName`,
//! `folder:FolderClass`, an extended property), `AppendToFolderField` (an array extended property),
//! `DeleteFolderField` (`folder:FolderClass`, an extended property). All updates of one change
//! apply, or none (the first failing update decides the error).
//!
//! Errors: a `t:FolderId` whose `ChangeKey` is not the folder's current one → `ErrorInvalidChangeKey`
//! (the documented example); a rename to a sibling's name → `ErrorFolderExists`; a read-only or
//! unknown field set → `ErrorInvalidPropertySet`; appended to → `ErrorInvalidPropertyAppend`;
//! deleted → `ErrorInvalidPropertyDelete`; a `SetFolderField` whose folder element lacks the
//! field → `ErrorRequiredPropertyMissing`.

use super::{FolderRef, FolderShape, folder_refs};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::properties::{PropertyPath, extended_values, parse_extended, parse_path};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::TYPES_NS;
use crate::schema::RequestView;
use crate::xml_tree::Element;

/// One update of a folder change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderUpdate {
    /// `SetFolderField`: the path and the value the folder element carries for it (`None` when
    /// the element does not have it).
    Set(PropertyPath, Option<Vec<String>>),
    Append(PropertyPath, Option<Vec<String>>),
    Delete(PropertyPath),
}

/// One `t:FolderChange`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderChange {
    pub folder: Option<FolderRef>,
    pub updates: Vec<FolderUpdate>,
}

/// The value a folder element (`t:Folder` inside `SetFolderField`) gives for `path`.
fn value_in(update: &Element, path: &PropertyPath) -> Option<Vec<String>> {
    let folder = update
        .children
        .iter()
        .find(|c| c.ns == TYPES_NS && c.local.ends_with("Folder"))?;
    match path {
        PropertyPath::Field(uri) => {
            let field = uri.strip_prefix("folder:")?;
            folder
                .children
                .iter()
                .find(|c| c.is(TYPES_NS, field))
                .map(|c| vec![c.text.clone()])
        }
        PropertyPath::Extended(key) => folder
            .children
            .iter()
            .filter(|c| c.is(TYPES_NS, "ExtendedProperty"))
            .find(|p| {
                p.children
                    .iter()
                    .find(|c| c.is(TYPES_NS, "ExtendedFieldURI"))
                    .and_then(parse_extended)
                    .is_some_and(|k| k.same(key))
            })
            .map(extended_values),
        PropertyPath::Indexed { .. } => None,
    }
}

fn parse_change(change: &Element) -> FolderChange {
    let folder = folder_refs(Some(change)).into_iter().next();
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
                    Some(match u.local.as_str() {
                        "SetFolderField" => {
                            let value = value_in(u, &path);
                            FolderUpdate::Set(path, value)
                        }
                        "AppendToFolderField" => {
                            let value = value_in(u, &path);
                            FolderUpdate::Append(path, value)
                        }
                        _ => FolderUpdate::Delete(path),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    FolderChange { folder, updates }
}

/// The UpdateFolder request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateFolder {
    pub changes: Vec<FolderChange>,
}

impl Handler for UpdateFolder {
    const NAME: &'static str = "UpdateFolder";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorInvalidChangeKey,
        ResponseCode::ErrorFolderExists,
        ResponseCode::ErrorInvalidPropertySet,
        ResponseCode::ErrorInvalidPropertyAppend,
        ResponseCode::ErrorInvalidPropertyDelete,
        ResponseCode::ErrorRequiredPropertyMissing,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        UpdateFolder {
            changes: request
                .types_children("FolderChanges", "FolderChange")
                .map(parse_change)
                .collect(),
        }
    }
}

impl Request for UpdateFolder {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .changes
            .iter()
            .map(|change| apply(ctx, mailbox, change))
            .collect();
        Response::messages(outcomes)
    }

    fn mailbox_address(&self) -> Option<&str> {
        self.changes
            .iter()
            .find_map(|c| super::mailbox_address(c.folder.as_slice()))
    }
}

fn err(code: ResponseCode) -> ResponseError {
    ResponseError::new(code)
}

fn apply(ctx: &OpContext<'_>, mailbox: &mut Mailbox, change: &FolderChange) -> Outcome {
    let Some(reference) = &change.folder else {
        return Err(err(ResponseCode::ErrorItemNotFound));
    };
    let seq = ctx.resolve_folder(mailbox, reference)?;
    let Some(current) = mailbox.folders.get(seq) else {
        return Err(err(ResponseCode::ErrorItemNotFound));
    };
    let unchecked = ctx
        .config
        .quirks
        .contains(&crate::Quirk::StaleChangeKeyAccepted);
    if let (FolderRef::Id(_), Some(key), false) = (reference, reference.change_key(), unchecked) {
        if key != ctx.folder_change_key(current) {
            return Err(err(ResponseCode::ErrorInvalidChangeKey));
        }
    }
    let parent = current.parent;
    let mut folder = current.clone();
    for update in &change.updates {
        match update {
            FolderUpdate::Set(PropertyPath::Field(uri), value) => {
                let value = value
                    .as_ref()
                    .and_then(|v| v.first().cloned())
                    .ok_or_else(|| err(ResponseCode::ErrorRequiredPropertyMissing))?;
                match uri.as_str() {
                    "folder:DisplayName" => {
                        let taken = parent
                            .is_some_and(|p| mailbox.folders.name_taken(p, &value, Some(seq)));
                        if taken {
                            return Err(err(ResponseCode::ErrorFolderExists));
                        }
                        folder.display_name = value;
                    }
                    "folder:FolderClass" => folder.folder_class = Some(value),
                    _ => return Err(err(ResponseCode::ErrorInvalidPropertySet)),
                }
            }
            FolderUpdate::Set(PropertyPath::Extended(key), value) => {
                let values = value
                    .clone()
                    .ok_or_else(|| err(ResponseCode::ErrorRequiredPropertyMissing))?;
                folder.properties.set(key.clone(), values);
            }
            FolderUpdate::Append(PropertyPath::Extended(key), Some(values)) if key.is_array() => {
                folder.properties.append(key.clone(), values.clone());
            }
            FolderUpdate::Append(..) => return Err(err(ResponseCode::ErrorInvalidPropertyAppend)),
            FolderUpdate::Delete(PropertyPath::Extended(key)) => {
                folder.properties.remove(key);
            }
            FolderUpdate::Delete(PropertyPath::Field(uri)) if uri == "folder:FolderClass" => {
                folder.folder_class = None;
            }
            FolderUpdate::Delete(_) => return Err(err(ResponseCode::ErrorInvalidPropertyDelete)),
            FolderUpdate::Set(PropertyPath::Indexed { .. }, _) => {
                return Err(err(ResponseCode::ErrorInvalidPropertySet));
            }
        }
    }
    folder.version += 1;
    if let Some(slot) = mailbox.folders.get_mut(seq) {
        *slot = folder;
    }
    Ok(Some(ctx.folders_payload(
        mailbox,
        &[seq],
        &FolderShape::ID_ONLY,
    )))
}
