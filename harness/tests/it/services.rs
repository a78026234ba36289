//! `service:`: a case (or one step) talks to the EWS endpoint, the SOAP Autodiscover endpoint or
//! the POX Autodiscover endpoint of the target. A recording loopback server shows where each
//! request went and what was sent; the load errors name the key at fault.

use std::io::Write;
use std::net::TcpListener;
use std::sync::mpsc::{Receiver, channel};

use ews_conformance::report::CaseStatus;

use crate::support::{TempDir, all_output, read_report, run_bin};

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    path: String,
    soap_action: Option<String>,
    body: String,
}

const EWS_RESPONSE: &str = concat!(
    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#,
    r#"<m:GetImItemListResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" ResponseClass="Success">"#,
    r#"<m:ResponseCode>NoError</m:ResponseCode></m:GetImItemListResponse></s:Body></s:Envelope>"#
);
const SOAP_RESPONSE: &str = concat!(
    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#,
    r#"<GetUserSettingsResponseMessage xmlns="http://schemas.microsoft.com/exchange/2010/Autodiscover">"#,
    r#"<Response><ErrorCode>NoError</ErrorCode></Response></GetUserSettingsResponseMessage></s:Body></s:Envelope>"#
);
const POX_RESPONSE: &str = concat!(
    r#"<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">"#,
    r#"<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">"#,
    r#"<Account><Action>settings</Action></Account></Response></Autodiscover>"#
);

/// A loopback server answering by path (`.svc` → SOAP, `.xml` → POX, else EWS), reporting
/// every request. Returns its origin (`http://127.0.0.1:PORT`).
fn recording_server() -> (String, Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().take(32).flatten() {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
            let Some(seen) = read_request(&mut stream) else {
                continue;
            };
            let body = if seen.path.ends_with(".svc") {
                SOAP_RESPONSE
            } else if seen.path.ends_with(".xml") {
                POX_RESPONSE
            } else {
                EWS_RESPONSE
            };
            let _ = tx.send(seen);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (origin, rx)
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Seen> {
    let request = crate::support::read_http_request(stream)?;
    Some(Seen {
        soap_action: request
            .header("soapaction")
            .map(|v| v.trim_matches('"').to_string()),
        path: request.path,
        body: request.body,
    })
}

/// A case of three steps, one per service (the case's own `service` is the SOAP one).
const THREE_SERVICES: &str = r#"
title: "one step per service"
operation: GetUserSettings
service: autodiscover-soap
since: Exchange2010
steps:
  - name: "soap"
    body: |
      <GetUserSettingsRequestMessage xmlns="http://schemas.microsoft.com/exchange/2010/Autodiscover"><Request><Users><User><Mailbox>{{mailbox}}</Mailbox></User></Users></Request></GetUserSettingsRequestMessage>
    expect: |
      <GetUserSettingsResponseMessage xmlns="http://schemas.microsoft.com/exchange/2010/Autodiscover"><Response><ErrorCode>NoError</ErrorCode></Response></GetUserSettingsResponseMessage>
  - name: "pox"
    service: autodiscover-pox
    body: |
      <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>{{mailbox}}</EMailAddress></Request></Autodiscover>
    expect: |
      <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
        <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account><Action>settings</Action></Account></Response>
      </Autodiscover>
  - name: "ews"
    service: ews
    body: <m:GetImItemList/>
    expect: <m:GetImItemListResponse ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:GetImItemListResponse>
"#;

fn run_case(
    case: &str,
    extra: &[&str],
) -> (std::process::Output, ews_conformance::report::RunReport) {
    let cases = TempDir::new("services-cases");
    std::fs::create_dir_all(cases.path().join("autodiscover")).expect("mkdir");
    std::fs::write(cases.path().join("autodiscover/three.yaml"), case).expect("write case");
    let reports = TempDir::new("services-reports");
    let mut args = vec![
        "--cases",
        cases.path().to_str().unwrap(),
        "--reports",
        reports.path().to_str().unwrap(),
        "--auth",
        "none",
        "--var",
        "mailbox=alice@example.com",
        "--test-threads",
        "1",
    ];
    args.extend_from_slice(extra);
    let out = run_bin(&args, &[]);
    let report = read_report(reports.path());
    (out, report)
}

#[test]
fn each_step_goes_to_the_endpoint_of_its_service_and_autodiscover_soap_bodies_get_ws_addressing() {
    let (origin, seen) = recording_server();
    let endpoint = format!("{origin}/EWS/Exchange.asmx");
    let (out, report) = run_case(THREE_SERVICES, &["--endpoint", &endpoint]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(
        report.cases[0].status,
        CaseStatus::Pass,
        "{:#?}",
        report.cases[0]
    );

    let soap = seen.recv().expect("soap request");
    assert_eq!(soap.path, "/autodiscover/autodiscover.svc");
    let action =
        "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings";
    assert_eq!(soap.soap_action.as_deref(), Some(action));
    assert!(
        soap.body
            .contains(&format!("<wsa:Action>{action}</wsa:Action>")),
        "{}",
        soap.body
    );
    assert!(
        soap.body.contains(&format!(
            "<wsa:To>{origin}/autodiscover/autodiscover.svc</wsa:To>"
        )),
        "{}",
        soap.body
    );
    assert!(
        soap.body.contains("<a:RequestedServerVersion>"),
        "{}",
        soap.body
    );
    assert!(
        !soap.body.contains("RequestServerVersion Version"),
        "{}",
        soap.body
    );

    let pox = seen.recv().expect("pox request");
    assert_eq!(pox.path, "/autodiscover/autodiscover.xml");
    assert_eq!(pox.soap_action, None);
    assert!(
        pox.body.trim_start().starts_with("<Autodiscover "),
        "the POX body is sent as written: {}",
        pox.body
    );

    let ews = seen.recv().expect("ews request");
    assert_eq!(ews.path, "/EWS/Exchange.asmx");
    assert!(ews.body.contains("<m:GetImItemList/>"), "{}", ews.body);
}

#[test]
fn a_profile_autodiscover_url_is_where_both_autodiscover_services_go() {
    let (origin, seen) = recording_server();
    let profile_dir = TempDir::new("services-profile");
    let profile = profile_dir.path().join("target.yaml");
    std::fs::write(
        &profile,
        format!(
            "endpoint: {origin}/EWS/Exchange.asmx\nautodiscover_url: {origin}/ad/v2/autodiscover.svc\n"
        ),
    )
    .expect("write profile");
    let (out, report) = run_case(THREE_SERVICES, &["--target", profile.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(report.cases[0].status, CaseStatus::Pass);
    let paths: Vec<String> = (0..3).map(|_| seen.recv().expect("request").path).collect();
    assert_eq!(
        paths,
        [
            "/ad/v2/autodiscover.svc",
            "/ad/v2/autodiscover.xml",
            "/EWS/Exchange.asmx"
        ]
    );
}

#[test]
fn a_pox_response_compared_against_another_document_fails_at_the_node() {
    let (origin, _seen) = recording_server();
    let endpoint = format!("{origin}/EWS/Exchange.asmx");
    let case = THREE_SERVICES.replace(
        "<Account><Action>settings</Action></Account>",
        "<Account><Action>redirectAddr</Action></Account>",
    );
    let (out, report) = run_case(&case, &["--endpoint", &endpoint]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let step = &report.cases[0].steps[1];
    assert!(
        step.mismatches.iter().any(
            |m| m.expected_path == "/Autodiscover/Response/Account/Action"
                && m.actual.as_deref() == Some("settings")
        ),
        "{step:#?}"
    );
}

#[test]
fn service_load_errors_name_the_key() {
    let cases = TempDir::new("services-lint");
    let dir = cases.path().join("autodiscover");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let unknown = THREE_SERVICES.replace("service: autodiscover-pox", "service: autodiscover-xml");
    std::fs::write(dir.join("unknown.yaml"), unknown).expect("write");
    let headers = THREE_SERVICES.replace(
        "  - name: \"pox\"\n",
        "  - name: \"pox\"\n    headers: { server_version: Exchange2013 }\n",
    );
    std::fs::write(dir.join("headers.yaml"), headers).expect("write");
    let ews_op = THREE_SERVICES.replace("operation: GetUserSettings", "operation: GetItem");
    std::fs::write(dir.join("ews_op.yaml"), ews_op).expect("write");
    let out = run_bin(&["lint", cases.path().to_str().unwrap()], &[]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("unknown service `autodiscover-xml`"),
        "{text}"
    );
    assert!(text.contains("did you mean `autodiscover-pox`?"), "{text}");
    assert!(text.contains("unknown.yaml:"), "{text}");
    assert!(
        text.contains("`headers` are EWS SOAP headers: service `autodiscover-pox` has none"),
        "{text}"
    );
    assert!(
        text.contains("`GetItem` is not an operation of service `autodiscover-soap`"),
        "{text}"
    );
}

#[test]
fn recording_a_pox_step_writes_the_whole_response_document() {
    let (origin, _seen) = recording_server();
    let endpoint = format!("{origin}/EWS/Exchange.asmx");
    let cases = TempDir::new("services-bless");
    std::fs::create_dir_all(cases.path().join("autodiscover")).expect("mkdir");
    let file = cases.path().join("autodiscover/three.yaml");
    let case = THREE_SERVICES.replace(
        "<Account><Action>settings</Action></Account>",
        "<Account><Action>redirectAddr</Action></Account>",
    );
    std::fs::write(&file, case).expect("write case");
    let reports = TempDir::new("services-bless-reports");
    let out = crate::support::bin_command(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--endpoint",
            &endpoint,
            "--auth",
            "none",
            "--var",
            "mailbox=alice@example.com",
            "--bless",
            "new",
        ],
        &[],
        &["CI"],
    )
    .output()
    .expect("runs");
    let pending = std::fs::read_to_string(cases.path().join("autodiscover/three.yaml.new"))
        .unwrap_or_else(|e| panic!("no pending file ({e}): {}", all_output(&out)));
    // Written with the recorder's own prefixes (`ns1:`, `ns2:`), the namespaces declared.
    assert!(pending.contains(":Action>settings</"), "{pending}");
    assert!(!pending.contains("redirectAddr"), "{pending}");
    assert!(
        pending.contains(":Autodiscover xmlns:")
            && pending.contains(
                "\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\""
            ),
        "{pending}"
    );
}
