//! Inbox rules: a mailbox's [`Rule`]s (what GetInboxRules lists and UpdateInboxRules changes)
//! and their evaluation on a delivered item, [`apply_inbox_rules`].
//!
//! A rule matches when it is enabled, every condition kind it has matches (strings within one
//! kind are alternatives: any of them, case-insensitively, as a substring), and no exception
//! kind matches. Conditions the server does not evaluate (`Rule::unsupported`) make a rule
//! never match, rather than match more than it should. Matching rules act in priority order
//! (lowest first): categories are added, importance and read state set, the item copied, and
//! moved or deleted (`Delete` moves it to Deleted Items, `PermanentDelete` removes it); a rule
//! with `StopProcessingRules`, or one that moved or deleted the item, ends the evaluation.
//!
//! `apply_inbox_rules` runs for each item delivered to an Inbox: today CreateItem's delivery of a
//! message sent to the sender's own address; delivery to other mailboxes (`mailbox/delivery.rs`,
//! once merged) is to call it too.

use super::Mailbox;
use super::items::Item;
use crate::render::Node;

/// The condition kinds a rule's `Conditions` or `Exceptions` may hold that the server
/// evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Predicates {
    pub subject_strings: Vec<String>,
    pub body_strings: Vec<String>,
    pub subject_or_body_strings: Vec<String>,
    pub sender_strings: Vec<String>,
    pub from_addresses: Vec<String>,
    pub sent_to_addresses: Vec<String>,
    pub importance: Option<String>,
    pub has_attachments: Option<bool>,
    /// Names of condition elements given that the server does not evaluate.
    pub unsupported: Vec<String>,
}

impl Predicates {
    /// Whether the set names no condition at all.
    pub fn is_empty(&self) -> bool {
        *self == Predicates::default()
    }
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actions {
    pub assign_categories: Vec<String>,
    pub copy_to_folder: Option<u32>,
    pub delete: bool,
    pub mark_importance: Option<String>,
    pub mark_as_read: bool,
    pub move_to_folder: Option<u32>,
    pub permanent_delete: bool,
    pub stop_processing_rules: bool,
}

/// One inbox rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub seq: u32,
    pub display_name: String,
    pub priority: i64,
    pub is_enabled: bool,
    pub conditions: Predicates,
    pub exceptions: Predicates,
    pub actions: Actions,
    /// `t:Conditions` and `t:Exceptions` as the client sent them (GetInboxRules gives them back).
    pub conditions_node: Option<Node>,
    pub exceptions_node: Option<Node>,
}

/// A mailbox's rules, by priority (then creation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rules {
    rules: Vec<Rule>,
    next_seq: u32,
}

impl Rules {
    /// The rules in priority order.
    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter()
    }

    pub fn get(&self, seq: u32) -> Option<&Rule> {
        self.rules.iter().find(|r| r.seq == seq)
    }

    /// Adds `rule` (its `seq` assigned here); its sequence number.
    pub fn insert(&mut self, mut rule: Rule) -> u32 {
        self.next_seq += 1;
        rule.seq = self.next_seq;
        self.rules.push(rule);
        self.sort();
        self.next_seq
    }

    /// Replaces the rule of the same `seq`; whether there was one.
    pub fn replace(&mut self, rule: Rule) -> bool {
        let Some(slot) = self.rules.iter_mut().find(|r| r.seq == rule.seq) else {
            return false;
        };
        *slot = rule;
        self.sort();
        true
    }

    /// Removes rule `seq`; whether there was one.
    pub fn remove(&mut self, seq: u32) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.seq != seq);
        self.rules.len() != before
    }

    fn sort(&mut self) {
        self.rules.sort_by_key(|r| (r.priority, r.seq));
    }
}

fn contains_any(haystack: &str, needles: &[String]) -> bool {
    let haystack = haystack.to_lowercase();
    needles.iter().any(|n| haystack.contains(&n.to_lowercase()))
}

/// The SMTP addresses of the recipients or sender field `local` (`From`, `ToRecipients`,
/// `CcRecipients`) of an item, lowercased.
fn addresses(item: &Item, local: &str) -> Vec<String> {
    fn collect(node: &Node, out: &mut Vec<String>) {
        if node.local == "EmailAddress" {
            if let Some(text) = &node.text {
                out.push(text.trim().to_lowercase());
            }
        }
        for c in &node.children {
            collect(c, out);
        }
    }
    let mut out = Vec::new();
    for node in item.specific.iter().filter(|n| n.local == local) {
        collect(node, &mut out);
    }
    out
}

fn sender_names(item: &Item) -> String {
    fn collect(node: &Node, out: &mut String) {
        if matches!(node.local.as_str(), "Name" | "EmailAddress") {
            if let Some(text) = &node.text {
                out.push_str(text);
                out.push(' ');
            }
        }
        for c in &node.children {
            collect(c, out);
        }
    }
    let mut out = String::new();
    for node in item.specific.iter().filter(|n| n.local == "From") {
        collect(node, &mut out);
    }
    out
}

/// Whether every condition kind of `p` holds for `item` (`true` for an empty set).
fn all_hold(p: &Predicates, item: &Item) -> bool {
    let body = item.body.as_ref().map_or("", |b| b.text.as_str());
    let wanted = |list: &[String], found: &[String]| {
        list.is_empty()
            || list
                .iter()
                .any(|a| found.iter().any(|f| f.eq_ignore_ascii_case(a.trim())))
    };
    let recipients: Vec<String> = ["ToRecipients", "CcRecipients", "BccRecipients"]
        .iter()
        .flat_map(|l| addresses(item, l))
        .collect();
    let has_attachments = item
        .specific
        .iter()
        .any(|n| n.local == "Attachments" && !n.children.is_empty());
    p.unsupported.is_empty()
        && (p.subject_strings.is_empty() || contains_any(&item.subject, &p.subject_strings))
        && (p.body_strings.is_empty() || contains_any(body, &p.body_strings))
        && (p.subject_or_body_strings.is_empty()
            || contains_any(&item.subject, &p.subject_or_body_strings)
            || contains_any(body, &p.subject_or_body_strings))
        && (p.sender_strings.is_empty() || contains_any(&sender_names(item), &p.sender_strings))
        && wanted(&p.from_addresses, &addresses(item, "From"))
        && wanted(&p.sent_to_addresses, &recipients)
        && p.importance
            .as_ref()
            .is_none_or(|i| i.eq_ignore_ascii_case(&item.importance))
        && p.has_attachments.is_none_or(|h| h == has_attachments)
}

/// Whether any exception kind of `p` holds for `item` (`false` for an empty set).
fn any_holds(p: &Predicates, item: &Item) -> bool {
    if p.is_empty() {
        return false;
    }
    let single = |q: Predicates| !q.is_empty() && all_hold(&q, item);
    let kinds = [
        Predicates {
            subject_strings: p.subject_strings.clone(),
            ..Predicates::default()
        },
        Predicates {
            body_strings: p.body_strings.clone(),
            ..Predicates::default()
        },
        Predicates {
            subject_or_body_strings: p.subject_or_body_strings.clone(),
            ..Predicates::default()
        },
        Predicates {
            sender_strings: p.sender_strings.clone(),
            ..Predicates::default()
        },
        Predicates {
            from_addresses: p.from_addresses.clone(),
            ..Predicates::default()
        },
        Predicates {
            sent_to_addresses: p.sent_to_addresses.clone(),
            ..Predicates::default()
        },
        Predicates {
            importance: p.importance.clone(),
            ..Predicates::default()
        },
        Predicates {
            has_attachments: p.has_attachments,
            ..Predicates::default()
        },
    ];
    kinds.into_iter().any(single)
}

/// Whether `rule` applies to `item`.
pub fn matches(rule: &Rule, item: &Item) -> bool {
    rule.is_enabled && all_hold(&rule.conditions, item) && !any_holds(&rule.exceptions, item)
}

/// Runs the mailbox's inbox rules on item `item` (just delivered to its Inbox); the names of
/// the rules that acted, in order. An item that is not there is left alone.
pub fn apply_inbox_rules(mailbox: &mut Mailbox, item: u32) -> Vec<String> {
    let rules: Vec<Rule> = mailbox.settings.rules.iter().cloned().collect();
    let deleted_items = mailbox.folders.distinguished("deleteditems");
    let mut acted = Vec::new();
    for rule in rules {
        let Some(current) = mailbox.items.get(item) else {
            break;
        };
        if !matches(&rule, current) {
            continue;
        }
        acted.push(rule.display_name.clone());
        let a = &rule.actions;
        if let Some(copy_to) = a
            .copy_to_folder
            .filter(|f| mailbox.folders.get(*f).is_some())
        {
            let mut copy = current.clone();
            copy.parent = copy_to;
            mailbox.items.add(copy);
        }
        if a.permanent_delete {
            mailbox.items.remove(item);
            break;
        }
        let Some(target) = mailbox.items.get_mut(item) else {
            break;
        };
        for category in &a.assign_categories {
            if !target.categories.contains(category) {
                target.categories.push(category.clone());
            }
        }
        if let Some(importance) = &a.mark_importance {
            target.importance = importance.clone();
        }
        if a.mark_as_read {
            target.is_read = true;
        }
        let destination = if a.delete {
            deleted_items
        } else {
            a.move_to_folder
        };
        if let Some(folder) = destination.filter(|f| mailbox.folders.get(*f).is_some()) {
            target.parent = folder;
            target.version += 1;
            break;
        }
        target.version += 1;
        if a.stop_processing_rules {
            break;
        }
    }
    acted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(mailbox: &mut Mailbox, subject: &str, from: &str) -> u32 {
        let inbox = mailbox.folders.distinguished("inbox").expect("inbox");
        let mut item = Item::new(inbox, "Message", "IPM.Note", "2026-01-05T09:00:00Z");
        item.subject = subject.to_string();
        item.is_read = false;
        item.specific.push(
            Node::t("From").child(Node::t("Mailbox").child(Node::t_text("EmailAddress", from))),
        );
        mailbox.items.add(item)
    }

    fn rule(name: &str, priority: i64, conditions: Predicates, actions: Actions) -> Rule {
        Rule {
            seq: 0,
            display_name: name.to_string(),
            priority,
            is_enabled: true,
            conditions,
            exceptions: Predicates::default(),
            actions,
            conditions_node: None,
            exceptions_node: None,
        }
    }

    #[test]
    fn matching_rules_act_in_priority_order_and_a_move_ends_them() {
        let mut mailbox = Mailbox::new();
        let junk = mailbox.folders.distinguished("junkemail").expect("junk");
        let interesting = Predicates {
            subject_strings: vec!["interesting".into()],
            ..Predicates::default()
        };
        mailbox.settings.rules.insert(rule(
            "to junk",
            2,
            interesting.clone(),
            Actions {
                move_to_folder: Some(junk),
                ..Actions::default()
            },
        ));
        mailbox.settings.rules.insert(rule(
            "tag",
            1,
            interesting,
            Actions {
                assign_categories: vec!["Red".into()],
                mark_importance: Some("High".into()),
                mark_as_read: true,
                ..Actions::default()
            },
        ));
        mailbox.settings.rules.insert(rule(
            "never reached",
            3,
            Predicates::default(),
            Actions {
                mark_importance: Some("Low".into()),
                ..Actions::default()
            },
        ));
        let hit = message(&mut mailbox, "An Interesting offer", "x@example.com");
        let miss = message(&mut mailbox, "Hello", "x@example.com");
        assert_eq!(apply_inbox_rules(&mut mailbox, hit), ["tag", "to junk"]);
        let item = mailbox.items.get(hit).expect("kept");
        assert_eq!(item.parent, junk);
        assert_eq!(item.categories, ["Red"]);
        assert_eq!(item.importance, "High");
        assert!(item.is_read);
        // The empty-condition rule matches everything else.
        assert_eq!(apply_inbox_rules(&mut mailbox, miss), ["never reached"]);
        assert_eq!(mailbox.items.get(miss).expect("kept").importance, "Low");
    }

    #[test]
    fn senders_exceptions_disabled_rules_and_stop_processing() {
        let mut mailbox = Mailbox::new();
        let mut from_bob = rule(
            "from bob",
            1,
            Predicates {
                from_addresses: vec!["Bob@Contoso.com".into()],
                ..Predicates::default()
            },
            Actions {
                assign_categories: vec!["Bob".into()],
                stop_processing_rules: true,
                ..Actions::default()
            },
        );
        from_bob.exceptions.subject_strings = vec!["newsletter".into()];
        mailbox.settings.rules.insert(from_bob);
        let mut disabled = rule("off", 0, Predicates::default(), Actions::default());
        disabled.is_enabled = false;
        disabled.actions.delete = true;
        mailbox.settings.rules.insert(disabled);
        mailbox.settings.rules.insert(rule(
            "after stop",
            5,
            Predicates::default(),
            Actions {
                permanent_delete: true,
                ..Actions::default()
            },
        ));
        let direct = message(&mut mailbox, "lunch?", "bob@contoso.com");
        assert_eq!(apply_inbox_rules(&mut mailbox, direct), ["from bob"]);
        assert_eq!(mailbox.items.get(direct).expect("kept").categories, ["Bob"]);
        let news = message(&mut mailbox, "Weekly Newsletter", "bob@contoso.com");
        assert_eq!(apply_inbox_rules(&mut mailbox, news), ["after stop"]);
        assert!(mailbox.items.get(news).is_none(), "permanently deleted");
        let unsupported = Predicates {
            unsupported: vec!["IsSigned".into()],
            ..Predicates::default()
        };
        let mut mailbox = Mailbox::new();
        mailbox
            .settings
            .rules
            .insert(rule("signed", 1, unsupported, Actions::default()));
        let any = message(&mut mailbox, "x", "y@z.com");
        assert!(apply_inbox_rules(&mut mailbox, any).is_empty());
        assert!(apply_inbox_rules(&mut mailbox, 999).is_empty());
    }
}
