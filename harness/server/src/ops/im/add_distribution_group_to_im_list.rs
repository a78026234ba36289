//! AddDistributionGroupToImList: puts a directory distribution group on the IM list as an
//! `IPM.DistList.MOC.DG` group named by the request's `DisplayName`, with its `SmtpAddress`.
//! Adding a group that is already on the list returns the existing group.
//!
//! Errors: no distribution group with that SMTP address in the directory →
//! `ErrorInvalidImDistributionGroupSmtpAddress`; `max_im_groups` reached →
//! `ErrorImGroupLimitReached`.

use super::store::{GroupKind, ImList};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// The AddDistributionGroupToImList request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddDistributionGroupToImList {
    pub smtp_address: String,
    pub display_name: String,
}

impl Handler for AddDistributionGroupToImList {
    const NAME: &'static str = "AddDistributionGroupToImList";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidImDistributionGroupSmtpAddress,
        ResponseCode::ErrorImGroupLimitReached,
        ResponseCode::ErrorInvalidImGroupId,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        AddDistributionGroupToImList {
            smtp_address: request.text("SmtpAddress"),
            display_name: request.text("DisplayName"),
        }
    }
}

impl Request for AddDistributionGroupToImList {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(ctx, &mut mailbox.im, &self.smtp_address, &self.display_name).into()
    }
}

fn run(ctx: &OpContext<'_>, store: &mut ImList, smtp_address: &str, display_name: &str) -> Outcome {
    let Some(dg) = ctx.directory.distribution_group(smtp_address) else {
        return Err(ResponseError::new(
            ResponseCode::ErrorInvalidImDistributionGroupSmtpAddress,
        ));
    };
    let existing = store.groups.iter().find(|g| {
        g.kind == GroupKind::DistributionGroup
            && g.smtp_address
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(&dg.smtp_address))
    });
    let seq = match existing {
        Some(group) => group.seq,
        None => {
            if store.custom_group_count() >= ctx.config.max_im_groups {
                return Err(ResponseError::new(ResponseCode::ErrorImGroupLimitReached));
            }
            store
                .add_group(
                    display_name.to_string(),
                    GroupKind::DistributionGroup,
                    Some(dg.smtp_address.clone()),
                )
                .seq
        }
    };
    let group = store
        .group(seq)
        .ok_or_else(|| ResponseError::new(ResponseCode::ErrorInvalidImGroupId))?;
    Ok(Some(ctx.group_node(Node::m("ImGroup"), group, store, &[])))
}
