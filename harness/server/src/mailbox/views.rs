//! Paging of find results, shared by FindFolder and FindItem: the `IndexedPage*View` and
//! `FractionalPage*View` of a request ([`PageView`]) and the window of a result list it selects
//! with the `RootFolder` attributes that describe it ([`Page`]).
//!
//! - Indexed (`MaxEntriesReturned`, `Offset`, `BasePoint`): from `Beginning` the window is
//!   `[Offset, Offset+Max)`; from `End` it ends `Offset` entries before the end. The answer's
//!   `IndexedPagingOffset` is `Offset` plus the entries returned, and `IncludesLastItemInRange`
//!   says whether the window reaches the last entry in paging order (the end from `Beginning`,
//!   the first entry from `End`). An offset beyond the end gives an empty window.
//! - Fractional (`Numerator`/`Denominator`): the window starts at `total × Numerator /
//!   Denominator` (rounded down); the answer has `NumeratorOffset` (the index after the window)
//!   and `AbsoluteDenominator` (the total). A zero denominator or a numerator above it →
//!   `ErrorInvalidFractionalPagingParameters`.
//! - `MaxEntriesReturned` of zero or less → `ErrorInvalidPagingMaxRows` (responsecode.md).

use crate::faults::{ResponseCode, ResponseError};
use crate::xml_tree::Element;

/// The paging view of a find operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageView {
    All,
    Indexed {
        max: Option<i64>,
        offset: usize,
        from_end: bool,
    },
    Fractional {
        max: Option<i64>,
        numerator: u64,
        denominator: u64,
    },
}

/// A page: the window `(start, end)` of the entries and the `RootFolder` attributes.
pub type Page = ((usize, usize), Vec<(&'static str, String)>);

/// An integer attribute of a view element.
pub fn number<T: std::str::FromStr>(element: &Element, name: &str) -> Option<T> {
    element.attr(name).and_then(|v| v.trim().parse().ok())
}

/// `MaxEntriesReturned` as a count: `Err(ErrorInvalidPagingMaxRows)` for zero or less.
pub fn max_entries(max: Option<i64>) -> Result<Option<usize>, ResponseError> {
    match max {
        None => Ok(None),
        Some(m) if m <= 0 => Err(ResponseError::new(ResponseCode::ErrorInvalidPagingMaxRows)),
        Some(m) => Ok(Some(usize::try_from(m).unwrap_or(usize::MAX))),
    }
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
                let (start, end) = capped(offset, max_entries(max)?);
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
                let max = max_entries(max)?;
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
                let max = max_entries(max)?;
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
    fn empty_and_beyond_the_end() {
        let v = PageView::Indexed {
            max: Some(10),
            offset: 0,
            from_end: false,
        };
        let (window, a) = attrs(v, 0);
        assert_eq!(window, (0, 0));
        assert_eq!((a[0].1.as_str(), a[1].1.as_str()), ("0", "true"));
        let v = PageView::Indexed {
            max: Some(10),
            offset: 7,
            from_end: true,
        };
        let (window, a) = attrs(v, 5);
        assert_eq!(window, (0, 0));
        assert_eq!(a[1].1, "true");
    }

    #[test]
    fn max_entries_must_be_positive() {
        for max in [0, -3] {
            let v = PageView::Indexed {
                max: Some(max),
                offset: 0,
                from_end: false,
            };
            let code = v.page(5).map(|_| ()).map_err(|e| e.code);
            assert_eq!(code, Err(ResponseCode::ErrorInvalidPagingMaxRows));
        }
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
