//! Positions of YAML values in a case file.
//!
//! The YAML backend gives positions only for errors, so this module scans the file text into an
//! outline (block mappings and sequences by indentation, `key:` lines, `- ` items, block scalars
//! `|`/`>`, quoted and plain scalars, one-line flow mappings and sequences) and answers "where
//! does the value at `steps[2].expect` start?". It handles the YAML shapes case files use; for
//! anything else it answers with the nearest enclosing position it found. It never panics.

/// Where a value's text starts. 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub line: usize,
    pub col: usize,
    /// For block scalars (`|`, `>`): the content indentation (number of spaces), so that
    /// column `c` of a later line of the value is file column `indent + c`. Otherwise `col - 1`.
    pub indent: usize,
    /// Whether the value text is a literal block (`|`), so lines of the value are lines of the
    /// file. False for folded, quoted and plain scalars, whose later lines are approximate.
    pub literal_block: bool,
    /// False when the path could not be followed to the end and this is the nearest enclosing
    /// position.
    pub exact: bool,
    /// For a plain scalar written over several lines, or a folded block (`>`), which YAML
    /// folds into one line by joining the lines with single spaces: each source line's (line,
    /// col, length in chars), so that a column of the folded value maps back to its line.
    /// Empty otherwise.
    pub folded: Vec<(usize, usize, usize)>,
}

/// A node of the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    line: usize,
    col: usize,
    indent: usize,
    literal_block: bool,
    folded: Vec<(usize, usize, usize)>,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Entries: key, key position (line, col), value.
    Map(Vec<(String, (usize, usize), Node)>),
    Seq(Vec<Node>),
    Scalar,
}

/// One segment of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathSeg {
    Key(String),
    Index(usize),
}

/// The outline of one YAML file, built once and queried many times.
#[derive(Debug, Clone)]
pub struct Outline {
    root: Option<Node>,
}

impl Outline {
    /// Scans `text`. Never fails; an unreadable shape gives a smaller outline.
    pub fn new(text: &str) -> Outline {
        let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        let scanner = Scanner {
            lines: &lines,
            depth: std::cell::Cell::new(0),
        };
        let root = scanner
            .next_significant(0)
            .map(|first| scanner.parse_at(first, indent_of(&lines[first])).0);
        Outline { root }
    }

    /// Position of the value at `path` (`steps[2].cleanup[0].body`, `options.ignore[1]`).
    /// Falls back to the nearest enclosing value (or 1:1) with `exact: false`.
    pub fn value(&self, path: &str) -> Located {
        let (node, exact) = self.walk(path);
        match node {
            Some(node) => Located {
                line: node.line,
                col: node.col,
                indent: node.indent,
                literal_block: node.literal_block,
                exact,
                folded: if exact {
                    node.folded.clone()
                } else {
                    Vec::new()
                },
            },
            None => Located {
                line: 1,
                col: 1,
                indent: 0,
                literal_block: false,
                exact: false,
                folded: Vec::new(),
            },
        }
    }

    /// Position of the key of the last segment of `path` (`steps[0].headers`); for an index
    /// segment, the item's value. Falls back like [`Outline::value`].
    pub fn key(&self, path: &str) -> Located {
        let segs = parse_path(path);
        if let Some((PathSeg::Key(last), parent)) = segs.split_last().map(|(l, p)| (l.clone(), p)) {
            let (node, exact) = self.walk_segs(parent);
            if let Some(node) = node {
                if let Kind::Map(entries) = &node.kind {
                    if let Some((_, (line, col), _)) = entries.iter().find(|(k, _, _)| *k == last) {
                        return Located {
                            line: *line,
                            col: *col,
                            indent: col - 1,
                            literal_block: false,
                            exact,
                            folded: Vec::new(),
                        };
                    }
                }
                return Located {
                    line: node.line,
                    col: node.col,
                    indent: node.indent,
                    literal_block: node.literal_block,
                    exact: false,
                    folded: Vec::new(),
                };
            }
        }
        self.value(path)
    }

    /// Keys of the mapping at `path`, in file order, with their positions.
    pub fn keys(&self, path: &str) -> Vec<(String, usize, usize)> {
        match self.walk(path) {
            (Some(node), true) => match &node.kind {
                Kind::Map(entries) => entries
                    .iter()
                    .map(|(k, (line, col), _)| (k.clone(), *line, *col))
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Number of items of the sequence at `path` (0 when it is not a sequence).
    pub fn len(&self, path: &str) -> usize {
        match self.walk(path) {
            (Some(node), true) => match &node.kind {
                Kind::Seq(items) => items.len(),
                _ => 0,
            },
            _ => 0,
        }
    }

    fn walk(&self, path: &str) -> (Option<&Node>, bool) {
        self.walk_segs(&parse_path(path))
    }

    fn walk_segs(&self, segs: &[PathSeg]) -> (Option<&Node>, bool) {
        let Some(mut node) = self.root.as_ref() else {
            return (None, false);
        };
        for seg in segs {
            let next = match (seg, &node.kind) {
                (PathSeg::Key(key), Kind::Map(entries)) => {
                    entries.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v)
                }
                (PathSeg::Index(i), Kind::Seq(items)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return (Some(node), false),
            }
        }
        (Some(node), true)
    }
}

/// `steps[2].cleanup[0].body` -> [Key(steps), Index(2), Key(cleanup), Index(0), Key(body)].
fn parse_path(path: &str) -> Vec<PathSeg> {
    let mut segs = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            segs.push(PathSeg::Key(key.to_string()));
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                segs.push(PathSeg::Index(i));
            }
        }
    }
    segs
}

fn indent_of(line: &[char]) -> usize {
    line.iter().take_while(|c| **c == ' ').count()
}

fn is_blank_or_comment(line: &[char]) -> bool {
    let rest: String = line.iter().skip_while(|c| c.is_whitespace()).collect();
    rest.is_empty() || rest.starts_with('#') || rest == "---" || rest.starts_with("--- ")
}

/// Deepest nesting the outline follows; deeper values are treated as scalars (the YAML backend
/// refuses such files anyway, and a hostile file must not overflow the stack).
const MAX_DEPTH: usize = 64;

struct Scanner<'a> {
    lines: &'a [Vec<char>],
    depth: std::cell::Cell<usize>,
}

impl Scanner<'_> {
    /// Index of the first line at or after `from` that holds content.
    fn next_significant(&self, from: usize) -> Option<usize> {
        (from..self.lines.len()).find(|&i| !is_blank_or_comment(&self.lines[i]))
    }

    /// Parses the node whose text starts on line `li` at 0-based column `col`. Returns the node
    /// and the index of the first line after it.
    fn parse_at(&self, li: usize, col: usize) -> (Node, usize) {
        if self.depth.get() >= MAX_DEPTH {
            return (scalar(li + 1, col + 1), li + 1);
        }
        self.depth.set(self.depth.get() + 1);
        let parsed = self.parse_at_depth(li, col);
        self.depth.set(self.depth.get() - 1);
        parsed
    }

    fn parse_at_depth(&self, li: usize, col: usize) -> (Node, usize) {
        let line = &self.lines[li];
        let rest = &line[col.min(line.len())..];
        if rest.first() == Some(&'-') && (rest.len() == 1 || rest[1] == ' ') {
            return self.parse_seq(li, col);
        }
        if key_split(rest).is_some() {
            return self.parse_map(li, col);
        }
        self.parse_value(li, col, col.saturating_sub(1).min(col))
    }

    fn parse_seq(&self, first: usize, col: usize) -> (Node, usize) {
        let mut items = Vec::new();
        let mut li = first;
        loop {
            let line = &self.lines[li];
            let after_dash = col + 1;
            let content = (after_dash..line.len()).find(|&c| line[c] != ' ');
            let (item, next) = match content {
                Some(c) if line[c] != '#' => self.parse_at(li, c),
                _ => match self.next_significant(li + 1) {
                    Some(n) if indent_of(&self.lines[n]) > col => {
                        self.parse_at(n, indent_of(&self.lines[n]))
                    }
                    _ => (scalar(li, col + 1), li + 1),
                },
            };
            items.push(item);
            match self.next_significant(next) {
                Some(n)
                    if indent_of(&self.lines[n]) == col
                        && self.lines[n].get(col) == Some(&'-')
                        && matches!(self.lines[n].get(col + 1), None | Some(' ')) =>
                {
                    li = n
                }
                _ => {
                    return (
                        Node {
                            line: first + 1,
                            col: col + 1,
                            indent: col,
                            literal_block: false,
                            folded: Vec::new(),
                            kind: Kind::Seq(items),
                        },
                        next,
                    );
                }
            }
        }
    }

    fn parse_map(&self, first: usize, col: usize) -> (Node, usize) {
        let mut entries = Vec::new();
        let mut li = first;
        loop {
            let line = &self.lines[li];
            let rest = &line[col.min(line.len())..];
            let Some((key, value_offset)) = key_split(rest) else {
                break;
            };
            let key_pos = (li + 1, col + 1);
            let value_col = col + value_offset;
            let value_start = (value_col..line.len()).find(|&c| line[c] != ' ');
            let (value, next) = match value_start {
                Some(c) if line[c] != '#' => self.parse_value(li, c, col),
                _ => match self.next_significant(li + 1) {
                    Some(n) if indent_of(&self.lines[n]) > col => {
                        self.parse_at(n, indent_of(&self.lines[n]))
                    }
                    Some(n)
                        if indent_of(&self.lines[n]) == col
                            && self.lines[n].get(col) == Some(&'-') =>
                    {
                        self.parse_seq(n, col)
                    }
                    _ => (scalar(li + 1, value_col + 1), li + 1),
                },
            };
            entries.push((key, key_pos, value));
            match self.next_significant(next) {
                Some(n) if indent_of(&self.lines[n]) == col => {
                    let rest = &self.lines[n][col..];
                    if key_split(rest).is_none() {
                        return (self.map_node(first, col, entries), next);
                    }
                    li = n;
                }
                _ => return (self.map_node(first, col, entries), next),
            }
        }
        (self.map_node(first, col, entries), li + 1)
    }

    fn map_node(
        &self,
        first: usize,
        col: usize,
        entries: Vec<(String, (usize, usize), Node)>,
    ) -> Node {
        Node {
            line: first + 1,
            col: col + 1,
            indent: col,
            literal_block: false,
            folded: Vec::new(),
            kind: Kind::Map(entries),
        }
    }

    /// A value starting at column `c` of line `li`, inside a block whose indentation is
    /// `parent_indent` (continuation lines are those indented more).
    fn parse_value(&self, li: usize, c: usize, parent_indent: usize) -> (Node, usize) {
        let line = &self.lines[li];
        let first = line.get(c).copied().unwrap_or(' ');
        let continuation_end = |from: usize| {
            let mut n = from;
            while n < self.lines.len()
                && (self.lines[n].iter().all(|ch| *ch == ' ')
                    || indent_of(&self.lines[n]) > parent_indent)
            {
                n += 1;
            }
            n
        };
        match first {
            '|' | '>' => {
                let end = continuation_end(li + 1);
                let explicit: Option<usize> = line[c + 1..]
                    .iter()
                    .find(|ch| ch.is_ascii_digit())
                    .and_then(|d| d.to_digit(10))
                    .map(|d| parent_indent + d as usize);
                let content_indent = explicit.unwrap_or_else(|| {
                    (li + 1..end)
                        .find(|&n| self.lines[n].iter().any(|ch| *ch != ' '))
                        .map(|n| indent_of(&self.lines[n]))
                        .unwrap_or(parent_indent + 2)
                });
                let folded = if first == '>' {
                    self.folded_block_lines(li + 1, end, content_indent)
                } else {
                    Vec::new()
                };
                (
                    Node {
                        line: li + 2,
                        col: content_indent + 1,
                        indent: content_indent,
                        literal_block: first == '|',
                        folded,
                        kind: Kind::Scalar,
                    },
                    end,
                )
            }
            '"' | '\'' => (
                Node {
                    line: li + 1,
                    col: c + 2,
                    indent: c + 1,
                    literal_block: false,
                    folded: Vec::new(),
                    kind: Kind::Scalar,
                },
                continuation_end(li + 1),
            ),
            '{' | '[' => {
                let (node, _) = parse_flow(line, c, li + 1, 0);
                (node, continuation_end(li + 1))
            }
            _ => {
                let end = continuation_end(li + 1);
                let mut node = scalar(li + 1, c + 1);
                node.folded = self.plain_lines(li, c, end);
                (node, end)
            }
        }
    }

    /// The lines of a folded block scalar (`>`) from line `from` to `end` (exclusive) when
    /// YAML joins them all with single spaces: every line at the content indentation, no blank
    /// line between them. Empty otherwise (positions then fall back to the first line).
    fn folded_block_lines(
        &self,
        from: usize,
        end: usize,
        indent: usize,
    ) -> Vec<(usize, usize, usize)> {
        let Some(last) = (from..end)
            .rev()
            .find(|&n| self.lines[n].iter().any(|ch| *ch != ' '))
        else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        for n in from..=last {
            let line = &self.lines[n];
            if indent_of(line) != indent || line.len() == indent {
                return Vec::new();
            }
            lines.push((n + 1, indent + 1, line.len() - indent));
        }
        if lines.len() < 2 { Vec::new() } else { lines }
    }

    /// The source lines of a plain scalar starting at column `c` of line `li` and continuing
    /// up to line `end` (exclusive): (line, col, length) each, when it spans several lines
    /// without blank lines in between (which YAML would keep as line breaks). Empty otherwise.
    fn plain_lines(&self, li: usize, c: usize, end: usize) -> Vec<(usize, usize, usize)> {
        let content_len = |chars: &[char]| {
            let text: String = chars.iter().collect();
            let text = match text.find(" #") {
                Some(i) => &text[..i],
                None => &text[..],
            };
            text.trim_end().chars().count()
        };
        let line = &self.lines[li];
        let mut lines = vec![(li + 1, c + 1, content_len(&line[c.min(line.len())..]))];
        let last = (li + 1..end)
            .rev()
            .find(|&n| self.lines[n].iter().any(|ch| *ch != ' '));
        let Some(last) = last else {
            return Vec::new();
        };
        for n in li + 1..=last {
            let next = &self.lines[n];
            if next.iter().all(|ch| *ch == ' ') {
                return Vec::new();
            }
            let indent = indent_of(next);
            lines.push((n + 1, indent + 1, content_len(&next[indent..])));
        }
        lines
    }
}

fn scalar(line: usize, col: usize) -> Node {
    Node {
        line,
        col,
        indent: col.saturating_sub(1),
        literal_block: false,
        folded: Vec::new(),
        kind: Kind::Scalar,
    }
}

/// If `rest` starts with `key:` (followed by a space or the end of the line), returns the key
/// and the offset just after the colon.
fn key_split(rest: &[char]) -> Option<(String, usize)> {
    let first = *rest.first()?;
    if matches!(
        first,
        '-' | '#' | '{' | '[' | '|' | '>' | '&' | '*' | '!' | '%' | '@' | '`'
    ) && !(first == '-' && rest.get(1).is_some_and(|c| *c != ' '))
    {
        return None;
    }
    if first == '"' || first == '\'' {
        let close = rest.iter().skip(1).position(|c| *c == first)? + 1;
        if rest.get(close + 1) == Some(&':') && matches!(rest.get(close + 2), None | Some(' ')) {
            return Some((rest[1..close].iter().collect(), close + 2));
        }
        return None;
    }
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == ':' && matches!(rest.get(i + 1), None | Some(' ')) {
            let key: String = rest[..i].iter().collect();
            return Some((key.trim_end().to_string(), i + 1));
        }
        if rest[i] == ' ' && rest.get(i + 1) == Some(&'#') {
            return None;
        }
        i += 1;
    }
    None
}

/// Parses a one-line flow collection starting at column `c` (0-based) of `line` (`line_no` is
/// 1-based). Returns the node and the column after it.
fn parse_flow(line: &[char], c: usize, line_no: usize, depth: usize) -> (Node, usize) {
    if depth >= MAX_DEPTH {
        return (scalar(line_no, c + 1), line.len());
    }
    let open = line[c];
    let close = if open == '{' { '}' } else { ']' };
    let mut i = c + 1;
    let mut entries = Vec::new();
    let mut items = Vec::new();
    let skip_spaces = |mut i: usize| {
        while i < line.len() && line[i] == ' ' {
            i += 1;
        }
        i
    };
    loop {
        i = skip_spaces(i);
        if i >= line.len() || line[i] == close {
            break;
        }
        if open == '{' {
            // key
            let key_start = i;
            let (key, after_key) = read_flow_scalar(line, i, true);
            i = skip_spaces(after_key);
            if line.get(i) == Some(&':') {
                i = skip_spaces(i + 1);
            }
            let (value, after) = flow_value(line, i, line_no, depth);
            entries.push((key, (line_no, key_start + 1), value));
            i = after;
        } else {
            let (value, after) = flow_value(line, i, line_no, depth);
            items.push(value);
            i = after;
        }
        i = skip_spaces(i);
        if line.get(i) == Some(&',') {
            i += 1;
        } else {
            break;
        }
    }
    let kind = if open == '{' {
        Kind::Map(entries)
    } else {
        Kind::Seq(items)
    };
    let end = line[i.min(line.len())..]
        .iter()
        .position(|ch| *ch == close)
        .map(|p| i + p + 1)
        .unwrap_or(line.len());
    (
        Node {
            line: line_no,
            col: c + 1,
            indent: c,
            literal_block: false,
            folded: Vec::new(),
            kind,
        },
        end,
    )
}

fn flow_value(line: &[char], i: usize, line_no: usize, depth: usize) -> (Node, usize) {
    match line.get(i) {
        Some('{') | Some('[') => parse_flow(line, i, line_no, depth + 1),
        Some('"') | Some('\'') => {
            let (_, after) = read_flow_scalar(line, i, false);
            (scalar(line_no, i + 2), after)
        }
        _ => {
            let (_, after) = read_flow_scalar(line, i, false);
            (scalar(line_no, i + 1), after)
        }
    }
}

/// Reads a scalar inside a flow collection; returns its text and the column after it.
fn read_flow_scalar(line: &[char], i: usize, is_key: bool) -> (String, usize) {
    match line.get(i) {
        Some(&q) if q == '"' || q == '\'' => {
            let mut j = i + 1;
            while j < line.len() && line[j] != q {
                if q == '"' && line[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            let text: String = line[i + 1..j.min(line.len())].iter().collect();
            (text, (j + 1).min(line.len()))
        }
        _ => {
            let mut j = i;
            while j < line.len() {
                let ch = line[j];
                if ch == ',' || ch == '}' || ch == ']' {
                    break;
                }
                if is_key && ch == ':' && matches!(line.get(j + 1), None | Some(' ')) {
                    break;
                }
                j += 1;
            }
            let text: String = line[i..j].iter().collect();
            (text.trim_end().to_string(), j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = "\
# a comment
title: T
since: Exchange2013
tags: [im, flow]
options:
  ignore: [\"//t:CreationTime\", //t:X]
  subset: true
steps:
  - name: first
    body: <m:A/>
    fault: { code: t:X, response_code: ErrorX }
    expect: |
      <m:AResponse>
        <m:ResponseCode>NoError</m:ResponseCode>
      </m:AResponse>
    capture:
      id: //t:Id/@Id
    cleanup:
      - body: \"<m:B/>\"
  -
    name: second
    raw: >
      folded
      text
cleanup:
- body: <m:C/>
";

    fn at(o: &Outline, path: &str) -> (usize, usize, bool) {
        let l = o.value(path);
        (l.line, l.col, l.exact)
    }

    #[test]
    fn locates_block_values() {
        let o = Outline::new(CASE);
        assert_eq!(at(&o, "title"), (2, 8, true));
        assert_eq!(at(&o, "steps[0].name"), (9, 11, true));
        assert_eq!(at(&o, "steps[0].body"), (10, 11, true));
        assert_eq!(at(&o, "steps[0].capture.id"), (17, 11, true));
        assert_eq!(at(&o, "steps[0].cleanup[0].body"), (19, 16, true));
        assert_eq!(at(&o, "steps[1].name"), (21, 11, true));
        assert_eq!(at(&o, "cleanup[0].body"), (26, 9, true));
    }

    #[test]
    fn locates_block_scalars_with_their_indent() {
        let o = Outline::new(CASE);
        let l = o.value("steps[0].expect");
        assert_eq!((l.line, l.col, l.indent, l.literal_block), (13, 7, 6, true));
        let l = o.value("steps[1].raw");
        assert_eq!((l.line, l.col, l.literal_block), (23, 7, false));
    }

    #[test]
    fn maps_folded_plain_scalars_line_by_line() {
        let text = "steps:\n  - body: <a>{{x}}</a>\n      <b/>  # note\n\n      <c/>\n";
        let o = Outline::new(text);
        // A blank line inside keeps a line break: no folding map.
        assert!(o.value("steps[0].body").folded.is_empty());
        let text = "steps:\n  - body: <a>{{x}}</a>\n      <b/>  # note\n  - body: y\n";
        let o = Outline::new(text);
        assert_eq!(
            o.value("steps[0].body").folded,
            vec![(2, 11, 12), (3, 7, 4)]
        );
    }

    #[test]
    fn maps_folded_block_scalars_line_by_line() {
        let text = "body: >\n  <a>\n  <b/>\n  </a>\nnext: 1\n";
        let o = Outline::new(text);
        let l = o.value("body");
        assert_eq!((l.line, l.col, l.literal_block), (2, 3, false));
        assert_eq!(l.folded, vec![(2, 3, 3), (3, 3, 4), (4, 3, 4)]);
        // More-indented lines keep their line breaks: no folding map.
        let o = Outline::new("body: >\n  <a>\n    <b/>\n  </a>\n");
        assert!(o.value("body").folded.is_empty());
    }

    #[test]
    fn locates_flow_collections() {
        let o = Outline::new(CASE);
        assert_eq!(at(&o, "tags[1]"), (4, 12, true));
        assert_eq!(at(&o, "options.ignore[0]"), (6, 13, true));
        assert_eq!(at(&o, "options.ignore[1]"), (6, 32, true));
        assert_eq!(at(&o, "steps[0].fault.response_code"), (11, 40, true));
        assert_eq!(o.key("steps[0].fault.response_code").col, 25);
    }

    #[test]
    fn keys_and_fallbacks() {
        let o = Outline::new(CASE);
        let k = o.key("steps[0].capture");
        assert_eq!((k.line, k.col, k.exact), (16, 5, true));
        // A missing key falls back to the enclosing mapping.
        assert_eq!(at(&o, "steps[0].nothing"), (9, 5, false));
        assert_eq!(at(&o, "steps[7].body"), (9, 3, false));
        let names: Vec<String> = o.keys("steps[0]").into_iter().map(|k| k.0).collect();
        assert_eq!(
            names,
            ["name", "body", "fault", "expect", "capture", "cleanup"]
        );
    }

    #[test]
    fn never_panics_on_odd_text() {
        for text in [
            "",
            "-",
            ":",
            "a:",
            "- - -",
            "{",
            "[",
            "a: {b: [c, {d: \"e",
            "a: |",
            "  x\n y:\n- z",
            "\"k\": v\n'k2': |\n  x",
            "a:\n  - b:\n    c: d\n  -\n",
        ] {
            let o = Outline::new(text);
            let _ = o.value("a.b[0].c");
            let _ = o.key("k2");
            let _ = o.keys("a");
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let dashes = "- ".repeat(100_000);
        let brackets = format!("a: {}", "[".repeat(100_000));
        let indented: String = (0..5_000)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        for text in [dashes, brackets, indented] {
            let o = Outline::new(&text);
            let _ = o.value("a[0][0]");
        }
    }
}
