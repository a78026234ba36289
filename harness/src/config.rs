//! The target under test: endpoint, credentials, mailboxes and the variables cases may use.
//!
//! Owns the built-in variable names and how a target is described. Secrets are held in
//! [`Secret`], whose `Debug`/`Display` never show the value.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

/// A secret value (password, token). Never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How the harness authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    #[default]
    None,
    Basic {
        username: String,
        password: Secret,
    },
    Bearer {
        token: Secret,
    },
    Ntlm {
        username: String,
        password: Secret,
        domain: Option<String>,
    },
}

/// Built-in variable names every target defines (cases may use them as `{{name}}`).
pub mod vars {
    /// Unique id of this run (`r` + 10 hex chars); names of created objects carry it.
    pub const RUN_ID: &str = "run_id";
    /// Primary SMTP address of the mailbox under test (the authenticated user's).
    pub const MAILBOX: &str = "mailbox";
    /// Domain part of `mailbox`.
    pub const DOMAIN: &str = "domain";
    /// A second mailbox on the same server, which the primary user may impersonate.
    pub const IMPERSONATION_TARGET: &str = "impersonation_target";
    /// A mailbox that exists but that the primary user may not impersonate.
    pub const IMPERSONATION_DENIED_TARGET: &str = "impersonation_denied_target";
    /// SMTP address of a distribution group in the directory.
    pub const DISTRIBUTION_GROUP: &str = "distribution_group";
    /// Display name of that distribution group.
    pub const DISTRIBUTION_GROUP_NAME: &str = "distribution_group_name";
    /// Every built-in name.
    pub const ALL: &[&str] = &[
        RUN_ID,
        MAILBOX,
        DOMAIN,
        IMPERSONATION_TARGET,
        IMPERSONATION_DENIED_TARGET,
        DISTRIBUTION_GROUP,
        DISTRIBUTION_GROUP_NAME,
    ];
}

/// Network limits of the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Largest response body accepted.
    pub max_response_bytes: u64,
    /// Total time a step may spend waiting for throttling back-off.
    pub max_throttle_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 64 * 1024 * 1024,
            max_throttle_wait: Duration::from_secs(120),
        }
    }
}

/// A fully described target.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// EWS endpoint, e.g. `https://mail.example.com/EWS/Exchange.asmx`.
    pub endpoint: String,
    pub auth: Auth,
    /// RequestServerVersion sent by default and used to ignore cases newer than the target.
    pub server_version: Option<String>,
    /// Extra HTTP headers on every request (`X-AnchorMailbox`, ...).
    pub extra_headers: Vec<(String, String)>,
    /// Built-in and configured variables (see [`vars`]), except `run_id`, which the runner adds.
    pub variables: BTreeMap<String, String>,
    pub limits: Limits,
}

impl Target {
    /// Names a case may use: built-ins, configured variables and `run_id`.
    pub fn known_variables(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = vars::ALL.iter().map(|s| s.to_string()).collect();
        names.extend(self.variables.keys().cloned());
        names
    }

    /// Endpoint with any `user:pass@` removed, for reports.
    pub fn redacted_endpoint(&self) -> String {
        redact_url(&self.endpoint)
    }
}

/// Removes user-info from a URL (`https://u:p@host/x` -> `https://host/x`).
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            let host = authority
                .rsplit_once('@')
                .map(|(_, h)| h)
                .unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let auth = Auth::Basic {
            username: "u".into(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
        assert_eq!(Secret::new("hunter2").to_string(), "***");
    }

    #[test]
    fn redact_url_drops_userinfo() {
        assert_eq!(
            redact_url("https://u:p@h:443/EWS/Exchange.asmx"),
            "https://h:443/EWS/Exchange.asmx"
        );
        assert_eq!(redact_url("http://127.0.0.1:1/x"), "http://127.0.0.1:1/x");
    }
}
