//! GetImItemList: the whole IM list: every group (the default groups first, then user and
//! distribution groups in creation order) and the persona of every IM contact (in creation
//! order). Requested extended properties: see `display_name_property` in `ops/mod.rs`.

use super::{OpContext, Outcome};
use crate::schema::ExtendedFieldUri;
use crate::store::MailboxStore;

pub fn handle(
    ctx: &OpContext<'_>,
    store: &mut MailboxStore,
    extended: &[ExtendedFieldUri],
) -> Outcome {
    let groups: Vec<_> = store.groups.iter().collect();
    let contacts: Vec<_> = store.contacts.iter().collect();
    Ok(Some(
        ctx.item_list_node(store, &groups, &contacts, extended),
    ))
}
