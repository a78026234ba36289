//! The target under test: endpoint, credentials, TLS, proxy, limits, mailboxes and the variables
//! cases may use.
//!
//! Owns the built-in variable names, how a target is described, and how a [`Target`] is resolved
//! from three sources ([`Target::resolve`]):
//!
//! 1. command-line flags ([`TargetOverrides`], built by the CLI) — highest precedence;
//! 2. the environment: `EWS_ENDPOINT`, `EWS_AUTH`, `EWS_USERNAME`, and the secrets
//!    `EWS_PASSWORD`, `EWS_TOKEN` / `EWS_TOKEN_FILE`;
//! 3. a target profile file (YAML) — lowest precedence.
//!
//! **Secrets come only from the environment.** A profile that contains `password:` or `token:` is
//! rejected with its position; flags carry no secrets. Secrets are held in [`Secret`], whose
//! `Debug`/`Display` never show the value.
//!
//! # Target profile
//!
//! Every key is optional; unknown keys are errors that point at `file:line:col`. Relative paths
//! are relative to the profile file. `harness/target-profile.example.yaml` is a commented example.
//!
//! ```yaml
//! endpoint: https://mail.example.com/EWS/Exchange.asmx
//! auth: ntlm                     # none | basic | bearer | ntlm
//! username: EXAMPLE\alice        # ntlm: DOMAIN\user or user@domain; basic: as the server wants
//! server_version: Exchange2016   # RequestServerVersion sent by default
//! schema: true                  # validate every response against the EWS schema (false = --no-schema)
//! mailboxes:                     # the built-in variables (see `vars`)
//!   mailbox: alice@example.com   # `domain` is derived from it unless given under `variables`
//!   impersonation_target: bob@example.com
//!   impersonation_denied_target: carol@example.com
//!   distribution_group: team@example.com
//!   distribution_group_name: Team
//! variables:                     # any extra `{{name}}` the cases use
//!   sip_domain: example.com
//! headers:                       # sent with every request
//!   X-AnchorMailbox: alice@example.com
//!   X-PreferServerAffinity: "true"
//! baseline: baselines/staging.json
//! tls:
//!   cacert: certs/root.pem       # extra trusted root (PEM)
//!   cert: certs/client.pem       # client certificate (PEM) ...
//!   key: certs/client.key        # ... and its private key (PEM)
//!   insecure: false              # accept any server certificate (loud warning)
//! proxy: http://proxy.example.com:3128
//! limits:
//!   connect_timeout: 10s         # durations: 300ms, 10s, 2m, 1h, or a number of seconds
//!   request_timeout: 60s
//!   run_timeout: 30m             # whole run (enforced by the runner); absent = none
//!   max_response_bytes: 64MiB    # sizes: bytes, or KiB/MiB/GiB (KB/MB/GB = powers of 1000)
//!   max_throttle_wait: 2m        # total back-off one request may wait
//!   max_throttle_retries: 5
//!   max_redirects: 5
//!   xml_max_depth: 512           # XML limits on responses and case XML (depth at most 1024)
//!   xml_max_namespace_bindings: 1024
//!   xml_max_attributes: 1024
//! autodiscover_url: https://autodiscover.example.com/autodiscover/autodiscover.svc
//!                                # SOAP Autodiscover (POX: the same URL ending in
//!                                # autodiscover.xml); default: at the endpoint's origin
//! trace_header: X-EWS-Conformance-Case  # names the case and step on every request; false = off
//! operations: [AddImGroup, GetImItemList] # what the server implements; cases of others are
//!                                # reported `unsupported` without sending (absent = all)
//! users:                         # further users a step may act as (`as: bob`), same auth
//!   bob:                         # scheme; password from EWS_PASSWORD_BOB (token EWS_TOKEN_BOB)
//!     username: EXAMPLE\bob
//!     mailbox: bob@example.com
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

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

impl Auth {
    /// The scheme's name as users write it (`none`, `basic`, `bearer`, `ntlm`).
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Basic { .. } => "basic",
            Auth::Bearer { .. } => "bearer",
            Auth::Ntlm { .. } => "ntlm",
        }
    }
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

/// Network limits of the transport (and the run timeout, which the runner enforces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// Whole request: connect, send, and read the full response.
    pub request_timeout: Duration,
    /// Largest response body accepted, counted after decompression.
    pub max_response_bytes: u64,
    /// Total time one request may spend waiting for throttling back-off.
    pub max_throttle_wait: Duration,
    /// How often one request may be retried after throttling.
    pub max_throttle_retries: u32,
    /// Redirects followed before giving up (a loop ends here).
    pub max_redirects: usize,
    /// Whole run; `None` = no limit. Enforced by the runner, not the transport.
    pub run_timeout: Option<Duration>,
    /// The XML parser's limits (nesting, namespace bindings, attributes per element).
    pub xml: crate::xml::Limits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 64 * 1024 * 1024,
            max_throttle_wait: Duration::from_secs(120),
            max_throttle_retries: 5,
            max_redirects: 5,
            run_timeout: None,
            xml: crate::xml::Limits::BUILT_IN,
        }
    }
}

/// TLS options of the transport.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// Extra trusted root certificate(s), PEM.
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM), used with `client_key`.
    pub client_cert: Option<PathBuf>,
    /// Private key of the client certificate (PEM).
    pub client_key: Option<PathBuf>,
    /// Accept any server certificate. The CLI warns loudly when this is set.
    pub insecure: bool,
}

/// What the CLI prints once to stderr when [`TlsSettings::insecure`] is set.
pub const INSECURE_WARNING: &str = "WARNING: --insecure is set: server TLS certificates are NOT \
     verified. Anyone on the network path can read and change this traffic, credentials included. \
     Use --cacert to trust a private CA instead.";

/// A fully described target.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// EWS endpoint, e.g. `https://mail.example.com/EWS/Exchange.asmx`. Empty after
    /// [`Target::resolve`] when no endpoint was given anywhere (the CLI then starts the embedded
    /// reference server).
    pub endpoint: String,
    /// The SOAP Autodiscover URL (profile `autodiscover_url`, `.../autodiscover.svc`; POX is the
    /// same URL ending in `autodiscover.xml`). `None`: `/autodiscover/autodiscover.svc` at the
    /// origin of `endpoint`.
    pub autodiscover_url: Option<String>,
    pub auth: Auth,
    /// RequestServerVersion sent by default and used to ignore cases newer than the target.
    pub server_version: Option<String>,
    /// Extra HTTP headers on every request (`X-AnchorMailbox`, ...).
    pub extra_headers: Vec<(String, String)>,
    /// Built-in and configured variables (see [`vars`]), except `run_id`, which the runner adds.
    pub variables: BTreeMap<String, String>,
    pub limits: Limits,
    pub tls: TlsSettings,
    /// HTTP(S) proxy URL for every request. `None` = the `HTTPS_PROXY`/`HTTP_PROXY` environment
    /// (ignored for loopback endpoints).
    pub proxy: Option<String>,
    /// Baseline of known divergences for this target.
    pub baseline: Option<PathBuf>,
    /// Header naming the case and step on every request (`X-EWS-Conformance-Case:
    /// im/flows/group_lifecycle#3`); `None` = no such header. [`Target::resolve`] defaults it to
    /// [`DEFAULT_TRACE_HEADER`].
    pub trace_header: Option<String>,
    /// The operations the target implements (profile `operations:`); cases of any other
    /// operation are reported `unsupported` without sending. `None` = every operation.
    pub operations: Option<BTreeSet<String>>,
    /// Responses are not validated against the EWS schema (`--no-schema`, profile
    /// `schema: false`). Off by default: every response body is validated.
    pub no_schema: bool,
    /// Further users a case step may act as (`as: NAME`), from the profile's `users:`; their
    /// secrets come from the environment (`EWS_PASSWORD_<NAME>`, `EWS_TOKEN_<NAME>`).
    pub users: BTreeMap<String, TargetUser>,
}

/// A user of [`Target::users`]: authenticates with the target's auth scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUser {
    pub auth: Auth,
    /// The user's primary SMTP address, when configured.
    pub mailbox: Option<String>,
}

/// The environment variable holding `base` (`EWS_PASSWORD`) for the user `name`:
/// `EWS_PASSWORD_BOB` (upper case; characters other than letters and digits become `_`).
pub fn user_env_name(base: &str, name: &str) -> String {
    let suffix: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{base}_{suffix}")
}

/// The trace header's default name.
pub const DEFAULT_TRACE_HEADER: &str = "X-EWS-Conformance-Case";

impl Target {
    /// Names a case may use: built-ins, configured variables and `run_id`.
    pub fn known_variables(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = vars::ALL.iter().map(|s| s.to_string()).collect();
        names.extend(self.variables.keys().cloned());
        names
    }

    /// Applies `--var NAME=VALUE` settings over the resolved variables. A new `mailbox` derives
    /// `domain` (the part after `@`) unless `domain` is set in the same settings, as the target
    /// profile does.
    pub fn apply_var_settings(&mut self, settings: &[(String, String)]) {
        let sets = |name: &str| settings.iter().any(|(k, _)| k == name);
        for (name, value) in settings {
            self.variables.insert(name.clone(), value.clone());
        }
        if sets(vars::MAILBOX)
            && !sets(vars::DOMAIN)
            && let Some((_, domain)) = self
                .variables
                .get(vars::MAILBOX)
                .and_then(|mailbox| mailbox.rsplit_once('@'))
        {
            let domain = domain.to_string();
            self.variables.insert(vars::DOMAIN.to_string(), domain);
        }
    }

    /// Endpoint with any `user:pass@` removed, for reports.
    pub fn redacted_endpoint(&self) -> String {
        redact_url(&self.endpoint)
    }

    /// Builds the target from a profile file, command-line overrides and the environment.
    ///
    /// Precedence: flags, then environment, then profile. Secrets only from the environment
    /// (`EWS_PASSWORD`, `EWS_TOKEN`, `EWS_TOKEN_FILE`). `env` is usually
    /// `&|name| std::env::var(name).ok()`; empty values count as unset.
    pub fn resolve(
        profile: Option<&Path>,
        overrides: &TargetOverrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Target, ConfigError> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let (raw, base_dir) = match profile {
            Some(path) => (load_profile(path)?, path.parent().map(Path::to_path_buf)),
            None => (RawProfile::default(), None),
        };
        let relative = |p: PathBuf| match &base_dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p,
        };

        let endpoint = overrides
            .endpoint
            .clone()
            .or_else(|| env("EWS_ENDPOINT"))
            .or(raw.endpoint)
            .unwrap_or_default();
        check_endpoint(&endpoint)?;
        if let Some(url) = &raw.autodiscover_url {
            check_endpoint(url)?;
        }

        let auth_kind = match (&overrides.auth, env("EWS_AUTH")) {
            (Some(flag), _) => Some(AuthKind::parse(flag, "--auth")?),
            (None, Some(var)) => Some(AuthKind::parse(&var, "EWS_AUTH")?),
            (None, None) => raw.auth,
        };
        let username = overrides
            .username
            .clone()
            .or_else(|| env("EWS_USERNAME"))
            .or(raw.username);
        let auth = resolve_auth(auth_kind, username, &env)?;

        let mut extra_headers: Vec<(String, String)> = raw.headers.into_iter().collect();
        for (name, value) in &overrides.headers {
            extra_headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            extra_headers.push((name.clone(), value.clone()));
        }
        for (name, value) in &extra_headers {
            check_header(name, value)?;
        }

        let mut variables = BTreeMap::new();
        let m = raw.mailboxes;
        for (name, value) in [
            (vars::MAILBOX, m.mailbox),
            (vars::IMPERSONATION_TARGET, m.impersonation_target),
            (
                vars::IMPERSONATION_DENIED_TARGET,
                m.impersonation_denied_target,
            ),
            (vars::DISTRIBUTION_GROUP, m.distribution_group),
            (vars::DISTRIBUTION_GROUP_NAME, m.distribution_group_name),
        ] {
            if let Some(value) = value {
                variables.insert(name.to_string(), value);
            }
        }
        for (name, value) in raw.variables {
            if name == vars::RUN_ID || !is_variable_name(&name) {
                return Err(ConfigError::Invalid {
                    origin: "profile `variables`".into(),
                    message: format!(
                        "`{name}` cannot be a variable name (use letters, digits and `_`; \
                         `run_id` is set by the runner)"
                    ),
                });
            }
            variables.insert(name, value);
        }
        if !variables.contains_key(vars::DOMAIN)
            && let Some((_, domain)) = variables
                .get(vars::MAILBOX)
                .and_then(|mailbox| mailbox.rsplit_once('@'))
        {
            variables.insert(vars::DOMAIN.to_string(), domain.to_string());
        }

        let l = raw.limits;
        let defaults = Limits::default();
        let limits = Limits {
            connect_timeout: l.connect_timeout.unwrap_or(defaults.connect_timeout),
            request_timeout: overrides
                .request_timeout
                .or(l.request_timeout)
                .unwrap_or(defaults.request_timeout),
            max_response_bytes: overrides
                .max_response_bytes
                .or(l.max_response_bytes)
                .unwrap_or(defaults.max_response_bytes),
            max_throttle_wait: overrides
                .max_throttle_wait
                .or(l.max_throttle_wait)
                .unwrap_or(defaults.max_throttle_wait),
            max_throttle_retries: l
                .max_throttle_retries
                .unwrap_or(defaults.max_throttle_retries),
            max_redirects: l.max_redirects.unwrap_or(defaults.max_redirects),
            run_timeout: overrides.run_timeout.or(l.run_timeout),
            xml: crate::xml::Limits {
                max_depth: overrides
                    .xml_max_depth
                    .or(l.xml_max_depth)
                    .unwrap_or(defaults.xml.max_depth),
                max_namespace_bindings: overrides
                    .xml_max_namespace_bindings
                    .or(l.xml_max_namespace_bindings)
                    .unwrap_or(defaults.xml.max_namespace_bindings),
                max_attributes: overrides
                    .xml_max_attributes
                    .or(l.xml_max_attributes)
                    .unwrap_or(defaults.xml.max_attributes),
            },
        };

        if limits.xml.max_depth > crate::xml::Limits::MAX_DEPTH_CEILING {
            return Err(ConfigError::Invalid {
                origin: "`xml_max_depth` (--xml-max-depth or the profile's limits)".into(),
                message: format!(
                    "{} is above the ceiling of {} levels (comparison is recursive)",
                    limits.xml.max_depth,
                    crate::xml::Limits::MAX_DEPTH_CEILING
                ),
            });
        }

        let tls = TlsSettings {
            cacert: overrides.cacert.clone().or(raw.tls.cacert.map(relative)),
            client_cert: overrides.cert.clone().or(raw.tls.cert.map(relative)),
            client_key: overrides.key.clone().or(raw.tls.key.map(relative)),
            insecure: overrides.insecure || raw.tls.insecure,
        };
        if tls.client_cert.is_some() != tls.client_key.is_some() {
            return Err(ConfigError::Invalid {
                origin: "TLS client certificate".into(),
                message: "`--cert` and `--key` (profile `tls.cert`, `tls.key`) go together: \
                          give both or neither"
                    .into(),
            });
        }

        let proxy = overrides.proxy.clone().or(raw.proxy);
        if let Some(proxy) = &proxy {
            check_proxy(proxy)?;
        }

        let trace_header = if overrides.no_trace_header {
            None
        } else {
            match (&overrides.trace_header, raw.trace_header) {
                (Some(name), _) => Some(name.clone()),
                (None, Some(RawTraceHeader::Name(name))) => Some(name),
                (None, Some(RawTraceHeader::On(false))) => None,
                (None, Some(RawTraceHeader::On(true)) | None) => {
                    Some(DEFAULT_TRACE_HEADER.to_string())
                }
            }
        };
        if let Some(name) = &trace_header {
            check_header(name, "").map_err(|_| ConfigError::Invalid {
                origin: "trace header (`--trace-header`, profile `trace_header`)".into(),
                message: format!("`{name}` is not a valid HTTP header name"),
            })?;
        }

        if let Some(unknown) = raw
            .operations
            .iter()
            .flatten()
            .find(|op| crate::operations::find(op).is_none())
        {
            return Err(ConfigError::Invalid {
                origin: "profile `operations`".into(),
                message: format!("`{unknown}` is not an EWS operation name"),
            });
        }

        let mut users = BTreeMap::new();
        for (name, user) in raw.users {
            let kind = match &auth {
                Auth::None => AuthKind::None,
                Auth::Basic { .. } => AuthKind::Basic,
                Auth::Bearer { .. } => AuthKind::Bearer,
                Auth::Ntlm { .. } => AuthKind::Ntlm,
            };
            // The user's own secrets: EWS_PASSWORD_BOB instead of EWS_PASSWORD, ...
            let user_env = |n: &str| match n {
                "EWS_PASSWORD" | "EWS_TOKEN" | "EWS_TOKEN_FILE" => env(&user_env_name(n, &name)),
                _ => None,
            };
            let user_auth = resolve_auth(Some(kind), user.username, &user_env).map_err(|e| {
                let message = match e {
                    ConfigError::MissingCredential { auth, what, .. } => format!(
                        "auth `{auth}` needs {what} for this user; {}",
                        match what {
                            "a username" => "give `username:` under the user".to_string(),
                            "a token" => format!(
                                "set {} or {}",
                                user_env_name("EWS_TOKEN", &name),
                                user_env_name("EWS_TOKEN_FILE", &name)
                            ),
                            _ => format!(
                                "set {} (passwords are never read from the profile)",
                                user_env_name("EWS_PASSWORD", &name)
                            ),
                        }
                    ),
                    other => other.to_string(),
                };
                ConfigError::Invalid {
                    origin: format!("profile `users.{name}`"),
                    message,
                }
            })?;
            users.insert(
                name,
                TargetUser {
                    auth: user_auth,
                    mailbox: user.mailbox,
                },
            );
        }

        let server_version = overrides.server_version.clone().or(raw.server_version);
        if let Some(version) = &server_version
            && crate::case::ServerVersion::parse(version).is_none()
        {
            return Err(ConfigError::Invalid {
                origin: if overrides.server_version.is_some() {
                    "--server-version".into()
                } else {
                    "profile `server_version`".into()
                },
                message: format!(
                    "`{version}` is not an EWS version (t:ExchangeVersionType): {}",
                    crate::case::ServerVersion::names().join(", ")
                ),
            });
        }

        Ok(Target {
            trace_header,
            operations: raw.operations.map(|ops| ops.into_iter().collect()),
            endpoint,
            autodiscover_url: raw.autodiscover_url,
            auth,
            server_version,
            extra_headers,
            variables,
            limits,
            tls,
            proxy,
            baseline: overrides.baseline.clone().or(raw.baseline.map(relative)),
            no_schema: overrides.no_schema || raw.schema == Some(false),
            users,
        })
    }
}

/// What the command line says about the target. `None` / empty / `false` = not given.
///
/// The CLI builds this from its flags and passes it to [`Target::resolve`]. It carries no
/// secrets: passwords and tokens come from the environment only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetOverrides {
    /// `--endpoint URL`
    pub endpoint: Option<String>,
    /// `--auth none|basic|bearer|ntlm`
    pub auth: Option<String>,
    /// `--username NAME`
    pub username: Option<String>,
    /// `--server-version Exchange2016`
    pub server_version: Option<String>,
    /// `--cacert FILE`
    pub cacert: Option<PathBuf>,
    /// `--cert FILE`
    pub cert: Option<PathBuf>,
    /// `--key FILE`
    pub key: Option<PathBuf>,
    /// `--insecure`
    pub insecure: bool,
    /// `--no-schema`
    pub no_schema: bool,
    /// `--proxy URL`
    pub proxy: Option<String>,
    /// `--header 'Name: value'` (repeatable; see [`parse_header`])
    pub headers: Vec<(String, String)>,
    /// `--request-timeout 60s` (see [`parse_duration`])
    pub request_timeout: Option<Duration>,
    /// `--run-timeout 30m`
    pub run_timeout: Option<Duration>,
    /// `--max-response-size 64MiB` (see [`parse_size`])
    pub max_response_bytes: Option<u64>,
    /// `--max-throttle-wait 2m`
    pub max_throttle_wait: Option<Duration>,
    /// `--xml-max-depth N`
    pub xml_max_depth: Option<usize>,
    /// `--xml-max-namespace-bindings N`
    pub xml_max_namespace_bindings: Option<usize>,
    /// `--xml-max-attributes N`
    pub xml_max_attributes: Option<usize>,
    /// `--baseline FILE`
    pub baseline: Option<PathBuf>,
    /// `--trace-header NAME`
    pub trace_header: Option<String>,
    /// `--no-trace-header`
    pub no_trace_header: bool,
}

/// Why a target could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the target profile {}: {source}", path.display())]
    ReadProfile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The profile is not valid YAML or has a wrong key or value.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Profile {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A value is wrong; `origin` names where it came from (a flag, a variable, a profile key).
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    /// The chosen auth scheme needs a secret that the environment does not provide.
    #[error("auth `{auth}` needs {what}; {hint}")]
    MissingCredential {
        auth: &'static str,
        what: &'static str,
        hint: &'static str,
    },
    #[error("cannot read the token file {} (EWS_TOKEN_FILE): {source}", path.display())]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Parses a duration: `300ms`, `10s`, `2m`, `1h`, or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (try 300ms, 10s, 2m, 1h)"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        other => {
            return Err(format!(
                "`{text}`: unknown duration unit `{other}` (use ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is not a valid duration"))
}

/// Parses a size: a number of bytes, or with `KiB`/`MiB`/`GiB` (or `KB`/`MB`/`GB`, powers of 1000).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (try 65536, 512KiB, 64MiB)"))?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => {
            return Err(format!(
                "`{text}`: unknown size unit `{other}` (use KiB, MiB, GiB, KB, MB or GB)"
            ));
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Parses a `--header` value: `Name: value`.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not a header: write `Name: value`"))?;
    let (name, value) = (name.trim().to_string(), value.trim().to_string());
    check_header(&name, &value).map_err(|e| e.to_string())?;
    Ok((name, value))
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

// ---- the profile's raw serde mirror -------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum AuthKind {
    None,
    Basic,
    Bearer,
    Ntlm,
}

impl AuthKind {
    fn parse(text: &str, origin: &str) -> Result<AuthKind, ConfigError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(AuthKind::None),
            "basic" => Ok(AuthKind::Basic),
            "bearer" | "oauth" => Ok(AuthKind::Bearer),
            "ntlm" => Ok(AuthKind::Ntlm),
            _ => Err(ConfigError::Invalid {
                origin: origin.to_string(),
                message: format!("unknown auth `{text}`: use none, basic, bearer or ntlm"),
            }),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    endpoint: Option<String>,
    autodiscover_url: Option<String>,
    auth: Option<AuthKind>,
    username: Option<String>,
    #[serde(default, deserialize_with = "reject_password")]
    #[allow(dead_code)]
    password: Option<()>,
    #[serde(default, deserialize_with = "reject_token")]
    #[allow(dead_code)]
    token: Option<()>,
    server_version: Option<String>,
    /// Validate responses against the EWS schema (default true).
    schema: Option<bool>,
    #[serde(default)]
    mailboxes: RawMailboxes,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    baseline: Option<PathBuf>,
    #[serde(default)]
    tls: RawTls,
    proxy: Option<String>,
    #[serde(default)]
    limits: RawLimits,
    trace_header: Option<RawTraceHeader>,
    operations: Option<Vec<String>>,
    #[serde(default)]
    users: BTreeMap<String, RawUser>,
}

/// One entry of `users:`: who a case step may act as (`as: NAME`). No secrets here.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    username: Option<String>,
    mailbox: Option<String>,
    #[serde(default, deserialize_with = "reject_user_password")]
    #[allow(dead_code)]
    password: Option<()>,
}

fn reject_user_password<'de, D: Deserializer<'de>>(d: D) -> Result<Option<()>, D::Error> {
    serde::de::IgnoredAny::deserialize(d)?;
    Err(serde::de::Error::custom(
        "secrets are never read from the profile: remove `password` and set EWS_PASSWORD_<NAME> \
         (EWS_PASSWORD_BOB for the user `bob`)",
    ))
}

/// `trace_header:` is a header name, or `false` (off) / `true` (the default name).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawTraceHeader {
    On(bool),
    Name(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMailboxes {
    mailbox: Option<String>,
    impersonation_target: Option<String>,
    impersonation_denied_target: Option<String>,
    distribution_group: Option<String>,
    distribution_group_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    #[serde(default)]
    insecure: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    #[serde(default, deserialize_with = "de_duration")]
    connect_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "de_duration")]
    request_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "de_duration")]
    run_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "de_size")]
    max_response_bytes: Option<u64>,
    #[serde(default, deserialize_with = "de_duration")]
    max_throttle_wait: Option<Duration>,
    max_throttle_retries: Option<u32>,
    max_redirects: Option<usize>,
    xml_max_depth: Option<usize>,
    xml_max_namespace_bindings: Option<usize>,
    xml_max_attributes: Option<usize>,
}

/// A YAML scalar that may be written as a number or a string (`30`, `30s`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Number(u64),
    Text(String),
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Number(seconds) => Ok(Some(Duration::from_secs(seconds))),
        Scalar::Text(text) => parse_duration(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Number(bytes) => Ok(Some(bytes)),
        Scalar::Text(text) => parse_size(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

fn reject_password<'de, D: Deserializer<'de>>(d: D) -> Result<Option<()>, D::Error> {
    serde::de::IgnoredAny::deserialize(d)?;
    Err(serde::de::Error::custom(
        "secrets are never read from the profile: remove `password` and set EWS_PASSWORD",
    ))
}

fn reject_token<'de, D: Deserializer<'de>>(d: D) -> Result<Option<()>, D::Error> {
    serde::de::IgnoredAny::deserialize(d)?;
    Err(serde::de::Error::custom(
        "secrets are never read from the profile: remove `token` and set EWS_TOKEN or \
         EWS_TOKEN_FILE",
    ))
}

fn load_profile(path: &Path) -> Result<RawProfile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadProfile {
        path: path.to_path_buf(),
        source,
    })?;
    if text.trim().is_empty() {
        return Ok(RawProfile::default());
    }
    crate::yaml::from_str::<RawProfile>(&text).map_err(|error| {
        let message = strip_location(&error.to_string());
        // Errors from our own value checks come back at 1:1 (the document start): find them.
        let (line, column) = crate::yaml::error_location(&error)
            .filter(|location| *location != (1, 1))
            .or_else(|| locate_quoted(&text, &message))
            .unwrap_or((1, 1));
        ConfigError::Profile {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    })
}

/// Position of the first `quoted` fragment of `message` found in `text`. Errors raised by our own
/// value checks carry no position from the YAML backend, but they quote the offending key or value.
fn locate_quoted(text: &str, message: &str) -> Option<(usize, usize)> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|fragment| !fragment.is_empty())
        .find_map(|fragment| {
            let offset = text.find(fragment)?;
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before[line_start..].chars().count() + 1;
            Some((line, column))
        })
}

/// serde_yaml appends " at line L column C" to its messages; the error carries the position.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn resolve_auth(
    kind: Option<AuthKind>,
    username: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Auth, ConfigError> {
    let token = || -> Result<Option<Secret>, ConfigError> {
        if let Some(token) = env("EWS_TOKEN") {
            return Ok(Some(Secret::new(token.trim())));
        }
        match env("EWS_TOKEN_FILE") {
            Some(path) => {
                let path = PathBuf::from(path);
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| ConfigError::TokenFile { path, source })?;
                Ok(Some(Secret::new(text.trim())).filter(|t| !t.is_empty()))
            }
            None => Ok(None),
        }
    };
    let kind = match kind {
        Some(kind) => kind,
        // No kind given: a token means bearer, a username means basic.
        None if env("EWS_TOKEN").is_some() || env("EWS_TOKEN_FILE").is_some() => AuthKind::Bearer,
        None if username.is_some() => AuthKind::Basic,
        None => AuthKind::None,
    };
    let need_user = |auth: &'static str| {
        username.clone().ok_or(ConfigError::MissingCredential {
            auth,
            what: "a username",
            hint: "set EWS_USERNAME, `--username` or `username:` in the profile",
        })
    };
    let need_password = |auth: &'static str| {
        env("EWS_PASSWORD")
            .map(Secret::new)
            .ok_or(ConfigError::MissingCredential {
                auth,
                what: "a password",
                hint: "set EWS_PASSWORD (passwords are never read from flags or the profile)",
            })
    };
    Ok(match kind {
        AuthKind::None => Auth::None,
        AuthKind::Basic => Auth::Basic {
            username: need_user("basic")?,
            password: need_password("basic")?,
        },
        AuthKind::Bearer => Auth::Bearer {
            token: token()?.ok_or(ConfigError::MissingCredential {
                auth: "bearer",
                what: "a token",
                hint: "set EWS_TOKEN or EWS_TOKEN_FILE (a file holding the token)",
            })?,
        },
        AuthKind::Ntlm => {
            let full = need_user("ntlm")?;
            let password = need_password("ntlm")?;
            match full.split_once('\\') {
                Some((domain, user)) if !domain.is_empty() && !user.is_empty() => Auth::Ntlm {
                    username: user.to_string(),
                    password,
                    domain: Some(domain.to_string()),
                },
                _ => Auth::Ntlm {
                    username: full,
                    password,
                    domain: None,
                },
            }
        }
    })
}

fn check_endpoint(endpoint: &str) -> Result<(), ConfigError> {
    if endpoint.is_empty() {
        return Ok(());
    }
    let invalid = |message: String| ConfigError::Invalid {
        origin: format!("endpoint `{}`", redact_url(endpoint)),
        message,
    };
    let url = reqwest::Url::parse(endpoint).map_err(|e| invalid(e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(invalid(format!(
            "scheme `{}` is not supported: use http or https",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "credentials do not belong in the URL: set EWS_USERNAME and EWS_PASSWORD".into(),
        ));
    }
    Ok(())
}

fn check_proxy(proxy: &str) -> Result<(), ConfigError> {
    let url = reqwest::Url::parse(proxy).map_err(|e| ConfigError::Invalid {
        origin: format!("proxy `{}`", redact_url(proxy)),
        message: e.to_string(),
    })?;
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(ConfigError::Invalid {
            origin: format!("proxy `{}`", redact_url(proxy)),
            message: format!("scheme `{other}` is not supported: use an http:// or https:// proxy"),
        }),
    }
}

fn check_header(name: &str, value: &str) -> Result<(), ConfigError> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(ConfigError::Invalid {
            origin: "header".into(),
            message: format!("`{name}` is not a valid HTTP header name"),
        });
    }
    if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Err(ConfigError::Invalid {
            origin: format!("header `{name}`"),
            message: "the value contains a line break or NUL".into(),
        });
    }
    Ok(())
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn profile(text: &str) -> (tempdir::Dir, PathBuf) {
        let dir = tempdir::Dir::new();
        let path = dir.path().join("target.yaml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// A throw-away directory removed on drop (no extra dev-dependency).
    mod tempdir {
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicU32, Ordering};

        pub struct Dir(PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let path = std::env::temp_dir().join(format!(
                    "ews-config-test-{}-{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

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

    #[test]
    fn flags_override_env_which_overrides_profile() {
        let (_dir, path) = profile(
            "endpoint: https://profile.example/EWS/Exchange.asmx\nauth: basic\nusername: profile-user\n\
             server_version: Exchange2013\nheaders:\n  X-AnchorMailbox: a@example.com\n",
        );
        let env = env_of(&[
            ("EWS_ENDPOINT", "https://env.example/EWS/Exchange.asmx"),
            ("EWS_USERNAME", "env-user"),
            ("EWS_PASSWORD", "pw"),
        ]);
        let target = Target::resolve(Some(&path), &TargetOverrides::default(), &env).unwrap();
        assert_eq!(target.endpoint, "https://env.example/EWS/Exchange.asmx");
        assert_eq!(
            target.auth,
            Auth::Basic {
                username: "env-user".into(),
                password: Secret::new("pw")
            }
        );
        assert_eq!(target.server_version.as_deref(), Some("Exchange2013"));

        let flags = TargetOverrides {
            endpoint: Some("https://flag.example/EWS/Exchange.asmx".into()),
            username: Some("flag-user".into()),
            server_version: Some("Exchange2016".into()),
            headers: vec![("x-anchormailbox".into(), "b@example.com".into())],
            ..TargetOverrides::default()
        };
        let target = Target::resolve(Some(&path), &flags, &env).unwrap();
        assert_eq!(target.endpoint, "https://flag.example/EWS/Exchange.asmx");
        assert!(matches!(&target.auth, Auth::Basic { username, .. } if username == "flag-user"));
        assert_eq!(target.server_version.as_deref(), Some("Exchange2016"));
        assert_eq!(
            target.extra_headers,
            vec![("x-anchormailbox".to_string(), "b@example.com".to_string())]
        );
    }

    #[test]
    fn basic_without_password_names_the_variable() {
        let flags = TargetOverrides {
            endpoint: Some("https://h/EWS/Exchange.asmx".into()),
            auth: Some("basic".into()),
            username: Some("alice".into()),
            ..TargetOverrides::default()
        };
        let error = Target::resolve(None, &flags, &env_of(&[])).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("auth `basic` needs a password"), "{text}");
        assert!(text.contains("EWS_PASSWORD"), "{text}");
    }

    #[test]
    fn a_var_mailbox_derives_the_domain_unless_the_domain_is_set_too() {
        let mut target = Target::default();
        target.apply_var_settings(&[("mailbox".into(), "alice@contoso.com".into())]);
        assert_eq!(
            target.variables.get("domain").map(String::as_str),
            Some("contoso.com")
        );
        target.apply_var_settings(&[
            ("mailbox".into(), "bob@fabrikam.com".into()),
            ("domain".into(), "corp.fabrikam.com".into()),
        ]);
        assert_eq!(
            target.variables.get("domain").map(String::as_str),
            Some("corp.fabrikam.com")
        );
        target.apply_var_settings(&[("distribution_group".into(), "g@x.com".into())]);
        assert_eq!(
            target.variables.get("domain").map(String::as_str),
            Some("corp.fabrikam.com"),
            "only a new mailbox changes the domain"
        );
    }

    #[test]
    fn ntlm_splits_domain_and_bearer_reads_token_file() {
        let env = env_of(&[("EWS_PASSWORD", "pw"), ("EWS_AUTH", "NTLM")]);
        let flags = TargetOverrides {
            username: Some("EXAMPLE\\alice".into()),
            ..TargetOverrides::default()
        };
        let target = Target::resolve(None, &flags, &env).unwrap();
        assert_eq!(
            target.auth,
            Auth::Ntlm {
                username: "alice".into(),
                password: Secret::new("pw"),
                domain: Some("EXAMPLE".into())
            }
        );

        let dir = tempdir::Dir::new();
        let token_path = dir.path().join("token");
        std::fs::write(&token_path, "eyJ.token.sig\n").unwrap();
        let env = env_of(&[("EWS_TOKEN_FILE", token_path.to_str().unwrap())]);
        let target = Target::resolve(None, &TargetOverrides::default(), &env).unwrap();
        assert_eq!(
            target.auth,
            Auth::Bearer {
                token: Secret::new("eyJ.token.sig")
            }
        );
        let env = env_of(&[("EWS_AUTH", "bearer")]);
        let error = Target::resolve(None, &TargetOverrides::default(), &env).unwrap_err();
        assert!(error.to_string().contains("EWS_TOKEN_FILE"), "{error}");
    }

    #[test]
    fn profile_errors_point_at_line_and_column() {
        let (_dir, path) =
            profile("endpoint: https://h/EWS/Exchange.asmx\nlimits:\n  request_timout: 5s\n");
        let error =
            Target::resolve(Some(&path), &TargetOverrides::default(), &env_of(&[])).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("target.yaml:3:3: "), "{text}");
        assert!(text.contains("request_timout"), "{text}");

        let (_dir, path) = profile("auth: kerberos\n");
        let text = Target::resolve(Some(&path), &TargetOverrides::default(), &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(text.contains("target.yaml:1:7: "), "{text}");

        let (_dir, path) = profile("username: alice\npassword: hunter2\n");
        let text = Target::resolve(Some(&path), &TargetOverrides::default(), &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(text.contains("target.yaml:2:"), "{text}");
        assert!(text.contains("EWS_PASSWORD"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");

        let (_dir, path) = profile("limits:\n  request_timeout: 5 fortnights\n");
        let text = Target::resolve(Some(&path), &TargetOverrides::default(), &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(text.contains("target.yaml:2:"), "{text}");
        assert!(text.contains("unknown duration unit"), "{text}");
    }

    #[test]
    fn xml_limits_come_from_the_profile_and_flags_win() {
        let (_dir, path) = profile("limits:\n  xml_max_depth: 64\n  xml_max_attributes: 9\n");
        let target =
            Target::resolve(Some(&path), &TargetOverrides::default(), &env_of(&[])).unwrap();
        assert_eq!(target.limits.xml.max_depth, 64);
        assert_eq!(target.limits.xml.max_attributes, 9);
        assert_eq!(
            target.limits.xml.max_namespace_bindings,
            crate::xml::Limits::DEFAULT_MAX_NAMESPACE_BINDINGS
        );
        let flags = TargetOverrides {
            xml_max_depth: Some(1000),
            ..TargetOverrides::default()
        };
        let target = Target::resolve(Some(&path), &flags, &env_of(&[])).unwrap();
        assert_eq!(target.limits.xml.max_depth, 1000);
        let flags = TargetOverrides {
            xml_max_depth: Some(5000),
            ..TargetOverrides::default()
        };
        let text = Target::resolve(Some(&path), &flags, &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(text.contains("ceiling of 1024"), "{text}");
    }

    #[test]
    fn example_profile_is_valid_and_complete() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target-profile.example.yaml");
        let env = env_of(&[("EWS_PASSWORD", "pw")]);
        let target = Target::resolve(Some(&path), &TargetOverrides::default(), &env).unwrap();
        assert!(matches!(target.auth, Auth::Ntlm { .. }));
        for name in vars::ALL.iter().filter(|n| **n != vars::RUN_ID) {
            assert!(
                target.variables.contains_key(*name),
                "example lacks `{name}`"
            );
        }
        assert_eq!(target.limits.request_timeout, Duration::from_secs(60));
        assert_eq!(target.limits.max_response_bytes, 64 * 1024 * 1024);
        assert_eq!(
            target.limits.run_timeout,
            Some(Duration::from_secs(30 * 60))
        );
        assert!(
            target
                .tls
                .cacert
                .as_ref()
                .unwrap()
                .starts_with(env!("CARGO_MANIFEST_DIR"))
        );
    }

    #[test]
    fn durations_sizes_and_headers_parse() {
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("15"), Ok(Duration::from_secs(15)));
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("99999999999GiB").is_err());
        assert_eq!(
            parse_header("X-AnchorMailbox: a@example.com"),
            Ok(("X-AnchorMailbox".into(), "a@example.com".into()))
        );
        assert!(parse_header("Bad Name: x").is_err());
    }

    #[test]
    fn endpoint_with_credentials_is_rejected_without_echoing_them() {
        let flags = TargetOverrides {
            endpoint: Some("https://alice:hunter2@h/EWS/Exchange.asmx".into()),
            ..TargetOverrides::default()
        };
        let text = Target::resolve(None, &flags, &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(text.contains("EWS_PASSWORD"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
