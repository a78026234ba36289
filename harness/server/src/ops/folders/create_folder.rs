//! CreateFolder: creates the folders of `m:Folders` under the parent, one response message each,
//! in request order, each holding the new folder's id (`IdOnly`), as the element it was created
//! as. A folder without a `FolderClass` gets its element's class (`t:Folder` → `IPF.Note`,
//! `t:CalendarFolder` → `IPF.Appointment`, ...); extended properties given are kept. A sibling
//! of the same name (ignoring case), also one created earlier in the same request →
//! `ErrorFolderExists`; no `DisplayName` → `ErrorRequiredPropertyMissing`; a parent that does not
//! resolve → its error for every folder (`ErrorParentFolderNotFound` for an id of no folder).

use super::{FolderRef, FolderShape, folder_refs};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::folders::FolderKind;
use crate::mailbox::properties::{PropertyBag, extended_values, parse_extended};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::TYPES_NS;
use crate::schema::RequestView;
use crate::xml_tree::Element;

/// One folder to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFolder {
    pub kind: FolderKind,
    pub display_name: Option<String>,
    pub folder_class: Option<String>,
    pub properties: PropertyBag,
}

impl NewFolder {
    /// Reads a `t:Folder` (or `t:CalendarFolder`, ...) element of a request.
    pub fn parse(element: &Element) -> Option<NewFolder> {
        if element.ns != TYPES_NS {
            return None;
        }
        let kind = FolderKind::from_element(&element.local)?;
        let text = |name: &str| {
            element
                .children
                .iter()
                .find(|c| c.is(TYPES_NS, name))
                .map(|c| c.text.clone())
        };
        let mut properties = PropertyBag::default();
        for property in element
            .children
            .iter()
            .filter(|c| c.is(TYPES_NS, "ExtendedProperty"))
        {
            let key = property
                .children
                .iter()
                .find(|c| c.is(TYPES_NS, "ExtendedFieldURI"))
                .and_then(parse_extended);
            if let Some(key) = key {
                properties.set(key, extended_values(property));
            }
        }
        Some(NewFolder {
            kind,
            display_name: text("DisplayName"),
            folder_class: text("FolderClass"),
            properties,
        })
    }
}

/// The CreateFolder request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFolder {
    pub parent: Option<FolderRef>,
    pub folders: Vec<NewFolder>,
}

impl Handler for CreateFolder {
    const NAME: &'static str = "CreateFolder";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorParentFolderNotFound,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorFolderExists,
        ResponseCode::ErrorRequiredPropertyMissing,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        CreateFolder {
            parent: folder_refs(request.element("ParentFolderId"))
                .into_iter()
                .next(),
            folders: request
                .element("Folders")
                .map(|f| f.children.iter().filter_map(NewFolder::parse).collect())
                .unwrap_or_default(),
        }
    }
}

impl Request for CreateFolder {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let parent = match &self.parent {
            Some(reference) => ctx.resolve_folder(mailbox, reference).map_err(|e| {
                if e.code == ResponseCode::ErrorItemNotFound {
                    ResponseError::new(ResponseCode::ErrorParentFolderNotFound)
                } else {
                    e
                }
            }),
            None => Err(ResponseError::new(ResponseCode::ErrorParentFolderNotFound)),
        };
        let outcomes = self
            .folders
            .iter()
            .map(|folder| create(ctx, mailbox, parent.clone()?, folder))
            .collect();
        Response::messages(outcomes)
    }

    fn mailbox_address(&self) -> Option<&str> {
        super::mailbox_address(self.parent.as_slice())
    }
}

fn create(ctx: &OpContext<'_>, mailbox: &mut Mailbox, parent: u32, folder: &NewFolder) -> Outcome {
    let Some(name) = &folder.display_name else {
        return Err(ResponseError::new(
            ResponseCode::ErrorRequiredPropertyMissing,
        ));
    };
    let class = folder
        .folder_class
        .clone()
        .unwrap_or_else(|| folder.kind.default_class().to_string());
    let kind = match folder.kind {
        FolderKind::Folder => FolderKind::for_class(&class),
        other => other,
    };
    let seq = mailbox
        .folders
        .create(parent, name, Some(class), kind, folder.properties.clone())
        .map_err(super::tree_error)?;
    Ok(Some(ctx.folders_payload(
        mailbox,
        &[seq],
        &FolderShape::ID_ONLY,
    )))
}
