//! Comparison of an expectation (which may hold matchers) with an actual document.
//!
//! Walks both trees together. Children are aligned by an LCS of their names (so one inserted
//! or missing element is one mismatch, not a cascade), elements that moved are reported once
//! as `Order`, and children of `unordered` paths are paired as a multiset. Every mismatch is
//! recorded (expected-document order) with its path on both sides; the paths are only built
//! when a mismatch is recorded.
//!
//! The same walk can also assemble the "expected as it should print" view used by the diff
//! ([`PNode`]): subtrees that compare equal are the actual subtree (so matched matchers,
//! ignored parts and tolerated extras print identically on both sides).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp};

use super::matcher::{self, RegexCache};
use super::path::{Selection, text_of};
use super::pretty::{PChild, PNode, Skip, addr};
use super::{
    CompareOptions, Comparison, Document, Element, Matcher, Mismatch, MismatchKind, Node, QName,
    TextPos,
};

/// Longest value quoted in a message.
const QUOTE_MAX: usize = 120;
/// How long aligning one list of children may take before a coarser alignment is accepted.
const ALIGN_TIMEOUT: Duration = Duration::from_millis(500);
/// Candidates tried when looking for the most similar partner of an unordered child.
const SIMILAR_CANDIDATES: usize = 32;

pub(crate) fn compare(
    expected: &Document,
    actual: &Document,
    opts: &CompareOptions,
    earlier: &BTreeMap<String, String>,
) -> Comparison {
    let mut engine = Engine::new(expected, actual, opts, false, earlier);
    engine.run();
    engine.finish()
}

/// Where a mismatch's path ends, relative to the current element of a side.
#[derive(Clone, Copy)]
enum Tail<'d> {
    Here,
    Child(&'d Element),
    Attr(&'d QName),
}

pub(crate) struct Engine<'d> {
    expected: &'d Document,
    actual: &'d Document,
    subset: bool,
    cache: RegexCache,
    /// Ignored elements and attributes of both documents (addresses are distinct).
    pub(crate) skip: Skip,
    unordered: HashSet<usize>,
    mismatches: Vec<Mismatch>,
    bound: BTreeMap<String, String>,
    /// Values of earlier steps (`{{differs NAME}}` compares against them).
    earlier: &'d BTreeMap<String, String>,
    /// Chains from the root to the current element, per side.
    chain_e: Vec<&'d Element>,
    chain_a: Vec<&'d Element>,
    /// Dry runs count mismatches (up to `dry_limit`) and record nothing.
    dry: bool,
    dry_count: usize,
    dry_limit: usize,
    /// Assemble the diff view while comparing.
    build: bool,
    /// Expected' children of the elements being compared (build mode), innermost last.
    scratch: Vec<PNode<'d>>,
}

impl<'d> Engine<'d> {
    pub(crate) fn new(
        expected: &'d Document,
        actual: &'d Document,
        opts: &CompareOptions,
        build: bool,
        earlier: &'d BTreeMap<String, String>,
    ) -> Self {
        let mut skip = Skip::default();
        for path in &opts.ignore {
            for doc in [expected, actual] {
                for sel in path.select(doc) {
                    match sel {
                        Selection::Element(e) => {
                            skip.elements.insert(addr(e));
                        }
                        Selection::Attr(e, i, _) => {
                            skip.attrs.insert((addr(e), i));
                        }
                    }
                }
            }
        }
        let mut unordered = HashSet::new();
        for path in &opts.unordered {
            for doc in [expected, actual] {
                for sel in path.select(doc) {
                    if let Selection::Element(e) = sel {
                        unordered.insert(addr(e));
                    }
                }
            }
        }
        Engine {
            expected,
            actual,
            subset: opts.subset,
            cache: RegexCache::default(),
            skip,
            unordered,
            mismatches: Vec::new(),
            bound: BTreeMap::new(),
            earlier,
            chain_e: Vec::new(),
            chain_a: Vec::new(),
            dry: false,
            dry_count: 0,
            dry_limit: 0,
            build,
            scratch: Vec::new(),
        }
    }

    /// Compares the two roots; returns the diff view when building.
    pub(crate) fn run(&mut self) -> Option<PNode<'d>> {
        let (e, a) = (&self.expected.root, &self.actual.root);
        if self.skip.element(e) || self.skip.element(a) {
            return self.build.then_some(PNode::Shared(a));
        }
        self.chain_e.push(e);
        self.chain_a.push(a);
        let node = if e.name == a.name {
            self.element(e, a)
        } else {
            self.name_mismatch(e, a, Tail::Here, Tail::Here);
            self.build.then_some(PNode::Elem(e))
        };
        self.chain_e.pop();
        self.chain_a.pop();
        node
    }

    pub(crate) fn finish(self) -> Comparison {
        Comparison {
            mismatches: self.mismatches,
            bound: self.bound,
        }
    }

    pub(crate) fn mismatch_count(&self) -> usize {
        self.mismatches.len()
    }

    fn count(&self) -> usize {
        if self.dry {
            self.dry_count
        } else {
            self.mismatches.len()
        }
    }

    fn stopped(&self) -> bool {
        self.dry && self.dry_count >= self.dry_limit
    }

    /// Records a mismatch. `what` builds (expected, actual, message) only when recording.
    fn report(
        &mut self,
        kind: MismatchKind,
        tail_e: Tail<'d>,
        tail_a: Tail<'d>,
        pos: Option<TextPos>,
        what: impl FnOnce() -> (Option<String>, Option<String>, String),
    ) {
        if self.dry {
            self.dry_count += 1;
            return;
        }
        let (expected, actual, message) = what();
        self.mismatches.push(Mismatch {
            kind,
            expected_path: path_of(&self.chain_e, tail_e),
            actual_path: path_of(&self.chain_a, tail_a),
            expected,
            actual,
            expected_pos: pos,
            message,
        });
    }

    fn name_mismatch(
        &mut self,
        e: &'d Element,
        a: &'d Element,
        tail_e: Tail<'d>,
        tail_a: Tail<'d>,
    ) {
        self.report(
            MismatchKind::ElementName,
            tail_e,
            tail_a,
            Some(e.pos),
            || {
                let message = if e.name.local == a.name.local {
                    format!(
                        "element `{}`: expected namespace {}, found {}",
                        e.name.local,
                        ns_label(&e.name),
                        ns_label(&a.name)
                    )
                } else {
                    format!("expected element `{}`, found `{}`", e.name, a.name)
                };
                (Some(e.name.clark()), Some(a.name.clark()), message)
            },
        );
    }

    /// Compares two elements with the same name (already on the chains).
    fn element(&mut self, e: &'d Element, a: &'d Element) -> Option<PNode<'d>> {
        // `{{ignore}}` as the only content: the element exists, nothing else is compared.
        if let [Node::Text(t)] = e.children.as_slice() {
            if matcher::token(t).is_some_and(|x| self.cache.matcher(x) == Ok(Matcher::Ignore)) {
                return self.build.then_some(PNode::Shared(a));
            }
        }
        let before = self.count();
        let attrs = self.attributes(e, a);
        if self.stopped() {
            return None;
        }
        let text = self.text(e, a);
        if self.stopped() {
            return None;
        }
        let mark = self.scratch.len();
        self.children(e, a);
        if !self.build {
            self.scratch.truncate(mark);
            return None;
        }
        if self.count() == before {
            self.scratch.truncate(mark);
            return Some(PNode::Shared(a));
        }
        let children = self.scratch.len().saturating_sub(mark);
        let mut built = Vec::with_capacity(children + 1);
        if let Some(t) = text {
            built.push(PChild::Text(t));
        }
        built.extend(self.scratch.drain(mark..).map(PChild::Node));
        Some(PNode::Built {
            name: &e.name,
            attrs,
            children: built,
        })
    }

    /// Compares attributes (both lists are sorted by name); returns expected' attributes.
    fn attributes(&mut self, e: &'d Element, a: &'d Element) -> Vec<(&'d QName, Cow<'d, str>)> {
        let mut out = Vec::new();
        if e.attrs.is_empty() && a.attrs.is_empty() {
            return out;
        }
        let skip = |el: &Element, mut k: usize, s: &Skip| {
            while k < el.attrs.len() && s.attr(el, k) {
                k += 1;
            }
            k
        };
        let (mut i, mut j) = (skip(e, 0, &self.skip), skip(a, 0, &self.skip));
        while i < e.attrs.len() || j < a.attrs.len() {
            if self.stopped() {
                break;
            }
            let order = match (e.attrs.get(i), a.attrs.get(j)) {
                (Some(x), Some(y)) => x.name.cmp(&y.name),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            match order {
                std::cmp::Ordering::Equal => {
                    let (x, y) = (&e.attrs[i], &a.attrs[j]);
                    let matched = self.value(
                        &x.value,
                        &y.value,
                        x.pos,
                        Tail::Attr(&x.name),
                        Tail::Attr(&y.name),
                        MismatchKind::AttributeValue,
                    );
                    if self.build {
                        let shown = if matched { &y.value } else { &x.value };
                        out.push((&x.name, Cow::Borrowed(shown.as_str())));
                    }
                    i = skip(e, i + 1, &self.skip);
                    j = skip(a, j + 1, &self.skip);
                }
                std::cmp::Ordering::Less => {
                    let x = &e.attrs[i];
                    let ignored = matcher::token(&x.value)
                        .is_some_and(|t| self.cache.matcher(t) == Ok(Matcher::Ignore));
                    if !ignored {
                        self.report(
                            MismatchKind::MissingAttribute,
                            Tail::Attr(&x.name),
                            Tail::Here,
                            Some(x.pos),
                            || {
                                (
                                    Some(x.value.clone()),
                                    None,
                                    format!("attribute `{}` missing", x.name),
                                )
                            },
                        );
                        if self.build {
                            out.push((&x.name, Cow::Borrowed(x.value.as_str())));
                        }
                    }
                    i = skip(e, i + 1, &self.skip);
                }
                std::cmp::Ordering::Greater => {
                    let y = &a.attrs[j];
                    if self.subset {
                        if self.build {
                            out.push((&y.name, Cow::Borrowed(y.value.as_str())));
                        }
                    } else {
                        self.report(
                            MismatchKind::UnexpectedAttribute,
                            Tail::Here,
                            Tail::Attr(&y.name),
                            Some(e.pos),
                            || {
                                (
                                    None,
                                    Some(y.value.clone()),
                                    format!(
                                        "unexpected attribute `{}`=\"{}\"",
                                        y.name,
                                        quote(&y.value)
                                    ),
                                )
                            },
                        );
                    }
                    j = skip(a, j + 1, &self.skip);
                }
            }
        }
        out
    }

    /// Compares the direct text of two elements; returns expected' text (None = no text).
    fn text(&mut self, e: &'d Element, a: &'d Element) -> Option<Cow<'d, str>> {
        let et = direct_text(e);
        let at = direct_text(a);
        if et.is_empty() && at.is_empty() {
            return None;
        }
        let matched = self.value(&et, &at, e.pos, Tail::Here, Tail::Here, MismatchKind::Text);
        let shown = if matched { at } else { et };
        (!shown.is_empty()).then_some(shown)
    }

    /// Compares one expected value (maybe a matcher) with an actual value; true when it matched.
    fn value(
        &mut self,
        expected: &str,
        actual: &str,
        pos: TextPos,
        tail_e: Tail<'d>,
        tail_a: Tail<'d>,
        kind: MismatchKind,
    ) -> bool {
        // A value equal to the expectation's text matches, even if that text is a token.
        if expected == actual {
            return true;
        }
        let Some(expr) = matcher::token(expected) else {
            self.report(kind, tail_e, tail_a, Some(pos), || {
                let message = match (expected.is_empty(), actual.is_empty()) {
                    (true, _) => format!("expected no text, found `{}`", show(actual)),
                    (_, true) => format!("expected `{}`, found no text", show(expected)),
                    _ => {
                        let what = match tail_e {
                            Tail::Attr(q) => format!("attribute `{q}`: "),
                            _ => String::new(),
                        };
                        format!(
                            "{what}expected `{}`, found `{}`",
                            show(expected),
                            show(actual)
                        )
                    }
                };
                (
                    Some(expected.to_string()),
                    Some(actual.to_string()),
                    message,
                )
            });
            return false;
        };
        let m = match self.cache.matcher(expr) {
            Ok(m) => m,
            Err(why) => {
                self.report(MismatchKind::Matcher, tail_e, tail_a, Some(pos), || {
                    (
                        Some(matcher::describe(expr)),
                        Some(actual.to_string()),
                        format!("invalid matcher {}: {why}", matcher::describe(expr)),
                    )
                });
                return false;
            }
        };
        if !self.cache.check(&m, actual) {
            self.report(MismatchKind::Matcher, tail_e, tail_a, Some(pos), || {
                (
                    Some(matcher::describe(expr)),
                    Some(actual.to_string()),
                    format!(
                        "`{}` does not match {}",
                        quote(actual),
                        matcher::describe(expr)
                    ),
                )
            });
            return false;
        }
        let differs = match &m {
            Matcher::Differs { name, .. } => Some(name),
            Matcher::Bind { check: Some(c), .. } => match &**c {
                Matcher::Differs { name, .. } => Some(name),
                _ => None,
            },
            _ => None,
        };
        if let Some(name) = differs {
            let old = self
                .bound
                .get(name)
                .or_else(|| self.earlier.get(name))
                .cloned();
            let problem = match &old {
                None => Some(format!(
                    "{}: there is no earlier value `{name}` (bind or capture it in an earlier step)",
                    matcher::describe(expr)
                )),
                Some(old) if old == actual => Some(format!(
                    "`{}` is unchanged: {} requires a value different from `{name}`",
                    quote(actual),
                    matcher::describe(expr)
                )),
                Some(_) => None,
            };
            if let Some(message) = problem {
                self.report(MismatchKind::Matcher, tail_e, tail_a, Some(pos), || {
                    (
                        Some(format!("a value other than `{}`", old.unwrap_or_default())),
                        Some(actual.to_string()),
                        message,
                    )
                });
                return false;
            }
        }
        if let Matcher::Bind { name, .. } = &m {
            match self.bound.get(name) {
                Some(previous) if previous != actual => {
                    let previous = previous.clone();
                    self.report(MismatchKind::Matcher, tail_e, tail_a, Some(pos), || {
                        (
                            Some(previous.clone()),
                            Some(actual.to_string()),
                            format!(
                                "{} is `{}` here but was bound to `{}` before",
                                matcher::describe(expr),
                                quote(actual),
                                quote(&previous)
                            ),
                        )
                    });
                    return false;
                }
                Some(_) => {}
                None => {
                    if !self.dry {
                        self.bound.insert(name.clone(), actual.to_string());
                    }
                }
            }
        }
        true
    }

    fn visible_children(&self, el: &'d Element) -> Vec<&'d Element> {
        el.children
            .iter()
            .filter_map(|c| match c {
                Node::Element(x) if !self.skip.element(x) => Some(x),
                _ => None,
            })
            .collect()
    }

    /// Compares the element children; returns expected' children.
    /// Compares the element children; expected' children go onto `self.scratch`.
    fn children(&mut self, e: &'d Element, a: &'d Element) {
        let unordered = !self.unordered.is_empty()
            && (self.unordered.contains(&addr(e)) || self.unordered.contains(&addr(a)));
        if !unordered {
            // Fast path without allocation: the same names in the same order, none ignored.
            let same = {
                let (mut x, mut y) = (elements(e), elements(a));
                loop {
                    match (x.next(), y.next()) {
                        (None, None) => break true,
                        (Some(p), Some(q))
                            if p.name == q.name
                                && !self.skip.element(p)
                                && !self.skip.element(q) => {}
                        _ => break false,
                    }
                }
            };
            if same {
                for (x, y) in elements(e).zip(elements(a)) {
                    if self.stopped() {
                        break;
                    }
                    if let Some(n) = self.pair(x, y) {
                        self.scratch.push(n);
                    }
                }
                return;
            }
        }
        let ek = self.visible_children(e);
        let ak = self.visible_children(a);
        if ek.is_empty() && ak.is_empty() {
            return;
        }
        let nodes = if unordered {
            self.children_unordered(&ek, &ak)
        } else {
            self.children_ordered(&ek, &ak)
        };
        self.scratch.extend(nodes);
    }

    /// Recurses into a pair of same-named children.
    fn pair(&mut self, x: &'d Element, y: &'d Element) -> Option<PNode<'d>> {
        self.chain_e.push(x);
        self.chain_a.push(y);
        let node = self.element(x, y);
        self.chain_e.pop();
        self.chain_a.pop();
        node
    }

    fn missing(&mut self, x: &'d Element) {
        self.report(
            MismatchKind::MissingElement,
            Tail::Child(x),
            Tail::Here,
            Some(x.pos),
            || (Some(x.name.clark()), None, missing_message(x)),
        );
    }

    fn unexpected(&mut self, y: &'d Element) {
        let parent_pos = self.chain_e.last().map(|p| p.pos);
        self.report(
            MismatchKind::UnexpectedElement,
            Tail::Here,
            Tail::Child(y),
            parent_pos,
            || {
                (
                    None,
                    Some(y.name.clark()),
                    format!("unexpected element `{}`", y.name),
                )
            },
        );
    }

    fn children_ordered(&mut self, ek: &[&'d Element], ak: &[&'d Element]) -> Vec<PNode<'d>> {
        let plan = align(ek, ak, self.subset);
        let mut out = Vec::new();
        for step in plan {
            if self.stopped() {
                break;
            }
            match step {
                Plan::Pair(i, j) => {
                    if let Some(n) = self.pair(ek[i], ak[j]) {
                        out.push(n);
                    }
                }
                Plan::Moved(i, j) => {
                    let (x, y) = (ek[i], ak[j]);
                    self.report(MismatchKind::Order, Tail::Child(x), Tail::Child(y), Some(x.pos), || {
                        (
                            Some(format!("#{}", i + 1)),
                            Some(format!("#{}", j + 1)),
                            format!(
                                "element `{}` out of order: expected as child #{} of its parent, found as #{}",
                                x.name,
                                i + 1,
                                j + 1
                            ),
                        )
                    });
                    if let Some(n) = self.pair(x, y) {
                        out.push(n);
                    }
                }
                Plan::Renamed(i, j) => {
                    self.name_mismatch(ek[i], ak[j], Tail::Child(ek[i]), Tail::Child(ak[j]));
                    out.push(PNode::Elem(ek[i]));
                }
                Plan::Missing(i) => {
                    self.missing(ek[i]);
                    out.push(PNode::Elem(ek[i]));
                }
                Plan::Extra(j) => {
                    if self.subset {
                        out.push(PNode::Shared(ak[j]));
                    } else {
                        self.unexpected(ak[j]);
                    }
                }
            }
        }
        out
    }

    /// A hash of everything the comparison looks at in `e` (ignored parts left out). `None`
    /// when equality is not plain equality there: an expected subtree holding a matcher
    /// token, or any subtree holding children compared as unordered.
    fn fingerprint(&self, e: &Element, expected: bool) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        self.fingerprint_into(e, expected, &mut h)?;
        e.name.hash(&mut h);
        Some(h.finish())
    }

    fn fingerprint_into(
        &self,
        e: &Element,
        expected: bool,
        h: &mut rustc_hash::FxHasher,
    ) -> Option<()> {
        use std::hash::Hash;
        if self.unordered.contains(&addr(e)) {
            return None;
        }
        e.name.hash(h);
        for (i, at) in e.attrs.iter().enumerate() {
            if self.skip.attr(e, i) {
                continue;
            }
            if expected && matcher::token(&at.value).is_some() {
                return None;
            }
            at.name.hash(h);
            at.value.hash(h);
        }
        let text = direct_text(e);
        if expected && matcher::token(&text).is_some() {
            return None;
        }
        text.hash(h);
        for c in elements(e) {
            if self.skip.element(c) {
                continue;
            }
            self.fingerprint_into(c, expected, h)?;
        }
        Some(())
    }

    /// Mismatches `x` and `y` would give, counting at most `limit`.
    fn dry_run(&mut self, x: &'d Element, y: &'d Element, limit: usize) -> usize {
        let saved = (self.dry, self.dry_count, self.dry_limit, self.build);
        self.dry = true;
        self.dry_count = 0;
        self.dry_limit = limit;
        self.build = false;
        self.pair(x, y);
        let n = self.dry_count;
        (self.dry, self.dry_count, self.dry_limit, self.build) = saved;
        n
    }

    fn children_unordered(&mut self, ek: &[&'d Element], ak: &[&'d Element]) -> Vec<PNode<'d>> {
        let mut used = vec![false; ak.len()];
        let mut partner: Vec<Option<usize>> = vec![None; ek.len()];
        // Pass 1: every expected child takes an unused actual child that compares equal.
        // Children without matchers are found by a structural fingerprint (linear time);
        // the others try their own position first, then every candidate.
        // (In subset mode an equal partner may carry extras, so every candidate is tried.)
        let mut by_print: HashMap<u64, Vec<usize>> = HashMap::new();
        if !self.subset {
            for (j, y) in ak.iter().enumerate().rev() {
                if let Some(fp) = self.fingerprint(y, false) {
                    by_print.entry(fp).or_default().push(j);
                }
            }
        }
        for (i, x) in ek.iter().enumerate() {
            let print = if self.subset {
                None
            } else {
                self.fingerprint(x, true)
            };
            if let Some(fp) = print {
                let candidates = by_print.get(&fp).cloned().unwrap_or_default();
                for &j in candidates.iter().rev() {
                    if !used[j] && self.dry_run(x, ak[j], 1) == 0 {
                        used[j] = true;
                        partner[i] = Some(j);
                        break;
                    }
                }
                continue;
            }
            let order = std::iter::once(i)
                .filter(|&j| j < ak.len())
                .chain((0..ak.len()).filter(move |&j| j != i));
            for j in order {
                if used[j] || ak[j].name != x.name {
                    continue;
                }
                if self.dry_run(x, ak[j], 1) == 0 {
                    used[j] = true;
                    partner[i] = Some(j);
                    break;
                }
            }
        }
        // Pass 2: the others take the most similar unused child of the same name.
        for (i, x) in ek.iter().enumerate() {
            if partner[i].is_some() {
                continue;
            }
            let mut best: Option<(usize, usize)> = None;
            let candidates = (0..ak.len())
                .filter(|&j| !used[j] && ak[j].name == x.name)
                .take(SIMILAR_CANDIDATES)
                .collect::<Vec<_>>();
            for j in candidates {
                let n = self.dry_run(x, ak[j], usize::MAX);
                if best.is_none_or(|(_, b)| n < b) {
                    best = Some((j, n));
                }
            }
            if let Some((j, _)) = best {
                used[j] = true;
                partner[i] = Some(j);
            }
        }
        // Report in expected order, extras last; expected' follows the actual order.
        let mut keyed: Vec<(usize, PNode<'d>)> = Vec::new();
        let mut anchor = 0;
        for (i, p) in partner.iter().enumerate() {
            if self.stopped() {
                return Vec::new();
            }
            match *p {
                Some(j) => {
                    anchor = 2 * j + 2;
                    if let Some(n) = self.pair(ek[i], ak[j]) {
                        keyed.push((2 * j + 1, n));
                    }
                }
                None => {
                    self.missing(ek[i]);
                    keyed.push((anchor, PNode::Elem(ek[i])));
                }
            }
        }
        for (j, y) in ak.iter().enumerate() {
            if used[j] {
                continue;
            }
            if self.subset {
                keyed.push((2 * j + 1, PNode::Shared(y)));
            } else {
                self.unexpected(y);
            }
        }
        keyed.sort_by_key(|(k, _)| *k);
        keyed.into_iter().map(|(_, n)| n).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Pair(usize, usize),
    Moved(usize, usize),
    Renamed(usize, usize),
    Missing(usize),
    Extra(usize),
}

/// Aligns two child lists by their names: LCS pairs, then elements that moved, then renames
/// within the same gap. Returns steps in expected order, extras where they occur.
fn align(ek: &[&Element], ak: &[&Element], subset: bool) -> Vec<Plan> {
    if ek.len() == ak.len() && ek.iter().zip(ak).all(|(x, y)| x.name == y.name) {
        return (0..ek.len()).map(|i| Plan::Pair(i, i)).collect();
    }
    let ekeys: Vec<&QName> = ek.iter().map(|x| &x.name).collect();
    let akeys: Vec<&QName> = ak.iter().map(|x| &x.name).collect();
    let deadline = Instant::now() + ALIGN_TIMEOUT;
    let ops =
        similar::capture_diff_slices_deadline(Algorithm::Myers, &ekeys, &akeys, Some(deadline));

    // Steps with the gap (run of non-equal ops) they belong to.
    let mut steps: Vec<(Plan, usize)> = Vec::new();
    let mut gap = 0;
    for op in &ops {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                gap += 1;
                steps.extend((0..len).map(|k| (Plan::Pair(old_index + k, new_index + k), gap)));
                gap += 1;
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => steps.extend((old_index..old_index + old_len).map(|i| (Plan::Missing(i), gap))),
            DiffOp::Insert {
                new_index, new_len, ..
            } => steps.extend((new_index..new_index + new_len).map(|j| (Plan::Extra(j), gap))),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                steps.extend((old_index..old_index + old_len).map(|i| (Plan::Missing(i), gap)));
                steps.extend((new_index..new_index + new_len).map(|j| (Plan::Extra(j), gap)));
            }
        }
    }

    // Moves: a missing and an extra element with the same name in different places.
    let mut extras_by_name: HashMap<&QName, Vec<usize>> = HashMap::new();
    for (k, (step, _)) in steps.iter().enumerate().rev() {
        if let Plan::Extra(j) = step {
            extras_by_name.entry(&ak[*j].name).or_default().push(k);
        }
    }
    let mut consumed = vec![false; steps.len()];
    for k in 0..steps.len() {
        if let Plan::Missing(i) = steps[k].0 {
            if let Some(list) = extras_by_name.get_mut(&ek[i].name) {
                if let Some(x) = list.pop() {
                    if let Plan::Extra(j) = steps[x].0 {
                        steps[k].0 = if steps[x].1 == steps[k].1 {
                            Plan::Pair(i, j)
                        } else {
                            Plan::Moved(i, j)
                        };
                        consumed[x] = true;
                    }
                }
            }
        }
    }

    // Renames inside a gap: same local name first (a namespace change), then by position.
    let mut by_gap: HashMap<usize, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (k, (step, g)) in steps.iter().enumerate() {
        match step {
            Plan::Missing(_) => by_gap.entry(*g).or_default().0.push(k),
            Plan::Extra(_) if !consumed[k] => by_gap.entry(*g).or_default().1.push(k),
            _ => {}
        }
    }
    for (_, (missing, extra)) in by_gap {
        let mut extra_left: Vec<usize> = extra;
        let mut missing_left = Vec::new();
        for k in missing {
            let Plan::Missing(i) = steps[k].0 else {
                continue;
            };
            let same_local = extra_left.iter().position(|&x| match steps[x].0 {
                Plan::Extra(j) => ak[j].name.local == ek[i].name.local,
                _ => false,
            });
            match same_local {
                Some(p) => {
                    let x = extra_left.remove(p);
                    if let Plan::Extra(j) = steps[x].0 {
                        steps[k].0 = Plan::Renamed(i, j);
                        consumed[x] = true;
                    }
                }
                None => missing_left.push(k),
            }
        }
        if !subset {
            for (k, x) in missing_left.into_iter().zip(extra_left) {
                if let (Plan::Missing(i), Plan::Extra(j)) = (steps[k].0, steps[x].0) {
                    steps[k].0 = Plan::Renamed(i, j);
                    consumed[x] = true;
                }
            }
        }
    }
    steps
        .into_iter()
        .zip(consumed)
        .filter(|(_, c)| !c)
        .map(|((s, _), _)| s)
        .collect()
}

fn elements(e: &Element) -> impl Iterator<Item = &Element> {
    e.children.iter().filter_map(|c| match c {
        Node::Element(x) => Some(x),
        Node::Text(_) => None,
    })
}

fn direct_text(e: &Element) -> Cow<'_, str> {
    match e.children.as_slice() {
        [] => Cow::Borrowed(""),
        [Node::Text(t)] => Cow::Borrowed(t.as_str()),
        _ => Cow::Owned(text_of(e)),
    }
}

fn ns_label(q: &QName) -> String {
    match q.ns.as_deref() {
        Some(uri) => format!("`{uri}`"),
        None => "none".to_string(),
    }
}

/// A value for a message: QName values in a well-known namespace with their stable prefix
/// (`t:ErrorSchemaValidation`), others as they are (cut when long).
fn show(v: &str) -> Cow<'_, str> {
    if let Some((uri, local)) = super::pretty::clark(v) {
        if let Some(prefix) = super::pretty::stable_prefix(uri) {
            return Cow::Owned(format!("{prefix}:{}", quote(local)));
        }
    }
    quote(v)
}

/// A value for a one-line message (long values are cut).
fn quote(v: &str) -> Cow<'_, str> {
    if v.chars().count() <= QUOTE_MAX {
        return Cow::Borrowed(v);
    }
    let cut: String = v.chars().take(QUOTE_MAX).collect();
    Cow::Owned(format!("{cut}…"))
}

/// `/Envelope/Body/X[2]/@Id`: local names, `[n]` where the parent has several children of
/// that local name.
fn path_of(chain: &[&Element], tail: Tail<'_>) -> String {
    let mut out = String::new();
    let mut parent: Option<&Element> = None;
    let push = |out: &mut String, parent: Option<&Element>, el: &Element| {
        out.push('/');
        out.push_str(&el.name.local);
        if let Some(p) = parent {
            let mut total = 0;
            let mut index = 0;
            for c in &p.children {
                if let Node::Element(s) = c {
                    if s.name.local == el.name.local {
                        total += 1;
                        if std::ptr::eq(s, el) {
                            index = total;
                        }
                    }
                }
            }
            if total > 1 {
                out.push_str(&format!("[{index}]"));
            }
        }
    };
    for el in chain {
        push(&mut out, parent, el);
        parent = Some(el);
    }
    match tail {
        Tail::Here => {}
        Tail::Child(c) => push(&mut out, parent, c),
        Tail::Attr(q) => {
            out.push_str("/@");
            out.push_str(&q.local);
        }
    }
    out
}

/// "element `x` missing", naming the child elements the missing element should have held, so a
/// reader sees what is lost (a missing `soap:Header` that should carry `t:ServerVersionInfo`).
fn missing_message(x: &Element) -> String {
    let mut names: Vec<String> = Vec::new();
    for child in &x.children {
        if let Node::Element(c) = child {
            let name = c.name.to_string();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    match names.len() {
        0 => format!("element `{}` missing", x.name),
        n if n <= 4 => format!(
            "element `{}` missing (with its children {})",
            x.name,
            quoted(&names)
        ),
        n => format!(
            "element `{}` missing (with its children {} and {} more)",
            x.name,
            quoted(&names[..4]),
            n - 4
        ),
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
