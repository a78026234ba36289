//! `ews-reference-server`: the reference EWS server of ews-conformance, the project's executable
//! statement of what Exchange does for the operations the suite covers (the 12 IM-list
//! operations of the Unified Contact Store; the eight folder operations GetFolder, FindFolder,
//! CreateFolder, UpdateFolder, DeleteFolder, EmptyFolder, MoveFolder, CopyFolder; ConvertId; the
//! item operations CreateItem, GetItem, UpdateItem, DeleteItem, MoveItem, CopyItem,
//! MarkAllItemsAsRead; the notification operations Subscribe, GetEvents, GetStreamingEvents,
//! Unsubscribe). It depends on
//! no harness code, so a client project
//! can run it in its own CI: `cargo install --path harness/server`, then
//! `ews-reference-server serve` (or `--tls-self-signed` for https); see `harness/server/README.md`.
//! The harness re-exports it as `ews_conformance::reference_server`.
//!
//! Owns HTTP and HTTPS serving (axum/hyper on its own tokio runtime thread, `http.rs`, and
//! rustls, `tls.rs`), the XML parser (`xml_tree.rs`), SOAP envelope and header semantics
//! (`envelope.rs`), request validation and the typed request views (`schema.rs`), the operation
//! registry ([`registry`]), dispatch (`dispatch.rs`), the operations (one file each under
//! `ops/<area>/`), the mailbox model and directory (`mailbox/`: folders, items, property paths and
//! restrictions shared by the areas; extended by each area's store
//! such as `ops/im/store.rs`), ids (`ids.rs`), the one table of response codes and texts and the
//! faults (`faults.rs`, [`ResponseCode`]), response XML (`render.rs`), quirks (`quirks.rs`), the
//! YAML configuration file (`config.rs`), the `serve` command ([`cli`]) and the 125 EWS
//! operations ([`operations`]).
//!
//! CONTRACT (used by the CLI, the runner and tests): [`ServerConfig`], [`Quirk`], [`start`],
//! [`RunningServer`] keep these names and shapes.
//!
//! # Quick start
//! ```no_run
//! use ews_reference_server::{start, ServerConfig};
//! let server = start(ServerConfig::default()).expect("starts");
//! println!("{}", server.url()); // http://127.0.0.1:PORT/EWS/Exchange.asmx
//! server.shutdown();
//! ```
//!
//! # Default configuration
//! Domain `contoso.com`; users (Basic auth with the user name or the SMTP address):
//!
//! | user | password | SMTP address | may impersonate |
//! |---|---|---|---|
//! | `alice` (primary mailbox) | `alice-password` | `alice@contoso.com` | `bob@contoso.com` |
//! | `bob` | `bob-password` | `bob@contoso.com` | — |
//! | `carol` | `carol-password` | `carol@contoso.com` | — |
//!
//! One distribution group, `im-dg@contoso.com` ("IM Distribution Group"). Limits: 64 IM groups
//! and 1,000 IM contacts per mailbox, 4 MiB request bodies, 10 s header and body read timeouts.
//!
//! # Configuration file
//! [`ServerConfig::from_file`] reads YAML; every key is optional (see
//! `harness/reference-server.example.yaml` for all of them with their defaults):
//! ```yaml
//! listen: 127.0.0.1:8080
//! server_version: Exchange2013
//! users:                      # replaces the default users; the first is the primary mailbox
//!   - {username: alice, password: secret, smtp_address: alice@contoso.com,
//!      display_name: Alice Wilson, can_impersonate: [bob@contoso.com]}
//! distribution_groups:
//!   - {smtp_address: im-dg@contoso.com, display_name: IM Distribution Group}
//! limits: {max_request_bytes: 4194304, max_im_groups: 64, max_im_contacts: 1000,
//!          max_connections: 1024, header_read_timeout_secs: 10, body_read_timeout_secs: 10,
//!          max_attachment_bytes: 2147483647,
//!          notification_minute_secs: 60, streaming_keepalive_secs: 1}
//! quirks: [wrong-response-code]
//! ```
//! Unknown keys and bad values are errors naming `file:line:col` where the YAML parser knows it.
//! TLS is not part of the file: `serve` takes `--tls-cert`/`--tls-key` or `--tls-self-signed`,
//! and [`ServerConfig::tls`] takes a [`TlsIdentity`].
//!
//! # Requests accepted
//! `POST /EWS/Exchange.asmx`, any or no `SOAPAction`, UTF-8. A SOAP 1.1 envelope with any
//! prefixes (`s:`, `soap:`, `SOAP-ENV:`, `ns1:`/`ns2:`) or default namespaces, an optional (possibly
//! empty) `Header`, any whitespace, booleans `true`/`false`/`1`/`0`. Headers acted on:
//! `RequestServerVersion`, `MailboxCulture` (any valid `xs:language` tag is accepted; an invalid tag
//! is a schema violation), `ExchangeImpersonation/ConnectingSID` (`PrimarySmtpAddress`,
//! `SmtpAddress`, `PrincipalName` = user name or SMTP address, `SID`); other header entries are
//! not acted on. Every header entry in an EWS namespace and the body element are validated
//! against Microsoft's messages.xsd/types.xsd by the `ews-schema` engine (see `schema.rs`).
//!
//! # Faults (SOAP 1.1, HTTP 500)
//! - Malformed XML (raw `&`, unclosed elements, undeclared prefix, DTD, invalid UTF-8, ...) or a
//!   schema violation (missing/extra/misordered child, empty NonEmptyString, an element in the
//!   wrong namespace such as `t:ContactId`, `https://` namespaces, unknown element) →
//!   `ErrorSchemaValidation` with `LineNumber`/`LinePosition` (1-based, where .NET reports it: an
//!   element's name, an invalid attribute's name, the end tag of an invalid value) and
//!   `Violation` in Exchange's (.NET's) wording.
//! - `RequestServerVersion` older than Exchange2013 → `ErrorIncorrectSchemaVersion`. A request
//!   **without** the header is treated as Exchange2007 (EWS handles unversioned requests as coming
//!   from the initial release of Exchange 2007), so it gets this fault too.
//! - A valid request for another EWS operation (one of the 125 in [`operations`] that
//!   has a `not_implemented` line in [`registry::REGISTRY`]) → `ErrorInvalidOperation`, whose
//!   `faultstring` and `e:Message` both read "The operation ArchiveItem is not implemented by this server."; an
//!   element that is no EWS operation is undeclared → `ErrorSchemaValidation`, like Exchange.
//!   Why this code (measured with exchangelib 5.6.0 and ews-javascript-api 0.15.x against
//!   `serve`, calling GetFolder for the inbox (not implemented then) and GetRoomLists):
//!
//!   | fault sent | exchangelib shows | ews-javascript-api shows |
//!   |---|---|---|
//!   | `ErrorInvalidRequest`, `e:Message` "The request is invalid." (before) | nothing right: it reads the code as a version mismatch (`services/common.py` retries on `ErrorInvalidServerVersion`, `ErrorIncorrectSchemaVersion`, `ErrorInvalidRequest`, `ErrorInvalidSchemaVersionForMailboxVersion`), resends with Exchange2016, then Exchange2015_SP1, and raises `ErrorSchemaValidation` about the version value (or "Tried versions ... but all were invalid") | `SoapFaultDetails`, message "The request is invalid.", ResponseCode `ErrorInvalidRequest` |
//!   | `ErrorInvalidRequest` naming the operation | the same version retries: the text is never shown | the text |
//!   | `ErrorInvalidOperation` naming the operation (now) | `ErrorInvalidOperation: The operation ArchiveItem is not implemented by this server.` at once, no retry | `SoapFaultDetails`, message "The operation ArchiveItem is not implemented by this server.", ResponseCode `ErrorInvalidOperation` |
//!
//!   Both clients show `e:Message` (exchangelib raises the class named by `e:ResponseCode` with
//!   that text; ews-javascript-api puts it in `message`), so the detail names the operation; the
//!   faultstring says the same for clients that show only it.
//! - Impersonating a mailbox the caller has no right on → `ErrorImpersonateUserDenied` when the
//!   caller may impersonate other users (the per-user right, ms-Exch-EPI-May-Impersonate), and
//!   `ErrorImpersonationDenied` when it may impersonate nobody (the impersonation right itself,
//!   ms-Exch-EPI-Impersonation), as `responsecode.md` tells them apart; an address with no
//!   mailbox → `ErrorNonExistentMailbox` ("The SMTP address has no mailbox associated with it.").
//! - A NUL or another character XML 1.0 forbids, raw or as a character reference (`&#0;`,
//!   `&#x1;`), → `ErrorSchemaValidation` at its line and position; such a character never reaches
//!   a response (the renderer could not write one either).
//!
//! HTTP: 401 with `WWW-Authenticate: Basic realm="..."` without valid credentials, 413 above the
//! body limit, 408 when the body stalls, 405/404 for other methods/paths. At most
//! `max_connections` connections are open at once; a new client at a full server makes the
//! longest-idle connection close, so idle clients never starve new ones.
//!
//! # Business errors (`ResponseClass="Error"`, `DescriptiveLinkKey` 0)
//! | ResponseCode | MessageText | text source | when |
//! |---|---|---|---|
//! | ErrorInvalidImContactId | The specified Im Contact Id is invalid. | documented | contact not on the list / not in the group |
//! | ErrorInvalidImGroupId | The specified Im Group Id is invalid. | documented | no such group; default group for Remove/SetImGroup; DG group as a contact's target |
//! | ErrorInvalidIdMalformed | Id is malformed. | documented | an id that does not decode (see `ids.rs`) |
//! | ErrorInvalidIdEmpty | Id is empty. | not documented | an `Id=""` attribute where an id is resolved (GetImItems skips it) |
//! | ErrorImGroupDisplayNameAlreadyExists | An IM group with the specified display name already exists. | documented | AddImGroup / SetImGroup onto an existing name (case-insensitive) |
//! | ErrorImGroupLimitReached | The maximum number of IM groups has been reached. | not documented | `max_im_groups` user+DG groups |
//! | ErrorImContactLimitReached | The maximum number of IM contacts has been reached. | not documented | `max_im_contacts` contacts |
//! | ErrorInvalidImDistributionGroupSmtpAddress | The specified IM distribution group SMTP address is invalid. | documented | no such distribution group in the directory |
//! | ErrorItemNotFound | The specified object was not found in the store. | documented | RemoveContactFromImList / RemoveDistributionGroupFromImList of something not on the list |
//! | ErrorNonExistentMailbox | No mailbox with such guid. | documented | a well-formed id of another mailbox; `MessageXml` holds `t:Value Name="MailboxGuid"` |
//! | ErrorUnableToRemoveImContactFromGroup | Unable to remove the IM contact from the group. | not documented | RemoveImContactFromGroup on a distribution group (its members come from the directory) |
//!
//! # Behaviour chosen where the docs are silent
//! - AddNewImContactToGroup with an IM address already on the list returns the existing persona
//!   (and adds it to the group); without `GroupId` the contact goes to Other Contacts.
//! - AddDistributionGroupToImList of a group already on the list returns the existing group.
//! - Distribution groups carry `t:SmtpAddress` (the schema's last `ImGroupType` child) only for
//!   requests newer than Exchange2013: the Exchange 2013 examples do not have it.
//! - The contact id (AddImContactToGroup, RemoveImContactFromGroup, RemoveContactFromImList,
//!   `MemberCorrelationKey/ItemId`) is the contact item id = `Attribution/SourceId/@Id`, not the
//!   `PersonaId`.
//! - GetImItems skips ids it cannot use, as documented; the only extended property returned is
//!   `PR_DISPLAY_NAME` (`PropertyTag="0x3001" PropertyType="String"`).
//!
//! Quirks are listed in `quirks.rs`.

mod autodiscover;
pub mod cli;
mod config;
mod dispatch;
mod envelope;
mod faults;
mod http;
mod ids;
mod mailbox;
pub mod operations;
mod ops;
mod quirks;
pub mod registry;
mod render;
mod schema;
pub mod timezones;
mod tls;
mod xml_tree;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

pub use dispatch::SERVER_BUILD;
pub use faults::{ResponseCode, TextSource};
pub use quirks::{EXTRA_ELEMENT, SCHEMA_INVALID_HEADER_ENTRY, WRONG_MESSAGE_TEXT};
pub use tls::TlsIdentity;

/// A named way for the server to misbehave, so tests can prove the suite catches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quirk {
    WrongResponseCode,
    MissingElement,
    ExtraElement,
    HttpsNamespace,
    WrongChildOrder,
    WrongMessageText,
    Soap12Fault,
    DropServerVersionInfo,
    Http200ForFault,
    FrozenChangeKey,
    HtmlContentType,
    SchemaInvalidResponse,
    WrongFolderCounts,
    PagingOffByOne,
    IncludesLastItemWrong,
    RestrictionIgnored,
    FolderClassFirst,
    StaleChangeKeyAccepted,
    PublicDlAsMailbox,
    SortIgnored,
    DuplicatedEvent,
    MissingKeepalive,
    AttachmentChangeKeyFrozen,
    AttachmentSizeWrong,
    SyncLosesChange,
    SyncIncludesLastWrong,
    NoSentItemsCopy,
    BccVisible,
    /// Autodiscover (POX and SOAP) announces an EWS URL with the wrong path.
    AutodiscoverWrongEwsUrl,
    /// GetServerTimeZones writes every `Bias` with the opposite sign.
    TimezoneBiasSign,
    MergedFreeBusyShifted,
    DelegateWriteAllowed,
    /// GetUserPhoto answers an address without a photo with an `ErrorItemNotFound` response
    /// message (HTTP 200) instead of the documented HTTP 500 fault.
    PhotoMissingAsMessage,
}

impl Quirk {
    pub const ALL: &'static [Quirk] = &[
        Quirk::WrongResponseCode,
        Quirk::MissingElement,
        Quirk::ExtraElement,
        Quirk::HttpsNamespace,
        Quirk::WrongChildOrder,
        Quirk::WrongMessageText,
        Quirk::Soap12Fault,
        Quirk::DropServerVersionInfo,
        Quirk::Http200ForFault,
        Quirk::FrozenChangeKey,
        Quirk::HtmlContentType,
        Quirk::SchemaInvalidResponse,
        Quirk::WrongFolderCounts,
        Quirk::PagingOffByOne,
        Quirk::IncludesLastItemWrong,
        Quirk::RestrictionIgnored,
        Quirk::FolderClassFirst,
        Quirk::StaleChangeKeyAccepted,
        Quirk::PublicDlAsMailbox,
        Quirk::SortIgnored,
        Quirk::DuplicatedEvent,
        Quirk::MissingKeepalive,
        Quirk::AttachmentChangeKeyFrozen,
        Quirk::AttachmentSizeWrong,
        Quirk::SyncLosesChange,
        Quirk::SyncIncludesLastWrong,
        Quirk::NoSentItemsCopy,
        Quirk::BccVisible,
        Quirk::AutodiscoverWrongEwsUrl,
        Quirk::TimezoneBiasSign,
        Quirk::MergedFreeBusyShifted,
        Quirk::DelegateWriteAllowed,
        Quirk::PhotoMissingAsMessage,
    ];

    /// The kebab-case name used by `serve --quirk NAME` and `run --quirk NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Quirk::WrongResponseCode => "wrong-response-code",
            Quirk::MissingElement => "missing-element",
            Quirk::ExtraElement => "extra-element",
            Quirk::HttpsNamespace => "https-namespace",
            Quirk::WrongChildOrder => "wrong-child-order",
            Quirk::WrongMessageText => "wrong-message-text",
            Quirk::Soap12Fault => "soap12-fault",
            Quirk::DropServerVersionInfo => "drop-server-version-info",
            Quirk::Http200ForFault => "http-200-for-fault",
            Quirk::FrozenChangeKey => "frozen-change-key",
            Quirk::HtmlContentType => "html-content-type",
            Quirk::SchemaInvalidResponse => "schema-invalid-response",
            Quirk::WrongFolderCounts => "wrong-folder-counts",
            Quirk::PagingOffByOne => "paging-off-by-one",
            Quirk::IncludesLastItemWrong => "includes-last-item-wrong",
            Quirk::RestrictionIgnored => "restriction-ignored",
            Quirk::FolderClassFirst => "folder-class-first",
            Quirk::StaleChangeKeyAccepted => "stale-change-key-accepted",
            Quirk::PublicDlAsMailbox => "public-dl-as-mailbox",
            Quirk::SortIgnored => "sort-ignored",
            Quirk::DuplicatedEvent => "duplicated-event",
            Quirk::MissingKeepalive => "missing-keepalive",
            Quirk::AttachmentChangeKeyFrozen => "attachment-change-key-frozen",
            Quirk::AttachmentSizeWrong => "attachment-size-wrong",
            Quirk::SyncLosesChange => "sync-loses-change",
            Quirk::SyncIncludesLastWrong => "sync-includes-last-wrong",
            Quirk::NoSentItemsCopy => "no-sent-items-copy",
            Quirk::BccVisible => "bcc-visible",
            Quirk::AutodiscoverWrongEwsUrl => "autodiscover-wrong-ews-url",
            Quirk::TimezoneBiasSign => "timezone-bias-sign",
            Quirk::MergedFreeBusyShifted => "merged-freebusy-shifted",
            Quirk::DelegateWriteAllowed => "delegate-write-allowed",
            Quirk::PhotoMissingAsMessage => "photo-missing-as-message",
        }
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Quirk {
    type Err = String;
    fn from_str(s: &str) -> Result<Quirk, String> {
        Quirk::ALL
            .iter()
            .copied()
            .find(|q| q.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Quirk::ALL.iter().map(|q| q.name()).collect();
                format!("unknown quirk `{s}`; known quirks: {}", names.join(", "))
            })
    }
}

/// A user who can authenticate and owns a mailbox. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct UserConfig {
    /// Basic-auth user name (also accepted: the SMTP address).
    pub username: String,
    pub password: String,
    pub smtp_address: String,
    pub display_name: String,
    /// SMTP addresses of mailboxes this user may impersonate.
    pub can_impersonate: Vec<String>,
    /// SMTP addresses of mailboxes whose folders this user may open as a delegate, through a
    /// `t:Mailbox` inside `t:DistinguishedFolderId` (others: `ErrorAccessDenied`).
    pub folder_access: Vec<String>,
    /// The user's photo (GetUserPhoto): JPEG or PNG bytes, `None` for a user without one.
    pub photo: Option<Arc<[u8]>>,
}

/// The built-in photo of the default users alice and bob (a 48x48 JPEG, `photo: builtin` in a
/// configuration file).
pub const BUILTIN_PHOTO: &[u8] = include_bytes!("../data/default-photo.jpg");

impl fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserConfig")
            .field("username", &self.username)
            .field("password", &"***")
            .field("smtp_address", &self.smtp_address)
            .field("display_name", &self.display_name)
            .field("can_impersonate", &self.can_impersonate)
            .field("folder_access", &self.folder_access)
            .field("photo_bytes", &self.photo.as_ref().map(|p| p.len()))
            .finish()
    }
}

/// A distribution group in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionGroupConfig {
    pub smtp_address: String,
    pub display_name: String,
    /// SMTP addresses of the members: users, or other groups (nested groups; ExpandDL lists a
    /// nested group as one `PublicDL` entry, as Exchange does).
    pub members: Vec<String>,
}

/// A room list of the directory (GetRoomLists) and its rooms (GetRooms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomListConfig {
    pub smtp_address: String,
    pub display_name: String,
    pub rooms: Vec<RoomConfig>,
}

/// A room (resource mailbox) of a room list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomConfig {
    pub smtp_address: String,
    pub display_name: String,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen; `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    pub users: Vec<UserConfig>,
    pub distribution_groups: Vec<DistributionGroupConfig>,
    /// `ServerVersionInfo/@Version`, e.g. `Exchange2013`.
    pub server_version: String,
    pub quirks: Vec<Quirk>,
    /// Largest request body accepted (413 above).
    pub max_request_bytes: usize,
    /// User and distribution groups per mailbox (`ErrorImGroupLimitReached` above).
    pub max_im_groups: usize,
    /// IM contacts per mailbox (`ErrorImContactLimitReached` above).
    pub max_im_contacts: usize,
    /// Decoded bytes of one attachment (CreateAttachment refuses a larger one with
    /// `ErrorAttachmentSizeLimitExceeded`; Exchange's documented limit, `Int32.MaxValue`, is the default).
    pub max_attachment_bytes: usize,
    /// Connections open at once. A new client at a full server makes the longest-idle one close;
    /// only when all have a request in flight does it wait in the accept queue.
    pub max_connections: usize,
    /// A client must send its request headers within this time, or is disconnected.
    pub header_read_timeout: Duration,
    /// A client must send its body within this time, or gets 408.
    pub body_read_timeout: Duration,
    /// Serve HTTPS with this certificate and key instead of HTTP.
    pub tls: Option<TlsIdentity>,
    /// Operations answered as not implemented (`ErrorInvalidOperation`), as a server that
    /// implements a subset would: for testing clients against such servers.
    pub disabled_operations: BTreeSet<String>,
    /// How long one minute of a subscription's `Timeout` and a GetStreamingEvents
    /// `ConnectionTimeout` lasts (60 s; tests shorten it).
    pub notification_minute: Duration,
    /// Interval of the keep-alive envelopes (`ConnectionStatus` OK) of an open
    /// GetStreamingEvents stream without events (the server's choice: 1 s).
    pub streaming_keepalive: Duration,
    /// Domains whose addresses Autodiscover (POX) redirects to the user with the same local
    /// part (`Action` `redirectAddr`); GetDomainSettings knows them too.
    pub autodiscover_alias_domains: Vec<String>,
    /// The room lists of the directory, in order (GetRoomLists, GetRooms).
    pub room_lists: Vec<RoomListConfig>,
}

/// Names of the variables [`ServerConfig::target_variables`] defines. They are the harness's
/// built-in target variables (`ews_conformance::target::vars`, which a test keeps equal to
/// these); the server names them itself so that it depends on no harness code.
pub mod vars {
    /// Primary SMTP address of the first configured user.
    pub const MAILBOX: &str = "mailbox";
    /// Domain part of `mailbox`.
    pub const DOMAIN: &str = "domain";
    /// A user the first user may impersonate.
    pub const IMPERSONATION_TARGET: &str = "impersonation_target";
    /// A user the first user may not impersonate.
    pub const IMPERSONATION_DENIED_TARGET: &str = "impersonation_denied_target";
    /// SMTP address of the first distribution group.
    pub const DISTRIBUTION_GROUP: &str = "distribution_group";
    /// Display name of that distribution group.
    pub const DISTRIBUTION_GROUP_NAME: &str = "distribution_group_name";
    /// Every name above.
    pub const ALL: &[&str] = &[
        MAILBOX,
        DOMAIN,
        IMPERSONATION_TARGET,
        IMPERSONATION_DENIED_TARGET,
        DISTRIBUTION_GROUP,
        DISTRIBUTION_GROUP_NAME,
    ];
}

/// The domain of the default users.
pub const DEFAULT_DOMAIN: &str = "contoso.com";

fn default_user(
    name: &str,
    display: &str,
    can_impersonate: &[&str],
    photo: Option<&[u8]>,
) -> UserConfig {
    UserConfig {
        username: name.to_string(),
        password: format!("{name}-password"),
        smtp_address: format!("{name}@{DEFAULT_DOMAIN}"),
        display_name: display.to_string(),
        can_impersonate: can_impersonate.iter().map(|s| s.to_string()).collect(),
        folder_access: Vec::new(),
        photo: photo.map(Arc::from),
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            users: vec![
                default_user(
                    "alice",
                    "Alice Wilson",
                    &["bob@contoso.com"],
                    Some(BUILTIN_PHOTO),
                ),
                default_user("bob", "Bob Kelly", &[], Some(BUILTIN_PHOTO)),
                default_user("carol", "Carol Lopez", &[], None),
            ],
            distribution_groups: vec![
                DistributionGroupConfig {
                    smtp_address: format!("im-dg@{DEFAULT_DOMAIN}"),
                    display_name: "IM Distribution Group".to_string(),
                    members: Vec::new(),
                },
                DistributionGroupConfig {
                    smtp_address: format!("all-staff@{DEFAULT_DOMAIN}"),
                    display_name: "All Staff".to_string(),
                    members: vec![
                        format!("alice@{DEFAULT_DOMAIN}"),
                        format!("bob@{DEFAULT_DOMAIN}"),
                        format!("engineering@{DEFAULT_DOMAIN}"),
                    ],
                },
                DistributionGroupConfig {
                    smtp_address: format!("engineering@{DEFAULT_DOMAIN}"),
                    display_name: "Engineering".to_string(),
                    members: vec![format!("carol@{DEFAULT_DOMAIN}")],
                },
            ],
            server_version: "Exchange2013".to_string(),
            quirks: Vec::new(),
            max_request_bytes: 4 * 1024 * 1024,
            max_im_groups: 64,
            max_im_contacts: 1000,
            max_attachment_bytes: i32::MAX as usize,
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            tls: None,
            disabled_operations: BTreeSet::new(),
            notification_minute: Duration::from_secs(60),
            streaming_keepalive: Duration::from_secs(1),
            autodiscover_alias_domains: Vec::new(),
            room_lists: vec![RoomListConfig {
                smtp_address: format!("rooms@{DEFAULT_DOMAIN}"),
                display_name: "Contoso Rooms".to_string(),
                rooms: vec![
                    RoomConfig {
                        smtp_address: format!("conf-room-1@{DEFAULT_DOMAIN}"),
                        display_name: "Conference Room 1".to_string(),
                    },
                    RoomConfig {
                        smtp_address: format!("conf-room-2@{DEFAULT_DOMAIN}"),
                        display_name: "Conference Room 2".to_string(),
                    },
                ],
            }],
        }
    }
}

impl ServerConfig {
    /// Variables a target pointed at this server defines (see `config::vars`): mailbox, domain,
    /// impersonation targets, distribution group. A variable the configuration cannot provide
    /// (e.g. no user the primary user may not impersonate) is left out.
    pub fn target_variables(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(primary) = self.users.first() else {
            return out;
        };
        out.insert(vars::MAILBOX.to_string(), primary.smtp_address.clone());
        if let Some((_, domain)) = primary.smtp_address.split_once('@') {
            out.insert(vars::DOMAIN.to_string(), domain.to_string());
        }
        let granted = |u: &UserConfig| {
            primary
                .can_impersonate
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&u.smtp_address))
        };
        let others = || self.users.iter().skip(1);
        if let Some(target) = others().find(|u| granted(u)) {
            out.insert(
                vars::IMPERSONATION_TARGET.to_string(),
                target.smtp_address.clone(),
            );
        }
        if let Some(denied) = others().find(|u| !granted(u)) {
            out.insert(
                vars::IMPERSONATION_DENIED_TARGET.to_string(),
                denied.smtp_address.clone(),
            );
        }
        if let Some(group) = self.distribution_groups.first() {
            out.insert(
                vars::DISTRIBUTION_GROUP.to_string(),
                group.smtp_address.clone(),
            );
            out.insert(
                vars::DISTRIBUTION_GROUP_NAME.to_string(),
                group.display_name.clone(),
            );
        }
        out
    }

    /// Reads a YAML configuration file (format in the module docs).
    pub fn from_file(path: impl AsRef<Path>) -> Result<ServerConfig, ServerError> {
        config::load(path.as_ref())
    }

    /// The credentials the server accepts, for `serve` to print: `(user name, SMTP, password)`.
    pub fn credentials(&self) -> Vec<(&str, &str, &str)> {
        self.users
            .iter()
            .map(|u| {
                (
                    u.username.as_str(),
                    u.smtp_address.as_str(),
                    u.password.as_str(),
                )
            })
            .collect()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
    #[error("invalid server configuration: {0}")]
    Config(String),
    /// A configuration file that cannot be read or is invalid.
    #[error("{}: {message}", location(path, *line, *column))]
    ConfigFile {
        path: String,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// A certificate or key that cannot be read or used.
    #[error("TLS: {0}")]
    Tls(String),
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(std::io::Error),
}

fn location(path: &str, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("{path}:{line}:{column}"),
        (Some(line), None) => format!("{path}:{line}"),
        _ => path.to_string(),
    }
}

/// A server running on its own runtime thread. Dropping it shuts it down.
pub struct RunningServer {
    addr: SocketAddr,
    https: bool,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://ADDR/EWS/Exchange.asmx` (`https://` when serving TLS).
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.addr, http::EWS_PATH)
    }
    /// Stops accepting, finishes in-flight requests, joins the runtime thread.
    pub fn shutdown(self) {
        drop(self);
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish()
    }
}

/// Starts the server; returns once it is listening.
pub fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    config::validate(&config).map_err(ServerError::Config)?;
    let acceptor = config.tls.as_ref().map(TlsIdentity::acceptor).transpose()?;
    let https = acceptor.is_some();
    let listener =
        std::net::TcpListener::bind(config.listen).map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.listen,
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| ServerError::Bind { addr, source })?;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("ews-reference-server")
        .enable_all()
        .build()
        .map_err(ServerError::Runtime)?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener)
            .map_err(|source| ServerError::Bind { addr, source })?
    };
    let state = Arc::new(dispatch::ServerState::new(config));
    let (stop, stopped) = watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("ews-reference-server-main".into())
        .spawn(move || {
            runtime.block_on(http::serve(listener, state, acceptor, stopped));
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .map_err(ServerError::Runtime)?;
    Ok(RunningServer {
        addr,
        https,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// Starts the server, calls `print` (the CLI prints the URL and the accepted credentials), then
/// blocks until Ctrl-C and shuts down cleanly.
pub fn serve_blocking(
    config: ServerConfig,
    print: impl FnOnce(&RunningServer, &ServerConfig),
) -> Result<(), ServerError> {
    let server = start(config.clone())?;
    print(&server, &config);
    let waiter = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Runtime)?;
    let result = waiter.block_on(tokio::signal::ctrl_c());
    server.shutdown();
    result.map_err(ServerError::Signal)
}

/// Parses and schema-validates a request without a server (the fuzz target's entry point).
/// Returns the operation name, or the fault code and message.
pub fn check_request(bytes: &[u8]) -> Result<&'static str, String> {
    dispatch::parse_request(bytes)
        .map(|parsed| parsed.operation.name)
        .map_err(|fault| format!("{}: {}", fault.code(), fault.fault_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_defines_every_target_variable() {
        let config = ServerConfig::default();
        let vars = config.target_variables();
        let expected: Vec<&str> = vars::ALL.to_vec();
        let names: Vec<&str> = vars.keys().map(String::as_str).collect();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort_unstable();
        assert_eq!(names, expected_sorted);
        assert_eq!(vars["mailbox"], "alice@contoso.com");
        assert_eq!(vars["domain"], "contoso.com");
        assert_eq!(vars["impersonation_target"], "bob@contoso.com");
        assert_eq!(vars["impersonation_denied_target"], "carol@contoso.com");
        assert_eq!(vars["distribution_group"], "im-dg@contoso.com");
        assert_eq!(vars["distribution_group_name"], "IM Distribution Group");
    }

    #[test]
    fn passwords_never_print() {
        let config = ServerConfig::default();
        assert!(!format!("{config:?}").contains("alice-password"));
    }

    #[test]
    fn start_rejects_a_config_without_users() {
        let config = ServerConfig {
            users: Vec::new(),
            ..ServerConfig::default()
        };
        assert!(matches!(start(config), Err(ServerError::Config(_))));
    }
}
