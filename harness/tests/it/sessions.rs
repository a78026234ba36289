//! Several sessions in one case (`as: USER`, `session: NAME`), polling steps (`retry:`) and
//! streamed responses (`stream:` / `expect_stream:`): the real binary against the embedded
//! reference server and against loopback stand-ins written here (127.0.0.1 only) that answer
//! a second session differently, deliver only on the third poll, stream envelopes with delays,
//! never send the expected event, or send ill-formed XML in the stream.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ews_conformance::report::{CaseResult, CaseStatus, RunReport, StepPhase, StepStatus};

use crate::support::{TempDir, all_output, fixture, read_report, run_bin};

fn case<'a>(report: &'a RunReport, id: &str) -> &'a CaseResult {
    report
        .cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("case {id} in report: {report:#?}"))
}

/// Runs the binary on a `sessions/...` fixture; returns the exit code, the report, the output.
fn run(dir: &str, extra: &[&str], env: &[(&str, &str)]) -> (Option<i32>, RunReport, String) {
    let reports = TempDir::new("sessions");
    let cases = fixture(dir);
    let mut args = vec![
        "--cases",
        cases.to_str().unwrap(),
        "--reports",
        reports.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run_bin(&args, env);
    let text = all_output(&out);
    let report = read_report(reports.path());
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap_or_default();
    let html = std::fs::read_to_string(reports.path().join("report.html")).unwrap_or_default();
    (
        out.status.code(),
        report,
        format!("{text}\n--- junit\n{junit}\n--- html\n{html}"),
    )
}

/// One HTTP/1.1 request read from a keep-alive connection: (head in lower case, body).
fn read_request(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<(String, String)> {
    let mut buf = [0u8; 8192];
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if pending.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&pending[end + 4..end + 4 + length]).into();
                pending.drain(..end + 4 + length);
                return Some((head, body));
            }
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        pending.extend_from_slice(&buf[..n]);
    }
}

/// A SOAP 1.1 envelope with the `m` and `t` prefixes declared on its root.
fn envelope(body: &str) -> String {
    format!(
        concat!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" "#,
            r#"xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" "#,
            r#"xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">"#,
            "<s:Body>{}</s:Body></s:Envelope>"
        ),
        body
    )
}

/// A GetImItemList answer holding one group named `name`.
fn im_list(name: &str) -> String {
    envelope(&format!(
        concat!(
            r#"<m:GetImItemListResponse ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>"#,
            "<m:ImItemList><t:Groups><t:ImGroup><t:DisplayName>{}</t:DisplayName>",
            "<t:GroupType>IPM.DistList.MOC.UserGroup</t:GroupType>",
            r#"<t:ExchangeStoreId Id="AAMkAQEAAAAAAAV3Lg=="/></t:ImGroup></t:Groups></m:ImItemList>"#,
            "</m:GetImItemListResponse>"
        ),
        name
    ))
}

fn respond(stream: &mut TcpStream, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
}

/// A keep-alive server whose answer names the connection it came on (`connection 1`, ...),
/// or the Basic user `bob` when bob's credentials are sent. Sends every Authorization header
/// it saw on the channel.
fn connection_server() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let connections = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16).flatten() {
            let n = connections.fetch_add(1, Ordering::SeqCst) + 1;
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut pending = Vec::new();
                while let Some((head, _body)) = read_request(&mut stream, &mut pending) {
                    let auth = head
                        .lines()
                        .find_map(|l| l.strip_prefix("authorization:"))
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    let _ = tx.send(auth.clone());
                    // base64("bob:bob-secret-pw")
                    let name = if auth.ends_with("ym9iomjvyi1zzwnyzxqtchc=") {
                        "user bob".to_string()
                    } else {
                        format!("connection {n}")
                    };
                    respond(&mut stream, &im_list(&name));
                }
            });
        }
    });
    (url, rx)
}

#[test]
fn steps_run_as_other_users_and_sessions_of_the_embedded_server_and_cleanups_run_as_the_creator() {
    let (code, report, text) = run("sessions/embedded", &[], &[]);
    assert_eq!(code, Some(0), "{text}");
    let c = case(&report, "im/two_users");
    assert_eq!(c.status, CaseStatus::Pass, "{c:#?}");
    let who: Vec<(&str, Option<&str>, StepPhase)> = c
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.detail.session.as_deref(), s.phase))
        .collect();
    assert_eq!(
        who,
        [
            ("alice creates a group", None, StepPhase::Main),
            (
                "alice's second session sees the group",
                Some("/second"),
                StepPhase::Main
            ),
            (
                "bob creates a group of his own",
                Some("bob"),
                StepPhase::Main
            ),
            (
                "bob's mailbox does not hold alice's group",
                Some("bob"),
                StepPhase::Main
            ),
            (
                "bob removes his group (as bob, the creator)",
                Some("bob"),
                StepPhase::Cleanup
            ),
            (
                "cleanup after alice creates a group",
                None,
                StepPhase::Cleanup
            ),
        ]
    );
    assert!(
        c.steps.iter().all(|s| s.status == StepStatus::Pass),
        "{c:#?}"
    );
    // The reports say who sent a step.
    assert!(text.contains("as bob"), "{text}");
    // Two sessions change the list; each then sees both groups (a polling read each).
    let converge = case(&report, "im/converge");
    assert_eq!(converge.status, CaseStatus::Pass, "{converge:#?}");
    let reads: Vec<(Option<&str>, Option<u32>)> = converge.steps[2..4]
        .iter()
        .map(|s| (s.detail.session.as_deref(), s.detail.attempts))
        .collect();
    assert_eq!(reads, [(None, Some(1)), (Some("/second"), Some(1))]);
}

#[test]
fn a_case_acting_as_an_undefined_user_is_ignored_with_the_fix_and_sends_nothing() {
    let (code, report, text) = run("sessions/unknown_user", &[], &[]);
    assert_eq!(
        code,
        Some(0),
        "an unconfigured user does not fail the run: {text}"
    );
    let c = case(&report, "im/needs_dave");
    assert_eq!(c.status, CaseStatus::Ignored, "{c:#?}");
    let reason = c.reason.as_deref().unwrap_or("");
    assert!(
        reason.contains("user `dave`")
            && reason.contains("users:")
            && reason.contains("EWS_PASSWORD_DAVE"),
        "{reason}"
    );
    assert!(c.steps.is_empty(), "nothing was sent: {c:#?}");
}

#[test]
fn a_second_session_has_its_own_connection_and_a_profile_user_its_own_secret() {
    let (url, auths) = connection_server();
    let dir = TempDir::new("sessions-profile");
    let profile = dir.path().join("target.yaml");
    std::fs::write(
        &profile,
        format!(
            "endpoint: {url}\nauth: basic\nusername: alice\nmailboxes:\n  mailbox: alice@example.com\n\
             users:\n  bob:\n    username: bob\n    mailbox: bob@example.com\n"
        ),
    )
    .unwrap();
    let (code, report, text) = run(
        "sessions/second_session",
        &["--target", profile.to_str().unwrap()],
        &[
            ("EWS_PASSWORD", "alice-secret-pw"),
            ("EWS_PASSWORD_BOB", "bob-secret-pw"),
        ],
    );
    assert_eq!(code, Some(0), "{text}");
    let c = case(&report, "im/sessions_apart");
    assert_eq!(c.status, CaseStatus::Pass, "{c:#?}");
    let seen: Vec<String> = auths.try_iter().collect();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0], seen[1], "alice in both sessions");
    assert_ne!(seen[0], seen[3], "bob authenticates as bob");
    for secret in [
        "alice-secret-pw",
        "bob-secret-pw",
        "Ym9iOmJvYi1zZWNyZXQtcHc=",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    // A profile user without a secret in the environment is a configuration error naming it.
    let out = run_bin(
        &[
            "--cases",
            fixture("sessions/second_session").to_str().unwrap(),
            "--no-reports",
            "--target",
            profile.to_str().unwrap(),
        ],
        &[("EWS_PASSWORD", "alice-secret-pw")],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("users.bob") && text.contains("EWS_PASSWORD_BOB"),
        "{text}"
    );
}

/// A server that answers GetImItemList with a group named `pending` until request number
/// `deliver_at` (1-based), then `delivered`; `usize::MAX` never delivers. Anything else gets
/// an empty GetImItems answer. Counts the GetImItemList requests.
fn polling_server(deliver_at: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().unwrap()
    );
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&polls);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64).flatten() {
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut pending = Vec::new();
                while let Some((_head, body)) = read_request(&mut stream, &mut pending) {
                    if body.contains("GetImItemList") {
                        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                        let name = if n >= deliver_at {
                            "delivered"
                        } else {
                            "pending"
                        };
                        respond(&mut stream, &im_list(name));
                    } else {
                        respond(
                            &mut stream,
                            &envelope(concat!(
                                r#"<m:GetImItemsResponse ResponseClass="Success">"#,
                                "<m:ResponseCode>NoError</m:ResponseCode>",
                                "<m:ImItemList><t:Groups/><t:Personas/></m:ImItemList>",
                                "</m:GetImItemsResponse>"
                            )),
                        );
                    }
                }
            });
        }
    });
    (url, polls)
}

fn endpoint_args(url: &str) -> [&str; 6] {
    [
        "--endpoint",
        url,
        "--auth",
        "none",
        "--var",
        "mailbox=alice@example.com",
    ]
}

#[test]
fn a_polling_step_passes_on_the_third_poll_and_reports_attempts_and_time() {
    let (url, polls) = polling_server(3);
    let (code, report, text) = run("sessions/poll", &endpoint_args(&url), &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        polls.load(Ordering::SeqCst),
        3,
        "it stopped polling at the match"
    );
    let c = case(&report, "im/delivered");
    assert_eq!(c.status, CaseStatus::Pass, "{c:#?}");
    let step = &c.steps[0];
    assert_eq!(step.detail.attempts, Some(3), "{step:#?}");
    let waited = step.detail.waited.as_deref().unwrap_or("");
    assert!(
        waited.starts_with("matched at attempt 3 after "),
        "{waited}"
    );
    assert!(step.duration_ms >= 200, "two pauses of 100 ms: {step:#?}");
    assert_eq!(c.steps[1].status, StepStatus::Pass, "the bound id was kept");
    // JUnit and HTML show the attempts.
    assert!(
        text.matches("matched at attempt 3 after").count() >= 2,
        "junit and html: {text}"
    );
}

#[test]
fn a_polling_step_that_never_matches_fails_within_its_bound_with_the_last_mismatches() {
    let (url, polls) = polling_server(usize::MAX);
    let started = Instant::now();
    let (code, report, text) = run("sessions/poll", &endpoint_args(&url), &[]);
    let took = started.elapsed();
    assert_eq!(code, Some(1), "{text}");
    assert!(took < Duration::from_secs(10), "bounded: {took:?}");
    let c = case(&report, "im/delivered");
    assert_eq!(c.status, CaseStatus::Fail, "{c:#?}");
    let step = &c.steps[0];
    let attempts = step.detail.attempts.expect("attempts recorded");
    assert_eq!(attempts as usize, polls.load(Ordering::SeqCst));
    assert!(
        (3..=21).contains(&attempts),
        "about 2s / 100ms, fewer on a slow machine: {attempts}"
    );
    assert!(
        (1800..6000).contains(&step.duration_ms),
        "the bound of 2s: {step:#?}"
    );
    assert_eq!(step.mismatches[0].kind, "retry-timeout");
    assert!(
        step.mismatches[0]
            .message
            .starts_with("no match within 2s: "),
        "{:#?}",
        step.mismatches
    );
    let last = step
        .mismatches
        .iter()
        .find(|m| m.expected_path.ends_with("/DisplayName"))
        .expect("the last attempt's mismatch");
    assert_eq!(
        (last.expected.as_deref(), last.actual.as_deref()),
        (Some("delivered"), Some("pending"))
    );
    assert_eq!(c.steps[1].status, StepStatus::Skipped);
}

/// What the streaming stand-in sends after its first keep-alive.
#[derive(Clone, Copy, PartialEq)]
enum StreamMode {
    /// The NewMailEvent of the created item (once CreateItem arrived), then Closed, then the end.
    Deliver,
    /// Keep-alives every 200 ms for 10 s, never the event, never the end.
    KeepAlivesOnly,
    /// A misnested end tag.
    IllFormed,
}

const ITEM_ID: &str = "AAMkAGNvbmZvcm1hbmNlLW1haWw=";

fn streaming_message(inner: &str) -> String {
    envelope(&format!(
        concat!(
            "<m:GetStreamingEventsResponse><m:ResponseMessages>",
            r#"<m:GetStreamingEventsResponseMessage ResponseClass="Success">"#,
            "<m:ResponseCode>NoError</m:ResponseCode>{}",
            "</m:GetStreamingEventsResponseMessage></m:ResponseMessages></m:GetStreamingEventsResponse>"
        ),
        inner
    ))
}

fn keep_alive() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>{}",
        streaming_message("<m:ConnectionStatus>OK</m:ConnectionStatus>")
    )
}

fn new_mail_event() -> String {
    streaming_message(&format!(
        concat!(
            "<m:Notifications><t:Notification><t:SubscriptionId>sub-1</t:SubscriptionId>",
            "<t:NewMailEvent><t:TimeStamp>2026-12-01T10:00:00Z</t:TimeStamp>",
            r#"<t:ItemId Id="{}" ChangeKey="CQAAAA=="/>"#,
            r#"<t:ParentFolderId Id="AQMkAGluYm94" ChangeKey="AQAAAA=="/></t:NewMailEvent>"#,
            "</t:Notification></m:Notifications>"
        ),
        ITEM_ID
    ))
}

fn chunk(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    let head = format!("{:x}\r\n", bytes.len());
    stream.write_all(head.as_bytes()).is_ok()
        && stream.write_all(bytes).is_ok()
        && stream.write_all(b"\r\n").is_ok()
        && stream.flush().is_ok()
}

/// A loopback stand-in for GetStreamingEvents (a chunked response of several envelopes) and
/// CreateItem. Returns its URL.
fn streaming_server(mode: StreamMode) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().unwrap()
    );
    let (created_tx, created_rx) = std::sync::mpsc::channel::<()>();
    let created_rx = Arc::new(std::sync::Mutex::new(created_rx));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16).flatten() {
            let created_tx = created_tx.clone();
            let created_rx = Arc::clone(&created_rx);
            std::thread::spawn(move || {
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut pending = Vec::new();
                while let Some((_head, body)) = read_request(&mut stream, &mut pending) {
                    if body.contains("CreateItem") {
                        respond(
                            &mut stream,
                            &envelope(&format!(
                                concat!(
                                    "<m:CreateItemResponse><m:ResponseMessages>",
                                    r#"<m:CreateItemResponseMessage ResponseClass="Success">"#,
                                    "<m:ResponseCode>NoError</m:ResponseCode><m:Items><t:Message>",
                                    r#"<t:ItemId Id="{}" ChangeKey="CQAAAA=="/></t:Message></m:Items>"#,
                                    "</m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"
                                ),
                                ITEM_ID
                            )),
                        );
                        let _ = created_tx.send(());
                        continue;
                    }
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n\
                         Transfer-Encoding: chunked\r\n\r\n"
                    );
                    // The first keep-alive, cut in the middle of a tag across two chunks.
                    let first = keep_alive();
                    let (a, b) = first.as_bytes().split_at(first.len() / 2);
                    if !chunk(&mut stream, a) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                    chunk(&mut stream, b);
                    match mode {
                        StreamMode::Deliver => {
                            let created = created_rx
                                .lock()
                                .unwrap()
                                .recv_timeout(Duration::from_secs(5));
                            if created.is_err() {
                                return;
                            }
                            std::thread::sleep(Duration::from_millis(150));
                            chunk(&mut stream, format!("\r\n{}", new_mail_event()).as_bytes());
                            std::thread::sleep(Duration::from_millis(150));
                            chunk(
                                &mut stream,
                                streaming_message(
                                    "<m:ConnectionStatus>Closed</m:ConnectionStatus>",
                                )
                                .as_bytes(),
                            );
                            let _ = stream.write_all(b"0\r\n\r\n");
                            return;
                        }
                        StreamMode::KeepAlivesOnly => {
                            for _ in 0..50 {
                                std::thread::sleep(Duration::from_millis(200));
                                if !chunk(&mut stream, keep_alive().as_bytes()) {
                                    return;
                                }
                            }
                            return;
                        }
                        StreamMode::IllFormed => {
                            std::thread::sleep(Duration::from_millis(100));
                            chunk(&mut stream, b"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body></s:Envelope>");
                            std::thread::sleep(Duration::from_secs(5));
                            return;
                        }
                    }
                }
            });
        }
    });
    url
}

#[test]
fn a_stream_delivers_a_keep_alive_the_event_of_a_later_step_and_closes() {
    let url = streaming_server(StreamMode::Deliver);
    let (code, report, text) = run("sessions/stream", &endpoint_args(&url), &[]);
    assert_eq!(code, Some(0), "{text}");
    let c = case(&report, "notifications/new_mail");
    assert_eq!(c.status, CaseStatus::Pass, "{c:#?}");
    let open = &c.steps[0];
    assert_eq!(open.response.as_ref().and_then(|r| r.status), Some(200));
    let docs = |i: usize| -> Vec<(u32, bool)> {
        c.steps[i]
            .detail
            .stream_documents
            .iter()
            .map(|d| (d.index, d.matched))
            .collect()
    };
    assert_eq!(docs(1), [(1, true)], "the keep-alive");
    assert_eq!(docs(3), [(2, true)], "the event, read after the CreateItem");
    assert_eq!(docs(4), [(3, true)], "Closed, then the end of the stream");
    let event = &c.steps[3].detail.stream_documents[0];
    assert!(event.body.contains(ITEM_ID) && event.body.contains("NewMailEvent"));
    assert!(
        event.at_ms >= 150,
        "it came after the CreateItem: {event:#?}"
    );
    // JUnit and HTML list the documents.
    assert!(
        text.contains("stream `events` document 2 at "),
        "junit: {text}"
    );
    assert!(
        text.contains("Stream `events` document 2 at "),
        "html: {text}"
    );
}

#[test]
fn a_stream_that_never_sends_the_event_fails_within_its_bound_naming_what_was_missing() {
    let url = streaming_server(StreamMode::KeepAlivesOnly);
    let started = Instant::now();
    let (code, report, text) = run("sessions/stream_never", &endpoint_args(&url), &[]);
    let took = started.elapsed();
    assert_eq!(code, Some(1), "{text}");
    assert!(took < Duration::from_secs(8), "the 1s bound held: {took:?}");
    let c = case(&report, "notifications/never");
    assert_eq!(c.status, CaseStatus::Fail, "{c:#?}");
    let step = &c.steps[3];
    assert_eq!(step.status, StepStatus::Fail);
    assert!((900..4000).contains(&step.duration_ms), "{step:#?}");
    let missing = &step.mismatches[0];
    assert_eq!(missing.kind, "stream");
    assert!(
        missing.message.starts_with(
            "no document matching the expectation arrived on the stream `events` within 1s"
        ),
        "{missing:#?}"
    );
    // Keep-alives were read and shown; the closest miss names the missing element.
    assert!(!step.detail.stream_documents.is_empty());
    assert!(step.detail.stream_documents.iter().all(|d| !d.matched));
    assert!(
        step.mismatches
            .iter()
            .any(|m| m.expected_path.contains("Notifications")),
        "{:#?}",
        step.mismatches
    );
}

#[test]
fn ill_formed_xml_in_a_stream_is_an_error_not_a_panic() {
    let url = streaming_server(StreamMode::IllFormed);
    let (code, report, text) = run("sessions/stream_bad", &endpoint_args(&url), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    let c = case(&report, "notifications/bad");
    assert_eq!(c.status, CaseStatus::Error, "{c:#?}");
    let step = &c.steps[2];
    assert_eq!(step.status, StepStatus::Error);
    let error = step.error.as_deref().unwrap_or("");
    assert!(
        error.starts_with("could not test: stream `events`: ") && error.contains("well-formed"),
        "{error}"
    );
}

#[test]
fn the_run_timeout_ends_a_polling_wait_early_and_says_so() {
    let (url, _polls) = polling_server(usize::MAX);
    let started = Instant::now();
    let mut args = endpoint_args(&url).to_vec();
    args.extend(["--run-timeout", "3s"]);
    let (code, report, text) = run("sessions/poll_long", &args, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "stopped long before the 30s bound: {:?}",
        started.elapsed()
    );
    let step = &case(&report, "im/delivered").steps[0];
    assert_eq!(step.status, StepStatus::Fail, "{step:#?}");
    let waited = step.detail.waited.as_deref().unwrap_or("");
    assert!(
        waited.contains("stopped after") && waited.contains("time limit"),
        "{waited}"
    );
}

#[test]
fn ctrl_c_ends_a_stream_wait_long_before_its_bound_and_the_reports_are_written() {
    let url = streaming_server(StreamMode::KeepAlivesOnly);
    let reports = TempDir::new("sessions-ctrl-c");
    let cases = fixture("sessions/stream_long");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ews-conformance"))
        .args([
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
        ])
        .args(endpoint_args(&url))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // The case is inside its 60s wait by then.
    std::thread::sleep(Duration::from_millis(1500));
    let signalled = Instant::now();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "Ctrl-C ended the wait: {:?}",
        signalled.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report = read_report(reports.path());
    let step = &case(&report, "notifications/long").steps[3];
    assert_eq!(step.status, StepStatus::Fail, "{step:#?}");
    assert!(
        step.mismatches[0]
            .message
            .contains("stopped early, the run was interrupted"),
        "{:#?}",
        step.mismatches
    );
}
