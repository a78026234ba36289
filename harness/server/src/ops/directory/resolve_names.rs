//! ResolveNames: resolves `m:UnresolvedEntry` against the directory ([`super::matches`]) and
//! answers one `m:ResolveNamesResponseMessage` with an `m:ResolutionSet`
//! (`TotalItemsInView`, `IncludesLastItemInRange="true"`), resolutions sorted by display name.
//!
//! - one match: `NoError`;
//! - several: `ResponseClass="Warning"`, `ErrorNameResolutionMultipleResults`, with every
//!   resolution (at most 100, the schema's limit);
//! - none: `ErrorNameResolutionNoResults` (also for `SearchScope="Contacts"`: the mailbox has no
//!   contacts, and for `ParentFolderIds` with the `Contacts` scope).
//!
//! `ReturnFullContactData="true"` adds a `t:Contact` to each resolution: `DisplayName`,
//! `GivenName` and `Surname` (a user's display name split at its first space), `EmailAddresses`
//! (`EmailAddress1` = `SMTP:address`) and `ContactSource` `ActiveDirectory`, as the documented
//! example shows.

use super::{Entry, entries, matches};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// Most resolutions one message carries (`t:ArrayOfResolutionType` maxOccurs).
const MAX_RESOLUTIONS: usize = 100;

/// The ResolveNames request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveNames {
    pub entry: String,
    pub full_contact_data: bool,
    /// `SearchScope` (default `ActiveDirectoryContacts`).
    pub scope: String,
}

impl Handler for ResolveNames {
    const NAME: &'static str = "ResolveNames";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorNameResolutionNoResults,
        ResponseCode::ErrorNameResolutionMultipleResults,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let body = request.body();
        ResolveNames {
            entry: request.text("UnresolvedEntry"),
            full_contact_data: matches!(body.attr("ReturnFullContactData"), Some("true" | "1")),
            scope: body
                .attr("SearchScope")
                .unwrap_or("ActiveDirectoryContacts")
                .to_string(),
        }
    }
}

impl Request for ResolveNames {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        let mut found: Vec<Entry<'_>> = if self.scope.starts_with("ActiveDirectory") {
            entries(ctx.directory)
                .into_iter()
                .filter(|e| matches(e, &self.entry))
                .collect()
        } else {
            Vec::new()
        };
        found.sort_by_key(|e| e.display_name().to_lowercase());
        found.truncate(MAX_RESOLUTIONS);
        if found.is_empty() {
            return Response::messages(vec![Err(ResponseError::new(
                ResponseCode::ErrorNameResolutionNoResults,
            ))]);
        }
        let total = found.len();
        let set = Node::m("ResolutionSet")
            .attr("TotalItemsInView", total.to_string())
            .attr("IncludesLastItemInRange", "true")
            .children(found.iter().map(|e| self.resolution(e)));
        let outcome = if total == 1 {
            Ok(Some(set))
        } else {
            Err(ResponseError::warning(
                ResponseCode::ErrorNameResolutionMultipleResults,
                set,
            ))
        };
        Response::messages(vec![outcome])
    }
}

impl ResolveNames {
    fn resolution(&self, entry: &Entry<'_>) -> Node {
        let mut node = Node::t("Resolution").child(entry.mailbox_node("Mailbox"));
        if self.full_contact_data {
            let names = match entry {
                Entry::User(_) => entry.display_name().split_once(' '),
                Entry::Group(_) => None,
            };
            let mut contact =
                Node::t("Contact").child(Node::t_text("DisplayName", entry.display_name()));
            if let Some((given, _)) = names {
                contact = contact.child(Node::t_text("GivenName", given));
            }
            contact = contact
                .child(
                    Node::t("EmailAddresses").child(
                        Node::t("Entry")
                            .attr("Key", "EmailAddress1")
                            .text(format!("SMTP:{}", entry.smtp_address())),
                    ),
                )
                .child(Node::t_text("ContactSource", "ActiveDirectory"));
            if let Some((_, surname)) = names {
                contact = contact.child(Node::t_text("Surname", surname));
            }
            node = node.child(contact);
        }
        node
    }
}
