//! The views of a [`CompareReport`]: terminal text, JUnit XML (one testcase per case, a
//! `<failure type="difference">` when a step differs), JSON (the model itself) and a
//! self-contained HTML page with both responses of every differing step side by side.
//! [`write_all`] writes `compare-junit.xml`, `compare.json` and `compare.html` atomically.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{CaseComparison, CompareReport, StepComparison, StepSide, StepVerdict};
use crate::report::text::{clean, first_line, html_text, static_page_head};

/// File names inside the reports folder.
pub const JUNIT_FILE: &str = "compare-junit.xml";
pub const JSON_FILE: &str = "compare.json";
pub const HTML_FILE: &str = "compare.html";

/// Writes the three files into `dir` atomically; returns their paths.
pub fn write_all(report: &CompareReport, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let junit = dir.join(JUNIT_FILE);
    crate::report::atomic_write(&junit, |out| write_junit(report, out))?;
    let json = dir.join(JSON_FILE);
    crate::report::atomic_write(&json, |out| write_json(report, out))?;
    let html = dir.join(HTML_FILE);
    crate::report::atomic_write(&html, |out| write_html(report, out))?;
    Ok(vec![junit, json, html])
}

/// The JSON form: the model, pretty-printed.
pub fn write_json(report: &CompareReport, mut out: impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

fn side_line(report: &CompareReport) -> String {
    report
        .sides
        .iter()
        .map(|s| {
            let mut text = format!("{} = {}", s.label, clean(&s.target.url));
            if s.target.embedded {
                text.push_str(" (embedded");
                if !s.target.quirks.is_empty() {
                    let _ = write!(text, ", quirks: {}", clean(&s.target.quirks.join(", ")));
                }
                text.push(')');
            }
            text
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The terminal text: each differing step with its differences and diff, then a count.
pub fn terminal(report: &CompareReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "compare: {}", side_line(report));
    for (case, step) in report.differing() {
        let _ = writeln!(
            out,
            "\ndiffer  {} step {} `{}` ({})",
            clean(&case.id),
            step.index,
            clean(&step.name),
            step.phase.label()
        );
        for d in &step.differences {
            let _ = writeln!(out, "    {} [{}]", clean(&d.expected_path), clean(&d.kind));
            if d.actual_path != d.expected_path && !d.actual_path.is_empty() {
                let _ = writeln!(out, "      B path: {}", clean(&d.actual_path));
            }
            let _ = writeln!(out, "      {}", clean(first_line(&d.message)));
        }
        if let Some(diff) = &step.diff {
            for line in diff.lines() {
                let _ = writeln!(out, "      {}", clean(line));
            }
        }
    }
    for error in &report.load_errors {
        let _ = writeln!(out, "\nload error  {}", clean(first_line(error)));
    }
    let differing_cases = report.cases.iter().filter(|c| c.differs()).count();
    let _ = writeln!(
        out,
        "\n{} of {} step(s) differ, in {} of {} case(s)",
        report.differing().count(),
        report.step_count(),
        differing_cases,
        report.cases.len()
    );
    out
}

/// JUnit: one testsuite per family, one testcase per case.
pub fn write_junit(report: &CompareReport, mut out: impl Write) -> io::Result<()> {
    let mut junit = Report::new("ews-conformance-compare");
    let mut families: std::collections::BTreeMap<&str, Vec<&CaseComparison>> =
        std::collections::BTreeMap::new();
    for case in &report.cases {
        families.entry(case.family.as_str()).or_default().push(case);
    }
    for (family, cases) in families {
        let mut suite = TestSuite::new(clean(family));
        for case in cases {
            let status = if let Some(why) = &case.skipped {
                let mut s = TestCaseStatus::skipped();
                s.set_message(clean(why));
                s
            } else if case.differs() {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let (count, first) = {
                    let differing: Vec<&StepComparison> = case
                        .steps
                        .iter()
                        .filter(|s| s.verdict != StepVerdict::Same)
                        .collect();
                    (differing.len(), differing[0])
                };
                s.set_type("difference").set_message(clean(&format!(
                    "{count} step(s) differ; first: step {} `{}`: {}",
                    first.index,
                    first.name,
                    first
                        .differences
                        .first()
                        .map(|d| format!("{}: {}", d.expected_path, first_line(&d.message)))
                        .unwrap_or_default()
                )));
                s.set_description(clean(&case_text(case)));
                s
            } else {
                TestCaseStatus::success()
            };
            let mut test_case = TestCase::new(clean(&case.id), status);
            test_case.set_classname(clean(&case.family));
            suite.add_test_case(test_case);
        }
        junit.add_test_suite(suite);
    }
    junit
        .serialize(&mut out)
        .map_err(|e| io::Error::other(e.to_string()))
}

fn case_text(case: &CaseComparison) -> String {
    let mut text = String::new();
    for step in case.steps.iter().filter(|s| s.verdict != StepVerdict::Same) {
        let _ = writeln!(text, "step {} `{}`:", step.index, step.name);
        for d in &step.differences {
            let _ = writeln!(
                text,
                "  {} [{}]: {}",
                d.expected_path,
                d.kind,
                first_line(&d.message)
            );
        }
        if let Some(diff) = &step.diff {
            let _ = writeln!(text, "{diff}");
        }
    }
    text
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#1f2328}\
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.3em .6em;vertical-align:top;text-align:left}\
.sides{width:100%;table-layout:fixed}.sides pre{white-space:pre-wrap;word-break:break-all;margin:0;font-size:12px}\
.differ{color:#cf222e;font-weight:600}.same{color:#1a7f37}.diff-add{color:#1a7f37}.diff-del{color:#cf222e}\
details{margin:.5em 0}summary{cursor:pointer}code{font-size:13px}";

/// The HTML page: the sides, a count, then one section per case with a differing step, each
/// differing step with its differences, the diff, and both responses side by side.
pub fn write_html(report: &CompareReport, mut out: impl Write) -> io::Result<()> {
    let mut page = static_page_head("ews-conformance compare", STYLE);
    let _ = write!(page, "<h1>Differential run</h1><table id=\"sides\">");
    for side in &report.sides {
        let _ = write!(
            page,
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            html_text(&side.label),
            html_text(&side.target.url),
            html_text(&side.target.quirks.join(", "))
        );
    }
    let differing = report.differing().count();
    let _ = write!(
        page,
        "</table><p id=\"summary\"><span id=\"differing\">{differing}</span> of \
         <span id=\"steps\">{}</span> step(s) differ, in <span id=\"cases-differing\">{}</span> \
         of {} case(s). Run {}.</p>",
        report.step_count(),
        report.cases.iter().filter(|c| c.differs()).count(),
        report.cases.len(),
        html_text(&report.run_id)
    );
    for error in &report.load_errors {
        let _ = write!(
            page,
            "<p class=\"differ\">load error: {}</p>",
            html_text(error)
        );
    }
    page.push_str(
        "<h2>Cases</h2><table id=\"cases\"><tr><th>case</th><th>steps</th><th>verdict</th></tr>",
    );
    for case in &report.cases {
        let n = case
            .steps
            .iter()
            .filter(|s| s.verdict != StepVerdict::Same)
            .count();
        let verdict = match (&case.skipped, n) {
            (Some(why), _) => format!("<td>skipped: {}</td>", html_text(why)),
            (None, 0) => "<td class=\"same\">same</td>".to_string(),
            (None, n) => format!("<td class=\"differ\">{n} differ</td>"),
        };
        let _ = write!(
            page,
            "<tr data-case=\"{}\"><td><code>{}</code></td><td>{}</td>{verdict}</tr>",
            html_text(&case.id),
            html_text(&case.id),
            case.steps.len()
        );
    }
    page.push_str("</table>");
    for case in report.cases.iter().filter(|c| c.differs()) {
        let _ = write!(
            page,
            "<section class=\"case\" data-case=\"{}\"><h2><code>{}</code> {}</h2>",
            html_text(&case.id),
            html_text(&case.id),
            html_text(&case.title)
        );
        for step in case.steps.iter().filter(|s| s.verdict != StepVerdict::Same) {
            html_step(&mut page, step, report);
        }
        page.push_str("</section>");
    }
    page.push_str("</body></html>\n");
    out.write_all(page.as_bytes())
}

fn html_step(page: &mut String, step: &StepComparison, report: &CompareReport) {
    let _ = write!(
        page,
        "<div class=\"step\" data-step=\"{}\"><h3 class=\"differ\">step {} <code>{}</code> ({})</h3><ul>",
        step.index,
        step.index,
        html_text(&step.name),
        step.phase.label()
    );
    for d in &step.differences {
        let _ = write!(
            page,
            "<li><code>{}</code> [{}] {}</li>",
            html_text(&d.expected_path),
            html_text(&d.kind),
            html_text(&d.message)
        );
    }
    page.push_str("</ul>");
    if let Some(diff) = &step.diff {
        page.push_str("<pre class=\"diff\">");
        for line in diff.lines() {
            let class = if line.starts_with('+') && !line.starts_with("+++") {
                "diff-add"
            } else if line.starts_with('-') && !line.starts_with("---") {
                "diff-del"
            } else {
                "diff-ctx"
            };
            let _ = writeln!(page, "<span class=\"{class}\">{}</span>", html_text(line));
        }
        page.push_str("</pre>");
    }
    let label = |i: usize| report.sides.get(i).map(|s| s.label.as_str()).unwrap_or("?");
    let _ = write!(
        page,
        "<table class=\"sides\"><tr><th>{} response</th><th>{} response</th></tr><tr>",
        html_text(label(0)),
        html_text(label(1))
    );
    for side in [&step.a, &step.b] {
        let _ = write!(page, "<td class=\"body\">{}</td>", side_html(side));
    }
    page.push_str("</tr></table></div>");
}

fn side_html(side: &StepSide) -> String {
    match &side.response {
        Some(r) => format!(
            "HTTP {}<pre>{}</pre>",
            r.status.unwrap_or(0),
            html_text(&r.body)
        ),
        None => format!(
            "<em>{}</em>",
            html_text(side.error.as_deref().unwrap_or("no response"))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{COMPARE_SCHEMA_VERSION, SideInfo};
    use crate::report::{Exchange, MismatchRecord, StepPhase, TargetInfo};

    const HOSTILE: &str = "<script>alert(1)</script>\"'&\u{1b}[31m";

    fn hostile_report() -> CompareReport {
        let exchange = Exchange {
            status: Some(200),
            headers: vec![(HOSTILE.into(), HOSTILE.into())],
            body: HOSTILE.into(),
            truncated: false,
        };
        let side = StepSide {
            status: None,
            request: None,
            response: Some(exchange),
            error: None,
        };
        CompareReport {
            schema_version: COMPARE_SCHEMA_VERSION,
            harness_version: "0".into(),
            run_id: HOSTILE.into(),
            started_at: String::new(),
            duration_ms: 0,
            sides: vec![
                SideInfo {
                    label: "A".into(),
                    target: TargetInfo {
                        url: HOSTILE.into(),
                        ..TargetInfo::default()
                    },
                },
                SideInfo {
                    label: "B".into(),
                    target: TargetInfo::default(),
                },
            ],
            cases: vec![CaseComparison {
                id: HOSTILE.into(),
                file: HOSTILE.into(),
                title: HOSTILE.into(),
                operation: HOSTILE.into(),
                family: HOSTILE.into(),
                skipped: None,
                steps: vec![StepComparison {
                    name: HOSTILE.into(),
                    phase: StepPhase::Main,
                    index: 1,
                    verdict: StepVerdict::Differ,
                    differences: vec![MismatchRecord {
                        kind: HOSTILE.into(),
                        expected_path: HOSTILE.into(),
                        actual_path: HOSTILE.into(),
                        expected: Some(HOSTILE.into()),
                        actual: Some(HOSTILE.into()),
                        location: None,
                        message: HOSTILE.into(),
                    }],
                    diff: Some(format!("--- A\n+++ B\n-{HOSTILE}\n+{HOSTILE}")),
                    a: side.clone(),
                    b: side,
                }],
            }],
            load_errors: vec![HOSTILE.into()],
        }
    }

    #[test]
    fn the_html_page_escapes_everything_from_servers_and_cases() {
        let mut out = Vec::new();
        write_html(&hostile_report(), &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(!page.contains("<script"), "no markup from the report");
        assert!(!page.contains('\u{1b}'), "control characters made visible");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
        assert_eq!(page.matches("<table class=\"sides\">").count(), 1);
    }

    #[test]
    fn terminal_and_junit_make_control_characters_visible() {
        let report = hostile_report();
        assert!(!terminal(&report).contains('\u{1b}'));
        let mut out = Vec::new();
        write_junit(&report, &mut out).unwrap();
        let junit = String::from_utf8(out).unwrap();
        assert!(!junit.contains('\u{1b}') && !junit.contains("<script"));
        assert_eq!(junit.matches("<failure").count(), 1);
    }
}
