//! The folder tree of a mailbox.
//!
//! A new mailbox has the distinguished folders of Exchange 2013 ([`DEFAULT_FOLDERS`]): `root`,
//! `msgfolderroot` (Top of Information Store) and the folders under it, `searchfolders` with its
//! search folders, the recoverable-items folders. A [`Folder`] has a kind ([`FolderKind`], which
//! decides its element: `t:Folder`, `t:CalendarFolder`, `t:ContactsFolder`, `t:TasksFolder`,
//! `t:SearchFolder`), a class (`IPF.Note`, ...), a display name unique among its siblings
//! (ignoring case), a version the ChangeKey follows, and extended properties. Counts are never
//! stored: `ChildFolderCount` comes from the tree, `TotalCount`/`UnreadCount` from
//! [`Items`](super::items::Items). A soft-deleted folder stays in the tree, invisible to every
//! traversal but `SoftDeleted`.
//!
//! Distinguished names the enumeration has but this mailbox does not (`publicfoldersroot`, the
//! `archive*` folders: there is no archive mailbox; `directory` and the folders of later
//! versions) resolve to nothing ([`Folders::distinguished`] gives `None`, the operations answer
//! `ErrorFolderNotFound`).

use std::collections::BTreeMap;

use super::properties::PropertyBag;

/// Which element a folder is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    Folder,
    Calendar,
    Contacts,
    Tasks,
    Search,
}

impl FolderKind {
    /// The element local name (`CalendarFolder`).
    pub fn element(self) -> &'static str {
        match self {
            FolderKind::Folder => "Folder",
            FolderKind::Calendar => "CalendarFolder",
            FolderKind::Contacts => "ContactsFolder",
            FolderKind::Tasks => "TasksFolder",
            FolderKind::Search => "SearchFolder",
        }
    }

    /// The kind of a request's folder element.
    pub fn from_element(local: &str) -> Option<FolderKind> {
        Some(match local {
            "Folder" => FolderKind::Folder,
            "CalendarFolder" => FolderKind::Calendar,
            "ContactsFolder" => FolderKind::Contacts,
            "TasksFolder" => FolderKind::Tasks,
            "SearchFolder" => FolderKind::Search,
            _ => return None,
        })
    }

    /// The class a new folder of this kind gets when the request gives none.
    pub fn default_class(self) -> &'static str {
        match self {
            FolderKind::Folder | FolderKind::Search => "IPF.Note",
            FolderKind::Calendar => "IPF.Appointment",
            FolderKind::Contacts => "IPF.Contact",
            FolderKind::Tasks => "IPF.Task",
        }
    }

    /// The kind a folder class is shown as (a `t:Folder` created with class `IPF.Appointment`
    /// is a calendar folder afterwards, as in Exchange).
    pub fn for_class(class: &str) -> FolderKind {
        let is = |prefix: &str| {
            class == prefix
                || class
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        if is("IPF.Appointment") {
            FolderKind::Calendar
        } else if is("IPF.Contact") {
            FolderKind::Contacts
        } else if is("IPF.Task") {
            FolderKind::Tasks
        } else {
            FolderKind::Folder
        }
    }

    /// Whether the element has `UnreadCount` (FolderType and its extensions).
    pub fn has_unread_count(self) -> bool {
        matches!(
            self,
            FolderKind::Folder | FolderKind::Tasks | FolderKind::Search
        )
    }
}

/// One folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub seq: u32,
    /// `None` for `root` only.
    pub parent: Option<u32>,
    /// The distinguished name, for the default folders.
    pub distinguished: Option<&'static str>,
    pub display_name: String,
    /// `FolderClass`; `None` for the few default folders without one.
    pub folder_class: Option<String>,
    pub kind: FolderKind,
    /// Grows on every change of the folder (the ChangeKey follows it).
    pub version: u32,
    pub properties: PropertyBag,
    /// Deleted with `DeleteType="SoftDelete"`.
    pub soft_deleted: bool,
}

/// A default folder: distinguished name, parent's distinguished name, display name, class, kind.
pub type DefaultFolder = (
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    FolderKind,
);

/// The distinguished folders of a new mailbox. The first gets sequence number 1: `quickcontacts`,
/// which the IM list's personas point at (`ops/im/store.rs`, `QUICK_CONTACTS_FOLDER_SEQ`).
pub const DEFAULT_FOLDERS: &[DefaultFolder] = &[
    (
        "quickcontacts",
        Some("contacts"),
        "Quick Contacts",
        Some("IPF.Contact.MOC.QuickContacts"),
        FolderKind::Contacts,
    ),
    ("root", None, "Root", None, FolderKind::Folder),
    (
        "msgfolderroot",
        Some("root"),
        "Top of Information Store",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "inbox",
        Some("msgfolderroot"),
        "Inbox",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "drafts",
        Some("msgfolderroot"),
        "Drafts",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "sentitems",
        Some("msgfolderroot"),
        "Sent Items",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "deleteditems",
        Some("msgfolderroot"),
        "Deleted Items",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "outbox",
        Some("msgfolderroot"),
        "Outbox",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "junkemail",
        Some("msgfolderroot"),
        "Junk Email",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "calendar",
        Some("msgfolderroot"),
        "Calendar",
        Some("IPF.Appointment"),
        FolderKind::Calendar,
    ),
    (
        "contacts",
        Some("msgfolderroot"),
        "Contacts",
        Some("IPF.Contact"),
        FolderKind::Contacts,
    ),
    (
        "imcontactlist",
        Some("contacts"),
        "IM Contact List",
        Some("IPF.Contact.MOC.ImContactList"),
        FolderKind::Contacts,
    ),
    (
        "recipientcache",
        Some("contacts"),
        "Recipient Cache",
        Some("IPF.Contact.RecipientCache"),
        FolderKind::Contacts,
    ),
    (
        "tasks",
        Some("msgfolderroot"),
        "Tasks",
        Some("IPF.Task"),
        FolderKind::Tasks,
    ),
    (
        "notes",
        Some("msgfolderroot"),
        "Notes",
        Some("IPF.StickyNote"),
        FolderKind::Folder,
    ),
    (
        "journal",
        Some("msgfolderroot"),
        "Journal",
        Some("IPF.Journal"),
        FolderKind::Folder,
    ),
    (
        "conversationhistory",
        Some("msgfolderroot"),
        "Conversation History",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "syncissues",
        Some("msgfolderroot"),
        "Sync Issues",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "conflicts",
        Some("syncissues"),
        "Conflicts",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "localfailures",
        Some("syncissues"),
        "Local Failures",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "serverfailures",
        Some("syncissues"),
        "Server Failures",
        Some("IPF.Note"),
        FolderKind::Folder,
    ),
    (
        "searchfolders",
        Some("root"),
        "Finder",
        None,
        FolderKind::Folder,
    ),
    (
        "voicemail",
        Some("searchfolders"),
        "Voice Mail",
        Some("IPF.Note.Microsoft.Voicemail"),
        FolderKind::Search,
    ),
    (
        "todosearch",
        Some("searchfolders"),
        "To-Do Search",
        Some("IPF.Task"),
        FolderKind::Search,
    ),
    (
        "mycontacts",
        Some("searchfolders"),
        "My Contacts",
        Some("IPF.Contact.MOC.MyContacts"),
        FolderKind::Search,
    ),
    (
        "recoverableitemsroot",
        Some("root"),
        "Recoverable Items",
        None,
        FolderKind::Folder,
    ),
    (
        "recoverableitemsdeletions",
        Some("recoverableitemsroot"),
        "Deletions",
        None,
        FolderKind::Folder,
    ),
    (
        "recoverableitemsversions",
        Some("recoverableitemsroot"),
        "Versions",
        None,
        FolderKind::Folder,
    ),
    (
        "recoverableitemspurges",
        Some("recoverableitemsroot"),
        "Purges",
        None,
        FolderKind::Folder,
    ),
    (
        "recoverableitemsdiscoveryholds",
        Some("recoverableitemsroot"),
        "DiscoveryHolds",
        None,
        FolderKind::Folder,
    ),
    (
        "adminauditlogs",
        Some("root"),
        "AdminAuditLogs",
        None,
        FolderKind::Folder,
    ),
    (
        "peopleconnect",
        Some("root"),
        "PeopleConnect",
        None,
        FolderKind::Folder,
    ),
    (
        "favorites",
        Some("root"),
        "Favorites",
        None,
        FolderKind::Folder,
    ),
];

/// Why a folder cannot be created, moved or renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeError {
    /// A sibling already has the name.
    NameTaken,
    /// No such folder.
    NotFound,
    /// A folder cannot go into itself or its own subtree.
    IntoItself,
}

/// The folder tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    folders: BTreeMap<u32, Folder>,
    next_seq: u32,
}

impl Default for Folders {
    fn default() -> Folders {
        Folders::new()
    }
}

impl Folders {
    /// The folders of a new mailbox.
    pub fn new() -> Folders {
        let seq_of = |name: &str| {
            DEFAULT_FOLDERS
                .iter()
                .position(|(n, ..)| *n == name)
                .and_then(|i| u32::try_from(i + 1).ok())
        };
        let mut folders = BTreeMap::new();
        for (index, (name, parent, display, class, kind)) in DEFAULT_FOLDERS.iter().enumerate() {
            let seq = u32::try_from(index + 1).unwrap_or(u32::MAX);
            folders.insert(
                seq,
                Folder {
                    seq,
                    parent: parent.and_then(seq_of),
                    distinguished: Some(name),
                    display_name: (*display).to_string(),
                    folder_class: class.map(str::to_string),
                    kind: *kind,
                    version: 1,
                    properties: PropertyBag::default(),
                    soft_deleted: false,
                },
            );
        }
        let next_seq = u32::try_from(DEFAULT_FOLDERS.len() + 1).unwrap_or(u32::MAX);
        Folders { folders, next_seq }
    }

    pub fn get(&self, seq: u32) -> Option<&Folder> {
        self.folders.get(&seq)
    }

    pub fn get_mut(&mut self, seq: u32) -> Option<&mut Folder> {
        self.folders.get_mut(&seq)
    }

    /// The folder a distinguished name designates (`None` for names this mailbox lacks).
    pub fn distinguished(&self, name: &str) -> Option<u32> {
        self.folders
            .values()
            .find(|f| f.distinguished == Some(name))
            .map(|f| f.seq)
    }

    /// Visible children of `parent` (not soft-deleted), in creation order.
    pub fn children(&self, parent: u32) -> Vec<u32> {
        self.folders
            .values()
            .filter(|f| f.parent == Some(parent) && !f.soft_deleted)
            .map(|f| f.seq)
            .collect()
    }

    /// Soft-deleted children of `parent`.
    pub fn soft_deleted_children(&self, parent: u32) -> Vec<u32> {
        self.folders
            .values()
            .filter(|f| f.parent == Some(parent) && f.soft_deleted)
            .map(|f| f.seq)
            .collect()
    }

    /// Visible descendants of `parent`, depth first (a folder before its children). Iterative:
    /// a deep tree cannot exhaust the stack.
    pub fn descendants(&self, parent: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack: Vec<u32> = self.children(parent).into_iter().rev().collect();
        while let Some(next) = stack.pop() {
            out.push(next);
            stack.extend(self.children(next).into_iter().rev());
        }
        out
    }

    /// `folder` and everything below it, soft-deleted or not.
    pub fn subtree(&self, folder: u32) -> Vec<u32> {
        let mut out = vec![folder];
        let mut i = 0;
        while i < out.len() {
            let current = out[i];
            out.extend(
                self.folders
                    .values()
                    .filter(|f| f.parent == Some(current))
                    .map(|f| f.seq),
            );
            i += 1;
        }
        out
    }

    /// Whether a visible child of `parent` other than `except` is named `name` (ignoring case).
    pub fn name_taken(&self, parent: u32, name: &str, except: Option<u32>) -> bool {
        self.children(parent).into_iter().any(|seq| {
            Some(seq) != except
                && self
                    .get(seq)
                    .is_some_and(|f| f.display_name.to_lowercase() == name.to_lowercase())
        })
    }

    /// Creates a folder under `parent`; its sequence number.
    pub fn create(
        &mut self,
        parent: u32,
        display_name: &str,
        folder_class: Option<String>,
        kind: FolderKind,
        properties: PropertyBag,
    ) -> Result<u32, TreeError> {
        if !self.folders.contains_key(&parent) {
            return Err(TreeError::NotFound);
        }
        if self.name_taken(parent, display_name, None) {
            return Err(TreeError::NameTaken);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.folders.insert(
            seq,
            Folder {
                seq,
                parent: Some(parent),
                distinguished: None,
                display_name: display_name.to_string(),
                folder_class,
                kind,
                version: 1,
                properties,
                soft_deleted: false,
            },
        );
        self.touch(parent);
        Ok(seq)
    }

    /// Marks a change of `folder` (its ChangeKey moves).
    pub fn touch(&mut self, folder: u32) {
        if let Some(f) = self.folders.get_mut(&folder) {
            f.version += 1;
        }
    }

    /// Moves `folder` under `to`.
    pub fn move_to(&mut self, folder: u32, to: u32) -> Result<(), TreeError> {
        let (Some(moving), true) = (self.get(folder), self.folders.contains_key(&to)) else {
            return Err(TreeError::NotFound);
        };
        if self.subtree(folder).contains(&to) {
            return Err(TreeError::IntoItself);
        }
        let (name, old_parent) = (moving.display_name.clone(), moving.parent);
        if self.name_taken(to, &name, Some(folder)) {
            return Err(TreeError::NameTaken);
        }
        if let Some(f) = self.folders.get_mut(&folder) {
            f.parent = Some(to);
            f.soft_deleted = false;
        }
        self.touch(folder);
        self.touch(to);
        if let Some(old) = old_parent {
            self.touch(old);
        }
        Ok(())
    }

    /// Copies `folder` and its visible subtree under `to`; the copy's sequence number and the
    /// `(original, copy)` pairs of every folder copied (for copying their items).
    pub fn copy_to(&mut self, folder: u32, to: u32) -> Result<Vec<(u32, u32)>, TreeError> {
        let (Some(original), true) = (self.get(folder), self.folders.contains_key(&to)) else {
            return Err(TreeError::NotFound);
        };
        if self.subtree(folder).contains(&to) {
            return Err(TreeError::IntoItself);
        }
        if self.name_taken(to, &original.display_name, None) {
            return Err(TreeError::NameTaken);
        }
        let mut pairs = Vec::new();
        // Breadth first over (original, new parent), iteratively.
        let mut queue = std::collections::VecDeque::from([(folder, to)]);
        while let Some((original, parent)) = queue.pop_front() {
            let Some(source) = self.get(original).cloned() else {
                continue;
            };
            let seq = self.next_seq;
            self.next_seq += 1;
            self.folders.insert(
                seq,
                Folder {
                    seq,
                    parent: Some(parent),
                    distinguished: None,
                    version: 1,
                    soft_deleted: false,
                    ..source
                },
            );
            pairs.push((original, seq));
            queue.extend(self.children(original).into_iter().map(|c| (c, seq)));
        }
        self.touch(to);
        Ok(pairs)
    }

    /// Removes `folder` and its subtree; the sequence numbers removed.
    pub fn remove(&mut self, folder: u32) -> Vec<u32> {
        let parent = self.get(folder).and_then(|f| f.parent);
        let gone = self.subtree(folder);
        for seq in &gone {
            self.folders.remove(seq);
        }
        if let Some(parent) = parent {
            self.touch(parent);
        }
        gone
    }

    /// Soft-deletes `folder` (it stays, seen only by a `SoftDeleted` traversal of its parent).
    pub fn soft_delete(&mut self, folder: u32) {
        let parent = self.get(folder).and_then(|f| f.parent);
        if let Some(f) = self.folders.get_mut(&folder) {
            f.soft_deleted = true;
            f.version += 1;
        }
        if let Some(parent) = parent {
            self.touch(parent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_mailbox_has_the_distinguished_tree() {
        let folders = Folders::new();
        let root = folders.distinguished("root").expect("root");
        let top = folders.distinguished("msgfolderroot").expect("top");
        let inbox = folders.distinguished("inbox").expect("inbox");
        assert_eq!(folders.get(inbox).and_then(|f| f.parent), Some(top));
        assert_eq!(folders.get(top).and_then(|f| f.parent), Some(root));
        assert_eq!(folders.distinguished("quickcontacts"), Some(1));
        assert_eq!(folders.distinguished("archiveroot"), None);
        let deep = folders.descendants(root);
        assert_eq!(deep.len(), DEFAULT_FOLDERS.len() - 1);
        let contacts = folders.distinguished("contacts").expect("contacts");
        assert_eq!(
            folders.get(contacts).map(|f| f.kind),
            Some(FolderKind::Contacts)
        );
    }

    #[test]
    fn a_deep_tree_is_walked_and_copied_without_recursion() {
        let mut folders = Folders::new();
        let inbox = folders.distinguished("inbox").expect("inbox");
        let mut parent = inbox;
        for depth in 0..2_000 {
            parent = folders
                .create(
                    parent,
                    &format!("level {depth}"),
                    None,
                    FolderKind::Folder,
                    PropertyBag::default(),
                )
                .expect("created");
        }
        let deep = folders.descendants(inbox);
        assert_eq!(deep.len(), 2_000);
        assert_eq!(
            deep.last(),
            Some(&parent),
            "depth first: the deepest comes last"
        );
        let drafts = folders.distinguished("drafts").expect("drafts");
        let first = deep[0];
        assert_eq!(folders.copy_to(first, drafts).map(|p| p.len()), Ok(2_000));
        assert_eq!(folders.descendants(drafts).len(), 2_000);
    }

    #[test]
    fn names_are_unique_among_siblings_ignoring_case() {
        let mut folders = Folders::new();
        let inbox = folders.distinguished("inbox").expect("inbox");
        let a = folders
            .create(
                inbox,
                "Alpha",
                None,
                FolderKind::Folder,
                PropertyBag::default(),
            )
            .expect("created");
        assert_eq!(
            folders.create(
                inbox,
                "ALPHA",
                None,
                FolderKind::Folder,
                PropertyBag::default()
            ),
            Err(TreeError::NameTaken)
        );
        let b = folders
            .create(a, "Beta", None, FolderKind::Folder, PropertyBag::default())
            .expect("created");
        assert_eq!(folders.move_to(a, b), Err(TreeError::IntoItself));
        let pairs = folders.copy_to(a, folders.distinguished("drafts").expect("drafts"));
        assert_eq!(pairs.map(|p| p.len()), Ok(2));
        assert_eq!(folders.remove(a).len(), 2);
        assert!(folders.get(b).is_none());
    }
}
