//! # ews-schema: Microsoft's EWS schema as a validator
//!
//! The crate embeds Microsoft's `messages.xsd` and `types.xsd` unmodified (in `xsd/`, see the
//! README there for their origin and version), compiles them once into a [`Schema`] and
//! validates SOAP envelopes, bare EWS elements, or event streams from a caller's own parser.
//!
//! ```
//! let schema = ews_schema::Schema::ews();
//! let xml = br#"<m:GetFolder xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
//!     xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
//!   <m:FolderShape><t:BaseShape>Everything</t:BaseShape></m:FolderShape>
//!   <m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds>
//! </m:GetFolder>"#;
//! let violations = schema.validate_document(xml).unwrap();
//! assert_eq!(violations.len(), 1);
//! assert_eq!(
//!     violations[0].to_string(),
//!     "3:18: /GetFolder/FolderShape/t:BaseShape: invalid value: 'Everything' is not one of \
//!      the values of t:DefaultShapeNamesType: IdOnly, Default, AllProperties, PcxPeopleSearch"
//! );
//! ```
//!
//! Modules: `xsd` compiles schema documents into the `model`; `content` owns content models
//! and their automata; `simple` the datatypes and facets; `xsregex` the XSD regex dialect;
//! `validator` the event-level validation; `violation` the violation type and its wordings;
//! `xmlread` the XML reader used for schema and instance documents.

mod content;
mod model;
mod simple;
#[doc(hidden)]
pub mod testing;
mod validator;
mod violation;
mod xmlread;
mod xsd;
pub mod xsregex;

use std::fmt;
use std::sync::OnceLock;

pub use model::{XMLNS_NS, XS_NS, XSI_NS};
pub use validator::{MAX_VIOLATIONS, SOAP11_NS, SOAP12_NS, Validator};
pub use violation::{MESSAGES_NS, Name, TYPES_NS, Violation, ViolationKind};
pub use xsd::SchemaError;

/// The schema files as shipped in `xsd/` (Microsoft's, unmodified).
pub const MESSAGES_XSD: &str = include_str!("../xsd/messages.xsd");
/// See [`MESSAGES_XSD`].
pub const TYPES_XSD: &str = include_str!("../xsd/types.xsd");
/// The WSDL that goes with them (not compiled; for reference and operation lists).
pub const SERVICES_WSDL: &str = include_str!("../xsd/Services.wsdl");

/// An attribute as a caller's parser reports it: namespace URI (empty for none), local name,
/// value with references resolved. Namespace declarations use [`XMLNS_NS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    pub ns: &'a str,
    pub local: &'a str,
    pub value: &'a str,
}

/// A document that is not well-formed XML, with the 1-based position of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for InputError {}

/// A compiled schema.
#[derive(Debug)]
pub struct Schema {
    pub(crate) model: model::Model,
    versions: Vec<&'static str>,
}

static EWS: OnceLock<Schema> = OnceLock::new();

/// A `'static` copy of a version string, shared by every compiled schema (so memory is bounded
/// by the distinct strings, however many schemas a test compiles).
fn intern(s: &str) -> &'static str {
    static SEEN: OnceLock<std::sync::Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = seen.iter().find(|x| **x == s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    seen.push(leaked);
    leaked
}

impl Schema {
    /// The EWS schema (messages.xsd + types.xsd), compiled on first use.
    pub fn ews() -> &'static Schema {
        EWS.get_or_init(|| {
            Schema::compile(&[("messages.xsd", MESSAGES_XSD), ("types.xsd", TYPES_XSD)])
                .unwrap_or_else(|e| panic!("the embedded EWS schema does not compile: {e}"))
        })
    }

    /// Compiles schema documents, given as (file name, text); imports and includes with a
    /// `schemaLocation` must name one of the files.
    pub fn compile(files: &[(&str, &str)]) -> Result<Schema, SchemaError> {
        let model = xsd::compile(files)?;
        let mut versions_owned = Vec::new();
        if let Some(types) = model.ns_id(TYPES_NS)
            && let Some(model::TypeRef::Simple(s)) = model.global_type(types, "ExchangeVersionType")
        {
            versions_owned = model.simple[s as usize]
                .facets
                .enumeration
                .iter()
                .map(|v| v.to_string())
                .collect();
        }
        let versions = versions_owned.iter().map(|v| intern(v)).collect();
        Ok(Schema { model, versions })
    }

    /// The values of `t:ExchangeVersionType` in schema order (`Exchange2007` ... `V2018_01_08`).
    pub fn exchange_versions(&self) -> &[&str] {
        &self.versions
    }

    /// Whether `local` names a request element of the messages namespace (an element whose type
    /// derives from `m:BaseRequestType`, like `GetFolder`).
    pub fn is_operation_request(&self, local: &str) -> bool {
        let m = &self.model;
        let Some(ns) = m.ns_id(MESSAGES_NS) else {
            return false;
        };
        let (Some(e), Some(base)) = (
            m.global_element(ns, local),
            m.global_type(ns, "BaseRequestType"),
        ) else {
            return false;
        };
        m.derives_from(m.elements[e as usize].ty, base)
    }

    /// The local names of the child elements complex type `{ns}type_local` allows (inherited
    /// ones first, as an extension's content model has them), in schema order, each once; empty
    /// when there is no such type or it has no element content. Used to write an element's
    /// children in the order its `xs:sequence` demands.
    pub fn child_order(&self, ns: &str, type_local: &str) -> Vec<String> {
        let m = &self.model;
        let Some(model::TypeRef::Complex(c)) =
            m.ns_id(ns).and_then(|ns| m.global_type(ns, type_local))
        else {
            return Vec::new();
        };
        let model::Content::Elements { model, .. } = m.complex[c as usize].content else {
            return Vec::new();
        };
        let elements: Vec<u32> = match &m.models[model as usize] {
            content::ContentModel::Automaton(a) => a
                .labels
                .iter()
                .filter_map(|l| match l {
                    content::Label::Element(e) => Some(*e),
                    content::Label::Any(_) => None,
                })
                .collect(),
            content::ContentModel::All { members, .. } => members.iter().map(|(e, _)| *e).collect(),
        };
        let mut names: Vec<String> = Vec::new();
        for e in elements {
            let local = &m.elements[e as usize].local;
            if !names.iter().any(|n| n.as_str() == &**local) {
                names.push(local.to_string());
            }
        }
        names
    }

    /// Validates a whole document: a SOAP envelope (its Header entries and Body children are
    /// validated, the envelope's structure checked) or a bare element of a schema namespace.
    pub fn validate_document(&self, xml: &[u8]) -> Result<Vec<Violation>, InputError> {
        let text = std::str::from_utf8(xml).map_err(|e| {
            let before = &xml[..e.valid_up_to()];
            let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let col = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count() as u32
                + 1;
            InputError {
                line,
                col,
                message: "the document is not UTF-8".into(),
            }
        })?;
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let mut v = Validator::new(self);
        xmlread::read(text, |ev| match ev {
            xmlread::Ev::Start {
                ns,
                local,
                attrs,
                line,
                col,
            } => v.start(ns, local, attrs, line, col),
            xmlread::Ev::Text(t) => v.text(t),
            xmlread::Ev::End => v.end(),
        })?;
        Ok(v.finish())
    }
}

#[cfg(test)]
mod child_order_tests {
    use super::*;

    #[test]
    fn message_fields_come_in_schema_order_after_the_item_fields() {
        let order = Schema::ews().child_order(TYPES_NS, "MessageType");
        let at = |name: &str| order.iter().position(|n| n == name);
        assert_eq!(order.first().map(String::as_str), Some("MimeContent"));
        assert!(at("Subject") < at("Body"));
        assert!(at("LastModifiedTime") < at("Sender"));
        assert!(at("Sender") < at("ToRecipients"));
        assert!(at("BccRecipients") < at("From"));
        assert!(at("InternetMessageId") < at("IsRead"));
        assert!(at("IsRead") < at("ReplyTo"));
        assert!(Schema::ews().child_order(TYPES_NS, "NoSuchType").is_empty());
    }
}
