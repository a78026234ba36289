//! The schema engine (`ews-schema`) at work in the harness: every response validated (a
//! violation is a `schema` failure with its path, next to the comparison's mismatches), the
//! opt-outs (`options.schema: false`, `--no-schema`, profile `schema: false`), `lint` validating
//! case requests, `validate FILE...`, and libxml2 as the oracle of every verdict over a whole
//! suite run against the embedded server.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use ews_conformance::report::{CaseStatus, MismatchRecord, RunReport};

use crate::support::{TempDir, all_output, fixture, read_report, run_bin};

const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

fn schema_mismatches(report: &RunReport) -> Vec<&MismatchRecord> {
    report
        .cases
        .iter()
        .flat_map(|c| &c.steps)
        .flat_map(|s| &s.mismatches)
        .filter(|m| m.kind == "schema")
        .collect()
}

/// A loopback server answering every request with an AddImGroupResponse whose children are out
/// of schema order (ImGroup before ResponseCode).
fn out_of_order_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/EWS/Exchange.asmx",
        listener.local_addr().expect("addr")
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
                 <s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">\n\
                 <s:Body>\n\
                 <AddImGroupResponse xmlns=\"{M}\" ResponseClass=\"Success\">\n\
                 <ImGroup><DisplayName xmlns=\"{T}\">g</DisplayName><GroupType xmlns=\"{T}\">IPM.DistList.MOC.UserGroup</GroupType><ExchangeStoreId xmlns=\"{T}\" Id=\"AAMkAGI=\" ChangeKey=\"AQAAAA==\"/></ImGroup>\n\
                 <ResponseCode>NoError</ResponseCode>\n\
                 </AddImGroupResponse>\n\
                 </s:Body>\n\
                 </s:Envelope>"
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn run_against(url: &str, cases: &str, extra: &[&str], reports: &Path) -> std::process::Output {
    let cases = fixture(cases);
    let mut args = vec![
        "--cases",
        cases.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
        "--endpoint",
        url,
        "--auth",
        "none",
        "--var",
        "mailbox=a@example.com",
    ];
    args.extend_from_slice(extra);
    run_bin(&args, &[])
}

#[test]
fn an_out_of_order_response_is_a_schema_failure_naming_its_path_in_every_report() {
    let url = out_of_order_server();
    let reports = TempDir::new("schema-out-of-order");
    let out = run_against(&url, "schema/out_of_order", &[], reports.path());
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let report = read_report(reports.path());
    let case = &report.cases[0];
    assert_eq!(case.status, CaseStatus::Fail, "{case:#?}");
    let mismatches = &case.steps[0].mismatches;
    // The comparison accepts the order (unordered); only the schema notices.
    assert!(
        mismatches.iter().all(|m| m.kind == "schema"),
        "{mismatches:#?}"
    );
    let m = &mismatches[0];
    assert_eq!(m.actual_path, "/Envelope/Body/AddImGroupResponse");
    assert_eq!(
        m.message,
        "response 6:1: unexpected ResponseCode after ImGroup; no more child elements are allowed \
         here",
        "{m:#?}"
    );
    assert_eq!(
        m.expected_path, m.actual_path,
        "the response's path on both sides"
    );
    assert_eq!(
        m.location, None,
        "the step's location is printed with the step"
    );
    // Terminal, JUnit and HTML show it like any mismatch.
    assert!(text.contains("/Envelope/Body/AddImGroupResponse"), "{text}");
    assert!(
        text.contains("unexpected ResponseCode after ImGroup"),
        "{text}"
    );
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).expect("junit");
    assert!(
        junit.contains("<failure") && junit.contains("unexpected ResponseCode after ImGroup"),
        "{junit}"
    );
    let html = std::fs::read_to_string(reports.path().join("report.html")).expect("html");
    assert!(html.contains("unexpected ResponseCode after ImGroup"));

    // --no-schema turns the validation off: the case passes.
    let reports = TempDir::new("schema-no-schema");
    let out = run_against(
        &url,
        "schema/out_of_order",
        &["--no-schema"],
        reports.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(schema_mismatches(&read_report(reports.path())).is_empty());
}

#[test]
fn a_step_can_opt_out_of_schema_validation() {
    let url = out_of_order_server();
    let reports = TempDir::new("schema-opt-out");
    let out = run_against(&url, "schema/opt_out", &[], reports.path());
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(
        read_report(reports.path()).cases[0].status,
        CaseStatus::Pass
    );
}

/// The quirk `wrong-child-order` of the embedded server is reported by the comparison and by
/// the schema; `schema-invalid-response` only by the schema, so a profile's `schema: false`
/// lets the run pass.
#[test]
fn quirks_are_schema_failures_and_the_target_profile_can_switch_validation_off() {
    let cases = fixture("runner/good");
    let reports = TempDir::new("schema-quirk-order");
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--quirk",
            "wrong-child-order",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let report = read_report(reports.path());
    let schema = schema_mismatches(&report);
    assert!(
        schema.iter().any(
            |m| m.actual_path == "/Envelope/Body/AddImGroupResponse/ImGroup"
                && m.message.ends_with(
                    ": unexpected t:GroupType as the first child; expected t:DisplayName"
                )
        ),
        "{schema:#?}"
    );

    let reports = TempDir::new("schema-quirk-header");
    let run = |extra: &[&str], reports: &Path| {
        let mut args = vec![
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.to_str().unwrap(),
            "--quirk",
            "schema-invalid-response",
        ];
        args.extend_from_slice(extra);
        run_bin(&args, &[])
    };
    let out = run(&[], reports.path());
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let report = read_report(reports.path());
    let schema = schema_mismatches(&report);
    assert!(!schema.is_empty());
    assert!(
        schema
            .iter()
            .all(|m| m.actual_path == "/Envelope/Header" && m.message.contains("QuirkHeaderEntry")),
        "{schema:#?}"
    );
    let profile_dir = TempDir::new("schema-profile");
    let profile = profile_dir.path().join("target.yaml");
    std::fs::write(&profile, "schema: false\n").expect("write profile");
    let reports = TempDir::new("schema-quirk-header-off");
    let out = run(&["--target", profile.to_str().unwrap()], reports.path());
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}

#[test]
fn lint_reports_schema_invalid_requests_at_their_markup_unless_the_step_expects_the_fault() {
    let dir = fixture("schema/lint");
    let out = run_bin(&["lint", dir.to_str().unwrap()], &[]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("3 error(s) in 1 file(s)") && text.contains("1 case(s) load cleanly"),
        "{text}"
    );
    // A block scalar: the line and column of `<m:GroupId` inside the YAML file.
    assert!(
        text.contains(
            "error: request of step `remove with the ids swapped` is invalid against the EWS \
             schema: /Envelope/Body/RemoveImContactFromGroup: unexpected GroupId as the first \
             child; expected ContactId"
        ),
        "{text}"
    );
    assert!(text.contains("im/invalid_request.yaml:8:9\n"), "{text}");
    assert!(
        text.contains("8 |         <m:GroupId Id=\"{{run_id}}\"/>"),
        "{text}"
    );
    // A plain one-line value: the column of `<m:DisplayName>` after `body: `.
    assert!(text.contains("im/invalid_request.yaml:13:25\n"), "{text}");
    assert!(
        text.contains("length 0, the type requires at least 1"),
        "{text}"
    );
    // A whole envelope: its header entries are validated too.
    assert!(text.contains("im/invalid_request.yaml:17:22\n"), "{text}");
    assert!(
        text.contains(
            "attribute Version: 'Exchange2099' is not one of the values of t:ExchangeVersionType"
        ),
        "{text}"
    );
    assert!(!text.contains("expected_fault.yaml"), "{text}");
}

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn validate_exits_0_valid_1_invalid_with_every_violation_2_on_unreadable_or_malformed_files() {
    let dir = TempDir::new("schema-validate");
    let envelope = write(
        &dir,
        "envelope.xml",
        &format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:t=\"{T}\" xmlns:m=\"{M}\">\n  <s:Header><t:RequestServerVersion Version=\"Exchange2013\"/></s:Header>\n  <s:Body><m:AddImGroup><m:DisplayName>g</m:DisplayName></m:AddImGroup></s:Body>\n</s:Envelope>\n"
        ),
    );
    let out = run_bin(&["validate", &envelope], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    // Another encoding is decoded as the strict checker decodes it (BOM, declaration).
    let utf16 = dir.path().join("utf16.xml");
    let text = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-16\"?>\n<m:AddImGroup xmlns:m=\"{M}\"><m:DisplayName>caf\u{e9}</m:DisplayName></m:AddImGroup>"
    );
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(&utf16, bytes).expect("write");
    let out = run_bin(&["validate", utf16.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));

    let bare = write(
        &dir,
        "bare.xml",
        &format!(
            "<m:GetFolder xmlns:m=\"{M}\" xmlns:t=\"{T}\">\n  <m:FolderShape><t:BaseShape>Everything</t:BaseShape></m:FolderShape>\n  <m:FolderIds><t:DistinguishedFolderId Id=\"inbox\" Bogus=\"1\"/></m:FolderIds>\n</m:GetFolder>\n"
        ),
    );
    let out = run_bin(&["validate", &envelope, &bare], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        format!(
            "{bare}:2:18: /GetFolder/FolderShape/t:BaseShape: invalid value: 'Everything' is not \
             one of the values of t:DefaultShapeNamesType: IdOnly, Default, AllProperties, \
             PcxPeopleSearch"
        )
    );
    assert!(
        lines[1]
            == format!(
                "{bare}:3:16: /GetFolder/FolderIds/t:DistinguishedFolderId: attribute Bogus is \
                 not declared for this element"
            ),
        "{stdout}"
    );

    let broken = write(&dir, "broken.xml", "<m:A xmlns:m=\"urn:x\">\n  <b>\n</m:A>");
    let missing = dir.path().join("missing.xml");
    let out = run_bin(
        &["validate", &bare, &broken, missing.to_str().unwrap()],
        &[],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&format!("{bare}:2:18:")),
        "every file is still checked: {text}"
    );
    assert!(text.contains(&format!("error: {broken}:3:")), "{text}");
    assert!(text.contains("not well-formed"), "{text}");
    assert!(
        text.contains("cannot read") && text.contains("missing.xml"),
        "{text}"
    );

    let out = run_bin(&["validate"], &[]);
    assert_eq!(out.status.code(), Some(2), "no file is a usage error");
}

/// The oracle: the whole suite runs against the embedded server (honest, and with three quirks
/// that make responses schema-invalid); every request and response body of the runs (from
/// report.json) is cut into its EWS parts (Header entries, Body child),
/// and the engine's verdict on each part must be libxml2's (`xmllint --noout --schema
/// messages.xsd`). The engine's verdict on a whole envelope must also be the sum of its parts'.
/// Under `CI` a missing xmllint fails; otherwise the test skips loudly.
#[test]
fn libxml2_agrees_with_the_engine_on_every_body_of_a_suite_run() {
    use ews_schema::testing::{soap_parts, xmllint, xmllint_schema, xmllint_verdicts};
    let Some(lint) = xmllint() else {
        if std::env::var_os("CI").is_some() {
            panic!("xmllint (libxml2-utils) is required in CI for the schema oracle test");
        }
        eprintln!(
            "\n\n!!! SKIPPED: xmllint not found; install libxml2-utils to run the schema oracle \
             over the suite's bodies !!!\n\n"
        );
        return;
    };
    // The honest server, and quirks whose responses are invalid against the schema.
    let mut bodies = Vec::new();
    for quirk in [
        None,
        Some("wrong-child-order"),
        Some("extra-element"),
        Some("https-namespace"),
    ] {
        let reports = TempDir::new("schema-oracle");
        let cases = crate::support::repo_root().join("cases");
        let mut args = vec![
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "-q",
        ];
        if let Some(quirk) = quirk {
            args.extend(["--quirk", quirk]);
        }
        let out = run_bin(&args, &[]);
        let expected_code = if quirk.is_some() { 1 } else { 0 };
        assert_eq!(
            out.status.code(),
            Some(expected_code),
            "{}",
            all_output(&out)
        );
        let report = read_report(reports.path());
        for case in &report.cases {
            for step in &case.steps {
                for (side, exchange) in [("request", &step.request), ("response", &step.response)] {
                    if let Some(exchange) = exchange {
                        assert!(
                            !exchange.truncated,
                            "{} {}: body truncated",
                            case.id, step.name
                        );
                        bodies.push((
                            format!(
                                "[{}] {} / {} / {side}",
                                quirk.unwrap_or("honest"),
                                case.id,
                                step.name
                            ),
                            exchange.body.clone(),
                        ));
                    }
                }
            }
        }
    }
    let schema = ews_schema::Schema::ews();
    let mut parts = Vec::new();
    let mut not_xml = 0;
    let mut disagreements = Vec::new();
    for (label, body) in &bodies {
        let well_formed = ews_conformance::xml::check_well_formed(
            body.as_bytes(),
            &ews_conformance::xml::ParseOptions::default(),
        )
        .is_ok();
        let cut = if well_formed {
            soap_parts(body).ok()
        } else {
            None
        };
        let Some(cut) = cut else {
            // Raw requests sent malformed on purpose: the engine must refuse them too.
            assert!(
                schema.validate_document(body.as_bytes()).is_err() || well_formed,
                "{label}: the engine reads a body the strict checker refuses"
            );
            not_xml += 1;
            continue;
        };
        let whole_valid = schema
            .validate_document(body.as_bytes())
            .is_ok_and(|v| v.is_empty());
        let mut all_valid = true;
        for part in cut {
            let engine = schema
                .validate_document(part.text.as_bytes())
                .map(|v| v.first().map(|v| v.to_string()));
            let engine = match engine {
                Ok(first) => first,
                Err(e) => Some(format!("not readable: {e}")),
            };
            all_valid &= engine.is_none();
            parts.push((format!("{label} / {}", part.path), part.text, engine));
        }
        if whole_valid != all_valid {
            disagreements.push(format!(
                "{label}: the whole envelope is {} but its parts are {}",
                if whole_valid { "valid" } else { "invalid" },
                if all_valid { "valid" } else { "not all valid" }
            ));
        }
    }
    let scratch = TempDir::new("schema-oracle-files");
    let xsd = xmllint_schema(scratch.path()).expect("write the schema copy");
    let files: Vec<_> = parts
        .iter()
        .enumerate()
        .map(|(i, (_, text, _))| {
            let file = scratch.path().join(format!("{i:05}.xml"));
            std::fs::write(&file, text).expect("write part");
            file
        })
        .collect();
    let lib = xmllint_verdicts(&lint, &xsd, &files).expect("xmllint runs");
    let (mut valid, mut invalid) = (0, 0);
    for ((label, _, engine), lib) in parts.iter().zip(&lib) {
        match (engine, lib) {
            (None, Ok(())) => valid += 1,
            (Some(_), Err(_)) => invalid += 1,
            (None, Err(message)) => disagreements.push(format!(
                "{label}: the engine accepts it, libxml2 says {message}"
            )),
            (Some(violation), Ok(())) => disagreements.push(format!(
                "{label}: libxml2 accepts it, the engine says {violation}"
            )),
        }
    }
    let _ = writeln!(
        std::io::stdout(),
        "schema oracle over four suite runs: {} bodies ({not_xml} not XML on purpose), {} EWS parts: \
         {valid} valid and {invalid} invalid by both, {} disagreement(s)",
        bodies.len(),
        parts.len(),
        disagreements.len()
    );
    assert!(invalid > 0, "the suite sends invalid requests on purpose");
    assert!(
        disagreements.is_empty(),
        "engine and libxml2 disagree:\n{}",
        disagreements.join("\n")
    );
}

/// `--server-version` and the profile's `server_version` take the schema's version names only.
#[test]
fn an_unknown_server_version_is_a_configuration_error_naming_the_schema_versions() {
    let cases = fixture("runner/good");
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--no-reports",
            "--server-version",
            "Exchange2099",
        ],
        &[],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("--server-version: `Exchange2099` is not an EWS version"),
        "{text}"
    );
    assert!(
        text.contains("Exchange2009, Exchange2010"),
        "the one table, from types.xsd: {text}"
    );
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--no-reports",
            "--server-version",
            "Exchange2012",
        ],
        &[],
    );
    // Exchange2012 is a schema version (older than the IM family's Exchange2013): the case is
    // ignored with the reason, not refused.
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 ignored"), "{text}");
}
