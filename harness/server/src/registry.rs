//! The operation registry: every operation the server implements, registered with one line in
//! [`REGISTRY`], and every other EWS operation listed in [`NOT_IMPLEMENTED`]. Dispatch looks an
//! operation up by name ([`find`]).
//!
//! An operation is one file under `ops/<area>/` holding a type that implements [`Handler`]: its
//! name, its cases family, the oldest version that has it, the response codes it can give (from
//! the one table, [`ResponseCode`]), its request schema, how its typed request is read from a
//! validated body ([`Handler::view`]) and what it does to the mailbox ([`Request::handle`]).
//! [`register`] turns that type into a [`Registration`]. Adding an operation is that file, one
//! line below, and one cases folder `cases/<family>/<snake_case_operation>/` (a test checks the
//! folder exists for every registered operation, and that the registered and not-implemented
//! lists together are exactly the 125 EWS operations of [`crate::operations`]).

use std::fmt;

use super::faults::ResponseCode;
use super::mailbox::Mailbox;
use super::ops::{OpContext, Outcome, im};
use super::schema::{Particle, RequestView};

/// A typed request of one operation, read from a validated body, ready to run.
pub trait Request: fmt::Debug + Send {
    /// Runs the request against the mailbox it acts on (under that mailbox's lock).
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Outcome;
}

/// One operation: the facts the registry needs, and its typed request.
pub trait Handler: Request + Sized + 'static {
    /// The operation's name, the local name of its body element (`AddImGroup`).
    const NAME: &'static str;
    /// Its cases family: its cases live in `cases/<FAMILY>/<snake_case NAME>/`.
    const FAMILY: &'static str;
    /// Oldest `RequestServerVersion` that has the operation (`ErrorIncorrectSchemaVersion` below).
    const MINIMUM_VERSION: &'static str;
    /// The response codes other than `NoError` the handler can give.
    const CODES: &'static [ResponseCode];
    /// The request's `xs:sequence` (until the XSD engine validates from messages.xsd).
    const REQUEST: &'static [Particle];
    /// Reads the typed request from a body element that passed validation.
    fn view(request: &RequestView<'_>) -> Self;
}

/// A registered operation.
#[derive(Clone, Copy)]
pub struct Registration {
    pub name: &'static str,
    pub family: &'static str,
    pub minimum_version: &'static str,
    pub codes: &'static [ResponseCode],
    pub request: &'static [Particle],
    view: fn(&RequestView<'_>) -> Box<dyn Request>,
}

impl Registration {
    /// Builds the typed request of a validated body.
    pub fn view(&self, request: &RequestView<'_>) -> Box<dyn Request> {
        (self.view)(request)
    }

    /// The cases folder of this operation, relative to `cases/`: `im/add_im_group`.
    pub fn cases_folder(&self) -> String {
        format!("{}/{}", self.family, snake_case(self.name))
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .field("family", &self.family)
            .field("minimum_version", &self.minimum_version)
            .field("codes", &self.codes)
            .finish_non_exhaustive()
    }
}

fn boxed_view<H: Handler>(request: &RequestView<'_>) -> Box<dyn Request> {
    Box::new(H::view(request))
}

/// The registration of handler `H`.
pub const fn register<H: Handler>() -> Registration {
    Registration {
        name: H::NAME,
        family: H::FAMILY,
        minimum_version: H::MINIMUM_VERSION,
        codes: H::CODES,
        request: H::REQUEST,
        view: boxed_view::<H>,
    }
}

/// Every operation the server implements: one line each.
pub static REGISTRY: &[Registration] = &[
    register::<im::add_distribution_group_to_im_list::AddDistributionGroupToImList>(),
    register::<im::add_im_contact_to_group::AddImContactToGroup>(),
    register::<im::add_im_group::AddImGroup>(),
    register::<im::add_new_im_contact_to_group::AddNewImContactToGroup>(),
    register::<im::get_im_item_list::GetImItemList>(),
    register::<im::get_im_items::GetImItems>(),
    register::<im::remove_contact_from_im_list::RemoveContactFromImList>(),
    register::<im::remove_distribution_group_from_im_list::RemoveDistributionGroupFromImList>(),
    register::<im::remove_im_contact_from_group::RemoveImContactFromGroup>(),
    register::<im::remove_im_group::RemoveImGroup>(),
    register::<im::set_im_group::SetImGroup>(),
    register::<im::set_im_list_migration_completed::SetImListMigrationCompleted>(),
];

/// The registered operation named `name` (case-sensitive, as XML names are).
pub fn find(name: &str) -> Option<&'static Registration> {
    REGISTRY.iter().find(|r| r.name == name)
}

/// `AddImGroup` → `add_im_group`: the cases folder naming convention.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The EWS operations the server does not implement: refused with `ErrorInvalidOperation`
/// naming the operation. Remove a name from here when registering its operation.
pub const NOT_IMPLEMENTED: &[&str] = &[
    "AddDelegate",
    "AddNewTelUriContactToGroup",
    "AddTag",
    "ApplyConversationAction",
    "ArchiveItem",
    "ConvertId",
    "CopyFolder",
    "CopyItem",
    "CreateAttachment",
    "CreateFolder",
    "CreateFolderPath",
    "CreateItem",
    "CreateManagedFolder",
    "CreateMeetingInstance",
    "CreateMeetingSpace",
    "CreateUserConfiguration",
    "DeleteAttachment",
    "DeleteFolder",
    "DeleteItem",
    "DeleteMeetingInstance",
    "DeleteMeetingSpace",
    "DeleteSearchSuggestion",
    "DeleteUserConfiguration",
    "DisableApp",
    "DisconnectPhoneCall",
    "EmptyFolder",
    "EndSearchSession",
    "ExecuteSearch",
    "ExpandDL",
    "ExportItems",
    "FindAvailableMeetingTimes",
    "FindConversation",
    "FindFolder",
    "FindItem",
    "FindMeetingSpaceByJoinUrl",
    "FindMeetingTimeCandidates",
    "FindMessageTrackingReport",
    "FindPeople",
    "FindTags",
    "GetAppManifests",
    "GetAppMarketplaceUrl",
    "GetAttachment",
    "GetClientAccessToken",
    "GetConversationItems",
    "GetDelegate",
    "GetDiscoverySearchConfiguration",
    "GetEvents",
    "GetFolder",
    "GetHoldOnMailboxes",
    "GetInboxRules",
    "GetItem",
    "GetLastPrivateCatalogUpdate",
    "GetMailTips",
    "GetMeetingInstance",
    "GetMeetingSpace",
    "GetMessageTrackingReport",
    "GetNonIndexableItemDetails",
    "GetNonIndexableItemStatistics",
    "GetPasswordExpirationDate",
    "GetPersona",
    "GetPhoneCallInformation",
    "GetPrivateCatalogAddIns",
    "GetReminders",
    "GetRoomLists",
    "GetRooms",
    "GetSearchSuggestions",
    "GetSearchableMailboxes",
    "GetServerTimeZones",
    "GetServiceConfiguration",
    "GetSharingFolder",
    "GetSharingMetadata",
    "GetSpecificUserConfiguration",
    "GetStreamingEvents",
    "GetUserAvailability",
    "GetUserConfiguration",
    "GetUserOofSettings",
    "GetUserPhoto",
    "GetUserRetentionPolicyTags",
    "HideTag",
    "InstallApp",
    "MarkAllItemsAsRead",
    "MarkAsJunk",
    "MoveFolder",
    "MoveItem",
    "PerformReminderAction",
    "PlayOnPhone",
    "RefreshSharingFolder",
    "RemoveDelegate",
    "ReportMessage",
    "ResolveNames",
    "SearchMailboxes",
    "SendItem",
    "SetHoldOnMailboxes",
    "SetTeamMailbox",
    "SetUserOofSettings",
    "SetUserPhoto",
    "StartSearchSession",
    "Subscribe",
    "SyncFolderHierarchy",
    "SyncFolderItems",
    "UninstallApp",
    "UnpinTeamMailbox",
    "Unsubscribe",
    "UpdateDelegate",
    "UpdateExtensionUsage",
    "UpdateFolder",
    "UpdateInboxRules",
    "UpdateItem",
    "UpdateItemInRecoverableItems",
    "UpdateMeetingInstance",
    "UpdateMeetingSpace",
    "UpdateUserConfiguration",
    "UploadItems",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_cases_folders() {
        assert_eq!(snake_case("AddImGroup"), "add_im_group");
        assert_eq!(snake_case("GetImItemList"), "get_im_item_list");
        assert_eq!(
            find("RemoveImContactFromGroup").map(|r| r.cases_folder()),
            Some("im/remove_im_contact_from_group".to_string())
        );
        assert!(find("addimgroup").is_none());
    }
}
