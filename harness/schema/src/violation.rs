//! What a schema violation is, and its two wordings: [`Violation`]'s `Display` for server and
//! client implementers (path, position, what was found and what was expected, with `t:`
//! for the types namespace and no prefix for the messages and SOAP namespaces), and
//! [`Violation::exchange_text`], the .NET `XmlSchemaValidationException` text Exchange puts in
//! the `Violation` detail of an `ErrorSchemaValidation` fault.

use std::fmt;

/// The EWS messages namespace.
pub const MESSAGES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// The EWS types namespace.
pub const TYPES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

/// A namespace-qualified name, or a wildcard (`local` empty, `ns` the wildcard's namespace
/// constraint such as `##other`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    pub ns: String,
    pub local: String,
}

impl Name {
    pub fn new(ns: &str, local: &str) -> Self {
        Name {
            ns: ns.to_string(),
            local: local.to_string(),
        }
    }

    pub(crate) fn wildcard(constraint: String) -> Self {
        Name {
            ns: constraint,
            local: String::new(),
        }
    }

    pub fn is_wildcard(&self) -> bool {
        self.local.is_empty()
    }

    /// .NET's qualified form, `namespace:local` (or `local` without a namespace).
    pub fn dotnet(&self) -> String {
        if self.ns.is_empty() {
            self.local.clone()
        } else {
            format!("{}:{}", self.ns, self.local)
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_wildcard() {
            return write!(f, "any element ({})", self.ns);
        }
        match self.ns.as_str() {
            "" | MESSAGES_NS | crate::validator::SOAP11_NS | crate::validator::SOAP12_NS => {
                write!(f, "{}", self.local)
            }
            TYPES_NS => write!(f, "t:{}", self.local),
            crate::model::XSI_NS => write!(f, "xsi:{}", self.local),
            ns => write!(f, "{{{ns}}}{}", self.local),
        }
    }
}

/// One violation of the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// 1-based line of the offending markup.
    pub line: u32,
    /// 1-based column (in characters) of the offending markup.
    pub col: u32,
    /// Where: `/Envelope/Body/GetFolder/FolderShape` (the element whose content or attributes
    /// are wrong; for an unexpected child, its parent).
    pub path: String,
    pub kind: ViolationKind,
}

/// What is wrong. New kinds may be added: match with a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViolationKind {
    /// A child element the content model does not allow at this point.
    UnexpectedElement {
        parent: Name,
        child: Name,
        /// The previous child element, if any.
        after: Option<Name>,
        /// The elements that could come here, in schema order.
        expected: Vec<Name>,
    },
    /// The element ended while a required child was still missing.
    IncompleteContent {
        element: Name,
        after: Option<Name>,
        expected: Vec<Name>,
    },
    /// A child element in an element whose type has empty or simple content.
    ChildNotAllowed {
        parent: Name,
        child: Name,
        /// `empty` or `text only`.
        model: &'static str,
    },
    /// Non-whitespace text in element-only or empty content.
    TextNotAllowed {
        element: Name,
        /// `element-only` or `empty`.
        model: &'static str,
        /// The text is only white space (which empty content does not admit either).
        whitespace: bool,
    },
    /// A root, Body or Header element (or a strict wildcard's element) with no declaration.
    UndeclaredElement {
        element: Name,
    },
    /// An abstract element (a substitution group head such as `t:Path`) used as such.
    AbstractElement {
        element: Name,
        /// The elements that may stand in its place.
        substitutes: Vec<Name>,
    },
    /// An element whose (possibly `xsi:type`) type is abstract.
    AbstractType {
        element: Name,
        ty: String,
    },
    BadXsiType {
        element: Name,
        value: String,
        /// The type exists (but does not derive from the declared type).
        known: bool,
        reason: String,
    },
    NotNillable {
        element: Name,
    },
    NilWithContent {
        element: Name,
    },
    UndeclaredAttribute {
        element: Name,
        attribute: Name,
    },
    MissingAttribute {
        element: Name,
        attribute: Name,
    },
    InvalidAttributeValue {
        element: Name,
        attribute: Name,
        value: String,
        /// `namespace:Type` of the attribute's declared type.
        datatype: String,
        /// .NET's reason (`The Enumeration constraint failed.`).
        dotnet: String,
        /// The reason in plain words.
        plain: String,
    },
    InvalidElementValue {
        element: Name,
        value: String,
        datatype: String,
        dotnet: String,
        plain: String,
    },
    /// A value differing from the schema's `fixed` value.
    FixedValue {
        element: Name,
        attribute: Option<Name>,
        value: String,
        fixed: String,
    },
}

fn list(names: &[Name]) -> String {
    let shown: Vec<String> = names.iter().take(20).map(|n| n.to_string()).collect();
    let more = if names.len() > 20 {
        format!(" (and {} more)", names.len() - 20)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

fn expected_words(expected: &[Name]) -> String {
    match expected.len() {
        0 => "no more child elements are allowed here".to_string(),
        1 => format!("expected {}", expected[0]),
        _ => format!("expected one of {}", list(expected)),
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: ", self.line, self.col, self.path)?;
        match &self.kind {
            ViolationKind::UnexpectedElement {
                child,
                after,
                expected,
                ..
            } => {
                write!(f, "unexpected {child}")?;
                match after {
                    Some(a) => write!(f, " after {a}")?,
                    None => write!(f, " as the first child")?,
                }
                write!(f, "; {}", expected_words(expected))
            }
            ViolationKind::IncompleteContent {
                after, expected, ..
            } => {
                write!(f, "incomplete content")?;
                if let Some(a) = after {
                    write!(f, " after {a}")?;
                }
                match expected.len() {
                    0 => Ok(()),
                    1 => write!(f, "; {} is required", expected[0]),
                    _ => write!(f, "; expected one of {}", list(expected)),
                }
            }
            ViolationKind::ChildNotAllowed { child, model, .. } => {
                write!(
                    f,
                    "child element {child} is not allowed: the content of this type is {model}"
                )
            }
            ViolationKind::TextNotAllowed {
                model,
                whitespace: false,
                ..
            } => {
                write!(
                    f,
                    "text is not allowed: the content of this type is {model}"
                )
            }
            ViolationKind::TextNotAllowed {
                model,
                whitespace: true,
                ..
            } => {
                write!(
                    f,
                    "white space is not allowed: the content of this type is {model} (write the element as <x/> or <x></x>)"
                )
            }
            ViolationKind::UndeclaredElement { element } => {
                write!(f, "{element} is not an element the schema declares")
            }
            ViolationKind::AbstractElement {
                element,
                substitutes,
            } => {
                write!(f, "{element} is abstract; use one of {}", list(substitutes))
            }
            ViolationKind::AbstractType { ty, .. } => {
                write!(
                    f,
                    "the type {ty} is abstract; name a derived type with xsi:type"
                )
            }
            ViolationKind::BadXsiType { value, reason, .. } => {
                write!(f, "xsi:type=\"{value}\" is not usable here: {reason}")
            }
            ViolationKind::NotNillable { .. } => {
                write!(f, "xsi:nil is set but the element is not nillable")
            }
            ViolationKind::NilWithContent { .. } => {
                write!(f, "the element has xsi:nil=\"true\" and must be empty")
            }
            ViolationKind::UndeclaredAttribute { attribute, .. } => {
                write!(f, "attribute {attribute} is not declared for this element")
            }
            ViolationKind::MissingAttribute { attribute, .. } => {
                write!(f, "required attribute {attribute} is missing")
            }
            ViolationKind::InvalidAttributeValue {
                attribute, plain, ..
            } => {
                write!(f, "attribute {attribute}: {plain}")
            }
            ViolationKind::InvalidElementValue { plain, .. } => write!(f, "invalid value: {plain}"),
            ViolationKind::FixedValue {
                attribute,
                value,
                fixed,
                ..
            } => match attribute {
                Some(a) => write!(
                    f,
                    "attribute {a} is '{value}' but the schema fixes it to '{fixed}'"
                ),
                None => write!(
                    f,
                    "the value is '{value}' but the schema fixes it to '{fixed}'"
                ),
            },
        }
    }
}

/// .NET's `'local' in namespace 'ns'`, or `'local'` for an element in no namespace.
fn element_name(n: &Name) -> String {
    if n.ns.is_empty() {
        format!("'{}'", n.local)
    } else {
        format!("'{}' in namespace '{}'", n.local, n.ns)
    }
}

/// .NET's "List of possible elements expected: 'A, B' in namespace 'X' as well as 'C' in
/// namespace 'Y'." (consecutive names of one namespace grouped).
fn dotnet_expected(expected: &[Name]) -> String {
    if expected.is_empty() {
        return String::new();
    }
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    let mut wildcards = Vec::new();
    for n in expected {
        if n.is_wildcard() {
            wildcards.push(n.ns.clone());
            continue;
        }
        match groups.last_mut() {
            Some((ns, names)) if *ns == n.ns => names.push(&n.local),
            _ => groups.push((n.ns.clone(), vec![&n.local])),
        }
    }
    let mut parts: Vec<String> = groups
        .iter()
        .map(|(ns, names)| {
            if ns.is_empty() {
                format!("'{}'", names.join(", "))
            } else {
                format!("'{}' in namespace '{ns}'", names.join(", "))
            }
        })
        .collect();
    for w in wildcards {
        parts.push(format!("any element in namespace '{w}'"));
    }
    format!(
        " List of possible elements expected: {}.",
        parts.join(" as well as ")
    )
}

impl Violation {
    /// The text Exchange (.NET `XmlSchema` validation) gives for this violation, as it appears
    /// in the `Violation` detail of an `ErrorSchemaValidation` fault.
    pub fn exchange_text(&self) -> String {
        match &self.kind {
            ViolationKind::UnexpectedElement { parent, child, expected, .. } => format!(
                "The element {} has invalid child element {}.{}",
                element_name(parent),
                element_name(child),
                dotnet_expected(expected)
            ),
            ViolationKind::IncompleteContent { element, expected, .. } => format!(
                "The element {} has incomplete content.{}",
                element_name(element),
                dotnet_expected(expected)
            ),
            ViolationKind::ChildNotAllowed { parent, child, model } => format!(
                "The element '{}' cannot contain child element '{}' because the parent element's content model is {model}.",
                parent.dotnet(),
                child.dotnet()
            ),
            ViolationKind::TextNotAllowed { element, model, whitespace: false } => format!(
                "The element '{}' cannot contain text. Content model is {model}.",
                element.dotnet()
            ),
            ViolationKind::TextNotAllowed { model, whitespace: true, .. } => {
                format!("The element cannot contain white space. Content model is {model}.")
            }
            ViolationKind::UndeclaredElement { element } => {
                format!("The '{}' element is not declared.", element.dotnet())
            }
            ViolationKind::AbstractElement { element, .. } => format!(
                "The element '{}' is abstract or its type is abstract.",
                element.dotnet()
            ),
            ViolationKind::AbstractType { element, .. } => format!(
                "The element '{}' is abstract or its type is abstract.",
                element.dotnet()
            ),
            ViolationKind::BadXsiType { value, known: false, .. } => {
                format!("This is an invalid xsi:type '{value}'.")
            }
            ViolationKind::BadXsiType { element, value, known: true, .. } => format!(
                "The xsi:type attribute value '{value}' is not valid for the element '{}', either because it is not a type validly derived from the type in the schema, or because it has xsi:type derivation blocked.",
                element.dotnet()
            ),
            ViolationKind::NotNillable { .. } => "If the 'nillable' attribute is false in the schema, the 'xsi:nil' attribute must not be present in the instance.".to_string(),
            ViolationKind::NilWithContent { element } => format!(
                "Element '{}' must have no character or element children.",
                element.dotnet()
            ),
            ViolationKind::UndeclaredAttribute { attribute, .. } => {
                format!("The '{}' attribute is not declared.", attribute.dotnet())
            }
            ViolationKind::MissingAttribute { attribute, .. } => {
                format!("The required attribute '{}' is missing.", attribute.dotnet())
            }
            ViolationKind::InvalidAttributeValue { attribute, value, datatype, dotnet, .. } => format!(
                "The '{}' attribute is invalid - The value '{value}' is invalid according to its datatype '{datatype}' - {dotnet}",
                attribute.dotnet()
            ),
            ViolationKind::InvalidElementValue { element, value, datatype, dotnet, .. } => format!(
                "The '{}' element is invalid - The value '{value}' is invalid according to its datatype '{datatype}' - {dotnet}",
                element.dotnet()
            ),
            ViolationKind::FixedValue { element, attribute, .. } => match attribute {
                Some(a) => format!("The value of the '{}' attribute does not equal its fixed value.", a.dotnet()),
                None => format!("The value of the '{}' element does not equal its fixed value.", element.dotnet()),
            },
        }
    }

    /// The element the violation is in (for an unexpected child: the parent), as a name.
    pub fn element(&self) -> &Name {
        match &self.kind {
            ViolationKind::UnexpectedElement { parent, .. }
            | ViolationKind::ChildNotAllowed { parent, .. } => parent,
            ViolationKind::IncompleteContent { element, .. }
            | ViolationKind::TextNotAllowed { element, .. }
            | ViolationKind::UndeclaredElement { element }
            | ViolationKind::AbstractElement { element, .. }
            | ViolationKind::AbstractType { element, .. }
            | ViolationKind::BadXsiType { element, .. }
            | ViolationKind::NotNillable { element }
            | ViolationKind::NilWithContent { element }
            | ViolationKind::UndeclaredAttribute { element, .. }
            | ViolationKind::MissingAttribute { element, .. }
            | ViolationKind::InvalidAttributeValue { element, .. }
            | ViolationKind::InvalidElementValue { element, .. }
            | ViolationKind::FixedValue { element, .. } => element,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unexpected(child: Name, expected: Vec<Name>) -> Violation {
        Violation {
            line: 3,
            col: 5,
            path: "/GetFolder".into(),
            kind: ViolationKind::UnexpectedElement {
                parent: Name::new(MESSAGES_NS, "GetFolder"),
                child,
                after: Some(Name::new(MESSAGES_NS, "FolderShape")),
                expected,
            },
        }
    }

    #[test]
    fn dotnet_names_elements_without_namespace_and_groups_namespaces() {
        let v = unexpected(
            Name::new("", "Bare"),
            vec![
                Name::new(MESSAGES_NS, "FolderIds"),
                Name::new(MESSAGES_NS, "Other"),
                Name::new(TYPES_NS, "FolderId"),
                Name::wildcard("##other".into()),
            ],
        );
        assert_eq!(
            v.exchange_text(),
            format!(
                "The element 'GetFolder' in namespace '{MESSAGES_NS}' has invalid child element 'Bare'. \
                 List of possible elements expected: 'FolderIds, Other' in namespace '{MESSAGES_NS}' as well as \
                 'FolderId' in namespace '{TYPES_NS}' as well as any element in namespace '##other'."
            )
        );
        assert_eq!(
            v.to_string(),
            "3:5: /GetFolder: unexpected Bare after FolderShape; expected one of FolderIds, Other, t:FolderId, any element (##other)"
        );
    }

    #[test]
    fn nothing_expected_means_no_list() {
        let v = unexpected(Name::new(TYPES_NS, "Extra"), vec![]);
        assert_eq!(
            v.exchange_text(),
            format!(
                "The element 'GetFolder' in namespace '{MESSAGES_NS}' has invalid child element 'Extra' in namespace '{TYPES_NS}'."
            )
        );
        assert!(v.to_string().ends_with(
            "unexpected t:Extra after FolderShape; no more child elements are allowed here"
        ));
    }
}
