//! SyncFolderItems: the changes to a folder's items since a sync state, at most
//! `MaxChangesReturned` (1..512, the schema's bound) per answer, newest item first.
//!
//! - A change is `t:Create` (an item the state does not know: new, or moved in), `t:Update`
//!   (any property but the read flag changed, or its ChangeKey moved), `t:ReadFlagChange` (only
//!   `IsRead` changed) or `t:Delete` (an item the state knows that is gone: deleted, soft-deleted
//!   or moved out). One change per item, however many edits it saw.
//! - `IncludesLastItemInRange` is false while more changes remain; the returned state counts
//!   only the changes returned, so paging with it gets the rest, and after the last page a sync
//!   from the final state returns no changes.
//! - `Ignore`: the items named are not reported; the new state records them as they are now.
//!   An `Id=""` there is `ErrorInvalidIdEmpty`, an id that does not decode
//!   `ErrorInvalidIdMalformed`; other ids (another mailbox's, a folder's, a deleted item's)
//!   cannot be reported anyway and are skipped.
//! - Created and updated items are written in the `ItemShape` (as GetItem writes them) without
//!   `Body`, which SyncFolderItems does not return (the operation page).
//! - `SyncScope` `NormalAndAssociatedItems` gives the same as `NormalItems`: the mailbox model
//!   has no folder-associated items.
//! - `SyncFolderId` of a folder id that names no folder: `ErrorSyncFolderNotFound`; a
//!   distinguished folder the mailbox lacks: `ErrorFolderNotFound`; a malformed id:
//!   `ErrorInvalidIdMalformed`; the resolution codes of `ops/folders` otherwise.

use std::collections::BTreeSet;

use super::{StateKind, SyncAnswer, SyncState, lost_change, sync_response};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::mailbox::changes::{ChangeKind, Snapshot, item_fingerprint};
use crate::ops::folders::{FolderRef, folder_refs};
use crate::ops::items::ItemShape;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::{IdRef, RequestView};

/// The SyncFolderItems request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFolderItems {
    pub shape: ItemShape,
    pub folder: Option<FolderRef>,
    pub sync_state: Option<String>,
    pub ignore: Vec<IdRef>,
    pub max_changes: usize,
}

impl Handler for SyncFolderItems {
    const NAME: &'static str = "SyncFolderItems";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidSyncStateData,
        ResponseCode::ErrorSyncFolderNotFound,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorAccessDenied,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        SyncFolderItems {
            shape: ItemShape::parse(request.element("ItemShape")),
            folder: folder_refs(request.element("SyncFolderId"))
                .into_iter()
                .next(),
            sync_state: request.opt_text("SyncState"),
            ignore: request.item_ids("Ignore"),
            max_changes: request
                .text("MaxChangesReturned")
                .trim()
                .parse()
                .unwrap_or(512),
        }
    }
}

impl SyncFolderItems {
    fn sync(&self, ctx: &OpContext<'_>, mailbox: &Mailbox) -> Result<SyncAnswer, ResponseError> {
        let reference = self
            .folder
            .as_ref()
            .ok_or_else(|| ResponseError::new(ResponseCode::ErrorSyncFolderNotFound))?;
        let folder = ctx
            .resolve_folder(mailbox, reference)
            .map_err(|e| match e.code {
                ResponseCode::ErrorItemNotFound => {
                    ResponseError::new(ResponseCode::ErrorSyncFolderNotFound)
                }
                _ => e,
            })?;
        let told = SyncState::told(
            self.sync_state.as_deref(),
            StateKind::Items,
            ctx.mailbox_id(),
            folder,
            ResponseCode::ErrorInvalidSyncStateData,
        )?;
        let mut ignored = BTreeSet::new();
        for id in &self.ignore {
            match ctx.resolve(id, IdKind::Item, ResponseCode::ErrorItemNotFound) {
                Ok(seq) => {
                    ignored.insert(seq);
                }
                Err(e)
                    if matches!(
                        e.code,
                        ResponseCode::ErrorInvalidIdEmpty | ResponseCode::ErrorInvalidIdMalformed
                    ) =>
                {
                    return Err(e);
                }
                Err(_) => {}
            }
        }
        let current = Snapshot::of_items(mailbox.items.in_folder(folder), &told);
        let mut changes: Vec<_> = told
            .changes(&current)
            .into_iter()
            .filter(|c| !ignored.contains(&c.seq))
            .collect();
        let mut reported = ignored;
        if let Some(lost) = lost_change(
            &changes,
            ctx.config.quirks.contains(&crate::Quirk::SyncLosesChange),
        ) {
            reported.insert(changes.remove(lost).seq);
        }
        let includes_last = changes.len() <= self.max_changes
            || ctx
                .config
                .quirks
                .contains(&crate::Quirk::SyncIncludesLastWrong);
        changes.truncate(self.max_changes);
        reported.extend(changes.iter().map(|c| c.seq));
        let state = SyncState {
            kind: StateKind::Items,
            mailbox: ctx.mailbox_id(),
            folder,
            snapshot: told.advanced(&current, &reported).hashed(&told, |seq| {
                mailbox.items.get(seq).map_or(0, item_fingerprint)
            }),
        };
        let nodes = changes
            .iter()
            .filter_map(|change| {
                let id = || Node::t("ItemId").attr("Id", ctx.id(IdKind::Item, change.seq));
                Some(match change.kind {
                    ChangeKind::Delete => Node::t("Delete").child(id()),
                    ChangeKind::ReadFlag(is_read) => {
                        let item = mailbox.items.get(change.seq)?;
                        Node::t("ReadFlagChange")
                            .child(ctx.item_id_node(item))
                            .child(Node::t_text("IsRead", is_read.to_string()))
                    }
                    ChangeKind::Create | ChangeKind::Update => {
                        let item = mailbox.items.get(change.seq)?;
                        let mut node = ctx.item_node(mailbox, item, &self.shape);
                        node.children.retain(|c| c.local != "Body");
                        let local = if change.kind == ChangeKind::Create {
                            "Create"
                        } else {
                            "Update"
                        };
                        Node::t(local).child(node)
                    }
                })
            })
            .collect();
        Ok(SyncAnswer {
            state: state.encode(),
            includes_last,
            changes: nodes,
        })
    }
}

impl Request for SyncFolderItems {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        sync_response(
            "SyncFolderItems",
            "IncludesLastItemInRange",
            self.sync(ctx, mailbox),
        )
    }

    fn mailbox_address(&self) -> Option<&str> {
        crate::ops::folders::mailbox_address(std::slice::from_ref(self.folder.as_ref()?))
    }
}
