//! Response codes, their message texts, and SOAP faults.
//!
//! Business errors are response messages with `ResponseClass="Error"`, a `MessageText`, the
//! `ResponseCode` and `DescriptiveLinkKey` 0 ([`ResponseCode`]). Request-level errors are SOAP 1.1
//! faults with HTTP 500 ([`Fault`]), shaped like Exchange's: `faultcode` `a:<code>` with `a` bound to
//! the types namespace, `faultstring xml:lang="en-US"`, and `detail` holding `e:ResponseCode`,
//! `e:Message` and, for schema errors, `t:MessageXml` with `LineNumber`, `LinePosition`, `Violation`.

use super::render::{Node, Ns};

/// The response codes the IM operations return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseCode {
    NoError,
    ErrorInvalidImContactId,
    ErrorInvalidImGroupId,
    ErrorInvalidIdMalformed,
    ErrorImGroupDisplayNameAlreadyExists,
    ErrorImGroupLimitReached,
    ErrorImContactLimitReached,
    ErrorInvalidImDistributionGroupSmtpAddress,
    ErrorItemNotFound,
    ErrorNonExistentMailbox,
    ErrorUnableToRemoveImContactFromGroup,
    /// Only produced by the `wrong-response-code` quirk.
    ErrorInternalServerError,
}

impl ResponseCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseCode::NoError => "NoError",
            ResponseCode::ErrorInvalidImContactId => "ErrorInvalidImContactId",
            ResponseCode::ErrorInvalidImGroupId => "ErrorInvalidImGroupId",
            ResponseCode::ErrorInvalidIdMalformed => "ErrorInvalidIdMalformed",
            ResponseCode::ErrorImGroupDisplayNameAlreadyExists => {
                "ErrorImGroupDisplayNameAlreadyExists"
            }
            ResponseCode::ErrorImGroupLimitReached => "ErrorImGroupLimitReached",
            ResponseCode::ErrorImContactLimitReached => "ErrorImContactLimitReached",
            ResponseCode::ErrorInvalidImDistributionGroupSmtpAddress => {
                "ErrorInvalidImDistributionGroupSmtpAddress"
            }
            ResponseCode::ErrorItemNotFound => "ErrorItemNotFound",
            ResponseCode::ErrorNonExistentMailbox => "ErrorNonExistentMailbox",
            ResponseCode::ErrorUnableToRemoveImContactFromGroup => {
                "ErrorUnableToRemoveImContactFromGroup"
            }
            ResponseCode::ErrorInternalServerError => "ErrorInternalServerError",
        }
    }

    /// The `MessageText` sent with this code. Texts marked "not documented" in the module docs of
    /// `reference_server` are this server's own; the others are Exchange's, as the docs show them.
    pub fn message_text(self) -> &'static str {
        match self {
            ResponseCode::NoError => "",
            ResponseCode::ErrorInvalidImContactId => "The specified Im Contact Id is invalid.",
            ResponseCode::ErrorInvalidImGroupId => "The specified Im Group Id is invalid.",
            ResponseCode::ErrorInvalidIdMalformed => "Id is malformed.",
            ResponseCode::ErrorImGroupDisplayNameAlreadyExists => {
                "An IM group with the specified display name already exists."
            }
            ResponseCode::ErrorImGroupLimitReached => {
                "The maximum number of IM groups has been reached."
            }
            ResponseCode::ErrorImContactLimitReached => {
                "The maximum number of IM contacts has been reached."
            }
            ResponseCode::ErrorInvalidImDistributionGroupSmtpAddress => {
                "The specified IM distribution group SMTP address is invalid."
            }
            ResponseCode::ErrorItemNotFound => "The specified object was not found in the store.",
            ResponseCode::ErrorNonExistentMailbox => "No mailbox with such guid.",
            ResponseCode::ErrorUnableToRemoveImContactFromGroup => {
                "Unable to remove the IM contact from the group."
            }
            ResponseCode::ErrorInternalServerError => {
                "An internal server error occurred. The operation failed."
            }
        }
    }
}

/// A business error of one operation: the code and optional `MessageXml` children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseError {
    pub code: ResponseCode,
    pub message_xml: Vec<Node>,
}

impl ResponseError {
    pub fn new(code: ResponseCode) -> ResponseError {
        ResponseError {
            code,
            message_xml: Vec::new(),
        }
    }

    /// `ErrorNonExistentMailbox` naming the mailbox GUID, like Exchange's
    /// `<t:Value Name="MailboxGuid">`.
    pub fn non_existent_mailbox(guid: String) -> ResponseError {
        ResponseError {
            code: ResponseCode::ErrorNonExistentMailbox,
            message_xml: vec![
                Node::t("Value")
                    .prefixed("t")
                    .attr("Name", "MailboxGuid")
                    .text(guid),
            ],
        }
    }
}

/// What went wrong at the request level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Malformed XML or a schema violation, with the 1-based position in the request text.
    SchemaValidation {
        line: usize,
        position: usize,
        violation: String,
    },
    /// RequestServerVersion older than the operation (or missing, which means Exchange2007).
    IncorrectSchemaVersion,
    /// A well-formed request for an EWS operation this server does not implement.
    InvalidRequest { detail: String },
    /// ExchangeImpersonation of a mailbox the caller may not impersonate.
    ImpersonationDenied,
    /// ExchangeImpersonation of an address that has no mailbox.
    NonExistentMailbox { address: String },
}

const INCORRECT_SCHEMA_VERSION_TEXT: &str = "The request is valid but does not specify the correct server version in the RequestServerVersion SOAP header.  Ensure that the RequestServerVersion SOAP header is set with the correct RequestServerVersionValue.";

/// A SOAP fault the server answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
}

impl Fault {
    pub fn new(kind: FaultKind) -> Fault {
        Fault { kind }
    }

    pub fn schema(line: usize, position: usize, violation: impl Into<String>) -> Fault {
        Fault::new(FaultKind::SchemaValidation {
            line,
            position,
            violation: violation.into(),
        })
    }

    /// The EWS response code (`faultcode` local name, `e:ResponseCode`).
    pub fn code(&self) -> &'static str {
        match self.kind {
            FaultKind::SchemaValidation { .. } => "ErrorSchemaValidation",
            FaultKind::IncorrectSchemaVersion => "ErrorIncorrectSchemaVersion",
            FaultKind::InvalidRequest { .. } => "ErrorInvalidRequest",
            FaultKind::ImpersonationDenied => "ErrorImpersonationDenied",
            FaultKind::NonExistentMailbox { .. } => "ErrorNonExistentMailbox",
        }
    }

    /// The `faultstring` text.
    pub fn fault_string(&self) -> String {
        match &self.kind {
            FaultKind::SchemaValidation { violation, .. } => {
                format!("The request failed schema validation: {violation}")
            }
            FaultKind::InvalidRequest { detail } => format!("The request is invalid. {detail}"),
            _ => self.message(),
        }
    }

    /// The `detail/e:Message` text.
    pub fn message(&self) -> String {
        match &self.kind {
            FaultKind::SchemaValidation { .. } => "The request failed schema validation.".into(),
            FaultKind::IncorrectSchemaVersion => INCORRECT_SCHEMA_VERSION_TEXT.into(),
            FaultKind::InvalidRequest { .. } => "The request is invalid.".into(),
            FaultKind::ImpersonationDenied => {
                "The account does not have permission to impersonate the requested user.".into()
            }
            FaultKind::NonExistentMailbox { .. } => {
                "The SMTP address has no mailbox associated with it.".into()
            }
        }
    }

    /// The `t:MessageXml` detail element, when this fault has one.
    pub fn message_xml(&self) -> Option<Node> {
        let mxml = Node::t("MessageXml").prefixed("t");
        match &self.kind {
            FaultKind::SchemaValidation {
                line,
                position,
                violation,
            } => Some(
                mxml.child(Node::t_text("LineNumber", line.to_string()).prefixed("t"))
                    .child(Node::t_text("LinePosition", position.to_string()).prefixed("t"))
                    .child(Node::t_text("Violation", violation.clone()).prefixed("t")),
            ),
            FaultKind::NonExistentMailbox { address } => Some(
                mxml.child(
                    Node::t("Value")
                        .prefixed("t")
                        .attr("Name", "SmtpAddress")
                        .text(address.clone()),
                ),
            ),
            _ => None,
        }
    }

    /// `s:Fault` in SOAP 1.1 shape.
    /// `types_uri` binds the `a:` prefix of `faultcode`.
    pub fn to_soap11(&self, types_uri: &str, message_text_override: Option<&str>) -> Node {
        let message = message_text_override
            .map(str::to_string)
            .unwrap_or_else(|| self.message());
        let fault_string = message_text_override
            .map(str::to_string)
            .unwrap_or_else(|| self.fault_string());
        let mut detail = Node::new(Ns::None, "detail")
            .child(
                Node::new(Ns::Errors, "ResponseCode")
                    .prefixed("e")
                    .text(self.code()),
            )
            .child(Node::new(Ns::Errors, "Message").prefixed("e").text(message));
        if let Some(mxml) = self.message_xml() {
            detail = detail.child(mxml);
        }
        Node::new(Ns::Soap, "Fault")
            .child(
                Node::new(Ns::None, "faultcode")
                    .attr("xmlns:a", types_uri)
                    .text(format!("a:{}", self.code())),
            )
            .child(
                Node::new(Ns::None, "faultstring")
                    .attr("xml:lang", "en-US")
                    .text(fault_string),
            )
            .child(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_texts_are_exchange_texts() {
        assert_eq!(
            ResponseCode::ErrorInvalidImContactId.message_text(),
            "The specified Im Contact Id is invalid."
        );
        assert_eq!(
            ResponseCode::ErrorNonExistentMailbox.message_text(),
            "No mailbox with such guid."
        );
        let fault = Fault::schema(11, 33, "x");
        assert_eq!(fault.code(), "ErrorSchemaValidation");
        assert_eq!(
            fault.fault_string(),
            "The request failed schema validation: x"
        );
    }
}
