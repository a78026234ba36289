//! CreateUserConfiguration: stores a new user configuration object under its name in its
//! folder, with the parts given. The folder already has one of that name → `ErrorItemSave`
//! (a name is unique per folder); the folder reference's own errors as for any folder.
//! Shared parts: [`super::user_configuration`].

use super::user_configuration::ConfigParts;
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::mailbox::settings::UserConfiguration;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The CreateUserConfiguration request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateUserConfiguration {
    pub config: ConfigParts,
}

impl Handler for CreateUserConfiguration {
    const NAME: &'static str = "CreateUserConfiguration";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    /// The name's codes ([`super::user_configuration::NAME_CODES`]) and `ErrorItemSave`.
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdEmpty,
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailbox,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorItemNotFound,
        ResponseCode::ErrorFolderNotFound,
        ResponseCode::ErrorAccessDenied,
        ResponseCode::ErrorItemSave,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        CreateUserConfiguration {
            config: ConfigParts::read(request.element("UserConfiguration")),
        }
    }
}

impl Request for CreateUserConfiguration {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcome = self.config.name.folder(ctx, mailbox).and_then(|folder| {
            let configs = &mut mailbox.settings.user_configurations;
            if configs.find(folder, &self.config.name.name).is_some() {
                return Err(ResponseError::new(ResponseCode::ErrorItemSave));
            }
            let mut config = UserConfiguration {
                seq: 0,
                folder,
                name: self.config.name.name.clone(),
                dictionary: None,
                xml_data: None,
                binary_data: None,
                version: 1,
            };
            self.config.apply(&mut config);
            configs.insert(config);
            Ok(None)
        });
        Response::messages(vec![outcome])
    }

    fn mailbox_address(&self) -> Option<&str> {
        self.config.name.mailbox_address()
    }
}
