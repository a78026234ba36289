//! The folder and id cases (`cases/folders/`, `cases/ids/`) against the reference server through
//! a recording loopback proxy: every response the cases see must be valid against the EWS schema
//! (messages.xsd / types.xsd, checked by the `ews-schema` engine), so the reference server never
//! teaches a client a shape Exchange's schema refuses.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use ews_conformance::reference_server::{self, ServerConfig};

use crate::support::{TempDir, all_output, read_report, repo_root, run_bin};

/// A loopback HTTP/1.1 proxy in front of `upstream` (host:port) that records every response
/// body. Each exchange is one connection (`Connection: close` both ways).
struct RecordingProxy {
    port: u16,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

fn read_head(reader: &mut BufReader<TcpStream>) -> Option<(Vec<String>, usize)> {
    let mut lines = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            return Some((lines, length));
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
        lines.push(line);
    }
}

fn relay(client: TcpStream, upstream: &str, bodies: &Mutex<Vec<Vec<u8>>>) -> Option<()> {
    let mut reader = BufReader::new(client.try_clone().ok()?);
    let (head, length) = read_head(&mut reader)?;
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    let mut request = Vec::new();
    for line in head.iter().filter(|l| {
        let name = l.split(':').next().unwrap_or("").trim();
        !name.eq_ignore_ascii_case("connection")
    }) {
        request.extend_from_slice(line.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    request.extend_from_slice(&body);
    let mut server = TcpStream::connect(upstream).ok()?;
    server.write_all(&request).ok()?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).ok()?;
    let split = response.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    bodies.lock().ok()?.push(response[split..].to_vec());
    let mut client = client;
    client.write_all(&response).ok()?;
    Some(())
}

impl RecordingProxy {
    fn start(upstream: String) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy binds");
        let port = listener.local_addr().expect("address").port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let recorded = Arc::clone(&recorded);
                std::thread::spawn(move || relay(client, &upstream, &recorded));
            }
        });
        RecordingProxy { port, bodies }
    }
}

/// Runs the cases matching `filter` through the proxy; every response is schema-valid.
fn cases_see_only_schema_valid_responses(filter: &str, at_least: usize) {
    let server = reference_server::start(ServerConfig::default()).expect("server starts");
    let upstream = server
        .url()
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host:port")
        .to_string();
    let proxy = RecordingProxy::start(upstream);
    let endpoint = format!("http://127.0.0.1:{}/EWS/Exchange.asmx", proxy.port);
    let reports = TempDir::new("folders-schema");
    let cases = repo_root().join("cases");
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().expect("utf-8 path"),
            "--reports",
            reports.path().to_str().expect("utf-8 path"),
            "--endpoint",
            &endpoint,
            "--auth",
            "basic",
            "--var",
            "mailbox=alice@contoso.com",
            "--var",
            "impersonation_target=bob@contoso.com",
            "--var",
            "impersonation_denied_target=carol@contoso.com",
            filter,
        ],
        &[
            ("EWS_USERNAME", "alice"),
            ("EWS_PASSWORD", "alice-password"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let report = read_report(reports.path());
    assert!(
        report.cases.iter().all(|c| c.id.starts_with(filter)),
        "only {filter} cases ran"
    );
    let bodies = proxy.bodies.lock().expect("recorded").clone();
    assert!(
        bodies.len() >= at_least,
        "{filter}: only {} responses recorded",
        bodies.len()
    );
    let schema = ews_schema::Schema::ews();
    for body in &bodies {
        let violations = schema
            .validate_document(body)
            .unwrap_or_else(|e| panic!("not XML ({e}): {}", String::from_utf8_lossy(body)));
        assert!(
            violations.is_empty(),
            "schema violations {violations:?} in\n{}",
            String::from_utf8_lossy(body)
        );
    }
    server.shutdown();
}

#[test]
fn every_response_the_folder_cases_see_is_schema_valid() {
    cases_see_only_schema_valid_responses("folders/", 100);
}

#[test]
fn every_response_the_id_cases_see_is_schema_valid() {
    cases_see_only_schema_valid_responses("ids/", 10);
}

/// The check above can fail: the engine refuses a folder response with `FolderClass` before
/// `FolderId` (the `folder-class-first` quirk's shape) and accepts the right order.
#[test]
fn the_schema_check_refuses_a_folder_in_the_wrong_order() {
    let envelope = |folder: &str| {
        format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetFolderResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder>{folder}</t:Folder></m:Folders></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse></s:Body></s:Envelope>"#
        )
    };
    let id = r#"<t:FolderId Id="AAMk" ChangeKey="AQAAAA=="/>"#;
    let class = "<t:FolderClass>IPF.Note</t:FolderClass>";
    let schema = ews_schema::Schema::ews();
    let right = schema
        .validate_document(envelope(&format!("{id}{class}")).as_bytes())
        .expect("XML");
    assert!(right.is_empty(), "{right:?}");
    let wrong = schema
        .validate_document(envelope(&format!("{class}{id}")).as_bytes())
        .expect("XML");
    assert!(
        !wrong.is_empty(),
        "FolderClass before FolderId must be refused"
    );
}

fn post_as_alice(server: &reference_server::RunningServer, body: &str) -> String {
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    );
    let reply = reqwest::blocking::Client::new()
        .post(server.url())
        .basic_auth("alice", Some("alice-password"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(envelope)
        .send()
        .expect("server answers");
    assert_eq!(reply.status().as_u16(), 200);
    let text = reply.text().expect("text body");
    let violations = ews_schema::Schema::ews()
        .validate_document(text.as_bytes())
        .expect("XML");
    assert!(violations.is_empty(), "{violations:?}\n{text}");
    text
}

fn inbox_of(address: &str) -> String {
    format!(
        r#"<t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>{address}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>"#
    )
}

/// A `folder_access` grant opens another user's folders through `t:Mailbox`: alice, granted
/// bob's mailbox, creates a folder in bob's inbox and finds it there (not in her own); carol's
/// mailbox, not granted, stays `ErrorAccessDenied`.
#[test]
fn a_folder_access_grant_opens_another_users_folders() {
    let mut config = ServerConfig::default();
    config.users[0].folder_access = vec!["bob@contoso.com".into()];
    let server = reference_server::start(config).expect("server starts");
    let created = post_as_alice(
        &server,
        &format!(
            "<m:CreateFolder><m:ParentFolderId>{}</m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>delegated</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>",
            inbox_of("bob@contoso.com")
        ),
    );
    assert!(created.contains(r#"ResponseClass="Success""#), "{created}");
    let find = |parent: &str| {
        post_as_alice(
            &server,
            &format!(
                r#"<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:ParentFolderIds>{parent}</m:ParentFolderIds></m:FindFolder>"#
            ),
        )
    };
    let in_bob = find(&inbox_of("bob@contoso.com"));
    assert!(in_bob.contains(">delegated</"), "{in_bob}");
    let in_alice = find(r#"<t:DistinguishedFolderId Id="inbox"/>"#);
    assert!(!in_alice.contains("delegated"), "{in_alice}");
    let carol = find(&inbox_of("carol@contoso.com"));
    assert!(
        carol.contains("ResponseCode>ErrorAccessDenied</"),
        "{carol}"
    );
    server.shutdown();
}

/// Without a grant (the default configuration) bob's folders are denied too.
#[test]
fn without_a_grant_another_users_folders_are_denied() {
    let server = reference_server::start(ServerConfig::default()).expect("server starts");
    let reply = post_as_alice(
        &server,
        &format!(
            "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>{}</m:FolderIds></m:GetFolder>",
            inbox_of("bob@contoso.com")
        ),
    );
    assert!(
        reply.contains("ResponseCode>ErrorAccessDenied</"),
        "{reply}"
    );
    server.shutdown();
}

/// The folder and id cases clean up after themselves: run twice against one server, they pass
/// both times and leave alice's folder tree (every folder's name, Deep from the root) as they
/// found it.
#[test]
fn the_folder_cases_leave_the_folder_tree_as_they_found_it() {
    let server = reference_server::start(ServerConfig::default()).expect("server starts");
    let tree = || {
        let reply = post_as_alice(
            &server,
            r#"<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:DisplayName"/></t:AdditionalProperties></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="root"/></m:ParentFolderIds></m:FindFolder>"#,
        );
        let names: Vec<String> = reply
            .split("DisplayName>")
            .skip(1)
            .step_by(2)
            .map(|s| s.trim_end_matches("</").to_string())
            .collect();
        assert!(names.iter().any(|n| n == "Inbox"), "{reply}");
        names
    };
    let before = tree();
    for _ in 0..2 {
        let reports = TempDir::new("folders-twice");
        let cases = repo_root().join("cases");
        for filter in ["folders/", "ids/"] {
            let out = run_bin(
                &[
                    "--cases",
                    cases.to_str().expect("utf-8 path"),
                    "--reports",
                    reports.path().to_str().expect("utf-8 path"),
                    "--endpoint",
                    &server.url(),
                    "--auth",
                    "basic",
                    "--var",
                    "mailbox=alice@contoso.com",
                    "--var",
                    "impersonation_target=bob@contoso.com",
                    "--var",
                    "impersonation_denied_target=carol@contoso.com",
                    filter,
                ],
                &[
                    ("EWS_USERNAME", "alice"),
                    ("EWS_PASSWORD", "alice-password"),
                ],
            );
            assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
        }
    }
    assert_eq!(
        tree(),
        before,
        "the cases left folders behind or removed some"
    );
    server.shutdown();
}

fn post_raw(server: &reference_server::RunningServer, body: &str) -> (u16, String) {
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    );
    let reply = reqwest::blocking::Client::new()
        .post(server.url())
        .basic_auth("alice", Some("alice-password"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(envelope)
        .send()
        .expect("server answers");
    let status = reply.status().as_u16();
    (status, reply.text().unwrap_or_default())
}

/// Every way of editing a folder request (each attribute value made hostile, each empty element
/// dropped) gets a response message or a fault, never a crash: the server keeps answering and
/// the mailbox stays usable. (Until the XSD engine validates folder requests, the handlers see
/// schema-invalid content too.)
#[test]
fn edited_folder_requests_never_crash_the_server() {
    let server = reference_server::start(ServerConfig::default()).expect("server starts");
    let (_, created) = post_raw(
        &server,
        r#"<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>robust</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>"#,
    );
    let id = created
        .split("FolderId Id=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("created id")
        .to_string();
    let requests = [
        r#"<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:DisplayName"/><t:ExtendedFieldURI PropertyTag="0x3001" PropertyType="String"/><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="x" PropertyType="StringArray"/></t:AdditionalProperties></m:FolderShape><m:FolderIds><t:FolderId Id="ID" ChangeKey="AQAAAA=="/><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>bob@contoso.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>"#,
        r#"<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:IndexedPageFolderView MaxEntriesReturned="2" Offset="1" BasePoint="End"/><m:Restriction><t:And><t:IsGreaterThan><t:FieldURI FieldURI="folder:ChildFolderCount"/><t:FieldURIOrConstant><t:Constant Value="0"/></t:FieldURIOrConstant></t:IsGreaterThan><t:Not><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="folder:DisplayName"/><t:Constant Value="a"/></t:Contains></t:Not><t:Excludes><t:FieldURI FieldURI="folder:TotalCount"/><t:Bitmask Value="0x1"/></t:Excludes></t:And></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="root"/><t:FolderId Id="ID"/></m:ParentFolderIds></m:FindFolder>"#,
        r#"<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FractionalPageFolderView MaxEntriesReturned="3" Numerator="1" Denominator="3"/><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>"#,
        r#"<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="ID" ChangeKey="AQAAAA=="/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>robust</t:DisplayName></t:Folder></t:SetFolderField><t:AppendToFolderField><t:ExtendedFieldURI PropertyTag="0x1234" PropertyType="StringArray"/><t:Folder><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x1234" PropertyType="StringArray"/><t:Values><t:Value>v</t:Value></t:Values></t:ExtendedProperty></t:Folder></t:AppendToFolderField><t:DeleteFolderField><t:FieldURI FieldURI="folder:FolderClass"/></t:DeleteFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>"#,
        r#"<m:CopyFolder><m:ToFolderId><t:DistinguishedFolderId Id="drafts"/></m:ToFolderId><m:FolderIds><t:FolderId Id="ID"/></m:FolderIds></m:CopyFolder>"#,
        r#"<m:EmptyFolder DeleteType="SoftDelete" DeleteSubFolders="true"><m:FolderIds><t:FolderId Id="ID"/></m:FolderIds></m:EmptyFolder>"#,
        r#"<m:ConvertId DestinationFormat="HexEntryId"><m:SourceIds><t:AlternateId Format="EwsId" Id="ID" Mailbox="alice@contoso.com" IsArchive="false"/></m:SourceIds></m:ConvertId>"#,
    ];
    let hostile = ["", "-1", "99999999999999999999999", "x", "0x", "%%", "End"];
    let mut sent = 0;
    for template in requests {
        let request = template.replace("\"ID\"", &format!("\"{id}\""));
        let mut variants = vec![request.clone()];
        // Each attribute value, made hostile.
        let mut spans = Vec::new();
        let mut open: Option<usize> = None;
        for (i, ch) in request.char_indices() {
            if ch == '"' {
                match open.take() {
                    Some(start) => spans.push((start, i)),
                    None => open = Some(i + 1),
                }
            }
        }
        for (start, end) in spans {
            for value in hostile {
                variants.push(format!("{}{value}{}", &request[..start], &request[end..]));
            }
        }
        // Each empty element dropped.
        for (start, _) in request.match_indices('<') {
            if let Some(len) = request[start..].find("/>") {
                let element = &request[start..start + len + 2];
                if !element[1..].contains('<') {
                    variants.push(request.replacen(element, "", 1));
                }
            }
        }
        for variant in &variants {
            let (status, body) = post_raw(&server, variant);
            assert!(
                status == 200 || (status == 500 && body.contains("faultcode")),
                "HTTP {status} for {variant}:\n{body}"
            );
            sent += 1;
        }
    }
    assert!(sent > 200, "only {sent} variants");
    let (status, body) = post_raw(
        &server,
        r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ResponseClass=\"Success\""), "{body}");
    server.shutdown();
}
