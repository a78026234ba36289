//! The event-level validator: fed start/text/end events of one document (a SOAP envelope or a
//! bare EWS element), it walks the compiled content automata and collects [`Violation`]s.
//!
//! Cascades are cut: after the first content-model violation inside an element, later
//! content-model violations of the same element are not reported (children that match some
//! particle are still validated, so independent errors further down still show), and the
//! subtree of an element that cannot be placed is skipped. At most [`MAX_VIOLATIONS`] are kept.

use smallvec::{SmallVec, smallvec};

use crate::content::{ContentModel, Label, NO_KEY, SLOW_KEY};
use crate::model::*;
use crate::violation::{Name, Violation, ViolationKind};
use crate::{Attribute, Schema};

/// The most violations one document reports.
pub const MAX_VIOLATIONS: usize = 100;

/// SOAP 1.1 envelope namespace.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace.
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

fn is_soap(ns: &str) -> bool {
    ns == SOAP11_NS || ns == SOAP12_NS
}

#[derive(Debug)]
enum State {
    /// Positions of the automaton (0 = initial).
    Model(SmallVec<[u32; 2]>),
    All(u64),
    /// Simple or empty or any content: nothing to track.
    Flat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Envelope {
        seen_header: bool,
        seen_body: bool,
    },
    Header,
    Body {
        children: u32,
    },
    Element,
    /// Content not validated (skip wildcard, an element already reported); `depth` nested.
    Skip,
}

/// A frame's element name: its declaration's, or as written when it has none.
#[derive(Debug)]
enum FName {
    Decl(ElemId),
    Own(Box<str>, Box<str>),
}

fn fname(m: &Model, f: &Frame) -> Name {
    fname_of(m, &f.name)
}

fn fname_of(m: &Model, n: &FName) -> Name {
    match n {
        FName::Decl(e) => {
            let d = &m.elements[*e as usize];
            Name::new(m.ns_uri(d.ns), &d.local)
        }
        FName::Own(ns, local) => Name::new(ns, local),
    }
}

#[derive(Debug)]
struct Frame {
    kind: Kind,
    /// The element's name (for paths and messages).
    name: FName,
    elem: Option<ElemId>,
    ty: TypeRef,
    state: State,
    text: String,
    nil: bool,
    broken: bool,
    text_reported: bool,
    last_child: Option<FName>,
    line: u32,
    col: u32,
    scope_len: usize,
}

/// Validates one document from events. Positions are the caller's 1-based (line, column).
///
/// Namespace declarations are needed only to resolve QName values (`xsi:type`): pass them as
/// attributes in the [`XMLNS_NS`] namespace (local name = prefix, `xmlns` for the default).
pub struct Validator<'s> {
    schema: &'s Schema,
    stack: Vec<Frame>,
    violations: Vec<Violation>,
    scope: Vec<(Box<str>, Box<str>)>,
    root_seen: bool,
    skip_depth: u32,
    /// Text buffers of finished frames, reused (most leaf elements have simple content).
    spare_text: Vec<String>,
}

impl<'s> Validator<'s> {
    pub fn new(schema: &'s Schema) -> Self {
        Validator {
            schema,
            stack: Vec::new(),
            violations: Vec::new(),
            scope: Vec::new(),
            root_seen: false,
            skip_depth: 0,
            spare_text: Vec::new(),
        }
    }

    fn m(&self) -> &'s Model {
        &self.schema.model
    }

    fn path(&self) -> String {
        let mut s = String::new();
        for f in &self.stack {
            s.push('/');
            s.push_str(&fname(self.m(), f).to_string());
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }

    fn report(&mut self, line: u32, col: u32, path: String, kind: ViolationKind) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(Violation {
                line,
                col,
                path,
                kind,
            });
        }
    }

    fn elem_name(&self, e: ElemId) -> Name {
        let d = &self.m().elements[e as usize];
        Name::new(self.m().ns_uri(d.ns), &d.local)
    }

    fn resolve_prefix(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some("http://www.w3.org/XML/1998/namespace");
        }
        self.scope
            .iter()
            .rev()
            .find(|(p, _)| &**p == prefix)
            .map(|(_, u)| &**u)
            .or_else(|| prefix.is_empty().then_some(""))
    }

    /// An element starts: its namespace URI (empty for none) and local name, its attributes
    /// (with references resolved; `xsi:` attributes are interpreted, namespace declarations in
    /// [`XMLNS_NS`] only scope prefixes) and the position to report its violations at.
    pub fn start(&mut self, ns: &str, local: &str, attrs: &[Attribute<'_>], line: u32, col: u32) {
        if self.skip_depth > 0 {
            self.skip_depth += 1;
            return;
        }
        let scope_len = self.scope.len();
        for a in attrs {
            if a.ns == XMLNS_NS {
                let prefix = if a.local == "xmlns" { "" } else { a.local };
                self.scope.push((prefix.into(), a.value.into()));
            }
        }
        let frame = |kind: Kind| Frame {
            kind,
            name: FName::Own(ns.into(), local.into()),
            elem: None,
            ty: TypeRef::Complex(0),
            state: State::Flat,
            text: String::new(),
            nil: false,
            broken: false,
            text_reported: false,
            last_child: None,
            line,
            col,
            scope_len,
        };
        let Some(parent) = self.stack.last() else {
            // The root.
            if self.root_seen {
                self.skip_depth = 1;
                return;
            }
            self.root_seen = true;
            if is_soap(ns) && local == "Envelope" {
                self.stack.push(frame(Kind::Envelope {
                    seen_header: false,
                    seen_body: false,
                }));
                return;
            }
            self.global(ns, local, attrs, line, col, scope_len, true);
            return;
        };
        match parent.kind {
            Kind::Skip => {
                // Inside a skipped subtree only the depth is tracked (no frame, no scope).
                self.scope.truncate(scope_len);
                self.skip_depth = 1;
            }
            Kind::Envelope {
                seen_header,
                seen_body,
            } => {
                let path = self.path();
                let ok_header = is_soap(ns) && local == "Header" && !seen_header && !seen_body;
                let ok_body = is_soap(ns) && local == "Body" && !seen_body;
                if let Some(Frame {
                    kind:
                        Kind::Envelope {
                            seen_header: h,
                            seen_body: b,
                        },
                    ..
                }) = self.stack.last_mut()
                {
                    *h |= ok_header;
                    *b |= ok_body;
                }
                if ok_header {
                    self.stack.push(frame(Kind::Header));
                } else if ok_body {
                    self.stack.push(frame(Kind::Body { children: 0 }));
                } else {
                    // The envelope's content model: (Header?, Body), in its own namespace.
                    let env = fname(self.m(), self.stack.last().expect("envelope"));
                    let mut expected = Vec::new();
                    if !seen_body {
                        if !seen_header {
                            expected.push(Name::new(&env.ns, "Header"));
                        }
                        expected.push(Name::new(&env.ns, "Body"));
                    }
                    let after = match (seen_header, seen_body) {
                        (_, true) => Some(Name::new(&env.ns, "Body")),
                        (true, false) => Some(Name::new(&env.ns, "Header")),
                        _ => None,
                    };
                    self.report(
                        line,
                        col,
                        path,
                        ViolationKind::UnexpectedElement {
                            parent: env,
                            child: Name::new(ns, local),
                            after,
                            expected,
                        },
                    );
                    self.stack.push(frame(Kind::Skip));
                }
            }
            Kind::Header => {
                if self
                    .m()
                    .ns_id(ns)
                    .is_some_and(|id| self.m().global_elements.contains_key(&id))
                {
                    self.global(ns, local, attrs, line, col, scope_len, true);
                } else {
                    // Headers of other specifications (WS-Addressing, ...) are not ours.
                    self.stack.push(frame(Kind::Skip));
                }
            }
            Kind::Body { .. } => {
                if let Some(Frame {
                    kind: Kind::Body { children },
                    ..
                }) = self.stack.last_mut()
                {
                    *children += 1;
                }
                if is_soap(ns) && local == "Fault" {
                    self.stack.push(frame(Kind::Skip));
                } else {
                    self.global(ns, local, attrs, line, col, scope_len, true);
                }
            }
            Kind::Element => self.child(ns, local, attrs, line, col, scope_len),
        }
    }

    /// A global element: found → validated; unknown → reported (when `strict`) and skipped.
    #[allow(clippy::too_many_arguments)]
    fn global(
        &mut self,
        ns: &str,
        local: &str,
        attrs: &[Attribute<'_>],
        line: u32,
        col: u32,
        scope_len: usize,
        strict: bool,
    ) {
        let m = self.m();
        let decl = m.ns_id(ns).and_then(|id| m.global_element(id, local));
        match decl {
            Some(e) => self.enter(e, ns, local, attrs, line, col, scope_len),
            None => {
                if strict {
                    let path = self.path();
                    self.report(
                        line,
                        col,
                        path,
                        ViolationKind::UndeclaredElement {
                            element: Name::new(ns, local),
                        },
                    );
                }
                self.push_skip(ns, local, line, col, scope_len);
            }
        }
    }

    fn push_skip(&mut self, ns: &str, local: &str, line: u32, col: u32, scope_len: usize) {
        self.stack.push(Frame {
            kind: Kind::Skip,
            name: FName::Own(ns.into(), local.into()),
            elem: None,
            ty: TypeRef::Complex(0),
            state: State::Flat,
            text: String::new(),
            nil: false,
            broken: false,
            text_reported: false,
            last_child: None,
            line,
            col,
            scope_len,
        });
    }

    /// A child of an element frame.
    fn child(
        &mut self,
        ns: &str,
        local: &str,
        attrs: &[Attribute<'_>],
        line: u32,
        col: u32,
        scope_len: usize,
    ) {
        let m = self.m();
        let child_name = || Name::new(ns, local);
        let ns_id = m.ns_id(ns);
        let sym = m.symbols.get(local).copied();
        let parent = self.stack.last().expect("a parent frame");
        let parent_ty = parent.ty;
        let content = match parent_ty {
            TypeRef::Simple(_) => None,
            TypeRef::Complex(c) => Some(&m.complex[c as usize].content),
        };
        let parent_name = fname(m, parent);
        if parent.nil {
            let path = self.path();
            self.report(
                line,
                col,
                path,
                ViolationKind::NilWithContent {
                    element: parent_name,
                },
            );
            self.push_skip(ns, local, line, col, scope_len);
            return;
        }
        match content {
            None | Some(Content::Empty) | Some(Content::Simple(_)) => {
                let model = if matches!(content, Some(Content::Empty)) {
                    "empty"
                } else {
                    "text only"
                };
                if !parent.broken {
                    let path = self.path();
                    self.report(
                        line,
                        col,
                        path,
                        ViolationKind::ChildNotAllowed {
                            parent: parent_name,
                            child: child_name(),
                            model,
                        },
                    );
                }
                self.stack.last_mut().expect("parent").broken = true;
                self.push_skip(ns, local, line, col, scope_len);
            }
            Some(Content::Any) => {
                // anyType: lax. Declared globals are validated, anything else is accepted.
                match ns_id.and_then(|id| m.global_element(id, local)) {
                    Some(e) => self.enter(e, ns, local, attrs, line, col, scope_len),
                    None => {
                        let any = m.any_type;
                        self.push_element(
                            None,
                            TypeRef::Complex(any),
                            ns,
                            local,
                            line,
                            col,
                            scope_len,
                        );
                    }
                }
            }
            Some(Content::Elements { model, .. }) => {
                let model = &m.models[*model as usize];
                match model {
                    ContentModel::Automaton(a) => {
                        let State::Model(states) = &parent.state else {
                            // Cannot happen (the state is made from the same model); skip.
                            self.push_skip(ns, local, line, col, scope_len);
                            return;
                        };
                        let mut next: SmallVec<[u32; 2]> = SmallVec::new();
                        let mut matched: Option<ElemId> = None;
                        let want = (ns_id.unwrap_or(NO_KEY), sym.unwrap_or(NO_KEY));
                        let mut wildcard: Option<&Wildcard> = None;
                        for &s in states {
                            for &p in &a.follow[s as usize] {
                                // Fast path: a plain element position is its (ns, name) key.
                                let key = a.keys[p as usize];
                                if key.0 != SLOW_KEY {
                                    if (key.0, key.1) == want {
                                        if !next.contains(&(p + 1)) {
                                            next.push(p + 1);
                                        }
                                        if matched.is_none() && wildcard.is_none() {
                                            matched = Some(key.2);
                                        }
                                    }
                                    continue;
                                }
                                let label = &a.labels[p as usize];
                                match label {
                                    Label::Element(e) => {
                                        if let Some(actual) = self.match_decl(*e, ns_id, sym) {
                                            if !next.contains(&(p + 1)) {
                                                next.push(p + 1);
                                            }
                                            if matched.is_none() && wildcard.is_none() {
                                                matched = Some(actual);
                                            }
                                        }
                                    }
                                    Label::Any(w) => {
                                        if w.admits(ns_id, ns) {
                                            if !next.contains(&(p + 1)) {
                                                next.push(p + 1);
                                            }
                                            if matched.is_none() && wildcard.is_none() {
                                                wildcard = Some(w);
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        if !next.is_empty() {
                            let f = self.stack.last_mut().expect("parent");
                            f.state = State::Model(next);
                            f.last_child = Some(match matched {
                                Some(e) => FName::Decl(e),
                                None => FName::Own(ns.into(), local.into()),
                            });
                            if let Some(e) = matched {
                                self.enter(e, ns, local, attrs, line, col, scope_len);
                            } else if let Some(w) = wildcard {
                                self.wildcard_child(w, ns, local, attrs, line, col, scope_len);
                            }
                            return;
                        }
                        // Unexpected here.
                        let mut expected: Vec<Name> = Vec::new();
                        let mut positions: Vec<u32> = states
                            .iter()
                            .flat_map(|&s| a.follow[s as usize].iter().copied())
                            .collect();
                        positions.sort_unstable();
                        positions.dedup();
                        for p in positions {
                            self.push_expected(&mut expected, &a.labels[p as usize]);
                        }
                        if !parent.broken {
                            let path = self.path();
                            let after = parent.last_child.as_ref().map(|n| fname_of(m, n));
                            self.report(
                                line,
                                col,
                                path,
                                ViolationKind::UnexpectedElement {
                                    parent: parent_name,
                                    child: child_name(),
                                    after,
                                    expected,
                                },
                            );
                        }
                        // Resynchronize on any position with this name.
                        let mut resync: SmallVec<[u32; 2]> = SmallVec::new();
                        let mut decl = None;
                        for (p, label) in a.labels.iter().enumerate() {
                            if let Label::Element(e) = label
                                && let Some(actual) = self.match_decl(*e, ns_id, sym)
                            {
                                resync.push(p as u32 + 1);
                                decl.get_or_insert(actual);
                            }
                        }
                        let f = self.stack.last_mut().expect("parent");
                        f.broken = true;
                        f.last_child = Some(FName::Own(ns.into(), local.into()));
                        match decl {
                            Some(e) => {
                                f.state = State::Model(resync);
                                self.enter(e, ns, local, attrs, line, col, scope_len);
                            }
                            None => self.push_skip(ns, local, line, col, scope_len),
                        }
                    }
                    ContentModel::All { members, .. } => {
                        let State::All(seen) = parent.state else {
                            self.push_skip(ns, local, line, col, scope_len);
                            return;
                        };
                        let hit = members.iter().enumerate().find_map(|(i, (e, _))| {
                            self.match_decl(*e, ns_id, sym).map(|a| (i, a))
                        });
                        match hit {
                            Some((i, e)) if seen & (1 << i) == 0 => {
                                let f = self.stack.last_mut().expect("parent");
                                f.state = State::All(seen | (1 << i));
                                f.last_child = Some(FName::Decl(e));
                                self.enter(e, ns, local, attrs, line, col, scope_len);
                            }
                            _ => {
                                let mut expected = Vec::new();
                                for (i, (e, _)) in members.iter().enumerate() {
                                    if seen & (1 << i) == 0 {
                                        self.push_expected(&mut expected, &Label::Element(*e));
                                    }
                                }
                                if !parent.broken {
                                    let path = self.path();
                                    let after = parent.last_child.as_ref().map(|n| fname_of(m, n));
                                    self.report(
                                        line,
                                        col,
                                        path,
                                        ViolationKind::UnexpectedElement {
                                            parent: parent_name,
                                            child: child_name(),
                                            after,
                                            expected,
                                        },
                                    );
                                }
                                self.stack.last_mut().expect("parent").broken = true;
                                match hit {
                                    Some((_, e)) => {
                                        self.enter(e, ns, local, attrs, line, col, scope_len)
                                    }
                                    None => self.push_skip(ns, local, line, col, scope_len),
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn wildcard_child(
        &mut self,
        w: &Wildcard,
        ns: &str,
        local: &str,
        attrs: &[Attribute<'_>],
        line: u32,
        col: u32,
        scope_len: usize,
    ) {
        match w.process {
            Process::Skip => self.push_skip(ns, local, line, col, scope_len),
            Process::Strict => self.global(ns, local, attrs, line, col, scope_len, true),
            Process::Lax => {
                let m = self.m();
                match m.ns_id(ns).and_then(|id| m.global_element(id, local)) {
                    Some(e) => self.enter(e, ns, local, attrs, line, col, scope_len),
                    None => {
                        let any = m.any_type;
                        self.push_element(
                            None,
                            TypeRef::Complex(any),
                            ns,
                            local,
                            line,
                            col,
                            scope_len,
                        );
                    }
                }
            }
        }
    }

    fn push_expected(&self, expected: &mut Vec<Name>, label: &Label) {
        match label {
            Label::Element(e) => {
                let d = &self.m().elements[*e as usize];
                // A substitution group head stands for its members (and itself unless
                // abstract): list them all.
                if !d.substitutes.is_empty() {
                    for s in &d.substitutes {
                        let n = self.elem_name(*s);
                        if !expected.contains(&n) {
                            expected.push(n);
                        }
                    }
                } else {
                    let n = self.elem_name(*e);
                    if !expected.contains(&n) {
                        expected.push(n);
                    }
                }
            }
            Label::Any(w) => {
                let n = Name::wildcard(match &w.ns {
                    NsConstraint::Any => "##any".to_string(),
                    NsConstraint::Not(_) => "##other".to_string(),
                    NsConstraint::List(l) => l
                        .iter()
                        .map(|id| self.m().ns_uri(*id).to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                });
                if !expected.contains(&n) {
                    expected.push(n);
                }
            }
        }
    }

    /// Whether the name is the declaration `e` or one of its substitutes; returns the
    /// declaration to validate the element with.
    fn match_decl(&self, e: ElemId, ns: Option<NsId>, sym: Option<u32>) -> Option<ElemId> {
        let m = self.m();
        let (ns, sym) = (ns?, sym?);
        let d = &m.elements[e as usize];
        // The declaration itself, even abstract (then reported as such, as libxml2 and .NET do).
        if d.ns == ns && d.sym == sym {
            return Some(e);
        }
        d.substitutes.iter().copied().find(|&s| {
            let x = &m.elements[s as usize];
            x.ns == ns && x.sym == sym
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn push_element(
        &mut self,
        elem: Option<ElemId>,
        ty: TypeRef,
        ns: &str,
        local: &str,
        line: u32,
        col: u32,
        scope_len: usize,
    ) {
        let m = self.m();
        let state = match ty {
            TypeRef::Complex(c) => match &m.complex[c as usize].content {
                Content::Elements { model, .. } => match &m.models[*model as usize] {
                    ContentModel::Automaton(_) => State::Model(smallvec![0]),
                    ContentModel::All { .. } => State::All(0),
                },
                _ => State::Flat,
            },
            TypeRef::Simple(_) => State::Flat,
        };
        self.stack.push(Frame {
            kind: Kind::Element,
            name: match elem {
                Some(e) => FName::Decl(e),
                None => FName::Own(ns.into(), local.into()),
            },
            elem,
            ty,
            state,
            text: self.spare_text.pop().unwrap_or_default(),
            nil: false,
            broken: false,
            text_reported: false,
            last_child: None,
            line,
            col,
            scope_len,
        });
    }

    /// Starts validating an element against declaration `e`.
    #[allow(clippy::too_many_arguments)]
    fn enter(
        &mut self,
        e: ElemId,
        ns: &str,
        local: &str,
        attrs: &[Attribute<'_>],
        line: u32,
        col: u32,
        scope_len: usize,
    ) {
        let m = self.m();
        let decl = &m.elements[e as usize];
        let mut ty = decl.ty;
        let mut nil = false;
        let mut problems: Vec<ViolationKind> = Vec::new();
        if decl.is_abstract {
            // Its content cannot be validated (which member was meant?): report and skip.
            let substitutes = decl
                .substitutes
                .iter()
                .map(|s| self.elem_name(*s))
                .collect();
            self.push_skip(ns, local, line, col, scope_len);
            let path = self.path();
            self.report(
                line,
                col,
                path,
                ViolationKind::AbstractElement {
                    element: Name::new(ns, local),
                    substitutes,
                },
            );
            return;
        }
        for a in attrs {
            if a.ns != XSI_NS {
                continue;
            }
            match a.local {
                "type" => {
                    let v = a.value.trim();
                    let (prefix, tl) = v.split_once(':').unwrap_or(("", v));
                    let resolved = self
                        .resolve_prefix(prefix)
                        .and_then(|uri| m.ns_id(uri))
                        .and_then(|id| m.global_type(id, tl));
                    match resolved {
                        Some(t) if m.derives_from(t, decl.ty) => ty = t,
                        Some(t) => problems.push(ViolationKind::BadXsiType {
                            element: Name::new(ns, local),
                            value: v.to_string(),
                            known: true,
                            reason: format!(
                                "{} is not derived from {}",
                                m.type_name(t),
                                m.type_name(decl.ty)
                            ),
                        }),
                        None => problems.push(ViolationKind::BadXsiType {
                            element: Name::new(ns, local),
                            value: v.to_string(),
                            known: false,
                            reason: "no such type in the schema (or its prefix is not declared)"
                                .into(),
                        }),
                    }
                }
                "nil" => {
                    let v = a.value.trim();
                    if !matches!(v, "true" | "false" | "1" | "0") {
                        problems.push(ViolationKind::InvalidAttributeValue {
                            element: Name::new(ns, local),
                            attribute: Name::new(XSI_NS, "nil"),
                            value: a.value.to_string(),
                            datatype: format!("{XS_NS}:boolean"),
                            dotnet: format!("The string '{v}' is not a valid Boolean value."),
                            plain: format!("'{v}' is not a boolean (true, false, 1, 0)"),
                        });
                    } else if matches!(v, "true" | "1") {
                        if decl.nillable {
                            nil = true;
                        } else {
                            problems.push(ViolationKind::NotNillable {
                                element: Name::new(ns, local),
                            });
                        }
                    }
                }
                "schemaLocation" | "noNamespaceSchemaLocation" => {}
                _ => problems.push(ViolationKind::UndeclaredAttribute {
                    element: Name::new(ns, local),
                    attribute: Name::new(a.ns, a.local),
                }),
            }
        }
        if problems
            .iter()
            .any(|p| matches!(p, ViolationKind::BadXsiType { .. }))
        {
            // The element's type is unknown: its content cannot be validated.
            self.push_skip(ns, local, line, col, scope_len);
            let path = self.path();
            for p in problems {
                self.report(line, col, path.clone(), p);
            }
            return;
        }
        if let TypeRef::Complex(c) = ty
            && m.complex[c as usize].is_abstract
            && !decl.is_abstract
        {
            problems.push(ViolationKind::AbstractType {
                element: Name::new(ns, local),
                ty: m.type_name(ty),
            });
        }
        self.check_attributes(ty, (ns, local), attrs, &mut problems);
        self.push_element(Some(e), ty, ns, local, line, col, scope_len);
        self.stack.last_mut().expect("pushed").nil = nil;
        if !problems.is_empty() {
            let path = self.path();
            for p in problems {
                self.report(line, col, path.clone(), p);
            }
        }
    }

    fn check_attributes(
        &self,
        ty: TypeRef,
        (ns, local): (&str, &str),
        attrs: &[Attribute<'_>],
        problems: &mut Vec<ViolationKind>,
    ) {
        let m = self.m();
        let (uses, any): (&[AttrUse], Option<&Wildcard>) = match ty {
            TypeRef::Complex(c) => {
                let t = &m.complex[c as usize];
                if c == m.any_type {
                    return;
                }
                (&t.attrs, t.any_attr.as_ref())
            }
            TypeRef::Simple(_) => (&[], None),
        };
        for a in attrs {
            if a.ns == XMLNS_NS || a.ns == XSI_NS {
                continue;
            }
            let ns_id = m.ns_id(a.ns);
            let found =
                ns_id.and_then(|id| uses.iter().find(|u| u.ns == id && &*u.local == a.local));
            match found {
                Some(u) => {
                    if let Err(e) = m.check_simple(u.ty, a.value) {
                        problems.push(ViolationKind::InvalidAttributeValue {
                            element: Name::new(ns, local),
                            attribute: Name::new(a.ns, a.local),
                            value: a.value.to_string(),
                            datatype: m.simple_type_name(u.ty),
                            dotnet: e.dotnet,
                            plain: e.plain,
                        });
                    } else if let Some(f) = &u.fixed
                        && a.value.trim() != f.trim()
                    {
                        problems.push(ViolationKind::FixedValue {
                            element: Name::new(ns, local),
                            attribute: Some(Name::new(a.ns, a.local)),
                            value: a.value.to_string(),
                            fixed: f.to_string(),
                        });
                    }
                }
                None => {
                    let admitted = any.is_some_and(|w| w.admits(ns_id, a.ns));
                    // Strict wildcards need a global declaration; the SOAP envelope attributes
                    // (mustUnderstand, actor, encodingStyle) are declared by the SOAP schema.
                    let declared_elsewhere = is_soap(a.ns)
                        && matches!(
                            a.local,
                            "mustUnderstand" | "actor" | "encodingStyle" | "role" | "relay"
                        );
                    let ok = admitted
                        && (declared_elsewhere
                            || any.is_some_and(|w| w.process != Process::Strict));
                    if !ok {
                        problems.push(ViolationKind::UndeclaredAttribute {
                            element: Name::new(ns, local),
                            attribute: Name::new(a.ns, a.local),
                        });
                    }
                }
            }
        }
        for u in uses {
            if u.required {
                let present = attrs
                    .iter()
                    .any(|a| a.local == &*u.local && a.ns == m.ns_uri(u.ns));
                if !present {
                    problems.push(ViolationKind::MissingAttribute {
                        element: Name::new(ns, local),
                        attribute: Name::new(m.ns_uri(u.ns), &u.local),
                    });
                }
            }
        }
    }

    /// Character data inside the current element (may come in pieces). Text violations are
    /// reported at the element's start tag.
    pub fn text(&mut self, text: &str) {
        if self.skip_depth > 0 {
            return;
        }
        let m = self.m();
        let Some(f) = self.stack.last_mut() else {
            return;
        };
        let (line, col) = (f.line, f.col);
        let blank = text
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        match f.kind {
            Kind::Skip => {}
            Kind::Envelope { .. } | Kind::Header | Kind::Body { .. } => {
                if !blank && !f.text_reported {
                    f.text_reported = true;
                    let name = fname(m, f);
                    let path = self.path();
                    self.report(
                        line,
                        col,
                        path,
                        ViolationKind::TextNotAllowed {
                            element: name,
                            model: "element-only",
                            whitespace: false,
                        },
                    );
                }
            }
            Kind::Element => {
                let simple = match f.ty {
                    TypeRef::Simple(_) => true,
                    TypeRef::Complex(c) => match &m.complex[c as usize].content {
                        Content::Simple(_) => true,
                        Content::Any | Content::Elements { mixed: true, .. } => return,
                        Content::Elements { mixed: false, .. } | Content::Empty => false,
                    },
                };
                let empty = matches!(f.ty, TypeRef::Complex(c) if matches!(m.complex[c as usize].content, Content::Empty));
                if f.nil {
                    if !blank && !f.text_reported {
                        f.text_reported = true;
                        let name = fname(m, f);
                        let path = self.path();
                        self.report(
                            line,
                            col,
                            path,
                            ViolationKind::NilWithContent { element: name },
                        );
                    }
                } else if simple {
                    f.text.push_str(text);
                } else if empty && !f.text_reported && !f.broken && !f.nil && !text.is_empty() {
                    // Empty content admits no character data at all, not even white space
                    // (XSD 1.0 3.4.4 clause 1.1; .NET: "cannot contain white space").
                    f.text_reported = true;
                    f.broken = true;
                    let name = fname(m, f);
                    let path = self.path();
                    self.report(
                        line,
                        col,
                        path,
                        ViolationKind::TextNotAllowed {
                            element: name,
                            model: "empty",
                            whitespace: blank,
                        },
                    );
                } else if !blank && !f.text_reported && !f.nil {
                    f.text_reported = true;
                    let model = match f.ty {
                        TypeRef::Complex(c)
                            if matches!(m.complex[c as usize].content, Content::Empty) =>
                        {
                            "empty"
                        }
                        _ => "element-only",
                    };
                    let name = fname(m, f);
                    let path = self.path();
                    self.report(
                        line,
                        col,
                        path,
                        ViolationKind::TextNotAllowed {
                            element: name,
                            model,
                            whitespace: false,
                        },
                    );
                } else if !blank && f.nil && !f.text_reported {
                    f.text_reported = true;
                    let name = fname(m, f);
                    let path = self.path();
                    self.report(
                        line,
                        col,
                        path,
                        ViolationKind::NilWithContent { element: name },
                    );
                }
            }
        }
    }

    /// The current element ends.
    pub fn end(&mut self) {
        if self.skip_depth > 0 {
            self.skip_depth -= 1;
            return;
        }
        let m = self.m();
        let Some(f) = self.stack.last() else { return };
        if f.kind == Kind::Element {
            self.end_element();
        } else if let Kind::Envelope {
            seen_body: false, ..
        } = f.kind
        {
            let (line, col) = (f.line, f.col);
            let name = fname(m, f);
            let path = self.path();
            let after = matches!(
                f.kind,
                Kind::Envelope {
                    seen_header: true,
                    ..
                }
            )
            .then(|| Name::new(&name.ns, "Header"));
            let expected = vec![Name::new(&name.ns, "Body")];
            self.report(
                line,
                col,
                path,
                ViolationKind::IncompleteContent {
                    element: name,
                    after,
                    expected,
                },
            );
        }
        if let Some(f) = self.stack.pop() {
            self.scope.truncate(f.scope_len);
            let mut text = f.text;
            if text.capacity() > 0 && self.spare_text.len() < 64 {
                text.clear();
                self.spare_text.push(text);
            }
        }
    }

    fn end_element(&mut self) {
        let m = self.m();
        let f = self.stack.last().expect("an element frame");
        let name = fname(m, f);
        let (line, col) = (f.line, f.col);
        let simple = match f.ty {
            TypeRef::Simple(s) => Some(s),
            TypeRef::Complex(c) => match &m.complex[c as usize].content {
                Content::Simple(s) => Some(*s),
                _ => None,
            },
        };
        let mut problem = None;
        if f.nil {
            // Nothing to check: content was refused as it came.
        } else if let Some(s) = simple {
            let fixed = f.elem.and_then(|e| m.elements[e as usize].fixed.as_deref());
            if let Err(e) = m.check_simple(s, &f.text) {
                let datatype = match f.ty {
                    TypeRef::Simple(t) => m.simple_type_name(t),
                    TypeRef::Complex(_) => m.simple_type_name(s),
                };
                problem = Some(ViolationKind::InvalidElementValue {
                    element: name,
                    value: f.text.clone(),
                    datatype,
                    dotnet: e.dotnet,
                    plain: e.plain,
                });
            } else if let Some(fx) = fixed
                && f.text.trim() != fx.trim()
            {
                problem = Some(ViolationKind::FixedValue {
                    element: name,
                    attribute: None,
                    value: f.text.clone(),
                    fixed: fx.to_string(),
                });
            }
        } else if !f.broken
            && let TypeRef::Complex(c) = f.ty
            && let Content::Elements { model, .. } = &m.complex[c as usize].content
        {
            match (&m.models[*model as usize], &f.state) {
                (ContentModel::Automaton(a), State::Model(states))
                    if !states.iter().any(|&s| a.accepting[s as usize]) =>
                {
                    let mut expected = Vec::new();
                    let mut positions: Vec<u32> = states
                        .iter()
                        .flat_map(|&s| a.follow[s as usize].iter().copied())
                        .collect();
                    positions.sort_unstable();
                    positions.dedup();
                    for p in positions {
                        self.push_expected(&mut expected, &a.labels[p as usize]);
                    }
                    problem = Some(ViolationKind::IncompleteContent {
                        element: name,
                        after: f.last_child.as_ref().map(|n| fname_of(m, n)),
                        expected,
                    });
                }
                (ContentModel::All { members, optional }, State::All(seen)) => {
                    let missing: Vec<ElemId> = members
                        .iter()
                        .enumerate()
                        .filter(|(i, (_, min))| *min > 0 && seen & (1 << i) == 0)
                        .map(|(_, (e, _))| *e)
                        .collect();
                    if !(missing.is_empty() || *optional && *seen == 0) {
                        let mut expected = Vec::new();
                        for e in missing {
                            self.push_expected(&mut expected, &Label::Element(e));
                        }
                        problem = Some(ViolationKind::IncompleteContent {
                            element: name,
                            after: f.last_child.as_ref().map(|n| fname_of(m, n)),
                            expected,
                        });
                    }
                }
                _ => {}
            }
        }
        if let Some(p) = problem {
            let path = self.path();
            self.report(line, col, path, p);
        }
    }

    /// Ends the document; returns every violation found (at most [`MAX_VIOLATIONS`]).
    pub fn finish(mut self) -> Vec<Violation> {
        while !self.stack.is_empty() {
            self.end();
        }
        self.violations
    }
}
