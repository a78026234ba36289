//! GetImItems: the groups and contacts named by id, in request order, each at most once. As
//! documented, ids are not validated: malformed ids, ids of another mailbox, of the wrong kind or
//! of nothing are skipped without an error.

use super::store::ImList;
use crate::faults::ResponseCode;
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::{ExtendedFieldUri, IdRef, RequestView};

/// The GetImItems request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetImItems {
    pub contact_ids: Vec<IdRef>,
    pub group_ids: Vec<IdRef>,
    pub extended_properties: Vec<ExtendedFieldUri>,
}

impl Handler for GetImItems {
    const NAME: &'static str = "GetImItems";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[];

    fn view(request: &RequestView<'_>) -> Self {
        GetImItems {
            contact_ids: request.item_ids("ContactIds"),
            group_ids: request.item_ids("GroupIds"),
            extended_properties: request.extended_properties("ExtendedProperties"),
        }
    }
}

impl Request for GetImItems {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(
            ctx,
            &mut mailbox.im,
            &self.contact_ids,
            &self.group_ids,
            &self.extended_properties,
        )
        .into()
    }
}

fn run(
    ctx: &OpContext<'_>,
    store: &mut ImList,
    contact_ids: &[IdRef],
    group_ids: &[IdRef],
    extended: &[ExtendedFieldUri],
) -> Outcome {
    let mut groups = Vec::new();
    for id in group_ids {
        if let Some(group) = ctx
            .resolve_quietly(id, IdKind::Group)
            .and_then(|seq| store.group(seq))
        {
            if !groups.iter().any(|g: &&_| std::ptr::eq(*g, group)) {
                groups.push(group);
            }
        }
    }
    let mut contacts = Vec::new();
    for id in contact_ids {
        if let Some(contact) = ctx
            .resolve_quietly(id, IdKind::Contact)
            .and_then(|seq| store.contact(seq))
        {
            if !contacts.iter().any(|c: &&_| std::ptr::eq(*c, contact)) {
                contacts.push(contact);
            }
        }
    }
    Ok(Some(
        ctx.item_list_node(store, &groups, &contacts, extended),
    ))
}
