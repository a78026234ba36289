//! Reports: every writer is fed synthetic `RunReport`s and its output is checked the way its
//! consumer reads it — JUnit through Python's `junitparser`, HTML in headless Chromium (and its
//! escaping with hostile content), JSON against a golden and back through `json::read` —
//! plus baselines, shard merging, coverage and atomic writing; and one end-to-end run of the real
//! binary against the embedded server with a quirk.
//!
//! Goldens live in `harness/tests/golden/report/` (see its README). To accept new output run
//! `EWS_BLESS=overwrite cargo test --test it report::` (`new` only creates missing goldens;
//! nothing is written when `CI` is set).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ews_conformance::report::baseline::BaselineError;
use ews_conformance::report::coverage::{self, Coverage};
use ews_conformance::report::merge::{self, MergeError};
use ews_conformance::report::terminal::{self, Progress};
use ews_conformance::report::{
    self, Baseline, CaseResult, CaseStatus, Exchange, MismatchRecord, ReportError, RunReport,
    StepPhase, StepResult, StepStatus, TargetInfo, WriteOptions, apply_baseline, html, json, junit,
};
use ews_conformance::runner::partition::Partition;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Synthetic reports

fn step(name: &str, status: StepStatus) -> StepResult {
    StepResult {
        name: name.to_owned(),
        phase: StepPhase::Main,
        status,
        location: Some(format!("cases/im/x.yaml:{}:5", name.len())),
        duration_ms: 7,
        request: Some(Exchange {
            status: None,
            headers: vec![("Content-Type".into(), "text/xml; charset=utf-8".into())],
            body: format!("<soap:Envelope><soap:Body><m:{name}/></soap:Body></soap:Envelope>"),
            truncated: false,
        }),
        response: Some(Exchange {
            status: Some(200),
            headers: vec![("Content-Type".into(), "text/xml; charset=utf-8".into())],
            body:
                "<s:Envelope><s:Body><m:Response ResponseClass=\"Success\"/></s:Body></s:Envelope>"
                    .into(),
            truncated: false,
        }),
        mismatches: Vec::new(),
        diff: None,
        error: None,
        throttling: None,
        detail: Default::default(),
    }
}

fn mismatch(path: &str, expected: &str, actual: &str) -> MismatchRecord {
    MismatchRecord {
        kind: "text".into(),
        expected_path: path.into(),
        actual_path: path.into(),
        expected: Some(expected.into()),
        actual: Some(actual.into()),
        location: Some("cases/im/add_group_duplicate.yaml:21:9".into()),
        message: format!("expected `{expected}`, found `{actual}`"),
    }
}

fn case(id: &str, operation: &str, status: CaseStatus) -> CaseResult {
    let family = id.split('/').next().unwrap_or("").to_owned();
    let step_status = match status {
        CaseStatus::Fail => StepStatus::Fail,
        CaseStatus::Error => StepStatus::Error,
        CaseStatus::Ignored => StepStatus::Skipped,
        _ => StepStatus::Pass,
    };
    CaseResult {
        id: id.into(),
        file: format!("{id}.yaml"),
        title: format!("{operation} behaves like Exchange"),
        operation: operation.into(),
        operations: vec![operation.into()],
        family,
        tags: vec!["im".into()],
        spec: Some(format!("https://learn.microsoft.invalid/{operation}")),
        status,
        reason: None,
        raw_status: None,
        duration_ms: 40 + id.len() as u64,
        unsupported: None,
        grade: Default::default(),
        steps: if status == CaseStatus::Ignored {
            Vec::new()
        } else {
            vec![step(operation, step_status)]
        },
    }
}

fn failing_case(id: &str, operation: &str) -> CaseResult {
    let mut c = case(id, operation, CaseStatus::Fail);
    let step = &mut c.steps[0];
    step.mismatches = vec![
        mismatch(
            "/Envelope/Body/AddImGroupResponse/ResponseCode",
            "ErrorImGroupDisplayNameAlreadyExists",
            "NoError",
        ),
        mismatch(
            "/Envelope/Body/AddImGroupResponse/@ResponseClass",
            "Error",
            "Success",
        ),
    ];
    step.diff = Some(
        "--- expected\n+++ actual\n@@ -1,3 +1,3 @@\n-<m:AddImGroupResponse ResponseClass=\"Error\">\n+<m:AddImGroupResponse ResponseClass=\"Success\">\n-  <m:ResponseCode>ErrorImGroupDisplayNameAlreadyExists</m:ResponseCode>\n+  <m:ResponseCode>NoError</m:ResponseCode>\n </m:AddImGroupResponse>\n"
            .into(),
    );
    c
}

fn erroring_case(id: &str, operation: &str) -> CaseResult {
    let mut c = case(id, operation, CaseStatus::Error);
    c.steps[0].response = None;
    c.steps[0].error = Some("connection refused (os error 111)\nwhile sending".into());
    c
}

/// Eight cases, every status, two families, sorted by id.
fn sample_report() -> RunReport {
    let mut cases = vec![
        case("folder/find_folder", "FindFolder", CaseStatus::Pass),
        case("im/add_group", "AddImGroup", CaseStatus::Pass),
        failing_case("im/add_group_duplicate", "AddImGroup"),
        {
            let mut c = case(
                "im/add_distribution_group",
                "AddDistributionGroupToImList",
                CaseStatus::Ignored,
            );
            c.reason = Some("needs Exchange2016, target is Exchange2013".into());
            c
        },
        erroring_case("im/get_im_item_list", "GetImItemList"),
        {
            let mut c = failing_case("im/remove_contact_from_group", "RemoveImContactFromGroup");
            c.operations = vec![
                "AddImGroup".into(),
                "AddNewImContactToGroup".into(),
                "RemoveImContactFromGroup".into(),
            ];
            c.status = CaseStatus::ExpectedFailure;
            c.raw_status = Some(CaseStatus::Fail);
            c.reason = Some("server answers NoError; EWS-12".into());
            c
        },
        case("im/remove_group", "RemoveImGroup", CaseStatus::Pass),
        {
            let mut c = case("im/set_group", "SetImGroup", CaseStatus::UnexpectedPass);
            c.raw_status = Some(CaseStatus::Pass);
            c.reason = Some("rename was ignored".into());
            c
        },
    ];
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    RunReport {
        schema_version: report::REPORT_SCHEMA_VERSION,
        harness_version: "0.1.0".into(),
        run_id: "r20261127a".into(),
        target: TargetInfo {
            url: "http://127.0.0.1:40123/EWS/Exchange.asmx".into(),
            embedded: true,
            quirks: vec!["wrong-response-code".into()],
            server_version: Some("Exchange2013".into()),
            server_build: Some("15.0.847.31".into()),
        },
        started_at: "2026-11-27T21:00:00Z".into(),
        duration_ms: 1234,
        partition: None,
        interrupted: false,
        cases,
    }
}

/// A report whose every string field carries content that would execute or break out if it
/// were not escaped.
fn hostile_report() -> RunReport {
    const HOSTILE: &str = "<script>alert(1)</script></textarea>\"><img src=x onerror=alert(2)>\
                           ]]>{{ 7*7 }}{% raw %}\u{1b}[31m\u{0}\u{7}\u{202e}end";
    let mut report = sample_report();
    report.run_id = HOSTILE.into();
    report.target.url = format!("http://127.0.0.1:1/{HOSTILE}");
    report.target.quirks = vec![HOSTILE.into()];
    for c in &mut report.cases {
        c.title = HOSTILE.into();
        c.reason = Some(HOSTILE.into());
        c.tags = vec![HOSTILE.into()];
        c.operations.push(format!("Op{HOSTILE}"));
        for s in &mut c.steps {
            s.name = HOSTILE.into();
            s.error = Some(HOSTILE.into());
            if let Some(r) = &mut s.response {
                r.body = format!("<m:X>{HOSTILE}</m:X>");
                r.headers.push(("X-Evil".into(), HOSTILE.into()));
            }
            for m in &mut s.mismatches {
                m.message = HOSTILE.into();
                m.actual = Some(HOSTILE.into());
                m.actual_path = format!("/Envelope/{HOSTILE}");
            }
            if let Some(d) = &mut s.diff {
                d.push_str(&format!("+{HOSTILE}\n-{HOSTILE}\n"));
            }
        }
    }
    report
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/report")
        .join(name)
}

/// Compares `actual` with the golden `name` (accept new output with `EWS_BLESS=new|overwrite`).
fn assert_golden(name: &str, actual: &str) {
    crate::support::assert_golden_file(&golden_path(name), actual, "report::");
}

fn to_string(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// A tool a test needs: missing is a loud skip locally, a failure when `CI` is set.
fn require_tool(available: bool, what: &str) -> bool {
    if available {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{what} is required when CI is set (.ci/run installs it)");
    }
    eprintln!("SKIPPED: {what} is not available (install it, or set CI to make this a failure)");
    false
}

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn run_python(script: &str, args: &[&Path]) -> Value {
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("python prints JSON")
}

/// Reads a JUnit file with junitparser (an independent consumer) and reports what it saw.
const JUNITPARSER_SCRIPT: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
out = {"suites": [], "cases": {}}
for suite in xml:
    out["suites"].append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                          "errors": suite.errors, "skipped": suite.skipped})
    for case in suite:
        out["cases"][case.name] = {
            "classname": case.classname, "time": case.time,
            "results": [{"kind": type(r).__name__, "type": r.type, "message": r.message,
                         "text": r.text} for r in case.result],
            "system_out": case.system_out}
props = {}
for tc in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    props[tc.get("name")] = {p.get("name"): p.get("value") for p in tc.iter("property")}
out["properties"] = props
print(json.dumps(out))
"#;

fn junit_seen_by_junitparser(report: &RunReport, strict: bool) -> Option<Value> {
    if !require_tool(python_has("junitparser"), "python3 with junitparser") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let file = fs::File::create(&path).unwrap();
    junit::write_with(
        report,
        file,
        junit::JunitOptions {
            strict_baseline: strict,
        },
    )
    .unwrap();
    Some(run_python(JUNITPARSER_SCRIPT, &[&path]))
}

fn results_of<'a>(seen: &'a Value, id: &str) -> &'a Vec<Value> {
    seen["cases"][id]["results"].as_array().unwrap()
}

fn count_results(seen: &Value, kind: &str) -> usize {
    seen["cases"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|c| c["results"].as_array().unwrap())
        .filter(|r| r["kind"] == kind)
        .count()
}

// ---------------------------------------------------------------------------------------------
// JUnit

#[test]
fn junit_keeps_failures_errors_and_skips_apart_for_an_independent_consumer() {
    let report = sample_report();
    let Some(seen) = junit_seen_by_junitparser(&report, false) else {
        return;
    };
    assert_eq!(
        seen["cases"].as_object().unwrap().len(),
        8,
        "one testcase per case"
    );
    assert_eq!(count_results(&seen, "Failure"), 1);
    assert_eq!(count_results(&seen, "Error"), 1);
    assert_eq!(count_results(&seen, "Skipped"), 1);
    let suites: Vec<(&str, u64, u64, u64, u64)> = seen["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["tests"].as_u64().unwrap(),
                s["failures"].as_u64().unwrap(),
                s["errors"].as_u64().unwrap(),
                s["skipped"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(suites, [("folder", 1, 0, 0, 0), ("im", 7, 1, 1, 1)]);

    let failing = &seen["cases"]["im/add_group_duplicate"];
    assert_eq!(failing["classname"], "im");
    assert_eq!(failing["time"].as_f64().unwrap(), 0.062);
    let failure = &failing["results"][0];
    assert_eq!(failure["type"], "mismatch");
    assert_eq!(
        failure["message"],
        "/Envelope/Body/AddImGroupResponse/ResponseCode: expected `ErrorImGroupDisplayNameAlreadyExists`, found `NoError`"
    );
    let text = failure["text"].as_str().unwrap();
    assert!(text.contains("actual path:   /Envelope/Body/AddImGroupResponse/@ResponseClass"));
    assert!(text.contains("+  <m:ResponseCode>NoError</m:ResponseCode>"));
    assert!(
        failing["system_out"]
            .as_str()
            .unwrap()
            .contains("@@ -1,3 +1,3 @@")
    );
    assert_eq!(
        seen["properties"]["im/add_group_duplicate"]["operation"],
        "AddImGroup"
    );

    let error = &results_of(&seen, "im/get_im_item_list")[0];
    assert_eq!(error["kind"], "Error");
    assert_eq!(
        error["message"],
        "step `GetImItemList`: connection refused (os error 111)"
    );
    let skipped = &results_of(&seen, "im/add_distribution_group")[0];
    assert_eq!(
        skipped["message"],
        "needs Exchange2016, target is Exchange2013"
    );

    assert!(results_of(&seen, "im/remove_contact_from_group").is_empty());
    assert!(
        seen["cases"]["im/remove_contact_from_group"]["system_out"]
            .as_str()
            .unwrap()
            .starts_with("expected failure (baseline): server answers NoError; EWS-12\n")
    );
    assert_eq!(
        seen["properties"]["im/remove_contact_from_group"]["raw-status"],
        "fail"
    );
    assert!(results_of(&seen, "im/set_group").is_empty(), "not strict");
}

#[test]
fn junit_reports_unexpected_passes_as_failures_only_when_strict() {
    let report = sample_report();
    let Some(seen) = junit_seen_by_junitparser(&report, true) else {
        return;
    };
    assert_eq!(count_results(&seen, "Failure"), 2);
    let stale = &results_of(&seen, "im/set_group")[0];
    assert_eq!(stale["kind"], "Failure");
    assert_eq!(stale["type"], "unexpected-pass");
    assert!(
        stale["message"]
            .as_str()
            .unwrap()
            .contains("remove it from the baseline (baseline reason: rename was ignored)")
    );
}

#[test]
fn junit_matches_its_golden() {
    let out = to_string(|o| junit::write(&sample_report(), o));
    assert_golden("junit.xml", &out);
}

#[test]
fn junit_carries_hostile_content_as_inert_text() {
    let report = hostile_report();
    let out = to_string(|o| junit::write(&report, o));
    assert!(!out.contains("<script>"), "markup must be escaped");
    assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        out.contains("\\x1b[31m\\x00\\x07\\u{202e}end"),
        "controls made visible"
    );
    assert!(
        !out.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')),
        "no raw control characters in XML"
    );
    let Some(seen) = junit_seen_by_junitparser(&report, false) else {
        return;
    };
    let failure = &results_of(&seen, "im/add_group_duplicate")[0];
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .contains("</textarea>\"><img src=x onerror=alert(2)>]]>{{ 7*7 }}")
    );
}

// ---------------------------------------------------------------------------------------------
// JSON

#[test]
fn json_matches_its_golden_and_reads_back_equal() {
    let report = sample_report();
    let out = to_string(|o| json::write(&report, o));
    assert_golden("report.json", &out);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    fs::write(&path, &out).unwrap();
    assert_eq!(json::read(&path).unwrap(), report);
    let value: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["coverage"]["total"], 125);
    assert_eq!(value["coverage"]["covered"], 8);
}

#[test]
fn json_read_rejects_other_schemas_and_points_at_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.json");
    fs::write(&newer, r#"{"schema_version": 2, "anything": []}"#).unwrap();
    match json::read(&newer) {
        Err(ReportError::UnsupportedSchema {
            found: 2,
            supported: 1,
            ..
        }) => {}
        other => panic!("expected UnsupportedSchema, got {other:?}"),
    }
    let broken = dir.path().join("broken.json");
    fs::write(&broken, "{\n  \"schema_version\": 1,\n  \"run_id\": }\n").unwrap();
    let error = json::read(&broken).unwrap_err();
    assert!(
        matches!(error, ReportError::Parse { line: 3, .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}:3:", broken.display()))
    );
    assert!(matches!(
        json::read(dir.path().join("missing.json")),
        Err(ReportError::Io { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// HTML

#[test]
fn html_is_self_contained_and_shows_matrix_cases_diff_and_coverage() {
    let html = to_string(|o| html::write(&sample_report(), o));
    for forbidden in ["<link", " src=", "@import", "url(", "<iframe"] {
        assert!(
            !html.contains(forbidden),
            "page must not load `{forbidden}`"
        );
    }
    assert!(html.contains("default-src 'none'"));
    // Matrix: one row per operation, the failing cell links to a filter.
    assert!(html.contains("<tr data-op=\"AddImGroup\">"));
    assert!(html.contains("href=\"#filter=op:AddImGroup%20status:fail\">1</a>"));
    assert_eq!(html.matches("<details class=\"case ").count(), 8);
    assert!(html.contains("<span class=\"diff-add\">+  &lt;m:ResponseCode&gt;NoError"));
    assert!(html.contains("<span class=\"diff-hunk\">@@ -1,3 +1,3 @@</span>"));
    assert!(html.contains("<details class=\"exchange\">"));
    // Coverage: every EWS operation has a row; covered ones link to their cases.
    assert_eq!(html.matches("class=\"uncovered\"").count(), 125 - 8);
    assert_eq!(html.matches("class=\"covered\"").count(), 8);
    assert!(html.contains("<strong id=\"covered\">8</strong>"));
}

#[test]
fn html_renders_hostile_content_inert() {
    let html = to_string(|o| html::write(&hostile_report(), o));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    for raw in ["<img", "</textarea>", "<script>alert", "onerror=alert(2)>"] {
        assert!(!html.contains(raw), "`{raw}` must not appear unescaped");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(
        html.contains("{{ 7*7 }}{% raw %}"),
        "template syntax in data stays text"
    );
    assert!(!html.contains(">49<"));
    assert!(html.contains("\\x1b[31m\\x00\\x07\\u{202e}end"));
    assert!(
        !html
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')),
        "no raw control characters"
    );
}

/// Extracts from an HTML document (with Python's own HTML parser) what the tests look at.
const DOM_SCRIPT: &str = r#"
import json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.out = {"tags": {}, "cases": [], "body": {}, "shown": {}, "per_status": {}, "scripts": []}
        self.capture = None
        self.in_script = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.out["tags"][tag] = self.out["tags"].get(tag, 0) + 1
        if tag == "body": self.out["body"] = a
        if tag == "script": self.in_script = True; self.out["scripts"].append("")
        if tag == "details" and "case" in (a.get("class") or "").split():
            self.out["cases"].append({"id": a.get("data-id"), "status": a.get("data-status"),
                                      "hidden": "hidden" in a})
        if tag == "output" and a.get("id") == "shown":
            self.out["shown"] = a; self.capture = ("shown", None)
        if "data-shown-status" in a:
            self.capture = ("per_status", a["data-shown-status"])
    def handle_endtag(self, tag):
        if tag == "script": self.in_script = False
        self.capture = None
    def handle_data(self, data):
        if self.in_script: self.out["scripts"][-1] += data
        if self.capture and self.capture[0] == "shown":
            self.out["shown"]["text"] = self.out["shown"].get("text", "") + data
        elif self.capture:
            self.out["per_status"][self.capture[1]] = data
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps(p.out))
"#;

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Loads `page#fragment` in headless Chromium and returns the DOM after its scripts ran.
fn rendered_dom(chromium: &Path, page: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}{fragment}", page.display());
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        let _ = stdout.read_to_string(&mut dom);
        dom
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

fn dom_of(chromium: &Path, page: &Path, fragment: &str) -> Value {
    let dom = rendered_dom(chromium, page, fragment);
    assert!(dom.contains("<body"), "chromium dumped no DOM: {dom:.200}");
    let file = page.with_extension(format!("dom{}.html", fragment.len()));
    fs::write(&file, dom).unwrap();
    run_python(DOM_SCRIPT, &[&file])
}

#[test]
fn html_filter_and_counts_work_in_headless_chromium() {
    let chromium = chromium();
    if !require_tool(chromium.is_some(), "chromium (/usr/bin/chromium)")
        || !require_tool(python_has("html.parser"), "python3")
    {
        return;
    }
    let chromium = chromium.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    html::write(&sample_report(), fs::File::create(&page).unwrap()).unwrap();

    let dom = dom_of(&chromium, &page, "");
    assert_eq!(dom["body"]["data-js"], "ready", "the page's script ran");
    assert_eq!(dom["shown"]["data-shown"], "8");
    assert_eq!(dom["shown"]["text"], "8 of 8 cases shown");
    assert!(
        dom["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["hidden"] == false)
    );

    let dom = dom_of(&chromium, &page, "#filter=status:fail");
    assert_eq!(dom["body"]["data-filter"], "status:fail");
    assert_eq!(dom["shown"]["data-shown"], "1");
    assert_eq!(dom["shown"]["text"], "1 of 8 cases shown");
    assert_eq!(dom["per_status"]["fail"], "1 shown");
    assert_eq!(dom["per_status"]["pass"], "0 shown");
    for c in dom["cases"].as_array().unwrap() {
        let visible = c["hidden"] == false;
        assert_eq!(visible, c["id"] == "im/add_group_duplicate", "{c}");
    }

    // Free text matches id/operation/title; `op:` matches an operation exactly.
    let dom = dom_of(&chromium, &page, "#filter=op:AddImGroup%20pass");
    let visible: Vec<&str> = dom["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["hidden"] == false)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(visible, ["im/add_group"]);
}

#[test]
fn html_hostile_content_stays_inert_in_headless_chromium() {
    let chromium = chromium();
    if !require_tool(chromium.is_some(), "chromium (/usr/bin/chromium)")
        || !require_tool(python_has("html.parser"), "python3")
    {
        return;
    }
    let chromium = chromium.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    html::write(&hostile_report(), fs::File::create(&page).unwrap()).unwrap();
    let dom = dom_of(&chromium, &page, "#filter=%3Cscript%3E");
    assert_eq!(dom["body"]["data-js"], "ready");
    assert_eq!(dom["tags"]["script"], 1, "no script element from data");
    assert!(dom["tags"].get("img").is_none(), "no img element from data");
    assert!(dom["tags"].get("textarea").is_none());
    assert!(!dom["scripts"][0].as_str().unwrap().contains("alert("));
    // Every case's title contains `<script>`, so the filter keeps all of them.
    assert_eq!(dom["shown"]["data-shown"], "8");
}

// ---------------------------------------------------------------------------------------------
// Terminal

#[test]
fn terminal_summary_matches_its_golden_and_colors_only_when_asked() {
    let report = sample_report();
    let plain = terminal::summary(&report, false);
    assert_golden("summary.txt", &plain);
    assert!(!plain.contains('\u{1b}'));
    let colored = terminal::summary(&report, true);
    assert!(colored.contains("\u{1b}[31m1 fail\u{1b}[0m"));
}

#[test]
fn terminal_summary_neutralizes_terminal_escapes_from_servers() {
    let summary = terminal::summary(&hostile_report(), false);
    assert!(!summary.contains('\u{1b}'));
    assert!(summary.contains("\\x1b[31m"));
}

/// A `Write` that appends into a shared buffer the test can read afterwards.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn progress_without_a_tty_prints_one_plain_line_per_case() {
    let report = sample_report();
    let buffer = SharedBuffer::default();
    let progress = Progress::to_writer(3, Box::new(buffer.clone()));
    for c in &report.cases[1..4] {
        progress.case_finished(c);
    }
    progress.finish();
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text,
        "[1/3] ignored im/add_distribution_group (65 ms)\n\
         [2/3] pass im/add_group (52 ms)\n\
         [3/3] fail im/add_group_duplicate (62 ms)\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Baselines

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn baseline_loads_reasons_and_linked_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "baseline.yaml",
        "# known divergences\nim/a: wrong code\nim/b:\n  reason: missing element\n  link: https://tracker.invalid/EWS-1\n",
    );
    let baseline = Baseline::load(&path).unwrap();
    assert_eq!(baseline.entries["im/a"], "wrong code");
    assert_eq!(baseline.entries["im/b"], "missing element");
    assert_eq!(baseline.links["im/b"], "https://tracker.invalid/EWS-1");
    assert_eq!(
        baseline.reason_for("im/b").unwrap(),
        "missing element (https://tracker.invalid/EWS-1)"
    );
    let empty = write_file(dir.path(), "empty.yaml", "# nothing known yet\n");
    assert!(Baseline::load(&empty).unwrap().is_empty());
}

#[test]
fn baseline_errors_point_at_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "dup.yaml",
            "im/a: one\nim/b: two\nim/a: three\n",
            3,
            "case `im/a` is listed twice",
        ),
        (
            "key.yaml",
            "im/a:\n  reason: x\n  lnk: y\n",
            3,
            "unknown field `lnk`, expected `reason` or `link`",
        ),
        (
            "empty_reason.yaml",
            "im/a: ok\nim/b: ''\n",
            2,
            "empty reason",
        ),
        (
            "no_reason.yaml",
            "im/a:\n  link: x\n",
            2,
            "missing field `reason`",
        ),
        ("list.yaml", "- im/a\n", 1, "invalid type"),
    ];
    for (name, text, line, message) in cases {
        let path = write_file(dir.path(), name, text);
        let error = Baseline::load(&path).unwrap_err();
        let BaselineError::Parse {
            line: got_line,
            column,
            ..
        } = &error
        else {
            panic!("{name}: expected a parse error, got {error:?}");
        };
        assert_eq!(*got_line, line, "{name}: {error}");
        let shown = error.to_string();
        assert!(
            shown.starts_with(&format!("{}:{line}:{column}: ", path.display())),
            "{shown}"
        );
        assert!(shown.contains(message), "{name}: {shown}");
        assert!(shown.contains(&format!("\n{line} | ")), "snippet: {shown}");
    }
    assert!(matches!(
        Baseline::load(dir.path().join("absent.yaml")),
        Err(BaselineError::Io { .. })
    ));
}

#[test]
fn baseline_from_a_run_makes_the_next_run_green_and_flags_fixed_cases() {
    let dir = tempfile::tempdir().unwrap();
    // A run with no baseline: one fail, one error.
    let mut first = sample_report();
    for c in &mut first.cases {
        if let Some(raw) = c.raw_status.take() {
            c.status = raw;
            c.reason = None;
        }
    }
    assert!(!first.is_success(false));

    let written = Baseline::from_report(&first);
    assert_eq!(
        written.entries.keys().collect::<Vec<_>>(),
        [
            "im/add_group_duplicate",
            "im/get_im_item_list",
            "im/remove_contact_from_group"
        ]
    );
    assert_eq!(
        written.entries["im/get_im_item_list"],
        "step `GetImItemList`: connection refused (os error 111)"
    );
    let path = dir.path().join("baseline.yaml");
    written.write(&path).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# ews-conformance baseline"));
    let loaded = Baseline::load(&path).unwrap();
    assert_eq!(loaded, written, "write then load gives the same baseline");

    // The same results with the baseline: green, even with --strict-baseline.
    let mut second = first.clone();
    apply_baseline(&mut second, &loaded);
    assert!(second.is_success(false) && second.is_success(true));
    let dup = second
        .cases
        .iter()
        .find(|c| c.id == "im/add_group_duplicate")
        .unwrap();
    assert_eq!(dup.status, CaseStatus::ExpectedFailure);
    assert_eq!(dup.raw_status, Some(CaseStatus::Fail));
    assert_eq!(
        dup.reason.as_deref(),
        Some(loaded.entries[&dup.id].as_str())
    );

    // Later the server fixes one case: it is an unexpected pass, fatal only when strict.
    let mut third = first.clone();
    let fixed = third
        .cases
        .iter_mut()
        .find(|c| c.id == "im/add_group_duplicate")
        .unwrap();
    *fixed = case("im/add_group_duplicate", "AddImGroup", CaseStatus::Pass);
    apply_baseline(&mut third, &loaded);
    let fixed = third
        .cases
        .iter()
        .find(|c| c.id == "im/add_group_duplicate")
        .unwrap();
    assert_eq!(fixed.status, CaseStatus::UnexpectedPass);
    assert_eq!(fixed.raw_status, Some(CaseStatus::Pass));
    assert!(third.is_success(false));
    assert!(!third.is_success(true));

    // Applying twice changes nothing more; ignored and unlisted cases are untouched.
    let once = third.clone();
    apply_baseline(&mut third, &loaded);
    assert_eq!(third, once);
}

#[test]
fn baseline_write_is_sorted_and_keeps_links() {
    let dir = tempfile::tempdir().unwrap();
    let mut baseline = Baseline::default();
    baseline
        .entries
        .insert("im/z".into(), "last: with colon".into());
    baseline.entries.insert("im/a".into(), "first".into());
    baseline
        .links
        .insert("im/z".into(), "https://tracker.invalid/1".into());
    let path = dir.path().join("b.yaml");
    baseline.write(&path).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let a = text.find("im/a").unwrap();
    let z = text.find("im/z").unwrap();
    assert!(a < z, "sorted:\n{text}");
    assert_eq!(Baseline::load(&path).unwrap(), baseline);
    let unmatched = baseline.unmatched_ids(&sample_report());
    assert_eq!(unmatched, ["im/a", "im/z"]);
}

// ---------------------------------------------------------------------------------------------
// Shards

fn shard(report: &RunReport, partition: Partition) -> RunReport {
    let mut shard = report.clone();
    shard.partition = Some(partition.to_string());
    shard.cases.retain(|c| partition.contains(&c.id));
    shard
}

#[test]
fn four_shards_merged_equal_the_full_report() {
    let mut full = sample_report();
    for i in 0..40 {
        full.cases.push(case(
            &format!("im/generated_{i:02}"),
            "GetImItemList",
            CaseStatus::Pass,
        ));
    }
    full.cases.sort_by(|a, b| a.id.cmp(&b.id));
    let shards: Vec<RunReport> = (1..=4)
        .map(|k| shard(&full, Partition::parse(&format!("hash:{k}/4")).unwrap()))
        .collect();
    assert!(
        shards.iter().all(|s| !s.cases.is_empty()),
        "every shard has work"
    );
    assert_eq!(
        shards.iter().map(|s| s.cases.len()).sum::<usize>(),
        full.cases.len()
    );

    // Through the JSON files, as the `merge` command does, in a scrambled order.
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, s) in shards.iter().enumerate().rev() {
        let path = dir.path().join(format!("shard{i}.json"));
        json::write(s, fs::File::create(&path).unwrap()).unwrap();
        paths.push(path);
    }
    let merged = merge::merge_files(&paths).unwrap();
    assert_eq!(merged.cases, full.cases);
    assert_eq!(merged, full);
}

#[test]
fn merge_takes_earliest_start_longest_duration_and_all_run_ids() {
    let full = sample_report();
    let mut a = shard(&full, Partition::parse("hash:1/2").unwrap());
    let mut b = shard(&full, Partition::parse("hash:2/2").unwrap());
    a.run_id = "run-b".into();
    a.started_at = "2026-11-27T22:00:00+01:00".into(); // 21:00Z
    a.duration_ms = 10;
    b.run_id = "run-a".into();
    b.started_at = "2026-11-27T21:30:00Z".into();
    b.duration_ms = 99;
    b.interrupted = true;
    b.target.url = "http://127.0.0.1:5555/EWS/Exchange.asmx".into(); // another embedded port
    let merged = merge::merge(vec![a, b]).unwrap();
    assert_eq!(merged.run_id, "run-a+run-b");
    assert_eq!(merged.started_at, "2026-11-27T22:00:00+01:00");
    assert_eq!(merged.duration_ms, 99);
    assert!(merged.interrupted);
    assert_eq!(merged.partition, None);
}

#[test]
fn merge_rejects_overlapping_shards_and_mixed_schemas() {
    let full = sample_report();
    let error = merge::merge(vec![
        full.clone(),
        shard(&full, Partition::parse("hash:1/2").unwrap()),
    ])
    .unwrap_err();
    assert!(matches!(error, MergeError::DuplicateCase { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("report #1 and report #2 (partition hash:1/2)"),
        "{error}"
    );

    let mut old = shard(&full, Partition::parse("hash:2/2").unwrap());
    old.schema_version = 0;
    let error = merge::merge(vec![
        shard(&full, Partition::parse("hash:1/2").unwrap()),
        old,
    ])
    .unwrap_err();
    assert!(
        matches!(
            error,
            MergeError::SchemaVersion {
                found: 0,
                expected: 1,
                ..
            }
        ),
        "{error}"
    );

    let mut remote = shard(&full, Partition::parse("hash:2/2").unwrap());
    remote.target.embedded = false;
    remote.target.url = "https://ews.example.invalid/EWS/Exchange.asmx".into();
    let error = merge::merge(vec![
        shard(&full, Partition::parse("hash:1/2").unwrap()),
        remote,
    ])
    .unwrap_err();
    assert!(matches!(error, MergeError::Target { .. }), "{error}");
    assert!(matches!(merge::merge(Vec::new()), Err(MergeError::Empty)));
}

// ---------------------------------------------------------------------------------------------
// Coverage

#[test]
fn coverage_lists_every_operation_with_case_counts_and_statuses() {
    let report = sample_report();
    let loaded: Vec<(String, Vec<String>)> = report
        .cases
        .iter()
        .map(|c| (c.id.clone(), c.operations.clone()))
        .chain([(
            "im/not_run_yet".to_owned(),
            vec!["AddImGroup".to_owned(), "AddImGroupp".to_owned()],
        )])
        .collect();
    let coverage = Coverage::compute(
        loaded.iter().map(|(id, ops)| (id.as_str(), ops.as_slice())),
        Some(&report),
    );
    assert_eq!(coverage.operations.len(), 125);
    assert_eq!(coverage.total, 125);
    assert_eq!(coverage.covered, 8);
    let add_group = coverage
        .operations
        .iter()
        .find(|r| r.operation == "AddImGroup")
        .unwrap();
    assert_eq!(add_group.cases.len(), 4);
    assert_eq!(add_group.count(CaseStatus::Pass), 1);
    assert_eq!(add_group.count(CaseStatus::Fail), 1);
    assert_eq!(add_group.count(CaseStatus::ExpectedFailure), 1);
    assert_eq!(add_group.not_run, 1);
    assert_eq!(coverage.unknown_operations.len(), 1);
    assert_eq!(coverage.unknown_operations[0].operation, "AddImGroupp");

    let text = coverage::render_text(&coverage);
    assert_eq!(text.lines().count(), 1 + 125 + 3 + 2);
    let row = text.lines().find(|l| l.starts_with("AddImGroup ")).unwrap();
    let numbers: Vec<&str> = row.split_whitespace().rev().take(9).collect();
    // not-run, xpass, xfail, unsupported, ignored, error, fail, pass, cases (reversed)
    assert_eq!(numbers, ["1", "0", "1", "0", "0", "0", "1", "1", "4"]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("UploadItems ") && l.ends_with(" -"))
    );
    assert!(text.ends_with("covered: 8 of 125 EWS operations (6.4%)\n"));
}

// ---------------------------------------------------------------------------------------------
// Writing the report files

#[test]
fn write_all_creates_the_folder_and_writes_three_readable_reports() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("nested/reports");
    let report = sample_report();
    let paths = report::write_all(&report, &reports).unwrap();
    let names: Vec<_> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["junit.xml", "report.json", "report.html"]);
    assert_eq!(json::read(reports.join("report.json")).unwrap(), report);
    assert!(
        fs::read_to_string(reports.join("junit.xml"))
            .unwrap()
            .contains("<testcase name=\"im/add_group_duplicate\"")
    );
    assert!(
        fs::read_to_string(reports.join("report.html"))
            .unwrap()
            .ends_with("</html>\n")
    );
    // Strict mode changes the JUnit verdict of the unexpected pass.
    report::write_all_with(
        &report,
        &reports,
        WriteOptions {
            strict_baseline: true,
        },
    )
    .unwrap();
    assert!(
        fs::read_to_string(reports.join("junit.xml"))
            .unwrap()
            .contains("type=\"unexpected-pass\"")
    );
    assert_eq!(
        fs::read_dir(&reports).unwrap().count(),
        3,
        "no temporary files left"
    );
}

#[cfg(unix)]
#[test]
fn write_all_replaces_an_existing_report_by_renaming() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let mut report = sample_report();
    report::write_all(&report, dir.path()).unwrap();
    let path = dir.path().join("report.json");
    let before = fs::read_to_string(&path).unwrap();
    let inode = fs::metadata(&path).unwrap().ino();
    let mut reader = fs::File::open(&path).unwrap();

    report.run_id = "second-run".into();
    report::write_all(&report, dir.path()).unwrap();
    // A reader that had the old file open still reads the whole old report...
    let mut old = String::new();
    reader.read_to_string(&mut old).unwrap();
    assert_eq!(old, before);
    // ...and the path now names a different, complete file.
    assert_ne!(fs::metadata(&path).unwrap().ino(), inode);
    assert_eq!(json::read(&path).unwrap().run_id, "second-run");
}

#[test]
fn a_failed_write_leaves_the_previous_file_and_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    fs::write(&path, "previous complete report").unwrap();
    let error = report::atomic_write(&path, |out| {
        out.write_all(b"{\"half\": ")?;
        Err(std::io::Error::other("disk full"))
    })
    .unwrap_err();
    assert!(error.to_string().contains("disk full"));
    assert!(error.to_string().contains("report.json"));
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "previous complete report"
    );
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary file removed"
    );

    // A target that cannot be replaced (a folder in the way) fails without leftovers.
    let blocked = tempfile::tempdir().unwrap();
    fs::create_dir(blocked.path().join("report.html")).unwrap();
    fs::write(blocked.path().join("report.html/keep"), "x").unwrap();
    assert!(report::write_all(&sample_report(), blocked.path()).is_err());
    let mut left: Vec<String> = fs::read_dir(blocked.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["junit.xml", "report.html", "report.json"]);
}

// ---------------------------------------------------------------------------------------------
// End to end: the real binary against the embedded server with a quirk

#[test]
fn a_quirky_run_shows_the_failure_with_its_diff_in_every_report_and_a_baseline_turns_it_green() {
    use crate::support::{all_output, fixture, run_bin};
    let cases = fixture("runner/good");
    let quirky = tempfile::tempdir().unwrap();
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            quirky.path().to_str().unwrap(),
            "--quirk",
            "wrong-response-code",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));

    // JSON: the failure, its path and its diff.
    let run = json::read(quirky.path().join("report.json")).unwrap();
    let failed = run
        .cases
        .iter()
        .find(|c| c.status == CaseStatus::Fail)
        .expect("a failing case");
    let (step, first) = failed.first_mismatch().expect("a mismatch");
    assert!(first.actual_path.ends_with("/ResponseCode"), "{first:?}");
    let diff = step.diff.as_deref().expect("a diff");
    let added = diff
        .lines()
        .find(|l| l.starts_with('+') && l.contains("ResponseCode"))
        .expect("the actual ResponseCode line in the diff");

    // JUnit, read by junitparser: one failure carrying the same diff.
    let junit_xml = fs::read_to_string(quirky.path().join("junit.xml")).unwrap();
    assert!(junit_xml.contains("<failure"));
    if require_tool(python_has("junitparser"), "python3 with junitparser") {
        let seen = run_python(JUNITPARSER_SCRIPT, &[&quirky.path().join("junit.xml")]);
        assert_eq!(count_results(&seen, "Failure"), 1);
        assert_eq!(count_results(&seen, "Error"), 0);
        let case = &seen["cases"][failed.id.as_str()];
        assert_eq!(case["classname"], failed.family.as_str());
        assert!(case["results"][0]["text"].as_str().unwrap().contains(added));
        assert!(case["system_out"].as_str().unwrap().contains(added));
    }

    // HTML: the failing case is open and its diff line is colored as an addition.
    let page = fs::read_to_string(quirky.path().join("report.html")).unwrap();
    assert!(page.contains("data-status=\"fail\""));
    assert!(page.contains("<span class=\"diff-add\">+"));

    // A baseline written from this run makes the same results green, even when strict.
    let baseline_path = quirky.path().join("baseline.yaml");
    Baseline::from_report(&run).write(&baseline_path).unwrap();
    let baseline = Baseline::load(&baseline_path).unwrap();
    let mut with_baseline = run.clone();
    apply_baseline(&mut with_baseline, &baseline);
    assert!(with_baseline.is_success(true));

    // The server is fixed: the next run passes and the baseline entry shows as unexpected pass.
    let fixed = tempfile::tempdir().unwrap();
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            fixed.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let mut next = json::read(fixed.path().join("report.json")).unwrap();
    apply_baseline(&mut next, &baseline);
    let flagged = next.cases.iter().find(|c| c.id == failed.id).unwrap();
    assert_eq!(flagged.status, CaseStatus::UnexpectedPass);
    assert!(next.is_success(false) && !next.is_success(true));
}

// ---------------------------------------------------------------------------------------------
// Several servers in one report

/// Passed / counted / unsupported of a report, by the rule of `reports/FORMAT.md` (written out
/// here, apart from the matrix code).
fn figures(report: &RunReport) -> (usize, usize, usize) {
    let n = |s: CaseStatus| report.count(s);
    let passed = n(CaseStatus::Pass) + n(CaseStatus::UnexpectedPass);
    let counted =
        passed + n(CaseStatus::Fail) + n(CaseStatus::Error) + n(CaseStatus::ExpectedFailure);
    (passed, counted, n(CaseStatus::Unsupported))
}

/// The `<td>` of `row`'s server `server` in the table with id `table`, from a DOM dump.
fn cell<'d>(dom: &'d str, table: &str, row_attr: &str, server: usize) -> &'d str {
    let start = dom.find(&format!("id=\"{table}\"")).expect("table");
    let table_html = &dom[start..start + dom[start..].find("</table>").expect("table end")];
    let row_at = table_html
        .find(row_attr)
        .unwrap_or_else(|| panic!("{row_attr} in {table}"));
    let row = &table_html[row_at..row_at + table_html[row_at..].find("</tr>").unwrap()];
    let at = row
        .find(&format!("data-server=\"{server}\""))
        .unwrap_or_else(|| panic!("server {server} in {row}"));
    let open = row[..at].rfind("<td").unwrap();
    &row[open..open + row[open..].find("</td>").unwrap()]
}

#[test]
fn merge_of_runs_against_three_servers_is_one_matrix_checked_in_headless_chromium() {
    use crate::support::{all_output, read_report, repo_root, run_bin};
    use ews_conformance::reference_server::{self, ServerConfig};

    let cases = repo_root().join("cases");
    let cases = cases.to_str().unwrap();
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let dir = |i: usize| dirs[i].path().to_str().unwrap().to_string();
    // 1: the embedded server; 2: the embedded server with a quirk; 3: a server without two
    // operations (their cases are unsupported).
    let out = run_bin(&["--cases", cases, "--reports", &dir(0), "-q"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = run_bin(
        &[
            "--cases",
            cases,
            "--reports",
            &dir(1),
            "-q",
            "--quirk",
            "wrong-response-code",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let config = ServerConfig {
        disabled_operations: ["SetImGroup", "GetImItems"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..ServerConfig::default()
    };
    let server = reference_server::start(config.clone()).unwrap();
    let url = server.url();
    let mut args = vec![
        "--cases".to_string(),
        cases.to_string(),
        "--reports".into(),
        dir(2),
        "-q".into(),
        "--endpoint".into(),
        url.clone(),
        "--auth".into(),
        "basic".into(),
    ];
    for (k, v) in config.target_variables() {
        args.extend(["--var".to_string(), format!("{k}={v}")]);
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_bin(
        &argv,
        &[
            ("EWS_USERNAME", "alice"),
            ("EWS_PASSWORD", "alice-password"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    server.shutdown();
    let reports: Vec<RunReport> = (0..3).map(|i| read_report(dirs[i].path())).collect();

    let merged = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (0..3).map(|i| format!("{}/report.json", dir(i))).collect();
    let out = run_bin(
        &[
            "merge",
            &inputs[0],
            &inputs[1],
            &inputs[2],
            "--reports",
            merged.path().to_str().unwrap(),
        ],
        &[],
    );
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "one server fails: {text}");
    assert!(text.contains("3 servers"), "{text}");
    let page = merged.path().join("matrix.html");
    assert!(page.exists() && merged.path().join("matrix.json").exists());
    assert!(
        !merged.path().join("report.json").exists(),
        "no single-target report"
    );

    let chromium = chromium();
    if !require_tool(chromium.is_some(), "chromium (/usr/bin/chromium)") {
        return;
    }
    let dom = rendered_dom(&chromium.unwrap(), &page, "");
    assert!(dom.contains("<body"), "chromium dumped no DOM: {dom:.200}");
    for (i, report) in reports.iter().enumerate() {
        let (passed, counted, unsupported) = figures(report);
        let total = cell(&dom, "families", "data-row=\"all cases\"", i + 1);
        assert!(
            total.contains(&format!("data-passed=\"{passed}\""))
                && total.contains(&format!("data-counted=\"{counted}\""))
                && total.contains(&format!("data-unsupported=\"{unsupported}\"")),
            "server {}: {total}",
            i + 1
        );
    }
    let (_, _, unsupported) = figures(&reports[2]);
    assert!(unsupported > 0);
    assert!(cell(&dom, "families", "data-row=\"all cases\"", 3).contains("unsupported"));
    // The figures are split by grade: the plain server passes both recommended cases.
    assert!(
        cell(&dom, "families", "data-row=\"im\"", 1).contains("recommended 100% (2/2)"),
        "{}",
        cell(&dom, "families", "data-row=\"im\"", 1)
    );
    // A cell: a SetImGroup case passes on 1, fails on 2 (the quirk), is unsupported on 3.
    let id = "im/set_im_group/renames_group";
    let statuses: Vec<CaseStatus> = reports
        .iter()
        .map(|r| r.cases.iter().find(|c| c.id == id).unwrap().status)
        .collect();
    assert_eq!(
        statuses,
        [CaseStatus::Pass, CaseStatus::Fail, CaseStatus::Unsupported]
    );
    let row = format!("data-case=\"{id}\"");
    assert!(cell(&dom, "cases", &row, 1).contains(">pass"));
    assert!(cell(&dom, "cases", &row, 2).contains(">fail"));
    assert!(cell(&dom, "cases", &row, 3).contains("status-unsupported"));
}

// ---------------------------------------------------------------------------------------------
// Requirement grades

#[test]
fn a_recommended_only_baseline_excuses_recommended_divergences_and_never_required_ones() {
    use ews_conformance::report::Grade;
    let mut required = failing_case("im/required_divergence", "AddImGroup");
    required.grade = Grade::Required;
    let mut recommended = failing_case("im/recommended_divergence", "AddImGroup");
    recommended.grade = Grade::Recommended;
    let mut report = sample_report();
    report.cases = vec![required, recommended];
    let text =
        "grade: recommended\nim/required_divergence: known\nim/recommended_divergence: known\n";
    let baseline = Baseline::parse(text, Path::new("b.yaml")).unwrap();
    assert_eq!(baseline.grade, Some(Grade::Recommended));
    assert_eq!(baseline.len(), 2, "`grade` is not a case entry");
    let mut applied = report.clone();
    apply_baseline(&mut applied, &baseline);
    let status = |id: &str| applied.cases.iter().find(|c| c.id == id).unwrap().status;
    assert_eq!(status("im/required_divergence"), CaseStatus::Fail);
    assert_eq!(
        status("im/recommended_divergence"),
        CaseStatus::ExpectedFailure
    );
    assert!(
        !applied.is_success(false),
        "the required failure fails the run"
    );

    // Without the grade, both are excused; the file round-trips with its grade.
    let mut any = baseline.clone();
    any.grade = None;
    let mut applied = report.clone();
    apply_baseline(&mut applied, &any);
    assert!(applied.is_success(false));
    let again = Baseline::parse(&baseline.to_yaml().unwrap(), Path::new("b.yaml")).unwrap();
    assert_eq!(again, baseline);

    let error = Baseline::parse("grade: optional\n", Path::new("b.yaml")).unwrap_err();
    assert!(error.to_string().contains("b.yaml:1:1"), "{error}");
    assert!(error.to_string().contains("not a grade"), "{error}");
}

#[test]
fn every_report_splits_the_score_by_grade() {
    use ews_conformance::report::Grade;
    let mut report = sample_report();
    let mut extra = failing_case("im/recommended_divergence", "AddImGroup");
    extra.grade = Grade::Recommended;
    report.cases.push(extra);
    let summary = terminal::summary(&report, false);
    assert!(
        summary.contains("score: 50% (4/8); required 57% (4/7), recommended 0% (0/1)"),
        "{summary}"
    );
    let mut json_out = Vec::new();
    json::write(&report, &mut json_out).unwrap();
    let value: Value = serde_json::from_slice(&json_out).unwrap();
    assert_eq!(value["score"]["recommended"]["counted"], 1);
    assert_eq!(value["score"]["required"]["passed"], 4);
    let case = value["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "im/recommended_divergence")
        .unwrap();
    assert_eq!(case["grade"], "recommended");
    let mut junit_out = Vec::new();
    junit::write(&report, &mut junit_out).unwrap();
    let junit_text = String::from_utf8(junit_out).unwrap();
    assert!(junit_text.contains(r#"<property name="score-recommended" value="0/1"/>"#));
    let mut html_out = Vec::new();
    html::write(&report, &mut html_out).unwrap();
    let page = String::from_utf8(html_out).unwrap();
    let at = page.find("id=\"score\"").expect("the score line");
    let line = &page[at..at + page[at..].find("</p>").unwrap()];
    // minijinja's HTML escaping writes `/` as `&#x2f;`.
    assert!(
        line.replace("&#x2f;", "/").contains("recommended 0% (0/1)"),
        "the HTML shows the split: {line}"
    );
}

#[test]
fn the_recommended_cases_of_the_suite_carry_their_grade_into_the_report() {
    use crate::support::{read_report, repo_root, run_bin};
    use ews_conformance::report::Grade;
    let dir = tempfile::tempdir().unwrap();
    let cases = repo_root().join("cases");
    let out = run_bin(
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--reports",
            dir.path().to_str().unwrap(),
            "-q",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let report = read_report(dir.path());
    let recommended: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.grade == Grade::Recommended)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        recommended,
        [
            "availability/get_user_availability/invalid_windows",
            "directory/get_user_photo/no_photo",
            "im/add_im_contact_to_group/adds_existing_contact",
            "im/get_im_item_list/extended_properties",
            "settings/create_user_configuration/duplicate_name",
            "settings/get_server_time_zones/full_definitions",
            "settings/get_server_time_zones/unknown_ids",
        ]
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("recommended 100% (7/7)"), "{stdout}");
}

#[test]
fn baseline_grade_recommended_on_the_command_line_keeps_required_failures_failing() {
    use crate::support::{all_output, repo_root, run_bin};
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.yaml");
    let cases = repo_root().join("cases");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--cases",
            cases.to_str().unwrap(),
            "--no-reports",
            "-q",
            "--quirk",
            "wrong-response-code",
        ];
        args.extend_from_slice(extra);
        run_bin(&args, &[])
    };
    // Today's failures, recommended ones included, become the baseline.
    let out = run(&["--write-baseline", baseline.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let written = Baseline::load(&baseline).unwrap();
    assert!(
        written
            .entries
            .contains_key("im/get_im_item_list/extended_properties")
    );
    assert!(written.len() > 10);
    // The baseline excuses every one of them...
    let out = run(&["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    // ...but accepting recommended divergences only, the required failures fail the run again.
    let out = run(&[
        "--baseline",
        baseline.to_str().unwrap(),
        "--baseline-grade",
        "recommended",
    ]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("im/add_im_group/creates_group"), "{text}");
    // The recommended cases that fail under the quirk (six: `no_photo` answers a fault, which
    // the quirk leaves alone) stay excused; they are not in the summary's failure list.
    assert!(text.contains(", 6 expected-failure"), "{text}");
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("fail ")
            && l.contains("im/get_im_item_list/extended_properties")),
        "{text}"
    );
    let out = run(&["--baseline-grade", "optional"]);
    assert_eq!(out.status.code(), Some(2));
}
