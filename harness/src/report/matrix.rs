//! Several servers in one report: the matrix of cases × servers that `merge` writes when its
//! inputs tested different targets (`matrix.html`, `matrix.json`), like the per-server tables
//! IMAP and JMAP test suites publish.
//!
//! Owns the [`Matrix`] model, the compliance figures and their rule, and the HTML page.
//!
//! **Compliance** of a server over a set of cases = passed / counted, where *counted* are the
//! cases with a verdict on conformance: `pass` and `unexpected-pass` count as passed, `fail`,
//! `error` and `expected-failure` as not passed. `ignored` cases are not counted, and neither are
//! `unsupported` ones: they are counted apart (`unsupported`), so a server that implements half
//! of an area is not shown as failing the other half. Every figure is also split by grade
//! (`required`: MUSTs of the documentation; `recommended`: Exchange's behaviour where it is
//! silent).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::model::{CaseStatus, Grade, RunReport, TargetInfo};
use super::text::{html_text, static_page_head};

/// Cases × servers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Matrix {
    pub servers: Vec<ServerColumn>,
    /// One row per case id seen in any report, sorted by id.
    pub cases: Vec<CaseRow>,
    /// One row per main operation.
    pub operations: Vec<ComplianceRow>,
    /// One row per family.
    pub families: Vec<ComplianceRow>,
    /// All cases, per server.
    pub total: Vec<Compliance>,
}

/// One server (one merged report).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerColumn {
    /// Column heading: the URL, or `embedded` with its quirks.
    pub label: String,
    pub target: TargetInfo,
    pub run_id: String,
}

/// One case on every server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseRow {
    pub id: String,
    pub operation: String,
    pub family: String,
    pub grade: Grade,
    /// Status per server (in `servers` order); `None` = not in that server's report.
    pub cells: Vec<Option<CaseStatus>>,
}

/// Compliance of every server over one operation or family.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ComplianceRow {
    pub name: String,
    pub cells: Vec<Compliance>,
}

/// Compliance figures of one server over a set of cases.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Compliance {
    pub passed: usize,
    /// Cases with a conformance verdict (see the module docs).
    pub counted: usize,
    pub unsupported: usize,
    pub ignored: usize,
    /// `[required, recommended]` (passed, counted).
    pub by_grade: [(usize, usize); 2],
}

impl Compliance {
    fn add(&mut self, status: CaseStatus, grade: Grade) {
        let g = match grade {
            Grade::Required => 0,
            Grade::Recommended => 1,
        };
        let passed = match status {
            CaseStatus::Pass | CaseStatus::UnexpectedPass => true,
            CaseStatus::Fail | CaseStatus::Error | CaseStatus::ExpectedFailure => false,
            CaseStatus::Ignored => {
                self.ignored += 1;
                return;
            }
            CaseStatus::Unsupported => {
                self.unsupported += 1;
                return;
            }
        };
        self.counted += 1;
        self.by_grade[g].1 += 1;
        if passed {
            self.passed += 1;
            self.by_grade[g].0 += 1;
        }
    }

    /// `passed / counted` as a percentage, `None` when nothing was counted.
    pub fn percent(&self) -> Option<f64> {
        percent(self.passed, self.counted)
    }

    /// The figure as shown: `87% (13/15)`, `–` when nothing counted, then the unsupported count.
    pub fn display(&self) -> String {
        let mut text = match self.percent() {
            Some(p) => format!("{p:.0}% ({}/{})", self.passed, self.counted),
            None => "–".to_string(),
        };
        if self.unsupported > 0 {
            let _ = write!(text, ", {} unsupported", self.unsupported);
        }
        text
    }

    /// The split by grade as shown: `required 90% (9/10), recommended 50% (1/2)`.
    pub fn display_grades(&self) -> String {
        Grade::ALL
            .iter()
            .zip(self.by_grade)
            .filter(|(_, (_, counted))| *counted > 0)
            .map(|(g, (passed, counted))| {
                format!(
                    "{} {:.0}% ({passed}/{counted})",
                    g.label(),
                    percent(passed, counted).unwrap_or(0.0)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn percent(passed: usize, counted: usize) -> Option<f64> {
    (counted > 0).then(|| 100.0 * passed as f64 / counted as f64)
}

/// The compliance figures of one run over all its cases (the score every report shows, split
/// by grade).
pub fn score(report: &RunReport) -> Compliance {
    let mut c = Compliance::default();
    for case in &report.cases {
        c.add(case.status, case.grade);
    }
    c
}

/// One line for summaries: `score: 87% (13/15), 2 unsupported; required 90% (9/10), ...`.
pub fn score_line(report: &RunReport) -> String {
    let c = score(report);
    let grades = c.display_grades();
    if grades.is_empty() {
        format!("score: {}", c.display())
    } else {
        format!("score: {}; {grades}", c.display())
    }
}

/// The label of a server: its URL, or `embedded` with its quirks.
pub fn server_label(target: &TargetInfo) -> String {
    if target.embedded {
        if target.quirks.is_empty() {
            "embedded".to_string()
        } else {
            format!("embedded ({})", target.quirks.join(", "))
        }
    } else {
        target.url.clone()
    }
}

impl Matrix {
    /// Builds the matrix from one (merged) report per server.
    pub fn build(reports: &[RunReport]) -> Matrix {
        let servers: Vec<ServerColumn> = reports
            .iter()
            .map(|r| ServerColumn {
                label: server_label(&r.target),
                target: r.target.clone(),
                run_id: r.run_id.clone(),
            })
            .collect();
        let n = reports.len();
        let mut rows: BTreeMap<String, CaseRow> = BTreeMap::new();
        for (column, report) in reports.iter().enumerate() {
            for case in &report.cases {
                let row = rows.entry(case.id.clone()).or_insert_with(|| CaseRow {
                    id: case.id.clone(),
                    operation: case.operation.clone(),
                    family: case.family.clone(),
                    grade: case.grade,
                    cells: vec![None; n],
                });
                row.cells[column] = Some(case.status);
            }
        }
        let mut operations: BTreeMap<String, Vec<Compliance>> = BTreeMap::new();
        let mut families: BTreeMap<String, Vec<Compliance>> = BTreeMap::new();
        let mut total = vec![Compliance::default(); n];
        for row in rows.values() {
            for (column, cell) in row.cells.iter().enumerate() {
                let Some(status) = cell else { continue };
                for figures in [
                    operations
                        .entry(row.operation.clone())
                        .or_insert_with(|| vec![Compliance::default(); n]),
                    families
                        .entry(row.family.clone())
                        .or_insert_with(|| vec![Compliance::default(); n]),
                ] {
                    figures[column].add(*status, row.grade);
                }
                total[column].add(*status, row.grade);
            }
        }
        let rows_of = |map: BTreeMap<String, Vec<Compliance>>| {
            map.into_iter()
                .map(|(name, cells)| ComplianceRow { name, cells })
                .collect()
        };
        Matrix {
            servers,
            cases: rows.into_values().collect(),
            operations: rows_of(operations),
            families: rows_of(families),
            total,
        }
    }
}

/// The JSON form of the matrix.
pub fn write_json(matrix: &Matrix, mut out: impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, matrix).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#1f2328}\
table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #d0d7de;padding:.25em .6em;text-align:left}\
.status-pass{background:#dafbe1}.status-fail{background:#ffebe9}.status-error{background:#fbefff}\
.status-ignored{background:#f6f8fa}.status-unsupported{background:#ddf4ff}.status-expected-failure{background:#fff8c5}\
.status-unexpected-pass{background:#fff1e5}.status-none{color:#656d76}.grades{color:#656d76;font-size:12px}";

/// The HTML page: servers, compliance per family and per operation (split by grade), then every
/// case with its status on each server.
pub fn write_html(matrix: &Matrix, mut out: impl Write) -> io::Result<()> {
    let mut page = static_page_head(
        &format!("ews-conformance: {} servers", matrix.servers.len()),
        STYLE,
    );
    let _ = write!(
        page,
        "<h1>EWS conformance of {} servers</h1><table id=\"servers\"><tr><th>#</th><th>server</th><th>version</th><th>run</th></tr>",
        matrix.servers.len()
    );
    for (i, s) in matrix.servers.iter().enumerate() {
        let version = [
            s.target.server_version.as_deref(),
            s.target.server_build.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            html_text(&s.label),
            html_text(&version),
            html_text(&s.run_id)
        );
    }
    page.push_str("</table>");
    page.push_str(
        "<p>Compliance = passed / cases with a verdict; ignored and unsupported cases are not \
         counted (unsupported are shown apart). Split by grade: required (MUSTs of the \
         documentation) and recommended (Exchange's behaviour where it is silent).</p>",
    );
    compliance_table(&mut page, "families", "family", &matrix.families, matrix);
    compliance_table(
        &mut page,
        "operations",
        "operation",
        &matrix.operations,
        matrix,
    );
    page.push_str(
        "<h2>Cases</h2><table id=\"cases\"><tr><th>case</th><th>operation</th><th>grade</th>",
    );
    for s in &matrix.servers {
        let _ = write!(page, "<th>{}</th>", html_text(&s.label));
    }
    page.push_str("</tr>");
    for row in &matrix.cases {
        let _ = write!(
            page,
            "<tr data-case=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td>",
            html_text(&row.id),
            html_text(&row.id),
            html_text(&row.operation),
            row.grade.label()
        );
        for (i, cell) in row.cells.iter().enumerate() {
            let (class, text) = match cell {
                Some(s) => (s.label(), s.label()),
                None => ("none", "–"),
            };
            let _ = write!(
                page,
                "<td class=\"cell status-{class}\" data-server=\"{}\">{text}</td>",
                i + 1
            );
        }
        page.push_str("</tr>");
    }
    page.push_str("</table></body></html>\n");
    out.write_all(page.as_bytes())
}

fn compliance_table(
    page: &mut String,
    id: &str,
    heading: &str,
    rows: &[ComplianceRow],
    matrix: &Matrix,
) {
    let _ = write!(
        page,
        "<h2>Compliance per {heading}</h2><table id=\"{id}\"><tr><th>{heading}</th>"
    );
    for s in &matrix.servers {
        let _ = write!(page, "<th>{}</th>", html_text(&s.label));
    }
    page.push_str("</tr>");
    let total = ComplianceRow {
        name: "all cases".to_string(),
        cells: matrix.total.clone(),
    };
    for row in rows.iter().chain(std::iter::once(&total)) {
        let _ = write!(
            page,
            "<tr data-row=\"{}\"><td>{}</td>",
            html_text(&row.name),
            html_text(&row.name)
        );
        for (i, c) in row.cells.iter().enumerate() {
            let _ = write!(
                page,
                "<td class=\"compliance\" data-server=\"{}\" data-passed=\"{}\" data-counted=\"{}\" data-unsupported=\"{}\">{}<div class=\"grades\">{}</div></td>",
                i + 1,
                c.passed,
                c.counted,
                c.unsupported,
                html_text(&c.display()),
                html_text(&c.display_grades())
            );
        }
        page.push_str("</tr>");
    }
    page.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compliance_counts_unsupported_and_ignored_apart_and_splits_by_grade() {
        let mut c = Compliance::default();
        for (status, grade) in [
            (CaseStatus::Pass, Grade::Required),
            (CaseStatus::Fail, Grade::Required),
            (CaseStatus::ExpectedFailure, Grade::Recommended),
            (CaseStatus::UnexpectedPass, Grade::Recommended),
            (CaseStatus::Unsupported, Grade::Required),
            (CaseStatus::Ignored, Grade::Required),
            (CaseStatus::Error, Grade::Required),
        ] {
            c.add(status, grade);
        }
        assert_eq!(
            (c.passed, c.counted, c.unsupported, c.ignored),
            (2, 5, 1, 1)
        );
        assert_eq!(c.by_grade, [(1, 3), (1, 2)]);
        assert_eq!(c.display(), "40% (2/5), 1 unsupported");
        assert_eq!(
            c.display_grades(),
            "required 33% (1/3), recommended 50% (1/2)"
        );
        assert_eq!(Compliance::default().display(), "–");
    }
}

#[cfg(test)]
mod hostile_tests {
    use super::*;
    use crate::report::model::{CaseResult, REPORT_SCHEMA_VERSION};

    #[test]
    fn the_matrix_page_escapes_everything_from_the_reports() {
        let hostile = "<script>alert(1)</script>\u{1b}";
        let case = CaseResult {
            id: hostile.into(),
            file: String::new(),
            title: String::new(),
            operation: hostile.into(),
            operations: Vec::new(),
            family: hostile.into(),
            tags: Vec::new(),
            spec: None,
            status: CaseStatus::Fail,
            reason: None,
            raw_status: None,
            duration_ms: 0,
            unsupported: None,
            grade: Grade::Required,
            steps: Vec::new(),
        };
        let report = RunReport {
            schema_version: REPORT_SCHEMA_VERSION,
            harness_version: String::new(),
            run_id: hostile.into(),
            target: TargetInfo {
                url: hostile.into(),
                ..TargetInfo::default()
            },
            started_at: String::new(),
            duration_ms: 0,
            partition: None,
            interrupted: false,
            cases: vec![case],
        };
        let matrix = Matrix::build(&[report.clone(), report]);
        let mut out = Vec::new();
        write_html(&matrix, &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(!page.contains("<script") && !page.contains('\u{1b}'));
        assert_eq!(
            page.matches("status-fail").count(),
            2 + 1,
            "two cells and the style"
        );
    }
}
