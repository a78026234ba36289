//! GetUserPhoto: the photo of a user of the directory (`m:Email`, compared case-insensitively,
//! `SMTP:` allowed), as `m:HasChanged` `true` and `m:PictureData` (the configured JPEG or PNG,
//! base64; [`UserConfig::photo`](crate::UserConfig::photo)).
//!
//! The server keeps one picture per user and does not scale it: every `m:SizeRequested` answers
//! that picture (the built-in one is 48x48, the smallest size, so it is never larger than the
//! size asked for; a larger configured picture is returned as it is). The request carries no
//! entity tag, so the photo has always "changed". `m:TypeRequested` `ProfileHeaderPhoto` asks
//! for a header picture, which nobody has.
//!
//! What has no photo — an unknown address, a distribution group, a user without one, a header
//! photo — is answered, as getuserphoto-operation.md documents, with HTTP 500 instead of a
//! response message: a SOAP fault `ErrorItemNotFound` (quirk `photo-missing-as-message`: an
//! `ErrorItemNotFound` response message instead).

use super::{Entry, by_address};
use crate::Quirk;
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response, payloads};
use crate::registry::{Handler, Request};
use crate::render::Node;
use crate::schema::RequestView;
use base64::Engine;

/// The GetUserPhoto request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUserPhoto {
    /// `m:Email`, trimmed.
    pub email: String,
    /// `m:SizeRequested` (`HR48x48` ... `HR648x648`, `HR1024xN`, `HR1920xN`).
    pub size: String,
    /// Whether `m:TypeRequested` is `ProfileHeaderPhoto` (absent: `UserPhoto`).
    pub header_photo: bool,
}

impl Handler for GetUserPhoto {
    const NAME: &'static str = "GetUserPhoto";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[ResponseCode::ErrorItemNotFound];

    fn view(request: &RequestView<'_>) -> Self {
        let text = |local: &str| {
            request
                .element(local)
                .map(|e| e.text.trim().to_string())
                .unwrap_or_default()
        };
        GetUserPhoto {
            email: text("Email"),
            size: text("SizeRequested"),
            header_photo: text("TypeRequested") == "ProfileHeaderPhoto",
        }
    }
}

impl Request for GetUserPhoto {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        let photo = match by_address(ctx.directory, &self.email) {
            Some(Entry::User(user)) if !self.header_photo => user.photo.as_ref(),
            _ => None,
        };
        let Some(photo) = photo else {
            if ctx.config.quirks.contains(&Quirk::PhotoMissingAsMessage) {
                return Response::Single(Err(ResponseError::new(ResponseCode::ErrorItemNotFound)));
            }
            return Response::fault(ResponseCode::ErrorItemNotFound);
        };
        let data = base64::engine::general_purpose::STANDARD.encode(photo);
        Response::Single(Ok(Some(payloads([
            Node::m("HasChanged").text("true"),
            Node::m("PictureData").text(&data),
        ]))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServerConfig;
    use crate::mailbox::{Directory, Store};

    fn ask(config: &ServerConfig, email: &str, header_photo: bool) -> Response {
        let request = GetUserPhoto {
            email: email.to_string(),
            size: "HR96x96".to_string(),
            header_photo,
        };
        let directory = Directory {
            users: config.users.clone(),
            distribution_groups: config.distribution_groups.clone(),
        };
        let store = Store::new(1);
        let ctx = OpContext::for_test(config, &directory, &store);
        let mut own = store.lock(0).expect("alice").clone();
        request.handle(&ctx, &mut own)
    }

    #[test]
    fn a_user_with_a_photo_gets_it_base64() {
        let config = ServerConfig::default();
        let Response::Single(Ok(Some(payload))) = ask(&config, "SMTP:Alice@contoso.com", false)
        else {
            panic!("no photo");
        };
        let data = &payload.children[1];
        assert_eq!(data.local, "PictureData");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.text.as_deref().unwrap_or_default())
            .expect("base64");
        assert_eq!(bytes, crate::BUILTIN_PHOTO);
        assert!(crate::config::is_jpeg_or_png(&bytes));
    }

    #[test]
    fn what_has_no_photo_is_a_fault() {
        let config = ServerConfig::default();
        for (email, header) in [
            ("carol@contoso.com", false),
            ("nobody@contoso.com", false),
            ("all-staff@contoso.com", false),
            ("alice@contoso.com", true),
            ("", false),
        ] {
            assert_eq!(
                ask(&config, email, header),
                Response::fault(ResponseCode::ErrorItemNotFound),
                "{email}"
            );
        }
    }
}
