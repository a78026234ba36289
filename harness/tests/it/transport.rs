//! The transport end to end over loopback (127.0.0.1 only).
//!
//! - NTLM against a real acceptor: `tests/peers/ntlm_server.py` (pyspnego, `pip install pyspnego`).
//! - TLS with certificates made here by `rcgen`, served by a small blocking rustls server.
//! - Proxy, extra headers, User-Agent, Bearer, gzip, throttling back-off.
//! - The fault matrix: a raw `TcpListener` server writes exact bytes for every way a server or
//!   network misbehaves. Each test says what `Transport::send` returns: an error naming the fault,
//!   or a response the runner classifies (its XML step then errors: non-XML, truncated XML, a DTD,
//!   invalid UTF-8, a wrong content type are the runner's to reject, not the transport's).
//!
//! Every server here stops by itself (bounded accept loop, socket timeouts); every client uses
//! short timeouts, so the module runs in a few seconds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use ews_conformance::target::{Auth, Limits, Secret, Target, TlsSettings};
use ews_conformance::transport::redact::Redactor;
use ews_conformance::transport::{HttpRequest, HttpResponse, Transport, TransportError};

const SOAP_OK: &str = r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetImItemListResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:GetImItemListResponse></s:Body></s:Envelope>"#;

// ---- helpers --------------------------------------------------------------------------------

/// Generous enough for a loaded CI machine; the timeout tests use [`impatient`].
fn limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(3),
        max_response_bytes: 1 << 20,
        max_throttle_wait: Duration::from_secs(2),
        ..Limits::default()
    }
}

fn target(url: &str) -> Target {
    Target {
        endpoint: url.to_string(),
        limits: limits(),
        ..Target::default()
    }
}

/// A target whose requests time out after 300 ms.
fn impatient(url: &str) -> Target {
    let mut t = target(url);
    t.limits.request_timeout = Duration::from_millis(300);
    t
}

fn soap_request() -> HttpRequest {
    HttpRequest {
        body: b"<s:Envelope/>".to_vec(),
        soap_action: Some(
            "http://schemas.microsoft.com/exchange/services/2006/messages/GetImItemList".into(),
        ),
        headers: Vec::new(),
        ..HttpRequest::default()
    }
}

fn send(target: &Target) -> Result<HttpResponse, TransportError> {
    Transport::new(target)
        .expect("transport builds")
        .send(&soap_request())
}

/// A loopback server that hands every accepted connection to `handler` on its own thread. The
/// accept loop blocks (no polling); it ends with the test process.
fn serve<F>(handler: F) -> String
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().expect("local addr")
    );
    let handler = Arc::new(handler);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
            let handler = Arc::clone(&handler);
            thread::spawn(move || handler(stream));
        }
    });
    url
}

/// Blocks until the client closes its side of the connection (or 10 s pass): the event a
/// server waits for instead of sleeping while the client times out.
fn wait_for_hangup(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = [0u8; 1024];
    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
}

/// Reads one request: (head, body). `None` when the client went away.
fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some((head, body))
}

/// A server that answers every request on a connection with exactly `bytes` (then closes).
fn serve_bytes(bytes: impl Into<Vec<u8>>) -> String {
    let bytes: Vec<u8> = bytes.into();
    serve(move |mut stream| {
        if read_request(&mut stream).is_some() {
            let _ = stream.write_all(&bytes);
        }
    })
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Closes the stream with a TCP reset instead of an orderly FIN.
fn reset(stream: TcpStream) {
    let socket = socket2::Socket::from(stream);
    let _ = socket.set_linger(Some(Duration::ZERO));
    drop(socket);
}

fn assert_quick(started: Instant, bound: Duration) {
    assert!(
        started.elapsed() < bound,
        "took {:?}, bound {bound:?}",
        started.elapsed()
    );
}

// ---- fault matrix ---------------------------------------------------------------------------

#[test]
fn connection_refused_is_a_connect_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = send(&target(&format!(
        "http://127.0.0.1:{port}/EWS/Exchange.asmx"
    )))
    .unwrap_err();
    assert!(matches!(error, TransportError::Connect(_)), "{error:?}");
    assert!(
        error.to_string().starts_with("connection failed"),
        "{error}"
    );
}

#[test]
fn reset_or_close_before_headers_is_a_closed_error() {
    let reset_url = serve(|mut stream| {
        let _ = read_request(&mut stream);
        reset(stream);
    });
    let close_url = serve(|mut stream| {
        let _ = read_request(&mut stream);
    });
    for url in [reset_url, close_url] {
        let error = send(&target(&url)).unwrap_err();
        assert!(matches!(error, TransportError::Closed(_)), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with("the server closed the connection before answering"),
            "{error}"
        );
    }
}

#[test]
fn a_connection_closed_mid_body_is_a_body_error() {
    // The server ends its side cleanly after part of the body (FIN follows the data in order,
    // so the client always sees the headers first), then waits for the client to hang up.
    let url = serve(|mut stream| {
        let _ = read_request(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<s:Envelope>");
        let _ = stream.flush();
        let _ = stream.shutdown(std::net::Shutdown::Write);
        wait_for_hangup(&mut stream);
    });
    let error = send(&target(&url)).unwrap_err();
    assert!(matches!(error, TransportError::Body(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("reading the response body failed"),
        "{error}"
    );
}

#[test]
fn slow_headers_time_out_at_the_request_timeout() {
    // The server never answers; it waits for the client to give up and hang up.
    let url = serve(|mut stream| {
        let _ = read_request(&mut stream);
        wait_for_hangup(&mut stream);
    });
    let started = Instant::now();
    let error = send(&impatient(&url)).unwrap_err();
    assert!(matches!(error, TransportError::Timeout(_)), "{error:?}");
    assert!(error.to_string().contains("request timeout"), "{error}");
    assert_quick(started, Duration::from_millis(1500));
}

#[test]
fn a_body_that_stalls_after_one_byte_times_out() {
    let url = serve(|mut stream| {
        let _ = read_request(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<");
        wait_for_hangup(&mut stream);
    });
    let started = Instant::now();
    let error = send(&impatient(&url)).unwrap_err();
    assert!(matches!(error, TransportError::Timeout(_)), "{error:?}");
    assert_quick(started, Duration::from_millis(1500));
}

#[test]
fn request_timeout_bounds_the_whole_body_not_each_read() {
    // A byte every 50 ms never stalls a single read for 300 ms; the total deadline still ends it.
    // (The sleep paces the drip, the behaviour under test; it synchronises nothing.)
    let url = serve(|mut stream| {
        let _ = read_request(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        for _ in 0..60 {
            if stream.write_all(b"<").is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
    });
    let started = Instant::now();
    let error = send(&impatient(&url)).unwrap_err();
    assert!(matches!(error, TransportError::Timeout(_)), "{error:?}");
    assert_quick(started, Duration::from_millis(1000));
}

#[test]
fn status_401_is_an_authentication_error_naming_the_scheme() {
    let url = serve_bytes(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"ews\"\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let mut t = target(&url);
    t.auth = Auth::Basic {
        username: "alice".into(),
        password: Secret::new("hunter2-secret"),
    };
    let error = send(&t).unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("authentication failed (Basic): server answered 401"),
        "{text}"
    );
    assert!(text.contains("the server offers: Basic, NTLM"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn statuses_403_404_and_500_are_responses_for_the_runner() {
    for (status, content_type, body) in [
        ("403 Forbidden", "text/html", "<html>forbidden</html>"),
        ("404 Not Found", "text/html", "<html>no such page</html>"),
        (
            "500 Internal Server Error",
            "text/html",
            "<html><body><h1>Server Error in '/EWS' Application.</h1></body></html>",
        ),
        (
            "500 Internal Server Error",
            "text/xml; charset=utf-8",
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>a:ErrorSchemaValidation</faultcode><faultstring>The request failed schema validation.</faultstring></s:Fault></s:Body></s:Envelope>"#,
        ),
    ] {
        let url = serve_bytes(response(status, content_type, body.as_bytes()));
        let answer = send(&target(&url)).unwrap();
        assert_eq!(answer.status.to_string(), status[..3], "{status}");
        assert_eq!(answer.body, body.as_bytes(), "{status}");
        assert_eq!(answer.header("content-type"), Some(content_type));
    }
}

#[test]
fn odd_bodies_are_returned_unchanged_for_the_xml_step() {
    // The transport does not parse XML: these are responses, and the runner's XML step rejects
    // them (non-XML, truncated XML, a DTD that is never expanded, invalid UTF-8, wrong type).
    let billion_laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"#;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("text/xml", b"this is not XML at all".to_vec()),
        ("text/xml", SOAP_OK.as_bytes()[..SOAP_OK.len() / 2].to_vec()),
        ("text/xml", billion_laughs.as_bytes().to_vec()),
        (
            "text/xml; charset=utf-8",
            b"<a>\xff\xfe\xc3\x28</a>".to_vec(),
        ),
        ("application/json", br#"{"not":"soap"}"#.to_vec()),
    ];
    for (content_type, body) in cases {
        let url = serve_bytes(response("200 OK", content_type, &body));
        let answer = send(&target(&url)).unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, body);
        assert_eq!(answer.header("Content-Type"), Some(content_type));
    }
}

/// Streams up to 1 GiB of zeros, generated on the fly, counting the bytes written; `done` gets a
/// message when the handler stops writing (the client went away, or all was sent).
fn serve_gigabyte(
    chunked: bool,
    written: Arc<AtomicU64>,
    done: std::sync::mpsc::Sender<()>,
) -> String {
    let done = std::sync::Mutex::new(done);
    serve(move |mut stream| {
        let _signal = SignalOnDrop(done.lock().map(|d| d.clone()).ok());
        let _ = read_request(&mut stream);
        let head = if chunked {
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_string()
        } else {
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
                1u64 << 30
            )
        };
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let chunk = vec![b'0'; 64 * 1024];
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        let piece = if chunked { &framed } else { &chunk };
        while written.load(Ordering::Relaxed) < 1 << 30 {
            if stream.write_all(piece).is_err() {
                return;
            }
            written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
    })
}

/// Sends on drop: the handler's end is signalled on every return path.
struct SignalOnDrop(Option<std::sync::mpsc::Sender<()>>);

impl Drop for SignalOnDrop {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

#[test]
fn a_gigabyte_body_is_cut_at_the_size_limit_without_being_read() {
    for chunked in [false, true] {
        let written = Arc::new(AtomicU64::new(0));
        let (done_tx, done) = std::sync::mpsc::channel();
        let url = serve_gigabyte(chunked, Arc::clone(&written), done_tx);
        let mut t = target(&url);
        t.limits.request_timeout = Duration::from_secs(5);
        t.limits.max_response_bytes = 4 << 20;
        let started = Instant::now();
        let error = send(&t).unwrap_err();
        assert!(
            matches!(error, TransportError::TooLarge { limit } if limit == 4 << 20),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("maximum response size of 4194304 bytes"),
            "{error}"
        );
        assert_quick(started, Duration::from_secs(4));
        // Wait for the server to notice the client is gone (its write fails), then count.
        done.recv_timeout(Duration::from_secs(10))
            .expect("the server stopped writing");
        // The server stops being read once the limit is hit: far less than 1 GiB goes out.
        let sent = written.load(Ordering::Relaxed);
        assert!(
            sent < 64 << 20,
            "chunked={chunked}: {sent} bytes were pulled"
        );
    }
}

#[test]
fn a_gzip_bomb_is_cut_at_the_limit_on_decompressed_bytes() {
    use flate2::{Compression, write::GzEncoder};
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..16 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 64 * 1024, "the bomb is {} bytes", bomb.len());
    let mut bytes = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        bomb.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&bomb);
    let url = serve_bytes(bytes);
    let mut t = target(&url);
    t.limits.request_timeout = Duration::from_secs(5);
    let error = send(&t).unwrap_err();
    assert!(
        matches!(error, TransportError::TooLarge { limit } if limit == 1 << 20),
        "{error:?}"
    );
}

#[test]
fn gzip_responses_are_decoded() {
    use flate2::{Compression, write::GzEncoder};
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(SOAP_OK.as_bytes()).unwrap();
    let gz = encoder.finish().unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let seen_by_server = Arc::clone(&seen);
    let url = serve(move |mut stream| {
        if let Some((head, _)) = read_request(&mut stream) {
            *seen_by_server.lock().unwrap() = head;
            let mut bytes = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                gz.len()
            )
            .into_bytes();
            bytes.extend_from_slice(&gz);
            let _ = stream.write_all(&bytes);
        }
    });
    let answer = send(&target(&url)).unwrap();
    assert_eq!(answer.body, SOAP_OK.as_bytes());
    let head = seen.lock().unwrap().to_ascii_lowercase();
    assert!(head.contains("accept-encoding: gzip"), "{head}");
}

#[test]
fn a_redirect_loop_ends_at_the_redirect_limit() {
    let url = serve(|mut stream| {
        while let Some((head, _)) = read_request(&mut stream) {
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let answer = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {path}\r\nContent-Length: 0\r\n\r\n"
            );
            if stream.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    });
    let error = send(&target(&url)).unwrap_err();
    assert!(
        matches!(error, TransportError::TooManyRedirects { limit: 5 }),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_redirects"), "{error}");
}

#[test]
fn http_1_0_close_delimited_body_is_read_to_the_end() {
    let mut bytes = b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n".to_vec();
    bytes.extend_from_slice(SOAP_OK.as_bytes());
    let answer = send(&target(&serve_bytes(bytes))).unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, SOAP_OK.as_bytes());
}

#[test]
fn broken_chunked_encoding_is_a_body_error() {
    let url = serve_bytes(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<s:En\r\nZZZ\r\nnot a chunk\r\n",
    );
    let error = send(&target(&url)).unwrap_err();
    assert!(matches!(error, TransportError::Body(_)), "{error:?}");
}

#[test]
fn a_garbage_status_line_is_an_http_error() {
    let url = serve_bytes("SMTP READY FOR MAIL\r\n\r\n");
    let error = send(&target(&url)).unwrap_err();
    assert!(matches!(error, TransportError::Http(_)), "{error:?}");
    assert!(error.to_string().starts_with("HTTP error:"), "{error}");
}

// ---- throttling -----------------------------------------------------------------------------

fn server_busy(back_off_ms: u64) -> Vec<u8> {
    let body = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode><faultstring>The server cannot service this request right now. Try again later.</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode><t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">{back_off_ms}</t:Value></t:MessageXml></detail></s:Fault></s:Body></s:Envelope>"#
    );
    response(
        "500 Internal Server Error",
        "text/xml; charset=utf-8",
        body.as_bytes(),
    )
}

/// Answers the first `busy` requests with `throttle`, then with SOAP_OK; counts requests.
fn serve_throttling(busy: u32, throttle: Vec<u8>, count: Arc<AtomicU32>) -> String {
    serve(move |mut stream| {
        if read_request(&mut stream).is_some() {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let answer = if n < busy {
                throttle.clone()
            } else {
                response("200 OK", "text/xml", SOAP_OK.as_bytes())
            };
            let _ = stream.write_all(&answer);
        }
    })
}

#[test]
fn server_busy_twice_then_success_reports_the_throttling() {
    let count = Arc::new(AtomicU32::new(0));
    let url = serve_throttling(2, server_busy(50), Arc::clone(&count));
    let answer = send(&target(&url)).unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, SOAP_OK.as_bytes());
    assert_eq!(answer.throttled, 2);
    assert_eq!(answer.throttle_wait, Duration::from_millis(100));
    assert_eq!(answer.throttle_summary(), "throttled 2 times, waited 100ms");
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn http_429_and_503_with_retry_after_are_retried() {
    for status in ["429 Too Many Requests", "503 Service Unavailable"] {
        let count = Arc::new(AtomicU32::new(0));
        let throttle = format!(
            "HTTP/1.1 {status}\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let url = serve_throttling(2, throttle.into_bytes(), Arc::clone(&count));
        let answer = send(&target(&url)).unwrap();
        assert_eq!(answer.status, 200, "{status}");
        assert_eq!(answer.throttled, 2, "{status}");
    }
}

#[test]
fn throttling_beyond_the_total_wait_is_an_error_naming_the_limit() {
    let count = Arc::new(AtomicU32::new(0));
    let url = serve_throttling(u32::MAX, server_busy(50), Arc::clone(&count));
    let mut t = target(&url);
    t.limits.max_throttle_wait = Duration::from_millis(120);
    let error = send(&t).unwrap_err();
    assert!(
        matches!(error, TransportError::Throttled { retries: 2, waited, .. } if waited == Duration::from_millis(100)),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("throttled 2 times"), "{text}");
    assert!(text.contains("max_throttle_wait"), "{text}");
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn throttling_beyond_the_retry_count_is_an_error_naming_the_limit() {
    let count = Arc::new(AtomicU32::new(0));
    let throttle =
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let url = serve_throttling(u32::MAX, throttle.to_vec(), Arc::clone(&count));
    let mut t = target(&url);
    t.limits.max_throttle_retries = 3;
    let error = send(&t).unwrap_err();
    assert!(
        matches!(error, TransportError::Throttled { retries: 3, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("max_throttle_retries"),
        "{error}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

// ---- headers, auth, proxy -------------------------------------------------------------------

/// A server that records every request head and answers SOAP_OK.
fn serve_recording() -> (String, Arc<Mutex<Vec<String>>>) {
    let heads = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&heads);
    let url = serve(move |mut stream| {
        while let Some((head, _)) = read_request(&mut stream) {
            recorded.lock().unwrap().push(head);
            let bytes = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{SOAP_OK}",
                SOAP_OK.len()
            );
            if stream.write_all(bytes.as_bytes()).is_err() {
                return;
            }
        }
    });
    (url, heads)
}

fn header_of<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn every_request_carries_user_agent_soap_action_extra_headers_and_basic_auth() {
    let (url, heads) = serve_recording();
    let mut t = target(&url);
    t.auth = Auth::Basic {
        username: "alice".into(),
        password: Secret::new("hunter2"),
    };
    t.extra_headers = vec![
        ("X-AnchorMailbox".into(), "alice@example.com".into()),
        ("X-PreferServerAffinity".into(), "true".into()),
    ];
    let transport = Transport::new(&t).unwrap();
    let mut request = soap_request();
    request.headers = vec![("X-AnchorMailbox".into(), "bob@example.com".into())];
    transport.send(&request).unwrap();
    let heads = heads.lock().unwrap();
    let head = &heads[0];
    assert!(
        head.starts_with("POST /EWS/Exchange.asmx HTTP/1.1\r\n"),
        "{head}"
    );
    let ua = header_of(head, "user-agent").unwrap();
    assert!(
        ua.starts_with(&format!("ews-conformance/{}", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );
    assert_eq!(
        header_of(head, "soapaction"),
        Some("http://schemas.microsoft.com/exchange/services/2006/messages/GetImItemList")
    );
    assert_eq!(
        header_of(head, "content-type"),
        Some("text/xml; charset=utf-8")
    );
    // A request header replaces the target's header of the same name.
    assert_eq!(header_of(head, "x-anchormailbox"), Some("bob@example.com"));
    assert_eq!(header_of(head, "x-preferserveraffinity"), Some("true"));
    assert_eq!(
        header_of(head, "authorization"),
        Some("Basic YWxpY2U6aHVudGVyMg==")
    );
}

#[test]
fn bearer_tokens_are_sent_as_authorization() {
    let (url, heads) = serve_recording();
    let mut t = target(&url);
    t.auth = Auth::Bearer {
        token: Secret::new("eyJ0eXAi.test.token"),
    };
    send(&t).unwrap();
    assert_eq!(
        header_of(&heads.lock().unwrap()[0], "authorization"),
        Some("Bearer eyJ0eXAi.test.token")
    );
}

#[test]
fn requests_go_through_the_configured_proxy() {
    // The proxy answers itself: the endpoint's port is closed, so a 200 proves the proxy path.
    let (proxy_url, heads) = serve_recording();
    let proxy = proxy_url.trim_end_matches("/EWS/Exchange.asmx").to_string();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{closed}/EWS/Exchange.asmx");
    let mut t = target(&endpoint);
    t.proxy = Some(proxy);
    let answer = send(&t).unwrap();
    assert_eq!(answer.body, SOAP_OK.as_bytes());
    let head = heads.lock().unwrap()[0].clone();
    assert!(
        head.starts_with(&format!("POST {endpoint} HTTP/1.1\r\n")),
        "the proxy saw: {head}"
    );
}

// ---- NTLM against a real acceptor ---------------------------------------------------------

/// `tests/peers/ntlm_server.py`, killed on drop.
struct NtlmPeer {
    child: Child,
    url: String,
    _users: TempFile,
}

struct TempFile(PathBuf);
impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl NtlmPeer {
    fn start(user_line: &str) -> NtlmPeer {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let users = TempFile(std::env::temp_dir().join(format!(
            "ews-ntlm-users-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )));
        std::fs::write(&users.0, format!("{user_line}\n")).unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/ntlm_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--lifetime", "30"])
            .env("NTLM_USER_FILE", &users.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs (the NTLM tests need python3 with `pip install pyspnego`)");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let port = rx.recv_timeout(Duration::from_secs(15)).unwrap_or_default();
        let port: u16 = match port.trim().parse() {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the NTLM peer did not start (is pyspnego installed? `pip install pyspnego`)"
                );
            }
        };
        NtlmPeer {
            child,
            url: format!("http://127.0.0.1:{port}/EWS/Exchange.asmx"),
            _users: users,
        }
    }
}

impl Drop for NtlmPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ntlm_target(url: &str, password: &str) -> Target {
    let mut t = target(url);
    t.auth = Auth::Ntlm {
        username: "alice".into(),
        password: Secret::new(password),
        domain: Some("EXAMPLE".into()),
    };
    t
}

#[test]
fn ntlm_right_password_authenticates_and_keeps_the_connection() {
    let peer = NtlmPeer::start("EXAMPLE:alice:C0rrect-Horse");
    let transport = Transport::new(&ntlm_target(&peer.url, "C0rrect-Horse")).unwrap();
    let first = transport.send(&soap_request()).unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(first.body, SOAP_OK.as_bytes());
    let second = transport.send(&soap_request()).unwrap();
    assert_eq!(second.status, 200);
    // Same TCP connection, authenticated once: NTLM authenticates the connection.
    assert_eq!(
        first.header("x-ntlm-connection"),
        second.header("x-ntlm-connection")
    );
    assert_eq!(second.header("x-ntlm-handshakes"), Some("1"));
}

#[test]
fn ntlm_concurrent_requests_each_keep_their_own_connection() {
    let peer = NtlmPeer::start("EXAMPLE:alice:C0rrect-Horse");
    let transport = Arc::new(Transport::new(&ntlm_target(&peer.url, "C0rrect-Horse")).unwrap());
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let transport = Arc::clone(&transport);
            thread::spawn(move || {
                (0..3)
                    .map(|_| transport.send(&soap_request()).map(|r| r.status))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for worker in workers {
        for status in worker.join().unwrap() {
            assert_eq!(status.unwrap(), 200);
        }
    }
}

#[test]
fn ntlm_wrong_password_is_a_clear_authentication_error() {
    let peer = NtlmPeer::start("EXAMPLE:alice:C0rrect-Horse");
    let t = ntlm_target(&peer.url, "Wr0ng-Battery");
    let error = send(&t).unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with(
            "authentication failed (NTLM): server answered 401 after the NTLM handshake"
        ),
        "{text}"
    );
    assert!(!Redactor::for_target(&t).finds_secret_in(&text), "{text}");
}

// ---- TLS ----------------------------------------------------------------------------------

struct Pki {
    dir: TempDir,
    ca_pem: PathBuf,
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: Vec<u8>,
    client_cert: PathBuf,
    client_key: PathBuf,
    ca_der: rustls::pki_types::CertificateDer<'static>,
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn make_pki() -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = TempDir(std::env::temp_dir().join(format!(
        "ews-tls-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )));
    std::fs::create_dir_all(&dir.0).unwrap();

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ews-conformance test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);

    let server_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

    let mut client_params = CertificateParams::new(vec!["client.example".to_string()]).unwrap();
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_key = KeyPair::generate().unwrap();
    let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();

    let ca_pem = dir.0.join("ca.pem");
    std::fs::write(&ca_pem, ca_cert.pem()).unwrap();
    let client_cert_path = dir.0.join("client.pem");
    std::fs::write(&client_cert_path, client_cert.pem()).unwrap();
    let client_key_path = dir.0.join("client.key");
    std::fs::write(&client_key_path, client_key.serialize_pem()).unwrap();
    Pki {
        ca_pem,
        server_chain: vec![server_cert.der().clone()],
        server_key: server_key.serialize_der(),
        client_cert: client_cert_path,
        client_key: client_key_path,
        ca_der: ca_cert.der().clone(),
        dir,
    }
}

/// A blocking rustls server answering SOAP_OK; `require_client_cert` checks it against the CA.
fn serve_tls(pki: &Pki, require_client_cert: bool) -> String {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca_der.clone()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone()));
    let config = Arc::new(
        builder
            .with_single_cert(pki.server_chain.clone(), key)
            .unwrap(),
    );
    let url = serve(move |stream| {
        let Ok(connection) = rustls::ServerConnection::new(Arc::clone(&config)) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(connection, stream);
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        while !data.windows(4).any(|w| w == b"\r\n\r\n") {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => data.extend_from_slice(&buf[..n]),
            }
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{SOAP_OK}",
            SOAP_OK.len()
        );
        let _ = tls.write_all(answer.as_bytes());
        tls.conn.send_close_notify();
        let _ = tls.flush();
    });
    url.replace("http://", "https://")
}

#[test]
fn tls_trusted_through_cacert_passes_and_untrusted_fails_clearly() {
    let pki = make_pki();
    let url = serve_tls(&pki, false);
    assert!(pki.dir.0.exists());

    let mut trusted = target(&url);
    trusted.limits.request_timeout = Duration::from_secs(5);
    trusted.tls = TlsSettings {
        cacert: Some(pki.ca_pem.clone()),
        ..TlsSettings::default()
    };
    assert_eq!(send(&trusted).unwrap().body, SOAP_OK.as_bytes());

    let mut untrusted = trusted.clone();
    untrusted.tls = TlsSettings::default();
    let error = send(&untrusted).unwrap_err();
    assert!(matches!(error, TransportError::Tls(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.starts_with("TLS handshake failed"), "{text}");
    assert!(text.contains("--cacert"), "{text}");

    let mut insecure = untrusted.clone();
    insecure.tls.insecure = true;
    assert_eq!(send(&insecure).unwrap().status, 200);
}

#[test]
fn tls_client_certificate_is_presented() {
    let pki = make_pki();
    let url = serve_tls(&pki, true);
    let mut with_cert = target(&url);
    with_cert.limits.request_timeout = Duration::from_secs(5);
    with_cert.tls = TlsSettings {
        cacert: Some(pki.ca_pem.clone()),
        client_cert: Some(pki.client_cert.clone()),
        client_key: Some(pki.client_key.clone()),
        insecure: false,
    };
    assert_eq!(send(&with_cert).unwrap().status, 200);

    let mut without = with_cert.clone();
    without.tls.client_cert = None;
    without.tls.client_key = None;
    let error = send(&without).unwrap_err();
    assert!(matches!(error, TransportError::Tls(_)), "{error:?}");
    assert!(error.to_string().contains("--cert and --key"), "{error}");
}

// ---- secrets --------------------------------------------------------------------------------

#[test]
fn errors_never_carry_the_secret() {
    let secret = "S3cret-Known-Value";
    let pki = make_pki();
    let faults = [
        serve_bytes(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"ews\"\r\nContent-Length: 0\r\n\r\n",
        ),
        serve(|mut stream| {
            let _ = read_request(&mut stream);
            reset(stream);
        }),
        serve_bytes("SMTP READY FOR MAIL\r\n\r\n"),
        serve_tls(&pki, false),
    ];
    for url in &faults {
        for auth in [
            Auth::Basic {
                username: "alice".into(),
                password: Secret::new(secret),
            },
            Auth::Bearer {
                token: Secret::new(secret),
            },
        ] {
            let mut t = target(url);
            t.auth = auth;
            let error = send(&t).unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(!Redactor::for_target(&t).finds_secret_in(&shown), "{shown}");
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

/// The response carries the request headers as they were sent: the fixed ones, the target's,
/// the request's own (replacing a target header of the same name) and the credentials; what
/// the server received is the same list.
#[test]
fn the_response_lists_the_request_headers_actually_sent() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let url = serve(move |mut stream| {
        if let Some((head, _)) = read_request(&mut stream) {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(head);
            }
            let _ = stream.write_all(&response("200 OK", "text/xml", SOAP_OK.as_bytes()));
        }
    });
    let mut t = target(&url);
    t.extra_headers = vec![
        ("X-AnchorMailbox".into(), "alice@example.com".into()),
        ("X-Tenant".into(), "target".into()),
    ];
    t.auth = Auth::Basic {
        username: "alice".into(),
        password: Secret::new("pw"),
    };
    let mut request = soap_request();
    request.headers = vec![("x-tenant".into(), "request".into())];
    let answer = Transport::new(&t).unwrap().send(&request).unwrap();
    let sent = |name: &str| -> Vec<&str> {
        answer
            .request_headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(sent("content-type"), ["text/xml; charset=utf-8"]);
    assert_eq!(sent("x-anchormailbox"), ["alice@example.com"]);
    assert_eq!(
        sent("x-tenant"),
        ["request"],
        "the request's header replaces the target's"
    );
    assert_eq!(sent("soapaction").len(), 1);
    assert!(sent("authorization")[0].starts_with("Basic "));
    let head = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("request reached the server");
    for (name, value) in &answer.request_headers {
        assert!(
            head.to_ascii_lowercase().contains(&format!(
                "{}: {}",
                name.to_ascii_lowercase(),
                value.to_ascii_lowercase()
            )),
            "{name} was listed but not received: {head}"
        );
    }
}
