//! Real EWS clients drive the reference server: exchangelib (Python) and ews-javascript-api
//! (Node), at the versions pinned in `harness/tests/clients/` (installed by `.ci/run`). Each
//! scenario is a script of the client's own calls whose result the client itself reports; a
//! client error is a failure carrying the client's message.
//!
//! Without the clients installed the tests skip with a message, except under `CI`, where a
//! missing client fails the test: CI must never be green for a scenario that did not run.

use std::path::{Path, PathBuf};
use std::process::Command;

use ews_conformance::reference_server::{self, RunningServer, ServerConfig};
use serde_json::Value;

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Which real client runs a scenario.
#[derive(Clone, Copy, Debug)]
enum Client {
    Exchangelib,
    EwsJavascriptApi,
}

impl Client {
    /// The command that runs `scenario`, or why the client is not available here.
    fn command(self, scenario: &str) -> Result<Command, String> {
        let dir = clients_dir();
        match self {
            Client::Exchangelib => {
                let probe = Command::new("python3")
                    .args(["-c", "import exchangelib"])
                    .output();
                if !probe.is_ok_and(|o| o.status.success()) {
                    return Err("exchangelib is not installed \
                                (pip install -r harness/tests/clients/requirements.txt)"
                        .into());
                }
                let mut cmd = Command::new("python3");
                cmd.arg(dir.join("exchangelib_scenarios.py")).arg(scenario);
                Ok(cmd)
            }
            Client::EwsJavascriptApi => {
                if !dir.join("node_modules/ews-javascript-api").is_dir() {
                    return Err("ews-javascript-api is not installed \
                                (npm ci --prefix harness/tests/clients)"
                        .into());
                }
                let mut cmd = Command::new("node");
                cmd.arg(dir.join("ewsjs_scenarios.js")).arg(scenario);
                Ok(cmd)
            }
        }
    }
}

/// Runs `scenario` with `client` as alice against `server`; `None` when the client is missing
/// outside CI (the test then passes vacuously, and says so on stderr).
fn run(client: Client, scenario: &str, server: &RunningServer) -> Option<Value> {
    let mut cmd = match client.command(scenario) {
        Ok(cmd) => cmd,
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED {client:?} scenario {scenario}: {why}");
            return None;
        }
        Err(why) => panic!("{client:?} scenario {scenario} cannot run under CI: {why}"),
    };
    let out = cmd
        .args(["--url", &server.url(), "--user", "alice"])
        .args(["--address", "alice@contoso.com"])
        .env("EWS_CLIENT_PASSWORD", "alice-password")
        .output()
        .unwrap_or_else(|e| panic!("{client:?} did not start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{client:?} scenario {scenario} crashed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let line = stdout.lines().last().unwrap_or_default();
    Some(serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("{client:?} scenario {scenario} printed no JSON result ({e}):\n{stdout}\n{stderr}")
    }))
}

fn server() -> RunningServer {
    reference_server::start(ServerConfig::default()).expect("reference server starts")
}

/// An operation the server does not implement reads as exactly that in both clients: the
/// operation is named, and exchangelib raises the code's own class at once instead of taking it
/// for a version mismatch and retrying with other versions.
#[test]
fn unimplemented_operation_reads_as_not_implemented_in_both_clients() {
    let server = server();
    let expected = "The operation GetSearchableMailboxes is not implemented by this server.";
    if let Some(result) = run(Client::Exchangelib, "unimplemented_operation", &server) {
        assert_eq!(result["ok"], false, "{result}");
        assert_eq!(result["error_class"], "ErrorInvalidOperation", "{result}");
        assert_eq!(result["message"], expected, "{result}");
    }
    if let Some(result) = run(Client::EwsJavascriptApi, "unimplemented_operation", &server) {
        assert_eq!(result["ok"], false, "{result}");
        assert_eq!(result["response_code"], "ErrorInvalidOperation", "{result}");
        assert_eq!(result["message"], expected, "{result}");
    }
    server.shutdown();
}
