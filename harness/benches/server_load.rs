//! Requests per second of the embedded reference server under concurrent loopback load.
//!
//! Run: `cargo bench -p ews-conformance --bench server_load`
//!
//! For 1, 8 and 32 concurrent clients (each a thread with its own keep-alive HTTP client,
//! authenticated as the primary user, so all of them contend for the same mailbox lock), two
//! workloads: `GetImItemList` (read), and `AddImGroup` + `RemoveImGroup` pairs (write; each pair
//! counts as two requests). Every figure is the median of 5 runs of a fixed number of requests.
//! A last table repeats the read workload over HTTPS (a self-signed certificate the clients
//! trust; each client keeps its TLS connection alive, so this is mostly record-layer cost).
//!
//! The clients disable reqwest's gzip support: the server never compresses, and with gzip
//! enabled reqwest's decoder path made single-client GetImItemList requests about 3x slower
//! (measured: ~4,300 vs ~13,000 req/s), which would measure the client instead of the server.

use std::thread;
use std::time::{Duration, Instant};

use ews_conformance::reference_server::{ServerConfig, TlsIdentity, start};

const REPETITIONS: usize = 5;
const REQUESTS_PER_RUN: usize = 4_000;

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">
  <soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>
  <soap:Body>{body}</soap:Body>
</soap:Envelope>"#
    )
}

#[derive(Clone, Copy)]
enum Workload {
    Read,
    Write,
}

fn client(trust: Option<&reqwest::Certificate>) -> reqwest::blocking::Client {
    let mut builder = reqwest::blocking::Client::builder();
    if let Some(certificate) = trust {
        builder = builder.add_root_certificate(certificate.clone());
    }
    builder
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .no_gzip()
        .build()
        .expect("HTTP client")
}

fn send(client: &reqwest::blocking::Client, url: &str, body: String) -> String {
    let response = client
        .post(url)
        .basic_auth("alice", Some("alice-password"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(body)
        .send()
        .expect("answered");
    assert_eq!(response.status().as_u16(), 200);
    response.text().expect("body")
}

fn group_id(response: &str) -> String {
    let at = response.find("ExchangeStoreId").expect("a group id");
    let rest = &response[at..];
    let start = rest.find("Id=\"").expect("Id attribute") + 4;
    let end = rest[start..].find('"').expect("closing quote") + start;
    rest[start..end].to_string()
}

/// One run: `clients` threads share `REQUESTS_PER_RUN` requests; returns requests/second.
fn run(
    url: &str,
    trust: Option<&reqwest::Certificate>,
    clients: usize,
    workload: Workload,
    round: usize,
) -> f64 {
    let per_client = REQUESTS_PER_RUN / clients;
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let url = url.to_string();
            let trust = trust.cloned();
            thread::spawn(move || {
                let http = client(trust.as_ref());
                match workload {
                    Workload::Read => {
                        for _ in 0..per_client {
                            send(&http, &url, envelope("<m:GetImItemList/>"));
                        }
                    }
                    Workload::Write => {
                        for i in 0..per_client / 2 {
                            let added = send(
                                &http,
                                &url,
                                envelope(&format!(
                                    "<m:AddImGroup><m:DisplayName>bench-{round}-{c}-{i}</m:DisplayName></m:AddImGroup>"
                                )),
                            );
                            let id = group_id(&added);
                            send(
                                &http,
                                &url,
                                envelope(&format!(
                                    "<m:RemoveImGroup><m:GroupId Id=\"{id}\"/></m:RemoveImGroup>"
                                )),
                            );
                        }
                    }
                }
                per_client - per_client % 2
            })
        })
        .collect();
    let done: usize = threads
        .into_iter()
        .map(|t| t.join().expect("client thread"))
        .sum();
    done as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent; keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("server_load: run with `cargo bench --bench server_load`");
        return;
    }
    let server = start(ServerConfig::default()).expect("server starts");
    let url = server.url();
    // Warm up connections and code paths.
    run(&url, None, 4, Workload::Read, 0);
    println!("reference server, {REQUESTS_PER_RUN} requests per run, median of {REPETITIONS} runs");
    println!(
        "{:<8} {:>22} {:>32}",
        "clients", "GetImItemList req/s", "AddImGroup+RemoveImGroup req/s"
    );
    let mut round = 1;
    for clients in [1, 8, 32] {
        let mut figures = Vec::new();
        for workload in [Workload::Read, Workload::Write] {
            let samples: Vec<f64> = (0..REPETITIONS)
                .map(|_| {
                    round += 1;
                    run(&url, None, clients, workload, round)
                })
                .collect();
            figures.push(median(samples));
        }
        println!("{clients:<8} {:>22.0} {:>32.0}", figures[0], figures[1]);
    }
    server.shutdown();

    let identity = TlsIdentity::self_signed().expect("certificate");
    let trust = reqwest::Certificate::from_pem(identity.cert_pem().as_bytes()).expect("pem");
    let server = start(ServerConfig {
        tls: Some(identity),
        ..ServerConfig::default()
    })
    .expect("https server starts");
    let url = server.url();
    run(&url, Some(&trust), 4, Workload::Read, 0);
    println!();
    println!("{:<8} {:>22}", "clients", "HTTPS GetImItemList req/s");
    for clients in [1, 8, 32] {
        let samples: Vec<f64> = (0..REPETITIONS)
            .map(|_| run(&url, Some(&trust), clients, Workload::Read, 0))
            .collect();
        println!("{clients:<8} {:>22.0}", median(samples));
    }
    server.shutdown();
}
