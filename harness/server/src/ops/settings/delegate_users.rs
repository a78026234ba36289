//! What the four delegate operations (GetDelegate, AddDelegate, UpdateDelegate, RemoveDelegate)
//! share: reading `t:UserId` and `t:DelegateUser` from the request, writing `m:DelegateUser`,
//! and their response shape, as the documented responses show: the body element is itself a
//! response message (`ResponseClass`, `ResponseCode`) holding `m:ResponseMessages` with one
//! `m:DelegateUserResponseMessageType` per user. The mailbox is `m:Mailbox/t:EmailAddress`: the
//! caller's own (or one it has `folder_access` to); another → the body's `ErrorAccessDenied`.

use super::check_owner;
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Directory;
use crate::mailbox::settings::{DELEGATE_FOLDERS, Delegate, Permission};
use crate::ops::{OpContext, Outcome, Response, message_node};
use crate::render::{MESSAGES_NS, Node, TYPES_NS};
use crate::schema::RequestView;
use crate::xml_tree::Element;

fn child<'a>(element: &'a Element, local: &str) -> Option<&'a Element> {
    element.children.iter().find(|c| c.is(TYPES_NS, local))
}

fn text(element: &Element, local: &str) -> Option<String> {
    child(element, local).map(|c| c.text.trim().to_string())
}

/// `m:Mailbox/t:EmailAddress` of a delegate request.
pub fn mailbox_email(request: &RequestView<'_>) -> String {
    request
        .element("Mailbox")
        .and_then(|m| text(m, "EmailAddress"))
        .unwrap_or_default()
}

/// A `t:UserId` as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserRef {
    pub sid: Option<String>,
    pub smtp: Option<String>,
    pub display_name: Option<String>,
}

impl UserRef {
    pub fn read(element: &Element) -> UserRef {
        UserRef {
            sid: text(element, "SID"),
            smtp: text(element, "PrimarySmtpAddress"),
            display_name: text(element, "DisplayName"),
        }
    }

    /// The directory user it names: by SID, else SMTP address, else display name;
    /// `ErrorDelegateNoUser` when none matches.
    pub fn resolve(&self, directory: &Directory) -> Result<usize, ResponseError> {
        let found = if let Some(sid) = &self.sid {
            (0..directory.users.len()).find(|i| Directory::sid(*i).eq_ignore_ascii_case(sid))
        } else if let Some(smtp) = &self.smtp {
            directory.user_by_smtp(smtp)
        } else if let Some(name) = &self.display_name {
            directory
                .users
                .iter()
                .position(|u| u.display_name.eq_ignore_ascii_case(name))
        } else {
            None
        };
        found.ok_or_else(|| ResponseError::new(ResponseCode::ErrorDelegateNoUser))
    }
}

/// A `t:DelegateUser` of AddDelegate or UpdateDelegate: what it sets (absent parts unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DelegateChange {
    pub user: UserRef,
    /// One per [`DELEGATE_FOLDERS`] entry.
    pub permissions: [Option<Permission>; 6],
    pub receive_copies: Option<bool>,
    pub view_private: Option<bool>,
}

impl DelegateChange {
    pub fn read(element: &Element) -> DelegateChange {
        let mut permissions = [None; 6];
        if let Some(p) = child(element, "DelegatePermissions") {
            for (slot, (local, _)) in permissions.iter_mut().zip(DELEGATE_FOLDERS) {
                *slot = text(p, local).and_then(|t| Permission::parse(&t));
            }
        }
        let flag = |local: &str| text(element, local).map(|t| t == "true" || t == "1");
        DelegateChange {
            user: child(element, "UserId")
                .map(UserRef::read)
                .unwrap_or_default(),
            permissions,
            receive_copies: flag("ReceiveCopiesOfMeetingMessages"),
            view_private: flag("ViewPrivateItems"),
        }
    }

    /// Applies the change to `delegate`.
    pub fn apply(&self, delegate: &mut Delegate) {
        for (level, change) in delegate.permissions.iter_mut().zip(self.permissions) {
            if let Some(change) = change {
                *level = change;
            }
        }
        if let Some(v) = self.receive_copies {
            delegate.receive_copies_of_meeting_messages = v;
        }
        if let Some(v) = self.view_private {
            delegate.view_private_items = v;
        }
    }
}

/// The `t:DelegateUser`s of the request child `container`.
pub fn delegate_changes(request: &RequestView<'_>, container: &str) -> Vec<DelegateChange> {
    request
        .types_children(container, "DelegateUser")
        .map(DelegateChange::read)
        .collect()
}

/// The `t:UserId`s of the request child `container`.
pub fn user_refs(request: &RequestView<'_>, container: &str) -> Vec<UserRef> {
    request
        .types_children(container, "UserId")
        .map(UserRef::read)
        .collect()
}

/// `m:DeliverMeetingRequests` of the request, when given.
pub fn deliver_meeting_requests(request: &RequestView<'_>) -> Option<String> {
    request
        .body()
        .children
        .iter()
        .find(|c| c.is(MESSAGES_NS, "DeliverMeetingRequests"))
        .map(|c| c.text.trim().to_string())
}

/// `m:DelegateUser` of `delegate`: its `t:UserId` (SID, address, display name), its
/// permissions when `permissions` (the levels other than `None`, as the documented GetDelegate
/// response lists them), and its two flags.
pub fn delegate_user_node(ctx: &OpContext<'_>, delegate: &Delegate, permissions: bool) -> Node {
    let mut user_id = Node::t("UserId").child(Node::t_text("SID", Directory::sid(delegate.user)));
    if let Some(user) = ctx.directory.users.get(delegate.user) {
        user_id = user_id
            .child(Node::t_text(
                "PrimarySmtpAddress",
                user.smtp_address.clone(),
            ))
            .child(Node::t_text("DisplayName", user.display_name.clone()));
    }
    let mut node = Node::m("DelegateUser").child(user_id);
    if permissions {
        let levels = DELEGATE_FOLDERS
            .iter()
            .zip(delegate.permissions)
            .filter(|(_, level)| *level != Permission::None)
            .map(|((local, _), level)| Node::t_text(local, level.as_str()));
        node = node.child(Node::t("DelegatePermissions").children(levels.collect::<Vec<_>>()));
    }
    node.child(Node::t_text(
        "ReceiveCopiesOfMeetingMessages",
        delegate.receive_copies_of_meeting_messages.to_string(),
    ))
    .child(Node::t_text(
        "ViewPrivateItems",
        delegate.view_private_items.to_string(),
    ))
}

/// Checks the mailbox: `Ok` for the mailbox the request runs on, else the whole response,
/// `ErrorAccessDenied`.
pub fn check_mailbox(
    ctx: &OpContext<'_>,
    operation: &str,
    address: &str,
) -> Result<(), Box<Response>> {
    check_owner(ctx, address).map_err(|error| {
        Box::new(Response::Body {
            codes: vec![error.code],
            body: message_node(&format!("{operation}Response"), Err(error), None),
        })
    })
}

/// The response of a delegate operation: success at the top, one message per user (the
/// `m:ResponseMessages` left out when there are none), then `extra` (GetDelegate's
/// `m:DeliverMeetingRequests`).
pub fn respond(operation: &str, messages: Vec<Outcome>, extra: Option<Node>) -> Response {
    let codes = messages
        .iter()
        .filter_map(|m| m.as_ref().err().map(|e| e.code))
        .collect();
    let mut body = message_node(&format!("{operation}Response"), Ok(None), None);
    if !messages.is_empty() {
        body = body.child(
            Node::m("ResponseMessages").children(
                messages
                    .into_iter()
                    .map(|m| message_node("DelegateUserResponseMessageType", m, None))
                    .collect::<Vec<_>>(),
            ),
        );
    }
    Response::Body {
        codes,
        body: body.children(extra),
    }
}

/// Operations that only read the folders they name: a delegate needs `Reviewer` for them;
/// any other operation writes and needs `Author` or `Editor`.
pub const READ_OPERATIONS: &[&str] = &[
    "GetFolder",
    "FindFolder",
    "GetItem",
    "FindItem",
    "SyncFolderItems",
    "SyncFolderHierarchy",
];

/// The distinguished folder ids (`inbox`) of every `t:DistinguishedFolderId` of `element` (at
/// any depth) whose `t:Mailbox/t:EmailAddress` is `owner`.
pub fn folders_named_in(element: &Element, owner: &str, found: &mut Vec<String>) {
    if element.is(TYPES_NS, "DistinguishedFolderId") {
        let names_owner = child(element, "Mailbox")
            .and_then(|m| text(m, "EmailAddress"))
            .is_some_and(|a| crate::mailbox::normalize_address(&a).eq_ignore_ascii_case(owner));
        if names_owner {
            found.push(element.attr("Id").unwrap_or_default().to_string());
        }
    }
    for c in &element.children {
        folders_named_in(c, owner, found);
    }
}

/// Whether `delegate` may run `operation` on every folder of `folders` (none: no grant).
/// `reviewer_writes` is the `delegate-write-allowed` quirk.
pub fn delegate_grants(
    delegate: &Delegate,
    operation: &str,
    folders: &[String],
    reviewer_writes: bool,
) -> bool {
    let reads = READ_OPERATIONS.contains(&operation);
    !folders.is_empty()
        && folders.iter().all(|folder| {
            let level = delegate.permission_on(folder);
            if reads || (reviewer_writes && level == Permission::Reviewer) {
                level.can_read()
            } else {
                level.can_write()
            }
        })
}
