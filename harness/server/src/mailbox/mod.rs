//! The mailbox model every operation area works on, and the directory.
//!
//! A [`Mailbox`] holds one part per area: `im` (the IM list, `ops/im/store.rs`), `folders` (the
//! folder tree, [`folders`]) and `items` (the items the folders count over, [`items`]) and
//! `settings` (OOF, delegates, user configurations: [`settings`]; inbox rules: [`rules`]). The
//! property paths shapes ask for ([`properties`]), the restriction evaluator FindFolder and
//! FindItem use ([`restriction`]) and the paging of find results ([`views`]) live here too,
//! generic over what they read, so the item operations reuse
//! them. The
//! [`Store`] keeps one mailbox per configured user, each behind its own mutex: requests on
//! different mailboxes never contend, and every operation runs entirely under its mailbox's
//! lock, so no concurrent update is lost. A poisoned lock is recovered (the store has no
//! invariants a panic could break half-way, and handlers do not panic). The [`Directory`] is the
//! configured users and distribution groups. Messages sent between mailboxes enter them through
//! [`delivery`].

pub mod attachments;
pub mod changes;
pub mod delivery;
pub mod events;
pub mod folders;
pub mod freebusy;
pub mod items;
pub mod mime;
pub mod properties;
pub mod restriction;
pub mod rules;
pub mod settings;
pub mod subscriptions;
pub mod views;

use std::sync::{Mutex, MutexGuard};

use super::ops::im::store::ImList;
use super::{DistributionGroupConfig, UserConfig};

/// One user's mailbox: one part per operation area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The IM list (the `im` operations).
    pub im: ImList,
    /// The folder tree (the `folders` operations).
    pub folders: folders::Folders,
    /// The items, each in one folder.
    pub items: items::Items,
    /// Mailbox settings (OOF).
    pub settings: settings::Settings,
    /// Which new ids the current request's moves and copies made from which old ones (for the
    /// notification events; dispatch drains it after every request).
    pub provenance: events::Provenance,
    /// Senders MarkAsJunk blocked (normalized SMTP addresses): their mail is delivered to Junk
    /// Email ([`delivery::deliver`]).
    pub blocked_senders: std::collections::BTreeSet<String>,
}

impl Mailbox {
    /// A new mailbox, as Exchange creates it (the IM list has its three default groups, the
    /// folder tree its distinguished folders, and there are no items).
    pub fn new() -> Mailbox {
        Mailbox {
            im: ImList::new(),
            folders: folders::Folders::new(),
            items: items::Items::default(),
            settings: settings::Settings::default(),
            provenance: events::Provenance::default(),
            blocked_senders: std::collections::BTreeSet::new(),
        }
    }
}

impl Default for Mailbox {
    fn default() -> Mailbox {
        Mailbox::new()
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

/// Every mailbox, each behind its own lock.
#[derive(Debug)]
pub struct Store {
    mailboxes: Vec<Mutex<Mailbox>>,
}

impl Store {
    pub fn new(mailboxes: usize) -> Store {
        Store {
            mailboxes: (0..mailboxes).map(|_| Mutex::new(Mailbox::new())).collect(),
        }
    }

    /// Locks mailbox `index` if no one holds it; `None` when there is no such mailbox or it is
    /// busy. For a handler that reads another mailbox while it holds its own (waiting could
    /// deadlock with a request doing the opposite).
    pub fn try_lock(&self, index: usize) -> Option<MutexGuard<'_, Mailbox>> {
        match self.mailboxes.get(index)?.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Locks mailbox `index`; `None` when there is no such mailbox.
    pub fn lock(&self, index: usize) -> Option<MutexGuard<'_, Mailbox>> {
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
}
