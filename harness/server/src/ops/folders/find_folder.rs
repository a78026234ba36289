//! FindFolder: the subfolders of each parent, one response message per parent, in request order.
//!
//! `Traversal`: `Shallow` (the children), `Deep` (every descendant, a folder before its
//! children), `SoftDeleted` (the soft-deleted children). A restriction filters them first; then
//! the view pages them:
//!
//! - `IndexedPageFolderView` (`MaxEntriesReturned`, `Offset`, `BasePoint`): from `Beginning` the
//!   window is `[Offset, Offset+Max)`; from `End` it ends `Offset` entries before the end. The
//!   answer's `IndexedPagingOffset` is `Offset` plus the entries returned, and
//!   `IncludesLastItemInRange` says whether the window reaches the last entry in paging order
//!   (the end from `Beginning`, the first entry from `End`).
//! - `FractionalPageFolderView` (`Numerator`/`Denominator`): the window starts at
//!   `total × Numerator / Denominator` (rounded down); the answer has `NumeratorOffset` (the
//!   index after the window) and `AbsoluteDenominator` (the total). A zero denominator or a
//!   numerator above it → `ErrorInvalidFractionalPagingParameters`.
//!
//! `TotalItemsInView` is always the number of entries matching the restriction, before paging.
//! An unusable restriction → `ErrorInvalidRestriction`.

use super::{FolderRef, FolderShape, folder_refs};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::restriction::{Restriction, parse_restriction};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;
use crate::xml_tree::Element;

/// `Traversal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traversal {
    Shallow,
    Deep,
    SoftDeleted,
}

/// The paging view of a find operation (shared with FindItem later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageView {
    All,
    Indexed {
        max: Option<usize>,
        offset: usize,
        from_end: bool,
    },
    Fractional {
        max: Option<usize>,
        numerator: u64,
        denominator: u64,
    },
}

fn number<T: std::str::FromStr>(element: &Element, name: &str) -> Option<T> {
    element.attr(name).and_then(|v| v.trim().parse().ok())
}

impl PageView {
    /// Reads `IndexedPage*View` / `FractionalPage*View` (absent: everything).
    pub fn parse(indexed: Option<&Element>, fractional: Option<&Element>) -> PageView {
        if let Some(v) = indexed {
            PageView::Indexed {
                max: number(v, "MaxEntriesReturned"),
                offset: number(v, "Offset").unwrap_or(0),
                from_end: v.attr("BasePoint").map(str::trim) == Some("End"),
            }
        } else if let Some(v) = fractional {
            PageView::Fractional {
                max: number(v, "MaxEntriesReturned"),
                numerator: number(v, "Numerator").unwrap_or(0),
                denominator: number(v, "Denominator").unwrap_or(0),
            }
        } else {
            PageView::All
        }
    }

    /// Pages `total` entries: the window `(start, end)` and the `RootFolder`/`RootItem`
    /// attributes in schema order.
    pub fn page(self, total: usize) -> Result<Page, ResponseError> {
        let capped = |start: usize, max: Option<usize>| {
            let end = max.map_or(total, |m| start.saturating_add(m).min(total));
            (start.min(total), end.max(start.min(total)))
        };
        Ok(match self {
            PageView::All => ((0, total), vec![("IncludesLastItemInRange", "true".into())]),
            PageView::Indexed {
                max,
                offset,
                from_end: false,
            } => {
                let (start, end) = capped(offset, max);
                (
                    (start, end),
                    vec![
                        ("IndexedPagingOffset", (offset + (end - start)).to_string()),
                        ("IncludesLastItemInRange", (end >= total).to_string()),
                    ],
                )
            }
            PageView::Indexed {
                max,
                offset,
                from_end: true,
            } => {
                let end = total.saturating_sub(offset);
                let start = max.map_or(0, |m| end.saturating_sub(m));
                (
                    (start, end),
                    vec![
                        ("IndexedPagingOffset", (offset + (end - start)).to_string()),
                        ("IncludesLastItemInRange", (start == 0).to_string()),
                    ],
                )
            }
            PageView::Fractional {
                max,
                numerator,
                denominator,
            } => {
                if denominator == 0 || numerator > denominator {
                    return Err(ResponseError::new(
                        ResponseCode::ErrorInvalidFractionalPagingParameters,
                    ));
                }
                let total64 = u64::try_from(total).unwrap_or(u64::MAX);
                let first = usize::try_from(total64.saturating_mul(numerator) / denominator)
                    .unwrap_or(total);
                let (start, end) = capped(first, max);
                (
                    (start, end),
                    vec![
                        ("NumeratorOffset", end.to_string()),
                        ("AbsoluteDenominator", total.to_string()),
                        ("IncludesLastItemInRange", (end >= total).to_string()),
                    ],
                )
            }
        })
    }
}

/// A page: the window `(start, end)` of the entries and the `RootFolder`/`RootItem` attributes.
pub type Page = ((usize, usize), Vec<(&'static str, String)>);

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

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(view: PageView, total: usize) -> Page {
        view.page(total).expect("valid view")
    }

    #[test]
    fn indexed_paging_from_the_beginning_and_the_end() {
        let v = |max, offset, from_end| PageView::Indexed {
            max: Some(max),
            offset,
            from_end,
        };
        let (window, a) = attrs(v(2, 0, false), 5);
        assert_eq!(window, (0, 2));
        assert_eq!(a[0].1, "2");
        assert_eq!(a[1].1, "false");
        let (window, a) = attrs(v(2, 4, false), 5);
        assert_eq!(window, (4, 5));
        assert_eq!((a[0].1.as_str(), a[1].1.as_str()), ("5", "true"));
        let (window, a) = attrs(v(2, 3, false), 5);
        assert_eq!(window, (3, 5));
        assert_eq!(a[1].1, "true", "the window ends exactly at the last entry");
        let (window, _) = attrs(v(2, 9, false), 5);
        assert_eq!(window, (5, 5));
        let (window, a) = attrs(v(2, 0, true), 5);
        assert_eq!(window, (3, 5));
        assert_eq!(a[1].1, "false");
        let (window, a) = attrs(v(2, 3, true), 5);
        assert_eq!(window, (0, 2));
        assert_eq!(a[1].1, "true");
    }

    #[test]
    fn fractional_paging() {
        let v = |num, den| PageView::Fractional {
            max: Some(2),
            numerator: num,
            denominator: den,
        };
        let (window, a) = attrs(v(1, 2), 5);
        assert_eq!(window, (2, 4));
        assert_eq!(a[0], ("NumeratorOffset", "4".to_string()));
        assert_eq!(a[1], ("AbsoluteDenominator", "5".to_string()));
        assert!(v(3, 2).page(5).is_err());
        assert!(v(0, 0).page(5).is_err());
        let (window, a) = attrs(v(2, 2), 5);
        assert_eq!(window, (5, 5));
        assert_eq!(a[2].1, "true");
    }
}
