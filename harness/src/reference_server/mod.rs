//! The embedded reference EWS server: the project's executable statement of what Exchange does
//! for the operations the suite covers.
//!
//! Owns HTTP serving (axum on its own tokio runtime thread), SOAP parsing and dispatch, the
//! in-memory per-mailbox store, faults, auth, and the named quirks used for self-testing.
//!
//! CONTRACT (used by the CLI, the runner and tests): [`ServerConfig`], [`Quirk`], [`start`],
//! [`RunningServer`] keep these names and shapes.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

/// A named way for the server to misbehave, so tests can prove the suite catches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quirk {
    WrongResponseCode,
    MissingElement,
    ExtraElement,
    HttpsNamespace,
    WrongChildOrder,
    WrongMessageText,
    Soap12Fault,
    DropServerVersionInfo,
    Http200ForFault,
}

impl Quirk {
    pub const ALL: &'static [Quirk] = &[
        Quirk::WrongResponseCode,
        Quirk::MissingElement,
        Quirk::ExtraElement,
        Quirk::HttpsNamespace,
        Quirk::WrongChildOrder,
        Quirk::WrongMessageText,
        Quirk::Soap12Fault,
        Quirk::DropServerVersionInfo,
        Quirk::Http200ForFault,
    ];

    /// The kebab-case name used by `serve --quirk NAME` and `run --quirk NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Quirk::WrongResponseCode => "wrong-response-code",
            Quirk::MissingElement => "missing-element",
            Quirk::ExtraElement => "extra-element",
            Quirk::HttpsNamespace => "https-namespace",
            Quirk::WrongChildOrder => "wrong-child-order",
            Quirk::WrongMessageText => "wrong-message-text",
            Quirk::Soap12Fault => "soap12-fault",
            Quirk::DropServerVersionInfo => "drop-server-version-info",
            Quirk::Http200ForFault => "http-200-for-fault",
        }
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Quirk {
    type Err = String;
    fn from_str(s: &str) -> Result<Quirk, String> {
        Quirk::ALL
            .iter()
            .copied()
            .find(|q| q.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Quirk::ALL.iter().map(|q| q.name()).collect();
                format!("unknown quirk `{s}`; known quirks: {}", names.join(", "))
            })
    }
}

/// A user who can authenticate and owns a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfig {
    /// Basic-auth user name (also accepted: the SMTP address).
    pub username: String,
    pub password: String,
    pub smtp_address: String,
    pub display_name: String,
    /// SMTP addresses of mailboxes this user may impersonate.
    pub can_impersonate: Vec<String>,
}

/// A distribution group in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionGroupConfig {
    pub smtp_address: String,
    pub display_name: String,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen; `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    pub users: Vec<UserConfig>,
    pub distribution_groups: Vec<DistributionGroupConfig>,
    /// `ServerVersionInfo/@Version`, e.g. `Exchange2013`.
    pub server_version: String,
    pub quirks: Vec<Quirk>,
    /// Largest request body accepted (413 above).
    pub max_request_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        unimplemented!("reference server: being written")
    }
}

impl ServerConfig {
    /// Variables a target pointed at this server defines (see `config::vars`): mailbox, domain,
    /// impersonation targets, distribution group.
    pub fn target_variables(&self) -> BTreeMap<String, String> {
        unimplemented!("reference server: being written")
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
    #[error("invalid server configuration: {0}")]
    Config(String),
}

/// A server running on its own runtime thread. Dropping it shuts it down.
pub struct RunningServer {
    addr: SocketAddr,
}

impl RunningServer {
    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://ADDR/EWS/Exchange.asmx`.
    pub fn url(&self) -> String {
        format!("http://{}/EWS/Exchange.asmx", self.addr)
    }
    /// Stops accepting, finishes in-flight requests, joins the runtime thread.
    pub fn shutdown(self) {}
}

/// Starts the server; returns once it is listening.
pub fn start(_config: ServerConfig) -> Result<RunningServer, ServerError> {
    unimplemented!("reference server: being written")
}
