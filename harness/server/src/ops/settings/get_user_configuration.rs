//! GetUserConfiguration: the named object with the parts `UserConfigurationProperties` asks for
//! (`Id`, `Dictionary`, `XmlData`, `BinaryData`, `All`; a part the object does not have is left
//! out), its name echoed as the request gave it, as the documented response shows. A name the
//! folder does not have → `ErrorItemNotFound`. Shared parts: [`super::user_configuration`].

use super::user_configuration::{ConfigName, NAME_CODES, Parts, config_node, not_found};
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The GetUserConfiguration request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUserConfiguration {
    pub name: ConfigName,
    pub parts: Parts,
}

impl Handler for GetUserConfiguration {
    const NAME: &'static str = "GetUserConfiguration";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2010";
    const CODES: &'static [ResponseCode] = NAME_CODES;

    fn view(request: &RequestView<'_>) -> Self {
        GetUserConfiguration {
            name: ConfigName::read(request.element("UserConfigurationName")),
            parts: Parts::parse(&request.text("UserConfigurationProperties")),
        }
    }
}

impl Request for GetUserConfiguration {
    fn handle(&self, ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        let outcome = self.name.folder(ctx, mailbox).and_then(|folder| {
            let config = mailbox
                .settings
                .user_configurations
                .find(folder, &self.name.name)
                .ok_or_else(not_found)?;
            Ok(Some(config_node(ctx, &self.name, config, self.parts)))
        });
        Response::messages(vec![outcome])
    }

    fn mailbox_address(&self) -> Option<&str> {
        self.name.mailbox_address()
    }
}
