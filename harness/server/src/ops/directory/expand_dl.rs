//! ExpandDL: lists the members of a distribution group of the directory (by its SMTP address in
//! `t:EmailAddress`, or its display name), one `m:ExpandDLResponseMessage` with an
//! `m:DLExpansion` (`TotalItemsInView`, `IncludesLastItemInRange="true"`) of `t:Mailbox`es, in
//! the configured order. A nested group is one `PublicDL` entry (Exchange does not flatten; a
//! client expands it with another ExpandDL). A name or address that is no group, and a private
//! distribution list by `t:ItemId` (the mailbox has no contact items), →
//! `ErrorNameResolutionNoResults`, as the documented error example shows.

use super::{Entry, by_address};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;

/// The ExpandDL request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandDl {
    /// `t:EmailAddress` of `m:Mailbox` (empty when the group is named by `t:ItemId`).
    pub address: String,
}

impl Handler for ExpandDl {
    const NAME: &'static str = "ExpandDL";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[ResponseCode::ErrorNameResolutionNoResults];

    fn view(request: &RequestView<'_>) -> Self {
        let address = request
            .element("Mailbox")
            .and_then(|m| {
                m.children
                    .iter()
                    .find(|c| c.is(TYPES_NS, "EmailAddress"))
                    .map(|c| c.text.trim().to_string())
            })
            .unwrap_or_default();
        ExpandDl { address }
    }
}

impl Request for ExpandDl {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        let group = match by_address(ctx.directory, &self.address) {
            Some(Entry::Group(g)) => Some(g),
            Some(Entry::User(_)) => None,
            None => ctx.directory.distribution_groups.iter().find(|g| {
                !self.address.is_empty() && g.display_name.eq_ignore_ascii_case(&self.address)
            }),
        };
        let Some(group) = group else {
            return Response::messages(vec![Err(ResponseError::new(
                ResponseCode::ErrorNameResolutionNoResults,
            ))]);
        };
        let members: Vec<Entry<'_>> = group
            .members
            .iter()
            .filter_map(|m| by_address(ctx.directory, m))
            .collect();
        let expansion = Node::m("DLExpansion")
            .attr("TotalItemsInView", members.len().to_string())
            .attr("IncludesLastItemInRange", "true")
            .children(members.iter().map(|e| e.mailbox_node("Mailbox")));
        Response::messages(vec![Ok(Some(expansion))])
    }
}
