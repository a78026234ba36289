//! ResolveNames: resolves `m:UnresolvedEntry` against the directory ([`super::matches`]) and
//! answers one `m:ResolveNamesResponseMessage` with an `m:ResolutionSet`
//! (`TotalItemsInView`, `IncludesLastItemInRange="true"`), resolutions sorted by display name.
//!
//! - one match: `NoError`;
//! - several: `ResponseClass="Warning"`, `ErrorNameResolutionMultipleResults`, with every
//!   resolution (at most 100, the schema's limit);
//! - none: `ErrorNameResolutionNoResults`.
//!
//! `SearchScope`: `ActiveDirectory` searches the directory, `Contacts` the caller's contacts
//! (the `t:Contact` items of `ParentFolderIds`, or of the Contacts folder without them),
//! `ActiveDirectoryContacts` (the default) the directory then the contacts,
//! `ContactsActiveDirectory` the contacts then the directory; each source sorted by display
//! name. A contact matches by its display, given or surname (word prefixes) or by its
//! `EmailAddress1`; its resolution is a `t:Mailbox` with `RoutingType` SMTP, `MailboxType`
//! `Contact` and the contact's `ItemId`, and with full contact data a `t:Contact` with
//! `ContactSource` `Store`.
//!
//! `ReturnFullContactData="true"` adds a `t:Contact` to each resolution: `DisplayName`,
//! `GivenName` and `Surname` (a user's display name split at its first space), `EmailAddresses`
//! (`EmailAddress1` = `SMTP:address`) and `ContactSource` `ActiveDirectory`, as the documented
//! example shows.

use super::{Entry, entries, matches};
use crate::faults::{ResponseCode, ResponseError};
use crate::ids::IdKind;
use crate::mailbox::Mailbox;
use crate::mailbox::items::Item;
use crate::ops::folders::{FolderRef, folder_refs};
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
    /// `ParentFolderIds`: the contacts folders to search (none: the Contacts folder).
    pub parent_folders: Vec<FolderRef>,
}

/// A contact of the caller's mailbox that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ContactMatch {
    seq: u32,
    version: u32,
    display_name: String,
    given_name: Option<String>,
    surname: Option<String>,
    email: Option<String>,
}

/// One resolution, from the directory or from the contacts.
enum Found<'a> {
    Directory(Entry<'a>),
    Contact(ContactMatch),
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
            parent_folders: folder_refs(request.element("ParentFolderIds")),
        }
    }
}

impl Request for ResolveNames {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let directory = || {
            let mut found: Vec<Entry<'_>> = entries(ctx.directory)
                .into_iter()
                .filter(|e| matches(e, &self.entry))
                .collect();
            found.sort_by_key(|e| e.display_name().to_lowercase());
            found.into_iter().map(Found::Directory).collect::<Vec<_>>()
        };
        let contacts = || {
            self.contacts(ctx, mailbox)
                .into_iter()
                .map(Found::Contact)
                .collect::<Vec<_>>()
        };
        let mut found: Vec<Found<'_>> = match self.scope.as_str() {
            "ActiveDirectory" => directory(),
            "Contacts" => contacts(),
            "ContactsActiveDirectory" => contacts().into_iter().chain(directory()).collect(),
            _ => directory().into_iter().chain(contacts()).collect(),
        };
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
            .children(found.iter().map(|f| match f {
                Found::Directory(e) => self.resolution(e),
                Found::Contact(c) => self.contact_resolution(ctx, c),
            }));
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

/// The text of the class field `local` of a contact.
fn field(item: &Item, local: &str) -> Option<String> {
    item.specific
        .iter()
        .find(|n| n.local == local)
        .and_then(|n| n.text.clone())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// `EmailAddresses/Entry[@Key="EmailAddress1"]` of a contact, without an `SMTP:` prefix.
fn email_address1(item: &Item) -> Option<String> {
    let entries = item.specific.iter().find(|n| n.local == "EmailAddresses")?;
    let entry = entries.children.iter().find(|e| {
        e.attrs
            .iter()
            .any(|(k, v)| k == "Key" && v == "EmailAddress1")
    })?;
    let text = entry.text.as_deref()?.trim();
    let bare = match text.get(..5) {
        Some(scheme) if scheme.eq_ignore_ascii_case("smtp:") => &text[5..],
        _ => text,
    };
    Some(bare.to_string())
}

impl ResolveNames {
    /// The caller's contacts that match the entry, sorted by display name.
    fn contacts(&self, ctx: &OpContext<'_>, mailbox: &Mailbox) -> Vec<ContactMatch> {
        let folders: Vec<u32> = if self.parent_folders.is_empty() {
            mailbox
                .folders
                .distinguished("contacts")
                .into_iter()
                .collect()
        } else {
            self.parent_folders
                .iter()
                .filter_map(|r| ctx.resolve_folder(mailbox, r).ok())
                .collect()
        };
        let wanted = self.entry.trim().to_lowercase();
        let mut found: Vec<ContactMatch> = folders
            .iter()
            .flat_map(|f| mailbox.items.in_folder(*f))
            .filter(|item| item.element == "Contact")
            .filter_map(|item| {
                let given_name = field(item, "GivenName");
                let surname = field(item, "Surname");
                let display_name = field(item, "DisplayName").unwrap_or_else(|| {
                    [given_name.clone(), surname.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                });
                let email = email_address1(item);
                let hit = if let Some(address) = wanted.strip_prefix("smtp:") {
                    email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(address.trim()))
                } else {
                    !wanted.is_empty()
                        && ([Some(&display_name), given_name.as_ref(), surname.as_ref()]
                            .into_iter()
                            .flatten()
                            .flat_map(|n| n.split_whitespace())
                            .any(|w| w.to_lowercase().starts_with(&wanted))
                            || display_name.to_lowercase().starts_with(&wanted)
                            || email
                                .as_deref()
                                .is_some_and(|e| e.to_lowercase().starts_with(&wanted)))
                };
                hit.then_some(ContactMatch {
                    seq: item.seq,
                    version: item.version,
                    display_name,
                    given_name,
                    surname,
                    email,
                })
            })
            .collect();
        found.sort_by_key(|c| c.display_name.to_lowercase());
        found
    }

    fn contact_resolution(&self, ctx: &OpContext<'_>, contact: &ContactMatch) -> Node {
        let mut mailbox =
            Node::t("Mailbox").child(Node::t_text("Name", contact.display_name.clone()));
        if let Some(email) = &contact.email {
            mailbox = mailbox.child(Node::t_text("EmailAddress", email.clone()));
        }
        mailbox = mailbox
            .child(Node::t_text("RoutingType", "SMTP"))
            .child(Node::t_text("MailboxType", "Contact"))
            .child(
                Node::t("ItemId")
                    .attr("Id", ctx.id(IdKind::Item, contact.seq))
                    .attr(
                        "ChangeKey",
                        crate::ids::change_key(IdKind::Item, contact.version),
                    ),
            );
        let mut node = Node::t("Resolution").child(mailbox);
        if self.full_contact_data {
            let mut full =
                Node::t("Contact").child(Node::t_text("DisplayName", contact.display_name.clone()));
            if let Some(given) = &contact.given_name {
                full = full.child(Node::t_text("GivenName", given.clone()));
            }
            if let Some(email) = &contact.email {
                full = full.child(
                    Node::t("EmailAddresses").child(
                        Node::t("Entry")
                            .attr("Key", "EmailAddress1")
                            .text(format!("SMTP:{email}")),
                    ),
                );
            }
            full = full.child(Node::t_text("ContactSource", "Store"));
            if let Some(surname) = &contact.surname {
                full = full.child(Node::t_text("Surname", surname.clone()));
            }
            node = node.child(full);
        }
        node
    }

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
