//! The IM-list area: the 12 operations of the Unified Contact Store's IM list, one file each,
//! over the IM part of the mailbox ([`store::ImList`]).
//!
//! Shared here: the XML of `ImGroup` and `Persona` and of the `ImItemList`, and the rule of which
//! groups a contact may be added to. Ids are resolved by [`OpContext::resolve`] (empty →
//! `ErrorInvalidIdEmpty`, malformed → `ErrorInvalidIdMalformed`, another mailbox's id →
//! `ErrorNonExistentMailbox`).

pub mod add_distribution_group_to_im_list;
pub mod add_im_contact_to_group;
pub mod add_im_group;
pub mod add_new_im_contact_to_group;
pub mod get_im_item_list;
pub mod get_im_items;
pub mod remove_contact_from_im_list;
pub mod remove_distribution_group_from_im_list;
pub mod remove_im_contact_from_group;
pub mod remove_im_group;
pub mod set_im_group;
pub mod set_im_list_migration_completed;
pub mod store;

use super::OpContext;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::{self, IdKind};
use crate::render::Node;
use crate::schema::ExtendedFieldUri;
use store::{Contact, Group, GroupKind, ImList, QUICK_CONTACTS_FOLDER_SEQ};

/// The cases family of this area: its operations' cases live in `cases/im/<operation>/`.
pub const FAMILY: &str = "im";

impl OpContext<'_> {
    /// `ImGroup/SmtpAddress` is the newest child of `ImGroupType`: the Exchange 2013 responses
    /// in the docs do not have it, so (as EWS shapes responses by the requested version) it is
    /// sent only to requests for a version newer than Exchange2013.
    fn shows_group_smtp_address(&self) -> bool {
        let rank = crate::envelope::version_rank;
        matches!((rank(self.version), rank("Exchange2013")), (Some(v), Some(base)) if v > base)
    }

    /// `t:ExchangeStoreId`-style element for a group.
    fn group_id_node(&self, local: &str, group: &Group) -> Node {
        Node::t(local)
            .attr("Id", self.id(IdKind::Group, group.seq))
            .attr("ChangeKey", ids::change_key(IdKind::Group, group.version))
    }

    fn contact_id_node(&self, local: &str, contact: &Contact) -> Node {
        Node::t(local)
            .attr("Id", self.id(IdKind::Contact, contact.seq))
            .attr(
                "ChangeKey",
                ids::change_key(IdKind::Contact, contact.version),
            )
    }

    /// `ImGroupType` children in schema order: DisplayName, GroupType, ExchangeStoreId,
    /// MemberCorrelationKey (omitted when empty), ExtendedProperties (when asked), SmtpAddress
    /// (distribution groups).
    pub fn group_node(
        &self,
        element: Node,
        group: &Group,
        store: &ImList,
        extended: &[ExtendedFieldUri],
    ) -> Node {
        let mut node = element
            .child(Node::t_text("DisplayName", group.display_name.clone()))
            .child(Node::t_text("GroupType", group.kind.group_type()))
            .child(self.group_id_node("ExchangeStoreId", group));
        let members: Vec<Node> = group
            .members
            .iter()
            .filter_map(|seq| store.contact(*seq))
            .map(|c| self.contact_id_node("ItemId", c))
            .collect();
        if !members.is_empty() {
            node = node.child(Node::t("MemberCorrelationKey").children(members));
        }
        let props: Vec<Node> = extended
            .iter()
            .filter_map(|uri| {
                display_name_property(uri).map(|field| {
                    Node::t("ExtendedProperty")
                        .child(field)
                        .child(Node::t_text("Value", group.display_name.clone()))
                })
            })
            .collect();
        if !props.is_empty() {
            node = node.child(Node::t("ExtendedProperties").children(props));
        }
        if let Some(smtp) = group
            .smtp_address
            .as_ref()
            .filter(|_| self.shows_group_smtp_address())
        {
            node = node.child(Node::t_text("SmtpAddress", smtp.clone()));
        }
        node
    }

    /// `PersonaType` of one IM contact, children in schema order.
    pub fn persona_node(
        &self,
        element: Node,
        contact: &Contact,
        extended: &[ExtendedFieldUri],
    ) -> Node {
        let attributed = |value: Node| {
            Node::t("StringAttributedValue")
                .child(value)
                .child(Node::t("Attributions").child(Node::t_text("Attribution", "0")))
        };
        let email_value = |local: &str, smtp: &str| {
            Node::t(local)
                .child(Node::t_text("Name", contact.display_name.clone()))
                .child(Node::t_text("EmailAddress", smtp))
                .child(Node::t_text("RoutingType", "SMTP"))
        };
        let name = contact.display_name.clone();
        let mut node = element
            .child(Node::t("PersonaId").attr("Id", self.id(IdKind::Persona, contact.seq)))
            .child(Node::t_text("PersonaType", "Person"))
            .child(Node::t_text("CreationTime", contact.created.clone()))
            .child(Node::t_text("DisplayName", name.clone()))
            .child(Node::t_text("DisplayNameFirstLast", name.clone()))
            .child(Node::t_text("DisplayNameLastFirst", name.clone()))
            .child(Node::t_text("FileAsId", "None"));
        if let Some(smtp) = &contact.email {
            node = node
                .child(email_value("EmailAddress", smtp))
                .child(Node::t("EmailAddresses").child(email_value("Address", smtp)));
        }
        node = node
            .child(Node::t_text("ImAddress", contact.im_address.clone()))
            .child(Node::t_text("RelevanceScore", "2147483647"))
            .child(
                Node::t("Attributions").child(
                    Node::t("Attribution")
                        .child(Node::t_text("Id", "0"))
                        .child(self.contact_id_node("SourceId", contact))
                        .child(Node::t_text("DisplayName", "Outlook"))
                        .child(Node::t_text("IsWritable", "true"))
                        .child(Node::t_text("IsQuickContact", "true"))
                        .child(Node::t_text("IsHidden", "false"))
                        .child(
                            Node::t("FolderId")
                                .attr("Id", self.id(IdKind::Folder, QUICK_CONTACTS_FOLDER_SEQ))
                                .attr("ChangeKey", ids::change_key(IdKind::Folder, 1)),
                        ),
                ),
            )
            .child(Node::t("DisplayNames").child(attributed(Node::t_text("Value", name.clone()))))
            .child(Node::t("FileAsIds").child(attributed(Node::t_text("Value", "None"))));
        if let Some(smtp) = &contact.email {
            node = node.child(
                Node::t("Emails1").child(
                    Node::t("EmailAddressAttributedValue")
                        .child(email_value("Value", smtp))
                        .child(Node::t("Attributions").child(Node::t_text("Attribution", "0"))),
                ),
            );
        }
        node = node.child(Node::t("ImAddresses").child(attributed(Node::t_text(
            "Value",
            contact.im_address.clone(),
        ))));
        let props: Vec<Node> = extended
            .iter()
            .filter_map(|uri| {
                display_name_property(uri).map(|field| {
                    Node::t("ExtendedPropertyAttributedValue")
                        .child(
                            Node::t("Value")
                                .child(field)
                                .child(Node::t_text("Value", name.clone())),
                        )
                        .child(Node::t("Attributions").child(Node::t_text("Attribution", "0")))
                })
            })
            .collect();
        if !props.is_empty() {
            node = node.child(Node::t("ExtendedProperties").children(props));
        }
        node
    }

    /// `t:ImItemList` body: Groups (all given groups) and Personas.
    pub fn item_list_node(
        &self,
        store: &ImList,
        groups: &[&Group],
        contacts: &[&Contact],
        extended: &[ExtendedFieldUri],
    ) -> Node {
        let group_nodes = groups
            .iter()
            .map(|g| self.group_node(Node::t("ImGroup"), g, store, extended));
        let persona_nodes = contacts
            .iter()
            .map(|c| self.persona_node(Node::t("Persona"), c, extended));
        Node::m("ImItemList")
            .child(Node::t("Groups").children(group_nodes))
            .child(Node::t("Personas").children(persona_nodes))
    }
}

/// The only extended property this server knows: `PR_DISPLAY_NAME` (tag 0x3001, String).
/// Other requested properties are skipped, as Exchange skips properties an item does not have.
fn display_name_property(uri: &ExtendedFieldUri) -> Option<Node> {
    let tag = uri.get("PropertyTag")?;
    let is_display_name = tag.eq_ignore_ascii_case("0x3001") || tag == "12289";
    if !is_display_name || uri.get("PropertyType") != Some("String") {
        return None;
    }
    Some(
        Node::t("ExtendedFieldURI")
            .attr("PropertyTag", tag)
            .attr("PropertyType", "String"),
    )
}

/// Groups a contact may be added to by AddNewImContactToGroup / AddImContactToGroup.
fn ensure_contact_group(group: &Group) -> Result<(), ResponseError> {
    if group.kind == GroupKind::DistributionGroup {
        // A distribution group's members come from the directory.
        return Err(ResponseError::new(ResponseCode::ErrorInvalidImGroupId));
    }
    Ok(())
}
