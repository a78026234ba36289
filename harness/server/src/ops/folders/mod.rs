//! The folder area: GetFolder, FindFolder, CreateFolder, UpdateFolder, DeleteFolder, EmptyFolder,
//! MoveFolder and CopyFolder, one file each, over the mailbox's folder tree
//! ([`crate::mailbox::folders`]) and items ([`crate::mailbox::items`]).
//!
//! Shared here: reading folder ids from a request ([`FolderRef`]: `t:FolderId` or
//! `t:DistinguishedFolderId`, possibly with a `t:Mailbox`), resolving them, the response shapes
//! ([`FolderShape`]: `IdOnly`, `Default`, `AllProperties` plus `AdditionalProperties`) and the
//! XML of a folder, and the folder's properties as a
//! [`PropertySource`](crate::mailbox::restriction::PropertySource) for restrictions.
//!
//! Resolution: `Id=""` → `ErrorInvalidIdEmpty`; an id that does not decode →
//! `ErrorInvalidIdMalformed`; another mailbox's id → `ErrorNonExistentMailbox`; a well-formed id
//! of no (visible) folder → `ErrorItemNotFound` (as the DeleteFolder page shows); a distinguished
//! name this mailbox does not have (archive, public folders) → `ErrorFolderNotFound`; a
//! `t:Mailbox` naming another user → `ErrorAccessDenied`, an address without a mailbox →
//! `ErrorNonExistentMailbox`.

pub mod copy_folder;
pub mod create_folder;
pub mod delete_folder;
pub mod empty_folder;
pub mod find_folder;
pub mod get_folder;
pub mod move_folder;
pub mod update_folder;

use super::OpContext;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::{self, IdKind};
use crate::mailbox::Mailbox;
use crate::mailbox::folders::Folder;
use crate::mailbox::properties::{ExtendedKey, ExtendedTarget, PropertyPath, parse_path};
use crate::mailbox::restriction::PropertySource;
use crate::render::{Node, TYPES_NS};
use crate::schema::IdRef;
use crate::xml_tree::Element;

/// The cases family of this area: `cases/folders/<operation>/`.
pub const FAMILY: &str = "folders";

/// A folder named by a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderRef {
    /// `t:FolderId Id=".." ChangeKey=".."`.
    Id(IdRef),
    /// `t:DistinguishedFolderId Id="inbox"`, optionally in another user's mailbox.
    Distinguished {
        name: String,
        change_key: Option<String>,
        mailbox: Option<String>,
    },
}

impl FolderRef {
    /// The ChangeKey the request gave.
    pub fn change_key(&self) -> Option<&str> {
        match self {
            FolderRef::Id(id) => id.change_key.as_deref(),
            FolderRef::Distinguished { change_key, .. } => change_key.as_deref(),
        }
    }
}

/// The folder ids among the children of `container` (`m:FolderIds`, `m:ParentFolderId`, ...), in
/// order; other children are skipped.
pub fn folder_refs(container: Option<&Element>) -> Vec<FolderRef> {
    let Some(container) = container else {
        return Vec::new();
    };
    container
        .children
        .iter()
        .filter(|c| c.ns == TYPES_NS)
        .filter_map(|c| match c.local.as_str() {
            "FolderId" => Some(FolderRef::Id(IdRef {
                id: c.attr("Id").unwrap_or_default().to_string(),
                change_key: c.attr("ChangeKey").map(str::to_string),
            })),
            "DistinguishedFolderId" => Some(FolderRef::Distinguished {
                name: c.attr("Id").unwrap_or_default().to_string(),
                change_key: c.attr("ChangeKey").map(str::to_string),
                mailbox: c
                    .children
                    .iter()
                    .find(|m| m.is(TYPES_NS, "Mailbox"))
                    .and_then(|m| m.children.iter().find(|e| e.is(TYPES_NS, "EmailAddress")))
                    .map(|e| e.text.trim().to_string()),
            }),
            _ => None,
        })
        .collect()
}

/// The first other-mailbox address among `refs` (see
/// [`Request::mailbox_address`](crate::registry::Request::mailbox_address)).
pub fn mailbox_address(refs: &[FolderRef]) -> Option<&str> {
    refs.iter().find_map(|r| match r {
        FolderRef::Distinguished {
            mailbox: Some(address),
            ..
        } if !address.is_empty() => Some(address.as_str()),
        _ => None,
    })
}

/// `t:BaseShape`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseShape {
    IdOnly,
    Default,
    AllProperties,
}

/// `m:FolderShape`: the base shape and the additional properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderShape {
    pub base: BaseShape,
    pub additional: Vec<PropertyPath>,
}

impl FolderShape {
    /// `IdOnly` without additional properties (what CreateFolder, MoveFolder and CopyFolder
    /// return).
    pub const ID_ONLY: FolderShape = FolderShape {
        base: BaseShape::IdOnly,
        additional: Vec::new(),
    };

    /// Reads `m:FolderShape` (an unknown or absent base shape reads as `Default`).
    pub fn parse(element: Option<&Element>) -> FolderShape {
        let Some(element) = element else {
            return FolderShape {
                base: BaseShape::Default,
                additional: Vec::new(),
            };
        };
        let base = match element
            .children
            .iter()
            .find(|c| c.is(TYPES_NS, "BaseShape"))
            .map(|c| c.text.trim())
        {
            Some("IdOnly") => BaseShape::IdOnly,
            Some("AllProperties") => BaseShape::AllProperties,
            _ => BaseShape::Default,
        };
        let additional = element
            .children
            .iter()
            .find(|c| c.is(TYPES_NS, "AdditionalProperties"))
            .map(|a| a.children.iter().filter_map(parse_path).collect())
            .unwrap_or_default();
        FolderShape { base, additional }
    }

    fn wants(&self, field: &str) -> bool {
        let in_base = match self.base {
            BaseShape::IdOnly => field == "FolderId",
            BaseShape::Default => matches!(
                field,
                "FolderId" | "DisplayName" | "TotalCount" | "ChildFolderCount" | "UnreadCount"
            ),
            BaseShape::AllProperties => matches!(
                field,
                "FolderId"
                    | "ParentFolderId"
                    | "FolderClass"
                    | "DisplayName"
                    | "TotalCount"
                    | "ChildFolderCount"
                    | "EffectiveRights"
                    | "UnreadCount"
            ),
        };
        in_base
            || self
                .additional
                .iter()
                .any(|p| matches!(p, PropertyPath::Field(uri) if uri.strip_prefix("folder:") == Some(field)))
    }
}

/// One folder of one mailbox, as restrictions and shapes read it.
pub struct FolderView<'a> {
    pub ctx: &'a OpContext<'a>,
    pub mailbox: &'a Mailbox,
    pub folder: &'a Folder,
}

impl FolderView<'_> {
    fn counts(&self) -> (usize, usize, usize) {
        let (total, unread) = self.mailbox.items.counts(self.folder.seq);
        let children = self.mailbox.folders.children(self.folder.seq).len();
        (total, children, unread)
    }

    /// The value of a `folder:` field, `None` when the folder has none.
    fn field(&self, field: &str) -> Option<String> {
        let (total, children, unread) = self.counts();
        Some(match field {
            "FolderId" => self.ctx.id(IdKind::Folder, self.folder.seq),
            "ParentFolderId" => self.ctx.id(IdKind::Folder, self.folder.parent?),
            "DisplayName" => self.folder.display_name.clone(),
            "FolderClass" => self.folder.folder_class.clone()?,
            "TotalCount" => total.to_string(),
            "ChildFolderCount" => children.to_string(),
            "UnreadCount" if self.folder.kind.has_unread_count() => unread.to_string(),
            "DistinguishedFolderId" => self.folder.distinguished?.to_string(),
            _ => return None,
        })
    }

    /// An extended property: the few MAPI tags backed by folder fields, else the bag.
    fn extended(&self, key: &ExtendedKey) -> Option<Vec<String>> {
        if let ExtendedTarget::Tag(tag) = key.target {
            let (total, children, unread) = self.counts();
            let derived = match (tag, key.property_type.as_str()) {
                (0x3001, "String") => Some(self.folder.display_name.clone()),
                (0x3613, "String") => self.folder.folder_class.clone(),
                (0x3602, "Integer") => Some(total.to_string()),
                (0x3603, "Integer") => Some(unread.to_string()),
                (0x3638, "Integer") => Some(children.to_string()),
                (0x360a, "Boolean") => Some((children > 0).to_string()),
                _ => None,
            };
            if let Some(value) = derived {
                return Some(vec![value]);
            }
        }
        self.folder.properties.get(key).map(<[String]>::to_vec)
    }

    /// The folder's element in `shape`.
    pub fn node(&self, shape: &FolderShape) -> Node {
        let folder = self.folder;
        let mut node = Node::t(folder.kind.element());
        if shape.wants("FolderId") {
            node = node.child(self.ctx.folder_id_node("FolderId", folder));
        }
        if shape.wants("ParentFolderId") {
            if let Some(parent) = folder.parent.and_then(|p| self.mailbox.folders.get(p)) {
                node = node.child(self.ctx.folder_id_node("ParentFolderId", parent));
            }
        }
        for field in [
            "FolderClass",
            "DisplayName",
            "TotalCount",
            "ChildFolderCount",
        ] {
            if shape.wants(field) {
                if let Some(value) = self.field(field) {
                    node = node.child(Node::t_text(field, value));
                }
            }
        }
        for path in &shape.additional {
            if let PropertyPath::Extended(key) = path {
                if let Some(values) = self.extended(key) {
                    node = node.child(key.property_node(&values));
                }
            }
        }
        if shape.wants("EffectiveRights") {
            let yes = |name: &str| Node::t_text(name, "true");
            node = node.child(Node::t("EffectiveRights").children([
                yes("CreateAssociated"),
                yes("CreateContents"),
                yes("CreateHierarchy"),
                yes("Delete"),
                yes("Modify"),
                yes("Read"),
                yes("ViewPrivateItems"),
            ]));
        }
        if shape.wants("DistinguishedFolderId") {
            if let Some(name) = folder.distinguished {
                node = node.child(Node::t_text("DistinguishedFolderId", name));
            }
        }
        if shape.wants("UnreadCount") {
            if let Some(value) = self.field("UnreadCount") {
                node = node.child(Node::t_text("UnreadCount", value));
            }
        }
        node
    }
}

impl PropertySource for FolderView<'_> {
    fn values(&self, path: &PropertyPath) -> Option<Vec<String>> {
        match path {
            PropertyPath::Field(uri) => self.field(uri.strip_prefix("folder:")?).map(|v| vec![v]),
            PropertyPath::Extended(key) => self.extended(key),
            PropertyPath::Indexed { .. } => None,
        }
    }
}

impl OpContext<'_> {
    /// `t:FolderId`-style element (`FolderId`, `ParentFolderId`) of a folder.
    pub fn folder_id_node(&self, local: &str, folder: &Folder) -> Node {
        Node::t(local)
            .attr("Id", self.id(IdKind::Folder, folder.seq))
            .attr("ChangeKey", ids::change_key(IdKind::Folder, folder.version))
    }

    /// The current ChangeKey of a folder.
    pub fn folder_change_key(&self, folder: &Folder) -> String {
        ids::change_key(IdKind::Folder, folder.version)
    }

    /// The sequence number of the (visible) folder `reference` names in `mailbox`.
    pub fn resolve_folder(
        &self,
        mailbox: &Mailbox,
        reference: &FolderRef,
    ) -> Result<u32, ResponseError> {
        let seq = match reference {
            FolderRef::Id(id) => {
                self.resolve(id, IdKind::Folder, ResponseCode::ErrorItemNotFound)?
            }
            FolderRef::Distinguished {
                name,
                mailbox: other,
                ..
            } => {
                if let Some(address) = other.as_deref().filter(|a| !a.is_empty()) {
                    match self.directory.user_by_smtp(address) {
                        Some(user) if user == self.mailbox => {}
                        Some(_) => return Err(ResponseError::new(ResponseCode::ErrorAccessDenied)),
                        None => {
                            return Err(ResponseError::new(
                                ResponseCode::ErrorNonExistentMailboxAddress,
                            ));
                        }
                    }
                }
                return mailbox
                    .folders
                    .distinguished(name)
                    .ok_or_else(|| ResponseError::new(ResponseCode::ErrorFolderNotFound));
            }
        };
        match mailbox.folders.get(seq) {
            Some(folder) if !folder.soft_deleted => Ok(seq),
            _ => Err(ResponseError::new(ResponseCode::ErrorItemNotFound)),
        }
    }

    /// A view of folder `seq` for shapes and restrictions.
    pub fn folder_view<'a>(&'a self, mailbox: &'a Mailbox, seq: u32) -> Option<FolderView<'a>> {
        mailbox.folders.get(seq).map(|folder| FolderView {
            ctx: self,
            mailbox,
            folder,
        })
    }

    /// `m:Folders` holding folder `seq` in `shape` (the payload of GetFolder, CreateFolder, ...).
    pub fn folders_payload(&self, mailbox: &Mailbox, seqs: &[u32], shape: &FolderShape) -> Node {
        Node::m("Folders").children(
            seqs.iter()
                .filter_map(|seq| self.folder_view(mailbox, *seq))
                .map(|view| view.node(shape)),
        )
    }
}

/// `ErrorMoveCopyFailed`-style mapping of tree errors shared by CreateFolder, MoveFolder,
/// CopyFolder and UpdateFolder.
pub fn tree_error(error: crate::mailbox::folders::TreeError) -> ResponseError {
    use crate::mailbox::folders::TreeError;
    ResponseError::new(match error {
        TreeError::NameTaken => ResponseCode::ErrorFolderExists,
        TreeError::NotFound => ResponseCode::ErrorItemNotFound,
        TreeError::IntoItself => ResponseCode::ErrorMoveCopyFailed,
    })
}

#[cfg(test)]
mod tests {
    use super::empty_folder::EmptyFolder;
    use super::*;
    use crate::ServerConfig;
    use crate::mailbox::Directory;
    use crate::mailbox::folders::FolderKind;
    use crate::mailbox::properties::PropertyBag;
    use crate::ops::Response;
    use crate::registry::Request;

    fn field(ctx: &OpContext<'_>, mailbox: &Mailbox, seq: u32, name: &str) -> Option<String> {
        ctx.folder_view(mailbox, seq)
            .and_then(|v| v.values(&PropertyPath::Field(format!("folder:{name}"))))
            .and_then(|v| v.into_iter().next())
    }

    /// Items inserted directly are what TotalCount and UnreadCount count; EmptyFolder,
    /// CopyFolder and DeleteFolder act on them.
    #[test]
    fn folders_count_over_items_and_operations_act_on_them() {
        let config = ServerConfig::default();
        let directory = Directory {
            users: config.users.clone(),
            distribution_groups: Vec::new(),
        };
        let store = crate::mailbox::Store::new(1);
        let ctx = OpContext::for_test(&config, &directory, &store);
        let mut mailbox = Mailbox::new();
        let inbox = mailbox.folders.distinguished("inbox").expect("inbox");
        let work = mailbox
            .folders
            .create(
                inbox,
                "work",
                None,
                FolderKind::Folder,
                PropertyBag::default(),
            )
            .expect("created");
        mailbox.items.insert(work, "IPM.Note", "one", false);
        mailbox.items.insert(work, "IPM.Note", "two", true);
        mailbox.items.insert(work, "IPM.Note", "three", false);
        assert_eq!(
            field(&ctx, &mailbox, work, "TotalCount").as_deref(),
            Some("3")
        );
        assert_eq!(
            field(&ctx, &mailbox, work, "UnreadCount").as_deref(),
            Some("2")
        );

        let copy = super::move_folder::move_or_copy(
            &ctx,
            &mut mailbox,
            Some(&FolderRef::Distinguished {
                name: "drafts".into(),
                change_key: None,
                mailbox: None,
            }),
            &[FolderRef::Id(IdRef {
                id: ctx.id(IdKind::Folder, work),
                change_key: None,
            })],
            true,
        );
        assert!(
            matches!(&copy, Response::Messages { outcomes, .. } if outcomes.len() == 1 && outcomes[0].is_ok())
        );
        let drafts = mailbox.folders.distinguished("drafts").expect("drafts");
        let copied = mailbox.folders.children(drafts)[0];
        assert_eq!(
            field(&ctx, &mailbox, copied, "TotalCount").as_deref(),
            Some("3")
        );

        let empty = EmptyFolder {
            delete_sub_folders: false,
            folder_ids: vec![FolderRef::Id(IdRef {
                id: ctx.id(IdKind::Folder, work),
                change_key: None,
            })],
        };
        let before = mailbox.folders.get(work).map(|f| f.version);
        let _ = empty.handle(&ctx, &mut mailbox);
        assert_eq!(
            field(&ctx, &mailbox, work, "TotalCount").as_deref(),
            Some("0")
        );
        assert_eq!(
            field(&ctx, &mailbox, work, "UnreadCount").as_deref(),
            Some("0")
        );
        assert_ne!(
            mailbox.folders.get(work).map(|f| f.version),
            before,
            "ChangeKey moves"
        );
        assert_eq!(
            field(&ctx, &mailbox, copied, "TotalCount").as_deref(),
            Some("3")
        );

        let delete = super::delete_folder::DeleteFolder {
            delete_type: super::delete_folder::Disposal::HardDelete,
            folder_ids: vec![FolderRef::Id(IdRef {
                id: ctx.id(IdKind::Folder, copied),
                change_key: None,
            })],
        };
        let _ = delete.handle(&ctx, &mut mailbox);
        assert_eq!(
            mailbox.items.counts(copied),
            (0, 0),
            "the items went with the folder"
        );
        assert!(mailbox.folders.get(copied).is_none());
    }
}
