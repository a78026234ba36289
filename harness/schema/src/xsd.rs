//! The schema compiler: reads XSD documents (`xs:schema` with imports and includes among the
//! given files) into the [`Model`] the validator runs on.
//!
//! Supported: global and local elements (`ref`, `form`, `elementFormDefault`, `nillable`,
//! `abstract`, `fixed`, `substitutionGroup`), complex types (`abstract`, `mixed`, simple and
//! complex content by extension or restriction), model groups (`sequence`, `choice`, `all`,
//! named `group`s), `any` and `anyAttribute`, attributes (`use`, `fixed`, `form`, attribute
//! groups), simple types (restriction with facets, `list`, `union`) and the built-ins.
//! Identity constraints (`key`, `unique`, `keyref`) and `redefine` are not used by EWS and are
//! reported as errors rather than silently ignored.

use std::fmt;

use rustc_hash::FxHashMap;

use crate::content::{self, Particle, Term};
use crate::model::*;
use crate::simple::{ANY_SIMPLE_TYPE, BUILTINS, Facets, SimpleType, Variety, XS_STRING};
use crate::xmlread::{self, Ev};
use crate::xsregex;

/// Why a set of schema files does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for SchemaError {}

/// An element of an XSD document. QName-valued attributes are stored resolved, as
/// `uri\u{1}local` (a list for `memberTypes`, space-separated).
#[derive(Debug)]
struct Node {
    local: String,
    is_xs: bool,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    line: u32,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn xs_children(&self) -> impl Iterator<Item = &Node> {
        self.children
            .iter()
            .filter(|c| c.is_xs && c.local != "annotation")
    }
}

/// The XML namespace (`xml:lang`).
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

const QNAME_ATTRS: &[&str] = &["type", "base", "ref", "itemType", "substitutionGroup"];

fn split_q(q: &str) -> (&str, &str) {
    q.split_once('\u{1}').unwrap_or(("", q))
}

fn parse_doc(name: &str, text: &str) -> Result<Node, SchemaError> {
    let mut stack: Vec<Node> = Vec::new();
    let mut scopes: Vec<Vec<(String, String)>> = vec![vec![("xml".into(), XML_NS.into())]];
    let mut root = None;
    let mut bad: Option<SchemaError> = None;
    let resolve = |scopes: &Vec<Vec<(String, String)>>, value: &str| -> Option<String> {
        let (prefix, local) = match value.trim().split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", value.trim()),
        };
        let uri = scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.clone())
            .or_else(|| prefix.is_empty().then(String::new))?;
        Some(format!("{uri}\u{1}{local}"))
    };
    xmlread::read(text, |ev| match ev {
        Ev::Start {
            ns,
            local,
            attrs,
            line,
            ..
        } => {
            let mut scope = Vec::new();
            for a in attrs {
                if a.ns == XMLNS_NS {
                    let prefix = if a.local == "xmlns" { "" } else { a.local };
                    scope.push((prefix.to_string(), a.value.to_string()));
                }
            }
            scopes.push(scope);
            let mut node = Node {
                local: local.to_string(),
                is_xs: ns == XS_NS,
                attrs: Vec::new(),
                children: Vec::new(),
                line,
            };
            for a in attrs {
                if !a.ns.is_empty() {
                    continue;
                }
                let value = if QNAME_ATTRS.contains(&a.local) {
                    match resolve(&scopes, a.value) {
                        Some(v) => v,
                        None => {
                            bad.get_or_insert(SchemaError {
                                file: name.into(),
                                line,
                                message: format!("undeclared prefix in `{}`", a.value),
                            });
                            continue;
                        }
                    }
                } else if a.local == "memberTypes" {
                    a.value
                        .split_whitespace()
                        .filter_map(|q| resolve(&scopes, q))
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    a.value.to_string()
                };
                node.attrs.push((a.local.to_string(), value));
            }
            stack.push(node);
        }
        Ev::Text(_) => {}
        Ev::End => {
            scopes.pop();
            if let Some(node) = stack.pop() {
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
        }
    })
    .map_err(|e| SchemaError {
        file: name.into(),
        line: e.line,
        message: e.message,
    })?;
    if let Some(e) = bad {
        return Err(e);
    }
    let root = root.ok_or_else(|| SchemaError {
        file: name.into(),
        line: 1,
        message: "empty document".into(),
    })?;
    if !(root.is_xs && root.local == "schema") {
        return Err(SchemaError {
            file: name.into(),
            line: root.line,
            message: "the root element is not xs:schema".into(),
        });
    }
    Ok(root)
}

struct Doc<'d> {
    name: String,
    root: &'d Node,
    target: NsId,
    qualified_elements: bool,
    qualified_attrs: bool,
}

type Global<'d> = (usize, &'d Node);

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    InProgress,
    Done,
}

struct Compiler<'d> {
    docs: Vec<Doc<'d>>,
    m: Model,
    elem_nodes: FxHashMap<(NsId, String), Global<'d>>,
    complex_nodes: FxHashMap<(NsId, String), Global<'d>>,
    simple_nodes: FxHashMap<(NsId, String), Global<'d>>,
    group_nodes: FxHashMap<(NsId, String), Global<'d>>,
    attr_group_nodes: FxHashMap<(NsId, String), Global<'d>>,
    attr_nodes: FxHashMap<(NsId, String), Global<'d>>,
    complex_src: Vec<Option<Global<'d>>>,
    complex_state: Vec<State>,
    particles: Vec<Option<Particle>>,
    heads: Vec<(ElemId, String, Global<'d>)>,
    untyped: Vec<ElemId>,
    simple_in_progress: Vec<(NsId, String)>,
}

fn occurs(n: &Node) -> Result<(u32, Option<u32>), String> {
    let min = match n.attr("minOccurs") {
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("bad minOccurs `{v}`"))?,
        None => 1,
    };
    let max = match n.attr("maxOccurs") {
        Some("unbounded") => None,
        Some(v) => Some(
            v.trim()
                .parse()
                .map_err(|_| format!("bad maxOccurs `{v}`"))?,
        ),
        None => Some(1),
    };
    if let Some(max) = max
        && max < min
    {
        return Err(format!("maxOccurs {max} is less than minOccurs {min}"));
    }
    Ok((min, max))
}

impl<'d> Compiler<'d> {
    fn err(&self, doc: usize, node: &Node, message: impl Into<String>) -> SchemaError {
        SchemaError {
            file: self.docs[doc].name.clone(),
            line: node.line,
            message: message.into(),
        }
    }

    fn intern(&mut self, uri: &str) -> NsId {
        if let Some(id) = self.m.ns_index.get(uri) {
            return *id;
        }
        let id = self.m.namespaces.len() as NsId;
        self.m.namespaces.push(uri.into());
        self.m.ns_index.insert(uri.into(), id);
        id
    }

    fn sym(&mut self, local: &str) -> u32 {
        let next = self.m.symbols.len() as u32;
        *self.m.symbols.entry(local.into()).or_insert(next)
    }

    fn qname(&mut self, q: &str) -> (NsId, String) {
        let (ns, local) = split_q(q);
        (self.intern(ns), local.to_string())
    }

    fn builtins(&mut self) {
        let xs = self.intern(XS_NS);
        let mut ids: FxHashMap<&str, SimpleId> = FxHashMap::default();
        for (name, b, base) in BUILTINS {
            let id = self.m.simple.len() as SimpleId;
            self.m.simple.push(SimpleType {
                name: Some((xs, (*name).into())),
                base: base.and_then(|b| ids.get(b).copied()),
                variety: Variety::Builtin(*b),
                facets: Facets::default(),
            });
            ids.insert(name, id);
            self.m
                .global_types
                .entry(xs)
                .or_default()
                .insert((*name).into(), TypeRef::Simple(id));
        }
        let any = self.m.complex.len() as ComplexId;
        self.m.complex.push(ComplexType {
            name: Some((xs, "anyType".into())),
            is_abstract: false,
            base: None,
            derivation: Derivation::Restriction,
            content: Content::Any,
            attrs: vec![],
            any_attr: Some(Wildcard {
                ns: NsConstraint::Any,
                process: Process::Lax,
                foreign: vec![],
            }),
        });
        self.complex_src.push(None);
        self.complex_state.push(State::Done);
        self.particles.push(None);
        self.m.any_type = any;
        self.m
            .global_types
            .entry(xs)
            .or_default()
            .insert("anyType".into(), TypeRef::Complex(any));
    }

    fn register(&mut self) -> Result<(), SchemaError> {
        for d in 0..self.docs.len() {
            let root = self.docs[d].root;
            let target = self.docs[d].target;
            for child in root.xs_children() {
                let Some(name) = child.attr("name") else {
                    if !matches!(child.local.as_str(), "import" | "include") {
                        return Err(self.err(
                            d,
                            child,
                            format!("a global xs:{} without a name", child.local),
                        ));
                    }
                    continue;
                };
                let key = (target, name.to_string());
                let map = match child.local.as_str() {
                    "element" => &mut self.elem_nodes,
                    "complexType" => &mut self.complex_nodes,
                    "simpleType" => &mut self.simple_nodes,
                    "group" => &mut self.group_nodes,
                    "attributeGroup" => &mut self.attr_group_nodes,
                    "attribute" => &mut self.attr_nodes,
                    "notation" => continue,
                    other => {
                        return Err(self.err(d, child, format!("xs:{other} is not supported")));
                    }
                };
                if map.insert(key, (d, child)).is_some() {
                    return Err(self.err(d, child, format!("`{name}` is declared twice")));
                }
            }
        }
        Ok(())
    }

    /// The type a QName names; complex types are allocated and compiled later.
    fn type_ref(&mut self, d: usize, n: &Node, q: &str) -> Result<TypeRef, SchemaError> {
        let (ns, local) = self.qname(q);
        if let Some(t) = self.m.global_type(ns, &local) {
            return Ok(t);
        }
        if let Some(&(sd, sn)) = self.complex_nodes.get(&(ns, local.clone())) {
            let id = self.alloc_complex(Some((ns, local.as_str().into())), sd, sn);
            self.m
                .global_types
                .entry(ns)
                .or_default()
                .insert(local.into(), TypeRef::Complex(id));
            return Ok(TypeRef::Complex(id));
        }
        if let Some(&(sd, sn)) = self.simple_nodes.get(&(ns, local.clone())) {
            if self.simple_in_progress.contains(&(ns, local.clone())) {
                return Err(self.err(d, n, format!("simple type `{local}` derives from itself")));
            }
            self.simple_in_progress.push((ns, local.clone()));
            let id = self.simple_type(sd, sn, Some((ns, local.as_str().into())))?;
            self.simple_in_progress.pop();
            self.m
                .global_types
                .entry(ns)
                .or_default()
                .insert(local.into(), TypeRef::Simple(id));
            return Ok(TypeRef::Simple(id));
        }
        Err(self.err(d, n, format!("unknown type `{}`", q.replace('\u{1}', ":"))))
    }

    fn simple_ref(&mut self, d: usize, n: &Node, q: &str) -> Result<SimpleId, SchemaError> {
        match self.type_ref(d, n, q)? {
            TypeRef::Simple(s) => Ok(s),
            TypeRef::Complex(_) => {
                Err(self.err(d, n, format!("`{}` is not a simple type", split_q(q).1)))
            }
        }
    }

    fn alloc_complex(
        &mut self,
        name: Option<(NsId, Box<str>)>,
        d: usize,
        n: &'d Node,
    ) -> ComplexId {
        let id = self.m.complex.len() as ComplexId;
        self.m.complex.push(ComplexType {
            name,
            is_abstract: false,
            base: None,
            derivation: Derivation::Restriction,
            content: Content::Empty,
            attrs: vec![],
            any_attr: None,
        });
        self.complex_src.push(Some((d, n)));
        self.complex_state.push(State::Pending);
        self.particles.push(None);
        id
    }

    fn ensure_complex(&mut self, id: ComplexId) -> Result<(), SchemaError> {
        match self.complex_state[id as usize] {
            State::Done => Ok(()),
            State::InProgress => {
                let (d, n) = self.complex_src[id as usize].expect("source of a compiled type");
                Err(self.err(d, n, "a complex type derives from itself"))
            }
            State::Pending => {
                self.complex_state[id as usize] = State::InProgress;
                let (d, n) = self.complex_src[id as usize].expect("source of a pending type");
                self.complex_type(id, d, n)?;
                self.complex_state[id as usize] = State::Done;
                Ok(())
            }
        }
    }

    fn complex_type(&mut self, id: ComplexId, d: usize, n: &'d Node) -> Result<(), SchemaError> {
        let is_abstract = matches!(n.attr("abstract").map(str::trim), Some("true" | "1"));
        let mut mixed = matches!(n.attr("mixed").map(str::trim), Some("true" | "1"));
        let mut base = Some(TypeRef::Complex(self.m.any_type));
        let mut derivation = Derivation::Restriction;
        let mut attrs: Vec<AttrUse> = Vec::new();
        let mut any_attr: Option<Wildcard> = None;
        let mut particle: Option<Particle> = None;
        let mut content: Option<Content> = None;
        let mut body: Vec<&'d Node> = n.xs_children().collect();
        if let Some(first) = body.first().copied()
            && (first.local == "simpleContent" || first.local == "complexContent")
        {
            let simple = first.local == "simpleContent";
            if first.attr("mixed").is_some() {
                mixed = matches!(first.attr("mixed").map(str::trim), Some("true" | "1"));
            }
            let Some(der) = first.xs_children().next() else {
                return Err(self.err(d, first, "empty xs:simpleContent/xs:complexContent"));
            };
            let Some(bq) = der.attr("base") else {
                return Err(self.err(d, der, "a derivation without a base"));
            };
            let b = self.type_ref(d, der, bq)?;
            base = Some(b);
            derivation = if der.local == "extension" {
                Derivation::Extension
            } else {
                Derivation::Restriction
            };
            if let TypeRef::Complex(bc) = b {
                self.ensure_complex(bc)?;
                let bt = &self.m.complex[bc as usize];
                match derivation {
                    Derivation::Extension => {
                        attrs = bt.attrs.clone();
                        any_attr = bt.any_attr.clone();
                    }
                    Derivation::Restriction => {
                        attrs = bt.attrs.clone();
                    }
                }
            }
            body = der.xs_children().collect();
            if simple {
                let base_simple = match b {
                    TypeRef::Simple(s) => s,
                    TypeRef::Complex(bc) => match self.m.complex[bc as usize].content {
                        Content::Simple(s) => s,
                        _ if bc == self.m.any_type => XS_STRING,
                        _ => {
                            return Err(self.err(
                                d,
                                der,
                                "simpleContent on a base without simple content",
                            ));
                        }
                    },
                };
                let facet_nodes: Vec<&Node> = body
                    .iter()
                    .copied()
                    .filter(|c| {
                        !matches!(
                            c.local.as_str(),
                            "attribute" | "attributeGroup" | "anyAttribute" | "simpleType"
                        )
                    })
                    .collect();
                let s = if derivation == Derivation::Restriction && !facet_nodes.is_empty() {
                    let facets = self.facets(d, &facet_nodes)?;
                    let sid = self.m.simple.len() as SimpleId;
                    self.m.simple.push(SimpleType {
                        name: None,
                        base: Some(base_simple),
                        variety: Variety::Restriction,
                        facets,
                    });
                    sid
                } else {
                    base_simple
                };
                content = Some(Content::Simple(s));
            } else if let (Derivation::Extension, TypeRef::Complex(bc)) = (derivation, b) {
                particle = self.particles[bc as usize].clone();
                if particle.is_none() && bc == self.m.any_type {
                    particle = None;
                }
                if let Content::Elements { mixed: true, .. } = self.m.complex[bc as usize].content {
                    mixed = true;
                }
            }
        }
        let mut own: Option<Particle> = None;
        for c in body {
            match c.local.as_str() {
                "sequence" | "choice" | "all" | "group" => {
                    own = Some(self.particle(d, c)?);
                }
                "attribute" => {
                    let a = self.attribute(d, c)?;
                    self.add_attr(&mut attrs, a, c);
                }
                "attributeGroup" => self.attr_group(d, c, &mut attrs, &mut any_attr)?,
                "anyAttribute" => any_attr = Some(self.wildcard(d, c)?),
                "simpleType" | "enumeration" | "pattern" | "minLength" | "maxLength" | "length"
                | "minInclusive" | "maxInclusive" | "minExclusive" | "maxExclusive"
                | "totalDigits" | "fractionDigits" | "whiteSpace" => {}
                other => {
                    return Err(self.err(
                        d,
                        c,
                        format!("xs:{other} is not supported in a complex type"),
                    ));
                }
            }
        }
        let particle = match (particle, own) {
            (Some(a), Some(b)) => Some(Particle {
                min: 1,
                max: Some(1),
                term: Term::Sequence(vec![a, b]),
            }),
            (a, b) => b.or(a),
        };
        let content = match content {
            Some(c) => c,
            None => match &particle {
                Some(p) => {
                    let model = self.m.models.len() as u32;
                    self.m.models.push(content::compile(p));
                    Content::Elements { model, mixed }
                }
                None if mixed => {
                    let model = self.m.models.len() as u32;
                    self.m.models.push(content::compile(&Particle {
                        min: 1,
                        max: Some(1),
                        term: Term::Sequence(vec![]),
                    }));
                    Content::Elements { model, mixed }
                }
                None => Content::Empty,
            },
        };
        self.particles[id as usize] = particle;
        let t = &mut self.m.complex[id as usize];
        t.is_abstract = is_abstract;
        t.base = base;
        t.derivation = derivation;
        t.content = content;
        t.attrs = attrs;
        t.any_attr = any_attr;
        Ok(())
    }

    /// Adds (or, in a restriction, replaces) an attribute use; `None` is `use="prohibited"`,
    /// which removes the inherited attribute of that name.
    fn add_attr(&self, attrs: &mut Vec<AttrUse>, a: Option<AttrUse>, n: &Node) {
        let Some(a) = a else {
            let name = n
                .attr("name")
                .or_else(|| n.attr("ref").map(|r| split_q(r).1))
                .unwrap_or("");
            attrs.retain(|x| &*x.local != name);
            return;
        };
        if let Some(existing) = attrs
            .iter_mut()
            .find(|x| x.ns == a.ns && x.local == a.local)
        {
            *existing = a;
        } else {
            attrs.push(a);
        }
    }

    fn attr_group(
        &mut self,
        d: usize,
        n: &'d Node,
        attrs: &mut Vec<AttrUse>,
        any_attr: &mut Option<Wildcard>,
    ) -> Result<(), SchemaError> {
        let Some(r) = n.attr("ref") else {
            return Err(self.err(d, n, "a local xs:attributeGroup without ref"));
        };
        let key = self.qname(r);
        let Some(&(gd, gn)) = self.attr_group_nodes.get(&key) else {
            return Err(self.err(d, n, format!("unknown attribute group `{}`", key.1)));
        };
        for c in gn.xs_children() {
            match c.local.as_str() {
                "attribute" => {
                    if let Some(a) = self.attribute(gd, c)? {
                        attrs.retain(|x| !(x.ns == a.ns && x.local == a.local));
                        attrs.push(a);
                    }
                }
                "attributeGroup" => self.attr_group(gd, c, attrs, any_attr)?,
                "anyAttribute" => *any_attr = Some(self.wildcard(gd, c)?),
                other => return Err(self.err(gd, c, format!("xs:{other} in an attribute group"))),
            }
        }
        Ok(())
    }

    /// An attribute use; `Ok(None)` for `use="prohibited"`.
    fn attribute(&mut self, d: usize, n: &'d Node) -> Result<Option<AttrUse>, SchemaError> {
        let required = n.attr("use") == Some("required");
        if n.attr("use") == Some("prohibited") {
            return Ok(None);
        }
        let (ns, local, decl): (NsId, String, &'d Node) = match n.attr("ref") {
            Some(r) => {
                let key = self.qname(r);
                match self.attr_nodes.get(&key) {
                    Some(&(_, g)) => (key.0, key.1, g),
                    None if self.m.ns_uri(key.0) == XML_NS => {
                        // The XML namespace's attributes are built in (types.xsd imports
                        // that namespace without a schemaLocation).
                        let ty = match key.1.as_str() {
                            "lang" => "language",
                            "space" => "NCName",
                            "base" => "anyURI",
                            "id" => "ID",
                            other => {
                                return Err(self.err(
                                    d,
                                    n,
                                    format!("unknown attribute `xml:{other}`"),
                                ));
                            }
                        };
                        let xs = self.intern(XS_NS);
                        let Some(TypeRef::Simple(ty)) = self.m.global_type(xs, ty) else {
                            return Err(self.err(d, n, "built-in types missing"));
                        };
                        let fixed = n.attr("fixed").map(Into::into);
                        return Ok(Some(AttrUse {
                            ns: key.0,
                            local: key.1.into(),
                            ty,
                            required,
                            fixed,
                        }));
                    }
                    None => return Err(self.err(d, n, format!("unknown attribute `{}`", key.1))),
                }
            }
            None => {
                let Some(name) = n.attr("name") else {
                    return Err(self.err(d, n, "an attribute without a name"));
                };
                let qualified = match n.attr("form") {
                    Some(f) => f == "qualified",
                    None => self.docs[d].qualified_attrs,
                };
                let ns = if qualified {
                    self.docs[d].target
                } else {
                    NO_NS
                };
                (ns, name.to_string(), n)
            }
        };
        let ty = if let Some(t) = decl.attr("type") {
            self.simple_ref(d, decl, t)?
        } else if let Some(st) = decl.xs_children().find(|c| c.local == "simpleType") {
            self.simple_type(d, st, None)?
        } else {
            ANY_SIMPLE_TYPE
        };
        let fixed = n.attr("fixed").or(decl.attr("fixed")).map(Into::into);
        Ok(Some(AttrUse {
            ns,
            local: local.into(),
            ty,
            required,
            fixed,
        }))
    }

    fn wildcard(&mut self, d: usize, n: &Node) -> Result<Wildcard, SchemaError> {
        let target = self.docs[d].target;
        let process = match n.attr("processContents").unwrap_or("strict") {
            "strict" => Process::Strict,
            "lax" => Process::Lax,
            "skip" => Process::Skip,
            other => return Err(self.err(d, n, format!("bad processContents `{other}`"))),
        };
        let spec = n.attr("namespace").unwrap_or("##any").trim().to_string();
        let ns = match spec.as_str() {
            "##any" => NsConstraint::Any,
            "##other" => NsConstraint::Not(target),
            list => NsConstraint::List(
                list.split_whitespace()
                    .map(|u| match u {
                        "##targetNamespace" => target,
                        "##local" => NO_NS,
                        uri => self.intern(uri),
                    })
                    .collect(),
            ),
        };
        Ok(Wildcard {
            ns,
            process,
            foreign: vec![],
        })
    }

    fn particle(&mut self, d: usize, n: &'d Node) -> Result<Particle, SchemaError> {
        let (min, max) = occurs(n).map_err(|e| self.err(d, n, e))?;
        let term = match n.local.as_str() {
            "element" => Term::Element(self.local_element(d, n)?),
            "any" => Term::Any(self.wildcard(d, n)?),
            "sequence" | "choice" | "all" => {
                let mut parts = Vec::new();
                for c in n.xs_children() {
                    parts.push(self.particle(d, c)?);
                }
                match n.local.as_str() {
                    "sequence" => Term::Sequence(parts),
                    "choice" => Term::Choice(parts),
                    _ => Term::All(parts),
                }
            }
            "group" => {
                let Some(r) = n.attr("ref") else {
                    return Err(self.err(d, n, "a local xs:group without ref"));
                };
                let key = self.qname(r);
                let Some(&(gd, gn)) = self.group_nodes.get(&key) else {
                    return Err(self.err(d, n, format!("unknown group `{}`", key.1)));
                };
                let Some(body) = gn.xs_children().next() else {
                    return Err(self.err(gd, gn, "an empty xs:group"));
                };
                let inner = self.particle(gd, body)?;
                Term::Sequence(vec![inner])
            }
            other => return Err(self.err(d, n, format!("xs:{other} is not a particle"))),
        };
        Ok(Particle { min, max, term })
    }

    fn global_element(&mut self, ns: NsId, local: &str) -> Option<Result<ElemId, SchemaError>> {
        if let Some(id) = self.m.global_element(ns, local) {
            return Some(Ok(id));
        }
        let &(d, n) = self.elem_nodes.get(&(ns, local.to_string()))?;
        let id = self.m.elements.len() as ElemId;
        let sym = self.sym(local);
        self.m.elements.push(ElementDecl {
            ns,
            local: local.into(),
            sym,
            ty: TypeRef::Complex(self.m.any_type),
            nillable: false,
            is_abstract: false,
            fixed: None,
            substitutes: vec![],
            head: None,
        });
        self.m
            .global_elements
            .entry(ns)
            .or_default()
            .insert(local.into(), id);
        if let Some(h) = n.attr("substitutionGroup") {
            self.heads.push((id, h.to_string(), (d, n)));
        }
        Some(self.fill_element(id, d, n).map(|()| id))
    }

    fn fill_element(&mut self, id: ElemId, d: usize, n: &'d Node) -> Result<(), SchemaError> {
        let ty = if let Some(t) = n.attr("type") {
            Some(self.type_ref(d, n, t)?)
        } else if let Some(c) = n.xs_children().find(|c| c.local == "complexType") {
            let cid = self.alloc_complex(None, d, c);
            Some(TypeRef::Complex(cid))
        } else if let Some(c) = n.xs_children().find(|c| c.local == "simpleType") {
            Some(TypeRef::Simple(self.simple_type(d, c, None)?))
        } else {
            None
        };
        for c in n.xs_children() {
            if matches!(c.local.as_str(), "key" | "keyref" | "unique") {
                return Err(self.err(
                    d,
                    c,
                    format!("identity constraint xs:{} is not supported", c.local),
                ));
            }
        }
        let e = &mut self.m.elements[id as usize];
        match ty {
            Some(t) => e.ty = t,
            None => self.untyped.push(id),
        }
        e.nillable = matches!(n.attr("nillable").map(str::trim), Some("true" | "1"));
        e.is_abstract = matches!(n.attr("abstract").map(str::trim), Some("true" | "1"));
        e.fixed = n.attr("fixed").map(Into::into);
        Ok(())
    }

    fn local_element(&mut self, d: usize, n: &'d Node) -> Result<ElemId, SchemaError> {
        if let Some(r) = n.attr("ref") {
            let (ns, local) = self.qname(r);
            return match self.global_element(ns, &local) {
                Some(r) => r,
                None => Err(self.err(d, n, format!("unknown element `{local}`"))),
            };
        }
        let Some(name) = n.attr("name") else {
            return Err(self.err(d, n, "an element without name or ref"));
        };
        let qualified = match n.attr("form") {
            Some(f) => f == "qualified",
            None => self.docs[d].qualified_elements,
        };
        let ns = if qualified {
            self.docs[d].target
        } else {
            NO_NS
        };
        let id = self.m.elements.len() as ElemId;
        let sym = self.sym(name);
        self.m.elements.push(ElementDecl {
            ns,
            local: name.into(),
            sym,
            ty: TypeRef::Complex(self.m.any_type),
            nillable: false,
            is_abstract: false,
            fixed: None,
            substitutes: vec![],
            head: None,
        });
        self.fill_element(id, d, n)?;
        Ok(id)
    }

    fn facets(&mut self, d: usize, nodes: &[&Node]) -> Result<Facets, SchemaError> {
        let mut f = Facets::default();
        for c in nodes {
            let v = c.attr("value").unwrap_or("");
            let num = |s: &Self| -> Result<usize, SchemaError> {
                v.trim()
                    .parse()
                    .map_err(|_| s.err(d, c, format!("bad facet value `{v}`")))
            };
            match c.local.as_str() {
                "enumeration" => f.enumeration.push(v.into()),
                "pattern" => {
                    let r = xsregex::compile(v).map_err(|e| {
                        self.err(d, c, format!("pattern `{}`: {}", e.pattern, e.message))
                    })?;
                    f.patterns.push((v.into(), r));
                }
                "length" => f.length = Some(num(self)?),
                "minLength" => f.min_length = Some(num(self)?),
                "maxLength" => f.max_length = Some(num(self)?),
                "totalDigits" => f.total_digits = Some(num(self)?),
                "fractionDigits" => f.fraction_digits = Some(num(self)?),
                "minInclusive" => f.min_inclusive = Some(v.trim().into()),
                "maxInclusive" => f.max_inclusive = Some(v.trim().into()),
                "minExclusive" => f.min_exclusive = Some(v.trim().into()),
                "maxExclusive" => f.max_exclusive = Some(v.trim().into()),
                "whiteSpace" => {}
                other => return Err(self.err(d, c, format!("unknown facet xs:{other}"))),
            }
        }
        Ok(f)
    }

    fn simple_type(
        &mut self,
        d: usize,
        n: &'d Node,
        name: Option<(NsId, Box<str>)>,
    ) -> Result<SimpleId, SchemaError> {
        let Some(body) = n.xs_children().next() else {
            return Err(self.err(d, n, "an empty xs:simpleType"));
        };
        let (base, variety, facets) = match body.local.as_str() {
            "restriction" => {
                let base = match body.attr("base") {
                    Some(b) => self.simple_ref(d, body, b)?,
                    None => match body.xs_children().find(|c| c.local == "simpleType") {
                        Some(st) => self.simple_type(d, st, None)?,
                        None => return Err(self.err(d, body, "a restriction without a base")),
                    },
                };
                let facet_nodes: Vec<&Node> = body
                    .xs_children()
                    .filter(|c| c.local != "simpleType")
                    .collect();
                (
                    Some(base),
                    Variety::Restriction,
                    self.facets(d, &facet_nodes)?,
                )
            }
            "list" => {
                let item = match body.attr("itemType") {
                    Some(t) => self.simple_ref(d, body, t)?,
                    None => match body.xs_children().find(|c| c.local == "simpleType") {
                        Some(st) => self.simple_type(d, st, None)?,
                        None => return Err(self.err(d, body, "a list without an item type")),
                    },
                };
                (
                    Some(ANY_SIMPLE_TYPE),
                    Variety::List(item),
                    Facets::default(),
                )
            }
            "union" => {
                let mut members = Vec::new();
                if let Some(mt) = body.attr("memberTypes") {
                    for q in mt.split(' ').filter(|s| !s.is_empty()) {
                        members.push(self.simple_ref(d, body, q)?);
                    }
                }
                for st in body.xs_children().filter(|c| c.local == "simpleType") {
                    members.push(self.simple_type(d, st, None)?);
                }
                (
                    Some(ANY_SIMPLE_TYPE),
                    Variety::Union(members),
                    Facets::default(),
                )
            }
            other => return Err(self.err(d, body, format!("xs:{other} in a simple type"))),
        };
        let id = self.m.simple.len() as SimpleId;
        self.m.simple.push(SimpleType {
            name,
            base,
            variety,
            facets,
        });
        Ok(id)
    }

    fn finish(&mut self) -> Result<(), SchemaError> {
        // Every global element and type in document order, then whatever they reach.
        for d in 0..self.docs.len() {
            let root = self.docs[d].root;
            let target = self.docs[d].target;
            for child in root.xs_children() {
                let Some(name) = child.attr("name") else {
                    continue;
                };
                match child.local.as_str() {
                    "element" => {
                        if let Some(r) = self.global_element(target, name) {
                            r?;
                        }
                    }
                    "complexType" | "simpleType" => {
                        let q = format!("{}\u{1}{name}", self.m.ns_uri(target));
                        self.type_ref(d, child, &q)?;
                    }
                    _ => {}
                }
            }
        }
        loop {
            let pending: Vec<ComplexId> = (0..self.complex_state.len() as ComplexId)
                .filter(|&i| self.complex_state[i as usize] == State::Pending)
                .collect();
            if pending.is_empty() {
                break;
            }
            for id in pending {
                self.ensure_complex(id)?;
            }
        }
        // Substitution groups.
        let heads = std::mem::take(&mut self.heads);
        for (id, h, (d, n)) in &heads {
            let (ns, local) = self.qname(h);
            let head = match self.global_element(ns, &local) {
                Some(r) => r?,
                None => {
                    return Err(self.err(
                        *d,
                        n,
                        format!("unknown substitution group head `{local}`"),
                    ));
                }
            };
            self.m.elements[*id as usize].head = Some(head);
        }
        // Elements without a type take their head's type.
        for _ in 0..8 {
            for &id in &self.untyped.clone() {
                if let Some(h) = self.m.elements[id as usize].head {
                    self.m.elements[id as usize].ty = self.m.elements[h as usize].ty;
                }
            }
        }
        let mut order: Vec<ElemId> = heads.iter().map(|(id, _, _)| *id).collect();
        order.sort_unstable();
        for n in 0..self.m.elements.len() {
            let e = &self.m.elements[n];
            if self.m.global_element(e.ns, &e.local) != Some(n as ElemId) {
                continue;
            }
            let mut subs = Vec::new();
            if !e.is_abstract {
                subs.push(n as ElemId);
            }
            self.m.elements[n].substitutes = subs;
        }
        for &member in &order {
            let mut h = self.m.elements[member as usize].head;
            let mut guard = 0;
            while let Some(head) = h {
                if !self.m.elements[member as usize].is_abstract {
                    self.m.elements[head as usize].substitutes.push(member);
                }
                h = self.m.elements[head as usize].head;
                guard += 1;
                if guard > 100 {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Compiles the given (file name, text) documents.
pub(crate) fn compile(files: &[(&str, &str)]) -> Result<Model, SchemaError> {
    let mut roots = Vec::new();
    for (name, text) in files {
        roots.push(((*name).to_string(), parse_doc(name, text)?));
    }
    let mut c = Compiler {
        docs: Vec::new(),
        m: Model {
            namespaces: vec!["".into()],
            ns_index: [("".into(), NO_NS)].into_iter().collect(),
            elements: vec![],
            global_elements: FxHashMap::default(),
            complex: vec![],
            simple: vec![],
            global_types: FxHashMap::default(),
            models: vec![],
            symbols: FxHashMap::default(),
            any_type: 0,
        },
        elem_nodes: FxHashMap::default(),
        complex_nodes: FxHashMap::default(),
        simple_nodes: FxHashMap::default(),
        group_nodes: FxHashMap::default(),
        attr_group_nodes: FxHashMap::default(),
        attr_nodes: FxHashMap::default(),
        complex_src: vec![],
        complex_state: vec![],
        particles: vec![],
        heads: vec![],
        untyped: vec![],
        simple_in_progress: vec![],
    };
    c.builtins();
    for (name, root) in &roots {
        let target = root.attr("targetNamespace").unwrap_or("");
        let target = c.intern(target);
        c.docs.push(Doc {
            name: name.clone(),
            root,
            target,
            qualified_elements: root.attr("elementFormDefault") == Some("qualified"),
            qualified_attrs: root.attr("attributeFormDefault") == Some("qualified"),
        });
    }
    for d in 0..c.docs.len() {
        for child in c.docs[d].root.xs_children() {
            if matches!(child.local.as_str(), "import" | "include")
                && let Some(loc) = child.attr("schemaLocation")
            {
                let file = loc.rsplit('/').next().unwrap_or(loc);
                if !c
                    .docs
                    .iter()
                    .any(|x| x.name.rsplit('/').next() == Some(file))
                {
                    return Err(c.err(d, child, format!("`{loc}` is not among the schema files")));
                }
            }
        }
    }
    c.register()?;
    c.finish()?;
    content::fill_keys(&mut c.m);
    Ok(c.m)
}
