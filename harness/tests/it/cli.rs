//! The command line as a user meets it: `diff`, `lint`, `serve`, `schema` and usage errors, through
//! the real binary (exit codes 0 / 1 / 2 as documented in the README).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TempDir, all_output, fixture, repo_root, run_bin};

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn diff_exits_0_when_equal_after_normalization_1_with_every_path_2_on_bad_input() {
    let dir = TempDir::new("cli-diff");
    let expected = write(
        &dir,
        "expected.xml",
        "<m:R xmlns:m=\"urn:m\" b=\"2\" a=\"1\">\n  <m:Code>NoError</m:Code>\n  <m:Id>{{any}}</m:Id>\n  <m:Name>x</m:Name>\n</m:R>\n",
    );
    let same = write(
        &dir,
        "same.xml",
        "<?xml version=\"1.0\"?><R xmlns=\"urn:m\" a=\"1\" b=\"2\"><Code>NoError</Code><Id>AAMk=</Id><Name>\n  x\n</Name></R>",
    );
    let out = run_bin(&["diff", &expected, &same], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));

    let other = write(
        &dir,
        "other.xml",
        "<R xmlns=\"urn:m\" a=\"1\" b=\"3\"><Code>ErrorX</Code><Id>AAMk=</Id><Name>x</Name></R>",
    );
    let out = run_bin(&["diff", &expected, &other], &[]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("2 difference(s)"), "{text}");
    assert!(text.contains("/R/@b") && text.contains("/R/Code"), "{text}");
    // urn:m is not an EWS namespace, so the canonical form prints it with the prefix ns1.
    assert!(
        text.contains("-  <ns1:Code>NoError</ns1:Code>")
            && text.contains("+  <ns1:Code>ErrorX</ns1:Code>"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{expected}:2:")),
        "expectation position: {text}"
    );

    let broken = write(&dir, "broken.xml", "<R>\n  <unclosed>\n</R>");
    let out = run_bin(&["diff", &expected, &broken], &[]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains(&format!("{broken}:3:")), "{text}");
}

#[test]
fn lint_reports_every_load_error_with_its_position_and_fails() {
    let errors = fixture("cases/errors");
    let out = run_bin(&["lint", errors.to_str().unwrap()], &[]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("unknown_keys.yaml:") && text.contains("did you mean `expect`"),
        "{text}"
    );
    assert!(text.contains("wrong_type.yaml:"), "{text}");

    let cases = repo_root().join("cases");
    let out = run_bin(&["lint", cases.to_str().unwrap()], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the shipped suite lints clean: {}",
        all_output(&out)
    );
}

#[test]
fn schema_prints_the_committed_json_schema() {
    let out = run_bin(&["schema"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read_to_string(repo_root().join("cases/case.schema.json"))
        .expect("committed schema");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        committed.trim()
    );
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    for args in [
        vec!["--partition", "hash:5/4"],
        vec!["--quirk", "no-such-quirk"],
        vec![
            "--endpoint",
            "http://127.0.0.1:9/EWS/Exchange.asmx",
            "--auth",
            "basic",
        ],
        vec!["--no-such-flag"],
    ] {
        let out = run_bin(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", all_output(&out));
    }
    let out = run_bin(
        &[
            "--endpoint",
            "http://127.0.0.1:9/EWS/Exchange.asmx",
            "--auth",
            "basic",
        ],
        &[],
    );
    assert!(
        all_output(&out).contains("EWS_USERNAME"),
        "{}",
        all_output(&out)
    );
    let out = run_bin(
        &[
            "--endpoint",
            "http://127.0.0.1:9/EWS/Exchange.asmx",
            "--auth",
            "basic",
        ],
        &[("EWS_USERNAME", "alice")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        all_output(&out).contains("EWS_PASSWORD"),
        "{}",
        all_output(&out)
    );
}

#[test]
fn serve_prints_its_url_and_credentials_answers_ews_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ews-conformance"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let url = first.rsplit(' ').next().unwrap_or_default().to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/EWS/Exchange.asmx"),
        "{first}"
    );
    let mut banner = String::new();
    for line in lines.by_ref().map_while(Result::ok) {
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Ctrl-C") {
            break;
        }
    }
    assert!(banner.contains("alice@contoso.com"), "{banner}");

    let envelope = ews_conformance::soap::build_envelope(
        "<m:GetImItemList/>",
        &ews_conformance::soap::EnvelopeHeaders {
            server_version: Some("Exchange2013".into()),
            ..Default::default()
        },
    );
    let response = reqwest::blocking::Client::new()
        .post(&url)
        .basic_auth("alice", Some("alice-password"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(envelope)
        .send()
        .expect("request to serve");
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response
            .text()
            .unwrap_or_default()
            .contains("GetImItemListResponse")
    );

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop within 10 s of Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "serve exits 0 on Ctrl-C: {status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l == "stopped"), "{rest:?}");
}

/// `ews-conformance schema | head`: the reader is gone before anything is written (the read end
/// of the pipe is closed before the process starts), so every write fails with a broken pipe.
/// That ends the output quietly: exit 0, nothing on stderr, no panic.
#[test]
fn output_into_a_closed_pipe_exits_quietly() {
    for args in [&["schema"][..], &["lint", "--var", "x"][..]] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_ews-conformance"))
            .args(args)
            .current_dir(repo_root())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

/// Each error is printed once, by the one place that maps outcomes to exit codes.
#[test]
fn a_usage_error_is_printed_once_and_exits_2() {
    let out = run_bin(&["--partition", "nonsense"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    let out = run_bin(&["lint", "/definitely/not/here"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    assert!(stderr.contains("/definitely/not/here"), "{stderr}");
}
