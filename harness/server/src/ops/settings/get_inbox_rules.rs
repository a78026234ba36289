//! GetInboxRules: the mailbox's inbox rules in priority order (`m:InboxRules`, each `t:Rule`
//! with its RuleId, the Conditions and Exceptions as stored, the Actions with folder ids), after
//! `m:OutlookRuleBlobExists` (always false: the server keeps no Outlook rule blob). Shared parts:
//! [`super::inbox_rules`].

use super::inbox_rules::{check_mailbox, rule_node};
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response, message_node};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;

/// The GetInboxRules request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetInboxRules {
    /// `m:MailboxSmtpAddress`; empty: the caller's mailbox.
    pub mailbox: String,
}

impl Handler for GetInboxRules {
    const NAME: &'static str = "GetInboxRules";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    const CODES: &'static [ResponseCode] = &[ResponseCode::ErrorAccessDenied];

    fn view(request: &RequestView<'_>) -> Self {
        GetInboxRules {
            mailbox: request.text("MailboxSmtpAddress").trim().to_string(),
        }
    }
}

impl Request for GetInboxRules {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        if let Err(error) = check_mailbox(ctx, &self.mailbox) {
            return Response::Body {
                codes: vec![error.code],
                body: message_node("GetInboxRulesResponse", Err(error), None),
            };
        }
        let rules = mailbox
            .settings
            .rules
            .iter()
            .map(|r| rule_node(ctx, mailbox, r))
            .collect::<Vec<_>>();
        Response::Body {
            codes: Vec::new(),
            body: message_node("GetInboxRulesResponse", Ok(None), None)
                .child(Node::m("OutlookRuleBlobExists").text("false"))
                .child(Node::m("InboxRules").children(rules)),
        }
    }

    fn mailbox_address(&self) -> Option<&str> {
        (!self.mailbox.is_empty()).then_some(self.mailbox.as_str())
    }
}
