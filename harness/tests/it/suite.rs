//! The conformance suite (`cases/`) against the embedded reference server, through the real
//! binary:
//! - the honest server passes every case, sequentially and with 8 threads in a shuffled order;
//! - each quirk makes the suite fail, and at least one failing case names the quirk's node in a
//!   mismatch (the mutation self-test); the quirk → cases table in `cases/README.md` is checked
//!   against what this test observes;
//! - against one running server the suite runs twice in a row and leaves every IM list it
//!   touched as it found it.

use std::process::Output;

use ews_conformance::reference_server::{self, Quirk, ServerConfig};
use ews_conformance::report::{CaseResult, CaseStatus, MismatchRecord, RunReport};
use ews_conformance::target::vars;
use ews_conformance::{soap, xml};

use crate::support::{TempDir, all_output, read_report, repo_root, run_bin};

fn run_suite(extra: &[&str], env: &[(&str, &str)]) -> (Output, RunReport) {
    let reports = TempDir::new("suite");
    let cases = repo_root().join("cases");
    let mut args = vec![
        "--cases",
        cases.to_str().unwrap(),
        "--reports",
        reports.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run_bin(&args, env);
    let report = read_report(reports.path());
    (out, report)
}

fn assert_all_pass(out: &Output, report: &RunReport) {
    let bad: Vec<String> = report
        .cases
        .iter()
        .filter(|c| !matches!(c.status, CaseStatus::Pass | CaseStatus::Ignored))
        .map(|c| format!("{} {}", c.id, c.status.label()))
        .collect();
    assert!(
        bad.is_empty(),
        "cases not passing: {bad:?}\n{}",
        all_output(out)
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(out));
    // Exactly one result per case file on disk (counted without the loader), and exactly the
    // cases flagged `ignore:` are ignored.
    let files = case_files(&repo_root().join("cases"));
    assert_eq!(
        report.cases.len(),
        files.len(),
        "one result per case file: {:?}",
        report.cases.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    let flagged = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .lines()
                .any(|l| l.starts_with("ignore:"))
        })
        .count();
    let ignored = report
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Ignored)
        .count();
    assert_eq!(ignored, flagged, "only the `ignore:` cases are ignored");
    assert_eq!(
        report.cases.len() - ignored,
        report
            .cases
            .iter()
            .filter(|c| c.status == CaseStatus::Pass)
            .count()
    );
}

/// Every `*.yaml`/`*.yml` file below `dir`, except fixtures (`_fixtures/` folders).
fn case_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("cases dir").flatten() {
        let path = entry.path();
        if path.is_dir() && path.file_name().is_some_and(|n| n == "_fixtures") {
            continue;
        }
        if path.is_dir() {
            found.extend(case_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            found.push(path);
        }
    }
    found
}

#[test]
fn the_honest_reference_server_passes_the_whole_suite_sequentially_and_shuffled_in_parallel() {
    let (out, report) = run_suite(&["--test-threads", "1"], &[]);
    assert_all_pass(&out, &report);
    let (out, report) = run_suite(&["--test-threads", "8", "--shuffle", "20261127"], &[]);
    assert_all_pass(&out, &report);
}

/// Whether a mismatch names the node the quirk changes.
fn names_quirk_node(quirk: Quirk, m: &MismatchRecord) -> bool {
    let actual = m.actual.as_deref().unwrap_or("");
    let paths = format!("{} {}", m.expected_path, m.actual_path);
    match quirk {
        Quirk::WrongResponseCode => {
            m.expected_path.ends_with("/ResponseCode") && actual == "ErrorInternalServerError"
        }
        Quirk::MissingElement => {
            m.kind == "missing-element" && m.expected_path.ends_with("/ResponseCode")
        }
        Quirk::ExtraElement => {
            m.kind == "unexpected-element" && m.actual_path.contains("QuirkExtraElement")
        }
        Quirk::HttpsNamespace => m
            .message
            .contains("https://schemas.microsoft.com/exchange/services/2006/"),
        Quirk::WrongChildOrder => {
            [
                "order",
                "element-name",
                "missing-element",
                "unexpected-element",
            ]
            .contains(&m.kind.as_str())
                && [
                    "MessageText",
                    "ResponseCode",
                    "DisplayName",
                    "GroupType",
                    "PersonaId",
                    "PersonaType",
                ]
                .iter()
                .any(|n| paths.contains(n))
        }
        Quirk::WrongMessageText => {
            (m.expected_path.ends_with("/MessageText") || m.expected_path.ends_with("/faultstring"))
                && actual == "The operation failed."
        }
        Quirk::Soap12Fault => {
            m.kind == "missing-fault"
                || m.message
                    .contains("http://www.w3.org/2003/05/soap-envelope")
        }
        Quirk::DropServerVersionInfo => {
            paths.contains("ServerVersionInfo") || m.message.contains("ServerVersionInfo")
        }
        Quirk::Http200ForFault => {
            m.kind == "http-status" && m.expected.as_deref() == Some("500") && actual == "200"
        }
        Quirk::FrozenChangeKey => {
            m.expected_path.ends_with("/@ChangeKey") && m.message.contains("differ")
        }
        Quirk::HtmlContentType => {
            m.kind == "http-header"
                && m.expected_path == "HTTP header Content-Type"
                && actual.starts_with("text/html")
        }
        Quirk::SchemaInvalidResponse => {
            m.kind == "schema"
                && m.actual_path == "/Envelope/Header"
                && m.message.contains("QuirkHeaderEntry")
        }
        Quirk::WrongFolderCounts => m.expected_path.ends_with("/ChildFolderCount"),
        Quirk::PublicDlAsMailbox => m.expected_path.ends_with("/MailboxType"),
        Quirk::SortIgnored => {
            m.expected_path.contains("/RootFolder/Items/")
                || m.expected_path.contains("/RootFolder/Groups/")
        }
        Quirk::DuplicatedEvent => paths.contains("/Notification/") && paths.contains("Event"),
        Quirk::MissingKeepalive => {
            m.kind == "stream" && m.message.contains("no document matching the expectation")
        }
        Quirk::AttachmentChangeKeyFrozen => {
            m.expected_path.ends_with("/@RootItemChangeKey")
                || m.expected_path.ends_with("/@ChangeKey")
        }
        Quirk::AttachmentSizeWrong => {
            paths.contains("Attachment") && m.expected_path.ends_with("/Size")
        }
        Quirk::NoSentItemsCopy => {
            m.expected_path.contains("SentItems") || m.expected_path.ends_with("/TotalCount")
        }
        Quirk::BccVisible => {
            paths.contains("BccRecipients") || m.actual_path.contains("/BccRecipients")
        }
        Quirk::AutodiscoverWrongEwsUrl => actual.ends_with("/EWS/Wrong.asmx"),
        Quirk::TimezoneBiasSign => m.expected_path.ends_with("/@Bias"),
        Quirk::MergedFreeBusyShifted => m.expected_path.ends_with("/MergedFreeBusy"),
        Quirk::PhotoMissingAsMessage => {
            m.kind == "http-status" && m.expected.as_deref() == Some("500") && actual == "200"
        }
        Quirk::DelegateWriteAllowed => {
            m.expected_path.ends_with("/ResponseCode")
                || m.expected_path.ends_with("/@ResponseClass")
        }
        Quirk::PagingOffByOne => {
            m.kind == "missing-element"
                && (m.expected_path.contains("/RootFolder/Folders/")
                    || m.expected_path.contains("/RootFolder/Items/"))
        }
        Quirk::IncludesLastItemWrong => m.expected_path.ends_with("/@IncludesLastItemInRange"),
        Quirk::RestrictionIgnored => {
            m.expected_path.ends_with("/@TotalItemsInView")
                || (m.kind == "unexpected-element" && m.actual_path.contains("/RootFolder/"))
        }
        Quirk::FolderClassFirst => paths.contains("FolderClass") || paths.contains("FolderId"),
        Quirk::SyncLosesChange => paths.contains("ResponseMessage/Changes"),
        Quirk::SyncIncludesLastWrong => m.expected_path.ends_with("/IncludesLastItemInRange"),
        Quirk::StaleChangeKeyAccepted => {
            paths.contains("UpdateFolderResponseMessage")
                && (m.expected_path.ends_with("/@ResponseClass")
                    || m.expected_path.ends_with("/ResponseCode")
                    || m.expected_path.ends_with("/MessageText"))
        }
    }
}

fn catches(quirk: Quirk, case: &CaseResult) -> bool {
    case.status == CaseStatus::Fail
        && case
            .steps
            .iter()
            .flat_map(|s| &s.mismatches)
            .any(|m| names_quirk_node(quirk, m))
}

/// The markdown table of quirk → catching cases, as `cases/README.md` holds it.
fn quirk_table(rows: &[(Quirk, usize, Vec<String>)]) -> String {
    let mut out = String::from(
        "| quirk | failing cases | cases whose mismatch names the quirk's node |\n|---|---|---|\n",
    );
    for (quirk, failing, catching) in rows {
        let shown: Vec<String> = catching
            .iter()
            .take(5)
            .map(|id| format!("`{id}`"))
            .collect();
        let more = if catching.len() > 5 {
            format!(" and {} more", catching.len() - 5)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| `{}` | {failing} | {}{more} |\n",
            quirk.name(),
            shown.join(", ")
        ));
    }
    out
}

#[test]
fn every_quirk_of_the_reference_server_is_caught_and_its_node_named() {
    let mut rows = Vec::new();
    for &quirk in Quirk::ALL {
        let (out, report) = run_suite(&["--quirk", quirk.name()], &[]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "quirk {quirk}: the suite must fail\n{}",
            all_output(&out)
        );
        let failing = report
            .cases
            .iter()
            .filter(|c| c.status == CaseStatus::Fail)
            .count();
        let catching: Vec<String> = report
            .cases
            .iter()
            .filter(|c| catches(quirk, c))
            .map(|c| c.id.clone())
            .collect();
        assert!(
            !catching.is_empty(),
            "quirk {quirk}: {failing} cases fail but none names the quirk's node"
        );
        assert!(
            !report.cases.iter().any(|c| c.status == CaseStatus::Error
                && c.reason.as_deref().unwrap_or("").contains("panicked")),
            "quirk {quirk}: no case may error with a panic"
        );
        rows.push((quirk, failing, catching));
    }
    let table = quirk_table(&rows);
    let readme_path = repo_root().join("cases/README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("cases/README.md");
    let (begin, end) = ("<!-- quirk-table:begin -->\n", "<!-- quirk-table:end -->");
    let (Some(b), Some(e)) = (readme.find(begin), readme.find(end)) else {
        panic!("cases/README.md lacks the quirk table markers; the table is:\n{table}");
    };
    let current = &readme[b + begin.len()..e];
    if current != table {
        if crate::support::bless_mode().may_overwrite() {
            let updated = format!("{}{begin}{table}{}", &readme[..b], &readme[e..]);
            std::fs::write(&readme_path, updated).expect("write cases/README.md");
        } else {
            panic!(
                "the quirk table in cases/README.md is out of date; it should read:\n{table}\n\
                 rerun with EWS_BLESS=overwrite cargo test --test it suite:: to update it"
            );
        }
    }
}

/// GetImItemList of one mailbox (impersonating `impersonate` when given), canonical.
fn im_list(url: &str, user: &str, password: &str, impersonate: Option<&str>) -> xml::Document {
    let headers = soap::EnvelopeHeaders {
        server_version: Some("Exchange2013".into()),
        impersonate: impersonate.map(str::to_string),
        ..Default::default()
    };
    let body = soap::build_envelope("<m:GetImItemList/>", &headers);
    let response = reqwest::blocking::Client::new()
        .post(url)
        .basic_auth(user, Some(password))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(body)
        .send()
        .expect("GetImItemList");
    assert_eq!(response.status().as_u16(), 200);
    let bytes = response.bytes().expect("body");
    xml::parse(&bytes, &xml::ParseOptions::default()).expect("GetImItemList parses")
}

#[test]
fn two_runs_against_one_server_pass_and_leave_every_im_list_as_they_found_it() {
    let config = ServerConfig::default();
    let server = reference_server::start(config.clone()).expect("server starts");
    let url = server.url();
    let primary = config.users.first().expect("a primary user").clone();
    let variables = config.target_variables();
    let other = variables.get(vars::IMPERSONATION_TARGET).cloned();
    let lists = || {
        (
            im_list(&url, &primary.username, &primary.password, None),
            other
                .as_deref()
                .map(|o| im_list(&url, &primary.username, &primary.password, Some(o))),
        )
    };
    let before = lists();

    let var_args: Vec<String> = variables.iter().map(|(k, v)| format!("{k}={v}")).collect();
    // The other users, for the cases that act as them (`as: bob`), as a target profile lists
    // them; their passwords come from the environment.
    let profile_dir = TempDir::new("two-runs-profile");
    let profile = profile_dir.path().join("target.yaml");
    let mut profile_text = format!(
        "endpoint: {url}\nauth: basic\nusername: {}\nusers:\n",
        primary.username
    );
    let mut env: Vec<(String, String)> = vec![
        ("EWS_USERNAME".into(), primary.username.clone()),
        ("EWS_PASSWORD".into(), primary.password.clone()),
    ];
    for user in config.users.iter().skip(1) {
        profile_text.push_str(&format!(
            "  {0}:\n    username: {0}\n    mailbox: {1}\n",
            user.username, user.smtp_address
        ));
        env.push((
            format!("EWS_PASSWORD_{}", user.username.to_ascii_uppercase()),
            user.password.clone(),
        ));
    }
    std::fs::write(&profile, profile_text).expect("write the target profile");
    let mut args = vec![
        "--target",
        profile.to_str().expect("utf-8 path"),
        "--test-threads",
        "8",
    ];
    for v in &var_args {
        args.extend(["--var", v.as_str()]);
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for round in 1..=2 {
        let (out, report) = run_suite(&args, &env);
        assert!(
            !report.target.embedded,
            "round {round} ran against the given endpoint"
        );
        assert_all_pass(&out, &report);
    }

    let after = lists();
    // Change keys of the default groups legitimately move when members come and go.
    let opts = xml::CompareOptions {
        ignore: vec![
            xml::Path::parse("//t:ExchangeStoreId/@ChangeKey").expect("path"),
            xml::Path::parse("//t:ItemId/@ChangeKey").expect("path"),
            xml::Path::parse("/soap:Envelope/soap:Header").expect("path"),
        ],
        ..Default::default()
    };
    for (name, b, a) in [
        ("primary", Some(&before.0), Some(&after.0)),
        ("impersonation target", before.1.as_ref(), after.1.as_ref()),
    ] {
        let (Some(b), Some(a)) = (b, a) else { continue };
        let comparison = xml::compare(b, a, &opts);
        assert!(
            comparison.mismatches.is_empty(),
            "the {name} IM list changed across two runs: {:#?}\n{}",
            comparison.mismatches,
            xml::render_diff(b, a, &opts, &xml::DiffOptions::default())
        );
    }
    server.shutdown();
}

/// (id, status) of every case, for comparing runs.
fn verdicts(report: &RunReport) -> Vec<(String, CaseStatus)> {
    report
        .cases
        .iter()
        .map(|c| (c.id.clone(), c.status))
        .collect()
}

#[test]
fn four_shards_merged_by_the_merge_command_equal_one_full_run() {
    // A quirk makes some cases fail, so statuses (not only ids) must survive the merge.
    let quirk = ["--quirk", "wrong-message-text"];
    let (_, full) = run_suite(&quirk, &[]);
    let shards: Vec<TempDir> = (1..=4).map(|_| TempDir::new("shard")).collect();
    let cases = repo_root().join("cases");
    for (k, dir) in shards.iter().enumerate() {
        let partition = format!("hash:{}/4", k + 1);
        let out = run_bin(
            &[
                "--cases",
                cases.to_str().unwrap(),
                "--reports",
                dir.path().to_str().unwrap(),
                "--partition",
                &partition,
                quirk[0],
                quirk[1],
            ],
            &[],
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            all_output(&out)
        );
    }
    let merged = TempDir::new("merged");
    let inputs: Vec<String> = shards
        .iter()
        .map(|d| d.path().join("report.json").to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["merge", "--reports", merged.path().to_str().unwrap()];
    args.extend(inputs.iter().map(String::as_str));
    let out = run_bin(&args, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "merged report has failures: {}",
        all_output(&out)
    );
    let merged_report = read_report(merged.path());
    assert_eq!(verdicts(&merged_report), verdicts(&full));
    assert!(full.cases.iter().any(|c| c.status == CaseStatus::Fail));
    for file in ["junit.xml", "report.html"] {
        assert!(merged.path().join(file).is_file(), "merge wrote {file}");
    }
}

/// Every file below `dir`, as text.
fn files_text(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_file() {
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned(),
            ));
        }
    }
    out
}

#[test]
fn no_secret_appears_in_the_terminal_or_any_report() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let secret = format!("S3cret-{}-pa55", std::process::id());
    let mut config = ServerConfig {
        quirks: vec![Quirk::WrongMessageText, Quirk::Http200ForFault],
        ..ServerConfig::default()
    };
    config.users[0].password = secret.clone();
    let user = config.users[0].username.clone();
    let server = reference_server::start(config.clone()).expect("server");
    let var_args: Vec<String> = config
        .target_variables()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();

    for (password, what) in [
        (secret.clone(), "right"),
        (format!("{secret}-wrong"), "wrong"),
    ] {
        let reports = TempDir::new("secrets");
        let cases = repo_root().join("cases");
        let url = server.url();
        let mut args = vec![
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
            "--endpoint",
            url.as_str(),
            "--auth",
            "basic",
        ];
        for v in &var_args {
            args.extend(["--var", v.as_str()]);
        }
        let out = run_bin(
            &args,
            &[
                ("EWS_USERNAME", user.as_str()),
                ("EWS_PASSWORD", password.as_str()),
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{what} password: the quirky or refused run fails"
        );
        let mut outputs = vec![("terminal".to_string(), all_output(&out))];
        outputs.extend(files_text(reports.path()));
        assert!(outputs.len() >= 4, "terminal + three reports");
        let needles = [
            password.clone(),
            b64(&password),
            b64(&format!("{user}:{password}")),
        ];
        for (name, text) in &outputs {
            for needle in &needles {
                assert!(
                    !text.contains(needle.as_str()),
                    "{what} password: `{needle}` found in {name}"
                );
            }
        }
        if what == "wrong" {
            assert!(
                all_output(&out).contains("401"),
                "a refused login is visible: {}",
                all_output(&out)
            );
        }
    }
    server.shutdown();
}
