//! Speed of the report writers on a large run: 500 cases, each with a 20 KB response body, two
//! mismatches and a diff; every fifth case fails. Run with `cargo bench --bench report`.

use ews_conformance::report::{
    self, CaseResult, CaseStatus, Exchange, MismatchRecord, RunReport, StepPhase, StepResult,
    StepStatus, TargetInfo, html, json, junit, merge,
};

use ews_conformance::runner::partition::Partition;

fn main() {
    divan::main();
}

fn large_report() -> RunReport {
    let body = format!(
        "<s:Envelope><s:Body>{}</s:Body></s:Envelope>",
        "<t:Persona><t:DisplayName>Someone &amp; co</t:DisplayName></t:Persona>".repeat(280)
    );
    let cases = (0..500)
        .map(|i| {
            let failing = i % 5 == 0;
            CaseResult {
                id: format!("im/case_{i:04}"),
                file: format!("im/case_{i:04}.yaml"),
                title: format!("case {i}"),
                operation: "GetImItemList".into(),
                operations: vec!["GetImItemList".into()],
                family: "im".into(),
                tags: Vec::new(),
                spec: None,
                status: if failing {
                    CaseStatus::Fail
                } else {
                    CaseStatus::Pass
                },
                reason: None,
                raw_status: None,
                duration_ms: 12,
                unsupported: None,
                grade: Default::default(),
                steps: vec![StepResult {
                    name: "get the list".into(),
                    phase: StepPhase::Main,
                    status: if failing {
                        StepStatus::Fail
                    } else {
                        StepStatus::Pass
                    },
                    location: Some("cases/im/x.yaml:3:5".into()),
                    duration_ms: 10,
                    request: Some(Exchange {
                        body: "<m:GetImItemList/>".into(),
                        ..Exchange::default()
                    }),
                    response: Some(Exchange {
                        status: Some(200),
                        body: body.clone(),
                        ..Exchange::default()
                    }),
                    mismatches: if failing {
                        (0..2)
                            .map(|k| MismatchRecord {
                                kind: "text".into(),
                                expected_path: format!("/Envelope/Body/X/Y[{k}]"),
                                actual_path: format!("/Envelope/Body/X/Y[{k}]"),
                                expected: Some("NoError".into()),
                                actual: Some("ErrorX".into()),
                                location: None,
                                message: "expected `NoError`, found `ErrorX`".into(),
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                    diff: failing.then(|| {
                        "--- expected\n+++ actual\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n d\n".repeat(20)
                    }),
                    error: None,
                    throttling: None,
                    detail: Default::default(),
                }],
            }
        })
        .collect();
    RunReport {
        schema_version: report::REPORT_SCHEMA_VERSION,
        harness_version: "bench".into(),
        run_id: "bench".into(),
        target: TargetInfo {
            url: "http://127.0.0.1:1/EWS/Exchange.asmx".into(),
            embedded: true,
            ..TargetInfo::default()
        },
        started_at: "2026-11-27T21:00:00Z".into(),
        duration_ms: 1000,
        partition: None,
        interrupted: false,
        cases,
    }
}

#[divan::bench]
fn json_500_cases(bencher: divan::Bencher<'_, '_>) {
    let report = large_report();
    bencher.bench(|| json::write(&report, std::io::sink()));
}

#[divan::bench]
fn junit_500_cases(bencher: divan::Bencher<'_, '_>) {
    let report = large_report();
    bencher.bench(|| junit::write(&report, std::io::sink()));
}

#[divan::bench]
fn html_500_cases(bencher: divan::Bencher<'_, '_>) {
    let report = large_report();
    bencher.bench(|| html::write(&report, std::io::sink()));
}

#[divan::bench]
fn merge_4_shards_of_500_cases(bencher: divan::Bencher<'_, '_>) {
    let report = large_report();
    let shards: Vec<RunReport> = (1..=4)
        .map(|k| {
            let partition = Partition::parse(&format!("hash:{k}/4")).expect("valid partition");
            let mut shard = report.clone();
            shard.cases.retain(|c| partition.contains(&c.id));
            shard
        })
        .collect();
    bencher
        .with_inputs(|| shards.clone())
        .bench_values(merge::merge);
}
