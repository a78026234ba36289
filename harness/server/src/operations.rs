//! The EWS operations the coverage report lists: every operation of the EWS reference and the
//! `ExchangeServicePortType` of Services.wsdl (125 names), with the version that introduced it
//! where the documentation states one. These are facts taken from the EWS reference.

/// One EWS operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// Operation name as used in the SOAP body (`RemoveImContactFromGroup`).
    pub name: &'static str,
    /// Version that introduced it (`Exchange 2013`), empty when the documentation does not say.
    pub introduced: &'static str,
}

/// Every EWS operation, sorted by name.
pub const ALL: &[Operation] = &[
    Operation {
        name: "AddDelegate",
        introduced: "Exchange 2007 SP1",
    },
    Operation {
        name: "AddDistributionGroupToImList",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "AddImContactToGroup",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "AddImGroup",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "AddNewImContactToGroup",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "AddNewTelUriContactToGroup",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "AddTag",
        introduced: "not stated",
    },
    Operation {
        name: "ApplyConversationAction",
        introduced: "Exchange 2010 SP1",
    },
    Operation {
        name: "ArchiveItem",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "ConvertId",
        introduced: "Exchange 2007 SP1",
    },
    Operation {
        name: "CopyFolder",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "CopyItem",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "CreateAttachment",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "CreateFolder",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "CreateFolderPath",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "CreateItem",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "CreateManagedFolder",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "CreateMeetingInstance",
        introduced: "not stated",
    },
    Operation {
        name: "CreateMeetingSpace",
        introduced: "not stated",
    },
    Operation {
        name: "CreateUserConfiguration",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "DeleteAttachment",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "DeleteFolder",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "DeleteItem",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "DeleteMeetingInstance",
        introduced: "not stated",
    },
    Operation {
        name: "DeleteMeetingSpace",
        introduced: "not stated",
    },
    Operation {
        name: "DeleteSearchSuggestion",
        introduced: "not stated",
    },
    Operation {
        name: "DeleteUserConfiguration",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "DisableApp",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "DisconnectPhoneCall",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "EmptyFolder",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "EndSearchSession",
        introduced: "not stated",
    },
    Operation {
        name: "ExecuteSearch",
        introduced: "not stated",
    },
    Operation {
        name: "ExpandDL",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "ExportItems",
        introduced: "Exchange 2010 SP1",
    },
    Operation {
        name: "FindAvailableMeetingTimes",
        introduced: "not stated",
    },
    Operation {
        name: "FindConversation",
        introduced: "Exchange 2010 SP1",
    },
    Operation {
        name: "FindFolder",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "FindItem",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "FindMeetingSpaceByJoinUrl",
        introduced: "not stated",
    },
    Operation {
        name: "FindMeetingTimeCandidates",
        introduced: "not stated",
    },
    Operation {
        name: "FindMessageTrackingReport",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "FindPeople",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "FindTags",
        introduced: "not stated",
    },
    Operation {
        name: "GetAppManifests",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetAppMarketplaceUrl",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetAttachment",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "GetClientAccessToken",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetConversationItems",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetDelegate",
        introduced: "Exchange 2007 SP1",
    },
    Operation {
        name: "GetDiscoverySearchConfiguration",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetEvents",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "GetFolder",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "GetHoldOnMailboxes",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetImItemList",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetImItems",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetInboxRules",
        introduced: "Exchange 2010 SP1",
    },
    Operation {
        name: "GetItem",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "GetLastPrivateCatalogUpdate",
        introduced: "not stated",
    },
    Operation {
        name: "GetMailTips",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetMeetingInstance",
        introduced: "not stated",
    },
    Operation {
        name: "GetMeetingSpace",
        introduced: "not stated",
    },
    Operation {
        name: "GetMessageTrackingReport",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetNonIndexableItemDetails",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetNonIndexableItemStatistics",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetPasswordExpirationDate",
        introduced: "Exchange 2010 SP1",
    },
    Operation {
        name: "GetPersona",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetPhoneCallInformation",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetPrivateCatalogAddIns",
        introduced: "not stated",
    },
    Operation {
        name: "GetReminders",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetRoomLists",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetRooms",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetSearchSuggestions",
        introduced: "not stated",
    },
    Operation {
        name: "GetSearchableMailboxes",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetServerTimeZones",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetServiceConfiguration",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetSharingFolder",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetSharingMetadata",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetSpecificUserConfiguration",
        introduced: "not stated",
    },
    Operation {
        name: "GetStreamingEvents",
        introduced: "Exchange 2010 SP1",
    },
    Operation {
        name: "GetUserAvailability",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "GetUserConfiguration",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "GetUserOofSettings",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "GetUserPhoto",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "GetUserRetentionPolicyTags",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "HideTag",
        introduced: "not stated",
    },
    Operation {
        name: "InstallApp",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "MarkAllItemsAsRead",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "MarkAsJunk",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "MoveFolder",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "MoveItem",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "PerformReminderAction",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "PlayOnPhone",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "RefreshSharingFolder",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "RemoveContactFromImList",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "RemoveDelegate",
        introduced: "Exchange 2007 SP1",
    },
    Operation {
        name: "RemoveDistributionGroupFromImList",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "RemoveImContactFromGroup",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "RemoveImGroup",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "ReportMessage",
        introduced: "not stated",
    },
    Operation {
        name: "ResolveNames",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "SearchMailboxes",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "SendItem",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "SetHoldOnMailboxes",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "SetImGroup",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "SetImListMigrationCompleted",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "SetTeamMailbox",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "SetUserOofSettings",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "SetUserPhoto",
        introduced: "not stated",
    },
    Operation {
        name: "StartSearchSession",
        introduced: "not stated",
    },
    Operation {
        name: "Subscribe",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "SyncFolderHierarchy",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "SyncFolderItems",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "UninstallApp",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "UnpinTeamMailbox",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "Unsubscribe",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "UpdateDelegate",
        introduced: "Exchange 2007 SP1",
    },
    Operation {
        name: "UpdateExtensionUsage",
        introduced: "not stated",
    },
    Operation {
        name: "UpdateFolder",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "UpdateInboxRules",
        introduced: "Exchange 2010 SP1",
    },
    Operation {
        name: "UpdateItem",
        introduced: "Exchange 2007",
    },
    Operation {
        name: "UpdateItemInRecoverableItems",
        introduced: "Exchange 2013",
    },
    Operation {
        name: "UpdateMeetingInstance",
        introduced: "not stated",
    },
    Operation {
        name: "UpdateMeetingSpace",
        introduced: "not stated",
    },
    Operation {
        name: "UpdateUserConfiguration",
        introduced: "Exchange 2010",
    },
    Operation {
        name: "UploadItems",
        introduced: "Exchange 2010 SP1",
    },
];

/// Looks an operation up by exact name.
pub fn find(name: &str) -> Option<&'static Operation> {
    ALL.binary_search_by(|op| op.name.cmp(name))
        .ok()
        .map(|i| &ALL[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_complete_sorted_and_searchable() {
        assert_eq!(ALL.len(), 125);
        assert!(ALL.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(
            find("RemoveImContactFromGroup").map(|o| o.introduced),
            Some("Exchange 2013")
        );
        assert!(find("NoSuchOperation").is_none());
    }
}
