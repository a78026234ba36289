//! Benchmark: the harness running 1,000 steps against the embedded reference server.
//!
//! One generated case of 500 AddImGroup + RemoveImGroup pairs (each add binds the group id that
//! the remove uses and checks) runs through the real runner: envelope building, HTTP, canonical
//! parsing, comparison with matchers, captures. The baseline, measured in the same run, posts
//! the same 1,000 requests with a plain reqwest client and only scans each add response for the
//! id (no canonicalization, no comparison). Prints medians over `BENCH_REPS` (default 5) runs and
//! the harness/baseline ratio.
//!
//! Run: `cargo bench --bench harness_steps`

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use ews_conformance::cli::embedded_target;
use ews_conformance::reference_server::{self, ServerConfig};
use ews_conformance::report::{CaseStatus, TargetInfo};
use ews_conformance::runner::{self, RunConfig};
use ews_conformance::soap;
use ews_conformance::target::Target;

const PAIRS: usize = 500;

fn case_yaml() -> String {
    let mut out = String::from(
        "title: 1,000 steps (benchmark)\noperations: [AddImGroup, RemoveImGroup]\nsince: Exchange2013\nsteps:\n",
    );
    for i in 0..PAIRS {
        out.push_str(&format!(
            "  - name: add {i}\n    body: <m:AddImGroup><m:DisplayName>bench-{{{{run_id}}}}-{i}</m:DisplayName></m:AddImGroup>\n    expect: |\n      <m:AddImGroupResponse ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode>\n        <m:ImGroup><t:DisplayName>bench-{{{{run_id}}}}-{i}</t:DisplayName><t:GroupType>IPM.DistList.MOC.UserGroup</t:GroupType>\n          <t:ExchangeStoreId Id=\"{{{{bind g{i} ews_id}}}}\" ChangeKey=\"{{{{base64}}}}\"/></m:ImGroup></m:AddImGroupResponse>\n  - name: remove {i}\n    body: <m:RemoveImGroup><m:GroupId Id=\"{{{{g{i}}}}}\"/></m:RemoveImGroup>\n    expect: <m:RemoveImGroupResponse ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode></m:RemoveImGroupResponse>\n"
        ));
    }
    out
}

fn harness_run(cases_dir: &std::path::Path, target: &Target, rep: usize) -> Duration {
    let args = libtest_mimic::Arguments {
        quiet: true,
        test_threads: Some(1),
        ..Default::default()
    };
    let started = Instant::now();
    let outcome = runner::run(RunConfig {
        cases_dir: cases_dir.to_path_buf(),
        reports_dir: None,
        target: target.clone(),
        target_info: TargetInfo::default(),
        baseline: None,
        strict_baseline: false,
        partition: None,
        libtest: args,
        color: false,
        run_id: format!("bench{rep}"),
        run_timeout: None,
        interrupt: Arc::new(AtomicBool::new(false)),
        shuffle_seed: None,
        rerun_command: String::new(),
        record: Default::default(),
    })
    .expect("run");
    let elapsed = started.elapsed();
    let case = &outcome.report.cases[0];
    assert_eq!(
        case.status,
        CaseStatus::Pass,
        "the benchmark case must pass"
    );
    assert_eq!(case.steps.len(), 2 * PAIRS);
    elapsed
}

fn baseline_run(url: &str, user: &str, password: &str, rep: usize) -> Duration {
    let client = reqwest::blocking::Client::new();
    let headers = soap::EnvelopeHeaders {
        server_version: Some("Exchange2013".into()),
        ..Default::default()
    };
    let post = |body: String| {
        client
            .post(url)
            .basic_auth(user, Some(password))
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(body)
            .send()
            .and_then(|r| r.text())
            .expect("post")
    };
    let started = Instant::now();
    for i in 0..PAIRS {
        let add =
            format!("<m:AddImGroup><m:DisplayName>base-{rep}-{i}</m:DisplayName></m:AddImGroup>");
        let reply = post(soap::build_envelope(&add, &headers));
        let id = reply
            .split("ExchangeStoreId")
            .nth(1)
            .and_then(|rest| rest.split(" Id=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .expect("group id in the AddImGroup response");
        let remove = format!("<m:RemoveImGroup><m:GroupId Id=\"{id}\"/></m:RemoveImGroup>");
        let reply = post(soap::build_envelope(&remove, &headers));
        assert!(reply.contains("NoError"));
    }
    started.elapsed()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a list; there is nothing to list.
    }
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let config = ServerConfig::default();
    let server = reference_server::start(config.clone()).expect("server");
    let target = embedded_target(&server.url(), &config, Target::default());
    let dir = std::env::temp_dir().join(format!("ews-bench-steps-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("bench")).expect("temp dir");
    std::fs::write(dir.join("bench/thousand_steps.yaml"), case_yaml()).expect("case file");
    let user = config.users[0].username.clone();
    let password = config.users[0].password.clone();

    let mut harness = Vec::new();
    let mut baseline = Vec::new();
    for rep in 0..reps {
        harness.push(harness_run(&dir, &target, rep));
        baseline.push(baseline_run(&server.url(), &user, &password, rep));
    }
    let steps = 2 * PAIRS;
    let (h, b) = (median(harness), median(baseline));
    let _ = std::fs::remove_dir_all(&dir);
    let mut table = BTreeMap::new();
    table.insert("1 harness (runner, 1 thread)", h);
    table.insert("2 baseline (plain reqwest posts)", b);
    println!("\n{steps} steps against the embedded reference server, median of {reps} runs:");
    for (name, d) in &table {
        println!(
            "  {:<34} {:>8.1} ms   {:>7.0} steps/s   {:>6.1} us/step",
            &name[2..],
            d.as_secs_f64() * 1e3,
            steps as f64 / d.as_secs_f64(),
            d.as_secs_f64() * 1e6 / steps as f64
        );
    }
    println!(
        "  harness / baseline = {:.2}x",
        h.as_secs_f64() / b.as_secs_f64()
    );
    server.shutdown();
}
