//! CreateAttachment: attaches the attachments of `m:Attachments` to the item `m:ParentItemId`
//! names, one response message each, in request order. Each attachment added gives the item a new
//! ChangeKey, so every message's `RootItemChangeKey` is the key after its attachment and the
//! last one is the item's current key (the operation page's remark); `HasAttachments` turns
//! true and the item's `Size` grows by the attachment's. An error message ends with an empty
//! `m:Attachments`, as the documented error shows.
//!
//! A parent id that does not resolve gives its error (`ErrorInvalidIdEmpty`,
//! `ErrorInvalidIdMalformed`, `ErrorNonExistentMailbox`, `ErrorItemNotFound`, as for the item
//! operations) to every attachment. The ChangeKey of `ParentItemId` is not checked (the
//! documentation says nothing of a conflict). What an attachment may hold: [`super`].

use super::{Detail, attachment_node, read_attachment, touch_root};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::{IdRef, RequestView};
use crate::xml_tree::Element;

/// The CreateAttachment request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAttachment {
    pub parent: IdRef,
    /// The `t:FileAttachment` / `t:ItemAttachment` elements, as sent.
    pub attachments: Vec<Element>,
}

impl Handler for CreateAttachment {
    const NAME: &'static str = "CreateAttachment";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorRequiredPropertyMissing,
        ResponseCode::ErrorAttachmentSizeLimitExceeded,
        ResponseCode::ErrorMissingItemForCreateItemAttachment,
        ResponseCode::ErrorInvalidItemForOperationCreateItemAttachment,
        ResponseCode::ErrorAttachmentNestLevelLimitExceeded,
        ResponseCode::ErrorInvalidPropertySet,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        CreateAttachment {
            parent: request.id("ParentItemId"),
            attachments: request
                .element("Attachments")
                .map(|list| {
                    list.children
                        .iter()
                        .filter(|c| c.ns == TYPES_NS)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl Request for CreateAttachment {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let now = crate::mailbox::now_utc();
        let parent = ctx.resolve_item(mailbox, &self.parent);
        let outcomes =
            self.attachments
                .iter()
                .map(|element| {
                    let seq = parent.clone()?;
                    let attachment = read_attachment(ctx, element, &now)?;
                    let missing = || ResponseError::new(ResponseCode::ErrorItemNotFound);
                    let root = mailbox.items.get_mut(seq).ok_or_else(missing)?;
                    let number = root.attachments.add(attachment);
                    touch_root(ctx, root, &now);
                    let root = mailbox.items.get(seq).ok_or_else(missing)?;
                    let created = root.attachments.get(number).map(|a| {
                        attachment_node(ctx, mailbox, root, &[number], a, Detail::Created)
                    });
                    Ok(Some(Node::m("Attachments").children(created)))
                })
                .collect();
        Response::Messages {
            outcomes,
            empty_on_error: Some("Attachments"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ServerConfig;
    use crate::dispatch::ServerState;

    fn envelope(body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
  xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
<soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>
<soap:Body>{body}</soap:Body></soap:Envelope>"#
        )
    }

    /// The first `Id="..."` value of a response.
    fn first_id(body: &str) -> &str {
        let start = body.find("Id=\"").map(|i| i + 4).expect("an id");
        let end = body[start..].find('"').expect("closing quote") + start;
        &body[start..end]
    }

    #[test]
    fn an_attachment_above_the_configured_limit_is_refused_beside_one_at_the_limit() {
        let state = ServerState::new(ServerConfig {
            max_attachment_bytes: 5,
            ..ServerConfig::default()
        });
        let created = state.handle(
            0,
            envelope(
                r#"<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>s</t:Subject></t:Message></m:Items></m:CreateItem>"#,
            )
            .as_bytes(),
        );
        assert_eq!(created.status, 200, "{}", created.body);
        let item = first_id(&created.body).to_string();
        let reply = state.handle(
            0,
            envelope(&format!(
                r#"<m:CreateAttachment><m:ParentItemId Id="{item}"/><m:Attachments>
                <t:FileAttachment><t:Name>five</t:Name><t:Content>AQIDBAU=</t:Content></t:FileAttachment>
                <t:FileAttachment><t:Name>six</t:Name><t:Content>AQIDBAUG</t:Content></t:FileAttachment>
                </m:Attachments></m:CreateAttachment>"#
            ))
            .as_bytes(),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let codes: Vec<&str> = reply
            .body
            .split("<ResponseCode>")
            .skip(1)
            .filter_map(|s| s.split('<').next())
            .collect();
        assert_eq!(
            codes,
            ["NoError", "ErrorAttachmentSizeLimitExceeded"],
            "{}",
            reply.body
        );
    }
}
