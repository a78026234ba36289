//! Diff rendering (filled in below).
use super::{CompareOptions, DiffOptions, Document};

pub(crate) fn render_diff(
    _e: &Document,
    _a: &Document,
    _c: &CompareOptions,
    _o: &DiffOptions,
) -> String {
    unimplemented!("xml engine: diff being written")
}
