//! The 12 IM-list operations, one file each, over the per-mailbox store.
//!
//! Every handler runs under its mailbox's lock and returns an [`Outcome`]: the payload element of
//! a success response (if the operation has one) or a [`ResponseError`]. Shared here: resolving
//! request ids (malformed → `ErrorInvalidIdMalformed`; another mailbox's id →
//! `ErrorNonExistentMailbox`), and the XML of `ImGroup` and `Persona`.

mod add_distribution_group_to_im_list;
mod add_im_contact_to_group;
mod add_im_group;
mod add_new_im_contact_to_group;
mod get_im_item_list;
mod get_im_items;
mod remove_contact_from_im_list;
mod remove_distribution_group_from_im_list;
mod remove_im_contact_from_group;
mod remove_im_group;
mod set_im_group;
mod set_im_list_migration_completed;

use super::ServerConfig;
use super::faults::{ResponseCode, ResponseError};
use super::ids::{self, IdKind, StoreId};
use super::render::Node;
use super::schema::{ExtendedFieldUri, IdRef, ImRequest};
use super::store::{Contact, Directory, Group, GroupKind, MailboxStore, QUICK_CONTACTS_FOLDER_SEQ};

/// What a handler produces: the payload of a success, or a business error.
pub type Outcome = Result<Option<Node>, ResponseError>;

/// Everything a handler may use.
pub struct OpContext<'a> {
    pub config: &'a ServerConfig,
    pub directory: &'a Directory,
    /// Index of the mailbox the request acts on (after impersonation).
    pub mailbox: usize,
    /// The request's `RequestServerVersion` (Exchange2013 or newer by now).
    pub version: &'a str,
}

impl OpContext<'_> {
    /// `ImGroup/SmtpAddress` is the newest child of `ImGroupType`: the Exchange 2013 responses
    /// in the docs do not have it, so (as EWS shapes responses by the requested version) it is
    /// sent only to requests for a version newer than Exchange2013.
    fn shows_group_smtp_address(&self) -> bool {
        let rank = super::soap::version_rank;
        matches!((rank(self.version), rank("Exchange2013")), (Some(v), Some(base)) if v > base)
    }

    fn mailbox_id(&self) -> u16 {
        u16::try_from(self.mailbox).unwrap_or(u16::MAX)
    }

    /// Id of an object in this mailbox.
    pub fn id(&self, kind: IdKind, seq: u32) -> String {
        ids::encode(StoreId {
            kind,
            mailbox: self.mailbox_id(),
            seq,
        })
    }

    /// Resolves a request id to a sequence number in this mailbox.
    ///
    /// `not_found` is the code for a well-formed id of the wrong kind.
    pub fn resolve(
        &self,
        id: &IdRef,
        kind: IdKind,
        not_found: ResponseCode,
    ) -> Result<u32, ResponseError> {
        let Some(decoded) = ids::decode(&id.id) else {
            return Err(ResponseError::new(ResponseCode::ErrorInvalidIdMalformed));
        };
        if decoded.mailbox != self.mailbox_id() {
            return Err(ResponseError::non_existent_mailbox(ids::mailbox_guid(
                decoded.mailbox,
            )));
        }
        if decoded.kind != kind {
            return Err(ResponseError::new(not_found));
        }
        Ok(decoded.seq)
    }

    /// Like [`resolve`](Self::resolve) but for GetImItems, which ignores ids it cannot use.
    pub fn resolve_quietly(&self, id: &IdRef, kind: IdKind) -> Option<u32> {
        ids::decode(&id.id)
            .filter(|d| d.mailbox == self.mailbox_id() && d.kind == kind)
            .map(|d| d.seq)
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
        store: &MailboxStore,
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
        store: &MailboxStore,
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

/// Runs `request` against mailbox `ctx.mailbox` of `store`.
pub fn execute(ctx: &OpContext<'_>, store: &mut MailboxStore, request: &ImRequest) -> Outcome {
    match request {
        ImRequest::AddImGroup { display_name } => add_im_group::handle(ctx, store, display_name),
        ImRequest::AddNewImContactToGroup {
            im_address,
            display_name,
            group_id,
        } => add_new_im_contact_to_group::handle(
            ctx,
            store,
            im_address,
            display_name.as_deref(),
            group_id.as_ref(),
        ),
        ImRequest::AddImContactToGroup {
            contact_id,
            group_id,
        } => add_im_contact_to_group::handle(ctx, store, contact_id, group_id.as_ref()),
        ImRequest::RemoveImContactFromGroup {
            contact_id,
            group_id,
        } => remove_im_contact_from_group::handle(ctx, store, contact_id, group_id),
        ImRequest::RemoveContactFromImList { contact_id } => {
            remove_contact_from_im_list::handle(ctx, store, contact_id)
        }
        ImRequest::AddDistributionGroupToImList {
            smtp_address,
            display_name,
        } => add_distribution_group_to_im_list::handle(ctx, store, smtp_address, display_name),
        ImRequest::RemoveDistributionGroupFromImList { group_id } => {
            remove_distribution_group_from_im_list::handle(ctx, store, group_id)
        }
        ImRequest::RemoveImGroup { group_id } => remove_im_group::handle(ctx, store, group_id),
        ImRequest::SetImGroup {
            group_id,
            new_display_name,
        } => set_im_group::handle(ctx, store, group_id, new_display_name),
        ImRequest::GetImItemList {
            extended_properties,
        } => get_im_item_list::handle(ctx, store, extended_properties),
        ImRequest::GetImItems {
            contact_ids,
            group_ids,
            extended_properties,
        } => get_im_items::handle(ctx, store, contact_ids, group_ids, extended_properties),
        ImRequest::SetImListMigrationCompleted { completed } => {
            set_im_list_migration_completed::handle(store, *completed)
        }
    }
}
