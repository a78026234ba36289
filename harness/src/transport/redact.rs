//! Secret redaction: what the harness prints, logs or writes into reports must never carry a
//! password, a token, an NTLM message or a cookie.
//!
//! Two tools: [`redact_headers`] masks the values of headers that carry credentials, and
//! [`Redactor`] replaces every known secret (and the base64 forms Basic auth puts on the wire)
//! in any text.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::target::{Auth, Target};

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// Headers whose whole value is a credential.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Authentication schemes whose `WWW-Authenticate` payload is a handshake token.
const TOKEN_SCHEMES: &[&str] = &["ntlm", "negotiate", "kerberos"];

/// Copies `headers`, masking credential-bearing values.
///
/// `Authorization` and `Proxy-Authorization` keep their scheme (`Basic ***`) so a reader can still
/// tell what was sent; `Cookie`/`Set-Cookie` become `***`; `WWW-Authenticate` and
/// `Proxy-Authenticate` keep the scheme and lose an NTLM/Negotiate token (`NTLM ***`).
pub fn redact_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| (name.clone(), redact_header(name, value)))
        .collect()
}

/// The value of one header as it may be shown.
pub fn redact_header(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower == "authorization" || lower == "proxy-authorization" {
        return match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {MASK}"),
            None => MASK.to_string(),
        };
    }
    if SECRET_HEADERS.contains(&lower.as_str()) {
        return MASK.to_string();
    }
    if lower == "www-authenticate" || lower == "proxy-authenticate" {
        let trimmed = value.trim();
        let (scheme, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
        if TOKEN_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) && !rest.trim().is_empty()
        {
            return format!("{scheme} {MASK}");
        }
    }
    value.to_string()
}

/// Replaces every known secret in a text by `***`.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    needles: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} needles)", self.needles.len())
    }
}

impl Redactor {
    /// A redactor for these secrets, their base64 forms included. Secrets shorter than three
    /// characters are ignored (masking every `a` would destroy the text and protect nothing).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut needles = Vec::new();
        for secret in secrets {
            if secret.chars().count() < 3 {
                continue;
            }
            needles.push(STANDARD.encode(secret.as_bytes()));
            needles.push(secret);
        }
        Redactor::from_needles(needles)
    }

    /// A redactor for the target's secrets: the password or token, and the Basic credentials
    /// `user:password` in base64 as they travel in the `Authorization` header.
    pub fn for_target(target: &Target) -> Redactor {
        let mut needles = Vec::new();
        let mut add = |secret: &str| {
            if secret.chars().count() >= 3 {
                needles.push(secret.to_string());
                needles.push(STANDARD.encode(secret.as_bytes()));
            }
        };
        let users = target.users.values().map(|u| &u.auth);
        for auth in std::iter::once(&target.auth).chain(users) {
            match auth {
                Auth::None => {}
                Auth::Basic { username, password } => {
                    add(password.expose());
                    add(&format!("{username}:{}", password.expose()));
                }
                Auth::Bearer { token } => add(token.expose()),
                Auth::Ntlm {
                    username,
                    password,
                    domain,
                } => {
                    add(password.expose());
                    if let Some(domain) = domain {
                        add(&format!("{domain}\\{username}:{}", password.expose()));
                    }
                }
            }
        }
        if let Some(proxy) = &target.proxy
            && let Ok(url) = reqwest::Url::parse(proxy)
            && let Some(password) = url.password()
        {
            add(password);
        }
        Redactor::from_needles(needles)
    }

    fn from_needles(mut needles: Vec<String>) -> Redactor {
        needles.retain(|n| !n.is_empty());
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        Redactor { needles }
    }

    /// `text` with every secret replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), MASK);
            }
        }
        out
    }

    /// Whether `text` contains a secret this redactor knows.
    pub fn finds_secret_in(&self, text: &str) -> bool {
        self.needles.iter().any(|n| text.contains(n.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Secret;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn credential_headers_are_masked_and_others_kept() {
        let headers = pairs(&[
            ("Authorization", "Basic YWxpY2U6aHVudGVyMg=="),
            ("proxy-authorization", "Basic cDpx"),
            ("Cookie", "session=abc"),
            ("Set-Cookie", "X-BackEndCookie=xyz; path=/"),
            ("WWW-Authenticate", "NTLM TlRMTVNTUAACAAAA"),
            ("WWW-Authenticate", "Negotiate"),
            ("WWW-Authenticate", "Basic realm=\"mail\""),
            ("Content-Type", "text/xml"),
        ]);
        assert_eq!(
            redact_headers(&headers),
            pairs(&[
                ("Authorization", "Basic ***"),
                ("proxy-authorization", "Basic ***"),
                ("Cookie", "***"),
                ("Set-Cookie", "***"),
                ("WWW-Authenticate", "NTLM ***"),
                ("WWW-Authenticate", "Negotiate"),
                ("WWW-Authenticate", "Basic realm=\"mail\""),
                ("Content-Type", "text/xml"),
            ])
        );
    }

    #[test]
    fn scrub_replaces_secrets_and_their_base64() {
        let redactor = Redactor::new(["hunter2".to_string(), "x".to_string()]);
        assert_eq!(
            redactor.scrub("password hunter2, base64 aHVudGVyMg== and x"),
            "password ***, base64 *** and x"
        );
    }

    #[test]
    fn for_target_masks_basic_credentials_as_sent_on_the_wire() {
        let target = Target {
            auth: Auth::Basic {
                username: "alice".into(),
                password: Secret::new("hunter2"),
            },
            proxy: Some("http://proxyuser:proxypass@127.0.0.1:3128".into()),
            ..Target::default()
        };
        let redactor = Redactor::for_target(&target);
        let wire = format!("Authorization: Basic {}", STANDARD.encode("alice:hunter2"));
        assert_eq!(redactor.scrub(&wire), "Authorization: Basic ***");
        assert_eq!(redactor.scrub("proxy said proxypass"), "proxy said ***");
        assert!(redactor.finds_secret_in("...hunter2..."));
        assert!(!redactor.finds_secret_in("alice"));
    }

    #[test]
    fn for_target_masks_bearer_tokens() {
        let target = Target {
            auth: Auth::Bearer {
                token: Secret::new("eyJhbGciOi.payload.sig"),
            },
            ..Target::default()
        };
        assert_eq!(
            Redactor::for_target(&target).scrub("Bearer eyJhbGciOi.payload.sig rejected"),
            "Bearer *** rejected"
        );
    }
}
