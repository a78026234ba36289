//! The diff shown to people: a unified line diff (`similar`) of the canonical pretty prints.
//!
//! The expected side is printed as the comparison saw it: matched matchers show the actual
//! value, `{{ignore}}` subtrees, ignored paths and (in subset mode) tolerated extras are the
//! same on both sides, and unordered children follow the actual order. So the diff shows only
//! the real differences. Output is capped (`max_lines`) and the line diff is time-bounded.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use similar::{Algorithm, ChangeTag, DiffOp};

use super::compare::Engine;
use super::pretty::{
    Chunk, PChild, PNode, Prefixes, Skip, addr, count_lines, print_chunks, print_element,
};
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
    earlier: &BTreeMap<String, String>,
) -> String {
    let mut engine = Engine::new(expected, actual, compare, true, earlier);
    let view = engine.run().unwrap_or(PNode::Elem(&expected.root));
    if engine.mismatch_count() == 0 {
        return String::new();
    }
    let actual_view = PNode::Elem(&actual.root);
    let skip = &engine.skip;
    let mut prefixes = Prefixes::default();
    prefixes.collect(&view, Some(skip), false);
    prefixes.collect(&actual_view, Some(skip), true);
    prefixes.finish();

    // Subtrees that compared equal print the same on both sides: they stay placeholders
    // (one token each) and only the lines a hunk shows get printed.
    let mut shared = HashSet::new();
    collect_shared(&view, &mut shared);
    let mut counts = HashMap::new();
    let old = Side::new(
        print_chunks(&view, &prefixes, Some(skip), &shared),
        skip,
        &mut counts,
    );
    let new = Side::new(
        print_chunks(&actual_view, &prefixes, Some(skip), &shared),
        skip,
        &mut counts,
    );
    let (old_tokens, new_tokens) = (old.tokens(), new.tokens());
    let deadline = Instant::now() + DIFF_TIMEOUT;
    let token_ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_tokens,
        &new_tokens,
        Some(deadline),
    );
    let line_ops: Vec<DiffOp> = token_ops
        .iter()
        .map(|op| to_lines(op, &old.starts, &new.starts))
        .collect();
    let groups = similar::group_diff_ops(line_ops, opts.context);
    let mut old_lines = LineSource::new(&old, &prefixes, skip);
    let mut new_lines = LineSource::new(&new, &prefixes, skip);
    render(&groups, opts, &mut |tag, index| match tag {
        ChangeTag::Delete => old_lines.line(index),
        ChangeTag::Insert | ChangeTag::Equal => new_lines.line(index),
    })
}

/// Elements of the actual document that the expected view shows unchanged.
fn collect_shared(node: &PNode<'_>, out: &mut HashSet<usize>) {
    match node {
        PNode::Shared(e) => {
            out.insert(addr(e));
        }
        PNode::Elem(_) => {}
        PNode::Built { children, .. } => {
            for c in children {
                if let PChild::Node(n) = c {
                    collect_shared(n, out);
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token<'a> {
    Line(&'a str),
    Shared(usize),
}

/// Where a token comes from.
#[derive(Clone, Copy)]
enum Origin {
    /// A line of a `Chunk::Lines` text, starting at `byte`.
    Line { chunk: usize, byte: usize },
    /// A `Chunk::Shared` element.
    Shared { chunk: usize },
}

/// One printed side: its chunks, one token per line or shared element, and line numbers.
struct Side<'p> {
    chunks: Vec<Chunk<'p>>,
    origin: Vec<Origin>,
    /// `starts[k]` is the first line of token `k`; the last entry is the line count.
    starts: Vec<usize>,
}

impl<'p> Side<'p> {
    /// `counts` caches the line count of shared elements (both sides have the same ones).
    fn new(chunks: Vec<Chunk<'p>>, skip: &Skip, counts: &mut HashMap<usize, usize>) -> Self {
        let mut starts = vec![0];
        let mut origin = Vec::new();
        let mut line = 0;
        for (ci, chunk) in chunks.iter().enumerate() {
            match chunk {
                Chunk::Lines(text) => {
                    let mut byte = 0;
                    for l in text.split_inclusive('\n') {
                        origin.push(Origin::Line { chunk: ci, byte });
                        byte += l.len();
                        line += 1;
                        starts.push(line);
                    }
                }
                Chunk::Shared(e, _, _) => {
                    origin.push(Origin::Shared { chunk: ci });
                    line += *counts
                        .entry(addr(e))
                        .or_insert_with(|| count_lines(e, Some(skip)));
                    starts.push(line);
                }
            }
        }
        Side {
            chunks,
            origin,
            starts,
        }
    }

    fn line_text(&self, chunk: usize, byte: usize) -> &str {
        match self.chunks.get(chunk) {
            Some(Chunk::Lines(text)) => {
                let rest = text.get(byte..).unwrap_or_default();
                let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
                &rest[..end]
            }
            _ => "",
        }
    }

    fn tokens(&self) -> Vec<Token<'_>> {
        self.origin
            .iter()
            .map(|o| match *o {
                Origin::Line { chunk, byte } => Token::Line(self.line_text(chunk, byte)),
                Origin::Shared { chunk } => match self.chunks.get(chunk) {
                    Some(Chunk::Shared(e, _, _)) => Token::Shared(addr(e)),
                    _ => Token::Line(""),
                },
            })
            .collect()
    }
}

/// Token ranges of an op turned into line ranges.
fn to_lines(op: &DiffOp, old: &[usize], new: &[usize]) -> DiffOp {
    let line = |starts: &[usize], k: usize| starts.get(k).copied().unwrap_or_default();
    let (_, o, n) = op.as_tag_tuple();
    let (os, oe) = (line(old, o.start), line(old, o.end));
    let (ns, ne) = (line(new, n.start), line(new, n.end));
    match op {
        DiffOp::Equal { .. } => DiffOp::Equal {
            old_index: os,
            new_index: ns,
            len: oe - os,
        },
        DiffOp::Delete { .. } => DiffOp::Delete {
            old_index: os,
            old_len: oe - os,
            new_index: ns,
        },
        DiffOp::Insert { .. } => DiffOp::Insert {
            old_index: os,
            new_index: ns,
            new_len: ne - ns,
        },
        DiffOp::Replace { .. } => DiffOp::Replace {
            old_index: os,
            old_len: oe - os,
            new_index: ns,
            new_len: ne - ns,
        },
    }
}

/// Text of any line of a side; shared elements are printed when one of their lines is needed.
struct LineSource<'s, 'p> {
    side: &'s Side<'p>,
    prefixes: &'s Prefixes,
    skip: &'s Skip,
    printed: HashMap<usize, Vec<String>>,
}

impl<'s, 'p> LineSource<'s, 'p> {
    fn new(side: &'s Side<'p>, prefixes: &'s Prefixes, skip: &'s Skip) -> Self {
        LineSource {
            side,
            prefixes,
            skip,
            printed: HashMap::new(),
        }
    }

    fn line(&mut self, index: usize) -> String {
        let token = self
            .side
            .starts
            .partition_point(|&s| s <= index)
            .saturating_sub(1);
        let Some(origin) = self.side.origin.get(token) else {
            return String::new();
        };
        match *origin {
            Origin::Line { chunk, byte } => self.side.line_text(chunk, byte).to_string(),
            Origin::Shared { chunk } => {
                let Some(Chunk::Shared(e, depth, parent)) = self.side.chunks.get(chunk) else {
                    return String::new();
                };
                let (prefixes, skip) = (self.prefixes, self.skip);
                let lines = self.printed.entry(token).or_insert_with(|| {
                    print_element(e, *parent, *depth, prefixes, Some(skip))
                        .split_inclusive('\n')
                        .map(str::to_string)
                        .collect()
                });
                let first = self.side.starts.get(token).copied().unwrap_or_default();
                lines.get(index - first).cloned().unwrap_or_default()
            }
        }
    }
}

/// Renders grouped line ops as a unified diff; `line(tag, index)` gives a line's text.
fn render(
    groups: &[Vec<DiffOp>],
    opts: &DiffOptions,
    line: &mut dyn FnMut(ChangeTag, usize) -> String,
) -> String {
    let paint = |color: &str, text: &str| {
        if opts.color {
            format!("{color}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let mut out = Capped {
        lines: Vec::new(),
        cap: opts.max_lines.max(3),
        elided: 0,
    };
    out.push(paint(RED, "--- expected"));
    out.push(paint(GREEN, "+++ actual"));
    for group in groups {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        if out.full() {
            // Count what would follow without printing it.
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
            let (tag, old, new) = op.as_tag_tuple();
            let mut emit = |out: &mut Capped, tag: ChangeTag, index: usize| {
                if out.full() {
                    out.elided += 1;
                    return;
                }
                let text = line(tag, index);
                let text = text.trim_end_matches(['\n', '\r']);
                out.push(match tag {
                    ChangeTag::Equal => format!(" {text}"),
                    ChangeTag::Delete => paint(RED, &format!("-{text}")),
                    ChangeTag::Insert => paint(GREEN, &format!("+{text}")),
                });
            };
            match tag {
                similar::DiffTag::Equal => new.for_each(|i| emit(&mut out, ChangeTag::Equal, i)),
                similar::DiffTag::Delete => old.for_each(|i| emit(&mut out, ChangeTag::Delete, i)),
                similar::DiffTag::Insert => new.for_each(|i| emit(&mut out, ChangeTag::Insert, i)),
                similar::DiffTag::Replace => {
                    old.for_each(|i| emit(&mut out, ChangeTag::Delete, i));
                    new.for_each(|i| emit(&mut out, ChangeTag::Insert, i));
                }
            }
        }
    }
    out.finish()
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

/// Output lines up to a cap, counting the rest.
struct Capped {
    lines: Vec<String>,
    cap: usize,
    elided: usize,
}

impl Capped {
    fn finish(self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        if self.elided > 0 {
            let _ = writeln!(text, "… {} more diff lines elided", self.elided);
        }
        text
    }

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
