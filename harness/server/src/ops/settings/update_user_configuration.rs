//! UpdateUserConfiguration: replaces the parts the request gives (`Dictionary` as a whole,
//! `XmlData`, `BinaryData`) of the named object; parts not given stay. A name the folder does
//! not have → `ErrorItemNotFound`. Shared parts: [`super::user_configuration`].

use super::user_configuration::{ConfigParts, NAME_CODES, not_found};
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The UpdateUserConfiguration request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateUserConfiguration {
    pub config: ConfigParts,
}

impl Handler for UpdateUserConfiguration {
    const NAME: &'static str = "UpdateUserConfiguration";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    const CODES: &'static [ResponseCode] = NAME_CODES;

    fn view(request: &RequestView<'_>) -> Self {
        UpdateUserConfiguration {
            config: ConfigParts::read(request.element("UserConfiguration")),
        }
    }
}

impl Request for UpdateUserConfiguration {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcome = self.config.name.folder(ctx, mailbox).and_then(|folder| {
            let config = mailbox
                .settings
                .user_configurations
                .find_mut(folder, &self.config.name.name)
                .ok_or_else(not_found)?;
            self.config.apply(config);
            config.version += 1;
            Ok(None)
        });
        Response::messages(vec![outcome])
    }

    fn mailbox_address(&self) -> Option<&str> {
        self.config.name.mailbox_address()
    }
}
