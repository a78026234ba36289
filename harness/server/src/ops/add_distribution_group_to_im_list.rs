//! AddDistributionGroupToImList: puts a directory distribution group on the IM list as an
//! `IPM.DistList.MOC.DG` group named by the request's `DisplayName`, with its `SmtpAddress`.
//! Adding a group that is already on the list returns the existing group.
//!
//! Errors: no distribution group with that SMTP address in the directory →
//! `ErrorInvalidImDistributionGroupSmtpAddress`; `max_im_groups` reached →
//! `ErrorImGroupLimitReached`.

use super::{OpContext, Outcome};
use crate::faults::{ResponseCode, ResponseError};
use crate::render::Node;
use crate::store::{GroupKind, MailboxStore};

pub fn handle(
    ctx: &OpContext<'_>,
    store: &mut MailboxStore,
    smtp_address: &str,
    display_name: &str,
) -> Outcome {
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
