//! The `ews-reference-server` binary as a client project's CI runs it: `serve` on a free port
//! prints its URL, answers an EWS request over loopback, and refuses bad flags with exit code 2.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills (and reaps) the server this test started, also when the test fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_prints_its_url_and_answers_ews_over_loopback() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ews-reference-server"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let _server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let url = first.rsplit(' ').next().unwrap_or_default().to_string();
    let address = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/EWS/Exchange.asmx"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    let body = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header><soap:Body><m:GetImItemList/></soap:Body></soap:Envelope>"#;
    let mut stream = TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // alice:alice-password
    write!(
        stream,
        "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: {address}\r\nAuthorization: Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("<ResponseCode>NoError</ResponseCode>")
            && response.contains("GetImItemListResponse"),
        "{response}"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let output = Command::new(env!("CARGO_BIN_EXE_ews-reference-server"))
        .args([
            "serve",
            "--quirk",
            "no-such-quirk",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown quirk `no-such-quirk`"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_ews-reference-server"))
        .args([
            "serve",
            "--tls-cert",
            "/nonexistent.pem",
            "--tls-key",
            "/nonexistent.key",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read the certificate `/nonexistent.pem`"),
        "{stderr}"
    );
}
