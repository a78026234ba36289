//! From request bytes to the HTTP reply: parse and validate ([`parse_request`]), check the
//! version, resolve impersonation, run the operation under its mailbox's lock, deliver what it
//! sent (after the lock is released), and write the response (or fault) with the configured
//! quirks applied.

use super::envelope::{self, ConnectingSid, RequestHeaders};
use super::faults::{Fault, FaultKind};
use super::mailbox::subscriptions::Subscriptions;
use super::mailbox::{Directory, Store, delivery};
use super::ops::notifications::get_streaming_events::{self, StreamDocument, StreamPlan};
use super::ops::settings::delegate_users;
use super::ops::{OpContext, Outbox};
use super::quirks::{Quirks, SCHEMA_INVALID_HEADER_ENTRY, WRONG_MESSAGE_TEXT};
use super::registry::{self, Registration, Request};
use super::render::{self, MESSAGES_NS, Node, Ns, SOAP12_NS, XSD_NS, XSI_NS};
use super::schema;
use super::xml_tree::{self, Violation};
use super::{Quirk, ServerConfig};

/// Major.minor.build of the `ServerVersionInfo` sent (the build of the docs' examples).
pub const SERVER_BUILD: (u32, u32, u32, u32) = (15, 0, 349, 0);

/// Version assumed when a request has no RequestServerVersion header: EWS treats such requests
/// as coming from the initial release of Exchange 2007.
pub const VERSION_WHEN_ABSENT: &str = "Exchange2007";

/// A request that passed parsing and schema validation: its headers, its registered operation
/// and its typed request.
#[derive(Debug)]
pub struct ParsedRequest {
    pub headers: RequestHeaders,
    pub operation: &'static Registration,
    pub request: Box<dyn Request>,
}

/// What goes back over HTTP for a request: one reply, or (GetStreamingEvents) the first envelope
/// of a stream that `http.rs` keeps open.
#[derive(Debug)]
pub enum Served {
    Whole(Reply),
    Stream {
        first: Reply,
        /// The mailbox whose subscriptions the stream reads.
        mailbox: usize,
        plan: StreamPlan,
    },
}

/// What goes back over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

fn violation_fault(violation: Violation) -> Fault {
    Fault::schema(
        violation.position.line,
        violation.position.column,
        violation.message,
    )
}

/// Parses and validates a request. Never panics, whatever the bytes.
///
/// Order: well-formedness (`xml_tree`), the SOAP 1.1 envelope's shape (`envelope`), the schema
/// (`schema::validate`: header entries and body element against messages.xsd/types.xsd), then
/// the operation: a body element that is not an EWS request is `ErrorSchemaValidation`, an EWS
/// operation the server does not implement `ErrorInvalidOperation` (only once it validated).
pub fn parse_request(bytes: &[u8]) -> Result<ParsedRequest, Fault> {
    let root = xml_tree::parse_document(bytes).map_err(violation_fault)?;
    let envelope = envelope::parse_envelope(root).map_err(violation_fault)?;
    let body = &envelope.body;
    let view = schema::validate(bytes, body).map_err(violation_fault)?;
    if body.ns == MESSAGES_NS {
        if let Some(operation) = registry::find(&body.local) {
            return Ok(ParsedRequest {
                headers: envelope.headers,
                operation,
                request: operation.view(&view),
            });
        }
        if registry::is_not_implemented(&body.local) {
            return Err(Fault::new(FaultKind::NotImplemented {
                operation: body.local.clone(),
            }));
        }
    }
    // Declared in the schema, but not a request (a response message, a bare type element).
    Err(violation_fault(Violation::at(
        body.position,
        format!(
            "The element '{}' is not an operation request: no operation takes it as its body.",
            body.qualified()
        ),
    )))
}

/// Shared state of a running server.
#[derive(Debug)]
pub struct ServerState {
    pub config: ServerConfig,
    pub directory: Directory,
    pub store: Store,
    pub quirks: Quirks,
    /// Notification subscriptions and their event journals.
    pub subscriptions: Subscriptions,
}

impl ServerState {
    pub fn new(config: ServerConfig) -> ServerState {
        let directory = Directory {
            users: config.users.clone(),
            distribution_groups: config.distribution_groups.clone(),
        };
        let store = Store::new(config.users.len());
        let quirks = Quirks::new(&config.quirks);
        let subscriptions = Subscriptions::new(config.notification_minute);
        ServerState {
            config,
            directory,
            store,
            quirks,
            subscriptions,
        }
    }

    /// [`ServerState::serve`] for a request answered in one piece (a stream gives its first
    /// reply): what unit tests need.
    #[cfg(test)]
    pub fn handle(&self, user: usize, bytes: &[u8]) -> Reply {
        match self.serve(user, bytes) {
            Served::Whole(reply) | Served::Stream { first: reply, .. } => reply,
        }
    }

    /// Handles one request body from authenticated user `user`.
    pub fn serve(&self, user: usize, bytes: &[u8]) -> Served {
        if let Some(operation) = self.disabled_operation(bytes) {
            return Served::Whole(
                self.fault_reply(&Fault::new(FaultKind::NotImplemented { operation })),
            );
        }
        let parsed = match parse_request(bytes) {
            Ok(parsed) => parsed,
            Err(fault) => return Served::Whole(self.fault_reply(&fault)),
        };
        let op = parsed.operation;
        let version = parsed
            .headers
            .version
            .as_deref()
            .unwrap_or(VERSION_WHEN_ABSENT);
        let too_old = match (
            envelope::version_rank(version),
            envelope::version_rank(op.minimum_version),
        ) {
            (Some(have), Some(need)) => have < need,
            _ => true,
        };
        if too_old {
            return Served::Whole(self.fault_reply(&Fault::new(FaultKind::IncorrectSchemaVersion)));
        }
        let mailbox = match &parsed.headers.impersonation {
            None => user,
            Some(sid) => match self.impersonate(user, sid) {
                Ok(target) => target,
                Err(fault) => return Served::Whole(self.fault_reply(&fault)),
            },
        };
        let mailbox = self.delegate(mailbox, parsed.request.mailbox_address(), op.name, bytes);
        let outbox = Outbox::default();
        let ctx = self.context(mailbox, version, &outbox);
        let response = parsed.request.handle_in_store(&ctx);
        self.deliver(outbox);
        for code in response.error_codes() {
            debug_assert!(
                op.codes.contains(&code),
                "{} gave {code:?}, which its CODES do not list",
                op.name,
            );
        }
        let failed = !response.error_codes().is_empty();
        let message = match response.into_body(op.name, &self.quirks) {
            Ok(message) => message,
            Err(fault) => return Served::Whole(self.fault_reply(&fault)),
        };
        let first = self.message_reply(message);
        match parsed.request.stream() {
            Some(plan) if !failed => Served::Stream {
                first,
                mailbox,
                plan,
            },
            _ => Served::Whole(first),
        }
    }

    fn message_reply(&self, message: Node) -> Reply {
        Reply {
            status: 200,
            content_type: self.quirks.content_type("text/xml; charset=utf-8"),
            body: self.message_envelope(message),
        }
    }

    /// What a handler running on mailbox `mailbox` sees of the server.
    fn context<'a>(
        &'a self,
        mailbox: usize,
        version: &'a str,
        outbox: &'a Outbox,
    ) -> OpContext<'a> {
        OpContext {
            config: &self.config,
            directory: &self.directory,
            mailbox,
            version,
            subscriptions: &self.subscriptions,
            outbox,
            store: &self.store,
        }
    }

    /// One envelope of an open GetStreamingEvents stream on mailbox `mailbox`, without an XML
    /// declaration (the stream is a sequence of envelopes).
    pub fn stream_document(&self, mailbox: usize, document: &StreamDocument) -> String {
        let outbox = Outbox::default();
        let ctx = self.context(mailbox, VERSION_WHEN_ABSENT, &outbox);
        let mut body = get_streaming_events::document_body(&ctx, document);
        if let Some(message) = body
            .find_mut("ResponseMessages")
            .and_then(|m| m.children.first_mut())
        {
            self.quirks.apply_to_message(message);
        }
        let envelope = self.message_envelope(body);
        let document = match envelope.strip_prefix("<?xml") {
            Some(rest) => rest.split_once("?>").map_or(rest, |(_, doc)| doc),
            None => &envelope,
        };
        unprefixed_envelope(document)
    }

    /// Delivers what a request sent, after its mailbox's lock is released: one recipient
    /// mailbox locked at a time (so concurrent sends never deadlock), each delivery observed for
    /// that mailbox's subscriptions like a request.
    fn deliver(&self, outbox: Outbox) {
        let bcc_visible = self.quirks.has(Quirk::BccVisible);
        for outgoing in outbox.take() {
            let copy = delivery::recipient_copy(&outgoing.message, bcc_visible);
            for user in delivery::recipient_mailboxes(&self.directory, &outgoing.recipients) {
                if let Some(mut mailbox) = self.store.lock(user) {
                    self.subscriptions.observe(user, &mut mailbox, |mailbox| {
                        delivery::deliver(mailbox, copy.clone());
                    });
                }
            }
        }
    }

    /// The operation a request invokes when it is one of `disabled_operations` (refused as not
    /// implemented before any validation, as a server without it would).
    fn disabled_operation(&self, bytes: &[u8]) -> Option<String> {
        if self.config.disabled_operations.is_empty() {
            return None;
        }
        let root = xml_tree::parse_document(bytes).ok()?;
        let envelope = envelope::parse_envelope(root).ok()?;
        let body = &envelope.body;
        (body.ns == MESSAGES_NS && self.config.disabled_operations.contains(&body.local))
            .then(|| body.local.clone())
    }

    /// The mailbox a request runs on when it names another user's mailbox through `t:Mailbox`:
    /// that user's, if `acting` has `folder_access` to it, or is the owner's delegate with a
    /// level on every distinguished folder of that mailbox the request names that allows the
    /// operation (`Reviewer` to read, `Author`/`Editor` to write: `delegate_users::delegate_grants`);
    /// otherwise `acting`'s own (where the operation answers `ErrorAccessDenied` for the foreign
    /// folders). The owner's mailbox is locked briefly to read its delegates, before any other
    /// lock is taken.
    fn delegate(
        &self,
        acting: usize,
        address: Option<&str>,
        operation: &str,
        bytes: &[u8],
    ) -> usize {
        let Some(owner) = address.and_then(|a| self.directory.user_by_smtp(a)) else {
            return acting;
        };
        let wanted = &self.directory.users[owner].smtp_address;
        let granted = self.directory.users.get(acting).is_some_and(|u| {
            u.folder_access
                .iter()
                .any(|a| a.eq_ignore_ascii_case(wanted))
        });
        if granted || owner == acting {
            return owner;
        }
        let delegate = self
            .store
            .lock(owner)
            .and_then(|m| m.settings.delegates.get(acting).cloned());
        let Some(delegate) = delegate else {
            return acting;
        };
        let mut folders = Vec::new();
        if let Ok(root) = xml_tree::parse_document(bytes) {
            delegate_users::folders_named_in(&root, wanted, &mut folders);
        }
        let reviewer_writes = self.quirks.has(Quirk::DelegateWriteAllowed);
        if delegate_users::delegate_grants(&delegate, operation, &folders, reviewer_writes) {
            owner
        } else {
            acting
        }
    }

    /// Resolves ExchangeImpersonation for authenticated user `user`.
    fn impersonate(&self, user: usize, sid: &ConnectingSid) -> Result<usize, Fault> {
        let target = match sid {
            ConnectingSid::PrimarySmtpAddress(a) | ConnectingSid::SmtpAddress(a) => {
                self.directory.user_by_smtp(a)
            }
            ConnectingSid::PrincipalName(name) => self.directory.user_by_login(name),
            ConnectingSid::Sid(value) => (0..self.directory.users.len())
                .find(|i| Directory::sid(*i).eq_ignore_ascii_case(value)),
        };
        let Some(target) = target else {
            return Err(Fault::new(FaultKind::NonExistentMailbox {
                address: sid.value().to_string(),
            }));
        };
        if target == user {
            return Ok(target);
        }
        let (Some(caller), Some(wanted)) = (
            self.directory.users.get(user),
            self.directory.users.get(target),
        ) else {
            return Err(Fault::new(FaultKind::ImpersonationDenied));
        };
        if caller.can_impersonate.is_empty() {
            // No impersonation right at all (Exchange: the ms-Exch-EPI-Impersonation right).
            return Err(Fault::new(FaultKind::ImpersonationDenied));
        }
        let granted = caller
            .can_impersonate
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&wanted.smtp_address));
        if granted {
            Ok(target)
        } else {
            // Rights on other users, not this one (ms-Exch-EPI-May-Impersonate).
            Err(Fault::new(FaultKind::ImpersonateUserDenied))
        }
    }

    fn server_version_info(&self) -> Node {
        let namespaces = self.quirks.namespaces();
        let (major, minor, build, revision) = SERVER_BUILD;
        Node::t("ServerVersionInfo")
            .prefixed("h")
            .attr("MajorVersion", major.to_string())
            .attr("MinorVersion", minor.to_string())
            .attr("MajorBuildNumber", build.to_string())
            .attr("MinorBuildNumber", revision.to_string())
            .attr("Version", self.config.server_version.clone())
            .attr("xmlns", namespaces.types)
            .attr("xmlns:xsd", XSD_NS)
            .attr("xmlns:xsi", XSI_NS)
    }

    fn message_envelope(&self, message: Node) -> String {
        let mut envelope = Node::new(Ns::Soap, "Envelope");
        if !self.quirks.has(Quirk::DropServerVersionInfo) {
            let mut header = Node::new(Ns::Soap, "Header").child(self.server_version_info());
            if self.quirks.has(Quirk::SchemaInvalidResponse) {
                header = header.child(
                    Node::t(SCHEMA_INVALID_HEADER_ENTRY)
                        .text("added by the schema-invalid-response quirk"),
                );
            }
            envelope = envelope.child(header);
        }
        envelope = envelope.child(
            Node::new(Ns::Soap, "Body")
                .attr("xmlns:xsi", XSI_NS)
                .attr("xmlns:xsd", XSD_NS)
                .child(message),
        );
        render::write_document(&envelope, &self.quirks.namespaces())
    }

    /// The fault reply (HTTP 500 unless a quirk says otherwise).
    pub fn fault_reply(&self, fault: &Fault) -> Reply {
        let mut namespaces = self.quirks.namespaces();
        let text_override = self
            .quirks
            .has(Quirk::WrongMessageText)
            .then_some(WRONG_MESSAGE_TEXT);
        let soap11 = fault.to_soap11(namespaces.types, text_override);
        let (fault_node, content_type) = if self.quirks.has(Quirk::Soap12Fault) {
            namespaces.soap = SOAP12_NS;
            (
                soap12_fault(fault, soap11, namespaces.types),
                "application/soap+xml; charset=utf-8",
            )
        } else {
            (soap11, "text/xml; charset=utf-8")
        };
        let envelope =
            Node::new(Ns::Soap, "Envelope").child(Node::new(Ns::Soap, "Body").child(fault_node));
        Reply {
            status: self.quirks.fault_status(),
            content_type: self.quirks.content_type(content_type),
            body: render::write_document(&envelope, &namespaces),
        }
    }
}

/// A stream envelope as Exchange frames them: the `Envelope` element in the default namespace
/// (`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/">`), which clients cut the stream
/// at (ews-javascript-api looks for the literal `<Envelope` and `</Envelope>`). The `s:` prefix
/// stays bound for the header and body, so the document means the same.
fn unprefixed_envelope(document: &str) -> String {
    let Some(rest) = document.strip_prefix("<s:Envelope xmlns:s=\"") else {
        return document.to_string();
    };
    let Some((uri, rest)) = rest.split_once('"') else {
        return document.to_string();
    };
    let Some(inner) = rest.strip_suffix("</s:Envelope>") else {
        return document.to_string();
    };
    format!("<Envelope xmlns=\"{uri}\" xmlns:s=\"{uri}\"{inner}</Envelope>")
}

/// Re-shapes a SOAP 1.1 fault as SOAP 1.2 (`soap12-fault` quirk).
fn soap12_fault(fault: &Fault, soap11: Node, types_uri: &str) -> Node {
    let reason = soap11
        .find("faultstring")
        .and_then(|n| n.text.clone())
        .unwrap_or_default();
    let detail_children = soap11
        .find("detail")
        .map(|d| d.children.clone())
        .unwrap_or_default();
    let class = match fault.kind {
        FaultKind::SchemaValidation { .. }
        | FaultKind::IncorrectSchemaVersion
        | FaultKind::NotImplemented { .. } => "s:Sender",
        _ => "s:Receiver",
    };
    Node::new(Ns::Soap, "Fault")
        .child(
            Node::new(Ns::Soap, "Code")
                .child(Node::new(Ns::Soap, "Value").text(class))
                .child(
                    Node::new(Ns::Soap, "Subcode").child(
                        Node::new(Ns::Soap, "Value")
                            .attr("xmlns:a", types_uri)
                            .text(format!("a:{}", fault.code())),
                    ),
                ),
        )
        .child(
            Node::new(Ns::Soap, "Reason").child(
                Node::new(Ns::Soap, "Text")
                    .attr("xml:lang", "en-US")
                    .text(reason),
            ),
        )
        .child(Node::new(Ns::Soap, "Detail").children(detail_children))
}
