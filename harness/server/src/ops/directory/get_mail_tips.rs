//! GetMailTips: what a sender should know before sending to each recipient, one
//! `m:MailTipsResponseMessageType` per `m:Recipients/t:Mailbox`, in order, inside a
//! `m:GetMailTipsResponse` that carries its own `ResponseClass`/`ResponseCode` (always
//! `Success`/`NoError`: a recipient the directory does not know is a tip, not an error).
//!
//! `m:MailTipsRequested` (a list; `All` is every tip below) chooses the tips, written in the
//! schema's order after `t:RecipientAddress` and `t:PendingMailTips`:
//!
//! | tip | value |
//! |---|---|
//! | `OutOfOfficeMessage` | `t:OutOfOffice`: the recipient's OOF reply while OOF is on (`Enabled`, or `Scheduled` and now within it, then with its `t:Duration`), the internal reply for a sender of the organization and the external one otherwise; an empty `t:ReplyBody/t:Message` while OOF is off (as the documented response shows). Users only. |
//! | `MailboxFullStatus` | `t:MailboxFull` `false` (mailboxes have no quota). Users only. |
//! | `TotalMemberCount` | `t:TotalMemberCount`: 1 for a user, the number of members (nested groups counted once each as one member, as ExpandDL lists them) for a group. |
//! | `ExternalMemberCount` | `t:ExternalMemberCount` 0: every member is of the organization. |
//! | `MaxMessageSize` | `t:MaxMessageSize`: the server's `max_request_bytes`. |
//! | `DeliveryRestriction` | `t:DeliveryRestricted` `false`. |
//! | `ModerationStatus` | `t:IsModerated` `false`. |
//! | `InvalidRecipient` | `t:InvalidRecipient`: `true` for an address that is neither a user nor a group (and then no other tip is given), `false` otherwise. |
//!
//! `CustomMailTip`, `Scope`, `RecipientSuggestions` and `PreferAccessibleContent` are never
//! configured: not given. The OOF of a recipient whose mailbox another request holds is not
//! waited for (that could deadlock): `t:PendingMailTips` then lists `OutOfOfficeMessage` and no
//! `t:OutOfOffice` is given, which is what PendingMailTips is for.

use super::{Entry, by_address};
use crate::faults::ResponseCode;
use crate::mailbox::settings::{Oof, OofState};
use crate::mailbox::{Mailbox, format_utc};
use crate::ops::{OpContext, Response, message_node};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;

/// The tips of `t:MailTipTypes` this server answers, in the schema's order of `t:MailTips`.
const TIPS: &[&str] = &[
    "OutOfOfficeMessage",
    "MailboxFullStatus",
    "TotalMemberCount",
    "ExternalMemberCount",
    "MaxMessageSize",
    "DeliveryRestriction",
    "ModerationStatus",
    "InvalidRecipient",
];

/// The GetMailTips request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetMailTips {
    /// `m:SendingAs/t:EmailAddress`.
    pub sender: String,
    /// `t:EmailAddress` of each `m:Recipients/t:Mailbox`.
    pub recipients: Vec<String>,
    /// The tips asked for (`All` expanded).
    pub requested: Vec<&'static str>,
}

impl Handler for GetMailTips {
    const NAME: &'static str = "GetMailTips";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    const CODES: &'static [ResponseCode] = &[];

    fn view(request: &RequestView<'_>) -> Self {
        let address = |el: &crate::xml_tree::Element| {
            el.children
                .iter()
                .find(|c| c.is(TYPES_NS, "EmailAddress"))
                .map(|c| c.text.trim().to_string())
                .unwrap_or_default()
        };
        let sender = request
            .element("SendingAs")
            .map(address)
            .unwrap_or_default();
        let recipients = request
            .element("Recipients")
            .map(|r| r.children.iter().map(address).collect())
            .unwrap_or_default();
        let words: Vec<String> = request
            .element("MailTipsRequested")
            .map(|m| m.text.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        let requested = TIPS
            .iter()
            .copied()
            .filter(|tip| words.iter().any(|w| w == "All" || w == tip))
            .collect();
        GetMailTips {
            sender,
            recipients,
            requested,
        }
    }
}

/// Seconds since the epoch now.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `t:OutOfOffice` for `oof` as `sender_internal` sees it.
fn out_of_office(oof: &Oof, sender_internal: bool) -> Node {
    let now = now();
    let on = match oof.state {
        OofState::Disabled => false,
        OofState::Enabled => true,
        OofState::Scheduled => oof.start <= now && now < oof.end,
    };
    let reply = if !on {
        ""
    } else if sender_internal {
        &oof.internal_reply
    } else {
        &oof.external_reply
    };
    let message = if reply.is_empty() {
        Node::t("Message")
    } else {
        Node::t_text("Message", reply)
    };
    let mut node = Node::t("OutOfOffice").child(Node::t("ReplyBody").child(message));
    if on && oof.state == OofState::Scheduled {
        node = node.child(
            Node::t("Duration")
                .child(Node::t_text("StartTime", format_utc(oof.start)))
                .child(Node::t_text("EndTime", format_utc(oof.end))),
        );
    }
    node
}

impl GetMailTips {
    /// The OOF settings of user `index`: from `own` when it is the caller's mailbox, else from
    /// the store if no one holds that mailbox (`None`: pending).
    fn oof_of(ctx: &OpContext<'_>, own: &Mailbox, index: usize) -> Option<Oof> {
        if index == ctx.mailbox {
            return Some(own.settings.oof.clone());
        }
        ctx.store.try_lock(index).map(|m| m.settings.oof.clone())
    }

    fn tips(&self, ctx: &OpContext<'_>, own: &Mailbox, address: &str) -> Node {
        let entry = by_address(ctx.directory, address);
        let sender_internal = by_address(ctx.directory, &self.sender).is_some();
        let recipient = match entry {
            Some(e) => e.mailbox_node("RecipientAddress"),
            None => Node::t("RecipientAddress")
                .child(Node::t("Name"))
                .child(Node::t_text("EmailAddress", address))
                .child(Node::t_text("RoutingType", "SMTP")),
        };
        let mut pending = Vec::new();
        let mut tips = Vec::new();
        for tip in &self.requested {
            let node = match (*tip, entry) {
                ("InvalidRecipient", _) => Some(Node::t_text(
                    "InvalidRecipient",
                    if entry.is_none() { "true" } else { "false" },
                )),
                (_, None) => None,
                ("OutOfOfficeMessage", Some(Entry::User(user))) => {
                    let index = ctx.directory.user_by_smtp(&user.smtp_address);
                    match index.and_then(|i| Self::oof_of(ctx, own, i)) {
                        Some(oof) => Some(out_of_office(&oof, sender_internal)),
                        None => {
                            pending.push("OutOfOfficeMessage");
                            None
                        }
                    }
                }
                ("MailboxFullStatus", Some(Entry::User(_))) => {
                    Some(Node::t_text("MailboxFull", "false"))
                }
                ("TotalMemberCount", Some(e)) => Some(Node::t_text(
                    "TotalMemberCount",
                    match e {
                        Entry::User(_) => 1,
                        Entry::Group(g) => g.members.len(),
                    }
                    .to_string(),
                )),
                ("ExternalMemberCount", Some(_)) => Some(Node::t_text("ExternalMemberCount", "0")),
                ("MaxMessageSize", Some(_)) => Some(Node::t_text(
                    "MaxMessageSize",
                    ctx.config
                        .max_request_bytes
                        .min(i32::MAX as usize)
                        .to_string(),
                )),
                ("DeliveryRestriction", Some(_)) => {
                    Some(Node::t_text("DeliveryRestricted", "false"))
                }
                ("ModerationStatus", Some(_)) => Some(Node::t_text("IsModerated", "false")),
                _ => None,
            };
            tips.extend(node);
        }
        let pending = if pending.is_empty() {
            Node::t("PendingMailTips")
        } else {
            Node::t_text("PendingMailTips", pending.join(" "))
        };
        Node::m("MailTips")
            .child(recipient)
            .child(pending)
            .children(tips)
    }
}

impl Request for GetMailTips {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let messages = self.recipients.iter().map(|address| {
            message_node(
                "MailTipsResponseMessageType",
                Ok(Some(self.tips(ctx, mailbox, address))),
                None,
            )
        });
        Response::Body {
            codes: Vec::new(),
            body: Node::m("GetMailTipsResponse")
                .attr("ResponseClass", "Success")
                .child(Node::m("ResponseCode").text(ResponseCode::NoError.as_str()))
                .child(Node::m("ResponseMessages").children(messages)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServerConfig;
    use crate::mailbox::{Directory, Store};

    fn request(recipients: &[&str], tips: &'static [&'static str]) -> GetMailTips {
        GetMailTips {
            sender: "alice@contoso.com".into(),
            recipients: recipients.iter().map(|r| r.to_string()).collect(),
            requested: tips.to_vec(),
        }
    }

    fn run(store: &Store, request: &GetMailTips) -> String {
        let config = ServerConfig::default();
        let directory = Directory {
            users: config.users.clone(),
            distribution_groups: config.distribution_groups.clone(),
        };
        let ctx = OpContext::for_test(&config, &directory, store);
        let mut own = store.lock(0).expect("alice").clone();
        let body = match request.handle(&ctx, &mut own) {
            Response::Body { body, .. } => body,
            other => panic!("{other:?}"),
        };
        crate::render::write_document(&body, &crate::render::Namespaces::EXCHANGE)
    }

    #[test]
    fn an_enabled_oof_gives_the_internal_reply_to_a_colleague() {
        let store = Store::new(3);
        {
            let mut bob = store.lock(1).expect("bob");
            bob.settings.oof.state = OofState::Enabled;
            bob.settings.oof.internal_reply = "back on Monday".into();
            bob.settings.oof.external_reply = "external text".into();
        }
        let text = run(
            &store,
            &request(&["bob@contoso.com"], &["OutOfOfficeMessage"]),
        );
        assert!(text.contains("<Message>back on Monday</Message>"), "{text}");
        assert!(!text.contains("external text"), "{text}");
    }

    #[test]
    fn a_scheduled_oof_carries_its_duration_and_a_busy_mailbox_is_pending() {
        let store = Store::new(3);
        {
            let mut carol = store.lock(2).expect("carol");
            carol.settings.oof.state = OofState::Scheduled;
            carol.settings.oof.start = 0;
            carol.settings.oof.end = u64::MAX / 4;
            carol.settings.oof.internal_reply = "on leave".into();
        }
        let text = run(
            &store,
            &request(&["carol@contoso.com"], &["OutOfOfficeMessage"]),
        );
        assert!(text.contains("<Message>on leave</Message>"), "{text}");
        assert!(
            text.contains("<StartTime>1970-01-01T00:00:00Z</StartTime>"),
            "{text}"
        );

        let _held = store.lock(2).expect("carol held by another request");
        let text = run(
            &store,
            &request(&["carol@contoso.com"], &["OutOfOfficeMessage"]),
        );
        assert!(
            text.contains(">OutOfOfficeMessage</PendingMailTips>"),
            "{text}"
        );
        assert!(!text.contains("OutOfOffice>"), "{text}");
    }
}
