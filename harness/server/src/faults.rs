//! Response codes, their message texts (ONE table: [`ResponseCode`]), and SOAP faults.
//!
//! Business errors are response messages with `ResponseClass="Error"`, a `MessageText`, the
//! `ResponseCode` and `DescriptiveLinkKey` 0 ([`ResponseCode`]). Request-level errors are SOAP 1.1
//! faults with HTTP 500 ([`Fault`]), shaped like Exchange's: `faultcode` `a:<code>` with `a` bound to
//! the types namespace, `faultstring xml:lang="en-US"`, and `detail` holding `e:ResponseCode`,
//! `e:Message` and, for schema errors, `t:MessageXml` with `LineNumber`, `LinePosition`, `Violation`.

use super::render::{Node, Ns};

/// Defines [`ResponseCode`] from the one table below: each code with the `MessageText` /
/// `e:Message` this server sends with it and whether that text is Exchange's (documented) or the
/// server's own. `Name as "Wire"` is a second entry for a code sent with another text.
macro_rules! response_codes {
    ($($(#[$doc:meta])* $code:ident $(as $wire:literal)? => $text:literal, $source:ident;)*) => {
        /// Every response code this server can send, in responses and in faults.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ResponseCode {
            $($(#[$doc])* $code,)*
        }

        impl ResponseCode {
            /// Every code, in table order.
            pub const ALL: &'static [ResponseCode] = &[$(ResponseCode::$code,)*];

            /// The code as sent (`ErrorInvalidImGroupId`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ResponseCode::$code => response_codes!(@wire $code $($wire)?),)*
                }
            }

            /// The `MessageText` (or fault `e:Message`) sent with this code. `{operation}` in
            /// a text stands for the operation's name.
            pub fn message_text(self) -> &'static str {
                match self {
                    $(ResponseCode::$code => $text,)*
                }
            }

            /// Whether [`message_text`](Self::message_text) is Exchange's own text as the EWS
            /// documentation shows it (`documented`) or this server's wording (`own`).
            pub fn text_source(self) -> TextSource {
                match self {
                    $(ResponseCode::$code => TextSource::$source,)*
                }
            }
        }
    };
    (@wire $code:ident) => { stringify!($code) };
    (@wire $code:ident $wire:literal) => { $wire };
}

/// Where a message text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    /// Exchange's text, as the EWS documentation shows it.
    Documented,
    /// This server's wording: the documentation gives no text.
    Own,
}

response_codes! {
    NoError => "", Documented;
    // Business errors of the IM operations (ResponseClass="Error").
    ErrorInvalidImContactId => "The specified Im Contact Id is invalid.", Documented;
    ErrorInvalidImGroupId => "The specified Im Group Id is invalid.", Documented;
    ErrorInvalidIdMalformed => "Id is malformed.", Documented;
    /// An `Id=""` attribute (responsecode.md: "the caller specifies an Id attribute that is empty").
    ErrorInvalidIdEmpty => "Id is empty.", Own;
    ErrorImGroupDisplayNameAlreadyExists => "An IM group with the specified display name already exists.", Documented;
    ErrorImGroupLimitReached => "The maximum number of IM groups has been reached.", Own;
    ErrorImContactLimitReached => "The maximum number of IM contacts has been reached.", Own;
    ErrorInvalidImDistributionGroupSmtpAddress => "The specified IM distribution group SMTP address is invalid.", Documented;
    ErrorItemNotFound => "The specified object was not found in the store.", Documented;
    ErrorNonExistentMailbox => "No mailbox with such guid.", Documented;
    ErrorUnableToRemoveImContactFromGroup => "Unable to remove the IM contact from the group.", Own;
    // Business errors of the folder operations and ConvertId.
    /// A distinguished folder this mailbox does not have (the archive folders, public folders).
    ErrorFolderNotFound => "The specified folder could not be found in the store.", Own;
    ErrorParentFolderNotFound => "The specified parent folder could not be found.", Documented;
    ErrorFolderExists => "A folder with the specified name already exists.", Documented;
    ErrorRequiredPropertyMissing => "Required property is missing.", Documented;
    ErrorDeleteDistinguishedFolder => "Distinguished folders cannot be deleted.", Own;
    ErrorMoveDistinguishedFolder => "Cannot move distinguished folder.", Documented;
    ErrorMoveCopyFailed => "The move or copy operation failed.", Documented;
    ErrorInvalidChangeKey => "The change key is invalid.", Documented;
    /// A `t:Mailbox` naming another user, who has not granted the caller access.
    ErrorAccessDenied => "Access is denied. Check credentials and try again.", Own;
    ErrorInvalidFractionalPagingParameters => "Fractional paging parameters are invalid.", Own;
    ErrorInvalidRestriction => "The restriction is invalid.", Own;
    /// A view's `MaxEntriesReturned` of zero or less (FindFolder, FindItem).
    ErrorInvalidPagingMaxRows => "The maximum number of rows to return must be greater than zero.", Own;
    /// FindItem `CalendarView` whose EndDate is before its StartDate.
    ErrorCalendarEndDateIsEarlierThanStartDate => "EndDate is earlier than StartDate.", Own;
    /// FindItem `CalendarView` spanning more than two years.
    ErrorCalendarViewRangeTooBig => "The time range of the calendar view is too big (at most two years).", Own;
    /// FindItem `CalendarView` on a folder that is not a calendar folder.
    ErrorCalendarFolderIsInvalidForCalendarView => "A CalendarView can only be used on a calendar folder.", Own;
    ErrorInvalidPropertyRequest => "Property is not valid for this object type.", Documented;
    ErrorInvalidFolderTypeForOperation => "The folder type is not valid for this operation.", Own;
    ErrorCannotEmptyFolder => "The folder cannot be emptied.", Own;
    ErrorObjectTypeChanged => "Object type changed.", Own;
    ErrorInvalidPropertySet => "Set action is invalid for property.", Own;
    ErrorInvalidPropertyDelete => "Delete action is invalid for property.", Own;
    ErrorInvalidPropertyAppend => "Append action is invalid for property.", Own;
    // Business errors of the item operations.
    ErrorCannotCreateContactInNonContactFolder => "Cannot create a contact in a non-contact Folder.", Documented;
    /// A message sent without recipients (responsecode.md: ErrorInvalidRecipients for CreateItem).
    ErrorInvalidRecipients => "At least one recipient isn't valid.", Own;
    /// CreateItem of a `t:Message` without `MessageDisposition`.
    ErrorMessageDispositionRequired => "MessageDisposition attribute is required.", Own;
    /// UpdateItem with a stale ChangeKey under NeverOverwrite or AutoResolve.
    ErrorIrresolvableConflict => "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.", Own;
    /// UpdateItem NeverOverwrite without a ChangeKey.
    ErrorChangeKeyRequiredForWriteOperations => "When making a request that uses a ChangeKey, the ChangeKey is required.", Own;
    // Business errors of the attachment operations.
    /// GetAttachment / DeleteAttachment of an attachment id that names no attachment (any more).
    ErrorInvalidAttachmentId => "The attachment ID is invalid or the attachment was not found.", Own;
    /// CreateAttachment of an attachment larger than `max_attachment_bytes`.
    ErrorAttachmentSizeLimitExceeded => "The attachment exceeds the size limit.", Own;
    /// A `t:ItemAttachment` without the item to attach.
    ErrorMissingItemForCreateItemAttachment => "The item attachment does not contain an item.", Own;
    /// A `t:ItemAttachment` holding an item type that cannot be attached (a meeting message, ...).
    ErrorInvalidItemForOperationCreateItemAttachment => "This item type cannot be created as an item attachment.", Own;
    /// More than 10 levels of attachments nested in attached items.
    ErrorAttachmentNestLevelLimitExceeded => "Attachments nest deeper than 10 levels.", Own;
    /// SendItem of an item that is not a message.
    ErrorInvalidItemForOperationSendItem => "The item is invalid for this operation.", Own;
    /// SendItem with a SavedItemFolderId and SaveItemToFolder false.
    ErrorInvalidSendItemSaveSettings => "Cannot specify a SavedItemFolderId when SaveItemToFolder is false.", Own;
    /// SendItem of a draft without recipients (CreateItem answers ErrorInvalidRecipients).
    ErrorMissingRecipients => "The message has no recipients.", Own;
    /// SendItem with a ChangeKey that is not the draft's current one.
    ErrorStaleObject => "The change key passed in the request does not match the current change key for the item.", Own;
    /// Sending a message whose From is someone the user may not send as.
    ErrorSendAsDenied => "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.", Documented;
    /// CreateItem with MimeContent that is not base64.
    ErrorMimeContentInvalidBase64String => "Invalid base64 string for MIME content.", Own;
    /// CreateItem with MimeContent that is no internet message.
    ErrorMimeContentInvalid => "The MIME content is invalid.", Own;
    // Business errors of the directory operations (ResolveNames, ExpandDL).
    ErrorNameResolutionNoResults => "No results were found.", Documented;
    /// ResponseClass="Warning": the message still carries the resolutions found (at most 100).
    ErrorNameResolutionMultipleResults => "Multiple results were found.", Documented;
    // Business errors of the settings operations.
    ErrorInvalidScheduledOofDuration => "The specified duration end time must be greater than the start time and occur in the future.", Own;
    // Business errors of the notification operations.
    ErrorSubscriptionNotFound => "The specified subscription was not found.", Documented;
    ErrorSubscriptionAccessDenied => "Access is denied. Only the subscription owner may access the subscription.", Documented;
    ErrorSubscriptionDelegateAccessNotSupported => "Subscriptions are not supported for delegate user access.", Documented;
    /// A pull subscription not polled within its Timeout.
    ErrorExpiredSubscription => "The subscription has expired.", Own;
    /// A streaming subscription's id in GetEvents, a pull subscription's in GetStreamingEvents.
    ErrorInvalidSubscription => "The subscription is not valid for this operation.", Own;
    /// Subscribe without folders (or with folders and SubscribeToAllFolders), or a push request.
    ErrorInvalidSubscriptionRequest => "The subscription request is invalid.", Own;
    ErrorInvalidWatermark => "The watermark is invalid.", Own;
    // Business errors of the sync operations.
    /// SyncFolderItems given a sync state it did not issue for that folder (the documented text).
    ErrorInvalidSyncStateData => "Synchronization state data is corrupt or otherwise invalid.", Documented;
    /// SyncFolderHierarchy's wording of the same code, as its documented error example shows it.
    ErrorInvalidSyncStateDataHierarchy as "ErrorInvalidSyncStateData" => "Synchronization state data is corrupted or otherwise invalid.", Documented;
    /// SyncFolderItems of a folder id that names no folder.
    ErrorSyncFolderNotFound => "The specified synchronization folder could not be found.", Own;
    // Business errors and faults of availability, user configurations, delegates and rules.
    /// A MailboxData address that is no mailbox of the directory (per-mailbox message).
    ErrorMailRecipientNotFound => "The mail recipient was not found in Active Directory.", Own;
    /// GetUserAvailability whose TimeWindow ends before it starts (a fault).
    ErrorInvalidTimeInterval => "The specified time interval is invalid: the end time must be after the start time.", Own;
    /// GetUserAvailability whose TimeWindow is longer than 42 days (a fault).
    ErrorTimeIntervalTooBig => "The time window is larger than the allowed limit of 42 days.", Own;
    /// A mailbox whose calendar the request cannot read where it runs (GetUserAvailability
    /// outside the store: only the caller's own mailbox is at hand).
    ErrorFreeBusyGenerationFailed => "Free/busy information could not be generated for this mailbox.", Own;
    /// MergedFreeBusyIntervalInMinutes outside 5..=1440 (a fault).
    ErrorInvalidMergedFreeBusyInterval => "The merged free/busy interval must be between 5 and 1440 minutes.", Own;
    /// RequestedView `None` (a fault).
    ErrorInvalidFreeBusyViewType => "The free/busy view type is invalid.", Own;
    /// CreateUserConfiguration of a name the folder already has.
    ErrorItemSave => "The user configuration object could not be saved: one with this name already exists in the folder.", Own;
    ErrorDelegateAlreadyExists => "The user is already a delegate for the mailbox.", Documented;
    ErrorDelegateCannotAddOwner => "The mailbox owner cannot be added as a delegate.", Own;
    ErrorDelegateNoUser => "The delegate user could not be found in the directory.", Own;
    ErrorNotDelegate => "The user is not a delegate for the mailbox.", Documented;
    /// UpdateInboxRules whose operations do not validate (`RuleOperationErrors` says why).
    ErrorInboxRulesValidationError => "Validation error occurred when processing inbox rules. See RuleOperationErrors for details.", Own;
    /// Only produced by the `wrong-response-code` quirk.
    ErrorInternalServerError => "An internal server error occurred. The operation failed.", Own;
    // Request-level errors (SOAP faults).
    ErrorSchemaValidation => "The request failed schema validation.", Documented;
    ErrorIncorrectSchemaVersion => "The request is valid but does not specify the correct server version in the RequestServerVersion SOAP header.  Ensure that the RequestServerVersion SOAP header is set with the correct RequestServerVersionValue.", Documented;
    /// A well-formed request for an EWS operation this server does not implement.
    ErrorInvalidOperation => "The operation {operation} is not implemented by this server.", Own;
    /// The caller has impersonation rights, but not on the requested user.
    ErrorImpersonateUserDenied => "The account does not have permission to impersonate the requested user.", Own;
    /// The caller has no impersonation right at all.
    ErrorImpersonationDenied => "The account does not have permission to use Exchange Impersonation.", Own;
    /// ExchangeImpersonation of an address without a mailbox (a fault, unlike the business
    /// error of the same code, which has its own text).
    ErrorNonExistentMailboxAddress as "ErrorNonExistentMailbox" => "The SMTP address has no mailbox associated with it.", Documented;
}

/// `detail/m:ErrorCode` of the documented not-mailbox-owner fault (the HRESULT of
/// `System.Exception`, as Exchange sends it).
pub const ACCESS_DENIED_HRESULT: &str = "-2146233088";

/// A business error of one operation: the code and optional `MessageXml` children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseError {
    pub code: ResponseCode,
    pub message_xml: Vec<Node>,
    /// A payload the message keeps despite the code: the message then has
    /// `ResponseClass="Warning"` (ResolveNames' `ErrorNameResolutionMultipleResults`).
    pub warning_payload: Option<Box<Node>>,
}

impl ResponseError {
    pub fn new(code: ResponseCode) -> ResponseError {
        ResponseError {
            code,
            message_xml: Vec::new(),
            warning_payload: None,
        }
    }

    /// A warning: `code` with the payload the message still carries.
    pub fn warning(code: ResponseCode, payload: Node) -> ResponseError {
        ResponseError {
            code,
            message_xml: Vec::new(),
            warning_payload: Some(Box::new(payload)),
        }
    }

    /// `ErrorNonExistentMailbox` naming the mailbox GUID, like Exchange's
    /// `<t:Value Name="MailboxGuid">`.
    pub fn non_existent_mailbox(guid: String) -> ResponseError {
        ResponseError {
            code: ResponseCode::ErrorNonExistentMailbox,
            message_xml: vec![
                Node::t("Value")
                    .prefixed("t")
                    .attr("Name", "MailboxGuid")
                    .text(guid),
            ],
            warning_payload: None,
        }
    }
}

/// What went wrong at the request level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Malformed XML or a schema violation, with the 1-based position in the request text.
    SchemaValidation {
        line: usize,
        position: usize,
        violation: String,
    },
    /// RequestServerVersion older than the operation (or missing, which means Exchange2007).
    IncorrectSchemaVersion,
    /// A well-formed request for an EWS operation this server does not implement.
    NotImplemented { operation: String },
    /// ExchangeImpersonation of a user the caller has no right on (it may impersonate others).
    ImpersonateUserDenied,
    /// ExchangeImpersonation by a caller without any impersonation right.
    ImpersonationDenied,
    /// ExchangeImpersonation of an address that has no mailbox.
    NonExistentMailbox { address: String },
    /// A fault an operation answers with (`Response::Fault`): the code and its table text.
    Operation { code: ResponseCode },
    /// GetUserOofSettings of a mailbox the caller does not own: the documented fault,
    /// `soap:Client` with the AccessDeniedException text naming both security identifiers and
    /// `detail/m:ErrorCode` `-2146233088` (no EWS response code).
    NotMailboxOwner { user_sid: String, owner_sid: String },
}

/// A SOAP fault the server answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
}

impl Fault {
    pub fn new(kind: FaultKind) -> Fault {
        Fault { kind }
    }

    pub fn schema(line: usize, position: usize, violation: impl Into<String>) -> Fault {
        Fault::new(FaultKind::SchemaValidation {
            line,
            position,
            violation: violation.into(),
        })
    }

    /// The entry of the response-code table this fault sends.
    pub fn response_code(&self) -> ResponseCode {
        match self.kind {
            FaultKind::SchemaValidation { .. } => ResponseCode::ErrorSchemaValidation,
            FaultKind::IncorrectSchemaVersion => ResponseCode::ErrorIncorrectSchemaVersion,
            FaultKind::NotImplemented { .. } => ResponseCode::ErrorInvalidOperation,
            FaultKind::ImpersonateUserDenied => ResponseCode::ErrorImpersonateUserDenied,
            FaultKind::ImpersonationDenied => ResponseCode::ErrorImpersonationDenied,
            FaultKind::NonExistentMailbox { .. } => ResponseCode::ErrorNonExistentMailboxAddress,
            FaultKind::Operation { code } => code,
            FaultKind::NotMailboxOwner { .. } => ResponseCode::ErrorAccessDenied,
        }
    }

    /// The EWS response code (`faultcode` local name, `e:ResponseCode`).
    pub fn code(&self) -> &'static str {
        self.response_code().as_str()
    }

    /// The `faultstring` text: the message, and for schema errors the violation too.
    pub fn fault_string(&self) -> String {
        match &self.kind {
            FaultKind::SchemaValidation { violation, .. } => {
                format!("The request failed schema validation: {violation}")
            }
            _ => self.message(),
        }
    }

    /// The `detail/e:Message` text, from the response-code table.
    pub fn message(&self) -> String {
        let text = self.response_code().message_text();
        match &self.kind {
            FaultKind::NotImplemented { operation } => text.replace("{operation}", operation),
            _ => text.to_string(),
        }
    }

    /// The `t:MessageXml` detail element, when this fault has one.
    pub fn message_xml(&self) -> Option<Node> {
        let mxml = Node::t("MessageXml").prefixed("t");
        match &self.kind {
            FaultKind::SchemaValidation {
                line,
                position,
                violation,
            } => Some(
                mxml.child(Node::t_text("LineNumber", line.to_string()).prefixed("t"))
                    .child(Node::t_text("LinePosition", position.to_string()).prefixed("t"))
                    .child(Node::t_text("Violation", violation.clone()).prefixed("t")),
            ),
            FaultKind::NonExistentMailbox { address } => Some(
                mxml.child(
                    Node::t("Value")
                        .prefixed("t")
                        .attr("Name", "SmtpAddress")
                        .text(address.clone()),
                ),
            ),
            _ => None,
        }
    }

    /// `s:Fault` in SOAP 1.1 shape.
    /// `types_uri` binds the `a:` prefix of `faultcode`.
    pub fn to_soap11(&self, types_uri: &str, message_text_override: Option<&str>) -> Node {
        if let FaultKind::NotMailboxOwner {
            user_sid,
            owner_sid,
        } = &self.kind
        {
            let text = message_text_override.map(str::to_string).unwrap_or_else(|| {
                format!(
                    "Microsoft.Exchange.Data.Storage.AccessDeniedException: User is not mailbox owner. User = {user_sid}, MailboxGuid = {owner_sid} ---> User is not mailbox owner. "
                )
            });
            return Node::new(Ns::Soap, "Fault")
                .child(Node::new(Ns::None, "faultcode").text("s:Client"))
                .child(Node::new(Ns::None, "faultstring").text(text))
                .child(
                    Node::new(Ns::None, "detail")
                        .child(Node::new(Ns::Messages, "ErrorCode").text(ACCESS_DENIED_HRESULT)),
                );
        }
        let message = message_text_override
            .map(str::to_string)
            .unwrap_or_else(|| self.message());
        let fault_string = message_text_override
            .map(str::to_string)
            .unwrap_or_else(|| self.fault_string());
        let mut detail = Node::new(Ns::None, "detail")
            .child(
                Node::new(Ns::Errors, "ResponseCode")
                    .prefixed("e")
                    .text(self.code()),
            )
            .child(Node::new(Ns::Errors, "Message").prefixed("e").text(message));
        if let Some(mxml) = self.message_xml() {
            detail = detail.child(mxml);
        }
        Node::new(Ns::Soap, "Fault")
            .child(
                Node::new(Ns::None, "faultcode")
                    .attr("xmlns:a", types_uri)
                    .text(format!("a:{}", self.code())),
            )
            .child(
                Node::new(Ns::None, "faultstring")
                    .attr("xml:lang", "en-US")
                    .text(fault_string),
            )
            .child(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_text_per_code_and_every_error_has_a_text() {
        let mut seen = std::collections::HashSet::new();
        for code in ResponseCode::ALL {
            assert!(
                seen.insert((code.as_str(), code.message_text())),
                "{code:?} twice"
            );
            assert_eq!(
                code.message_text().is_empty(),
                *code == ResponseCode::NoError
            );
        }
        assert_eq!(
            ResponseCode::ErrorNonExistentMailboxAddress.as_str(),
            "ErrorNonExistentMailbox"
        );
        let fault = Fault::new(FaultKind::NotImplemented {
            operation: "GetFolder".into(),
        });
        assert_eq!(fault.code(), "ErrorInvalidOperation");
        assert_eq!(
            fault.message(),
            "The operation GetFolder is not implemented by this server."
        );
        assert_eq!(fault.fault_string(), fault.message());
    }

    #[test]
    fn documented_texts_are_exchange_texts() {
        assert_eq!(
            ResponseCode::ErrorInvalidImContactId.message_text(),
            "The specified Im Contact Id is invalid."
        );
        assert_eq!(
            ResponseCode::ErrorNonExistentMailbox.message_text(),
            "No mailbox with such guid."
        );
        let fault = Fault::schema(11, 33, "x");
        assert_eq!(fault.code(), "ErrorSchemaValidation");
        assert_eq!(
            fault.fault_string(),
            "The request failed schema validation: x"
        );
    }
}
