//! GetImItemList: the whole IM list: every group (the default groups first, then user and
//! distribution groups in creation order) and the persona of every IM contact (in creation
//! order). Requested extended properties: see `display_name_property` in `ops/mod.rs`.

use super::store::ImList;
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::{ExtendedFieldUri, RequestView};

/// The GetImItemList request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetImItemList {
    pub extended_properties: Vec<ExtendedFieldUri>,
}

impl Handler for GetImItemList {
    const NAME: &'static str = "GetImItemList";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[];

    fn view(request: &RequestView<'_>) -> Self {
        GetImItemList {
            extended_properties: request.extended_properties("ExtendedProperties"),
        }
    }
}

impl Request for GetImItemList {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(ctx, &mut mailbox.im, &self.extended_properties).into()
    }
}

fn run(ctx: &OpContext<'_>, store: &mut ImList, extended: &[ExtendedFieldUri]) -> Outcome {
    let groups: Vec<_> = store.groups.iter().collect();
    let contacts: Vec<_> = store.contacts.iter().collect();
    Ok(Some(
        ctx.item_list_node(store, &groups, &contacts, extended),
    ))
}
