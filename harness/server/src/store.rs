//! The directory (configured users and distribution groups) and the in-memory IM-list store.
//!
//! One [`MailboxStore`] per configured user, each behind its own mutex: requests on different
//! mailboxes never contend, and every operation runs entirely under its mailbox's lock, so no
//! concurrent update is lost. A poisoned lock is recovered (the store has no invariants a panic
//! could break half-way, and handlers do not panic).

use std::sync::{Mutex, MutexGuard};

use super::{DistributionGroupConfig, UserConfig};

/// The kind of an IM group, i.e. its `GroupType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    OtherContacts,
    Tagged,
    Favorites,
    User,
    DistributionGroup,
}

impl GroupKind {
    pub fn group_type(self) -> &'static str {
        match self {
            GroupKind::OtherContacts => "IPM.DistList.MOC.OtherContacts",
            GroupKind::Tagged => "IPM.DistList.MOC.Tagged",
            GroupKind::Favorites => "IPM.DistList.MOC.Favorites",
            GroupKind::User => "IPM.DistList.MOC.UserGroup",
            GroupKind::DistributionGroup => "IPM.DistList.MOC.DG",
        }
    }

    /// The three groups every mailbox has.
    pub fn is_default(self) -> bool {
        matches!(
            self,
            GroupKind::OtherContacts | GroupKind::Tagged | GroupKind::Favorites
        )
    }
}

/// An IM group on the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub seq: u32,
    /// Grows on every change (rename, membership); drives the ChangeKey.
    pub version: u32,
    pub display_name: String,
    pub kind: GroupKind,
    /// For distribution groups: the group's SMTP address.
    pub smtp_address: Option<String>,
    /// Sequence numbers of member contacts, in the order they were added.
    pub members: Vec<u32>,
}

/// An IM contact (a contact item in the Quick Contacts folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub seq: u32,
    pub version: u32,
    pub im_address: String,
    pub display_name: String,
    /// The SMTP address, when the IM address is (or wraps) one.
    pub email: Option<String>,
    /// `xs:dateTime` in UTC, seconds precision.
    pub created: String,
}

/// One mailbox's IM list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxStore {
    next_seq: u32,
    pub groups: Vec<Group>,
    pub contacts: Vec<Contact>,
    pub migration_completed: bool,
}

/// Sequence number of the Quick Contacts folder in every mailbox.
pub const QUICK_CONTACTS_FOLDER_SEQ: u32 = 1;

impl MailboxStore {
    fn new() -> MailboxStore {
        let mut store = MailboxStore {
            next_seq: QUICK_CONTACTS_FOLDER_SEQ + 1,
            groups: Vec::new(),
            contacts: Vec::new(),
            migration_completed: false,
        };
        for (name, kind) in [
            ("Other Contacts", GroupKind::OtherContacts),
            ("Tagged", GroupKind::Tagged),
            ("Favorites", GroupKind::Favorites),
        ] {
            store.add_group(name.to_string(), kind, None);
        }
        store
    }

    fn next(&mut self) -> u32 {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        seq
    }

    pub fn add_group(
        &mut self,
        display_name: String,
        kind: GroupKind,
        smtp_address: Option<String>,
    ) -> &Group {
        let seq = self.next();
        self.groups.push(Group {
            seq,
            version: 1,
            display_name,
            kind,
            smtp_address,
            members: Vec::new(),
        });
        let last = self.groups.len() - 1;
        &self.groups[last]
    }

    pub fn add_contact(
        &mut self,
        im_address: String,
        display_name: String,
        email: Option<String>,
        created: String,
    ) -> u32 {
        let seq = self.next();
        self.contacts.push(Contact {
            seq,
            version: 1,
            im_address,
            display_name,
            email,
            created,
        });
        seq
    }

    pub fn group(&self, seq: u32) -> Option<&Group> {
        self.groups.iter().find(|g| g.seq == seq)
    }

    pub fn group_mut(&mut self, seq: u32) -> Option<&mut Group> {
        self.groups.iter_mut().find(|g| g.seq == seq)
    }

    pub fn group_by_kind(&self, kind: GroupKind) -> Option<&Group> {
        self.groups.iter().find(|g| g.kind == kind)
    }

    pub fn contact(&self, seq: u32) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.seq == seq)
    }

    /// The contact with this IM address (compared without `sip:` and case-insensitively).
    pub fn contact_by_address(&self, im_address: &str) -> Option<&Contact> {
        let wanted = normalize_address(im_address);
        self.contacts
            .iter()
            .find(|c| normalize_address(&c.im_address) == wanted)
    }

    /// User and distribution-group groups (what the group limit counts).
    pub fn custom_group_count(&self) -> usize {
        self.groups.iter().filter(|g| !g.kind.is_default()).count()
    }

    /// Adds `contact` to group `group`; returns false when it already was a member.
    pub fn add_member(&mut self, group: u32, contact: u32) -> bool {
        match self.group_mut(group) {
            Some(g) if !g.members.contains(&contact) => {
                g.members.push(contact);
                g.version = g.version.saturating_add(1);
                true
            }
            _ => false,
        }
    }

    /// Removes `contact` from group `group`; returns false when it was not a member.
    pub fn remove_member(&mut self, group: u32, contact: u32) -> bool {
        match self.group_mut(group) {
            Some(g) if g.members.contains(&contact) => {
                g.members.retain(|m| *m != contact);
                g.version = g.version.saturating_add(1);
                true
            }
            _ => false,
        }
    }

    /// Removes a contact from the list and from every group.
    pub fn remove_contact(&mut self, contact: u32) -> bool {
        let before = self.contacts.len();
        self.contacts.retain(|c| c.seq != contact);
        if self.contacts.len() == before {
            return false;
        }
        let group_seqs: Vec<u32> = self.groups.iter().map(|g| g.seq).collect();
        for group in group_seqs {
            self.remove_member(group, contact);
        }
        true
    }

    pub fn remove_group(&mut self, group: u32) -> bool {
        let before = self.groups.len();
        self.groups.retain(|g| g.seq != group);
        self.groups.len() != before
    }
}

/// `sip:Alice@Contoso.com` → `alice@contoso.com`.
pub fn normalize_address(address: &str) -> String {
    let trimmed = address.trim();
    let bare = match trimmed.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("sip:") => &trimmed[4..],
        _ => trimmed,
    };
    bare.to_ascii_lowercase()
}

/// Configured users and distribution groups.
#[derive(Debug, Clone)]
pub struct Directory {
    pub users: Vec<UserConfig>,
    pub distribution_groups: Vec<DistributionGroupConfig>,
}

impl Directory {
    /// Index of the user whose SMTP address is `address` (case-insensitive, `sip:` ignored).
    pub fn user_by_smtp(&self, address: &str) -> Option<usize> {
        let wanted = normalize_address(address);
        self.users
            .iter()
            .position(|u| u.smtp_address.eq_ignore_ascii_case(&wanted))
    }

    /// Index of the user a Basic-auth name designates: user name, SMTP address, or
    /// `DOMAIN\user`; compared case-insensitively.
    pub fn user_by_login(&self, login: &str) -> Option<usize> {
        let name = login.rsplit('\\').next().unwrap_or(login);
        self.users.iter().position(|u| {
            u.username.eq_ignore_ascii_case(name) || u.smtp_address.eq_ignore_ascii_case(name)
        })
    }

    /// The security identifier the server gives user `index` (for `ConnectingSID/SID`).
    pub fn sid(index: usize) -> String {
        format!("S-1-5-21-1004336348-1177238915-682003330-{}", 1100 + index)
    }

    pub fn distribution_group(&self, smtp: &str) -> Option<&DistributionGroupConfig> {
        let wanted = normalize_address(smtp);
        self.distribution_groups
            .iter()
            .find(|g| g.smtp_address.eq_ignore_ascii_case(&wanted))
    }
}

/// Every mailbox's IM list.
#[derive(Debug)]
pub struct Store {
    mailboxes: Vec<Mutex<MailboxStore>>,
}

impl Store {
    pub fn new(mailboxes: usize) -> Store {
        Store {
            mailboxes: (0..mailboxes)
                .map(|_| Mutex::new(MailboxStore::new()))
                .collect(),
        }
    }

    /// Locks mailbox `index`; `None` when there is no such mailbox.
    pub fn lock(&self, index: usize) -> Option<MutexGuard<'_, MailboxStore>> {
        self.mailboxes
            .get(index)
            .map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

/// Now as `xs:dateTime` (UTC, seconds), e.g. `2012-01-05T23:06:58Z`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_utc(secs)
}

/// Seconds since the epoch → `YYYY-MM-DDThh:mm:ssZ` (proleptic Gregorian, civil-from-days).
pub fn format_utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_like_exchange() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_325_804_818), "2012-01-05T23:06:58Z");
    }

    #[test]
    fn new_mailboxes_have_the_default_groups_in_order() {
        let store = MailboxStore::new();
        let types: Vec<&str> = store.groups.iter().map(|g| g.kind.group_type()).collect();
        assert_eq!(
            types,
            [
                "IPM.DistList.MOC.OtherContacts",
                "IPM.DistList.MOC.Tagged",
                "IPM.DistList.MOC.Favorites"
            ]
        );
    }

    #[test]
    fn membership_changes_bump_the_version() {
        let mut store = MailboxStore::new();
        let group = store.add_group("g".into(), GroupKind::User, None).seq;
        let contact = store.add_contact("sip:a@b".into(), "a".into(), None, now_utc());
        let v0 = store.group(group).map(|g| g.version);
        assert!(store.add_member(group, contact));
        assert!(!store.add_member(group, contact));
        assert_ne!(store.group(group).map(|g| g.version), v0);
        assert!(store.remove_contact(contact));
        assert!(store.group(group).is_some_and(|g| g.members.is_empty()));
    }
}
