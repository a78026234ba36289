//! Servers side by side: the trace header every request carries, servers that implement a
//! subset of the operations (`unsupported`), and `compare` of two servers, each over real
//! loopback HTTP (127.0.0.1 only).

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;

use crate::support::{TempDir, all_output, read_report, run_bin};

/// One request a loopback server received: its header lines and body.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback server that answers every request with `status`, `content_type` and `body`, and
/// sends each request it received (headers and body) on the channel.
fn header_recorder(
    status: &'static str,
    content_type: &'static str,
    body: &'static str,
) -> (String, std::sync::mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().expect("addr")
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().take(64).flatten() {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
            let Some(request) = read_request(&mut stream) else {
                continue;
            };
            let _ = tx.send(request);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, rx)
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Received> {
    let request = crate::support::read_http_request(stream)?;
    Some(Received {
        headers: request.headers,
        body: request.body,
    })
}

/// A SOAP envelope with an empty-but-successful GetImItemList response.
const OK_RESPONSE: &str = concat!(
    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#,
    r#"<GetImItemListResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages" ResponseClass="Success">"#,
    r#"<ResponseCode>NoError</ResponseCode></GetImItemListResponse></s:Body></s:Envelope>"#
);

/// Writes `files` (relative path, text) under `dir`.
fn write_cases(dir: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write case");
    }
}

/// Two steps (the second with two cleanups) and one case-level cleanup: five requests.
const TRACE_CASE: &str = r#"
title: trace labels for steps and cleanups
operation: GetImItemList
since: Exchange2013
steps:
  - name: first
    body: <m:GetImItemList/>
  - name: second
    body: <m:GetImItemList/>
    cleanup:
      - body: <m:GetImItemList/>
      - body: <m:GetImItemList/>
cleanup:
  - body: <m:GetImItemList/>
"#;

fn received_all(rx: &std::sync::mpsc::Receiver<Received>) -> Vec<Received> {
    rx.try_iter().collect()
}

#[test]
fn every_request_names_its_case_and_step_in_the_trace_header() {
    let cases = TempDir::new("trace-cases");
    write_cases(cases.path(), &[("fam/traced.yaml", TRACE_CASE)]);
    let cases_arg = cases.path().to_str().unwrap();

    // Default name.
    let (url, rx) = header_recorder("200 OK", "text/xml; charset=utf-8", OK_RESPONSE);
    let out = run_bin(
        &[
            "--cases",
            cases_arg,
            "--no-reports",
            "--endpoint",
            &url,
            "--test-threads",
            "1",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let got: Vec<String> = received_all(&rx)
        .iter()
        .map(|r| {
            r.header("X-EWS-Conformance-Case")
                .unwrap_or_else(|| panic!("no trace header in {r:?}"))
                .to_string()
        })
        .collect();
    // Step cleanups run last registered first, then the case cleanups.
    assert_eq!(
        got,
        [
            "fam/traced#1",
            "fam/traced#2",
            "fam/traced#2/cleanup2",
            "fam/traced#2/cleanup1",
            "fam/traced#cleanup1",
        ]
    );

    // A chosen name, and the report shows it among the headers sent.
    let reports = TempDir::new("trace-reports");
    let (url, rx) = header_recorder("200 OK", "text/xml; charset=utf-8", OK_RESPONSE);
    let out = run_bin(
        &[
            "--cases",
            cases_arg,
            "--reports",
            reports.path().to_str().unwrap(),
            "--endpoint",
            &url,
            "--trace-header",
            "X-Request-Origin",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let got = received_all(&rx);
    assert_eq!(got.len(), 5);
    assert!(
        got.iter()
            .all(|r| r.header("X-EWS-Conformance-Case").is_none())
    );
    assert_eq!(got[0].header("X-Request-Origin"), Some("fam/traced#1"));
    let report = read_report(reports.path());
    let sent = report.cases[0].steps[0].request.as_ref().expect("request");
    assert!(
        sent.headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("x-request-origin") && v == "fam/traced#1"),
        "{:?}",
        sent.headers
    );

    // Off.
    let (url, rx) = header_recorder("200 OK", "text/xml; charset=utf-8", OK_RESPONSE);
    let out = run_bin(
        &[
            "--cases",
            cases_arg,
            "--no-reports",
            "--endpoint",
            &url,
            "--no-trace-header",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let got = received_all(&rx);
    assert_eq!(got.len(), 5);
    for r in &got {
        assert!(
            !r.headers.iter().any(|(_, v)| v.contains("fam/traced")),
            "no header names the case: {r:?}"
        );
        assert!(r.body.contains("GetImItemList"));
    }
}

#[test]
fn the_trace_header_is_set_or_switched_off_in_the_target_profile() {
    let cases = TempDir::new("trace-profile-cases");
    write_cases(cases.path(), &[("fam/traced.yaml", TRACE_CASE)]);
    let (url, rx) = header_recorder("200 OK", "text/xml; charset=utf-8", OK_RESPONSE);
    let profile_dir = TempDir::new("trace-profile");
    let profile = profile_dir.path().join("target.yaml");
    std::fs::write(
        &profile,
        format!("endpoint: {url}\ntrace_header: X-From-Profile\n"),
    )
    .unwrap();
    let out = run_bin(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--no-reports",
            "--target",
            profile.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let got = received_all(&rx);
    assert_eq!(got[1].header("X-From-Profile"), Some("fam/traced#2"));

    let (url, rx) = header_recorder("200 OK", "text/xml; charset=utf-8", OK_RESPONSE);
    std::fs::write(&profile, format!("endpoint: {url}\ntrace_header: false\n")).unwrap();
    let out = run_bin(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--no-reports",
            "--target",
            profile.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let got = received_all(&rx);
    assert_eq!(got.len(), 5);
    assert!(
        got.iter()
            .all(|r| r.header("X-EWS-Conformance-Case").is_none())
    );

    // A bad name is a configuration error, exit 2, naming the value.
    let out = run_bin(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--no-reports",
            "--endpoint",
            &url,
            "--trace-header",
            "Bad Name",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(all_output(&out).contains("`Bad Name` is not a valid HTTP header name"));
}

/// The IM operations the subset server below does not implement.
const DISABLED: [&str; 4] = [
    "SetImGroup",
    "GetImItems",
    "AddDistributionGroupToImList",
    "RemoveDistributionGroupFromImList",
];

/// The ids of the repository's cases that send any of `ops` in a step or cleanup, read from the
/// loaded cases (not from the runner).
fn cases_sending(ops: &[&str]) -> std::collections::BTreeSet<String> {
    use ews_conformance::target::vars;
    let mut known: std::collections::BTreeSet<String> =
        vars::ALL.iter().map(|s| s.to_string()).collect();
    known.insert(vars::RUN_ID.to_string());
    let loaded =
        ews_conformance::case::load_dir(&crate::support::repo_root().join("cases"), &known);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let sends = |s: &ews_conformance::case::Step| {
        s.operation.as_deref().is_some_and(|op| ops.contains(&op))
    };
    loaded
        .cases
        .iter()
        .filter(|c| {
            c.ignore.is_none()
                && c.steps
                    .iter()
                    .chain(&c.cleanup)
                    .any(|s| sends(s) || s.cleanup.iter().any(sends))
        })
        .map(|c| c.id.clone())
        .collect()
}

/// `--endpoint` arguments for a running reference server (its variables, basic auth).
fn endpoint_args(
    server: &ews_conformance::reference_server::RunningServer,
    config: &ews_conformance::reference_server::ServerConfig,
) -> Vec<String> {
    let mut args = vec![
        "--endpoint".to_string(),
        server.url(),
        "--auth".into(),
        "basic".into(),
    ];
    for (k, v) in config.target_variables() {
        args.extend(["--var".to_string(), format!("{k}={v}")]);
    }
    args
}

#[test]
fn a_server_without_some_operations_reports_their_cases_unsupported_once_per_operation() {
    use ews_conformance::reference_server::{self, ServerConfig};
    use ews_conformance::report::CaseStatus;

    let config = ServerConfig {
        disabled_operations: DISABLED.iter().map(|s| s.to_string()).collect(),
        ..ServerConfig::default()
    };
    let server = reference_server::start(config.clone()).expect("server");
    let reports = TempDir::new("unsupported");
    let cases = crate::support::repo_root().join("cases");
    let mut args: Vec<String> = vec![
        "--cases".into(),
        cases.display().to_string(),
        "--reports".into(),
        reports.path().display().to_string(),
    ];
    args.extend(endpoint_args(&server, &config));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let creds = [
        ("EWS_USERNAME", "alice"),
        ("EWS_PASSWORD", "alice-password"),
    ];
    let out = run_bin(&argv, &creds);
    let text = all_output(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "unsupported alone does not fail: {text}"
    );

    let report = read_report(reports.path());
    let expected = cases_sending(&DISABLED);
    assert!(
        expected.len() >= 8,
        "the switch affects many cases: {expected:?}"
    );
    let unsupported: std::collections::BTreeSet<String> = report
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Unsupported)
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(unsupported, expected);
    for case in &report.cases {
        if case.status == CaseStatus::Unsupported {
            let op = case.unsupported.as_deref().expect("names the operation");
            assert!(DISABLED.contains(&op), "{op}");
            let reason = case.reason.as_deref().unwrap_or("");
            assert!(
                reason.contains(&format!("does not implement {op}"))
                    && reason.contains("ErrorInvalidOperation"),
                "{reason}"
            );
        } else {
            assert!(
                matches!(case.status, CaseStatus::Pass | CaseStatus::Ignored),
                "{} is {:?}: the rest of the suite is unaffected",
                case.id,
                case.status
            );
        }
    }

    // One summary line per operation, and one note per operation while running.
    for op in DISABLED {
        let summary_lines = text
            .lines()
            .filter(|l| l.trim_start().starts_with("unsup") && l.contains(&format!(" {op} ")))
            .count();
        assert_eq!(summary_lines, 1, "one summary line for {op}:\n{text}");
        let notes = text
            .lines()
            .filter(|l| l.starts_with("note:") && l.contains(&format!("does not implement {op} ")))
            .count();
        assert_eq!(notes, 1, "one note for {op}:\n{text}");
    }
    assert!(!text.contains("failures:"), "no case is a failure: {text}");

    // The HTML page: one line per operation.
    let html = std::fs::read_to_string(reports.path().join("report.html")).unwrap();
    let at = html
        .find("id=\"unsupported\"")
        .expect("the unsupported list");
    let list = &html[at..at + html[at..].find("</ul>").unwrap()];
    for op in DISABLED {
        assert_eq!(
            list.matches(&format!("<li data-op=\"{op}\">")).count(),
            1,
            "{list}"
        );
    }
    assert_eq!(list.matches("<li").count(), DISABLED.len(), "{list}");

    // JUnit: skipped with the reason.
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    let some = expected.iter().next().unwrap();
    let at = junit.find(&format!("name=\"{some}\"")).expect("testcase");
    let rest = &junit[at..junit[at..]
        .find("</testcase>")
        .map_or(junit.len(), |e| at + e)];
    assert!(
        rest.contains("<skipped") && rest.contains("unsupported"),
        "{rest}"
    );

    // --fail-on-unsupported makes the same run fail.
    let mut strict = argv.clone();
    strict.push("--fail-on-unsupported");
    strict.push("--no-reports");
    let strict: Vec<&str> = strict
        .into_iter()
        .filter(|a| *a != "--reports" && *a != reports.path().to_str().unwrap())
        .collect();
    let out = run_bin(&strict, &creds);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    server.shutdown();
}

#[test]
fn a_profile_listing_the_implemented_operations_sends_nothing_for_the_others() {
    use ews_conformance::reference_server::{self, ServerConfig};
    use ews_conformance::report::CaseStatus;

    let config = ServerConfig::default();
    let server = reference_server::start(config.clone()).expect("server");
    // Every operation the server implements (IM, folders, ids, ...) except the disabled ones.
    let implemented: Vec<&str> = reference_server::registry::implemented_operations()
        .map(|r| r.name)
        .filter(|op| !DISABLED.contains(op))
        .collect();
    let dir = TempDir::new("operations-profile");
    let profile = dir.path().join("target.yaml");
    std::fs::write(
        &profile,
        format!("operations: [{}]\n", implemented.join(", ")),
    )
    .unwrap();
    let reports = TempDir::new("operations-reports");
    let cases = crate::support::repo_root().join("cases");
    let mut args: Vec<String> = vec![
        "--cases".into(),
        cases.display().to_string(),
        "--reports".into(),
        reports.path().display().to_string(),
        "--target".into(),
        profile.display().to_string(),
    ];
    args.extend(endpoint_args(&server, &config));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_bin(
        &argv,
        &[
            ("EWS_USERNAME", "alice"),
            ("EWS_PASSWORD", "alice-password"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let report = read_report(reports.path());
    let unsupported: std::collections::BTreeSet<String> = report
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Unsupported)
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(unsupported, cases_sending(&DISABLED));
    for case in report
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Unsupported)
    {
        assert!(case.steps.is_empty(), "{}: nothing was sent", case.id);
        assert!(
            case.reason
                .as_deref()
                .unwrap_or("")
                .contains("nothing was sent")
        );
    }
    server.shutdown();
}

/// Whether the `wrong-child-order` quirk changes a response, judged from the conforming
/// server's raw body with plain text checks (independent of the XML engine): error response
/// messages swap `MessageText` and `ResponseCode`, `ImGroup`s swap `DisplayName` and
/// `GroupType`, `Persona`s swap `PersonaId` and `PersonaType`.
fn wrong_child_order_changes(body: &str) -> bool {
    let has = |s: &str| body.contains(s);
    ((has("ResponseClass=\"Error\"") || has("ResponseClass=\"Warning\""))
        && has("MessageText>")
        && has("ResponseCode>"))
        || (has("ImGroup>") && has("DisplayName>") && has("GroupType>"))
        || (has("Persona>") && has("PersonaId") && has("PersonaType>"))
}

#[test]
fn compare_of_a_server_and_its_wrong_child_order_twin_reports_exactly_the_steps_that_differ() {
    use ews_conformance::compare::{CompareReport, StepVerdict};
    use ews_conformance::reference_server::{self, Quirk, ServerConfig};

    let plain_config = ServerConfig::default();
    let quirky_config = ServerConfig {
        quirks: vec![Quirk::WrongChildOrder],
        ..ServerConfig::default()
    };
    let plain = reference_server::start(plain_config.clone()).expect("server");
    let quirky = reference_server::start(quirky_config).expect("server");
    let reports = TempDir::new("compare");
    let cases = crate::support::repo_root().join("cases");
    let mut args: Vec<String> = vec![
        "compare".into(),
        "--cases".into(),
        cases.display().to_string(),
        "--reports".into(),
        reports.path().display().to_string(),
        "--endpoint".into(),
        plain.url(),
        "--endpoint".into(),
        quirky.url(),
        "--auth".into(),
        "basic".into(),
    ];
    for (k, v) in plain_config.target_variables() {
        args.extend(["--var".to_string(), format!("{k}={v}")]);
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_bin(
        &argv,
        &[
            ("EWS_USERNAME", "alice"),
            ("EWS_PASSWORD", "alice-password"),
        ],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "differences exit 1: {text}");

    let json = std::fs::read_to_string(reports.path().join("compare.json")).expect("compare.json");
    let report: CompareReport = serde_json::from_str(&json).expect("compare.json parses");
    assert!(
        report.cases.len() >= 60,
        "the whole suite ran on both sides"
    );
    // Steps that ignore `m:MessageText` (codes whose text Exchange does not document) cannot
    // see the quirk's MessageText/ResponseCode swap: the compare honours the step's options.
    let known = plain_config.target_variables().into_keys().collect();
    let loaded = ews_conformance::case::load_dir(&cases, &known);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let ignores_message_text = |case_id: &str, step_name: &str| {
        loaded
            .cases
            .iter()
            .filter(|c| c.id == case_id)
            .flat_map(|c| c.steps.iter().chain(&c.cleanup))
            .filter(|s| s.name == step_name)
            .any(|s| {
                s.options
                    .compare
                    .ignore
                    .iter()
                    .any(|p| p.to_string().contains("MessageText"))
            })
    };
    let mut expected = std::collections::BTreeSet::new();
    let mut found = std::collections::BTreeSet::new();
    for case in &report.cases {
        for step in &case.steps {
            let key = format!("{}#{}", case.id, step.index);
            let a = step
                .a
                .response
                .as_ref()
                .expect("side A answered every step");
            if wrong_child_order_changes(&a.body) && !ignores_message_text(&case.id, &step.name) {
                expected.insert(key.clone());
            }
            if step.verdict != StepVerdict::Same {
                assert_eq!(step.verdict, StepVerdict::Differ, "{key}");
                let b = step.b.response.as_ref().expect("both bodies are reported");
                assert!(!a.body.is_empty() && !b.body.is_empty(), "{key}");
                assert!(
                    step.differences.iter().all(|d| d.kind == "order"),
                    "{key}: only the order differs (ids, keys, timestamps masked): {:?}",
                    step.differences
                );
                assert!(step.diff.is_some(), "{key}");
                found.insert(key);
            }
        }
    }
    assert!(
        expected.len() >= 40,
        "the quirk affects many steps: {}",
        expected.len()
    );
    assert_eq!(found, expected);
    assert!(
        text.contains(&format!(
            "{} of {} step(s) differ",
            found.len(),
            report.step_count()
        )),
        "{text}"
    );

    // The HTML page shows each differing step with both responses side by side.
    let html = std::fs::read_to_string(reports.path().join("compare.html")).unwrap();
    assert_eq!(html.matches("<table class=\"sides\">").count(), found.len());
    assert!(html.contains(&format!("<span id=\"differing\">{}</span>", found.len())));
    // JUnit: a failure per differing case.
    let junit = std::fs::read_to_string(reports.path().join("compare-junit.xml")).unwrap();
    let cases_differing = report.cases.iter().filter(|c| c.differs()).count();
    assert_eq!(junit.matches("<failure").count(), cases_differing);

    plain.shutdown();
    quirky.shutdown();
}

#[test]
fn compare_of_two_conforming_servers_finds_nothing_and_bad_sides_are_usage_errors() {
    let cases = crate::support::repo_root().join("cases");
    let cases = cases.to_str().unwrap();
    let out = run_bin(
        &[
            "compare",
            "--cases",
            cases,
            "--no-reports",
            "--endpoint",
            "embedded",
            "--endpoint",
            "embedded",
        ],
        &[],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("0 of "), "{text}");

    let out = run_bin(
        &["compare", "--cases", cases, "--endpoint", "embedded"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        all_output(&out).contains("exactly two sides"),
        "{}",
        all_output(&out)
    );
    let out = run_bin(
        &[
            "compare",
            "--cases",
            cases,
            "--endpoint",
            "embedded",
            "--endpoint",
            "embedded:no-such-quirk",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
}

/// A one-step GetImItemList case that expects success.
const ONE_STEP_CASE: &str = r#"
title: one GetImItemList
operation: GetImItemList
since: Exchange2013
steps:
  - name: list
    body: <m:GetImItemList/>
    expect: |
      <m:GetImItemListResponse ResponseClass="Success">
        <m:ResponseCode>NoError</m:ResponseCode>
      </m:GetImItemListResponse>
"#;

/// A one-step case that provokes ErrorInvalidRequest on purpose and expects it.
const EXPECTS_INVALID_REQUEST: &str = r#"
title: a request the server must refuse as invalid
operation: GetImItemList
since: Exchange2013
steps:
  - name: refused
    body: <m:GetImItemList/>
    fault: { response_code: ErrorInvalidRequest }
    expect: <soap:Fault>{{ignore}}</soap:Fault>
"#;

/// A one-step case that expects ErrorSchemaValidation for a malformed request.
const EXPECTS_SCHEMA_FAULT: &str = r#"
title: a malformed request is ErrorSchemaValidation
operation: GetImItemList
since: Exchange2013
steps:
  - name: malformed
    body: <m:GetImItemList><m:Bogus/></m:GetImItemList>
    fault: { response_code: ErrorSchemaValidation }
"#;

const INVALID_REQUEST_FAULT: &str = concat!(
    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>"#,
    r#"<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorInvalidRequest</faultcode>"#,
    r#"<faultstring xml:lang="en-US">The request is invalid.</faultstring><detail>"#,
    r#"<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorInvalidRequest</e:ResponseCode>"#,
    r#"<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The request is invalid.</e:Message>"#,
    r#"</detail></s:Fault></s:Body></s:Envelope>"#
);

#[test]
fn http_501_a_non_soap_500_and_an_invalid_request_fault_mean_not_implemented() {
    use ews_conformance::report::CaseStatus;
    let cases = TempDir::new("refusals");
    write_cases(
        cases.path(),
        &[
            ("fam/one.yaml", ONE_STEP_CASE),
            ("fam/on_purpose.yaml", EXPECTS_INVALID_REQUEST),
            ("fam/schema.yaml", EXPECTS_SCHEMA_FAULT),
        ],
    );
    for (status, content_type, body, how) in [
        ("501 Not Implemented", "text/plain", "nope", "HTTP 501"),
        (
            "500 Internal Server Error",
            "text/html",
            "<html><body>Server Error</body></html>",
            "HTTP 500 with a body that is not SOAP",
        ),
        (
            "500 Internal Server Error",
            "text/xml; charset=utf-8",
            INVALID_REQUEST_FAULT,
            "SOAP fault ErrorInvalidRequest",
        ),
    ] {
        let (url, _rx) = header_recorder(status, content_type, body);
        let reports = TempDir::new("refusals-reports");
        let out = run_bin(
            &[
                "--cases",
                cases.path().to_str().unwrap(),
                "--reports",
                reports.path().to_str().unwrap(),
                "--endpoint",
                &url,
            ],
            &[],
        );
        let text = all_output(&out);
        let report = read_report(reports.path());
        let one = report.cases.iter().find(|c| c.id == "fam/one").unwrap();
        assert_eq!(one.status, CaseStatus::Unsupported, "{how}: {text}");
        assert_eq!(one.unsupported.as_deref(), Some("GetImItemList"));
        assert!(
            one.reason.as_deref().unwrap_or("").contains(how),
            "{how}: {:?}",
            one.reason
        );
        let on_purpose = report
            .cases
            .iter()
            .find(|c| c.id == "fam/on_purpose")
            .unwrap();
        let schema = report.cases.iter().find(|c| c.id == "fam/schema").unwrap();
        if how.contains("ErrorInvalidRequest") {
            // The case asked for that fault: it passes, and is not taken as "not implemented".
            assert_eq!(on_purpose.status, CaseStatus::Pass, "{text}");
            // A step expecting another fault gets a wrong one: a failure, not "unsupported".
            assert_eq!(schema.status, CaseStatus::Fail, "{text}");
            assert_eq!(out.status.code(), Some(1), "{text}");
        } else {
            assert_eq!(on_purpose.status, CaseStatus::Unsupported, "{how}: {text}");
            assert_eq!(schema.status, CaseStatus::Unsupported, "{how}: {text}");
            assert_eq!(out.status.code(), Some(0), "unsupported alone: {text}");
        }
    }

    // A SOAP fault that does not mean "not implemented" stays a failure.
    let (url, _rx) = header_recorder(
        "500 Internal Server Error",
        "text/xml; charset=utf-8",
        concat!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>"#,
            r#"<faultcode>s:Server</faultcode><faultstring>Internal error</faultstring>"#,
            r#"</s:Fault></s:Body></s:Envelope>"#
        ),
    );
    let out = run_bin(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--no-reports",
            "--endpoint",
            &url,
            "--exact",
            "fam/one",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(!all_output(&out).contains("unsupported operations"));
}

#[test]
fn the_rerun_hint_repeats_how_the_binary_was_invoked() {
    let cases = TempDir::new("rerun-cases");
    write_cases(cases.path(), &[("fam/one.yaml", ONE_STEP_CASE)]);
    let (url, _rx) = header_recorder("200 OK", "text/xml; charset=utf-8", "<wrong/>");
    let bin = env!("CARGO_BIN_EXE_ews-conformance");
    // Started as a plain binary (no cargo in the environment).
    let out = std::process::Command::new(bin)
        .args([
            "--cases",
            cases.path().to_str().unwrap(),
            "--no-reports",
            "--endpoint",
            &url,
        ])
        .env_remove("CARGO")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = all_output(&out);
    let expected = format!(
        "rerun: {bin} --cases {} --endpoint {url} --exact fam/one",
        cases.path().display()
    );
    assert!(text.contains(&expected), "{expected}\nin\n{text}");
}

#[test]
fn a_misspelt_operation_in_the_profile_is_a_configuration_error() {
    let dir = TempDir::new("operations-typo");
    let profile = dir.path().join("target.yaml");
    std::fs::write(&profile, "endpoint: http://127.0.0.1:9/EWS/Exchange.asmx\noperations: [AddImGroup, GetImItemLists]\n").unwrap();
    let out = run_bin(
        &["--target", profile.to_str().unwrap(), "--no-reports"],
        &[],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("`GetImItemLists` is not an EWS operation name"),
        "{text}"
    );
}

#[test]
fn compare_takes_a_target_profile_side_and_an_embedded_side() {
    use ews_conformance::reference_server::{self, ServerConfig};
    let config = ServerConfig::default();
    let server = reference_server::start(config.clone()).expect("server");
    let vars = config.target_variables();
    let dir = TempDir::new("compare-profile");
    let profile = dir.path().join("target.yaml");
    std::fs::write(
        &profile,
        format!(
            "endpoint: {}\nauth: basic\nmailboxes:\n  mailbox: {}\n  impersonation_target: {}\n  \
             impersonation_denied_target: {}\n  distribution_group: {}\n  \
             distribution_group_name: \"{}\"\ntrace_header: X-Side-A\n",
            server.url(),
            vars["mailbox"],
            vars["impersonation_target"],
            vars["impersonation_denied_target"],
            vars["distribution_group"],
            vars["distribution_group_name"],
        ),
    )
    .unwrap();
    let reports = TempDir::new("compare-profile-reports");
    let cases = crate::support::repo_root().join("cases");
    let out = run_bin(
        &[
            "compare",
            "im/add_im_group/",
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--target",
            profile.to_str().unwrap(),
            "--endpoint",
            "embedded",
        ],
        &[
            ("EWS_USERNAME", "alice"),
            ("EWS_PASSWORD", "alice-password"),
        ],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let report: ews_conformance::compare::CompareReport = serde_json::from_str(
        &std::fs::read_to_string(reports.path().join("compare.json")).unwrap(),
    )
    .unwrap();
    assert!(
        report
            .cases
            .iter()
            .all(|c| c.id.starts_with("im/add_im_group/"))
    );
    assert!(report.cases.len() >= 3, "{:?}", report.cases.len());
    assert_eq!(report.sides[0].target.url, server.url());
    assert!(report.sides[1].target.embedded);
    // Side A sent the profile's trace header, side B the default one.
    let step = &report.cases[0].steps[0];
    let sent = |side: &ews_conformance::compare::StepSide, name: &str| {
        side.request
            .as_ref()
            .unwrap()
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    assert!(sent(&step.a, "X-Side-A") && !sent(&step.a, "X-EWS-Conformance-Case"));
    assert!(sent(&step.b, "X-EWS-Conformance-Case"));
    server.shutdown();
}
