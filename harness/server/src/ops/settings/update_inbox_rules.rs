//! UpdateInboxRules: runs `m:Operations` in order — `t:CreateRuleOperation` (a new rule; giving
//! a RuleId is `CreateWithRuleId`), `t:SetRuleOperation` (replaces the rule its RuleId names),
//! `t:DeleteRuleOperation` — all or nothing: when any operation does not validate, nothing
//! changes and the response is `ErrorInboxRulesValidationError` with `m:RuleOperationErrors`,
//! one `t:RuleOperationError` per failing operation (its 0-based `OperationIndex` and
//! `t:ValidationErrors`: `RuleNotFound`, `CreateWithRuleId`, `MissingAction`,
//! `FolderDoesNotExist`, `EmptyValueFound`, `UnsupportedRule` for actions the server does not
//! perform). Shared parts: [`super::inbox_rules`].

use super::inbox_rules::{RuleError, check_mailbox, parse_rule_id, read_rule};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::rules::Rule;
use crate::ops::{OpContext, Response, message_node};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;
use crate::xml_tree::Element;

/// One operation of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOperation {
    Create(Element),
    Set(Element),
    Delete(String),
}

/// The UpdateInboxRules request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateInboxRules {
    pub mailbox: String,
    pub operations: Vec<RuleOperation>,
}

impl Handler for UpdateInboxRules {
    const NAME: &'static str = "UpdateInboxRules";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorInboxRulesValidationError,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let rule = |op: &Element| op.children.iter().find(|c| c.is(TYPES_NS, "Rule")).cloned();
        let operations = request
            .element("Operations")
            .map(|ops| {
                ops.children
                    .iter()
                    .filter_map(|op| match op.local.as_str() {
                        "CreateRuleOperation" => rule(op).map(RuleOperation::Create),
                        "SetRuleOperation" => rule(op).map(RuleOperation::Set),
                        "DeleteRuleOperation" => Some(RuleOperation::Delete(
                            op.children
                                .iter()
                                .find(|c| c.is(TYPES_NS, "RuleId"))
                                .map(|r| r.text.trim().to_string())
                                .unwrap_or_default(),
                        )),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        UpdateInboxRules {
            mailbox: request.text("MailboxSmtpAddress").trim().to_string(),
            operations,
        }
    }
}

fn rule_id_of(rule: &Element) -> Option<String> {
    rule.children
        .iter()
        .find(|c| c.is(TYPES_NS, "RuleId"))
        .map(|r| r.text.trim().to_string())
}

fn not_found(id: &str) -> Vec<RuleError> {
    vec![RuleError::new(
        "RuleId",
        "RuleNotFound",
        "The rule was not found.",
        id,
    )]
}

impl Request for UpdateInboxRules {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        if let Err(error) = check_mailbox(ctx, &self.mailbox) {
            return Response::Body {
                codes: vec![error.code],
                body: message_node("UpdateInboxRulesResponse", Err(error), None),
            };
        }
        // Validate and apply on a copy; keep it only when every operation passed.
        let mut rules = mailbox.settings.rules.clone();
        let mut failures: Vec<(usize, Vec<RuleError>)> = Vec::new();
        for (index, operation) in self.operations.iter().enumerate() {
            let result = match operation {
                RuleOperation::Create(element) => match rule_id_of(element) {
                    Some(id) => Err(vec![RuleError::new(
                        "RuleId",
                        "CreateWithRuleId",
                        "A new rule cannot have a RuleId.",
                        id,
                    )]),
                    None => read_rule(ctx, mailbox, element, 0).map(|rule| {
                        rules.insert(rule);
                    }),
                },
                RuleOperation::Set(element) => {
                    let id = rule_id_of(element).unwrap_or_default();
                    match parse_rule_id(&id).filter(|seq| rules.get(*seq).is_some()) {
                        None => Err(not_found(&id)),
                        Some(seq) => read_rule(ctx, mailbox, element, seq).map(|rule: Rule| {
                            rules.replace(rule);
                        }),
                    }
                }
                RuleOperation::Delete(id) => match parse_rule_id(id) {
                    Some(seq) if rules.remove(seq) => Ok(()),
                    _ => Err(not_found(id)),
                },
            };
            if let Err(errors) = result {
                failures.push((index, errors));
            }
        }
        if failures.is_empty() {
            mailbox.settings.rules = rules;
            return Response::Body {
                codes: Vec::new(),
                body: message_node("UpdateInboxRulesResponse", Ok(None), None),
            };
        }
        let errors = failures.into_iter().map(|(index, errors)| {
            Node::t("RuleOperationError")
                .child(Node::t_text("OperationIndex", index.to_string()))
                .child(
                    Node::t("ValidationErrors")
                        .children(errors.iter().map(RuleError::node).collect::<Vec<_>>()),
                )
        });
        let error = ResponseError::new(ResponseCode::ErrorInboxRulesValidationError);
        Response::Body {
            codes: vec![error.code],
            body: message_node("UpdateInboxRulesResponse", Err(error), None)
                .child(Node::m("RuleOperationErrors").children(errors.collect::<Vec<_>>())),
        }
    }

    fn mailbox_address(&self) -> Option<&str> {
        (!self.mailbox.is_empty()).then_some(self.mailbox.as_str())
    }
}
