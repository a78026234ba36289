//! Validating a 10 MB FindItem response: this engine vs libxml2 (`xmllint --noout --schema`),
//! in the same run, on the same file; plus xmllint on a tiny document (its fixed cost: process
//! start and schema compilation) and this engine's schema compilation.
//!
//! `cargo bench -p ews-schema --bench validate` prints medians and the ratio. Nothing is
//! subtracted from xmllint's figure: it is what a caller pays for a verdict.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ews_schema::Schema;

const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

fn message(i: usize) -> String {
    let day = 1 + i % 28;
    let hour = i % 24;
    format!(
        r#"<t:Message>
  <t:ItemId Id="AAMkADk0N2E4YjgzLTkxZjUtNDNjMS05ZTY1LWY1ZDY2YjJlOTFmOQBGAAAAAABF{i:08}AAA=" ChangeKey="CQAAABYAAAD{i:08}"/>
  <t:ParentFolderId Id="AAMkADk0N2E4YjgzLTkxZjUtNDNjMS05ZTY1LWY1ZDY2YjJlOTFmOQAuAAAAAAB=" ChangeKey="AQAAAA=="/>
  <t:ItemClass>IPM.Note</t:ItemClass>
  <t:Subject>Quarterly report {i}: figures &amp; follow-ups</t:Subject>
  <t:Sensitivity>Normal</t:Sensitivity>
  <t:DateTimeReceived>2026-11-{day:02}T{hour:02}:15:00Z</t:DateTimeReceived>
  <t:Size>{size}</t:Size>
  <t:Categories><t:String>Finance</t:String><t:String>Q{q}</t:String></t:Categories>
  <t:Importance>Normal</t:Importance>
  <t:IsSubmitted>false</t:IsSubmitted>
  <t:IsDraft>false</t:IsDraft>
  <t:IsFromMe>false</t:IsFromMe>
  <t:IsResend>false</t:IsResend>
  <t:IsUnmodified>true</t:IsUnmodified>
  <t:DateTimeSent>2026-11-{day:02}T{hour:02}:14:58Z</t:DateTimeSent>
  <t:DateTimeCreated>2026-11-{day:02}T{hour:02}:15:01Z</t:DateTimeCreated>
  <t:ReminderIsSet>false</t:ReminderIsSet>
  <t:ReminderMinutesBeforeStart>15</t:ReminderMinutesBeforeStart>
  <t:DisplayCc></t:DisplayCc>
  <t:DisplayTo>Alice Example; Bob Example</t:DisplayTo>
  <t:HasAttachments>{att}</t:HasAttachments>
  <t:Culture>en-US</t:Culture>
  <t:EffectiveRights><t:CreateAssociated>false</t:CreateAssociated><t:CreateContents>false</t:CreateContents><t:CreateHierarchy>false</t:CreateHierarchy><t:Delete>true</t:Delete><t:Modify>true</t:Modify><t:Read>true</t:Read><t:ViewPrivateItems>true</t:ViewPrivateItems></t:EffectiveRights>
  <t:LastModifiedName>Carol Example</t:LastModifiedName>
  <t:LastModifiedTime>2026-11-{day:02}T{hour:02}:16:00Z</t:LastModifiedTime>
  <t:IsAssociated>false</t:IsAssociated>
  <t:ConversationId Id="AAQkADk0N2E4YjgzLTkxZjUtNDNjMS05ZTY1LWY1ZDY2YjJlOTFmOQAQA{i:08}="/>
  <t:Preview>Hello team, please find the figures for week {i} attached. Regards</t:Preview>
  <t:Sender><t:Mailbox><t:Name>Dana Example</t:Name><t:EmailAddress>dana@example.com</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox></t:Sender>
  <t:ToRecipients><t:Mailbox><t:Name>Alice Example</t:Name><t:EmailAddress>alice@example.com</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox><t:Mailbox><t:Name>Bob Example</t:Name><t:EmailAddress>bob@example.com</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox></t:ToRecipients>
  <t:IsReadReceiptRequested>false</t:IsReadReceiptRequested>
  <t:ConversationIndex>AdS0Wn4pUKvlhx8NRXGm4bHwM5TRnw==</t:ConversationIndex>
  <t:ConversationTopic>Quarterly report {i}</t:ConversationTopic>
  <t:From><t:Mailbox><t:Name>Dana Example</t:Name><t:EmailAddress>dana@example.com</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox></t:From>
  <t:InternetMessageId>&lt;{i}.report@example.com&gt;</t:InternetMessageId>
  <t:IsRead>{read}</t:IsRead>
</t:Message>
"#,
        size = 2048 + i * 7 % 50000,
        q = 1 + i % 4,
        att = if i % 5 == 0 { "true" } else { "false" },
        read = if i % 3 == 0 { "1" } else { "0" },
    )
}

/// A FindItem response of at least `bytes` bytes (the Body child, as a standalone document).
fn find_item_response(bytes: usize) -> String {
    let mut items = String::new();
    let mut n = 0;
    while items.len() < bytes {
        items.push_str(&message(n));
        n += 1;
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<m:FindItemResponse xmlns:m="{M}" xmlns:t="{T}">
 <m:ResponseMessages>
  <m:FindItemResponseMessage ResponseClass="Success">
   <m:ResponseCode>NoError</m:ResponseCode>
   <m:RootFolder IndexedPagingOffset="{n}" TotalItemsInView="{n}" IncludesLastItemInRange="true">
    <t:Items>
{items}    </t:Items>
   </m:RootFolder>
  </m:FindItemResponseMessage>
 </m:ResponseMessages>
</m:FindItemResponse>
"#
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn xmllint() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("xmllint"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    std::iter::once(PathBuf::from("/usr/bin/xmllint"))
        .chain(on_path)
        .find(|p| p.is_file())
}

/// The schema as libxml2 can compile it (types.xsd's xml-namespace import given a location).
fn xmllint_schema(dir: &Path) -> PathBuf {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("xsd");
    std::fs::copy(xsd.join("messages.xsd"), dir.join("messages.xsd")).expect("copy");
    let types = std::fs::read_to_string(xsd.join("types.xsd")).expect("read types.xsd");
    let patched = types.replace(
        r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace"/>"#,
        r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>"#,
    );
    std::fs::write(dir.join("types.xsd"), patched).expect("write");
    std::fs::write(
        dir.join("xml.xsd"),
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace"><xs:attribute name="lang" type="xs:language"/><xs:attribute name="space" type="xs:NCName"/><xs:attribute name="base" type="xs:anyURI"/><xs:attribute name="id" type="xs:ID"/></xs:schema>"#,
    )
    .expect("write");
    dir.join("messages.xsd")
}

fn run_xmllint(lint: &Path, schema: &Path, file: &Path) {
    let out = Command::new(lint)
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(file)
        .output()
        .expect("run xmllint");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("validates"),
        "xmllint did not validate {}: {}",
        file.display(),
        stderr.lines().take(5).collect::<Vec<_>>().join("\n")
    );
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo test --benches` runs benches with --bench absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let size = if quick { 200_000 } else { 10 * 1024 * 1024 };
    let runs = if quick { 1 } else { 5 };

    let compile = time(if quick { 1 } else { 11 }, || {
        let s = Schema::compile(&[
            ("messages.xsd", ews_schema::MESSAGES_XSD),
            ("types.xsd", ews_schema::TYPES_XSD),
        ])
        .expect("schema compiles");
        std::hint::black_box(s);
    });

    let doc = find_item_response(size);
    let schema = Schema::ews();
    let violations = schema
        .validate_document(doc.as_bytes())
        .expect("well-formed");
    assert!(
        violations.is_empty(),
        "generated response is invalid: {}",
        violations[0]
    );
    let engine = time(runs, || {
        let v = schema
            .validate_document(doc.as_bytes())
            .expect("well-formed");
        std::hint::black_box(v);
    });

    // The XML reader alone (quick-xml with namespace resolution, events discarded): the floor.
    let reader_only = time(runs, || {
        let mut r = quick_xml::NsReader::from_str(&doc);
        let mut n = 0usize;
        loop {
            match r.read_resolved_event().expect("well-formed") {
                (_, quick_xml::events::Event::Eof) => break,
                (_, quick_xml::events::Event::Start(e)) => n += e.attributes().count(),
                _ => n += 1,
            }
        }
        std::hint::black_box(n);
    });

    // A typical request, validated the way the reference server does per request.
    let tiny_doc = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="{M}" xmlns:t="{T}"><s:Header><t:RequestServerVersion Version="Exchange2013"/></s:Header><s:Body><m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>"#
    );
    assert!(
        schema
            .validate_document(tiny_doc.as_bytes())
            .expect("well-formed")
            .is_empty()
    );
    let reps: u32 = if quick { 10 } else { 10_000 };
    let tiny = time(if quick { 1 } else { 5 }, || {
        for _ in 0..reps {
            std::hint::black_box(
                schema
                    .validate_document(tiny_doc.as_bytes())
                    .expect("well-formed"),
            );
        }
    }) / reps;

    println!();
    println!(
        "ews-schema validate benchmark ({:.1} MB FindItem response, {} t:Message items; medians)",
        doc.len() as f64 / 1e6,
        doc.matches("<t:Message>").count()
    );
    println!("{:<58} {:>12}", "measurement", "median");
    println!(
        "{:<58} {:>12}",
        "engine: compile messages.xsd + types.xsd",
        ms(compile)
    );
    println!("{:<58} {:>12}", "engine: validate the response", ms(engine));
    println!(
        "{:<58} {:>12}",
        "  of which the XML reader alone (quick-xml, no validation)",
        ms(reader_only)
    );
    println!(
        "{:<58} {:>12}",
        "engine: validate a GetFolder request envelope",
        format!("{:.1} µs", tiny.as_secs_f64() * 1e6)
    );
    println!(
        "{:<58} {:>12}",
        "engine: throughput",
        format!("{:.0} MB/s", doc.len() as f64 / 1e6 / engine.as_secs_f64())
    );

    let Some(lint) = xmllint() else {
        println!("xmllint not found (install libxml2-utils): no comparison");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let xsd = xmllint_schema(dir.path());
    let big = dir.path().join("finditem.xml");
    std::fs::write(&big, &doc).expect("write");
    let tiny = dir.path().join("tiny.xml");
    std::fs::write(&tiny, format!(r#"<m:GetFolder xmlns:m="{M}" xmlns:t="{T}"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#)).expect("write");
    let lint_big = time(runs, || run_xmllint(&lint, &xsd, &big));
    let lint_tiny = time(if quick { 1 } else { 5 }, || {
        run_xmllint(&lint, &xsd, &tiny)
    });
    println!(
        "{:<58} {:>12}",
        "xmllint --noout --schema messages.xsd: the response",
        ms(lint_big)
    );
    println!(
        "{:<58} {:>12}",
        "xmllint --noout --schema messages.xsd: a tiny GetFolder",
        ms(lint_tiny)
    );
    println!(
        "{:<58} {:>12}",
        "ratio xmllint / engine (validate, same file)",
        format!("{:.2}x", lint_big.as_secs_f64() / engine.as_secs_f64())
    );
    println!(
        "{:<58} {:>12}",
        "ratio xmllint / (engine compile + validate)",
        format!(
            "{:.2}x",
            lint_big.as_secs_f64() / (engine + compile).as_secs_f64()
        )
    );
}
