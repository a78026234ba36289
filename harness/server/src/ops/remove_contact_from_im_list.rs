//! RemoveContactFromImList: takes a contact off the IM list and out of every group.
//!
//! Errors: id malformed (including the empty `Id=""` of the docs' shortened example) →
//! `ErrorInvalidIdMalformed`; of another mailbox → `ErrorNonExistentMailbox`; not (or no longer)
//! on the list, or not a contact id → `ErrorItemNotFound`, as documented.

use super::{OpContext, Outcome};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::schema::IdRef;
use crate::store::MailboxStore;

pub fn handle(ctx: &OpContext<'_>, store: &mut MailboxStore, contact_id: &IdRef) -> Outcome {
    let contact = ctx.resolve(contact_id, IdKind::Contact, ResponseCode::ErrorItemNotFound)?;
    if !store.remove_contact(contact) {
        return Err(ResponseError::new(ResponseCode::ErrorItemNotFound));
    }
    Ok(None)
}
