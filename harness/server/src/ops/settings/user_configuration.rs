//! What the four user configuration operations share: the `UserConfigurationName` (a `Name`
//! and a folder, resolved like any folder reference: errors are the folder's), reading a
//! `t:UserConfiguration`'s parts (`Dictionary`, `XmlData`, `BinaryData`), and writing
//! `m:UserConfiguration`. Each answers one response message
//! (`m:{Operation}ResponseMessage`); a name the folder does not have → `ErrorItemNotFound`.

use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::mailbox::settings::{DictionaryObject, UserConfiguration};
use crate::ops::OpContext;
use crate::ops::folders::{FolderRef, folder_refs};
use crate::ops::items::to_node;
use crate::render::{Node, TYPES_NS, XSI_NS};
use crate::xml_tree::Element;

/// The codes resolving a `UserConfigurationName` can give (its folder's) and the missing name.
pub const NAME_CODES: &[ResponseCode] = &[
    ResponseCode::ErrorInvalidIdEmpty,
    ResponseCode::ErrorInvalidIdMalformed,
    ResponseCode::ErrorNonExistentMailbox,
    ResponseCode::ErrorNonExistentMailboxAddress,
    ResponseCode::ErrorItemNotFound,
    ResponseCode::ErrorFolderNotFound,
    ResponseCode::ErrorAccessDenied,
];

fn child<'a>(element: &'a Element, local: &str) -> Option<&'a Element> {
    element.children.iter().find(|c| c.is(TYPES_NS, local))
}

/// A `UserConfigurationName`: the name, the folder reference, and that reference as sent (the
/// response echoes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigName {
    pub name: String,
    pub folder: Option<FolderRef>,
    pub folder_node: Option<Node>,
}

impl ConfigName {
    pub fn read(element: Option<&Element>) -> ConfigName {
        let Some(element) = element else {
            return ConfigName {
                name: String::new(),
                folder: None,
                folder_node: None,
            };
        };
        ConfigName {
            name: element.attr("Name").unwrap_or_default().to_string(),
            folder: folder_refs(Some(element)).into_iter().next(),
            folder_node: element
                .children
                .iter()
                .find(|c| c.is(TYPES_NS, "FolderId") || c.is(TYPES_NS, "DistinguishedFolderId"))
                .map(to_node),
        }
    }

    /// The folder's sequence number in `mailbox`.
    pub fn folder(&self, ctx: &OpContext<'_>, mailbox: &Mailbox) -> Result<u32, ResponseError> {
        let folder = self
            .folder
            .as_ref()
            .ok_or_else(|| ResponseError::new(ResponseCode::ErrorFolderNotFound))?;
        ctx.resolve_folder(mailbox, folder)
    }

    /// The other user's address its `t:DistinguishedFolderId` names, if any.
    pub fn mailbox_address(&self) -> Option<&str> {
        crate::ops::folders::mailbox_address(self.folder.as_slice())
    }

    /// `t:UserConfigurationName` as the request named it.
    pub fn node(&self) -> Node {
        Node::t("UserConfigurationName")
            .attr("Name", self.name.clone())
            .children(self.folder_node.clone())
    }
}

/// The parts a `t:UserConfiguration` of Create or Update gives (absent: not given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigParts {
    pub name: ConfigName,
    pub dictionary: Option<Vec<(DictionaryObject, Option<DictionaryObject>)>>,
    pub xml_data: Option<String>,
    pub binary_data: Option<String>,
}

/// `xsi:nil="true"` (a null `DictionaryValue`).
fn is_nil(element: &Element) -> bool {
    element
        .attrs
        .iter()
        .any(|a| a.ns == XSI_NS && a.local == "nil" && matches!(a.value.trim(), "true" | "1"))
}

fn dictionary_object(element: &Element) -> DictionaryObject {
    DictionaryObject {
        kind: child(element, "Type")
            .map(|t| t.text.trim().to_string())
            .unwrap_or_default(),
        values: element
            .children
            .iter()
            .filter(|c| c.is(TYPES_NS, "Value"))
            .map(|v| v.text.clone())
            .collect(),
    }
}

impl ConfigParts {
    pub fn read(element: Option<&Element>) -> ConfigParts {
        let part = |local: &str| element.and_then(|e| child(e, local));
        ConfigParts {
            name: ConfigName::read(part("UserConfigurationName")),
            dictionary: part("Dictionary").map(|d| {
                d.children
                    .iter()
                    .filter(|c| c.is(TYPES_NS, "DictionaryEntry"))
                    .map(|entry| {
                        let key = child(entry, "DictionaryKey").map(dictionary_object);
                        let value = child(entry, "DictionaryValue")
                            .filter(|v| !is_nil(v))
                            .map(dictionary_object);
                        (
                            key.unwrap_or(DictionaryObject {
                                kind: String::new(),
                                values: Vec::new(),
                            }),
                            value,
                        )
                    })
                    .collect()
            }),
            xml_data: part("XmlData").map(|x| x.text.trim().to_string()),
            binary_data: part("BinaryData").map(|b| b.text.trim().to_string()),
        }
    }

    /// Replaces the parts given in `config`.
    pub fn apply(&self, config: &mut UserConfiguration) {
        if let Some(d) = &self.dictionary {
            config.dictionary = Some(d.clone());
        }
        if let Some(x) = &self.xml_data {
            config.xml_data = Some(x.clone());
        }
        if let Some(b) = &self.binary_data {
            config.binary_data = Some(b.clone());
        }
    }
}

fn object_node(local: &str, object: &DictionaryObject) -> Node {
    Node::t(local)
        .child(Node::t_text("Type", object.kind.clone()))
        .children(
            object
                .values
                .iter()
                .map(|v| Node::t_text("Value", v.clone()))
                .collect::<Vec<_>>(),
        )
}

/// Which parts GetUserConfiguration asked for (`UserConfigurationProperties`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Parts {
    pub id: bool,
    pub dictionary: bool,
    pub xml_data: bool,
    pub binary_data: bool,
}

impl Parts {
    pub fn parse(text: &str) -> Parts {
        let mut parts = Parts::default();
        for word in text.split_whitespace() {
            match word {
                "Id" => parts.id = true,
                "Dictionary" => parts.dictionary = true,
                "XmlData" => parts.xml_data = true,
                "BinaryData" => parts.binary_data = true,
                "All" => {
                    parts = Parts {
                        id: true,
                        dictionary: true,
                        xml_data: true,
                        binary_data: true,
                    }
                }
                _ => {}
            }
        }
        parts
    }
}

/// `m:UserConfiguration` of `config`: its name as the request gave it, then the parts asked for
/// that it has, in schema order.
pub fn config_node(
    ctx: &OpContext<'_>,
    name: &ConfigName,
    config: &UserConfiguration,
    parts: Parts,
) -> Node {
    let mut node = Node::m("UserConfiguration").child(name.node());
    if parts.id {
        node = node.child(
            Node::t("ItemId")
                .attr("Id", ctx.id(IdKind::UserConfiguration, config.seq))
                .attr(
                    "ChangeKey",
                    crate::ids::change_key(IdKind::UserConfiguration, config.version),
                ),
        );
    }
    if let (true, Some(dictionary)) = (parts.dictionary, &config.dictionary) {
        let entries = dictionary.iter().map(|(key, value)| {
            Node::t("DictionaryEntry")
                .child(object_node("DictionaryKey", key))
                .child(value.as_ref().map_or_else(
                    || Node::t("DictionaryValue").attr("xsi:nil", "true"),
                    |v| object_node("DictionaryValue", v),
                ))
        });
        node = node.child(Node::t("Dictionary").children(entries.collect::<Vec<_>>()));
    }
    if let (true, Some(xml)) = (parts.xml_data, &config.xml_data) {
        node = node.child(Node::t_text("XmlData", xml.clone()));
    }
    if let (true, Some(binary)) = (parts.binary_data, &config.binary_data) {
        node = node.child(Node::t_text("BinaryData", binary.clone()));
    }
    node
}

/// The error of a name its folder does not have.
pub fn not_found() -> ResponseError {
    ResponseError::new(ResponseCode::ErrorItemNotFound)
}
