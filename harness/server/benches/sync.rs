//! SyncFolderItems over a folder of 10,000 items, through the real HTTP endpoint: the time of a
//! full sync from scratch (pages of 512 until IncludesLastItemInRange), of a sync from the final
//! state (no changes), of one page after a single change, and the size of the final sync state.
//!
//! `cargo bench -p ews-reference-server --bench sync` prints the figures. Doubling the folder
//! (`SYNC_BENCH_ITEMS=20000`) should double the times, not quadruple them.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews_reference_server::{ServerConfig, start};

struct Endpoint {
    address: String,
    authorization: String,
}

impl Endpoint {
    /// POSTs a SOAP body; the response body.
    fn post(&self, body: &str) -> String {
        let envelope = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header><s:Body>{body}</s:Body></s:Envelope>"#
        );
        let mut stream = TcpStream::connect(&self.address).expect("connects");
        write!(
            stream,
            "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
            self.address,
            self.authorization,
            envelope.len()
        )
        .expect("sends");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("reads");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
        body.to_string()
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).map(|i| i + start.len()).expect(start);
    let to = text[from..].find(end).expect(end) + from;
    &text[from..to]
}

fn sync(endpoint: &Endpoint, folder: &str, state: &str) -> (String, bool, usize) {
    let state_element = if state.is_empty() {
        String::new()
    } else {
        format!("<m:SyncState>{state}</m:SyncState>")
    };
    let body = endpoint.post(&format!(
        r#"<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:FolderId Id="{folder}"/></m:SyncFolderId>{state_element}<m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>"#
    ));
    let state = between(&body, "SyncState>", "<").to_string();
    let last = between(&body, "IncludesLastItemInRange>", "<") == "true";
    (state, last, body.matches("ItemId ").count())
}

fn main() {
    let items: usize = std::env::var("SYNC_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let server = start(ServerConfig::default()).expect("server starts");
    let url = server.url();
    let endpoint = Endpoint {
        address: between(&url, "http://", "/EWS").to_string(),
        authorization: STANDARD.encode("alice:alice-password"),
    };
    let created = endpoint.post(
        r#"<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>sync-bench</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>"#,
    );
    let folder = between(&created, "FolderId Id=\"", "\"").to_string();
    let mut first_item = String::new();
    for batch in 0..items.div_ceil(500) {
        let count = 500.min(items - batch * 500);
        let messages: String = (0..count)
            .map(|i| format!("<t:Message><t:Subject>item {batch}-{i}</t:Subject></t:Message>"))
            .collect();
        let answer = endpoint.post(&format!(
            r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:FolderId Id="{folder}"/></m:SavedItemFolderId><m:Items>{messages}</m:Items></m:CreateItem>"#
        ));
        if first_item.is_empty() {
            first_item = between(&answer, "ItemId Id=\"", "\"").to_string();
        }
    }

    let started = Instant::now();
    let (mut state, mut last, mut seen, mut pages) = (String::new(), false, 0, 0);
    while !last {
        let (next, done, creates) = sync(&endpoint, &folder, &state);
        (state, last, seen, pages) = (next, done, seen + creates, pages + 1);
    }
    let full = started.elapsed();
    assert_eq!(seen, items, "every item reported once");

    // The median of 7 syncs from the final state (the machine is shared: single runs are noisy).
    let mut idle_runs: Vec<Duration> = (0..7)
        .map(|_| {
            let started = Instant::now();
            let (unchanged, last, creates) = sync(&endpoint, &folder, &state);
            let took = started.elapsed();
            assert!(
                last && creates == 0 && unchanged == state,
                "the final state is stable"
            );
            took
        })
        .collect();
    idle_runs.sort();
    let idle = idle_runs[3];

    endpoint.post(&format!(
        r#"<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="{first_item}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>changed</t:Subject></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"#
    ));
    let started = Instant::now();
    let body = endpoint.post(&format!(
        r#"<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:FolderId Id="{folder}"/></m:SyncFolderId><m:SyncState>{state}</m:SyncState><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>"#
    ));
    let one_change = started.elapsed();
    assert_eq!(body.matches("ItemId ").count(), 1, "{body}");

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("SyncFolderItems over {items} items (debug or release as built):");
    println!(
        "  full sync from scratch: {pages} pages of 512 in {:.1} ms ({:.2} ms per page)",
        ms(full),
        ms(full) / pages as f64
    );
    println!(
        "  sync from the final state (no changes, median of 7): {:.1} ms",
        ms(idle)
    );
    println!("  sync after one update: {:.1} ms", ms(one_change));
    println!(
        "  final sync state: {} base64 characters ({:.1} per item)",
        state.len(),
        state.len() as f64 / items as f64
    );
    server.shutdown();
}
