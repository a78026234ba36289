//! RemoveContactFromImList: takes a contact off the IM list and out of every group.
//!
//! Errors: `Id=""` (as in the docs' shortened example) → `ErrorInvalidIdEmpty`; id malformed →
//! `ErrorInvalidIdMalformed`; of another mailbox → `ErrorNonExistentMailbox`; not (or no longer)
//! on the list, or not a contact id → `ErrorItemNotFound`, as documented.

use super::store::ImList;
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::{IdRef, RequestView};

/// The RemoveContactFromImList request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveContactFromImList {
    pub contact_id: IdRef,
}

impl Handler for RemoveContactFromImList {
    const NAME: &'static str = "RemoveContactFromImList";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        RemoveContactFromImList {
            contact_id: request.id("ContactId"),
        }
    }
}

impl Request for RemoveContactFromImList {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(ctx, &mut mailbox.im, &self.contact_id).into()
    }
}

fn run(ctx: &OpContext<'_>, store: &mut ImList, contact_id: &IdRef) -> Outcome {
    let contact = ctx.resolve(contact_id, IdKind::Contact, ResponseCode::ErrorItemNotFound)?;
    if !store.remove_contact(contact) {
        return Err(ResponseError::new(ResponseCode::ErrorItemNotFound));
    }
    Ok(None)
}
