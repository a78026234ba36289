//! FindFolder: the subfolders of each parent, one response message per parent, in request order.
//!
//! `Traversal`: `Shallow` (the children), `Deep` (every descendant, a folder before its
//! children), `SoftDeleted` (the soft-deleted children). A restriction filters them first; then
//! the view pages them (`IndexedPageFolderView`, `FractionalPageFolderView`:
//! [`crate::mailbox::views`] gives the windows, the `RootFolder` attributes and the errors).
//!
//! `TotalItemsInView` is always the number of entries matching the restriction, before paging.
//! An unusable restriction → `ErrorInvalidRestriction`.

use super::{FolderRef, FolderShape, folder_refs};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::restriction::{Restriction, parse_restriction};
use crate::mailbox::views::PageView;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// `Traversal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traversal {
    Shallow,
    Deep,
    SoftDeleted,
}

/// The FindFolder request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindFolder {
    pub traversal: Traversal,
    pub shape: FolderShape,
    pub view: PageView,
    /// `None` without a restriction; `Some(Err)` for one this server cannot evaluate.
    pub restriction: Option<Result<Restriction, String>>,
    pub parents: Vec<FolderRef>,
}

impl Handler for FindFolder {
    const NAME: &'static str = "FindFolder";
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
        ResponseCode::ErrorInvalidFractionalPagingParameters,
        ResponseCode::ErrorInvalidRestriction,
        ResponseCode::ErrorInvalidPagingMaxRows,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let traversal = match request.body().attr("Traversal").map(str::trim) {
            Some("Deep") => Traversal::Deep,
            Some("SoftDeleted") => Traversal::SoftDeleted,
            _ => Traversal::Shallow,
        };
        FindFolder {
            traversal,
            shape: FolderShape::parse(request.element("FolderShape")),
            view: PageView::parse(
                request.element("IndexedPageFolderView"),
                request.element("FractionalPageFolderView"),
            ),
            restriction: request
                .element("Restriction")
                .map(|r| parse_restriction(r).map_err(|e| e.0)),
            parents: folder_refs(request.element("ParentFolderIds")),
        }
    }
}

impl Request for FindFolder {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .parents
            .iter()
            .map(|parent| self.find(ctx, mailbox, parent))
            .collect();
        Response::messages(outcomes)
    }

    fn mailbox_address(&self) -> Option<&str> {
        super::mailbox_address(&self.parents)
    }
}

impl FindFolder {
    fn find(&self, ctx: &OpContext<'_>, mailbox: &Mailbox, parent: &FolderRef) -> Outcome {
        let parent = ctx.resolve_folder(mailbox, parent)?;
        let ignored = ctx
            .config
            .quirks
            .contains(&crate::Quirk::RestrictionIgnored);
        let restriction = match &self.restriction {
            None => None,
            Some(_) if ignored => None,
            Some(Ok(r)) => Some(r),
            Some(Err(_)) => return Err(ResponseError::new(ResponseCode::ErrorInvalidRestriction)),
        };
        let candidates = match self.traversal {
            Traversal::Shallow => mailbox.folders.children(parent),
            Traversal::Deep => mailbox.folders.descendants(parent),
            Traversal::SoftDeleted => mailbox.folders.soft_deleted_children(parent),
        };
        let matching: Vec<u32> = candidates
            .into_iter()
            .filter(|seq| {
                restriction.is_none_or(|r| {
                    ctx.folder_view(mailbox, *seq)
                        .is_some_and(|view| r.matches(&view))
                })
            })
            .collect();
        let total = matching.len();
        let ((start, end), attributes) = self.view.page(total)?;
        let mut root = Node::m("RootFolder");
        for (name, value) in attributes {
            root = root.attr(name, value);
        }
        root = root.attr("TotalItemsInView", total.to_string());
        let page = &matching[start..end];
        let folders = page
            .iter()
            .filter_map(|seq| ctx.folder_view(mailbox, *seq))
            .map(|view| view.node(&self.shape));
        Ok(Some(root.child(Node::t("Folders").children(folders))))
    }
}
