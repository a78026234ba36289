//! The runner end to end: the real binary against the embedded reference server (or a broken
//! loopback server), checking verdicts, exit codes, skipped steps, cleanup, libtest arguments
//! and that reports are always written.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use ews_conformance::report::{CaseResult, CaseStatus, RunReport, StepPhase, StepStatus};

use crate::support::{TempDir, all_output, fixture, read_report, run_bin};

fn case<'a>(report: &'a RunReport, id: &str) -> &'a CaseResult {
    report
        .cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("case {id} in report: {report:#?}"))
}

fn run_fixture(dir: &str, extra: &[&str], reports: &Path) -> std::process::Output {
    let cases = fixture(dir);
    let mut args = vec![
        "--cases",
        cases.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_bin(&args, &[])
}

#[test]
fn a_conforming_case_passes_against_the_embedded_server_and_all_reports_are_written() {
    let reports = TempDir::new("runner-good");
    let out = run_fixture("runner/good", &["--test-threads", "2"], reports.path());
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let report = read_report(reports.path());
    assert!(report.target.embedded);
    assert_eq!(
        report.target.server_version.as_deref(),
        Some("Exchange2013")
    );
    assert_eq!(report.cases.len(), 1);
    let c = case(&report, "im/add_and_remove_group");
    assert_eq!(c.status, CaseStatus::Pass, "{c:#?}");
    assert_eq!(c.steps.len(), 3);
    assert!(c.steps.iter().all(|s| s.status == StepStatus::Pass));
    for file in ["junit.xml", "report.json", "report.html"] {
        assert!(reports.path().join(file).is_file(), "{file} written");
    }
}

#[test]
fn each_verdict_is_reported_and_a_load_error_exits_2_while_other_cases_run() {
    let reports = TempDir::new("runner-mixed");
    let out = run_fixture("runner/mixed", &["--test-threads", "4"], reports.path());
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let report = read_report(reports.path());
    assert_eq!(report.cases.len(), 4, "{report:#?}");

    assert_eq!(case(&report, "im/passes").status, CaseStatus::Pass);

    let wrong = case(&report, "im/wrong_expectation");
    assert_eq!(wrong.status, CaseStatus::Fail);
    let rename = &wrong.steps[1];
    assert_eq!(rename.status, StepStatus::Fail);
    let m = rename
        .mismatches
        .iter()
        .find(|m| m.expected_path.ends_with("ResponseCode"))
        .expect("ResponseCode mismatch");
    assert_eq!(
        m.expected_path,
        "/Envelope/Body/SetImGroupResponse/ResponseCode"
    );
    assert_eq!(m.expected.as_deref(), Some("ErrorWrongOnPurpose"));
    assert_eq!(m.actual.as_deref(), Some("NoError"));
    let location = m.location.as_deref().expect("expectation position");
    assert!(
        location.contains("wrong_expectation.yaml:18:"),
        "{location}"
    );
    assert!(
        rename
            .diff
            .as_deref()
            .unwrap_or("")
            .contains("ErrorWrongOnPurpose")
    );
    assert_eq!(
        wrong.steps[2].status,
        StepStatus::Skipped,
        "step after a failure is skipped"
    );
    let cleanup = &wrong.steps[3];
    assert_eq!(cleanup.phase, StepPhase::Cleanup);
    assert_eq!(
        cleanup.status,
        StepStatus::Pass,
        "cleanup ran after the failure: {cleanup:#?}"
    );

    let broken = case(&report, "im/does_not_load");
    assert_eq!(broken.status, CaseStatus::Error);
    let reason = broken.reason.as_deref().unwrap_or("");
    assert!(
        reason.contains("no_such_variable") && reason.contains("does_not_load.yaml:6:"),
        "{reason}"
    );

    let newer = case(&report, "im/needs_newer_server");
    assert_eq!(newer.status, CaseStatus::Ignored);
    assert!(
        newer
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("V2018_01_08")
    );

    // The terminal shows the failing step, the path, the expectation position and a rerun command.
    assert!(
        text.contains("/Envelope/Body/SetImGroupResponse/ResponseCode"),
        "{text}"
    );
    // The rerun hint repeats how the harness was invoked (here the debug binary under cargo,
    // with the same `--cases`).
    let rerun = format!(
        "rerun: cargo run -- --cases {} --exact im/wrong_expectation",
        fixture("runner/mixed").display()
    );
    assert!(text.contains(&rerun), "{rerun} in {text}");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn libtest_arguments_select_cases_and_list_writes_no_reports() {
    let reports = TempDir::new("runner-exact");
    let out = run_fixture("runner/mixed", &["--exact", "im/passes"], reports.path());
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let ids: Vec<String> = read_report(reports.path())
        .cases
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["im/passes"]);

    let listed = TempDir::new("runner-list");
    let out = run_fixture("runner/mixed", &["--list"], listed.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(text.contains("im/wrong_expectation"), "{text}");
    assert!(!listed.path().join("report.json").exists());
}

#[test]
fn partitions_split_the_suite_without_overlap() {
    let mut seen = Vec::new();
    for shard in ["hash:1/2", "hash:2/2"] {
        let reports = TempDir::new("runner-shard");
        let _ = run_fixture("runner/mixed", &["--partition", shard], reports.path());
        let report = read_report(reports.path());
        assert_eq!(report.partition.as_deref(), Some(shard));
        seen.extend(report.cases.into_iter().map(|c| c.id));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "im/does_not_load",
            "im/needs_newer_server",
            "im/passes",
            "im/wrong_expectation"
        ]
    );
}

/// A loopback server that answers every request with HTTP 200 and a body that is not XML.
fn garbage_server() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().expect("addr")
    );
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            let body = "<html><body>Service Unavailable";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, handle)
}

#[test]
fn a_broken_server_response_errors_the_case_and_reports_are_still_written() {
    let (url, _server) = garbage_server();
    let reports = TempDir::new("runner-garbage");
    let out = run_fixture(
        "runner/good",
        &[
            "--endpoint",
            &url,
            "--auth",
            "none",
            "--var",
            "mailbox=a@b.c",
        ],
        reports.path(),
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    let report = read_report(reports.path());
    let c = case(&report, "im/add_and_remove_group");
    assert_eq!(c.status, CaseStatus::Error, "{c:#?}");
    let error = c.steps[0].error.as_deref().unwrap_or("");
    assert!(error.contains("not well-formed XML"), "{error}");
    assert!(
        reports.path().join("junit.xml").is_file() && reports.path().join("report.html").is_file()
    );
}

/// A loopback server that accepts connections and never answers (a hung server); the receiver
/// gets a message when the first connection arrives.
fn silent_server() -> (String, std::sync::mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().expect("addr")
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(16).flatten() {
            held.push(stream); // keep the socket open, say nothing
            let _ = tx.send(());
        }
    });
    (url, rx)
}

#[test]
fn ctrl_c_finishes_the_running_case_skips_the_rest_and_still_writes_reports() {
    let (url, first_request) = silent_server();
    let reports = TempDir::new("runner-interrupt");
    let cases = fixture("runner/mixed");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ews-conformance"))
        .env_remove("EWS_BLESS") // never record into the fixtures
        .args([
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
        ])
        .args([
            "--endpoint",
            &url,
            "--auth",
            "none",
            "--var",
            "mailbox=a@b.c",
            "--timeout",
            "2s",
        ])
        .args(["--test-threads", "1", "--skip", "does_not_load"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    first_request
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the first case reached the server");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let report = read_report(reports.path());
    assert!(
        report.interrupted,
        "the report says the run was interrupted"
    );
    // The case in flight finished (with the request timeout); nothing started after Ctrl-C,
    // and every selected case that did not start is in the report as not run.
    let ran: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| !c.steps.is_empty())
        .collect();
    assert_eq!(ran.len(), 1, "{report:#?}");
    assert_eq!(ran[0].status, CaseStatus::Error);
    for c in report.cases.iter().filter(|c| c.steps.is_empty()) {
        assert_eq!(c.status, CaseStatus::Ignored, "{c:#?}");
        assert!(
            c.reason.as_deref().unwrap_or("").starts_with("not run"),
            "{c:#?}"
        );
    }
    assert!(
        ran[0].steps[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("timed out"),
        "{report:#?}"
    );
    assert!(
        reports.path().join("junit.xml").is_file() && reports.path().join("report.html").is_file()
    );
}

#[test]
fn the_whole_run_timeout_reports_what_finished_and_fails_the_run() {
    let reports = TempDir::new("runner-run-timeout");
    let out = run_fixture("runner/good", &["--run-timeout", "0s"], reports.path());
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let report = read_report(reports.path());
    assert!(report.interrupted);
    let c = case(&report, "im/add_and_remove_group");
    assert_eq!(
        (c.status, c.steps.len()),
        (CaseStatus::Ignored, 0),
        "no case started after the deadline, and it is reported as not run: {report:#?}"
    );
    assert_eq!(
        c.reason.as_deref(),
        Some("not run: the run was interrupted or hit its time limit")
    );
}

#[test]
fn a_case_needing_a_variable_the_target_lacks_is_ignored_with_the_fix_and_its_cleanup_runs() {
    use ews_conformance::reference_server::{self, ServerConfig};
    let config = ServerConfig::default();
    let server = reference_server::start(config.clone()).expect("server");
    let user = &config.users[0];
    let reports = TempDir::new("runner-unconfigured");
    let url = server.url();
    let cases = fixture("runner/unconfigured");
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--endpoint",
            &url,
            "--auth",
            "basic",
        ],
        &[
            ("EWS_USERNAME", user.username.as_str()),
            ("EWS_PASSWORD", user.password.as_str()),
        ],
    );
    let text = all_output(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "an unconfigured variable does not fail the run: {text}"
    );
    let report = read_report(reports.path());
    let c = case(&report, "im/needs_impersonation_target");
    assert_eq!(c.status, CaseStatus::Ignored, "{c:#?}");
    let reason = c.reason.as_deref().unwrap_or("");
    assert!(
        reason.contains("`impersonation_target`") && reason.contains("--var impersonation_target="),
        "{reason}"
    );
    assert!(
        text.contains("impersonation_target"),
        "the terminal says why: {text}"
    );
    assert_eq!(c.steps[0].status, StepStatus::Pass);
    assert_eq!(c.steps[1].status, StepStatus::Skipped);
    let cleanup = c.steps.last().expect("cleanup step");
    assert_eq!(
        (cleanup.phase, cleanup.status),
        (StepPhase::Cleanup, StepStatus::Pass),
        "{cleanup:#?}"
    );
    server.shutdown();
}

/// A loopback EWS stand-in: answers every request with HTTP 200, `text/xml` and `body`, and sends
/// each request body it received on the channel (so a test knows what reached the server).
fn recording_server(body: &'static str) -> (String, std::sync::mpsc::Receiver<String>) {
    canned_server("Content-Type: text/xml; charset=utf-8\r\n", body)
}

/// Like [`recording_server`] with the given header lines (each ending in CRLF).
fn canned_server(
    headers: &'static str,
    body: &'static str,
) -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().expect("addr")
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(32).flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
            let Some(request) = read_http_request(&mut stream) else {
                continue;
            };
            let _ = tx.send(request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, rx)
}

/// Reads one HTTP/1.1 request and returns its body as text.
fn read_http_request(stream: &mut std::net::TcpStream) -> Option<String> {
    crate::support::read_http_request(stream).map(|request| request.body)
}

const ADD_GROUP_RESPONSE: &str = concat!(
    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#,
    r#"<AddImGroupResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages" ResponseClass="Success">"#,
    r#"<ResponseCode>NoError</ResponseCode><ImGroup xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">"#,
    r#"<t:DisplayName>g</t:DisplayName><t:GroupType>IPM.DistList.MOC.UserGroup</t:GroupType>"#,
    r#"<t:ExchangeStoreId Id="AAMkAQEAAAAAAAV3Lg==" ChangeKey="EgAAAAAAAAE="/></ImGroup>"#,
    r#"</AddImGroupResponse></s:Body></s:Envelope>"#
);

/// Regression ("a verdict is never greener than the truth"): a panic inside a case used to leave
/// `cases: []`, `tests="0"` and exit 0, with the cleanups never run.
#[test]
fn a_panic_inside_a_case_is_an_error_in_every_report_its_cleanup_runs_and_the_run_exits_1() {
    let (url, requests) = recording_server(ADD_GROUP_RESPONSE);
    let reports = TempDir::new("runner-panic");
    let cases = fixture("runner/panic");
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--endpoint",
            &url,
            "--auth",
            "none",
            "--var",
            "mailbox=a@example.com",
        ],
        &[(
            ews_conformance::runner::guard::INJECT_PANIC_ENV,
            "the harness panics here",
        )],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");

    // The server saw the create, then the cleanup (the panicking step sent nothing).
    let seen: Vec<String> = requests.try_iter().collect();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    assert!(seen[0].contains("AddImGroup"), "{}", seen[0]);
    assert!(
        seen[1].contains("RemoveImGroup") && seen[1].contains("AAMkAQEAAAAAAAV3Lg=="),
        "the cleanup request reached the server with the bound id: {}",
        seen[1]
    );

    // JSON: one error result carrying the panic message and its location.
    let report = read_report(reports.path());
    assert_eq!(report.cases.len(), 1, "{report:#?}");
    let c = case(&report, "im/panic_then_cleanup");
    assert_eq!(c.status, CaseStatus::Error, "{c:#?}");
    let panicked = &c.steps[1];
    assert_eq!(panicked.status, StepStatus::Error);
    let error = panicked.error.as_deref().unwrap_or("");
    assert!(
        error.contains("harness bug: panicked at ")
            && error.contains("guard.rs:")
            && error.contains("self-test panic injected into step `the harness panics here`"),
        "{error}"
    );
    let cleanup = c.steps.last().expect("cleanup step");
    assert_eq!(
        (cleanup.phase, cleanup.status),
        (StepPhase::Cleanup, StepStatus::Pass),
        "{cleanup:#?}"
    );

    // JUnit: one test, one error, naming the panic.
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains(r#"tests="1""#) && junit.contains(r#"errors="1""#),
        "{junit}"
    );
    assert!(junit.contains("<error") && junit.contains("self-test panic injected"));
    // HTML and the terminal name it too.
    let html = std::fs::read_to_string(reports.path().join("report.html")).unwrap();
    assert!(html.contains("panic_then_cleanup") && html.contains("self-test panic injected"));
    assert!(text.contains("self-test panic injected"), "{text}");
}

/// Regression: an `expect_file` starting with a UTF-8 BOM panicked in `wrap_expected` (a byte
/// index inside the BOM). It is now read like any other sidecar.
#[test]
fn a_sidecar_expectation_with_a_bom_passes_instead_of_panicking() {
    let reports = TempDir::new("runner-bom");
    let out = run_fixture("runner/bom_sidecar", &[], reports.path());
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    let report = read_report(reports.path());
    let c = case(&report, "im/bom_sidecar");
    assert_eq!(c.status, CaseStatus::Pass, "{c:#?}");
    assert_eq!(c.steps.len(), 2, "the create step and its cleanup ran");
}

/// Runs a `runner/headers/...` fixture against a canned server; returns the exit code and the
/// one step's result.
fn run_against_canned(
    fixture_dir: &str,
    headers: &'static str,
    body: &'static str,
) -> (Option<i32>, ews_conformance::report::StepResult, String) {
    let (url, _requests) = canned_server(headers, body);
    let reports = TempDir::new("runner-headers");
    let cases = fixture(fixture_dir);
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--endpoint",
            &url,
            "--auth",
            "none",
            "--var",
            "mailbox=alice@example.com",
        ],
        &[],
    );
    let report = read_report(reports.path());
    assert_eq!(report.cases.len(), 1, "{report:#?}");
    let step = report.cases[0].steps[0].clone();
    (out.status.code(), step, all_output(&out))
}

fn header_mismatch<'a>(
    step: &'a ews_conformance::report::StepResult,
    header: &str,
) -> &'a ews_conformance::report::MismatchRecord {
    step.mismatches
        .iter()
        .find(|m| m.kind == "http-header" && m.expected_path == format!("HTTP header {header}"))
        .unwrap_or_else(|| panic!("a mismatch for header {header}: {step:#?}"))
}

#[test]
fn a_response_that_is_not_text_xml_fails_the_case_as_a_non_conformance() {
    for media in [
        "text/html; charset=utf-8",
        "application/soap+xml; charset=utf-8",
    ] {
        let headers: &'static str =
            Box::leak(format!("Content-Type: {media}\r\n").into_boxed_str());
        let (code, step, text) =
            run_against_canned("runner/headers/strict", headers, ADD_GROUP_RESPONSE);
        assert_eq!(code, Some(1), "{text}");
        assert_eq!(
            step.status,
            StepStatus::Fail,
            "a failure, not an error: {step:#?}"
        );
        let m = header_mismatch(&step, "Content-Type");
        assert_eq!(m.expected.as_deref(), Some("text/xml"));
        assert_eq!(m.actual.as_deref(), Some(media));
        assert!(
            text.contains("HTTP header Content-Type [http-header]")
                && text.contains("expected: text/xml")
                && text.contains(&format!("actual:   {media}")),
            "the terminal names the header with both values: {text}"
        );
    }
}

#[test]
fn a_missing_content_type_fails_and_text_xml_passes() {
    let (code, step, text) = run_against_canned("runner/headers/strict", "", ADD_GROUP_RESPONSE);
    assert_eq!(code, Some(1), "{text}");
    let m = header_mismatch(&step, "Content-Type");
    assert_eq!(m.actual, None);
    let (code, step, text) = run_against_canned(
        "runner/headers/strict",
        "content-type: Text/XML\r\n",
        ADD_GROUP_RESPONSE,
    );
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(step.status, StepStatus::Pass, "{step:#?}");
}

const ADD_GROUP_RESPONSE_DECLARED_UTF8: &str = concat!(
    r#"<?xml version="1.0" encoding="utf-8"?>"#,
    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#,
    r#"<AddImGroupResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages" ResponseClass="Success">"#,
    r#"<ResponseCode>NoError</ResponseCode></AddImGroupResponse></s:Body></s:Envelope>"#
);

#[test]
fn a_charset_contradicting_the_xml_declaration_fails_with_both_values() {
    let (code, step, text) = run_against_canned(
        "runner/headers/strict",
        "Content-Type: text/xml; charset=iso-8859-1\r\n",
        ADD_GROUP_RESPONSE_DECLARED_UTF8,
    );
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(step.status, StepStatus::Fail, "{step:#?}");
    let m = header_mismatch(&step, "Content-Type");
    assert_eq!(m.actual.as_deref(), Some("charset=iso-8859-1"));
    assert_eq!(
        m.expected.as_deref(),
        Some("charset=utf-8 (the XML declaration)")
    );
    assert!(m.message.contains("RFC 7303"), "{}", m.message);
    // The same labels agreeing pass.
    let (code, _, text) = run_against_canned(
        "runner/headers/strict",
        "Content-Type: text/xml; charset=UTF-8\r\n",
        ADD_GROUP_RESPONSE_DECLARED_UTF8,
    );
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn expect_headers_are_checked_entry_by_entry_with_expected_and_actual() {
    // Every entry satisfied: the stated Content-Type replaces the text/xml default.
    let (code, step, text) = run_against_canned(
        "runner/headers/declared",
        "Content-Type: application/soap+xml; charset=utf-8\r\nX-Request-Id: 42\r\nX-Mailbox: alice@example.com\r\n",
        ADD_GROUP_RESPONSE,
    );
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(step.status, StepStatus::Pass, "{step:#?}");

    // Every entry violated: four mismatches, each naming its header.
    let (code, step, text) = run_against_canned(
        "runner/headers/declared",
        "Content-Type: text/xml\r\nX-Powered-By: ASP.NET\r\nX-Mailbox: bob@example.com\r\n",
        ADD_GROUP_RESPONSE,
    );
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(step.status, StepStatus::Fail);
    let ct = header_mismatch(&step, "Content-Type");
    assert_eq!(ct.actual.as_deref(), Some("text/xml"));
    assert!(
        ct.expected
            .as_deref()
            .unwrap_or("")
            .contains("application/soap"),
        "{ct:#?}"
    );
    let id = header_mismatch(&step, "x-request-id");
    assert_eq!(id.actual, None);
    let powered = header_mismatch(&step, "X-Powered-By");
    assert_eq!(
        (powered.expected.as_deref(), powered.actual.as_deref()),
        (Some("absent"), Some("ASP.NET"))
    );
    let mailbox = header_mismatch(&step, "X-Mailbox");
    assert_eq!(
        (mailbox.expected.as_deref(), mailbox.actual.as_deref()),
        (Some("alice@example.com"), Some("bob@example.com"))
    );
    assert!(
        mailbox
            .location
            .as_deref()
            .unwrap_or("")
            .contains("declared_headers.yaml:12:19"),
        "the position of the expectation: {mailbox:#?}"
    );
}

#[test]
fn the_report_shows_the_request_headers_actually_sent_including_target_headers() {
    let (url, _requests) = recording_server(ADD_GROUP_RESPONSE);
    let reports = TempDir::new("runner-sent-headers");
    let cases = fixture("runner/headers/strict");
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--endpoint",
            &url,
            "--auth",
            "basic",
            "--username",
            "alice",
            "--header",
            "X-AnchorMailbox: alice@example.com",
            "--var",
            "mailbox=alice@example.com",
        ],
        &[("EWS_PASSWORD", "s3cret-pw")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let report = read_report(reports.path());
    let sent = &report.cases[0].steps[0]
        .request
        .as_ref()
        .expect("request recorded")
        .headers;
    let get = |name: &str| {
        sent.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        get("x-anchormailbox"),
        Some("alice@example.com"),
        "{sent:?}"
    );
    assert_eq!(get("authorization"), Some("Basic ***"), "{sent:?}");
    assert_eq!(
        get("soapaction").map(|v| v.contains("AddImGroup")),
        Some(true)
    );
    let json = std::fs::read_to_string(reports.path().join("report.json")).unwrap();
    assert!(!json.contains("s3cret-pw"));
}

#[test]
fn a_file_with_three_errors_is_one_failing_trial_listing_all_three_and_yml_runs_like_yaml() {
    let dir = TempDir::new("runner-n-errors");
    let im = dir.path().join("im");
    std::fs::create_dir_all(&im).unwrap();
    std::fs::write(
        im.join("broken.yaml"),
        "title: t\noperation: AddImGroup\nsince: Exchange2013\nsteps:\n  - name: s\n    body: <m:AddImGroup/>\n    expext: x\n    captur: {}\n    statuss: 200\n",
    )
    .unwrap();
    std::fs::copy(
        fixture("runner/good/im/add_and_remove_group.yaml"),
        im.join("good.yml"),
    )
    .unwrap();
    let reports = TempDir::new("runner-n-errors-reports");
    let out = run_bin(
        &[
            "--cases",
            dir.path().to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--test-threads",
            "1",
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert_eq!(
        stdout.matches("im/broken ... FAILED").count(),
        1,
        "one trial for the file: {stdout}"
    );
    assert!(
        stdout.contains("test result: FAILED. 1 passed; 1 failed"),
        "{stdout}"
    );
    let report = read_report(reports.path());
    assert_eq!(report.cases.len(), 2, "{report:#?}");
    let broken = case(&report, "im/broken");
    assert_eq!(broken.status, CaseStatus::Error);
    let reason = broken.reason.as_deref().unwrap_or("");
    assert!(reason.starts_with("3 errors in this case file"), "{reason}");
    for key in ["`expext`", "`captur`", "`statuss`"] {
        assert!(reason.contains(key), "{key} in {reason}");
    }
    assert_eq!(case(&report, "im/good").status, CaseStatus::Pass);
}

/// `ews-conformance | head` with the reader gone before the start: libtest cannot print and
/// stops before running anything. Every selected case is still in the reports, as an error
/// saying why, and the run fails (1, or 2 with load errors), never a panic's 101 and never 0.
#[test]
fn a_run_into_a_closed_stdout_reports_every_case_and_never_exits_green() {
    for (dir, code) in [("runner/good", 1), ("runner/mixed", 2)] {
        let reports = TempDir::new("runner-closed-stdout");
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ews-conformance"))
            .env_remove("EWS_BLESS") // never record into the fixtures
            .args(["--cases", fixture(dir).to_str().unwrap()])
            .args(["--reports", reports.path().to_str().unwrap()])
            .env("NO_COLOR", "1")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{dir}: {stderr}");
        assert_eq!(
            stderr.matches("error: the test runner stopped").count(),
            1,
            "{stderr}"
        );
        let report = read_report(reports.path());
        let on_disk = std::fs::read_dir(fixture(dir).join("im")).unwrap().count();
        assert_eq!(report.cases.len(), on_disk, "{dir}: {report:#?}");
        for c in &report.cases {
            assert_eq!(c.status, CaseStatus::Error, "{c:#?}");
            let reason = c.reason.as_deref().unwrap_or("");
            if c.id == "im/does_not_load" {
                // A load error is known before the run: its diagnostic is kept.
                assert!(reason.contains("error: "), "{c:#?}");
            } else {
                assert!(reason.contains("Broken pipe"), "{c:#?}");
            }
        }
    }
}
