//! Helpers shared by the integration-test modules: running the real binary, temporary folders,
//! reading the JSON report back into the result model.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use ews_conformance::report::RunReport;

/// A folder under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("ews-it-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The repository root (the folder with `cases/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fixture folder under `harness/tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Runs the `ews-conformance` binary with `args` and extra environment variables. The EWS_*
/// variables of the outer environment are cleared so a developer's settings cannot leak in
/// (`EWS_BLESS` too: blessing this project's goldens must never record into case files).
pub fn run_bin(args: &[&str], env: &[(&str, &str)]) -> Output {
    bin_command(args, env, &[])
        .output()
        .expect("run ews-conformance")
}

/// The `ews-conformance` command with `args`, the outer EWS_* variables (and `also_cleared`)
/// removed, then `env` set.
pub fn bin_command(args: &[&str], env: &[(&str, &str)], also_cleared: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ews-conformance"));
    cmd.args(args).env("NO_COLOR", "1");
    for var in [
        "EWS_BLESS",
        "EWS_ENDPOINT",
        "EWS_AUTH",
        "EWS_USERNAME",
        "EWS_PASSWORD",
        "EWS_TOKEN",
        "EWS_TOKEN_FILE",
    ]
    .iter()
    .chain(also_cleared)
    {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// stdout + stderr as one string, for assertions and failure messages.
pub fn all_output(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Reads `report.json` from a reports folder.
pub fn read_report(dir: &Path) -> RunReport {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json written");
    serde_json::from_str(&text).expect("report.json parses into the result model")
}

/// The bless mode of this test run (`EWS_BLESS=no|new|overwrite`; never writes under `CI`). An
/// unknown value fails the test that asks.
pub fn bless_mode() -> ews_conformance::bless::Mode {
    ews_conformance::bless::Mode::from_env().unwrap_or_else(|e| panic!("{e}"))
}

/// Compares the golden file at `path` with `actual` under the run's bless mode; on a mismatch
/// panics with the diff and the command that accepts the new output (`EWS_BLESS=... cargo test
/// --test it <test_filter>`). The one golden helper of the test binary.
pub fn assert_golden_file(path: &Path, actual: &str, test_filter: &str) {
    if let Err(message) =
        ews_conformance::bless::check_text(bless_mode(), path, actual, test_filter)
    {
        panic!("{message}");
    }
}

/// One HTTP/1.1 request as a test server received it: the request line's target, the headers
/// (trimmed, in order) and the body (by Content-Length).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request from `stream` for the loopback test servers; `None` when the peer closes
/// before a whole request arrived.
pub fn read_http_request(stream: &mut std::net::TcpStream) -> Option<HttpRequest> {
    use std::io::Read;
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let Some(head_end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
        let headers: Vec<(String, String)> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        if data.len() >= head_end + 4 + length {
            return Some(HttpRequest {
                path: head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string(),
                headers,
                body: String::from_utf8_lossy(&data[head_end + 4..head_end + 4 + length])
                    .into_owned(),
            });
        }
    }
}
