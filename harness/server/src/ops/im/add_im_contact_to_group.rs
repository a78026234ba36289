//! AddImContactToGroup: puts an existing IM contact in a group (Other Contacts when `GroupId`
//! is absent). Adding a contact that already is a member succeeds and changes nothing.
//!
//! Errors: an id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no such group, or a distribution group → `ErrorInvalidImGroupId`;
//! the contact is not an IM contact of this mailbox → `ErrorInvalidImContactId`.

use super::ensure_contact_group;
use super::store::{GroupKind, ImList};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::{IdRef, RequestView};

/// The AddImContactToGroup request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddImContactToGroup {
    pub contact_id: IdRef,
    pub group_id: Option<IdRef>,
}

impl Handler for AddImContactToGroup {
    const NAME: &'static str = "AddImContactToGroup";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidImContactId,
        ResponseCode::ErrorInvalidImGroupId,
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        AddImContactToGroup {
            contact_id: request.id("ContactId"),
            group_id: request.opt_id("GroupId"),
        }
    }
}

impl Request for AddImContactToGroup {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(
            ctx,
            &mut mailbox.im,
            &self.contact_id,
            self.group_id.as_ref(),
        )
        .into()
    }
}

fn run(
    ctx: &OpContext<'_>,
    store: &mut ImList,
    contact_id: &IdRef,
    group_id: Option<&IdRef>,
) -> Outcome {
    let contact = ctx.resolve(
        contact_id,
        IdKind::Contact,
        ResponseCode::ErrorInvalidImContactId,
    )?;
    let group = match group_id {
        Some(id) => ctx.resolve(id, IdKind::Group, ResponseCode::ErrorInvalidImGroupId)?,
        None => store
            .group_by_kind(GroupKind::OtherContacts)
            .map(|g| g.seq)
            .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidImGroupId))?,
    };
    let target = store
        .group(group)
        .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidImGroupId))?;
    ensure_contact_group(target)?;
    if store.contact(contact).is_none() {
        return Err(ResponseError::new(ResponseCode::ErrorInvalidImContactId));
    }
    store.add_member(group, contact);
    Ok(None)
}
