//! The diff shown to people: a unified line diff (`similar`) of the canonical pretty prints.
//!
//! The expected side is printed as the comparison saw it: matched matchers show the actual
//! value, `{{ignore}}` subtrees, ignored paths and (in subset mode) tolerated extras are the
//! same on both sides, and unordered children follow the actual order. So the diff shows only
//! the real differences. Output is capped (`max_lines`) and the line diff is time-bounded.

use std::fmt::Write as _;
use std::time::Duration;

use similar::{Algorithm, ChangeTag, DiffOp, TextDiff};

use super::compare::Engine;
use super::pretty::{PNode, Prefixes, print};
use super::{CompareOptions, DiffOptions, Document};

/// Time allowed for the line diff before a coarser (still correct) diff is accepted.
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

pub(crate) fn render_diff(
    expected: &Document,
    actual: &Document,
    compare: &CompareOptions,
    opts: &DiffOptions,
) -> String {
    let mut engine = Engine::new(expected, actual, compare, true);
    let view = engine.run().unwrap_or(PNode::Elem(&expected.root));
    if engine.mismatch_count() == 0 {
        return String::new();
    }
    let actual_view = PNode::Elem(&actual.root);
    let skip = &engine.skip;
    let mut prefixes = Prefixes::default();
    prefixes.reserve_from(&view, Some(skip));
    prefixes.reserve_from(&actual_view, Some(skip));
    prefixes.assign_from(&view, Some(skip));
    prefixes.assign_from(&actual_view, Some(skip));
    let old = print(&view, &prefixes, Some(skip));
    let new = print(&actual_view, &prefixes, Some(skip));
    unified(&old, &new, opts)
}

/// A unified diff of two texts with `--- expected` / `+++ actual` headers.
pub(crate) fn unified(old: &str, new: &str, opts: &DiffOptions) -> String {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old, new);
    let paint = |color: &str, line: &str| {
        if opts.color {
            format!("{color}{line}{RESET}")
        } else {
            line.to_string()
        }
    };
    let groups = diff.grouped_ops(opts.context);
    let mut out = Capped {
        lines: Vec::new(),
        cap: opts.max_lines.max(3),
        elided: 0,
    };
    out.push(paint(RED, "--- expected"));
    out.push(paint(GREEN, "+++ actual"));
    for group in &groups {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        if out.full() {
            // Count what would follow without formatting it.
            out.elided += 1 + group.iter().map(op_lines).sum::<usize>();
            continue;
        }
        let old_start = first.old_range().start;
        let new_start = first.new_range().start;
        let old_len = last.old_range().end - old_start;
        let new_len = last.new_range().end - new_start;
        out.push(paint(
            CYAN,
            &format!(
                "@@ -{} +{} @@",
                hunk_range(old_start, old_len),
                hunk_range(new_start, new_len)
            ),
        ));
        for op in group {
            for change in diff.iter_changes(op) {
                let text = change.value().trim_end_matches(['\n', '\r']);
                let line = match change.tag() {
                    ChangeTag::Equal => format!(" {text}"),
                    ChangeTag::Delete => paint(RED, &format!("-{text}")),
                    ChangeTag::Insert => paint(GREEN, &format!("+{text}")),
                };
                out.push(line);
            }
        }
    }
    let mut text = String::new();
    for line in &out.lines {
        text.push_str(line);
        text.push('\n');
    }
    if out.elided > 0 {
        let _ = writeln!(text, "… {} more diff lines elided", out.elided);
    }
    text
}

/// Output lines up to a cap, counting the rest.
struct Capped {
    lines: Vec<String>,
    cap: usize,
    elided: usize,
}

impl Capped {
    fn full(&self) -> bool {
        self.lines.len() >= self.cap
    }
    fn push(&mut self, line: String) {
        if self.full() {
            self.elided += 1;
        } else {
            self.lines.push(line);
        }
    }
}

fn op_lines(op: &DiffOp) -> usize {
    match op {
        DiffOp::Equal { len, .. } => *len,
        DiffOp::Delete { old_len, .. } => *old_len,
        DiffOp::Insert { new_len, .. } => *new_len,
        DiffOp::Replace {
            old_len, new_len, ..
        } => old_len + new_len,
    }
}

/// `start,len` in unified-diff form (1-based; an empty range names the line before it).
fn hunk_range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}
