//! 1,000 sequential SOAP POSTs against one loopback server: the harness's `Transport` against
//! `curl` (one process per request, and one process reading a config of 1,000 requests) and
//! `hurl` (one file of 1,000 entries), in the same run. Medians of 5 repetitions.
//!
//! Run: `cargo bench -p ews-conformance --bench transport_steps`
//! (`hurl` is used when it is on PATH or named by `HURL_BIN`; otherwise its row says why not.)
//!
//! hurl: not in Debian bookworm; its npm package downloads a binary at install time (no network
//! here); from crates.io `cargo install hurl@8.0.1 --locked` works (8.1.0 needs rustc 1.99) once
//! `libclang-dev`, `libcurl4-openssl-dev` and `libxml2-dev` are installed (about 10 min on 2 cores).
//!
//! Measured 2026-11-27 22:11 UTC on the shared 2-core machine (load average about 4, so absolute
//! numbers are noisy; read the ratios), `HURL_BIN=/tmp/hurl-install/bin/hurl cargo bench -p
//! ews-conformance --bench transport_steps`:
//!
//! | client                                | total (1,000) | per request | vs harness |
//! |---------------------------------------|--------------:|------------:|-----------:|
//! | ews-conformance Transport             |       23.0 ms |       23 us |      1.00x |
//! | curl, 1 process per request           |     10,548 ms |   10,548 us |       458x |
//! | curl -K, 1,000 requests in 1 process  |      117.9 ms |      118 us |       5.1x |
//! | hurl 8.0.1, 1,000 entries in 1 file   |      446.4 ms |      446 us |      19.4x |
//!
//! The server is a small std-only HTTP/1.1 keep-alive server in this file that answers every
//! POST with a fixed GetImItemList response, so every client measures the same exchange.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ews_conformance::target::{Auth, Secret, Target};
use ews_conformance::transport::{HttpRequest, Transport};

const REQUESTS: usize = 1_000;
const REPETITIONS: usize = 5;
const SOAP_ACTION: &str =
    "http://schemas.microsoft.com/exchange/services/2006/messages/GetImItemList";

const REQUEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">
  <soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>
  <soap:Body><m:GetImItemList/></soap:Body>
</soap:Envelope>"#;

fn response_body() -> String {
    let mut groups = String::new();
    for i in 0..3 {
        groups.push_str(&format!(
            "<t:ImGroup><t:DisplayName>Group {i}</t:DisplayName><t:GroupType>IPM.DistList.MOC.UserGroup</t:GroupType>\
             <t:ExchangeStoreId Id=\"AAMkADk0ZjZhZTFmLTE4ZjQtNDI5Ni1iMzU0LTE2ZjA0MWIzMTE2MwAuAAAAAAB{i}\" ChangeKey=\"EgAAABYAAACx9D9mBFZ5T7lV\"/>\
             <t:MemberCorrelationKey><t:ItemId Id=\"AAMkADk0ZjZhZTFmLTE4ZjQtNDI5Ni1iMzU0LTE2ZjA0MWIzMTE2MwBGAAAAAAC{i}\" ChangeKey=\"EQAAABYAAACx9D9mBFZ5\"/></t:MemberCorrelationKey></t:ImGroup>"
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1118" MinorBuildNumber="7" Version="V2017_07_11" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header><s:Body><GetImItemListResponse ResponseClass="Success" xmlns="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><ResponseCode>NoError</ResponseCode><ImItemList><t:Groups>{groups}</t:Groups><t:Personas/></ImItemList></GetImItemListResponse></s:Body></s:Envelope>"#
    )
}

/// Keep-alive HTTP/1.1 server: one thread per connection, a fixed answer to every request.
fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("local address");
    let body = response_body();
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            thread::spawn(move || serve_connection(stream, &answer));
        }
    });
    format!("http://{address}/EWS/Exchange.asmx")
}

fn serve_connection(mut stream: TcpStream, answer: &[u8]) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        // Complete requests already buffered?
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if pending.len() < end + 4 + length {
                break;
            }
            pending.drain(..end + 4 + length);
            if stream.write_all(answer).is_err() {
                return;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn run_harness(url: &str) -> Result<Duration, String> {
    let target = Target {
        endpoint: url.to_string(),
        auth: Auth::Basic {
            username: "alice".into(),
            password: Secret::new("bench-password"),
        },
        ..Target::default()
    };
    let transport = Transport::new(&target).map_err(|e| e.to_string())?;
    let request = HttpRequest {
        body: REQUEST.as_bytes().to_vec(),
        soap_action: Some(SOAP_ACTION.to_string()),
        headers: Vec::new(),
        ..HttpRequest::default()
    };
    let started = Instant::now();
    for _ in 0..REQUESTS {
        let response = transport.send(&request).map_err(|e| e.to_string())?;
        if response.status != 200 || response.body.is_empty() {
            return Err(format!("unexpected status {}", response.status));
        }
    }
    Ok(started.elapsed())
}

fn run_shell(script: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if status.success() {
        Ok(elapsed)
    } else {
        Err(format!("`{script}` failed: {status}"))
    }
}

fn curl_loop_script(url: &str, request_file: &Path) -> String {
    format!(
        "i=0; while [ $i -lt {REQUESTS} ]; do curl -sf -o /dev/null -u alice:bench-password \
         -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: {SOAP_ACTION}' \
         --data-binary @{} {url} || exit 1; i=$((i+1)); done",
        request_file.display()
    )
}

fn curl_config(url: &str, request_file: &Path, dir: &Path) -> PathBuf {
    let mut config = String::new();
    for i in 0..REQUESTS {
        if i > 0 {
            config.push_str("next\n");
        }
        config.push_str(&format!(
            "url = \"{url}\"\nuser = \"alice:bench-password\"\nheader = \"Content-Type: text/xml; charset=utf-8\"\n\
             header = \"SOAPAction: {SOAP_ACTION}\"\ndata-binary = \"@{}\"\noutput = \"/dev/null\"\nfail\nsilent\n",
            request_file.display()
        ));
    }
    let path = dir.join("curl.config");
    std::fs::write(&path, config).expect("write curl config");
    path
}

fn hurl_file(url: &str, dir: &Path) -> PathBuf {
    let mut file = String::new();
    for _ in 0..REQUESTS {
        file.push_str(&format!(
            "POST {url}\nContent-Type: text/xml; charset=utf-8\nSOAPAction: {SOAP_ACTION}\n\
             Authorization: Basic YWxpY2U6YmVuY2gtcGFzc3dvcmQ=\nfile,request.xml;\nHTTP 200\n\n"
        ));
    }
    let path = dir.join("steps.hurl");
    std::fs::write(&path, file).expect("write hurl file");
    path
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours skips the run.
    if std::env::args()
        .skip(1)
        .any(|a| a != "--bench" && !a.starts_with('-'))
    {
        return;
    }
    let url = start_server();
    let dir = std::env::temp_dir().join(format!("ews-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let request_file = dir.join("request.xml");
    std::fs::write(&request_file, REQUEST).expect("write request");
    let config = curl_config(&url, &request_file, &dir);
    let hurl_steps = hurl_file(&url, &dir);
    let curl = which("curl");
    let hurl = std::env::var_os("HURL_BIN")
        .map(PathBuf::from)
        .or_else(|| which("hurl"));

    type Runner = Box<dyn Fn() -> Result<Duration, String>>;
    let mut contenders: Vec<(&str, Result<Runner, String>)> = Vec::new();
    let u = url.clone();
    contenders.push((
        "ews-conformance Transport",
        Ok(Box::new(move || run_harness(&u))),
    ));
    match &curl {
        Some(_) => {
            let script = curl_loop_script(&url, &request_file);
            contenders.push((
                "curl, 1 process per request",
                Ok(Box::new(move || run_shell(&script))),
            ));
            let script = format!("curl -K {}", config.display());
            contenders.push((
                "curl -K, 1,000 requests in 1 process",
                Ok(Box::new(move || run_shell(&script))),
            ));
        }
        None => contenders.push(("curl", Err("curl is not on PATH".into()))),
    }
    match &hurl {
        Some(hurl) => {
            let script = format!(
                "cd {} && {} --no-output {}",
                dir.display(),
                hurl.display(),
                hurl_steps.display()
            );
            contenders.push((
                "hurl, 1,000 entries in 1 file",
                Ok(Box::new(move || run_shell(&script))),
            ));
        }
        None => contenders.push((
            "hurl",
            Err("not installed (not in Debian bookworm; set HURL_BIN to a hurl binary)".into()),
        )),
    }

    println!(
        "{REQUESTS} sequential SOAP POSTs to one loopback server, median of {REPETITIONS} runs\n"
    );
    println!(
        "{:<40} {:>12} {:>12} {:>10}",
        "client", "total", "per request", "vs harness"
    );
    let mut harness_median = None;
    for (name, runner) in &contenders {
        let runner = match runner {
            Ok(runner) => runner,
            Err(why) => {
                println!("{name:<40} skipped: {why}");
                continue;
            }
        };
        let mut samples = Vec::new();
        let mut failure = None;
        for _ in 0..REPETITIONS {
            match runner() {
                Ok(elapsed) => samples.push(elapsed),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failure {
            println!("{name:<40} failed: {e}");
            continue;
        }
        let m = median(samples);
        let base = *harness_median.get_or_insert(m);
        println!(
            "{name:<40} {:>10.1}ms {:>10.1}us {:>9.2}x",
            m.as_secs_f64() * 1e3,
            m.as_secs_f64() * 1e6 / REQUESTS as f64,
            m.as_secs_f64() / base.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
