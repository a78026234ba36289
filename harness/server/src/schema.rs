//! The schema facts of the 12 IM-list operations (from messages.xsd / types.xsd), as tables, and
//! the validation of a request body element against them, producing a typed [`ImRequest`].
//!
//! Each request type is an `xs:sequence` of elements in the messages namespace; the table gives
//! their order, cardinality and content type. Checked: element namespace and name, order,
//! required children, repetitions, `NonEmptyStringType` (at least one character), `xs:boolean`
//! (`true`, `false`, `1`, `0`), `ItemIdType` (required `Id`, optional `ChangeKey`, no content),
//! the id arrays of GetImItems (`t:ItemId`; `t:OccurrenceItemId`, `t:RecurringMasterItemId` and
//! `t:RecurringMasterItemIdRanges` are accepted and ignored), and `t:ExtendedProperty` paths
//! (`PropertyType` required). Undeclared attributes in no namespace are violations; attributes in
//! other namespaces (`xsi:`, `soap:`) are ignored.

use super::render::{MESSAGES_NS, TYPES_NS};
use super::soap::{Element, Violation};

/// One of the 12 operations this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImOperation {
    AddImGroup,
    AddNewImContactToGroup,
    AddImContactToGroup,
    RemoveImContactFromGroup,
    RemoveContactFromImList,
    AddDistributionGroupToImList,
    RemoveDistributionGroupFromImList,
    RemoveImGroup,
    SetImGroup,
    GetImItemList,
    GetImItems,
    SetImListMigrationCompleted,
}

impl ImOperation {
    pub const ALL: &'static [ImOperation] = &[
        ImOperation::AddImGroup,
        ImOperation::AddNewImContactToGroup,
        ImOperation::AddImContactToGroup,
        ImOperation::RemoveImContactFromGroup,
        ImOperation::RemoveContactFromImList,
        ImOperation::AddDistributionGroupToImList,
        ImOperation::RemoveDistributionGroupFromImList,
        ImOperation::RemoveImGroup,
        ImOperation::SetImGroup,
        ImOperation::GetImItemList,
        ImOperation::GetImItems,
        ImOperation::SetImListMigrationCompleted,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ImOperation::AddImGroup => "AddImGroup",
            ImOperation::AddNewImContactToGroup => "AddNewImContactToGroup",
            ImOperation::AddImContactToGroup => "AddImContactToGroup",
            ImOperation::RemoveImContactFromGroup => "RemoveImContactFromGroup",
            ImOperation::RemoveContactFromImList => "RemoveContactFromImList",
            ImOperation::AddDistributionGroupToImList => "AddDistributionGroupToImList",
            ImOperation::RemoveDistributionGroupFromImList => "RemoveDistributionGroupFromImList",
            ImOperation::RemoveImGroup => "RemoveImGroup",
            ImOperation::SetImGroup => "SetImGroup",
            ImOperation::GetImItemList => "GetImItemList",
            ImOperation::GetImItems => "GetImItems",
            ImOperation::SetImListMigrationCompleted => "SetImListMigrationCompleted",
        }
    }

    pub fn from_name(name: &str) -> Option<ImOperation> {
        ImOperation::ALL
            .iter()
            .copied()
            .find(|op| op.name() == name)
    }

    /// Oldest `RequestServerVersion` the operation accepts: all were added in Exchange 2013.
    pub fn minimum_version(self) -> &'static str {
        "Exchange2013"
    }

    fn particles(self) -> &'static [Particle] {
        use Content::*;
        macro_rules! seq {
            ($(($name:literal, $min:literal, $content:ident)),* $(,)?) => {{
                const PARTICLES: &[Particle] = &[$(Particle { name: $name, min: $min, content: $content }),*];
                PARTICLES
            }};
        }
        match self {
            ImOperation::AddImGroup => seq![("DisplayName", 1, NonEmptyString)],
            ImOperation::AddNewImContactToGroup => seq![
                ("ImAddress", 1, NonEmptyString),
                ("DisplayName", 0, NonEmptyString),
                ("GroupId", 0, ItemId),
            ],
            ImOperation::AddImContactToGroup => {
                seq![("ContactId", 1, ItemId), ("GroupId", 0, ItemId)]
            }
            ImOperation::RemoveImContactFromGroup => {
                seq![("ContactId", 1, ItemId), ("GroupId", 1, ItemId)]
            }
            ImOperation::RemoveContactFromImList => seq![("ContactId", 1, ItemId)],
            ImOperation::AddDistributionGroupToImList => seq![
                ("SmtpAddress", 1, NonEmptyString),
                ("DisplayName", 1, NonEmptyString),
            ],
            ImOperation::RemoveDistributionGroupFromImList => seq![("GroupId", 1, ItemId)],
            ImOperation::RemoveImGroup => seq![("GroupId", 1, ItemId)],
            ImOperation::SetImGroup => seq![
                ("GroupId", 1, ItemId),
                ("NewDisplayName", 1, NonEmptyString)
            ],
            ImOperation::GetImItemList => seq![("ExtendedProperties", 0, ExtendedFieldUris)],
            ImOperation::GetImItems => seq![
                ("ContactIds", 0, BaseItemIds),
                ("GroupIds", 0, BaseItemIds),
                ("ExtendedProperties", 0, ExtendedFieldUris),
            ],
            ImOperation::SetImListMigrationCompleted => {
                seq![("ImListMigrationCompleted", 1, Boolean)]
            }
        }
    }
}

/// Content type of a request child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    NonEmptyString,
    Boolean,
    ItemId,
    BaseItemIds,
    ExtendedFieldUris,
}

/// One element of a request sequence (every one occurs at most once).
#[derive(Debug, Clone, Copy)]
struct Particle {
    name: &'static str,
    min: u32,
    content: Content,
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

/// A validated IM request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImRequest {
    AddImGroup {
        display_name: String,
    },
    AddNewImContactToGroup {
        im_address: String,
        display_name: Option<String>,
        group_id: Option<IdRef>,
    },
    AddImContactToGroup {
        contact_id: IdRef,
        group_id: Option<IdRef>,
    },
    RemoveImContactFromGroup {
        contact_id: IdRef,
        group_id: IdRef,
    },
    RemoveContactFromImList {
        contact_id: IdRef,
    },
    AddDistributionGroupToImList {
        smtp_address: String,
        display_name: String,
    },
    RemoveDistributionGroupFromImList {
        group_id: IdRef,
    },
    RemoveImGroup {
        group_id: IdRef,
    },
    SetImGroup {
        group_id: IdRef,
        new_display_name: String,
    },
    GetImItemList {
        extended_properties: Vec<ExtendedFieldUri>,
    },
    GetImItems {
        contact_ids: Vec<IdRef>,
        group_ids: Vec<IdRef>,
        extended_properties: Vec<ExtendedFieldUri>,
    },
    SetImListMigrationCompleted {
        completed: bool,
    },
}

impl ImRequest {
    pub fn operation(&self) -> ImOperation {
        match self {
            ImRequest::AddImGroup { .. } => ImOperation::AddImGroup,
            ImRequest::AddNewImContactToGroup { .. } => ImOperation::AddNewImContactToGroup,
            ImRequest::AddImContactToGroup { .. } => ImOperation::AddImContactToGroup,
            ImRequest::RemoveImContactFromGroup { .. } => ImOperation::RemoveImContactFromGroup,
            ImRequest::RemoveContactFromImList { .. } => ImOperation::RemoveContactFromImList,
            ImRequest::AddDistributionGroupToImList { .. } => {
                ImOperation::AddDistributionGroupToImList
            }
            ImRequest::RemoveDistributionGroupFromImList { .. } => {
                ImOperation::RemoveDistributionGroupFromImList
            }
            ImRequest::RemoveImGroup { .. } => ImOperation::RemoveImGroup,
            ImRequest::SetImGroup { .. } => ImOperation::SetImGroup,
            ImRequest::GetImItemList { .. } => ImOperation::GetImItemList,
            ImRequest::GetImItems { .. } => ImOperation::GetImItems,
            ImRequest::SetImListMigrationCompleted { .. } => {
                ImOperation::SetImListMigrationCompleted
            }
        }
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
pub fn validate(op: ImOperation, body: &Element) -> Result<ImRequest, Violation> {
    check_attributes(body, &[])?;
    reject_text(body, "element-only")?;
    let particles = op.particles();
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
    let get = |name: &str| -> Option<&Element> {
        particles
            .iter()
            .zip(&found)
            .find(|(p, _)| p.name == name)
            .and_then(|(_, f)| *f)
    };
    let text = |name: &str| get(name).map(|e| e.text.clone()).unwrap_or_default();
    let opt_text = |name: &str| get(name).map(|e| e.text.clone());
    let id = |name: &str| {
        get(name).map(item_id).unwrap_or(IdRef {
            id: String::new(),
            change_key: None,
        })
    };
    let opt_id = |name: &str| get(name).map(item_id);
    let ids = |name: &str| -> Vec<IdRef> {
        get(name)
            .map(|e| {
                e.children
                    .iter()
                    .filter(|c| c.is(TYPES_NS, "ItemId"))
                    .map(item_id)
                    .collect()
            })
            .unwrap_or_default()
    };
    let extended = || -> Vec<ExtendedFieldUri> {
        get("ExtendedProperties")
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
    };
    Ok(match op {
        ImOperation::AddImGroup => ImRequest::AddImGroup {
            display_name: text("DisplayName"),
        },
        ImOperation::AddNewImContactToGroup => ImRequest::AddNewImContactToGroup {
            im_address: text("ImAddress"),
            display_name: opt_text("DisplayName"),
            group_id: opt_id("GroupId"),
        },
        ImOperation::AddImContactToGroup => ImRequest::AddImContactToGroup {
            contact_id: id("ContactId"),
            group_id: opt_id("GroupId"),
        },
        ImOperation::RemoveImContactFromGroup => ImRequest::RemoveImContactFromGroup {
            contact_id: id("ContactId"),
            group_id: id("GroupId"),
        },
        ImOperation::RemoveContactFromImList => ImRequest::RemoveContactFromImList {
            contact_id: id("ContactId"),
        },
        ImOperation::AddDistributionGroupToImList => ImRequest::AddDistributionGroupToImList {
            smtp_address: text("SmtpAddress"),
            display_name: text("DisplayName"),
        },
        ImOperation::RemoveDistributionGroupFromImList => {
            ImRequest::RemoveDistributionGroupFromImList {
                group_id: id("GroupId"),
            }
        }
        ImOperation::RemoveImGroup => ImRequest::RemoveImGroup {
            group_id: id("GroupId"),
        },
        ImOperation::SetImGroup => ImRequest::SetImGroup {
            group_id: id("GroupId"),
            new_display_name: text("NewDisplayName"),
        },
        ImOperation::GetImItemList => ImRequest::GetImItemList {
            extended_properties: extended(),
        },
        ImOperation::GetImItems => ImRequest::GetImItems {
            contact_ids: ids("ContactIds"),
            group_ids: ids("GroupIds"),
            extended_properties: extended(),
        },
        ImOperation::SetImListMigrationCompleted => ImRequest::SetImListMigrationCompleted {
            completed: matches!(text("ImListMigrationCompleted").trim(), "true" | "1"),
        },
    })
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
    use crate::soap::parse_document;

    fn body(xml: &str) -> Element {
        let wrapped = format!("<m:{xml} xmlns:m=\"{MESSAGES_NS}\" xmlns:t=\"{TYPES_NS}\"",);
        let _ = wrapped;
        parse_document(xml.as_bytes()).expect("well-formed")
    }

    fn doc(inner: &str, op: &str) -> Element {
        body(&format!(
            "<m:{op} xmlns:m=\"{MESSAGES_NS}\" xmlns:t=\"{TYPES_NS}\">{inner}</m:{op}>"
        ))
    }

    #[test]
    fn valid_requests_become_typed() {
        let e = doc(
            "<m:ImAddress>sip:a@b</m:ImAddress><m:GroupId Id=\"x\" ChangeKey=\"k\"/>",
            "AddNewImContactToGroup",
        );
        let req = validate(ImOperation::AddNewImContactToGroup, &e).expect("valid");
        assert_eq!(
            req,
            ImRequest::AddNewImContactToGroup {
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
        assert_eq!(
            validate(ImOperation::SetImListMigrationCompleted, &e),
            Ok(ImRequest::SetImListMigrationCompleted { completed: true })
        );
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
            let operation = ImOperation::from_name(op).expect("known op");
            match validate(operation, &e) {
                Ok(req) => panic!("{op} {inner}: expected violation, got {req:?}"),
                Err(v) => assert!(v.message.contains(expect), "{op} {inner}: {}", v.message),
            }
        }
    }
}
