//! The HTTP client: sends one SOAP request, returns the response or a [`TransportError`].
//!
//! Owns reqwest, authentication, timeouts and size limits. A transport error means "could not
//! test" (the case errors); it never means "the server did not conform".
//!
//! CONTRACT (used by the runner): [`Transport::new`], [`Transport::send`], [`HttpRequest`],
//! [`HttpResponse`], [`TransportError`] keep these names and shapes.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::config::{Auth, Target};

/// One request to send.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub body: Vec<u8>,
    /// `SOAPAction` header value; `None` = header omitted.
    pub soap_action: Option<String>,
    /// Extra headers for this request only.
    pub headers: Vec<(String, String)>,
}

/// One response received in full.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
    /// How often the server throttled this request and how long the transport waited.
    pub throttled: u32,
    pub throttle_wait: Duration,
}

impl HttpResponse {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid endpoint URL `{url}`: {reason}")]
    BadEndpoint { url: String, reason: String },
    #[error("could not build the HTTP client: {0}")]
    Client(String),
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("timed out after {0:?} (request timeout)")]
    Timeout(Duration),
    #[error("response body exceeds the maximum response size of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("HTTP error: {0}")]
    Http(String),
}

/// A configured client for one target. Cheap to share between threads.
pub struct Transport {
    client: reqwest::blocking::Client,
    endpoint: reqwest::Url,
    auth: Auth,
    extra_headers: Vec<(String, String)>,
    request_timeout: Duration,
    max_response_bytes: u64,
}

/// User-Agent sent with every request.
pub fn user_agent() -> String {
    format!("ews-conformance/{}", env!("CARGO_PKG_VERSION"))
}

impl Transport {
    pub fn new(target: &Target) -> Result<Transport, TransportError> {
        let endpoint =
            reqwest::Url::parse(&target.endpoint).map_err(|e| TransportError::BadEndpoint {
                url: crate::config::redact_url(&target.endpoint),
                reason: e.to_string(),
            })?;
        let client = reqwest::blocking::Client::builder()
            .user_agent(user_agent())
            .connect_timeout(target.limits.connect_timeout)
            .timeout(target.limits.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| TransportError::Client(e.to_string()))?;
        Ok(Transport {
            client,
            endpoint,
            auth: target.auth.clone(),
            extra_headers: target.extra_headers.clone(),
            request_timeout: target.limits.request_timeout,
            max_response_bytes: target.limits.max_response_bytes,
        })
    }

    /// Sends one request and reads the whole response (bounded by the size limit).
    pub fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let started = Instant::now();
        let mut builder = self
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(request.body.clone());
        if let Some(action) = &request.soap_action {
            builder = builder.header("SOAPAction", action);
        }
        for (k, v) in self.extra_headers.iter().chain(&request.headers) {
            builder = builder.header(k, v);
        }
        builder = match &self.auth {
            Auth::None => builder,
            Auth::Basic { username, password } => {
                builder.basic_auth(username, Some(password.expose()))
            }
            Auth::Bearer { token } => builder.bearer_auth(token.expose()),
            Auth::Ntlm { .. } => {
                return Err(TransportError::Client(
                    "NTLM is not supported by this build yet".into(),
                ));
            }
        };
        let response = builder.send().map_err(|e| self.classify(e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        let limit = self.max_response_bytes;
        response
            .take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| TransportError::Http(format!("reading the response body failed: {e}")))?;
        if body.len() as u64 > limit {
            return Err(TransportError::TooLarge { limit });
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
            elapsed: started.elapsed(),
            throttled: 0,
            throttle_wait: Duration::ZERO,
        })
    }

    fn classify(&self, e: reqwest::Error) -> TransportError {
        if e.is_timeout() {
            TransportError::Timeout(self.request_timeout)
        } else if e.is_connect() {
            TransportError::Connect(error_chain(&e))
        } else {
            TransportError::Http(error_chain(&e))
        }
    }
}

/// `e` and its sources joined with ": ", URL user-info never included.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
