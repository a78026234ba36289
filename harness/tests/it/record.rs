//! Recording end to end: a case written with requests only is recorded against `serve` (a real
//! reference server process over loopback), reviewed, and then passes; the recorded file keeps
//! every byte outside its expectation blocks; a stale expectation is rewritten alone, with its
//! step's binds kept; a server that answers wrongly fails with the node named and the accept
//! command last; `CI` never writes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::support::{TempDir, all_output, fixture};

/// Runs the binary with a clean environment for blessing: no CI, no EWS_BLESS, no CARGO (so
/// the accept command names the binary), plus `env`.
fn bin(args: &[&str], env: &[(&str, &str)]) -> Output {
    crate::support::bin_command(args, env, &["CI", "CARGO"])
        .output()
        .expect("run ews-conformance")
}

/// `ews-conformance serve` on a loopback port; killed (by its pid) when dropped.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn start() -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ews-conformance"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let url = first.rsplit(' ').next().unwrap_or_default().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{first}");
        // Keep reading its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Serve { child, url }
    }

    fn args<'a>(&'a self, cases: &'a str) -> Vec<&'a str> {
        vec![
            "--cases",
            cases,
            "--no-reports",
            "--endpoint",
            &self.url,
            "--auth",
            "basic",
            "--username",
            "alice",
        ]
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SERVE_ENV: &[(&str, &str)] = &[("EWS_PASSWORD", "alice-password")];

/// A temp cases folder holding a copy of `tests/fixtures/record/im/<name>`.
fn cases_with(name: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new("record");
    std::fs::create_dir_all(dir.path().join("im")).unwrap();
    let file = dir.path().join("im").join(name);
    std::fs::copy(fixture("record/im").join(name), &file).unwrap();
    (dir, file)
}

/// The text with every `expect:` block of a step removed (the key line and its deeper lines).
fn without_expect_blocks(text: &str) -> String {
    let mut out = String::new();
    let mut skipping: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(key_indent) = skipping {
            if line.trim().is_empty() || indent > key_indent {
                continue;
            }
            skipping = None;
        }
        if line.trim_start().starts_with("expect:") {
            skipping = Some(indent);
            continue;
        }
        out.push_str(line);
    }
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn a_requests_only_case_recorded_against_serve_passes_next_time_and_catches_a_wrong_server() {
    let server = Serve::start();
    let (dir, file) = cases_with("requests_only.yaml");
    let cases = dir.path().to_string_lossy().into_owned();
    let original = read(&file);
    let pending = PathBuf::from(format!("{}.new", file.display()));

    // Without an expectation the steps pass (nothing to compare); recording writes `.new`.
    let mut args = server.args(&cases);
    args.extend(["--bless", "new"]);
    let out = bin(&args, SERVE_ENV);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        all_output(&out).contains(&format!(
            "recorded 2 step(s) into {}: create a group, read it back",
            pending.display()
        )),
        "{}",
        all_output(&out)
    );
    assert_eq!(
        read(&file),
        original,
        "mode `new` never changes the case file"
    );
    let recorded = read(&pending);

    // Outside the expectation blocks the file is byte for byte what it was.
    assert_eq!(without_expect_blocks(&recorded), original);
    // Dynamic values are masked visibly: ids, change keys, the run id, an earlier capture.
    assert!(
        recorded
            .contains("    expect: |\n      <m:AddImGroupResponse ResponseClass=\"Success\">\n"),
        "{recorded}"
    );
    assert!(
        recorded.contains("<t:DisplayName>rec-{{run_id}}</t:DisplayName>"),
        "{recorded}"
    );
    assert!(
        recorded.contains("<t:ExchangeStoreId ChangeKey=\"{{base64}}\" Id=\"{{ews_id}}\"/>"),
        "{recorded}"
    );
    assert!(
        recorded.contains("<t:ExchangeStoreId ChangeKey=\"{{base64}}\" Id=\"{{group_id}}\"/>"),
        "{recorded}"
    );
    assert!(
        !recorded.contains("xmlns:"),
        "predeclared prefixes need no declarations:\n{recorded}"
    );

    // review --accept-all moves the recording over the case.
    let out = bin(&["review", "--accept-all", &cases], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(
        all_output(&out).contains("+    expect: |"),
        "the diff is shown:\n{}",
        all_output(&out)
    );
    assert!(!pending.exists());
    assert_eq!(read(&file), recorded);

    // The next run passes against serve, and against the embedded server.
    let out = bin(&server.args(&cases), SERVE_ENV);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = bin(&["--cases", &cases, "--no-reports"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));

    // A server answering the wrong ResponseCode fails, naming the node, and the message ends
    // with the command that records the new output (the same binary, cases and quirk).
    let out = bin(
        &[
            "--cases",
            &cases,
            "--no-reports",
            "--quirk",
            "wrong-response-code",
        ],
        &[],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("/Envelope/Body/AddImGroupResponse/ResponseCode"),
        "{text}"
    );
    let exe = env!("CARGO_BIN_EXE_ews-conformance");
    let accept = format!(
        "accept the new output: EWS_BLESS=new {exe} --cases {cases} --quirk wrong-response-code --exact im/requests_only && {exe} review {}",
        pending.display()
    );
    assert!(text.contains(&accept), "expected `{accept}` in:\n{text}");
    // Started by cargo, the command is `cargo run`.
    let out = bin(
        &[
            "--cases",
            &cases,
            "--no-reports",
            "--quirk",
            "wrong-response-code",
        ],
        &[("CARGO", "cargo")],
    );
    assert!(
        all_output(&out).contains("EWS_BLESS=new cargo run -- --cases "),
        "{}",
        all_output(&out)
    );
}

#[test]
fn ci_never_writes_whatever_the_mode() {
    let (dir, file) = cases_with("requests_only.yaml");
    let cases = dir.path().to_string_lossy().into_owned();
    let original = read(&file);
    for mode in ["new", "overwrite"] {
        let out = bin(
            &["--cases", &cases, "--no-reports", "--bless", mode],
            &[("CI", "true")],
        );
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
        assert!(
            all_output(&out).contains("bless: CI is set, so nothing is written"),
            "{}",
            all_output(&out)
        );
        let out = bin(
            &["--cases", &cases, "--no-reports"],
            &[("CI", "1"), ("EWS_BLESS", mode)],
        );
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
        assert!(
            all_output(&out).contains("CI is set"),
            "{}",
            all_output(&out)
        );
    }
    assert_eq!(read(&file), original);
    let names: Vec<String> = std::fs::read_dir(dir.path().join("im"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["requests_only.yaml"]);
    // A mode outside the closed set is a usage error.
    let out = bin(&["--cases", &cases, "--bless", "yes"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(all_output(&out).contains("use `no`, `new` or `overwrite`"));
}

#[test]
fn a_stale_expectation_is_rewritten_alone_and_binds_are_kept() {
    let (dir, file) = cases_with("stale.yaml");
    let cases = dir.path().to_string_lossy().into_owned();
    let original = read(&file);
    let out = bin(&["--cases", &cases, "--no-reports"], &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the stale case fails first:\n{}",
        all_output(&out)
    );

    // `overwrite` rewrites the case file itself.
    let out = bin(
        &["--cases", &cases, "--no-reports", "--bless", "overwrite"],
        &[],
    );
    assert!(
        all_output(&out).contains("recorded 1 step(s)"),
        "{}",
        all_output(&out)
    );
    let recorded = read(&file);
    let (before, after) = original
        .split_once("    expect: <m:GetImItemsResponse")
        .unwrap();
    assert!(
        recorded.starts_with(before),
        "the passing step is untouched:\n{recorded}"
    );
    assert!(
        recorded.ends_with("\n    options: { ignore: [\"//t:Personas\"] }\n"),
        "{recorded}"
    );
    assert!(!after.is_empty());
    assert!(recorded.contains("Id=\"{{bind group_id ews_id}}\""));
    assert!(
        recorded.contains("<m:GetImItemsResponse ResponseClass=\"Success\">"),
        "{recorded}"
    );
    assert!(recorded.contains("Id=\"{{group_id}}\""), "{recorded}");
    let out = bin(&["--cases", &cases, "--no-reports"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}

#[test]
fn review_rejects_and_refuses_to_guess_without_a_terminal() {
    let (dir, file) = cases_with("requests_only.yaml");
    let cases = dir.path().to_string_lossy().into_owned();
    let out = bin(&["--cases", &cases, "--no-reports", "--bless", "new"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let pending = PathBuf::from(format!("{}.new", file.display()));
    assert!(pending.exists());
    // No terminal and no --accept-all/--reject-all: shown, nothing changed, exit 1.
    let out = bin(&["review", &pending.to_string_lossy()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    assert!(all_output(&out).contains("pass --accept-all or --reject-all"));
    assert!(pending.exists());
    let out = bin(&["review", "--reject-all", &pending.to_string_lossy()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(!pending.exists());
    assert_eq!(
        read(&file),
        read(&fixture("record/im/requests_only.yaml")),
        "rejecting leaves the case as it was"
    );
}

#[test]
fn fixture_steps_are_not_rewritten_and_their_exports_mask_ids() {
    let (dir, file) = cases_with("with_fixture.yaml");
    std::fs::create_dir_all(dir.path().join("im/_fixtures")).unwrap();
    let fixture_file = dir.path().join("im/_fixtures/im_group.yaml");
    std::fs::copy(fixture("record/im/_fixtures/im_group.yaml"), &fixture_file).unwrap();
    let fixture_text = read(&fixture_file);
    let cases = dir.path().to_string_lossy().into_owned();
    let out = bin(
        &["--cases", &cases, "--no-reports", "--bless", "overwrite"],
        &[],
    );
    assert!(
        all_output(&out).contains("recorded 1 step(s)"),
        "{}",
        all_output(&out)
    );
    assert_eq!(
        read(&fixture_file),
        fixture_text,
        "a fixture is never rewritten"
    );
    let recorded = read(&file);
    assert!(
        recorded.contains(
            "<t:ExchangeStoreId ChangeKey=\"{{group.change_key}}\" Id=\"{{group.id}}\"/>"
        ),
        "{recorded}"
    );
    assert!(
        recorded.contains("<t:DisplayName>fx-{{run_id}}</t:DisplayName>"),
        "{recorded}"
    );
    let out = bin(&["--cases", &cases, "--no-reports"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}
