//! GetImItems: the groups and contacts named by id, in request order, each at most once. As
//! documented, ids are not validated: malformed ids, ids of another mailbox, of the wrong kind or
//! of nothing are skipped without an error.

use super::{OpContext, Outcome};
use crate::ids::IdKind;
use crate::schema::{ExtendedFieldUri, IdRef};
use crate::store::MailboxStore;

pub fn handle(
    ctx: &OpContext<'_>,
    store: &mut MailboxStore,
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
