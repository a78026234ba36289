//! HTTP serving: the accept loop, per-connection limits, Basic auth, and the one endpoint.
//!
//! Runs on the server's own tokio runtime (see `start` in the module root). Each connection is
//! served by hyper's HTTP/1.1 connection driver with a header read timeout; the handler (an
//! axum router) reads the body with a size limit (413 above it) and a read timeout (408 when the
//! client stalls), checks Basic credentials (401 with `WWW-Authenticate`), and hands the bytes
//! to [`ServerState::handle`]. At most `max_connections` connections are open at once; a new
//! client at a full server makes the longest-idle connection close (see [`serve`]). With a TLS
//! acceptor every connection starts with a rustls handshake (bounded by the header timeout). `POST /EWS/Exchange.asmx` (path compared case-insensitively, like
//! IIS), and the two Autodiscover endpoints (see [`autodiscover`]); other methods on them get
//! 405, other paths 404. A GetStreamingEvents that opened is answered as a chunked body fed by
//! [`stream_events`]: one SOAP envelope per chunk.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::Quirk;
use super::autodiscover;
use super::dispatch::{Served, ServerState};
use super::ops::notifications::get_streaming_events::{StreamDocument, StreamPlan};

/// The endpoint path.
pub const EWS_PATH: &str = "/EWS/Exchange.asmx";
/// The Basic realm announced with 401.
pub const REALM: &str = "ews-conformance reference server";

/// How long a shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// One open connection, as the accept loop sees it: whether a request is in flight, when it was
/// last active, and how to ask it to close.
#[derive(Debug)]
struct Connection {
    in_flight: AtomicUsize,
    /// Milliseconds since the server started, at the last request start or end.
    last_active: AtomicU64,
    /// Set once the accept loop has asked this connection to close.
    closing: AtomicBool,
    close: Notify,
}

/// The open connections, so that a full server can close an idle one for a new client.
#[derive(Debug, Default)]
struct Connections {
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
}

impl Connections {
    fn register(&self, now: u64) -> (u64, Arc<Connection>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection {
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(now),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        self.lock().insert(id, connection.clone());
        (id, connection)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Asks the connection idle for longest (and not already closing) to close; false when
    /// every connection is busy or closing.
    fn close_one_idle(&self) -> bool {
        let open = self.lock();
        let idle = open
            .values()
            .filter(|c| c.in_flight.load(Ordering::Acquire) == 0)
            .filter(|c| !c.closing.load(Ordering::Acquire))
            .min_by_key(|c| c.last_active.load(Ordering::Relaxed));
        match idle {
            Some(connection) => {
                connection.closing.store(true, Ordering::Release);
                // `notify_one` stores a permit, so the close is not lost if the connection
                // task is not waiting yet.
                connection.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Marks a request in flight on its connection for as long as it lives.
struct InFlight {
    connection: Arc<Connection>,
    started: Instant,
}

impl InFlight {
    fn new(connection: Arc<Connection>, started: Instant) -> InFlight {
        connection.in_flight.fetch_add(1, Ordering::AcqRel);
        connection
            .last_active
            .store(millis_since(started), Ordering::Relaxed);
        InFlight {
            connection,
            started,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.connection
            .last_active
            .store(millis_since(self.started), Ordering::Relaxed);
        self.connection.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn millis_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Serves `listener` until `shutdown` turns true, over TLS when `tls` is given.
///
/// At most `max_connections` connections are open at once. When a new client arrives at a full
/// server, the connection idle for longest is closed (gracefully: hyper closes an idle
/// keep-alive connection at once and never cuts a response short) so that idle clients can never
/// starve new ones; only when every connection has a request in flight does the new client wait.
pub async fn serve(
    listener: TcpListener,
    state: Arc<ServerState>,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let router = Router::new().fallback(handle).with_state(state.clone());
    let slots = Arc::new(Semaphore::new(state.config.max_connections.max(1)));
    let header_timeout = state.config.header_read_timeout;
    let registry = Arc::new(Connections::default());
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    loop {
        let stream = tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors or a reset before accept: back off briefly.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                registry.close_one_idle();
                tokio::select! {
                    _ = shutdown.changed() => break,
                    permit = slots.clone().acquire_owned() => match permit {
                        Ok(permit) => permit,
                        Err(_) => break,
                    },
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (id, connection) = registry.register(millis_since(started));
        let tower = TowerToHyperService::new(router.clone());
        let counted = connection.clone();
        let service = hyper::service::service_fn(move |request| {
            let in_flight = InFlight::new(counted.clone(), started);
            let response = hyper::service::Service::call(&tower, request);
            async move {
                let response = response.await;
                drop(in_flight);
                response
            }
        });
        let stop = shutdown.clone();
        let tls = tls.clone();
        let registry = registry.clone();
        tasks.spawn(async move {
            match tls {
                None => serve_connection(stream, service, header_timeout, &connection, stop).await,
                Some(acceptor) => {
                    // The handshake gets the same time as the request headers, and a client
                    // still shaking hands counts as idle.
                    let handshake = tokio::time::timeout(header_timeout, acceptor.accept(stream));
                    let shaken = tokio::select! {
                        shaken = handshake => shaken,
                        _ = connection.close.notified() => Ok(Err(std::io::ErrorKind::ConnectionAborted.into())),
                    };
                    if let Ok(Ok(stream)) = shaken {
                        serve_connection(stream, service, header_timeout, &connection, stop).await;
                    }
                }
            }
            registry.remove(id);
            drop(permit);
        });
        // Reap finished connection tasks so the set does not grow without bound.
        while tasks.try_join_next().is_some() {}
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
}

/// Drives one HTTP/1.1 connection until it ends, the server stops, or the accept loop asks it
/// to make room.
async fn serve_connection<I, S>(
    io: I,
    service: S,
    header_timeout: Duration,
    connection: &Connection,
    mut stop: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = Response,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let served = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(served);
    tokio::select! {
        _ = served.as_mut() => return,
        _ = stop.changed() => {}
        _ = connection.close.notified() => {}
    }
    served.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, served).await;
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn unauthorized() -> Response {
    let mut response = plain(StatusCode::UNAUTHORIZED, "401 Unauthorized\n");
    if let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{REALM}\"")) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The authenticated user's index, from `Authorization: Basic ...`.
fn authenticate(state: &ServerState, headers: &HeaderMap) -> Option<usize> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (login, password) = decoded.split_once(':')?;
    let index = state.directory.user_by_login(login)?;
    let user = state.directory.users.get(index)?;
    constant_time_eq(user.password.as_bytes(), password.as_bytes()).then_some(index)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn handle(
    State(state): State<Arc<ServerState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let autodiscover = autodiscover::Endpoint::at(uri.path());
    if autodiscover.is_none() && !uri.path().eq_ignore_ascii_case(EWS_PATH) {
        return plain(StatusCode::NOT_FOUND, "404 Not Found\n");
    }
    if method != Method::POST {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed\n");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let Some(user) = authenticate(&state, &headers) else {
        return unauthorized();
    };
    let limit = state.config.max_request_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "413 Request Entity Too Large\n",
        );
    }
    let read = tokio::time::timeout(
        state.config.body_read_timeout,
        axum::body::to_bytes(body, limit),
    )
    .await;
    let bytes = match read {
        Err(_) => return plain(StatusCode::REQUEST_TIMEOUT, "408 Request Timeout\n"),
        Ok(Err(error)) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>())
                || error.to_string().contains("length limit");
            return if too_large {
                plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "413 Request Entity Too Large\n",
                )
            } else {
                plain(StatusCode::BAD_REQUEST, "400 Bad Request\n")
            };
        }
        Ok(Ok(bytes)) => bytes,
    };
    let reply = match autodiscover {
        Some(endpoint) => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let origin = autodiscover::Origin::new(&state, host);
            autodiscover::handle(&state, endpoint, &origin, &bytes)
        }
        None => match state.serve(user, &bytes) {
            Served::Whole(reply) => reply,
            Served::Stream {
                first,
                mailbox,
                plan,
            } => {
                let first_chunk = state.stream_document(mailbox, &StreamDocument::KeepAlive);
                let (sender, receiver) = tokio::sync::mpsc::channel(16);
                tokio::spawn(stream_events(state.clone(), mailbox, plan, sender));
                let body = ChunkBody {
                    first: Some(first_chunk),
                    rest: receiver,
                };
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, first.content_type)],
                    Body::new(body),
                )
                    .into_response();
            }
        },
    };
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, reply.content_type)],
        reply.body,
    )
        .into_response()
}

/// The body of an open stream: the first envelope, then whatever [`stream_events`] sends.
struct ChunkBody {
    first: Option<String>,
    rest: tokio::sync::mpsc::Receiver<String>,
}

impl hyper::body::Body for ChunkBody {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if let Some(first) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(first.into()))));
        }
        self.rest
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(hyper::body::Frame::data(c.into()))))
    }
}

/// Feeds an open GetStreamingEvents stream: an envelope per batch of events as they are
/// recorded, a keep-alive every `streaming_keepalive` without events (none under the
/// `missing-keepalive` quirk), and `ConnectionStatus` Closed when the ConnectionTimeout has
/// passed, a subscription of the stream has ended, or the server stops. Ends early when the
/// client goes away.
async fn stream_events(
    state: Arc<ServerState>,
    mailbox: usize,
    plan: StreamPlan,
    sender: tokio::sync::mpsc::Sender<String>,
) {
    let mut changed = state.subscriptions.watch();
    let minute = state.subscriptions.minute();
    let deadline =
        tokio::time::Instant::now() + minute.saturating_mul(plan.connection_timeout.max(1));
    let keepalive = state
        .config
        .streaming_keepalive
        .max(Duration::from_millis(10));
    let keepalives = !state.quirks.has(Quirk::MissingKeepalive);
    let mut next_keepalive = tokio::time::Instant::now() + keepalive;
    let send = |document: StreamDocument| {
        let text = state.stream_document(mailbox, &document);
        let sender = sender.clone();
        async move { sender.send(text).await.is_ok() }
    };
    loop {
        let read = state.subscriptions.read_stream(&plan.subscription_ids);
        if !read.events.is_empty() {
            if !send(StreamDocument::Events(read.events)).await {
                return;
            }
            next_keepalive = tokio::time::Instant::now() + keepalive;
        }
        if read.ended {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            _ = tokio::time::sleep_until(next_keepalive), if keepalives => {
                if !send(StreamDocument::KeepAlive).await {
                    return;
                }
                next_keepalive = tokio::time::Instant::now() + keepalive;
            }
            changed = changed.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            () = sender.closed() => return,
        }
    }
    send(StreamDocument::Closed).await;
}
