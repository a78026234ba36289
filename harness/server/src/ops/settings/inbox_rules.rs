//! What GetInboxRules and UpdateInboxRules share: the mailbox (`m:MailboxSmtpAddress`, the
//! caller's own when absent; another user's → `ErrorAccessDenied`), reading a `t:Rule` into a
//! [`Rule`] (with the validation errors UpdateInboxRules reports per operation), writing
//! `t:Rule`, and the rule ids (`RuleId`: base64 of the rule's sequence number).
//!
//! Both answer with the body element as the response message (`ResponseClass`,
//! `ResponseCode`), as the documented responses show.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::check_owner;
use crate::faults::ResponseError;
use crate::mailbox::Mailbox;
use crate::mailbox::rules::{Actions, Predicates, Rule};
use crate::ops::OpContext;
use crate::ops::folders::folder_refs;
use crate::ops::items::to_node;
use crate::render::{Node, TYPES_NS};
use crate::xml_tree::Element;

fn child<'a>(element: &'a Element, local: &str) -> Option<&'a Element> {
    element.children.iter().find(|c| c.is(TYPES_NS, local))
}

fn text(element: &Element, local: &str) -> Option<String> {
    child(element, local).map(|c| c.text.trim().to_string())
}

fn boolean(element: &Element, local: &str) -> bool {
    text(element, local).is_some_and(|t| t == "true" || t == "1")
}

/// `RuleId` of rule `seq`.
pub fn rule_id(seq: u32) -> String {
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(b"rule");
    bytes[4..].copy_from_slice(&seq.to_be_bytes());
    STANDARD.encode(bytes)
}

/// The rule sequence number of a `RuleId`, when it is one of this server's.
pub fn parse_rule_id(id: &str) -> Option<u32> {
    let bytes = STANDARD.decode(id.trim()).ok()?;
    let (tag, seq) = bytes.split_first_chunk::<4>()?;
    (tag == b"rule" && seq.len() == 4).then(|| u32::from_be_bytes(seq.try_into().unwrap_or([0; 4])))
}

/// The mailbox check: `Ok` when `address` (empty: the caller's) is the mailbox the request runs
/// on.
pub fn check_mailbox(ctx: &OpContext<'_>, address: &str) -> Result<(), ResponseError> {
    if address.is_empty() {
        Ok(())
    } else {
        check_owner(ctx, address)
    }
}

/// One `t:Error` of a rule operation: `(FieldURI, ErrorCode, ErrorMessage, FieldValue)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: &'static str,
    pub value: String,
}

impl RuleError {
    pub fn new(
        field: &'static str,
        code: &'static str,
        message: &'static str,
        value: impl Into<String>,
    ) -> RuleError {
        RuleError {
            field,
            code,
            message,
            value: value.into(),
        }
    }

    pub fn node(&self) -> Node {
        Node::t("Error")
            .child(Node::t_text("FieldURI", self.field))
            .child(Node::t_text("ErrorCode", self.code))
            .child(Node::t_text("ErrorMessage", self.message))
            .child(Node::t_text("FieldValue", self.value.clone()))
    }
}

fn strings(element: &Element, local: &str) -> Vec<String> {
    child(element, local)
        .map(|list| {
            list.children
                .iter()
                .filter(|c| c.is(TYPES_NS, "String"))
                .map(|s| s.text.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn email_addresses(element: &Element, local: &str) -> Vec<String> {
    child(element, local)
        .map(|list| {
            list.children
                .iter()
                .filter_map(|a| text(a, "EmailAddress"))
                .collect()
        })
        .unwrap_or_default()
}

/// The condition kinds of `t:Conditions` / `t:Exceptions`.
fn predicates(element: Option<&Element>) -> Predicates {
    let Some(element) = element else {
        return Predicates::default();
    };
    const EVALUATED: &[&str] = &[
        "ContainsSubjectStrings",
        "ContainsBodyStrings",
        "ContainsSubjectOrBodyStrings",
        "ContainsSenderStrings",
        "FromAddresses",
        "SentToAddresses",
        "Importance",
        "HasAttachments",
    ];
    Predicates {
        subject_strings: strings(element, "ContainsSubjectStrings"),
        body_strings: strings(element, "ContainsBodyStrings"),
        subject_or_body_strings: strings(element, "ContainsSubjectOrBodyStrings"),
        sender_strings: strings(element, "ContainsSenderStrings"),
        from_addresses: email_addresses(element, "FromAddresses"),
        sent_to_addresses: email_addresses(element, "SentToAddresses"),
        importance: text(element, "Importance"),
        has_attachments: child(element, "HasAttachments")
            .map(|_| boolean(element, "HasAttachments")),
        unsupported: element
            .children
            .iter()
            .filter(|c| !EVALUATED.contains(&c.local.as_str()))
            .map(|c| c.local.clone())
            .collect(),
    }
}

/// Reads `t:Rule` (`seq` is the rule's when it replaces one). Folder ids of the actions are
/// resolved in `mailbox`; what does not validate is the operation's list of errors.
pub fn read_rule(
    ctx: &OpContext<'_>,
    mailbox: &Mailbox,
    element: &Element,
    seq: u32,
) -> Result<Rule, Vec<RuleError>> {
    let mut errors = Vec::new();
    let mut actions = Actions::default();
    let folder = |local: &'static str, errors: &mut Vec<RuleError>| -> Option<u32> {
        let target = child(element, "Actions").and_then(|a| child(a, local))?;
        let reference = folder_refs(Some(target)).into_iter().next();
        match reference.map(|r| ctx.resolve_folder(mailbox, &r)) {
            Some(Ok(folder)) => Some(folder),
            _ => {
                let field = if local == "MoveToFolder" {
                    "Action:MoveToFolder"
                } else {
                    "Action:CopyToFolder"
                };
                errors.push(RuleError::new(
                    field,
                    "FolderDoesNotExist",
                    "The folder does not exist in the mailbox.",
                    target
                        .children
                        .first()
                        .and_then(|f| f.attr("Id"))
                        .unwrap_or_default(),
                ));
                None
            }
        }
    };
    match child(element, "Actions").filter(|a| !a.children.is_empty()) {
        None => errors.push(RuleError::new(
            "Actions",
            "MissingAction",
            "The rule has no action.",
            "",
        )),
        Some(a) => {
            for c in &a.children {
                const SUPPORTED: &[&str] = &[
                    "AssignCategories",
                    "CopyToFolder",
                    "Delete",
                    "MarkImportance",
                    "MarkAsRead",
                    "MoveToFolder",
                    "PermanentDelete",
                    "StopProcessingRules",
                ];
                if !SUPPORTED.contains(&c.local.as_str()) {
                    errors.push(RuleError::new(
                        "Actions",
                        "UnsupportedRule",
                        "This server does not perform this action.",
                        c.local.clone(),
                    ));
                }
            }
            actions.assign_categories = strings(a, "AssignCategories");
            actions.delete = boolean(a, "Delete");
            actions.mark_importance = text(a, "MarkImportance");
            actions.mark_as_read = boolean(a, "MarkAsRead");
            actions.permanent_delete = boolean(a, "PermanentDelete");
            actions.stop_processing_rules = boolean(a, "StopProcessingRules");
        }
    }
    actions.move_to_folder = folder("MoveToFolder", &mut errors);
    actions.copy_to_folder = folder("CopyToFolder", &mut errors);
    let display_name = text(element, "DisplayName").unwrap_or_default();
    if display_name.is_empty() {
        errors.push(RuleError::new(
            "DisplayName",
            "EmptyValueFound",
            "The rule has no display name.",
            "",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let echo = |local: &str| {
        child(element, local)
            .filter(|c| !c.children.is_empty())
            .map(to_node)
    };
    Ok(Rule {
        seq,
        display_name,
        priority: text(element, "Priority")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1),
        is_enabled: boolean(element, "IsEnabled"),
        conditions: predicates(child(element, "Conditions")),
        exceptions: predicates(child(element, "Exceptions")),
        actions,
        conditions_node: echo("Conditions"),
        exceptions_node: echo("Exceptions"),
    })
}

/// `t:Rule` of `rule`; folders of actions as `t:FolderId`, as the documented response shows.
pub fn rule_node(ctx: &OpContext<'_>, mailbox: &Mailbox, rule: &Rule) -> Node {
    let a = &rule.actions;
    let folder_node = |local: &str, folder: Option<u32>| {
        folder
            .and_then(|f| mailbox.folders.get(f))
            .map(|f| Node::t(local).child(ctx.folder_id_node("FolderId", f)))
    };
    let flag = |local: &str, on: bool| on.then(|| Node::t_text(local, "true"));
    let mut actions = Node::t("Actions");
    if !a.assign_categories.is_empty() {
        actions = actions.child(
            Node::t("AssignCategories").children(
                a.assign_categories
                    .iter()
                    .map(|c| Node::t_text("String", c.clone()))
                    .collect::<Vec<_>>(),
            ),
        );
    }
    actions = actions
        .children(folder_node("CopyToFolder", a.copy_to_folder))
        .children(flag("Delete", a.delete))
        .children(
            a.mark_importance
                .as_ref()
                .map(|i| Node::t_text("MarkImportance", i.clone())),
        )
        .children(flag("MarkAsRead", a.mark_as_read))
        .children(folder_node("MoveToFolder", a.move_to_folder))
        .children(flag("PermanentDelete", a.permanent_delete))
        .children(flag("StopProcessingRules", a.stop_processing_rules));
    Node::t("Rule")
        .child(Node::t_text("RuleId", rule_id(rule.seq)))
        .child(Node::t_text("DisplayName", rule.display_name.clone()))
        .child(Node::t_text("Priority", rule.priority.to_string()))
        .child(Node::t_text("IsEnabled", rule.is_enabled.to_string()))
        .children(rule.conditions_node.clone())
        .children(rule.exceptions_node.clone())
        .child(actions)
}
