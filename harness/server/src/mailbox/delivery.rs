//! Delivery of sent messages: which mailboxes a message's recipients reach
//! ([`recipient_mailboxes`]), the copy each recipient gets ([`recipient_copy`]) and putting it
//! into a mailbox ([`deliver`]).
//!
//! [`deliver`] is the one place a message enters a mailbox from outside: inbox rules and new-mail
//! notifications hook in there. A handler never delivers itself: it leaves what it sends in the
//! request's [`Outbox`](crate::ops::Outbox), and dispatch delivers after releasing the sender's
//! lock, one recipient mailbox lock at a time (never two locks at once, so concurrent sends
//! cannot deadlock).
//!
//! Addresses that are no configured user or distribution group (outside the organisation) are
//! accepted and dropped, as a relay that hands them on would: nothing of them is observable here.

use super::items::Item;
use super::{Directory, Mailbox, normalize_address};
use crate::render::Node;

/// The SMTP addresses of a message's `To`, `Cc` and `Bcc` recipients, in that order.
pub fn recipient_addresses(message: &Item) -> Vec<String> {
    ["ToRecipients", "CcRecipients", "BccRecipients"]
        .iter()
        .filter_map(|list| message.field(list))
        .flat_map(|list| list.children.iter())
        .filter_map(|mailbox| mailbox.find("EmailAddress").and_then(|e| e.text.clone()))
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect()
}

/// The mailboxes (user indices) `addresses` reach: users directly, distribution groups expanded
/// to their members (nested groups too, each once), each mailbox once, in first-reached order;
/// unknown addresses reach none.
pub fn recipient_mailboxes(directory: &Directory, addresses: &[String]) -> Vec<usize> {
    let mut reached = Vec::new();
    let mut seen_groups: Vec<String> = Vec::new();
    let mut pending: Vec<String> = addresses
        .iter()
        .rev()
        .map(|a| normalize_address(a))
        .collect();
    while let Some(address) = pending.pop() {
        if let Some(user) = directory.user_by_smtp(&address) {
            if !reached.contains(&user) {
                reached.push(user);
            }
        } else if let Some(group) = directory.distribution_group(&address) {
            if !seen_groups.contains(&address) {
                seen_groups.push(address);
                pending.extend(group.members.iter().rev().map(|m| normalize_address(m)));
            }
        }
    }
    reached
}

/// The copy of `message` a recipient gets: no Bcc line (unless `bcc_visible`, the `bcc-visible`
/// quirk), not a draft, unread.
pub fn recipient_copy(message: &Item, bcc_visible: bool) -> Item {
    let mut copy = message.clone();
    if !bcc_visible {
        copy.remove_field("BccRecipients");
    }
    copy.is_draft = false;
    copy.is_read = false;
    copy
}

/// The address in a `From` or `Sender` field.
fn address_in(field: Option<&Node>) -> Option<String> {
    field?
        .find("Mailbox")?
        .find("EmailAddress")
        .and_then(|e| e.text.as_deref())
        .map(normalize_address)
}

/// Puts `message` into `mailbox`: in the Inbox, or in Junk Email when its sender is on the
/// mailbox's blocked-sender list (MarkAsJunk), received now, with a new id and a first
/// ChangeKey; its sequence number. A message that lands in the Inbox then meets the mailbox's
/// inbox rules ([`super::rules::apply_inbox_rules`]: it may move, be flagged or be deleted). The
/// new-mail events come from the caller observing the mailbox
/// (`Subscriptions::observe` in dispatch).
pub fn deliver(mailbox: &mut Mailbox, mut message: Item) -> u32 {
    let sender = address_in(message.field("From")).or_else(|| address_in(message.field("Sender")));
    let blocked = sender.is_some_and(|s| mailbox.blocked_senders.contains(&s));
    let folder = if blocked { "junkemail" } else { "inbox" };
    let Some(parent) = mailbox.folders.distinguished(folder) else {
        return 0;
    };
    let now = super::now_utc();
    message.parent = parent;
    message.received = now.clone();
    message.modified = now;
    message.version = 1;
    message.soft_deleted = false;
    let seq = mailbox.items.add(message);
    if !blocked {
        super::rules::apply_inbox_rules(mailbox, seq);
    }
    seq
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServerConfig;

    fn directory() -> Directory {
        let config = ServerConfig::default();
        Directory {
            users: config.users,
            distribution_groups: config.distribution_groups,
        }
    }

    fn mailbox_node(address: &str) -> Node {
        Node::t("Mailbox").child(Node::t_text("EmailAddress", address))
    }

    #[test]
    fn groups_expand_to_their_members_and_strangers_reach_nobody() {
        let d = directory();
        let reached = recipient_mailboxes(
            &d,
            &[
                "someone@fabrikam.com".to_string(),
                "All-Staff@contoso.com".to_string(),
                "bob@contoso.com".to_string(),
            ],
        );
        assert_eq!(reached, vec![0, 1, 2]);
        assert!(recipient_mailboxes(&d, &["x@fabrikam.com".into()]).is_empty());
    }

    #[test]
    fn delivered_copies_hide_bcc_and_land_unread_in_the_inbox_or_junk() {
        let mut message = Item::new(0, "Message", "IPM.Note", "2012-01-05T23:06:58Z");
        message.is_read = true;
        message.put_field(Node::t("ToRecipients").child(mailbox_node("bob@contoso.com")));
        message.put_field(Node::t("BccRecipients").child(mailbox_node("carol@contoso.com")));
        message.put_field(Node::t("From").child(mailbox_node("Alice@contoso.com")));
        assert_eq!(
            recipient_addresses(&message),
            ["bob@contoso.com", "carol@contoso.com"]
        );
        let copy = recipient_copy(&message, false);
        assert!(copy.field("BccRecipients").is_none() && !copy.is_read);
        assert!(
            recipient_copy(&message, true)
                .field("BccRecipients")
                .is_some()
        );

        let mut bob = Mailbox::new();
        let inbox = bob.folders.distinguished("inbox").expect("inbox");
        let junk = bob.folders.distinguished("junkemail").expect("junk");
        deliver(&mut bob, copy.clone());
        assert_eq!(bob.items.counts(inbox), (1, 1));
        bob.blocked_senders.insert("alice@contoso.com".to_string());
        deliver(&mut bob, copy);
        assert_eq!(bob.items.counts(junk), (1, 1));
    }
}
