//! Requests per second of FindItem over a folder of 10,000 items, against the same run's
//! GetFolder of the Inbox, over loopback HTTP against the embedded reference server.
//!
//! Run: `cargo bench -p ews-reference-server --bench find_item`
//!
//! The 10,000 items are created through the real request path (CreateItem over HTTP, batches of
//! 500) in a folder of their own: subjects `report N` (every third) or `note N`, importance
//! Low/Normal/High in turn. The measured FindItem is IdOnly + Subject with an
//! `IndexedPageItemView` of 100, the restriction `Contains(subject, "report", Substring,
//! IgnoreCase) AND DateTimeReceived > 2000-01-01T00:00:00Z` (3,334 matches) and the sort
//! Importance descending, Subject ascending. Each figure is the median of 5 runs of a fixed
//! number of sequential requests from one keep-alive client; every response is checked.

use std::time::{Duration, Instant};

use ews_reference_server::{ServerConfig, start};

const ITEMS: usize = 10_000;
const BATCH: usize = 500;
const REPETITIONS: usize = 5;
const FIND_REQUESTS: usize = 60;
const BASELINE_REQUESTS: usize = 1_000;

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">
  <soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>
  <soap:Body>{body}</soap:Body>
</soap:Envelope>"#
    )
}

fn send(client: &reqwest::blocking::Client, url: &str, body: &str) -> String {
    let response = client
        .post(url)
        .basic_auth("alice", Some("alice-password"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(envelope(body))
        .send()
        .expect("request sent");
    assert!(response.status().is_success(), "HTTP {}", response.status());
    response.text().expect("response body")
}

/// The value of the first `name="..."` attribute after `element` in `xml`.
fn attribute(xml: &str, element: &str, name: &str) -> String {
    let at = xml.find(element).expect("element in response");
    let rest = &xml[at..];
    let start = rest.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
    rest[start..start + rest[start..].find('"').expect("closing quote")].to_string()
}

/// Median requests per second of `runs` runs of `requests` requests of `body`, each response
/// checked by `check`.
fn measure(
    client: &reqwest::blocking::Client,
    url: &str,
    body: &str,
    requests: usize,
    check: impl Fn(&str),
) -> f64 {
    let mut rates: Vec<f64> = (0..REPETITIONS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..requests {
                check(&send(client, url, body));
            }
            requests as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[REPETITIONS / 2]
}

fn main() {
    let server = start(ServerConfig::default()).expect("server starts");
    let url = server.url();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .build()
        .expect("HTTP client");

    let created = send(
        &client,
        &url,
        r#"<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>bench</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>"#,
    );
    let folder = attribute(&created, "FolderId", "Id");
    let setup = Instant::now();
    for batch in 0..ITEMS / BATCH {
        let items: String = (batch * BATCH..(batch + 1) * BATCH)
            .map(|i| {
                let subject = if i % 3 == 0 { "report" } else { "note" };
                let importance = ["Low", "Normal", "High"][i % 7 % 3];
                format!("<t:Message><t:Subject>{subject} {i:05}</t:Subject><t:Importance>{importance}</t:Importance></t:Message>")
            })
            .collect();
        let response = send(
            &client,
            &url,
            &format!(
                r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:FolderId Id="{folder}"/></m:SavedItemFolderId><m:Items>{items}</m:Items></m:CreateItem>"#
            ),
        );
        assert_eq!(
            response.matches("NoError").count(),
            BATCH,
            "every item created"
        );
    }
    let setup = setup.elapsed();

    let find = format!(
        r#"<m:FindItem Traversal="Shallow">
  <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape>
  <m:IndexedPageItemView MaxEntriesReturned="100" Offset="0" BasePoint="Beginning"/>
  <m:Restriction><t:And>
    <t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Subject"/><t:Constant Value="report"/></t:Contains>
    <t:IsGreaterThan><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant><t:Constant Value="2000-01-01T00:00:00Z"/></t:FieldURIOrConstant></t:IsGreaterThan>
  </t:And></m:Restriction>
  <m:SortOrder>
    <t:FieldOrder Order="Descending"><t:FieldURI FieldURI="item:Importance"/></t:FieldOrder>
    <t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:Subject"/></t:FieldOrder>
  </m:SortOrder>
  <m:ParentFolderIds><t:FolderId Id="{folder}"/></m:ParentFolderIds>
</m:FindItem>"#
    );
    let matches = (0..ITEMS).filter(|i| i % 3 == 0).count();
    let check_find = |response: &str| {
        assert!(
            response.contains(&format!("TotalItemsInView=\"{matches}\"")),
            "{}",
            &response[..response.len().min(600)]
        );
        assert_eq!(response.matches("ItemId Id=").count(), 100, "a page of 100");
    };
    let get_folder = r#"<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#;
    let check_get = |response: &str| assert!(response.contains("NoError"), "{response}");

    let find_rate = measure(&client, &url, &find, FIND_REQUESTS, check_find);
    let baseline_rate = measure(&client, &url, get_folder, BASELINE_REQUESTS, check_get);

    println!(
        "FindItem over {ITEMS} items (setup through CreateItem: {:.1} s)",
        setup.as_secs_f64()
    );
    println!("| request | median req/s ({REPETITIONS} runs) | per request |");
    println!("| --- | --- | --- |");
    println!(
        "| FindItem: Contains AND IsGreaterThan, 2-key sort, page of 100 ({matches} matches) | {find_rate:.0} | {:.2} ms |",
        1000.0 / find_rate
    );
    println!(
        "| GetFolder inbox (same-run baseline) | {baseline_rate:.0} | {:.3} ms |",
        1000.0 / baseline_rate
    );
    println!(
        "FindItem at {:.3}x the baseline's rate",
        find_rate / baseline_rate
    );
    server.shutdown();
}
