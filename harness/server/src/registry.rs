//! The operation registry: one line per EWS operation in [`REGISTRY`], either
//! `implemented::<Type>()` or `not_implemented("Name")`. Dispatch looks an operation up by name
//! ([`find`]); an EWS operation that is not implemented is refused naming it.
//!
//! An operation is one file under `ops/<area>/` holding a type that implements [`Handler`]: its
//! name, its cases family, the oldest version that has it, the response codes it can give (from
//! the one table, [`ResponseCode`]), how its typed request is read from a
//! validated body ([`Handler::view`]) and what it does to the mailbox ([`Request::handle`]).
//! [`register`] turns that type into a [`Registration`]. Adding an operation is that file, its
//! line below turned from `not_implemented` into `implemented`, and one cases folder
//! `cases/<family>/<snake_case_operation>/` (a test checks the folder exists for every
//! implemented operation, and that the registry's lines are exactly the 125 EWS operations of
//! [`crate::operations`], in order).

use std::fmt;

use super::faults::{ResponseCode, ResponseError};
use super::mailbox::Mailbox;
use super::ops::{
    OpContext, Response, attachments, availability, directory, folders, ids, im, items,
    notifications, settings, timezones,
};
use super::schema::RequestView;

/// A typed request of one operation, read from a validated body, ready to run.
pub trait Request: fmt::Debug + Send {
    /// Runs the request against the mailbox it acts on (under that mailbox's lock).
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response;

    /// The SMTP address of another user's mailbox the request names (a `t:Mailbox` inside a
    /// `t:DistinguishedFolderId`): dispatch runs the request on that mailbox when the caller has
    /// `folder_access` to it. `None` (the default): the caller's own mailbox.
    fn mailbox_address(&self) -> Option<&str> {
        None
    }

    /// A request answered as a stream (GetStreamingEvents): what the stream serves after the
    /// first envelope, when the handler's answer was a success. `None` (the default): one reply.
    fn stream(&self) -> Option<notifications::get_streaming_events::StreamPlan> {
        None
    }

    /// Runs the request with the whole store at hand (`ctx.store`): by default,
    /// [`handle`](Self::handle) under the lock of `ctx.mailbox`, observed for that mailbox's
    /// notification subscriptions. Operations that read several mailboxes (GetUserAvailability)
    /// override it and lock each in turn, never two at once (no lock-order deadlock).
    fn handle_in_store(&self, ctx: &OpContext<'_>) -> Response {
        match ctx.store.lock(ctx.mailbox) {
            Some(mut mailbox) => ctx
                .subscriptions
                .observe(ctx.mailbox, &mut mailbox, |mailbox| {
                    self.handle(ctx, mailbox)
                }),
            None => Err(ResponseError::new(ResponseCode::ErrorNonExistentMailbox)).into(),
        }
    }
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
        view: boxed_view::<H>,
    }
}

/// One EWS operation's line in the registry.
#[derive(Debug, Clone, Copy)]
pub enum Entry {
    /// The server implements it.
    Implemented(Registration),
    /// The server refuses it with `ErrorInvalidOperation` naming it.
    NotImplemented(&'static str),
}

impl Entry {
    pub fn name(&self) -> &'static str {
        match self {
            Entry::Implemented(registration) => registration.name,
            Entry::NotImplemented(name) => name,
        }
    }
}

/// The line of an implemented operation.
const fn implemented<H: Handler>() -> Entry {
    Entry::Implemented(register::<H>())
}

/// The line of an operation the server does not implement.
const fn not_implemented(name: &'static str) -> Entry {
    Entry::NotImplemented(name)
}

/// Every EWS operation, one line each, sorted by name like [`crate::operations::ALL`]:
/// implementing an operation turns its `not_implemented("Name")` line into
/// `implemented::<area::file::Type>()`.
pub static REGISTRY: &[Entry] = &[
    implemented::<settings::add_delegate::AddDelegate>(),
    implemented::<im::add_distribution_group_to_im_list::AddDistributionGroupToImList>(),
    implemented::<im::add_im_contact_to_group::AddImContactToGroup>(),
    implemented::<im::add_im_group::AddImGroup>(),
    implemented::<im::add_new_im_contact_to_group::AddNewImContactToGroup>(),
    not_implemented("AddNewTelUriContactToGroup"),
    not_implemented("AddTag"),
    not_implemented("ApplyConversationAction"),
    not_implemented("ArchiveItem"),
    implemented::<ids::convert_id::ConvertId>(),
    implemented::<folders::copy_folder::CopyFolder>(),
    implemented::<items::move_item::CopyItem>(),
    implemented::<attachments::create_attachment::CreateAttachment>(),
    implemented::<folders::create_folder::CreateFolder>(),
    not_implemented("CreateFolderPath"),
    implemented::<items::create_item::CreateItem>(),
    not_implemented("CreateManagedFolder"),
    not_implemented("CreateMeetingInstance"),
    not_implemented("CreateMeetingSpace"),
    implemented::<settings::create_user_configuration::CreateUserConfiguration>(),
    implemented::<attachments::delete_attachment::DeleteAttachment>(),
    implemented::<folders::delete_folder::DeleteFolder>(),
    implemented::<items::delete_item::DeleteItem>(),
    not_implemented("DeleteMeetingInstance"),
    not_implemented("DeleteMeetingSpace"),
    not_implemented("DeleteSearchSuggestion"),
    implemented::<settings::delete_user_configuration::DeleteUserConfiguration>(),
    not_implemented("DisableApp"),
    not_implemented("DisconnectPhoneCall"),
    implemented::<folders::empty_folder::EmptyFolder>(),
    not_implemented("EndSearchSession"),
    not_implemented("ExecuteSearch"),
    implemented::<directory::expand_dl::ExpandDl>(),
    not_implemented("ExportItems"),
    not_implemented("FindAvailableMeetingTimes"),
    not_implemented("FindConversation"),
    implemented::<folders::find_folder::FindFolder>(),
    implemented::<items::find_item::FindItem>(),
    not_implemented("FindMeetingSpaceByJoinUrl"),
    not_implemented("FindMeetingTimeCandidates"),
    not_implemented("FindMessageTrackingReport"),
    not_implemented("FindPeople"),
    not_implemented("FindTags"),
    not_implemented("GetAppManifests"),
    not_implemented("GetAppMarketplaceUrl"),
    implemented::<attachments::get_attachment::GetAttachment>(),
    not_implemented("GetClientAccessToken"),
    not_implemented("GetConversationItems"),
    implemented::<settings::get_delegate::GetDelegate>(),
    not_implemented("GetDiscoverySearchConfiguration"),
    implemented::<notifications::get_events::GetEvents>(),
    implemented::<folders::get_folder::GetFolder>(),
    not_implemented("GetHoldOnMailboxes"),
    implemented::<im::get_im_item_list::GetImItemList>(),
    implemented::<im::get_im_items::GetImItems>(),
    implemented::<settings::get_inbox_rules::GetInboxRules>(),
    implemented::<items::get_item::GetItem>(),
    not_implemented("GetLastPrivateCatalogUpdate"),
    implemented::<directory::get_mail_tips::GetMailTips>(),
    not_implemented("GetMeetingInstance"),
    not_implemented("GetMeetingSpace"),
    not_implemented("GetMessageTrackingReport"),
    not_implemented("GetNonIndexableItemDetails"),
    not_implemented("GetNonIndexableItemStatistics"),
    not_implemented("GetPasswordExpirationDate"),
    not_implemented("GetPersona"),
    not_implemented("GetPhoneCallInformation"),
    not_implemented("GetPrivateCatalogAddIns"),
    not_implemented("GetReminders"),
    implemented::<directory::get_room_lists::GetRoomLists>(),
    implemented::<directory::get_rooms::GetRooms>(),
    not_implemented("GetSearchSuggestions"),
    not_implemented("GetSearchableMailboxes"),
    implemented::<timezones::get_server_time_zones::GetServerTimeZones>(),
    not_implemented("GetServiceConfiguration"),
    not_implemented("GetSharingFolder"),
    not_implemented("GetSharingMetadata"),
    not_implemented("GetSpecificUserConfiguration"),
    implemented::<notifications::get_streaming_events::GetStreamingEvents>(),
    implemented::<availability::get_user_availability::GetUserAvailability>(),
    implemented::<settings::get_user_configuration::GetUserConfiguration>(),
    implemented::<settings::get_user_oof_settings::GetUserOofSettings>(),
    implemented::<directory::get_user_photo::GetUserPhoto>(),
    not_implemented("GetUserRetentionPolicyTags"),
    not_implemented("HideTag"),
    not_implemented("InstallApp"),
    implemented::<items::mark_all_items_as_read::MarkAllItemsAsRead>(),
    implemented::<items::mark_as_junk::MarkAsJunk>(),
    implemented::<folders::move_folder::MoveFolder>(),
    implemented::<items::move_item::MoveItem>(),
    not_implemented("PerformReminderAction"),
    not_implemented("PlayOnPhone"),
    not_implemented("RefreshSharingFolder"),
    implemented::<im::remove_contact_from_im_list::RemoveContactFromImList>(),
    implemented::<settings::remove_delegate::RemoveDelegate>(),
    implemented::<im::remove_distribution_group_from_im_list::RemoveDistributionGroupFromImList>(),
    implemented::<im::remove_im_contact_from_group::RemoveImContactFromGroup>(),
    implemented::<im::remove_im_group::RemoveImGroup>(),
    not_implemented("ReportMessage"),
    implemented::<directory::resolve_names::ResolveNames>(),
    not_implemented("SearchMailboxes"),
    implemented::<items::send_item::SendItem>(),
    not_implemented("SetHoldOnMailboxes"),
    implemented::<im::set_im_group::SetImGroup>(),
    implemented::<im::set_im_list_migration_completed::SetImListMigrationCompleted>(),
    not_implemented("SetTeamMailbox"),
    implemented::<settings::set_user_oof_settings::SetUserOofSettings>(),
    not_implemented("SetUserPhoto"),
    not_implemented("StartSearchSession"),
    implemented::<notifications::subscribe::Subscribe>(),
    implemented::<crate::ops::sync::sync_folder_hierarchy::SyncFolderHierarchy>(),
    implemented::<crate::ops::sync::sync_folder_items::SyncFolderItems>(),
    not_implemented("UninstallApp"),
    not_implemented("UnpinTeamMailbox"),
    implemented::<notifications::unsubscribe::Unsubscribe>(),
    implemented::<settings::update_delegate::UpdateDelegate>(),
    not_implemented("UpdateExtensionUsage"),
    implemented::<folders::update_folder::UpdateFolder>(),
    implemented::<settings::update_inbox_rules::UpdateInboxRules>(),
    implemented::<items::update_item::UpdateItem>(),
    not_implemented("UpdateItemInRecoverableItems"),
    not_implemented("UpdateMeetingInstance"),
    not_implemented("UpdateMeetingSpace"),
    implemented::<settings::update_user_configuration::UpdateUserConfiguration>(),
    not_implemented("UploadItems"),
];

/// The operations the server implements.
pub fn implemented_operations() -> impl Iterator<Item = &'static Registration> {
    REGISTRY.iter().filter_map(|entry| match entry {
        Entry::Implemented(registration) => Some(registration),
        Entry::NotImplemented(_) => None,
    })
}

/// The EWS operations the server refuses as not implemented.
pub fn not_implemented_operations() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().filter_map(|entry| match entry {
        Entry::Implemented(_) => None,
        Entry::NotImplemented(name) => Some(*name),
    })
}

/// The implemented operation named `name` (case-sensitive, as XML names are).
pub fn find(name: &str) -> Option<&'static Registration> {
    let name = operation_of_element(name);
    implemented_operations().find(|r| r.name == name)
}

/// The operation a body element invokes: the element's name, except for the two OOF
/// operations and GetUserAvailability, whose body elements end in `Request`
/// (`GetUserOofSettingsRequest`).
pub fn operation_of_element(local: &str) -> &str {
    match local {
        "GetUserOofSettingsRequest" => "GetUserOofSettings",
        "SetUserOofSettingsRequest" => "SetUserOofSettings",
        "GetUserAvailabilityRequest" => "GetUserAvailability",
        other => other,
    }
}

/// Whether `name` is an EWS operation the server does not implement.
pub fn is_not_implemented(name: &str) -> bool {
    let name = operation_of_element(name);
    not_implemented_operations().any(|n| n == name)
}

/// `AddImGroup` → `add_im_group`: the cases folder naming convention.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        if ch.is_ascii_uppercase() {
            // A new word starts at a capital after a lower-case letter, or at the last capital
            // of an acronym followed by a lower-case letter: `ExpandDL` → `expand_dl`.
            let after_lower = i > 0 && chars[i - 1].is_ascii_lowercase();
            let ends_acronym = i > 0
                && chars[i - 1].is_ascii_uppercase()
                && chars.get(i + 1).is_some_and(|c| c.is_ascii_lowercase());
            if after_lower || ends_acronym {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_cases_folders() {
        assert_eq!(snake_case("AddImGroup"), "add_im_group");
        assert_eq!(snake_case("GetImItemList"), "get_im_item_list");
        assert_eq!(snake_case("ExpandDL"), "expand_dl");
        assert_eq!(snake_case("GetUserOofSettings"), "get_user_oof_settings");
        assert_eq!(
            find("RemoveImContactFromGroup").map(|r| r.cases_folder()),
            Some("im/remove_im_contact_from_group".to_string())
        );
        assert!(find("addimgroup").is_none());
        assert!(find("ArchiveItem").is_none());
        assert!(is_not_implemented("ArchiveItem"));
        assert!(!is_not_implemented("AddImGroup"));
    }
}
