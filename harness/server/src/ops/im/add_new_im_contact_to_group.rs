//! AddNewImContactToGroup: creates an IM contact from an IM address and puts it in a group.
//!
//! - Without `GroupId` the contact goes to the Other Contacts group.
//! - Display name: the request's `DisplayName`; else the directory user whose SMTP address the
//!   IM address is (with or without `sip:`); else the address without `sip:`.
//! - An address already on the list (compared without `sip:`, case-insensitively) is not
//!   duplicated: the existing contact is put in the group and its persona returned, as Exchange
//!   does.
//! - Errors: group id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//!   `ErrorNonExistentMailbox` (with `MailboxGuid`); no such group, or a distribution group →
//!   `ErrorInvalidImGroupId`; `max_im_contacts` reached → `ErrorImContactLimitReached`.

use super::ensure_contact_group;
use super::store::{GroupKind, ImList};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::mailbox::{normalize_address, now_utc};
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::{IdRef, RequestView};

/// The AddNewImContactToGroup request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddNewImContactToGroup {
    pub im_address: String,
    pub display_name: Option<String>,
    pub group_id: Option<IdRef>,
}

impl Handler for AddNewImContactToGroup {
    const NAME: &'static str = "AddNewImContactToGroup";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidImGroupId,
        ResponseCode::ErrorImContactLimitReached,
        ResponseCode::ErrorInvalidImContactId,
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        AddNewImContactToGroup {
            im_address: request.text("ImAddress"),
            display_name: request.opt_text("DisplayName"),
            group_id: request.opt_id("GroupId"),
        }
    }
}

impl Request for AddNewImContactToGroup {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(
            ctx,
            &mut mailbox.im,
            &self.im_address,
            self.display_name.as_deref(),
            self.group_id.as_ref(),
        )
        .into()
    }
}

fn run(
    ctx: &OpContext<'_>,
    store: &mut ImList,
    im_address: &str,
    display_name: Option<&str>,
    group_id: Option<&IdRef>,
) -> Outcome {
    let group_seq = match group_id {
        Some(id) => {
            let seq = ctx.resolve(id, IdKind::Group, ResponseCode::ErrorInvalidImGroupId)?;
            let group = store
                .group(seq)
                .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidImGroupId))?;
            ensure_contact_group(group)?;
            seq
        }
        None => store
            .group_by_kind(GroupKind::OtherContacts)
            .map(|g| g.seq)
            .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidImGroupId))?,
    };
    let contact_seq = match store.contact_by_address(im_address) {
        Some(existing) => existing.seq,
        None => {
            if store.contacts.len() >= ctx.config.max_im_contacts {
                return Err(ResponseError::new(ResponseCode::ErrorImContactLimitReached));
            }
            let bare = normalize_address(im_address);
            let user = ctx.directory.user_by_smtp(&bare);
            let name = display_name
                .map(str::to_string)
                .or_else(|| {
                    user.and_then(|i| ctx.directory.users.get(i))
                        .map(|u| u.display_name.clone())
                })
                .unwrap_or_else(|| strip_sip(im_address).to_string());
            let email = looks_like_smtp(&bare).then(|| strip_sip(im_address).trim().to_string());
            store.add_contact(im_address.to_string(), name, email, now_utc())
        }
    };
    store.add_member(group_seq, contact_seq);
    let contact = store
        .contact(contact_seq)
        .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidImContactId))?;
    Ok(Some(ctx.persona_node(Node::m("Persona"), contact, &[])))
}

fn strip_sip(address: &str) -> &str {
    let trimmed = address.trim();
    match trimmed.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("sip:") => &trimmed[4..],
        _ => trimmed,
    }
}

fn looks_like_smtp(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !address.contains(' ')
        }
        None => false,
    }
}
