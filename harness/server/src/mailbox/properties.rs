//! Property paths and property bags, shared by folders and items.
//!
//! A [`PropertyPath`] is what a request names a property by: a `t:FieldURI` (`folder:DisplayName`,
//! later `item:Subject`), a `t:IndexedFieldURI`, or a `t:ExtendedFieldURI` ([`ExtendedKey`]: a
//! MAPI property by tag, or a named property by property set and name or id). A [`PropertyBag`]
//! holds the extended properties an object was given. [`parse_path`] reads a path element of a
//! request; [`ExtendedKey::field_node`] writes one back as Exchange does (tags as `0x...`).

use crate::render::{Node, TYPES_NS};
use crate::xml_tree::Element;

/// A property named by a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyPath {
    /// `t:FieldURI FieldURI="folder:DisplayName"`.
    Field(String),
    /// `t:IndexedFieldURI FieldURI=".." FieldIndex=".."`.
    Indexed { uri: String, index: String },
    /// `t:ExtendedFieldURI ...`.
    Extended(ExtendedKey),
}

/// What an extended property is keyed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtendedTarget {
    /// A MAPI property tag (`PropertyTag="0x3001"` or `"12289"`).
    Tag(u16),
    /// A named property: property set (a GUID or a distinguished set name, compared
    /// case-insensitively) and name.
    Name { set: String, name: String },
    /// A named property: property set and numeric id.
    Id { set: String, id: i64 },
}

/// A `t:ExtendedFieldURI`: target and `PropertyType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedKey {
    pub target: ExtendedTarget,
    /// `PropertyType` (`String`, `Integer`, `StringArray`, ...).
    pub property_type: String,
    /// Whether the set was given as `DistinguishedPropertySetId` (echoed back the same way).
    pub distinguished_set: bool,
}

impl ExtendedKey {
    /// A key by tag.
    pub fn tag(tag: u16, property_type: &str) -> ExtendedKey {
        ExtendedKey {
            target: ExtendedTarget::Tag(tag),
            property_type: property_type.to_string(),
            distinguished_set: false,
        }
    }

    /// Whether two keys name the same property (set names compare case-insensitively; the
    /// property type is part of the key, as in MAPI).
    pub fn same(&self, other: &ExtendedKey) -> bool {
        let target = match (&self.target, &other.target) {
            (ExtendedTarget::Tag(a), ExtendedTarget::Tag(b)) => a == b,
            (
                ExtendedTarget::Name { set: s1, name: n1 },
                ExtendedTarget::Name { set: s2, name: n2 },
            ) => s1.eq_ignore_ascii_case(s2) && n1 == n2,
            (ExtendedTarget::Id { set: s1, id: i1 }, ExtendedTarget::Id { set: s2, id: i2 }) => {
                s1.eq_ignore_ascii_case(s2) && i1 == i2
            }
            _ => false,
        };
        target
            && self
                .property_type
                .eq_ignore_ascii_case(&other.property_type)
    }

    /// Whether values of this type are arrays (`t:Values`).
    pub fn is_array(&self) -> bool {
        self.property_type.ends_with("Array")
    }

    /// The `t:ExtendedFieldURI` element naming this property.
    pub fn field_node(&self) -> Node {
        let node = Node::t("ExtendedFieldURI");
        let set_attr = if self.distinguished_set {
            "DistinguishedPropertySetId"
        } else {
            "PropertySetId"
        };
        let node = match &self.target {
            ExtendedTarget::Tag(tag) => node.attr("PropertyTag", format!("0x{tag:x}")),
            ExtendedTarget::Name { set, name } => node
                .attr(set_attr, set.clone())
                .attr("PropertyName", name.clone()),
            ExtendedTarget::Id { set, id } => node
                .attr(set_attr, set.clone())
                .attr("PropertyId", id.to_string()),
        };
        node.attr("PropertyType", self.property_type.clone())
    }

    /// `t:ExtendedProperty` holding `values` (one `t:Value`, or `t:Values` for arrays).
    pub fn property_node(&self, values: &[String]) -> Node {
        let node = Node::t("ExtendedProperty").child(self.field_node());
        if self.is_array() {
            node.child(
                Node::t("Values").children(values.iter().map(|v| Node::t_text("Value", v.clone()))),
            )
        } else {
            node.child(Node::t_text(
                "Value",
                values.first().cloned().unwrap_or_default(),
            ))
        }
    }
}

/// Parses `0x3001`, `0X3001` or `12289` as a property tag (the id part, 16 bits).
pub fn parse_tag(text: &str) -> Option<u16> {
    let text = text.trim();
    let value = match text.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("0x") => u32::from_str_radix(&text[2..], 16).ok()?,
        _ => text.parse::<u32>().ok()?,
    };
    u16::try_from(value).ok()
}

/// Reads a path element (`t:FieldURI`, `t:IndexedFieldURI`, `t:ExtendedFieldURI`); `None` for
/// anything else or an extended path that names no property.
pub fn parse_path(element: &Element) -> Option<PropertyPath> {
    if element.ns != TYPES_NS {
        return None;
    }
    match element.local.as_str() {
        "FieldURI" => Some(PropertyPath::Field(element.attr("FieldURI")?.to_string())),
        "IndexedFieldURI" => Some(PropertyPath::Indexed {
            uri: element.attr("FieldURI")?.to_string(),
            index: element.attr("FieldIndex")?.to_string(),
        }),
        "ExtendedFieldURI" | "ExtendedProperty" => {
            parse_extended(element).map(PropertyPath::Extended)
        }
        _ => None,
    }
}

/// Reads the attributes of a `t:ExtendedFieldURI`.
pub fn parse_extended(element: &Element) -> Option<ExtendedKey> {
    let property_type = element.attr("PropertyType")?.to_string();
    let (set, distinguished_set) = match (
        element.attr("DistinguishedPropertySetId"),
        element.attr("PropertySetId"),
    ) {
        (Some(d), _) => (Some(d.to_string()), true),
        (None, Some(g)) => (Some(g.to_string()), false),
        (None, None) => (None, false),
    };
    let target = if let Some(tag) = element.attr("PropertyTag") {
        ExtendedTarget::Tag(parse_tag(tag)?)
    } else if let Some(name) = element.attr("PropertyName") {
        ExtendedTarget::Name {
            set: set?,
            name: name.to_string(),
        }
    } else if let Some(id) = element.attr("PropertyId") {
        ExtendedTarget::Id {
            set: set?,
            id: id.trim().parse().ok()?,
        }
    } else {
        return None;
    };
    Some(ExtendedKey {
        target,
        property_type,
        distinguished_set,
    })
}

/// The extended properties an object was given, in the order they were first set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertyBag {
    entries: Vec<(ExtendedKey, Vec<String>)>,
}

impl PropertyBag {
    pub fn get(&self, key: &ExtendedKey) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(k, _)| k.same(key))
            .map(|(_, v)| v.as_slice())
    }

    /// Sets (or replaces) a property.
    pub fn set(&mut self, key: ExtendedKey, values: Vec<String>) {
        match self.entries.iter_mut().find(|(k, _)| k.same(&key)) {
            Some(entry) => entry.1 = values,
            None => self.entries.push((key, values)),
        }
    }

    /// Appends values to an array property (creating it).
    pub fn append(&mut self, key: ExtendedKey, values: Vec<String>) {
        match self.entries.iter_mut().find(|(k, _)| k.same(&key)) {
            Some(entry) => entry.1.extend(values),
            None => self.entries.push((key, values)),
        }
    }

    /// Removes a property; whether it was there.
    pub fn remove(&mut self, key: &ExtendedKey) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(k, _)| !k.same(key));
        self.entries.len() != before
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ExtendedKey, &[String])> {
        self.entries.iter().map(|(k, v)| (k, v.as_slice()))
    }
}

/// The values of a `t:ExtendedProperty` element of a request (`t:Value` or `t:Values/t:Value`).
pub fn extended_values(element: &Element) -> Vec<String> {
    let mut out = Vec::new();
    for child in &element.children {
        if child.is(TYPES_NS, "Value") {
            out.push(child.text.clone());
        } else if child.is(TYPES_NS, "Values") {
            out.extend(
                child
                    .children
                    .iter()
                    .filter(|v| v.is(TYPES_NS, "Value"))
                    .map(|v| v.text.clone()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_in_hex_and_decimal() {
        assert_eq!(parse_tag("0x3001"), Some(0x3001));
        assert_eq!(parse_tag("12289"), Some(0x3001));
        assert_eq!(parse_tag("0x1_0000"), None);
        assert_eq!(parse_tag("70000"), None);
        assert_eq!(parse_tag("nope"), None);
    }

    #[test]
    fn bags_key_by_target_and_type() {
        let mut bag = PropertyBag::default();
        let named = ExtendedKey {
            target: ExtendedTarget::Name {
                set: "PublicStrings".into(),
                name: "x".into(),
            },
            property_type: "String".into(),
            distinguished_set: true,
        };
        bag.set(named.clone(), vec!["1".into()]);
        let mut other_case = named.clone();
        other_case.target = ExtendedTarget::Name {
            set: "publicstrings".into(),
            name: "x".into(),
        };
        assert_eq!(bag.get(&other_case), Some(&["1".to_string()][..]));
        bag.set(other_case.clone(), vec!["2".into()]);
        assert_eq!(bag.iter().count(), 1);
        let mut integer = named.clone();
        integer.property_type = "Integer".into();
        assert_eq!(bag.get(&integer), None);
        assert!(bag.remove(&named));
        assert!(!bag.remove(&named));
    }
}
