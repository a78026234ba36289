//! `t:MimeContent` both ways: an item read from an RFC 5322 message ([`apply`], CreateItem) and an
//! RFC 5322 message written from an item ([`build`], GetItem `IncludeMimeContent`), with
//! `mail-parser` and `mail-builder`.
//!
//! What maps: `Subject`; the body (the first HTML part, else the first text part); `From`,
//! `Sender`, `To`, `Cc`, `Bcc` and `Reply-To` (the `t:Mailbox` lists of a message, name and
//! address); `Date` (`DateTimeSent`); `Message-ID` (`InternetMessageId`, with its angle
//! brackets); `Importance` (`high`/`normal`/`low`, or `X-Priority` 1-2 / 4-5 when it is absent).
//! The body is written as one part with `charset=utf-8`. Attachments are not mapped: the item
//! model has none yet.

use std::borrow::Cow;

use base64::Engine;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address as BuiltAddress;
use mail_builder::headers::text::Text;
use mail_parser::{Address, DateTime, MessageParser};

use super::items::{Body, Item};
use crate::render::Node;

/// Why MIME content cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MimeError {
    /// The element's text is not base64 (`ErrorMimeContentInvalidBase64String`).
    InvalidBase64,
    /// The bytes are no internet message: no header at all (`ErrorMimeContentInvalid`).
    Invalid,
}

/// The bytes of a `t:MimeContent` text (base64, whitespace ignored).
pub fn decode(text: &str) -> Result<Vec<u8>, MimeError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| MimeError::InvalidBase64)
}

/// `<t:MimeContent CharacterSet="UTF-8">` holding the base64 of `bytes`.
pub fn mime_content_node(bytes: &[u8]) -> Node {
    Node::t("MimeContent")
        .attr("CharacterSet", "UTF-8")
        .text(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A `t:Mailbox` with a name (when there is one) and an SMTP address.
pub fn mailbox_node(name: Option<&str>, address: &str) -> Node {
    let mut mailbox = Node::t("Mailbox");
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        mailbox = mailbox.child(Node::t_text("Name", name));
    }
    mailbox
        .child(Node::t_text("EmailAddress", address))
        .child(Node::t_text("RoutingType", "SMTP"))
}

/// The (name, address) pairs of the `t:Mailbox` children of `list`.
fn mailboxes(list: &Node) -> Vec<(String, String)> {
    list.children
        .iter()
        .filter(|m| m.local == "Mailbox")
        .filter_map(|m| {
            let text = |name: &str| m.find(name).and_then(|n| n.text.clone());
            let address = text("EmailAddress")?;
            Some((text("Name").unwrap_or_default(), address))
        })
        .collect()
}

/// The `(header, field, single)` pairs of the address headers: `single` fields (`From`,
/// `Sender`) hold one `t:Mailbox`, the others an array of them.
const ADDRESS_FIELDS: &[(&str, &str, bool)] = &[
    ("From", "From", true),
    ("Sender", "Sender", true),
    ("To", "ToRecipients", false),
    ("Cc", "CcRecipients", false),
    ("Bcc", "BccRecipients", false),
    ("Reply-To", "ReplyTo", false),
];

/// Fills `item` from the internet message `raw`: the fields listed in the module doc; those the
/// message does not have are left as they are.
pub fn apply(item: &mut Item, raw: &[u8]) -> Result<(), MimeError> {
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
        .ok_or(MimeError::Invalid)?;
    if let Some(subject) = message.subject() {
        item.subject = subject.to_string();
    }
    let html = message.html_bodies().find_map(|p| match &p.body {
        mail_parser::PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    let body = match html {
        Some(text) => Some(Body { html: true, text }),
        None => message.text_bodies().find_map(|p| {
            p.text_contents().map(|text| Body {
                html: false,
                text: text.to_string(),
            })
        }),
    };
    if body.is_some() {
        item.body = body;
    }
    for (header, field, single) in ADDRESS_FIELDS {
        let address: Option<&Address<'_>> = match *header {
            "From" => message.from(),
            "Sender" => message.sender(),
            "To" => message.to(),
            "Cc" => message.cc(),
            "Bcc" => message.bcc(),
            _ => message.reply_to(),
        };
        let Some(address) = address else { continue };
        let nodes: Vec<Node> = address
            .iter()
            .filter_map(|a| {
                a.address
                    .as_deref()
                    .map(|addr| mailbox_node(a.name.as_deref(), addr))
            })
            .collect();
        if nodes.is_empty() {
            continue;
        }
        let node = if *single {
            Node::t(field).children(nodes.into_iter().take(1))
        } else {
            Node::t(field).children(nodes)
        };
        item.put_field(node);
    }
    if let Some(date) = message.date() {
        if let Ok(secs) = u64::try_from(date.to_timestamp()) {
            item.sent = super::format_utc(secs);
        }
    }
    if let Some(id) = message.message_id() {
        item.put_field(Node::t_text("InternetMessageId", format!("<{id}>")));
    }
    let importance = message
        .header_raw("Importance")
        .map(|v| v.trim().to_ascii_lowercase())
        .and_then(|v| match v.as_str() {
            "high" => Some("High"),
            "low" => Some("Low"),
            "normal" => Some("Normal"),
            _ => None,
        })
        .or_else(|| {
            let priority = message.header_raw("X-Priority")?.trim().chars().next()?;
            match priority {
                '1' | '2' => Some("High"),
                '4' | '5' => Some("Low"),
                '3' => Some("Normal"),
                _ => None,
            }
        });
    if let Some(importance) = importance {
        item.importance = importance.to_string();
    }
    Ok(())
}

/// The internet message of `item` (headers of the module doc, the body as one UTF-8 part).
pub fn build(item: &Item) -> Vec<u8> {
    let mut builder = MessageBuilder::new();
    for (header, field, _) in ADDRESS_FIELDS {
        let Some(list) = item.field(field) else {
            continue;
        };
        let addresses: Vec<BuiltAddress<'static>> = mailboxes(list)
            .into_iter()
            .map(|(name, address)| {
                if name.is_empty() {
                    BuiltAddress::from(address)
                } else {
                    BuiltAddress::from((name, address))
                }
            })
            .collect();
        if addresses.is_empty() {
            continue;
        }
        builder = builder.header(Cow::Borrowed(*header), BuiltAddress::new_list(addresses));
    }
    builder = builder.subject(item.subject.clone());
    if let Some(date) = DateTime::parse_rfc3339(&item.sent) {
        builder = builder.date(date.to_timestamp());
    }
    if let Some(id) = item
        .field("InternetMessageId")
        .and_then(|n| n.text.as_deref())
    {
        let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
        if !bare.is_empty() {
            builder = builder.message_id(bare.to_string());
        }
    }
    if item.importance != "Normal" {
        builder = builder.header(
            "Importance",
            Text::new(item.importance.to_ascii_lowercase()),
        );
    }
    builder = match &item.body {
        Some(Body { html: true, text }) => builder.html_body(text.clone()),
        Some(Body { html: false, text }) => builder.text_body(text.clone()),
        None => builder.text_body(String::new()),
    };
    builder.write_to_vec().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &str = "From: Alice Wilson <alice@contoso.com>\r\n\
To: Bob Kelly <bob@contoso.com>, carol@contoso.com\r\n\
Cc: dave@fabrikam.com\r\n\
Subject: =?utf-8?q?Caf=C3=A9_plans?=\r\n\
Date: Thu, 05 Jan 2012 23:06:58 +0000\r\n\
Message-ID: <plans-1@contoso.com>\r\n\
Importance: high\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Lunch at the café?\r\n";

    #[test]
    fn a_message_fills_the_item_and_builds_back_to_the_same_headers() {
        let mut item = Item::new(0, "Message", "IPM.Note", "2020-01-01T00:00:00Z");
        apply(&mut item, RAW.as_bytes()).expect("parses");
        assert_eq!(item.subject, "Café plans");
        assert_eq!(item.importance, "High");
        assert_eq!(item.sent, "2012-01-05T23:06:58Z");
        let body = item.body.clone().expect("body");
        assert!(
            !body.html && body.text.trim() == "Lunch at the café?",
            "{body:?}"
        );
        let to = item.field("ToRecipients").expect("to");
        assert_eq!(
            mailboxes(to),
            [
                ("Bob Kelly".to_string(), "bob@contoso.com".to_string()),
                (String::new(), "carol@contoso.com".to_string())
            ]
        );
        assert_eq!(
            item.field("InternetMessageId")
                .and_then(|n| n.text.as_deref()),
            Some("<plans-1@contoso.com>")
        );

        let built = build(&item);
        let mut again = Item::new(0, "Message", "IPM.Note", "2020-01-01T00:00:00Z");
        apply(&mut again, &built).expect("parses back");
        assert_eq!(again.subject, item.subject);
        assert_eq!(again.importance, item.importance);
        assert_eq!(again.sent, item.sent);
        assert_eq!(again.field("From"), item.field("From"));
        assert_eq!(again.field("ToRecipients"), item.field("ToRecipients"));
        assert_eq!(again.field("CcRecipients"), item.field("CcRecipients"));
        assert_eq!(
            again.field("InternetMessageId"),
            item.field("InternetMessageId")
        );
        assert_eq!(
            again.body.map(|b| b.text.trim().to_string()),
            Some("Lunch at the café?".to_string())
        );
    }

    #[test]
    fn bad_content_is_refused() {
        assert_eq!(decode("not base64!"), Err(MimeError::InvalidBase64));
        assert_eq!(decode("SGVs\r\nbG8=").as_deref(), Ok(&b"Hello"[..]));
        let mut item = Item::new(0, "Message", "IPM.Note", "2020-01-01T00:00:00Z");
        assert_eq!(apply(&mut item, b""), Err(MimeError::Invalid));
    }
}
