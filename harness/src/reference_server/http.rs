//! HTTP serving: the accept loop, per-connection limits, Basic auth, and the one endpoint.
//!
//! Runs on the server's own tokio runtime (see `start` in the module root). Each connection is
//! served by hyper's HTTP/1.1 connection driver with a header read timeout; the handler (an
//! axum router) reads the body with a size limit (413 above it) and a read timeout (408 when the
//! client stalls), checks Basic credentials (401 with `WWW-Authenticate`), and hands the bytes
//! to [`ServerState::handle`]. At most `max_connections` connections are served at once; more
//! wait in the accept queue. `POST /EWS/Exchange.asmx` (path compared case-insensitively, like
//! IIS); other methods on it get 405, other paths 404.

use std::sync::Arc;
use std::time::Duration;

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
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::dispatch::ServerState;

/// The endpoint path.
pub const EWS_PATH: &str = "/EWS/Exchange.asmx";
/// The Basic realm announced with 401.
pub const REALM: &str = "ews-conformance reference server";

/// How long a shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `listener` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    state: Arc<ServerState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let router = Router::new().fallback(handle).with_state(state.clone());
    let slots = Arc::new(Semaphore::new(state.config.max_connections.max(1)));
    let header_timeout = state.config.header_read_timeout;
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            _ = shutdown.changed() => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
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
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let mut stop = shutdown.clone();
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection).await;
                }
            }
            drop(permit);
        });
        // Reap finished connection tasks so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
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
    if !uri.path().eq_ignore_ascii_case(EWS_PATH) {
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
    let reply = state.handle(user, &bytes);
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, reply.content_type)],
        reply.body,
    )
        .into_response()
}
