//! The directory area: ResolveNames, ExpandDL, GetRoomLists, GetRooms, GetMailTips and GetUserPhoto, over the configured users and distribution
//! groups (the server's Active Directory; [`crate::mailbox::Directory`]).
//!
//! An entry is found by ambiguous name resolution ([`matches`]): the text is a prefix
//! (case-insensitive) of the display name, of one of its words, of the alias (user name or the
//! local part of the address) or of the SMTP address; `SMTP:addr` matches that address only.
//! Users are `MailboxType` `Mailbox`, groups `PublicDL`, both with `RoutingType` `SMTP`.
//! The server has no contact items yet, so the `Contacts` search scopes find nothing in the
//! mailbox: only the `ActiveDirectory` part of a scope answers.

pub mod expand_dl;
pub mod get_mail_tips;
pub mod get_room_lists;
pub mod get_rooms;
pub mod get_user_photo;
pub mod resolve_names;

use crate::render::Node;
use crate::{DistributionGroupConfig, UserConfig};

/// The cases family of this area: `cases/directory/<operation>/`.
pub const FAMILY: &str = "directory";

/// One entry of the directory.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    User(&'a UserConfig),
    Group(&'a DistributionGroupConfig),
}

impl Entry<'_> {
    pub fn display_name(&self) -> &str {
        match self {
            Entry::User(u) => &u.display_name,
            Entry::Group(g) => &g.display_name,
        }
    }

    pub fn smtp_address(&self) -> &str {
        match self {
            Entry::User(u) => &u.smtp_address,
            Entry::Group(g) => &g.smtp_address,
        }
    }

    fn alias(&self) -> &str {
        match self {
            Entry::User(u) => &u.username,
            Entry::Group(g) => g.smtp_address.split('@').next().unwrap_or_default(),
        }
    }

    fn mailbox_type(&self) -> &'static str {
        match self {
            Entry::User(_) => "Mailbox",
            Entry::Group(_) => "PublicDL",
        }
    }

    /// `<t:{local}>` of type `t:EmailAddressType`: Name, EmailAddress, RoutingType, MailboxType.
    pub fn mailbox_node(&self, local: &str) -> Node {
        Node::t(local)
            .child(Node::t_text("Name", self.display_name()))
            .child(Node::t_text("EmailAddress", self.smtp_address()))
            .child(Node::t_text("RoutingType", "SMTP"))
            .child(Node::t_text("MailboxType", self.mailbox_type()))
    }
}

/// Every entry of the directory: users, then groups.
pub fn entries(directory: &crate::mailbox::Directory) -> Vec<Entry<'_>> {
    directory
        .users
        .iter()
        .map(Entry::User)
        .chain(directory.distribution_groups.iter().map(Entry::Group))
        .collect()
}

/// Ambiguous name resolution of `text` against `entry` (see the module docs).
pub fn matches(entry: &Entry<'_>, text: &str) -> bool {
    let wanted = text.trim().to_lowercase();
    if wanted.is_empty() {
        return false;
    }
    if let Some(address) = wanted.strip_prefix("smtp:") {
        return entry.smtp_address().eq_ignore_ascii_case(address.trim());
    }
    let name = entry.display_name().to_lowercase();
    name.starts_with(&wanted)
        || name.split_whitespace().any(|w| w.starts_with(&wanted))
        || entry.alias().to_lowercase().starts_with(&wanted)
        || entry.smtp_address().to_lowercase().starts_with(&wanted)
}

/// The entry whose SMTP address is exactly `address` (case-insensitive, `SMTP:` allowed).
pub fn by_address<'a>(
    directory: &'a crate::mailbox::Directory,
    address: &str,
) -> Option<Entry<'a>> {
    let trimmed = address.trim();
    let bare = match trimmed.get(..5) {
        Some(scheme) if scheme.eq_ignore_ascii_case("smtp:") => &trimmed[5..],
        _ => trimmed,
    };
    entries(directory)
        .into_iter()
        .find(|e| e.smtp_address().eq_ignore_ascii_case(bare))
}
