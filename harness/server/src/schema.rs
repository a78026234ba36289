//! Request validation: the one place that decides whether a request is valid against Microsoft's
//! schema (messages.xsd / types.xsd, compiled by the `ews-schema` engine), and the typed access
//! ([`RequestView`]) to a body element that passed.
//!
//! [`validate`] runs the engine over the whole request document: the envelope's structure, every
//! SOAP header entry in an EWS namespace (`RequestServerVersion`, `MailboxCulture`,
//! `ExchangeImpersonation`, `TimeZoneContext`, ...) and the Body's element. The first violation
//! becomes the `ErrorSchemaValidation` fault, worded as Exchange words it
//! ([`ews_schema::Violation::exchange_text`]) at the position .NET reports (the tag's name,
//! one column after its `<`). Operations read their typed request from a [`RequestView`], which
//! only [`validate`] makes.

use super::render::{MESSAGES_NS, TYPES_NS};
use super::xml_tree::{Element, Position, Violation};

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

/// Validates `document` (the whole request, already known to be well-formed, whose Body holds
/// `body`) against the EWS schema; on success, the typed view of `body`.
pub fn validate<'a>(document: &[u8], body: &'a Element) -> Result<RequestView<'a>, Violation> {
    let violations = match ews_schema::Schema::ews().validate_document(document) {
        Ok(violations) => violations,
        Err(error) => {
            let position = Position {
                line: error.line as usize,
                column: error.col as usize,
            };
            return Err(Violation::at(position, error.message));
        }
    };
    match violations.first() {
        None => Ok(RequestView { body }),
        Some(first) => Err(Violation::at(
            dotnet_position(document, first),
            first.exchange_text(),
        )),
    }
}

/// Where .NET (so Exchange's `LinePosition`) reports a violation; the engine points at the `<`
/// of the element concerned. As the documented faults show: an invalid attribute is reported at
/// the attribute's name (FindConversation's `Id="inbox1"`: line 14, position 34), an invalid
/// element value at the name in its end tag (GetServiceConfiguration's `ConfigurationName`:
/// line 13, position 62), anything else at the element's name, one column after its `<`.
fn dotnet_position(document: &[u8], v: &ews_schema::Violation) -> Position {
    use ews_schema::ViolationKind;
    let text = String::from_utf8_lossy(document);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let engine = Position {
        line: v.line as usize,
        column: v.col as usize,
    };
    let Some(start) = offset_of(text, engine).filter(|&o| text[o..].starts_with('<')) else {
        return engine;
    };
    let tag_end = text[start..].find('>').map_or(text.len(), |i| start + i);
    let found = match &v.kind {
        ViolationKind::InvalidAttributeValue { attribute, .. }
        | ViolationKind::UndeclaredAttribute { attribute, .. }
        | ViolationKind::FixedValue {
            attribute: Some(attribute),
            ..
        } => attribute_offset(&text[start..tag_end], &attribute.local).map(|i| start + i),
        ViolationKind::InvalidElementValue { .. } | ViolationKind::FixedValue { .. }
            if !text[..tag_end].ends_with('/') =>
        {
            text[tag_end..].find("</").map(|i| tag_end + i + 2)
        }
        _ => None,
    };
    position_of(text, found.unwrap_or(start + 1))
}

/// Byte offset, within a start tag's text, of the attribute named `local` (any prefix).
fn attribute_offset(tag: &str, local: &str) -> Option<usize> {
    let bytes = tag.as_bytes();
    let mut from = 0;
    while let Some(i) = tag[from..].find(local).map(|i| from + i) {
        from = i + local.len();
        let followed_by_equals = tag[from..].trim_start().starts_with('=');
        let name_start = match i.checked_sub(1).map(|b| bytes[b]) {
            Some(b) if b.is_ascii_whitespace() => Some(i),
            // `p:local`: the name starts at the prefix.
            Some(b':') => tag[..i - 1]
                .rfind(|c: char| c.is_ascii_whitespace())
                .map(|w| w + 1),
            _ => None,
        };
        if followed_by_equals && let Some(start) = name_start {
            return Some(start);
        }
    }
    None
}

/// Byte offset of a 1-based line and column (in characters).
fn offset_of(text: &str, p: Position) -> Option<usize> {
    let line_start = if p.line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(p.line - 2)?.0 + 1
    };
    let line = &text[line_start..];
    line.char_indices()
        .nth(p.column.checked_sub(1)?)
        .map(|(i, _)| line_start + i)
}

/// 1-based line and column (in characters) of a byte offset.
fn position_of(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
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

    /// The `t:NAME` children of the child `container` (`FolderChanges` → its `t:FolderChange`s);
    /// none when the container is absent.
    pub fn types_children(
        &self,
        container: &str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.child(container)
            .into_iter()
            .flat_map(|c| c.children.iter())
            .filter(move |c| c.is(TYPES_NS, name))
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
        self.types_children(name, "ItemId").map(item_id).collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::im::add_new_im_contact_to_group::AddNewImContactToGroup;
    use crate::ops::im::set_im_list_migration_completed::SetImListMigrationCompleted;
    use crate::registry::{self, Handler};
    use crate::xml_tree::parse_document;

    fn document(inner: &str, op: &str) -> String {
        format!("<m:{op} xmlns:m=\"{MESSAGES_NS}\" xmlns:t=\"{TYPES_NS}\">{inner}</m:{op}>")
    }

    fn check(inner: &str, op: &str) -> Result<(), Violation> {
        let xml = document(inner, op);
        let e = parse_document(xml.as_bytes()).expect("well-formed");
        validate(xml.as_bytes(), &e).map(|_| ())
    }

    #[test]
    fn valid_requests_become_typed() {
        let xml = document(
            "<m:ImAddress>sip:a@b</m:ImAddress><m:GroupId Id=\"x\" ChangeKey=\"k\"/>",
            "AddNewImContactToGroup",
        );
        let e = parse_document(xml.as_bytes()).expect("well-formed");
        let view = validate(xml.as_bytes(), &e).expect("valid");
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
        let xml = document(
            "<m:ImListMigrationCompleted>1</m:ImListMigrationCompleted>",
            "SetImListMigrationCompleted",
        );
        let e = parse_document(xml.as_bytes()).expect("well-formed");
        let view = validate(xml.as_bytes(), &e).expect("valid");
        assert_eq!(
            SetImListMigrationCompleted::view(&view),
            SetImListMigrationCompleted { completed: true }
        );
        assert!(registry::find("SetImListMigrationCompleted").is_some());
    }

    #[test]
    fn violations_are_worded_as_exchange_words_them() {
        let cases = [
            (
                "AddImGroup",
                "<m:DisplayName></m:DisplayName>",
                "The actual length is less than the MinLength value.",
            ),
            ("AddImGroup", "", "has incomplete content"),
            (
                "AddImGroup",
                "<t:DisplayName>x</t:DisplayName>",
                "has invalid child element 'DisplayName' in namespace",
            ),
            (
                "AddImGroup",
                "<m:DisplayName>x</m:DisplayName><m:Extra/>",
                "invalid child element 'Extra'",
            ),
            (
                "RemoveImContactFromGroup",
                "<m:GroupId Id=\"b\"/><m:ContactId Id=\"a\"/>",
                "invalid child element 'GroupId'",
            ),
            (
                "RemoveImGroup",
                "<m:GroupId/>",
                "The required attribute 'Id' is missing.",
            ),
            (
                "RemoveImGroup",
                "<m:GroupId Id=\"a\" Foo=\"b\"/>",
                "The 'Foo' attribute is not declared.",
            ),
            (
                "SetImListMigrationCompleted",
                "<m:ImListMigrationCompleted>yes</m:ImListMigrationCompleted>",
                "boolean",
            ),
            (
                "GetImItemList",
                "<m:ExtendedProperties><t:ExtendedProperty PropertyTag=\"0x3001\"/></m:ExtendedProperties>",
                "PropertyType",
            ),
        ];
        for (op, inner, expect) in cases {
            match check(inner, op) {
                Ok(()) => panic!("{op} {inner}: expected a violation"),
                Err(v) => assert!(v.message.contains(expect), "{op} {inner}: {}", v.message),
            }
        }
    }

    #[test]
    fn positions_point_at_the_tag_name() {
        let xml = document("\n  <m:Bogus/>", "AddImGroup");
        let e = parse_document(xml.as_bytes()).expect("well-formed");
        let v = validate(xml.as_bytes(), &e).expect_err("invalid");
        assert_eq!(
            (v.position.line, v.position.column),
            (2, 4),
            "{}",
            v.message
        );
    }
}
