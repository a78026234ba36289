//! The compiled schema: element declarations, complex and simple types, content automata.
//!
//! Everything is stored in flat vectors addressed by small integer ids, so a compiled [`Model`]
//! is immutable, `Send + Sync` and cheap to share as `&'static`. Names are (namespace id, local
//! name); namespace ids index [`Model::namespaces`] (id 0 is "no namespace").

use rustc_hash::FxHashMap;

use crate::content::ContentModel;
use crate::simple::SimpleType;

pub(crate) type NsId = u32;
pub(crate) type ElemId = u32;
pub(crate) type ComplexId = u32;
pub(crate) type SimpleId = u32;

/// The namespace id of "no namespace".
pub(crate) const NO_NS: NsId = 0;

/// The XML Schema namespace.
pub const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";
/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`).
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// The namespace of namespace declarations (`xmlns`, `xmlns:p`), as DOM APIs name it.
pub const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// A type an element or attribute refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeRef {
    Simple(SimpleId),
    Complex(ComplexId),
}

#[derive(Debug)]
pub(crate) struct ElementDecl {
    pub ns: NsId,
    pub local: Box<str>,
    /// `local` interned in [`Model::symbols`], for fast matching.
    pub sym: u32,
    pub ty: TypeRef,
    pub nillable: bool,
    pub is_abstract: bool,
    pub fixed: Option<Box<str>>,
    /// For a global element: the elements that may appear in its place (itself first when it is
    /// not abstract, then the members of its substitution group, transitively).
    pub substitutes: Vec<ElemId>,
    /// The substitution group head named in the declaration (resolved after all globals).
    pub head: Option<ElemId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Process {
    Strict,
    Lax,
    Skip,
}

/// Which namespaces a wildcard admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NsConstraint {
    Any,
    /// `##other`: any namespace except this one (the target namespace), and not "no namespace".
    Not(NsId),
    /// A list; unknown namespaces are stored as `u32::MAX` never matching, with their URI kept.
    List(Vec<NsId>),
}

#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    pub ns: NsConstraint,
    pub process: Process,
    /// Namespace URIs named in a list that the schema does not otherwise know.
    pub foreign: Vec<Box<str>>,
}

impl Wildcard {
    /// Whether an item of namespace `ns` (None: a namespace the schema does not know; uri given)
    /// is admitted.
    pub fn admits(&self, ns: Option<NsId>, uri: &str) -> bool {
        match &self.ns {
            NsConstraint::Any => true,
            NsConstraint::Not(target) => ns != Some(*target) && !uri.is_empty(),
            NsConstraint::List(list) => match ns {
                Some(id) => list.contains(&id),
                None => self.foreign.iter().any(|f| &**f == uri),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AttrUse {
    pub ns: NsId,
    pub local: Box<str>,
    pub ty: SimpleId,
    pub required: bool,
    pub fixed: Option<Box<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derivation {
    Extension,
    Restriction,
}

/// What a complex type allows inside.
#[derive(Debug)]
pub(crate) enum Content {
    Empty,
    Simple(SimpleId),
    /// Element content through an automaton (index into [`Model::models`]); `mixed` allows text.
    Elements {
        model: u32,
        mixed: bool,
    },
    /// `xs:anyType`: anything, validated laxly.
    Any,
}

#[derive(Debug)]
pub(crate) struct ComplexType {
    pub name: Option<(NsId, Box<str>)>,
    pub is_abstract: bool,
    pub base: Option<TypeRef>,
    pub derivation: Derivation,
    pub content: Content,
    pub attrs: Vec<AttrUse>,
    pub any_attr: Option<Wildcard>,
}

/// The compiled schema.
#[derive(Debug)]
pub(crate) struct Model {
    pub namespaces: Vec<Box<str>>,
    pub ns_index: FxHashMap<Box<str>, NsId>,
    pub elements: Vec<ElementDecl>,
    /// Global elements by namespace and local name.
    pub global_elements: FxHashMap<NsId, FxHashMap<Box<str>, ElemId>>,
    pub complex: Vec<ComplexType>,
    pub simple: Vec<SimpleType>,
    pub global_types: FxHashMap<NsId, FxHashMap<Box<str>, TypeRef>>,
    pub models: Vec<ContentModel>,
    /// Every element local name the schema declares, interned.
    pub symbols: FxHashMap<Box<str>, u32>,
    /// `xs:anyType`, the type of elements without one.
    pub any_type: ComplexId,
}

impl Model {
    pub fn ns_id(&self, uri: &str) -> Option<NsId> {
        self.ns_index.get(uri).copied()
    }

    pub fn ns_uri(&self, id: NsId) -> &str {
        &self.namespaces[id as usize]
    }

    pub fn global_element(&self, ns: NsId, local: &str) -> Option<ElemId> {
        self.global_elements.get(&ns)?.get(local).copied()
    }

    pub fn global_type(&self, ns: NsId, local: &str) -> Option<TypeRef> {
        self.global_types.get(&ns)?.get(local).copied()
    }

    /// Whether `derived` is `base` or derived from it (by any number of steps).
    pub fn derives_from(&self, derived: TypeRef, base: TypeRef) -> bool {
        let mut current = Some(derived);
        let mut steps = 0;
        while let Some(t) = current {
            if t == base {
                return true;
            }
            if let TypeRef::Complex(b) = base
                && b == self.any_type
            {
                return true;
            }
            current = match t {
                TypeRef::Complex(c) => self.complex[c as usize].base,
                TypeRef::Simple(s) => self.simple[s as usize].base.map(TypeRef::Simple),
            };
            steps += 1;
            if steps > 1000 {
                return false;
            }
        }
        false
    }

    /// `{ns}local` → the name of a type for messages: `ns:Local` (as .NET prints datatypes).
    pub fn type_name(&self, t: TypeRef) -> String {
        match t {
            TypeRef::Complex(c) => match &self.complex[c as usize].name {
                Some((ns, local)) => format!("{}:{}", self.ns_uri(*ns), local),
                None => "anonymous complex type".to_string(),
            },
            TypeRef::Simple(s) => self.simple_type_name(s),
        }
    }

    /// The short name of a simple type for implementers (`t:DefaultShapeNamesType`, `xs:int`).
    pub fn simple_type_short(&self, mut s: SimpleId) -> String {
        loop {
            let st = &self.simple[s as usize];
            if let Some((ns, local)) = &st.name {
                let uri = self.ns_uri(*ns);
                if uri == XS_NS {
                    return format!("xs:{local}");
                }
                return crate::violation::Name::new(uri, local).to_string();
            }
            match st.base {
                Some(b) => s = b,
                None => return "anySimpleType".to_string(),
            }
        }
    }

    /// The name of a simple type, or of its nearest named base for an anonymous one.
    pub fn simple_type_name(&self, mut s: SimpleId) -> String {
        loop {
            let st = &self.simple[s as usize];
            if let Some((ns, local)) = &st.name {
                return format!("{}:{}", self.ns_uri(*ns), local);
            }
            match st.base {
                Some(b) => s = b,
                None => return "anySimpleType".to_string(),
            }
        }
    }
}
