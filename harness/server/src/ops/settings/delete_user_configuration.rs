//! DeleteUserConfiguration: removes the named object from its folder. A name the folder does
//! not have → `ErrorItemNotFound`. Shared parts: [`super::user_configuration`].

use super::user_configuration::{ConfigName, NAME_CODES, not_found};
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The DeleteUserConfiguration request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteUserConfiguration {
    pub name: ConfigName,
}

impl Handler for DeleteUserConfiguration {
    const NAME: &'static str = "DeleteUserConfiguration";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    const CODES: &'static [ResponseCode] = NAME_CODES;

    fn view(request: &RequestView<'_>) -> Self {
        DeleteUserConfiguration {
            name: ConfigName::read(request.element("UserConfigurationName")),
        }
    }
}

impl Request for DeleteUserConfiguration {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcome = self.name.folder(ctx, mailbox).and_then(|folder| {
            if mailbox
                .settings
                .user_configurations
                .remove(folder, &self.name.name)
            {
                Ok(None)
            } else {
                Err(not_found())
            }
        });
        Response::messages(vec![outcome])
    }

    fn mailbox_address(&self) -> Option<&str> {
        self.name.mailbox_address()
    }
}
