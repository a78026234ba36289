//! A mailbox's settings: its Out of Office (OOF) configuration, which GetUserOofSettings reads and
//! SetUserOofSettings replaces; its delegates ([`Delegates`]: who may open which of its folders,
//! at what level, which dispatch consults for requests naming this mailbox); and its user
//! configurations ([`UserConfiguration`], per folder and name).

use std::time::{SystemTime, UNIX_EPOCH};

use super::format_utc;

/// `t:OofState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OofState {
    Disabled,
    Enabled,
    Scheduled,
}

impl OofState {
    pub fn parse(text: &str) -> Option<OofState> {
        match text.trim() {
            "Disabled" => Some(OofState::Disabled),
            "Enabled" => Some(OofState::Enabled),
            "Scheduled" => Some(OofState::Scheduled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OofState::Disabled => "Disabled",
            OofState::Enabled => "Enabled",
            OofState::Scheduled => "Scheduled",
        }
    }
}

/// The OOF settings of one mailbox. Times are `xs:dateTime` texts in UTC (`...Z`), seconds since
/// the epoch kept alongside for comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oof {
    pub state: OofState,
    /// `t:ExternalAudience`: `None`, `Known` or `All`.
    pub external_audience: String,
    pub start: u64,
    pub end: u64,
    pub internal_reply: String,
    pub external_reply: String,
}

impl Oof {
    /// What a new mailbox has, as Exchange shows it: disabled, external audience `All`, a
    /// duration from the next whole hour for a day, empty replies.
    pub fn new() -> Oof {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let start = (now / 3600 + 1) * 3600;
        Oof {
            state: OofState::Disabled,
            external_audience: "All".to_string(),
            start,
            end: start + 86_400,
            internal_reply: String::new(),
            external_reply: String::new(),
        }
    }

    pub fn start_text(&self) -> String {
        format_utc(self.start)
    }

    pub fn end_text(&self) -> String {
        format_utc(self.end)
    }
}

impl Default for Oof {
    fn default() -> Oof {
        Oof::new()
    }
}

/// A mailbox's settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    pub oof: Oof,
    pub delegates: Delegates,
    pub user_configurations: UserConfigurations,
    /// The inbox rules ([`super::rules`]).
    pub rules: super::rules::Rules,
}

/// The user configuration objects of a mailbox, in creation order; a name is unique per folder
/// (compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserConfigurations {
    list: Vec<UserConfiguration>,
    next_seq: u32,
}

impl UserConfigurations {
    pub fn find(&self, folder: u32, name: &str) -> Option<&UserConfiguration> {
        self.list
            .iter()
            .find(|c| c.folder == folder && c.name.eq_ignore_ascii_case(name))
    }

    pub fn find_mut(&mut self, folder: u32, name: &str) -> Option<&mut UserConfiguration> {
        self.list
            .iter_mut()
            .find(|c| c.folder == folder && c.name.eq_ignore_ascii_case(name))
    }

    /// Adds `config` (its `seq` assigned here); its sequence number.
    pub fn insert(&mut self, mut config: UserConfiguration) -> u32 {
        self.next_seq += 1;
        config.seq = self.next_seq;
        self.list.push(config);
        self.next_seq
    }

    /// Removes the object `name` of `folder`; whether there was one.
    pub fn remove(&mut self, folder: u32, name: &str) -> bool {
        let before = self.list.len();
        self.list
            .retain(|c| !(c.folder == folder && c.name.eq_ignore_ascii_case(name)));
        self.list.len() != before
    }
}

/// `t:DelegateFolderPermissionLevelType`, in increasing rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Permission {
    #[default]
    None,
    /// Read items.
    Reviewer,
    /// Read and create items.
    Author,
    /// Read, create, change and delete items.
    Editor,
    /// Set by other means than the delegate operations; treated as `None` for access.
    Custom,
}

impl Permission {
    pub fn parse(text: &str) -> Option<Permission> {
        Some(match text.trim() {
            "None" => Permission::None,
            "Reviewer" => Permission::Reviewer,
            "Author" => Permission::Author,
            "Editor" => Permission::Editor,
            "Custom" => Permission::Custom,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::None => "None",
            Permission::Reviewer => "Reviewer",
            Permission::Author => "Author",
            Permission::Editor => "Editor",
            Permission::Custom => "Custom",
        }
    }

    /// Whether the level lets a delegate read the folder.
    pub fn can_read(self) -> bool {
        matches!(
            self,
            Permission::Reviewer | Permission::Author | Permission::Editor
        )
    }

    /// Whether the level lets a delegate write to the folder.
    pub fn can_write(self) -> bool {
        matches!(self, Permission::Author | Permission::Editor)
    }
}

/// The folders a delegate gets permissions on, in `t:DelegatePermissions` order, with the
/// distinguished folder id of each.
pub const DELEGATE_FOLDERS: [(&str, &str); 6] = [
    ("CalendarFolderPermissionLevel", "calendar"),
    ("TasksFolderPermissionLevel", "tasks"),
    ("InboxFolderPermissionLevel", "inbox"),
    ("ContactsFolderPermissionLevel", "contacts"),
    ("NotesFolderPermissionLevel", "notes"),
    ("JournalFolderPermissionLevel", "journal"),
];

/// One delegate of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegate {
    /// Index of the delegate in the directory.
    pub user: usize,
    /// One level per [`DELEGATE_FOLDERS`] entry.
    pub permissions: [Permission; 6],
    pub receive_copies_of_meeting_messages: bool,
    pub view_private_items: bool,
}

impl Delegate {
    /// The level on the distinguished folder `folder` (`inbox`); `None` for any other folder.
    pub fn permission_on(&self, folder: &str) -> Permission {
        DELEGATE_FOLDERS
            .iter()
            .position(|(_, id)| id.eq_ignore_ascii_case(folder))
            .map_or(Permission::None, |i| self.permissions[i])
    }
}

/// A mailbox's delegates and where its meeting requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegates {
    pub users: Vec<Delegate>,
    /// `t:DeliverMeetingRequestsType`.
    pub deliver_meeting_requests: String,
}

impl Default for Delegates {
    fn default() -> Delegates {
        Delegates {
            users: Vec::new(),
            deliver_meeting_requests: "DelegatesAndSendInformationToMe".to_string(),
        }
    }
}

impl Delegates {
    pub fn get(&self, user: usize) -> Option<&Delegate> {
        self.users.iter().find(|d| d.user == user)
    }

    pub fn get_mut(&mut self, user: usize) -> Option<&mut Delegate> {
        self.users.iter_mut().find(|d| d.user == user)
    }
}

/// One user configuration object (`t:UserConfigurationType`): its name within its folder and the
/// parts it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfiguration {
    /// Sequence number (its `ItemId`).
    pub seq: u32,
    pub folder: u32,
    pub name: String,
    /// `(DictionaryKey, DictionaryValue)` entries (a value may be absent: null).
    pub dictionary: Option<Vec<(DictionaryObject, Option<DictionaryObject>)>>,
    /// `XmlData` and `BinaryData`, base64 as sent.
    pub xml_data: Option<String>,
    pub binary_data: Option<String>,
    /// Grows on every change.
    pub version: u32,
}

/// A dictionary key or value: its `Type` and its `Value`s (several for `StringArray`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictionaryObject {
    pub kind: String,
    pub values: Vec<String>,
}

/// `xs:dateTime` → seconds since the epoch, in UTC: `YYYY-MM-DDThh:mm:ss`, an optional fraction
/// (dropped), and `Z`, `±hh:mm` or nothing (taken as UTC, as Exchange does for OOF times).
/// `None` for anything else or a time before 1970.
pub fn parse_datetime(text: &str) -> Option<u64> {
    let text = text.trim();
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "" | "Z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let zone = &rest[1..];
            if zone.len() != 5 || zone.as_bytes()[2] != b':' {
                return None;
            }
            let zh: i64 = zone[..2].parse().ok()?;
            let zm: i64 = zone[3..].parse().ok()?;
            if zh > 14 || zm > 59 {
                return None;
            }
            sign * (zh * 3600 + zm * 60)
        }
    };
    // Days from civil (proleptic Gregorian).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = if mo > 2 { mo - 3 } else { mo + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset;
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_round_trip_and_offsets_apply() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_datetime("2012-01-05T23:06:58Z"), Some(1_325_804_818));
        assert_eq!(
            parse_datetime("2012-01-05T23:06:58.123"),
            Some(1_325_804_818)
        );
        assert_eq!(
            parse_datetime("2012-01-06T01:06:58+02:00"),
            Some(1_325_804_818)
        );
        assert_eq!(
            format_utc(parse_datetime("2024-02-29T12:00:00Z").unwrap()),
            "2024-02-29T12:00:00Z"
        );
        for bad in [
            "",
            "2012-13-01T00:00:00Z",
            "2012-01-05 23:06:58",
            "1969-12-31T23:59:59Z",
            "2012-01-05T23:06:58+2",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }
}
