//! Request validation: the one place that decides whether an operation's body element is valid
//! against its schema, and the typed access ([`RequestView`]) to an element that passed.
//!
//! Each operation's request type is an `xs:sequence` of elements in the messages namespace,
//! given as a table of [`Particle`]s in the operation's own file (facts from messages.xsd /
//! types.xsd). Checked: element namespace and name, order, required children, repetitions,
//! `NonEmptyStringType` (at least one character), `xs:boolean` (`true`, `false`, `1`, `0`),
//! `ItemIdType` (required `Id`, optional `ChangeKey`, no content), the id arrays of GetImItems
//! (`t:ItemId`; `t:OccurrenceItemId`, `t:RecurringMasterItemId` and
//! `t:RecurringMasterItemIdRanges` are accepted and ignored), and `t:ExtendedProperty` paths
//! (`PropertyType` required). Undeclared attributes in no namespace are violations; attributes in
//! other namespaces (`xsi:`, `soap:`) are ignored.
//!
//! These hand tables are to be replaced by the XSD engine (crate `ews-schema`): [`validate`] is
//! the only function to change, as long as it still returns a [`RequestView`] of the body that
//! every operation builds its typed request from.

use super::render::{MESSAGES_NS, TYPES_NS};
use super::xml_tree::{Element, Violation};

/// Content type of a request child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// `t:NonEmptyStringType`.
    NonEmptyString,
    /// `xs:boolean`.
    Boolean,
    /// `t:ItemIdType` (`Id`, `ChangeKey`, no content).
    ItemId,
    /// `t:NonEmptyArrayOfBaseItemIdsType`.
    BaseItemIds,
    /// `t:NonEmptyArrayOfPathsToElementType` holding `t:ExtendedProperty` paths.
    ExtendedFieldUris,
    /// Element content this table does not check (the folder operations' complex types): the
    /// XSD engine validates it against messages.xsd; the operation reads it through
    /// [`RequestView::element`] and stays robust to anything schema-valid.
    Any,
}

/// One element of a request sequence (every one occurs at most once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Particle {
    /// Local name, in the messages namespace.
    pub name: &'static str,
    /// `minOccurs`: 0 or 1.
    pub min: u32,
    pub content: Content,
}

impl Particle {
    /// A child that must occur once.
    pub const fn required(name: &'static str, content: Content) -> Particle {
        Particle {
            name,
            min: 1,
            content,
        }
    }

    /// A child that may occur once.
    pub const fn optional(name: &'static str, content: Content) -> Particle {
        Particle {
            name,
            min: 0,
            content,
        }
    }
}

/// An `ItemIdType` value from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRef {
    pub id: String,
    pub change_key: Option<String>,
}

/// A `t:ExtendedProperty` path (`PathToExtendedFieldType`) asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedFieldUri {
    /// `(name, value)` of the attributes given, in request order.
    pub attributes: Vec<(String, String)>,
}

impl ExtendedFieldUri {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn names_list(ns: &str, names: &[&str]) -> String {
    format!(
        "List of possible elements expected: '{}' in namespace '{ns}'.",
        names.join(", ")
    )
}

fn reject_text(element: &Element, kind: &str) -> Result<(), Violation> {
    if element.text.trim().is_empty() {
        Ok(())
    } else {
        Err(Violation::at(
            element.position,
            format!(
                "The element '{}' cannot contain text. Content model is {kind}.",
                element.qualified()
            ),
        ))
    }
}

fn check_attributes(element: &Element, allowed: &[&str]) -> Result<(), Violation> {
    for attr in &element.attrs {
        if attr.ns.is_empty() && !allowed.contains(&attr.local.as_str()) {
            return Err(Violation::at(
                element.position,
                format!("The '{}' attribute is not declared.", attr.local),
            ));
        }
    }
    Ok(())
}

/// Validates `body` (the element inside `soap:Body`) against the operation's request type.
/// Validates an operation's body element against its request sequence.
pub fn validate<'a>(
    particles: &'static [Particle],
    body: &'a Element,
) -> Result<RequestView<'a>, Violation> {
    let any_attributes = particles.iter().any(|p| p.content == Content::Any);
    if !any_attributes {
        check_attributes(body, &[])?;
    }
    reject_text(body, "element-only")?;
    let mut found: Vec<Option<&Element>> = vec![None; particles.len()];
    let mut next = 0usize;
    for child in &body.children {
        let expected: Vec<&str> = particles[next.min(particles.len())..]
            .iter()
            .scan(true, |open, p| {
                // List the particles up to and including the first required one.
                if !*open {
                    return None;
                }
                *open = p.min == 0;
                Some(p.name)
            })
            .collect();
        let index = if child.ns == MESSAGES_NS {
            particles
                .iter()
                .enumerate()
                .skip(next)
                .find(|(_, p)| p.name == child.local)
                .map(|(i, _)| i)
        } else {
            None
        };
        let skipped_required = index
            .map(|i| particles[next..i].iter().any(|p| p.min > 0))
            .unwrap_or(false);
        match index {
            Some(i) if !skipped_required => {
                found[i] = Some(child);
                next = i + 1;
            }
            _ => {
                let hint = if expected.is_empty() {
                    String::new()
                } else {
                    format!(" {}", names_list(MESSAGES_NS, &expected))
                };
                return Err(Violation::at(
                    child.position,
                    format!(
                        "The element '{}' in namespace '{MESSAGES_NS}' has invalid child element '{}' in namespace '{}'.{hint}",
                        body.local, child.local, child.ns
                    ),
                ));
            }
        }
    }
    let missing: Vec<&str> = particles
        .iter()
        .zip(&found)
        .filter(|(p, f)| p.min > 0 && f.is_none())
        .map(|(p, _)| p.name)
        .collect();
    if let Some(first) = missing.first() {
        return Err(Violation::at(
            body.position,
            format!(
                "The element '{}' in namespace '{MESSAGES_NS}' has incomplete content. {}",
                body.local,
                names_list(MESSAGES_NS, &[first])
            ),
        ));
    }
    for (particle, element) in particles.iter().zip(&found) {
        if let Some(element) = element {
            check_content(particle.content, element)?;
        }
    }
    Ok(RequestView { body })
}

/// Typed access to a body element that [`validate`] accepted: only `validate` makes one, so an
/// operation reading its request through a view never sees an invalid one. Accessors take the
/// local name of a child in the messages namespace; a child the schema lets be absent gives the
/// empty value.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    body: &'a Element,
}

impl<'a> RequestView<'a> {
    fn child(&self, name: &str) -> Option<&'a Element> {
        self.body.children.iter().find(|c| c.is(MESSAGES_NS, name))
    }

    /// The child element itself, for operations that read complex content.
    pub fn element(&self, name: &str) -> Option<&'a Element> {
        self.child(name)
    }

    /// The body element (its attributes, such as `Traversal` or `DestinationFormat`).
    pub fn body(&self) -> &'a Element {
        self.body
    }

    /// Text of a required string child.
    pub fn text(&self, name: &str) -> String {
        self.opt_text(name).unwrap_or_default()
    }

    /// Text of an optional string child.
    pub fn opt_text(&self, name: &str) -> Option<String> {
        self.child(name).map(|e| e.text.clone())
    }

    /// A required `ItemIdType` child.
    pub fn id(&self, name: &str) -> IdRef {
        self.opt_id(name).unwrap_or(IdRef {
            id: String::new(),
            change_key: None,
        })
    }

    /// An optional `ItemIdType` child.
    pub fn opt_id(&self, name: &str) -> Option<IdRef> {
        self.child(name).map(item_id)
    }

    /// The `t:ItemId`s of an id-array child (other id kinds are skipped).
    pub fn item_ids(&self, name: &str) -> Vec<IdRef> {
        self.child(name)
            .map(|e| {
                e.children
                    .iter()
                    .filter(|c| c.is(TYPES_NS, "ItemId"))
                    .map(item_id)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `t:ExtendedProperty` paths of a paths child.
    pub fn extended_properties(&self, name: &str) -> Vec<ExtendedFieldUri> {
        self.child(name)
            .map(|e| {
                e.children
                    .iter()
                    .map(|c| ExtendedFieldUri {
                        attributes: c
                            .attrs
                            .iter()
                            .filter(|a| a.ns.is_empty())
                            .map(|a| (a.local.clone(), a.value.clone()))
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An `xs:boolean` child (`true`/`1`; absent is false).
    pub fn boolean(&self, name: &str) -> bool {
        matches!(self.text(name).trim(), "true" | "1")
    }
}

fn item_id(element: &Element) -> IdRef {
    IdRef {
        id: element.attr("Id").unwrap_or_default().to_string(),
        change_key: element.attr("ChangeKey").map(str::to_string),
    }
}

fn invalid_value(element: &Element, value: &str, datatype: &str, reason: &str) -> Violation {
    Violation::at(
        element.position,
        format!(
            "The '{}' element is invalid - The value '{value}' is invalid according to its datatype '{datatype}' - {reason}",
            element.qualified()
        ),
    )
}

fn no_children(element: &Element, model: &str) -> Result<(), Violation> {
    match element.children.first() {
        None => Ok(()),
        Some(child) => Err(Violation::at(
            child.position,
            format!(
                "The element '{}' cannot contain child element '{}' because the parent element's content model is {model}.",
                element.qualified(),
                child.qualified()
            ),
        )),
    }
}

fn check_item_id(element: &Element) -> Result<(), Violation> {
    check_empty_element(element, &["Id", "ChangeKey"], "Id")
}

/// An element with no content, only `allowed` attributes, and the attribute `required`.
fn check_empty_element(
    element: &Element,
    allowed: &[&str],
    required: &str,
) -> Result<(), Violation> {
    check_attributes(element, allowed)?;
    no_children(element, "empty")?;
    reject_text(element, "empty")?;
    if element.attr(required).is_none() {
        return Err(Violation::at(
            element.position,
            format!("The required attribute '{required}' is missing."),
        ));
    }
    Ok(())
}

fn check_content(content: Content, element: &Element) -> Result<(), Violation> {
    match content {
        Content::Any => Ok(()),
        Content::NonEmptyString => {
            check_attributes(element, &[])?;
            no_children(element, "text only")?;
            if element.text.is_empty() {
                return Err(invalid_value(
                    element,
                    "",
                    &format!("{TYPES_NS}:NonEmptyStringType"),
                    "The actual length is less than the MinLength value.",
                ));
            }
            Ok(())
        }
        Content::Boolean => {
            check_attributes(element, &[])?;
            no_children(element, "text only")?;
            let value = element.text.trim();
            if matches!(value, "true" | "false" | "1" | "0") {
                Ok(())
            } else {
                Err(invalid_value(
                    element,
                    &element.text,
                    "http://www.w3.org/2001/XMLSchema:boolean",
                    &format!("The string '{value}' is not a valid Boolean value."),
                ))
            }
        }
        Content::ItemId => check_item_id(element),
        Content::BaseItemIds => {
            check_attributes(element, &[])?;
            reject_text(element, "element-only")?;
            let allowed = [
                "ItemId",
                "OccurrenceItemId",
                "RecurringMasterItemId",
                "RecurringMasterItemIdRanges",
            ];
            if element.children.is_empty() {
                return Err(Violation::at(
                    element.position,
                    format!(
                        "The element '{}' in namespace '{MESSAGES_NS}' has incomplete content. {}",
                        element.local,
                        names_list(TYPES_NS, &allowed)
                    ),
                ));
            }
            for child in &element.children {
                if child.ns != TYPES_NS || !allowed.contains(&child.local.as_str()) {
                    return Err(Violation::at(
                        child.position,
                        format!(
                            "The element '{}' in namespace '{MESSAGES_NS}' has invalid child element '{}' in namespace '{}'. {}",
                            element.local,
                            child.local,
                            child.ns,
                            names_list(TYPES_NS, &allowed)
                        ),
                    ));
                }
                if child.local == "ItemId" {
                    check_item_id(child)?;
                }
            }
            Ok(())
        }
        Content::ExtendedFieldUris => {
            check_attributes(element, &[])?;
            reject_text(element, "element-only")?;
            if element.children.is_empty() {
                return Err(Violation::at(
                    element.position,
                    format!(
                        "The element '{}' in namespace '{MESSAGES_NS}' has incomplete content. {}",
                        element.local,
                        names_list(TYPES_NS, &["ExtendedProperty"])
                    ),
                ));
            }
            for child in &element.children {
                if !child.is(TYPES_NS, "ExtendedProperty") {
                    return Err(Violation::at(
                        child.position,
                        format!(
                            "The element '{}' in namespace '{MESSAGES_NS}' has invalid child element '{}' in namespace '{}'. {}",
                            element.local,
                            child.local,
                            child.ns,
                            names_list(TYPES_NS, &["ExtendedProperty"])
                        ),
                    ));
                }
                check_empty_element(
                    child,
                    &[
                        "DistinguishedPropertySetId",
                        "PropertySetId",
                        "PropertyTag",
                        "PropertyName",
                        "PropertyId",
                        "PropertyType",
                    ],
                    "PropertyType",
                )?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::im::add_new_im_contact_to_group::AddNewImContactToGroup;
    use crate::ops::im::set_im_list_migration_completed::SetImListMigrationCompleted;
    use crate::registry::{self, Handler};
    use crate::xml_tree::parse_document;

    fn doc(inner: &str, op: &str) -> Element {
        let xml =
            format!("<m:{op} xmlns:m=\"{MESSAGES_NS}\" xmlns:t=\"{TYPES_NS}\">{inner}</m:{op}>");
        parse_document(xml.as_bytes()).expect("well-formed")
    }

    #[test]
    fn valid_requests_become_typed() {
        let e = doc(
            "<m:ImAddress>sip:a@b</m:ImAddress><m:GroupId Id=\"x\" ChangeKey=\"k\"/>",
            "AddNewImContactToGroup",
        );
        let view = validate(AddNewImContactToGroup::REQUEST, &e).expect("valid");
        assert_eq!(
            AddNewImContactToGroup::view(&view),
            AddNewImContactToGroup {
                im_address: "sip:a@b".into(),
                display_name: None,
                group_id: Some(IdRef {
                    id: "x".into(),
                    change_key: Some("k".into())
                }),
            }
        );
        let e = doc(
            "<m:ImListMigrationCompleted>1</m:ImListMigrationCompleted>",
            "SetImListMigrationCompleted",
        );
        let view = validate(SetImListMigrationCompleted::REQUEST, &e).expect("valid");
        assert_eq!(
            SetImListMigrationCompleted::view(&view),
            SetImListMigrationCompleted { completed: true }
        );
        assert!(registry::find("SetImListMigrationCompleted").is_some());
    }

    #[test]
    fn violations() {
        let cases = [
            ("AddImGroup", "<m:DisplayName></m:DisplayName>", "MinLength"),
            ("AddImGroup", "", "incomplete content"),
            (
                "AddImGroup",
                "<t:DisplayName>x</t:DisplayName>",
                "invalid child",
            ),
            (
                "AddImGroup",
                "<m:DisplayName>x</m:DisplayName><m:Extra/>",
                "invalid child",
            ),
            (
                "RemoveImContactFromGroup",
                "<t:ContactId Id=\"a\"/><m:GroupId Id=\"b\"/>",
                "invalid child",
            ),
            (
                "RemoveImContactFromGroup",
                "<m:GroupId Id=\"b\"/><m:ContactId Id=\"a\"/>",
                "invalid child",
            ),
            ("RemoveImGroup", "<m:GroupId/>", "'Id' is missing"),
            (
                "RemoveImGroup",
                "<m:GroupId Id=\"a\" Foo=\"b\"/>",
                "not declared",
            ),
            (
                "SetImListMigrationCompleted",
                "<m:ImListMigrationCompleted>yes</m:ImListMigrationCompleted>",
                "Boolean",
            ),
            ("GetImItems", "<m:ContactIds/>", "incomplete content"),
            (
                "GetImItemList",
                "<m:ExtendedProperties><t:ExtendedProperty PropertyTag=\"0x3001\"/></m:ExtendedProperties>",
                "PropertyType",
            ),
        ];
        for (op, inner, expect) in cases {
            let e = doc(inner, op);
            let operation = registry::find(op).expect("known op");
            match validate(operation.request, &e) {
                Ok(req) => panic!("{op} {inner}: expected violation, got {req:?}"),
                Err(v) => assert!(v.message.contains(expect), "{op} {inner}: {}", v.message),
            }
        }
    }
}
