//! The HTTP client: sends one SOAP request, returns the response or a [`TransportError`].
//!
//! Owns reqwest, authentication (Basic, Bearer, NTLMv2), TLS (extra roots, client certificates,
//! `insecure`), proxies, timeouts, size limits, redirects, throttling back-off and secret
//! redaction ([`redact`]). A transport error means "could not test" (the case errors); it never
//! means "the server did not conform".
//!
//! What [`Transport::send`] returns:
//! - a [`TransportError`] when no complete HTTP answer could be had: connection refused or reset,
//!   TLS failure, timeout, a body over [`Limits::max_response_bytes`] (counted after gzip
//!   decoding), a redirect loop, a malformed response (garbage status line, broken chunking),
//!   401 (authentication failed — the message names the scheme), or throttling beyond the limits;
//! - an [`HttpResponse`] for every other complete answer, whatever its status or body (403, 404,
//!   500 with a SOAP fault or an HTML page, 200 with non-XML, a DTD or invalid UTF-8): the runner
//!   classifies those. A 3xx other than 307/308 is returned as it is; 307/308 are followed.
//!
//! Throttling (EWS `ErrorServerBusy` with `BackOffMilliseconds`, HTTP 429/503 with
//! `Retry-After`) is waited out and the same request sent again, bounded by
//! [`Limits::max_throttle_wait`] and [`Limits::max_throttle_retries`]; the response says how often
//! and how long ([`HttpResponse::throttled`], [`HttpResponse::throttle_wait`]).
//!
//! [`Transport::open_stream`] is the one exception to "read in full": a streamed response
//! (GetStreamingEvents) read incrementally on a thread of its own ([`stream`]).
//!
//! Every error message passes through a [`redact::Redactor`] for the target's secrets.
//!
//! Internally the transport drives reqwest's async client on a private single-threaded tokio
//! runtime (the calling thread does the I/O), so one deadline covers the whole exchange (connect,
//! send, every byte of the body).
//! Call [`Transport::send`] from a plain thread, never from inside an async runtime.
//!
//! CONTRACT (used by the runner): [`Transport::new`], [`Transport::send`], [`HttpRequest`],
//! [`HttpResponse`], [`TransportError`] keep these names and shapes.

pub mod ntlm;
pub mod redact;
pub mod stream;
pub mod throttle;

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::case::Service;
use crate::target::{Auth, Limits, Target, redact_url};
use redact::Redactor;

/// One request to send.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub body: Vec<u8>,
    /// `SOAPAction` header value; `None` = header omitted.
    pub soap_action: Option<String>,
    /// Extra headers for this request only (they replace target headers of the same name).
    pub headers: Vec<(String, String)>,
    /// The endpoint of the target it goes to ([`Transport::url_for`]).
    pub service: Service,
}

/// The SOAP and POX Autodiscover URLs: `configured` (the SOAP endpoint; POX is the same URL
/// ending in `autodiscover.xml`), or `/autodiscover/autodiscover.svc` and `.xml` at the origin of
/// the EWS endpoint.
pub fn autodiscover_urls(
    endpoint: &reqwest::Url,
    configured: Option<&str>,
) -> Result<(reqwest::Url, reqwest::Url), TransportError> {
    let bad = |url: &str, reason: String| TransportError::BadEndpoint {
        url: redact_url(url),
        reason,
    };
    let soap = match configured {
        Some(url) => reqwest::Url::parse(url).map_err(|e| bad(url, e.to_string()))?,
        None => endpoint
            .join("/autodiscover/autodiscover.svc")
            .map_err(|e| bad(endpoint.as_str(), e.to_string()))?,
    };
    let pox = soap
        .join("autodiscover.xml")
        .map_err(|e| bad(soap.as_str(), e.to_string()))?;
    Ok((soap, pox))
}

/// One response received in full.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body after content decoding (gzip), at most `max_response_bytes` long.
    pub body: Vec<u8>,
    /// From the first attempt to the last byte, throttling waits included.
    pub elapsed: Duration,
    /// How often the server throttled this request and how long the transport waited.
    pub throttled: u32,
    pub throttle_wait: Duration,
    /// The headers the request was actually sent with (last attempt), target-level headers and
    /// `Authorization` included. Mask credentials before showing them
    /// ([`redact::redact_headers`]).
    pub request_headers: Vec<(String, String)>,
}

impl HttpResponse {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// "throttled 2 times, waited 100ms" — empty when the request was not throttled.
    pub fn throttle_summary(&self) -> String {
        if self.throttled == 0 {
            String::new()
        } else {
            format!(
                "throttled {} time{}, waited {:?}",
                self.throttled,
                if self.throttled == 1 { "" } else { "s" },
                self.throttle_wait
            )
        }
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
    /// The TLS handshake failed (untrusted or invalid certificate, client certificate refused).
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The server closed or reset the connection before the response headers.
    #[error("the server closed the connection before answering: {0}")]
    Closed(String),
    #[error("timed out after {0:?} (request timeout)")]
    Timeout(Duration),
    #[error("response body exceeds the maximum response size of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("HTTP error: {0}")]
    Http(String),
    /// The connection broke or the framing was wrong while the body was being read.
    #[error("reading the response body failed: {0}")]
    Body(String),
    /// More redirects than [`Limits::max_redirects`] (a redirect loop).
    #[error("too many redirects: more than {limit} (limit max_redirects)")]
    TooManyRedirects { limit: usize },
    /// The server answered 401 although credentials were sent (or none were configured).
    #[error("authentication failed ({scheme}): {detail}")]
    AuthFailed {
        scheme: &'static str,
        detail: String,
    },
    /// The server kept throttling beyond the configured bounds.
    #[error("server kept throttling: throttled {retries} times, waited {waited:?}; {detail}")]
    Throttled {
        retries: u32,
        waited: Duration,
        detail: String,
    },
    /// A request header given by the case or the target cannot be sent.
    #[error("invalid request header `{name}`: {reason}")]
    BadHeader { name: String, reason: String },
}

/// User-Agent sent with every request.
pub fn user_agent() -> String {
    format!(
        "ews-conformance/{} (EWS conformance test harness)",
        env!("CARGO_PKG_VERSION")
    )
}

/// A configured client for one target. Cheap to share between threads.
pub struct Transport {
    /// Always `Some` until drop (taken there to shut down without blocking).
    runtime: Option<tokio::runtime::Runtime>,
    settings: ClientSettings,
    /// The client for none/basic/bearer.
    client: reqwest::Client,
    /// NTLM: clients each holding at most one (authenticated) connection, used by one request
    /// at a time so the handshake and the request share their connection.
    ntlm_connections: Mutex<Vec<NtlmConnection>>,
    endpoint: reqwest::Url,
    /// SOAP Autodiscover (`.../autodiscover.svc`) and POX Autodiscover (`.../autodiscover.xml`).
    autodiscover: (reqwest::Url, reqwest::Url),
    auth: Auth,
    headers: HeaderMap,
    limits: Limits,
    redactor: Redactor,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("endpoint", &redact_url(self.endpoint.as_str()))
            .field("auth", &self.auth.kind())
            .finish_non_exhaustive()
    }
}

/// One NTLM-authenticated connection: a client that keeps at most one idle connection, and a
/// single-threaded runtime of its own, so that only the thread holding it drives that connection
/// (see [`connection_back_to_pool`]).
struct NtlmConnection {
    /// Always `Some` until drop.
    runtime: Option<tokio::runtime::Runtime>,
    client: reqwest::Client,
    authenticated: bool,
}

impl NtlmConnection {
    fn new(settings: &ClientSettings) -> Result<NtlmConnection, TransportError> {
        Ok(NtlmConnection {
            runtime: Some(new_runtime()?),
            client: settings.build(true)?,
            authenticated: false,
        })
    }
}

impl Drop for NtlmConnection {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn new_runtime() -> Result<tokio::runtime::Runtime, TransportError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TransportError::Client(format!("cannot start the I/O runtime: {e}")))
}

/// What every client of this transport is built from.
#[derive(Clone)]
struct ClientSettings {
    target: Target,
    loopback: bool,
    roots: Vec<reqwest::Certificate>,
    identity: Option<reqwest::Identity>,
}

/// One HTTP exchange read in full.
struct Exchange {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The request headers as sent.
    sent: Vec<(String, String)>,
}

impl Transport {
    pub fn new(target: &Target) -> Result<Transport, TransportError> {
        let endpoint =
            reqwest::Url::parse(&target.endpoint).map_err(|e| TransportError::BadEndpoint {
                url: redact_url(&target.endpoint),
                reason: e.to_string(),
            })?;
        if endpoint.scheme() != "http" && endpoint.scheme() != "https" {
            return Err(TransportError::BadEndpoint {
                url: redact_url(&target.endpoint),
                reason: "use an http:// or https:// URL".into(),
            });
        }
        let loopback = endpoint.host_str().is_some_and(|host| {
            host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        let autodiscover = autodiscover_urls(&endpoint, target.autodiscover_url.as_deref())?;
        let settings = ClientSettings {
            target: target.clone(),
            loopback,
            roots: load_roots(target)?,
            identity: load_identity(target)?,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &target.extra_headers {
            let (name, value) = header_pair(name, value)?;
            headers.insert(name, value);
        }
        let runtime = new_runtime()?;
        let client = settings.build(false)?;
        Ok(Transport {
            runtime: Some(runtime),
            settings,
            client,
            ntlm_connections: Mutex::new(Vec::new()),
            endpoint,
            autodiscover,
            auth: target.auth.clone(),
            headers,
            limits: target.limits.clone(),
            redactor: Redactor::for_target(target),
        })
    }

    /// The URL requests to `service` go to: the EWS endpoint, or the Autodiscover endpoints
    /// (from the target's `autodiscover_url`, else the EWS endpoint's origin).
    pub fn url_for(&self, service: Service) -> &reqwest::Url {
        match service {
            Service::Ews => &self.endpoint,
            Service::AutodiscoverSoap => &self.autodiscover.0,
            Service::AutodiscoverPox => &self.autodiscover.1,
        }
    }

    /// Sends one request and reads the whole response (bounded by the limits), waiting out and
    /// retrying throttling answers.
    pub fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(TransportError::Client(
                "Transport::send was called inside an async runtime; call it from a plain thread"
                    .into(),
            ));
        }
        let started = Instant::now();
        let mut throttled = 0u32;
        let mut waited = Duration::ZERO;
        loop {
            let exchange = self.send_once(request).map_err(|e| self.scrubbed(e))?;
            let Some(wait) = throttle::requested_back_off(
                exchange.status,
                &exchange.headers,
                &exchange.body,
                SystemTime::now(),
            ) else {
                return Ok(HttpResponse {
                    status: exchange.status,
                    headers: exchange.headers,
                    body: exchange.body,
                    elapsed: started.elapsed(),
                    throttled,
                    throttle_wait: waited,
                    request_headers: exchange.sent,
                });
            };
            if throttled >= self.limits.max_throttle_retries {
                return Err(TransportError::Throttled {
                    retries: throttled,
                    waited,
                    detail: format!(
                        "the server asked for another {wait:?}, but the limit max_throttle_retries \
                         = {} is reached",
                        self.limits.max_throttle_retries
                    ),
                });
            }
            if waited + wait > self.limits.max_throttle_wait {
                return Err(TransportError::Throttled {
                    retries: throttled,
                    waited,
                    detail: format!(
                        "the server asked for another {wait:?}, which would exceed the limit \
                         max_throttle_wait = {:?}",
                        self.limits.max_throttle_wait
                    ),
                });
            }
            std::thread::sleep(wait);
            waited += wait;
            throttled += 1;
        }
    }

    /// One attempt, bounded by the request timeout as a whole.
    fn send_once(&self, request: &HttpRequest) -> Result<Exchange, TransportError> {
        let Auth::Ntlm {
            username,
            password,
            domain,
        } = &self.auth
        else {
            let Some(runtime) = &self.runtime else {
                return Err(TransportError::Client("the transport is shut down".into()));
            };
            return runtime.block_on(self.within_timeout(async {
                let exchange = self
                    .execute(&self.client, request, true, None)
                    .await
                    .map_err(|e| self.classify(e))?;
                self.check_auth(exchange)
            }));
        };
        // NTLM: a connection of our own (with its own runtime) for the handshake and the request.
        let taken = self.ntlm_connections.lock().ok().and_then(|mut p| p.pop());
        let mut connection = match taken {
            Some(connection) => connection,
            None => NtlmConnection::new(&self.settings)?,
        };
        let result = match &connection.runtime {
            Some(runtime) => runtime.block_on(self.within_timeout(self.ntlm_exchange(
                &connection.client,
                &mut connection.authenticated,
                request,
                username,
                password.expose(),
                domain.as_deref(),
            ))),
            None => Err(TransportError::Client("the transport is shut down".into())),
        };
        if result.is_ok()
            && let Ok(mut pool) = self.ntlm_connections.lock()
        {
            pool.push(connection);
        }
        result
    }

    /// `work` bounded by the request timeout as a whole.
    async fn within_timeout(
        &self,
        work: impl Future<Output = Result<Exchange, TransportError>>,
    ) -> Result<Exchange, TransportError> {
        let timeout = self.limits.request_timeout;
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout(timeout)),
        }
    }

    async fn ntlm_exchange(
        &self,
        client: &reqwest::Client,
        authenticated: &mut bool,
        request: &HttpRequest,
        username: &str,
        password: &str,
        domain: Option<&str>,
    ) -> Result<Exchange, TransportError> {
        if *authenticated {
            let exchange = self
                .execute(client, request, false, None)
                .await
                .map_err(|e| self.classify(e))?;
            if exchange.status != 401 {
                return Ok(exchange);
            }
            // The server re-challenges (new connection, or its session ended): handshake again.
            *authenticated = false;
        }
        let failed = |detail: String| TransportError::AuthFailed {
            scheme: "NTLM",
            detail,
        };
        let negotiate = ntlm::negotiate_token().map_err(|e| failed(e.to_string()))?;
        let empty = HttpRequest {
            body: Vec::new(),
            ..request.clone()
        };
        let first = self
            .execute(client, &empty, false, Some(format!("NTLM {negotiate}")))
            .await
            .map_err(|e| self.classify(e))?;
        connection_back_to_pool().await;
        if first.status != 401 {
            // No authentication wanted: send the real request as it is.
            return self
                .execute(client, request, false, None)
                .await
                .map_err(|e| self.classify(e));
        }
        let challenge = first
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
            .find_map(|(_, v)| ntlm::challenge_of(v))
            .ok_or_else(|| {
                failed(format!(
                    "the server answered the NTLM negotiation with 401 but no NTLM challenge{}",
                    offered_schemes(&first.headers)
                ))
            })?;
        let authenticate = ntlm::authenticate_token(challenge, username, password, domain)
            .map_err(|e| failed(e.to_string()))?;
        let last = self
            .execute(client, request, false, Some(format!("NTLM {authenticate}")))
            .await
            .map_err(|e| self.classify(e))?;
        if last.status == 401 {
            return Err(failed(
                "server answered 401 after the NTLM handshake (wrong user, domain or password?)"
                    .into(),
            ));
        }
        *authenticated = true;
        connection_back_to_pool().await;
        Ok(last)
    }

    /// A 401 to a request means the credentials (or their absence) were refused.
    fn check_auth(&self, exchange: Exchange) -> Result<Exchange, TransportError> {
        if exchange.status != 401 {
            return Ok(exchange);
        }
        let (scheme, what) = match &self.auth {
            Auth::None => ("none", "no credentials are configured (use --auth)"),
            Auth::Basic { .. } => ("Basic", "the user name or password was refused"),
            Auth::Bearer { .. } => ("Bearer", "the token was refused (expired?)"),
            Auth::Ntlm { .. } => ("NTLM", "the NTLM handshake was refused"),
        };
        Err(TransportError::AuthFailed {
            scheme,
            detail: format!(
                "server answered 401: {what}{}",
                offered_schemes(&exchange.headers)
            ),
        })
    }

    /// Sends `request` on a connection of its own and returns once the response head arrived
    /// (within the request timeout); the body is read on a thread of its own and arrives as
    /// [`stream::StreamEvent`]s, at most [`Limits::max_response_bytes`] in all. Dropping the
    /// handle stops the reader. NTLM is not supported for streams. No throttling retry: a
    /// throttled stream is an answer like any other.
    pub fn open_stream(
        &self,
        request: &HttpRequest,
    ) -> Result<stream::StreamHandle, TransportError> {
        if matches!(self.auth, Auth::Ntlm { .. }) {
            return Err(TransportError::Client(
                "streamed responses are not supported with NTLM authentication yet".into(),
            ));
        }
        let client = self.settings.build(false)?;
        let mut builder = client
            .post(self.url_for(request.service).clone())
            .headers(self.header_map(request)?)
            .body(request.body.clone());
        builder = match &self.auth {
            Auth::Basic { username, password } => {
                builder.basic_auth(username, Some(password.expose()))
            }
            Auth::Bearer { token } => builder.bearer_auth(token.expose()),
            Auth::None | Auth::Ntlm { .. } => builder,
        };
        let built = builder
            .build()
            .map_err(|e| self.scrubbed(self.classify(RequestFailure::Reqwest(e))))?;
        let sent = header_list(built.headers());
        let timeout = self.limits.request_timeout;
        let limit = self.limits.max_response_bytes;
        let (head_tx, head_rx) = std::sync::mpsc::channel();
        let (tx, events) = std::sync::mpsc::channel();
        let (cancel, mut cancelled) = tokio::sync::oneshot::channel::<()>();
        let runtime = new_runtime()?;
        std::thread::Builder::new()
            .name("ews-stream".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let response = match tokio::time::timeout(timeout, client.execute(built)).await
                    {
                        Ok(Ok(response)) => response,
                        Ok(Err(e)) => {
                            let _ = head_tx.send(Err(RequestFailure::Reqwest(e)));
                            return;
                        }
                        Err(_) => {
                            let _ = head_tx
                                .send(Err(RequestFailure::Early(TransportError::Timeout(timeout))));
                            return;
                        }
                    };
                    let head = (response.status().as_u16(), header_list(response.headers()));
                    if head_tx.send(Ok(head)).is_err() {
                        return;
                    }
                    let mut response = response;
                    let mut total = 0u64;
                    loop {
                        let chunk = tokio::select! {
                            _ = &mut cancelled => return,
                            chunk = response.chunk() => chunk,
                        };
                        let event = match chunk {
                            Ok(Some(bytes)) => {
                                total += bytes.len() as u64;
                                if total > limit {
                                    let _ = tx.send(stream::StreamEvent::Failed(format!(
                                        "the stream exceeds the maximum response size of {limit} bytes"
                                    )));
                                    return;
                                }
                                stream::StreamEvent::Data(bytes.to_vec())
                            }
                            Ok(None) => {
                                let _ = tx.send(stream::StreamEvent::End);
                                return;
                            }
                            Err(e) => {
                                let _ = tx.send(stream::StreamEvent::Failed(error_chain(&e)));
                                return;
                            }
                        };
                        if tx.send(event).is_err() {
                            return;
                        }
                    }
                });
                runtime.shutdown_background();
            })
            .map_err(|e| TransportError::Client(format!("cannot start the stream reader: {e}")))?;
        let head = head_rx
            .recv_timeout(timeout + Duration::from_secs(1))
            .map_err(|_| TransportError::Timeout(timeout))?
            .map_err(|failure| self.scrubbed(self.classify(failure)))?;
        let (status, headers) = head;
        if status == 401 {
            return Err(self.scrubbed(
                self.check_auth(Exchange {
                    status,
                    headers: headers.clone(),
                    body: Vec::new(),
                    sent: sent.clone(),
                })
                .err()
                .unwrap_or(TransportError::Http("HTTP 401".into())),
            ));
        }
        Ok(stream::StreamHandle {
            status,
            headers,
            request_headers: sent,
            events,
            _cancel: cancel,
        })
    }

    /// The headers `request` will be sent with, before authentication adds `Authorization`:
    /// Content-Type, SOAPAction, the target's headers, the request's own (which replace the
    /// target's of the same name). Invalid names or values are left out (sending reports them).
    pub fn headers_for(&self, request: &HttpRequest) -> Vec<(String, String)> {
        match self.header_map(request) {
            Ok(map) => header_list(&map),
            Err(_) => Vec::new(),
        }
    }

    fn header_map(&self, request: &HttpRequest) -> Result<HeaderMap, TransportError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        );
        if let Some(action) = &request.soap_action {
            let (name, value) = header_pair("SOAPAction", action)?;
            headers.insert(name, value);
        }
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        for (name, value) in &request.headers {
            let (name, value) = header_pair(name, value)?;
            headers.insert(name, value);
        }
        Ok(headers)
    }

    /// Sends one HTTP request on `client` and reads the whole body within the size limit.
    async fn execute(
        &self,
        client: &reqwest::Client,
        request: &HttpRequest,
        with_auth: bool,
        authorization: Option<String>,
    ) -> Result<Exchange, RequestFailure> {
        let mut headers = self.header_map(request).map_err(RequestFailure::Early)?;
        if let Some(authorization) = authorization {
            let mut value = HeaderValue::from_str(&authorization).map_err(|_| {
                RequestFailure::Early(TransportError::Client(
                    "the NTLM token is not a valid header value".into(),
                ))
            })?;
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }
        let mut builder = client
            .post(self.url_for(request.service).clone())
            .headers(headers)
            .body(request.body.clone());
        if with_auth {
            builder = match &self.auth {
                Auth::Basic { username, password } => {
                    builder.basic_auth(username, Some(password.expose()))
                }
                Auth::Bearer { token } => builder.bearer_auth(token.expose()),
                Auth::None | Auth::Ntlm { .. } => builder,
            };
        }
        let built = builder.build().map_err(RequestFailure::Reqwest)?;
        let sent = header_list(built.headers());
        let mut response = client
            .execute(built)
            .await
            .map_err(RequestFailure::Reqwest)?;
        let status = response.status().as_u16();
        let headers = header_list(response.headers());
        let limit = self.limits.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(RequestFailure::Early(TransportError::TooLarge { limit }));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(RequestFailure::Reqwest)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(RequestFailure::Early(TransportError::TooLarge { limit }));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Exchange {
            status,
            headers,
            body,
            sent,
        })
    }

    fn classify(&self, failure: RequestFailure) -> TransportError {
        let e = match failure {
            RequestFailure::Early(e) => return e,
            RequestFailure::Reqwest(e) => e.without_url(),
        };
        let chain = error_chain(&e);
        if e.is_timeout() {
            TransportError::Timeout(self.limits.request_timeout)
        } else if e.is_redirect() {
            TransportError::TooManyRedirects {
                limit: self.limits.max_redirects,
            }
        } else if looks_like_tls(&chain) {
            let lower = chain.to_ascii_lowercase();
            let hint = if lower.contains("certificaterequired") || lower.contains("badcertificate")
            {
                "the server refused the client certificate: give --cert and --key (PEM) it accepts"
            } else {
                "trust the server's CA with --cacert, or skip verification with --insecure"
            };
            TransportError::Tls(format!("{chain} ({hint})"))
        } else if e.is_connect() {
            TransportError::Connect(chain)
        } else if e.is_body() || e.is_decode() {
            TransportError::Body(chain)
        } else if closed_early(&chain) {
            TransportError::Closed(chain)
        } else {
            TransportError::Http(chain)
        }
    }

    /// The error with every secret of the target masked.
    fn scrubbed(&self, error: TransportError) -> TransportError {
        let scrub = |s: String| self.redactor.scrub(&s);
        match error {
            TransportError::Client(s) => TransportError::Client(scrub(s)),
            TransportError::Connect(s) => TransportError::Connect(scrub(s)),
            TransportError::Tls(s) => TransportError::Tls(scrub(s)),
            TransportError::Http(s) => TransportError::Http(scrub(s)),
            TransportError::Body(s) => TransportError::Body(scrub(s)),
            TransportError::Closed(s) => TransportError::Closed(scrub(s)),
            TransportError::AuthFailed { scheme, detail } => TransportError::AuthFailed {
                scheme,
                detail: scrub(detail),
            },
            TransportError::BadHeader { name, reason } => TransportError::BadHeader {
                name,
                reason: scrub(reason),
            },
            other => other,
        }
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside an async context; this does not.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Lets the client's pool take back the connection of the exchange just read.
///
/// hyper returns an HTTP/1 connection to its pool from a task of its own once the response is
/// complete. A request sent before that task ran gets a NEW connection, which for NTLM means an
/// unauthenticated one (the AUTHENTICATE message would land on a connection that never saw the
/// NEGOTIATE). On the transport's single-threaded runtime, yielding lets that task run first.
async fn connection_back_to_pool() {
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
}

/// A failed request: either ours (already a [`TransportError`]) or reqwest's, to classify.
enum RequestFailure {
    Early(TransportError),
    Reqwest(reqwest::Error),
}

impl ClientSettings {
    /// A reqwest client for the target. `ntlm`: one idle connection at most, so the handshake and
    /// the request that follows share it.
    fn build(&self, ntlm: bool) -> Result<reqwest::Client, TransportError> {
        let target = &self.target;
        let max_redirects = target.limits.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                attempt.error(format!("more than {max_redirects} redirects"))
            } else if matches!(attempt.status().as_u16(), 307 | 308) {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent())
            .connect_timeout(target.limits.connect_timeout)
            .redirect(policy)
            .http1_only()
            .danger_accept_invalid_certs(target.tls.insecure);
        if ntlm {
            builder = builder.pool_max_idle_per_host(1);
        }
        for root in &self.roots {
            builder = builder.add_root_certificate(root.clone());
        }
        if let Some(identity) = &self.identity {
            builder = builder.identity(identity.clone());
        }
        if let Some(proxy) = &target.proxy {
            let proxy = reqwest::Proxy::all(proxy.as_str()).map_err(|e| {
                TransportError::Client(format!("invalid proxy `{}`: {e}", redact_url(proxy)))
            })?;
            builder = builder.proxy(proxy);
        } else if self.loopback {
            builder = builder.no_proxy();
        }
        builder
            .build()
            .map_err(|e| TransportError::Client(error_chain(&e)))
    }
}

fn load_roots(target: &Target) -> Result<Vec<reqwest::Certificate>, TransportError> {
    let Some(path) = &target.tls.cacert else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(path).map_err(|e| {
        TransportError::Client(format!("cannot read --cacert {}: {e}", path.display()))
    })?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        TransportError::Client(format!("--cacert {} is not PEM: {e}", path.display()))
    })?;
    if roots.is_empty() {
        return Err(TransportError::Client(format!(
            "--cacert {} holds no certificate",
            path.display()
        )));
    }
    Ok(roots)
}

fn load_identity(target: &Target) -> Result<Option<reqwest::Identity>, TransportError> {
    let (cert, key) = match (&target.tls.client_cert, &target.tls.client_key) {
        (Some(cert), Some(key)) => (cert, key),
        (None, None) => return Ok(None),
        _ => {
            return Err(TransportError::Client(
                "a client certificate needs both --cert and --key".into(),
            ));
        }
    };
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read(path).map_err(|e| {
            TransportError::Client(format!("cannot read {what} {}: {e}", path.display()))
        })
    };
    let mut pem = read(cert, "--cert")?;
    pem.push(b'\n');
    pem.extend(read(key, "--key")?);
    reqwest::Identity::from_pem(&pem).map(Some).map_err(|e| {
        TransportError::Client(format!(
            "--cert {} / --key {} are not a PEM certificate and private key: {}",
            cert.display(),
            key.display(),
            error_chain(&e)
        ))
    })
}

fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), TransportError> {
    let header_name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|e| TransportError::BadHeader {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
    let header_value = HeaderValue::from_str(value).map_err(|e| TransportError::BadHeader {
        name: name.to_string(),
        reason: e.to_string(),
    })?;
    Ok((header_name, header_value))
}

/// A header map as (name, value) pairs in order; values decoded lossily.
fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// ` (the server offers: Negotiate, NTLM)` from the `WWW-Authenticate` headers, tokens left out.
fn offered_schemes(headers: &[(String, String)]) -> String {
    let schemes: Vec<&str> = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .filter_map(|(_, v)| v.split_whitespace().next())
        .collect();
    if schemes.is_empty() {
        String::new()
    } else {
        format!(" (the server offers: {})", schemes.join(", "))
    }
}

fn closed_early(chain: &str) -> bool {
    let lower = chain.to_ascii_lowercase();
    [
        "connection reset",
        "connection closed before message completed",
        "broken pipe",
        "unexpected eof",
    ]
    .iter()
    .any(|words| lower.contains(words))
}

fn looks_like_tls(chain: &str) -> bool {
    let lower = chain.to_ascii_lowercase();
    [
        "certificate",
        "tls",
        "handshake",
        "unknownissuer",
        "invalid peer",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

/// `e` and its sources joined with ": ", repeated messages dropped.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_names_the_harness_and_version() {
        let ua = user_agent();
        assert!(ua.starts_with("ews-conformance/"));
        assert!(ua.contains(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn offered_schemes_never_show_tokens() {
        let headers = vec![
            (
                "WWW-Authenticate".to_string(),
                "NTLM TlRMTVNTUAAC".to_string(),
            ),
            (
                "www-authenticate".to_string(),
                "Basic realm=\"x\"".to_string(),
            ),
        ];
        assert_eq!(
            offered_schemes(&headers),
            " (the server offers: NTLM, Basic)"
        );
    }

    #[test]
    fn send_inside_an_async_runtime_is_an_error_and_drop_does_not_panic() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let target = Target {
            endpoint: "http://127.0.0.1:9/EWS/Exchange.asmx".into(),
            ..Target::default()
        };
        runtime.block_on(async {
            let transport = Transport::new(&target).unwrap();
            let error = transport.send(&HttpRequest::default()).unwrap_err();
            assert!(error.to_string().contains("async runtime"), "{error}");
            drop(transport);
        });
    }

    #[test]
    fn bad_endpoints_are_errors_with_redacted_urls() {
        let target = Target {
            endpoint: "ftp://u:secret@h/x".into(),
            ..Target::default()
        };
        let text = Transport::new(&target).unwrap_err().to_string();
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("http"), "{text}");
    }
}
