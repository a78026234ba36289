//! SyncFolderHierarchy: the changes to the folders below `SyncFolderId` since a sync state, all
//! in one answer (the operation has no `MaxChangesReturned`; `IncludesLastFolderInRange` is
//! always true), newest folder first.
//!
//! - Without `SyncFolderId` the hierarchy synchronized is the one below `msgfolderroot` (Top of
//!   Information Store: the folders a mail client shows); with one, the folders below it (the
//!   folder itself is not part of its hierarchy). Soft-deleted folders are not in it.
//! - `t:Create` for a folder the state does not know (new, copied or moved in), `t:Delete`
//!   with its `FolderId` for one that is gone (deleted, soft-deleted or moved out), `t:Update`
//!   for one whose display name, class, parent, extended properties, `TotalCount`,
//!   `UnreadCount` or `ChildFolderCount` changed or whose ChangeKey moved. Folders are written
//!   in the `FolderShape`, as GetFolder writes them.
//! - A state of another folder, mailbox or of SyncFolderItems, or a damaged one:
//!   `ErrorInvalidSyncStateData` (with the hierarchy's documented wording). A folder id that
//!   names no folder, or a distinguished folder the mailbox lacks: `ErrorFolderNotFound`; the
//!   resolution codes of `ops/folders` otherwise.

use std::collections::BTreeSet;

use super::{StateKind, SyncAnswer, SyncState, lost_change, sync_response};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::mailbox::changes::{ChangeKind, Snapshot};
use crate::ops::folders::{FolderRef, FolderShape, folder_refs};
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// The SyncFolderHierarchy request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFolderHierarchy {
    pub shape: FolderShape,
    pub folder: Option<FolderRef>,
    pub sync_state: Option<String>,
}

impl Handler for SyncFolderHierarchy {
    const NAME: &'static str = "SyncFolderHierarchy";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidSyncStateDataHierarchy,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorAccessDenied,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        SyncFolderHierarchy {
            shape: FolderShape::parse(request.element("FolderShape")),
            folder: folder_refs(request.element("SyncFolderId"))
                .into_iter()
                .next(),
            sync_state: request.opt_text("SyncState"),
        }
    }
}

impl SyncFolderHierarchy {
    fn sync(&self, ctx: &OpContext<'_>, mailbox: &Mailbox) -> Result<SyncAnswer, ResponseError> {
        let not_found = || ResponseError::new(ResponseCode::ErrorFolderNotFound);
        let root = match &self.folder {
            Some(reference) => {
                ctx.resolve_folder(mailbox, reference)
                    .map_err(|e| match e.code {
                        ResponseCode::ErrorItemNotFound => not_found(),
                        _ => e,
                    })?
            }
            None => mailbox
                .folders
                .distinguished("msgfolderroot")
                .ok_or_else(not_found)?,
        };
        let told = SyncState::told(
            self.sync_state.as_deref(),
            StateKind::Hierarchy,
            ctx.mailbox_id(),
            root,
            ResponseCode::ErrorInvalidSyncStateDataHierarchy,
        )?;
        let current = Snapshot::of_folders(mailbox, &mailbox.folders.descendants(root));
        let mut changes = told.changes(&current);
        let mut reported = BTreeSet::new();
        if let Some(lost) = lost_change(
            &changes,
            ctx.config.quirks.contains(&crate::Quirk::SyncLosesChange),
        ) {
            reported.insert(changes.remove(lost).seq);
        }
        reported.extend(changes.iter().map(|c| c.seq));
        let state = SyncState {
            kind: StateKind::Hierarchy,
            mailbox: ctx.mailbox_id(),
            folder: root,
            snapshot: told.advanced(&current, &reported),
        };
        let nodes = changes
            .iter()
            .filter_map(|change| {
                let local = match change.kind {
                    ChangeKind::Delete => {
                        return Some(Node::t("Delete").child(
                            Node::t("FolderId").attr("Id", ctx.id(IdKind::Folder, change.seq)),
                        ));
                    }
                    ChangeKind::Create => "Create",
                    ChangeKind::Update | ChangeKind::ReadFlag(_) => "Update",
                };
                let view = ctx.folder_view(mailbox, change.seq)?;
                Some(Node::t(local).child(view.node(&self.shape)))
            })
            .collect();
        Ok(SyncAnswer {
            state: state.encode(),
            includes_last: true,
            changes: nodes,
        })
    }
}

impl Request for SyncFolderHierarchy {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        sync_response(
            "SyncFolderHierarchy",
            "IncludesLastFolderInRange",
            self.sync(ctx, mailbox),
        )
    }

    fn mailbox_address(&self) -> Option<&str> {
        crate::ops::folders::mailbox_address(std::slice::from_ref(self.folder.as_ref()?))
    }
}
