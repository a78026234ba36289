//! AddImContactToGroup: puts an existing IM contact in a group (Other Contacts when `GroupId`
//! is absent). Adding a contact that already is a member succeeds and changes nothing.
//!
//! Errors: an id malformed → `ErrorInvalidIdMalformed`; of another mailbox →
//! `ErrorNonExistentMailbox`; no such group, or a distribution group → `ErrorInvalidImGroupId`;
//! the contact is not an IM contact of this mailbox → `ErrorInvalidImContactId`.

use super::{OpContext, Outcome, ensure_contact_group};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::schema::IdRef;
use crate::store::{GroupKind, MailboxStore};

pub fn handle(
    ctx: &OpContext<'_>,
    store: &mut MailboxStore,
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
