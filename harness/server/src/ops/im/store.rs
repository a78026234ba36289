//! The IM area's state in a mailbox ([`ImList`], the `im` part of [`Mailbox`](crate::mailbox::Mailbox)):
//! groups (the three default groups, user groups, distribution groups) and IM contacts, with
//! the sequence numbers their ids encode.

use crate::mailbox::normalize_address;

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

/// One mailbox's IM list: its groups and contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImList {
    next_seq: u32,
    pub groups: Vec<Group>,
    pub contacts: Vec<Contact>,
    pub migration_completed: bool,
}

/// Sequence number of the Quick Contacts folder in every mailbox.
pub const QUICK_CONTACTS_FOLDER_SEQ: u32 = 1;

impl ImList {
    pub fn new() -> ImList {
        let mut store = ImList {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::now_utc;

    #[test]
    fn new_mailboxes_have_the_default_groups_in_order() {
        let store = ImList::new();
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
        let mut store = ImList::new();
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
