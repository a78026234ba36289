//! The one result model of a run. The runner fills it; every report writer (terminal, JUnit,
//! JSON, HTML) and `merge` consume it. It is serialized as the JSON report, so its field names
//! are part of the documented, versioned JSON schema: add fields, never rename them.

use serde::{Deserialize, Serialize};

use super::text::first_line;

/// Version of the JSON report schema written in [`RunReport::schema_version`].
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Everything one run (or one shard of a run) produced.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    /// [`REPORT_SCHEMA_VERSION`] at the time of writing.
    pub schema_version: u32,
    /// Version of the harness that wrote the report.
    pub harness_version: String,
    /// Unique id of the run; created objects carry it in their names.
    pub run_id: String,
    /// What was tested.
    pub target: TargetInfo,
    /// Start time, RFC 3339 UTC.
    pub started_at: String,
    /// Wall time of the whole run in milliseconds.
    pub duration_ms: u64,
    /// `hash:K/N` when this is one shard of a partitioned run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// True when the run was interrupted (Ctrl-C, whole-run timeout): the selected cases that
    /// did not start are listed as ignored with a `not run: ...` reason.
    #[serde(default)]
    pub interrupted: bool,
    /// One entry per case that was selected, sorted by id.
    pub cases: Vec<CaseResult>,
}

/// The server under test.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TargetInfo {
    /// Endpoint URL with any user-info removed.
    pub url: String,
    /// True when the run used the embedded reference server.
    pub embedded: bool,
    /// Quirks of the embedded reference server, if any were switched on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quirks: Vec<String>,
    /// `Version` attribute of the first `ServerVersionInfo` header seen, e.g. `Exchange2013`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// Build of the server as `Major.Minor.MajorBuild.MinorBuild`, from the same header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_build: Option<String>,
}

/// Verdict on one case.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum CaseStatus {
    /// Every step behaved as expected.
    Pass,
    /// The server did not conform: at least one mismatch.
    Fail,
    /// The case could not be tested: load error, transport error, broken response, harness bug.
    Error,
    /// Not run (minimum server version above the target's, or `--ignored` not given).
    Ignored,
    /// The target does not implement an operation the case needs: it refused it as not
    /// implemented, or the target profile's `operations:` does not list it (then nothing was
    /// sent). Apart from pass, fail and error; does not fail the run unless
    /// `--fail-on-unsupported`.
    Unsupported,
    /// Failed or errored, but listed in the baseline: does not fail the run.
    ExpectedFailure,
    /// Listed in the baseline but passed: the baseline is stale.
    UnexpectedPass,
}

impl CaseStatus {
    /// Every status, in report order (the order of counts, columns and tables).
    pub const ALL: [CaseStatus; 7] = [
        CaseStatus::Pass,
        CaseStatus::Fail,
        CaseStatus::Error,
        CaseStatus::Ignored,
        CaseStatus::Unsupported,
        CaseStatus::ExpectedFailure,
        CaseStatus::UnexpectedPass,
    ];

    /// Lower-case label used in terminal output and reports.
    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::Pass => "pass",
            CaseStatus::Fail => "fail",
            CaseStatus::Error => "error",
            CaseStatus::Ignored => "ignored",
            CaseStatus::Unsupported => "unsupported",
            CaseStatus::ExpectedFailure => "expected-failure",
            CaseStatus::UnexpectedPass => "unexpected-pass",
        }
    }
}

/// Result of one case.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseResult {
    /// Stable id derived from the case path, e.g. `im/remove_contact_from_group`.
    pub id: String,
    /// Case file relative to the cases root, with `/` separators.
    pub file: String,
    /// Human title from the case.
    pub title: String,
    /// Main EWS operation exercised (first of the case's operations).
    pub operation: String,
    /// All EWS operations the case exercises.
    #[serde(default)]
    pub operations: Vec<String>,
    /// Operation family = the case's folder (`im`), used as JUnit classname.
    pub family: String,
    /// Tags from the case.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Spec reference from the case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    pub status: CaseStatus,
    /// Why the case is ignored, errored or expected to fail (baseline reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Status before the baseline was applied (only set when the baseline changed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_status: Option<CaseStatus>,
    pub duration_ms: u64,
    /// For an `unsupported` case: the operation the target does not implement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
    /// What kind of requirement the case checks (`required` unless the case says otherwise).
    #[serde(default, skip_serializing_if = "Grade::is_required")]
    pub grade: Grade,
    /// Main steps then cleanup steps, in the order they ran.
    #[serde(default)]
    pub steps: Vec<StepResult>,
}

/// What kind of requirement a case checks.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    /// A MUST of the documentation or the schema (the default).
    #[default]
    Required,
    /// Exchange's behaviour where the documentation is silent.
    Recommended,
}

impl Grade {
    /// Both grades, in report order.
    pub const ALL: [Grade; 2] = [Grade::Required, Grade::Recommended];

    /// Lower-case label used in case files and reports.
    pub fn label(self) -> &'static str {
        match self {
            Grade::Required => "required",
            Grade::Recommended => "recommended",
        }
    }

    /// True for [`Grade::Required`] (the JSON report leaves the default out).
    pub fn is_required(&self) -> bool {
        *self == Grade::Required
    }
}

/// Whether a step belongs to the case body or to its cleanup.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StepPhase {
    Main,
    Cleanup,
}

/// Outcome of one step.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Pass,
    Fail,
    Error,
    /// Not run: an earlier step failed, or a capture it needs is missing.
    Skipped,
}

/// Result of one step (one request/response exchange).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepResult {
    pub name: String,
    pub phase: StepPhase,
    pub status: StepStatus,
    /// `file:line:col` of the step in its case file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub duration_ms: u64,
    /// The request as sent (secrets redacted, size-capped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Exchange>,
    /// The response as received (secrets redacted, size-capped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Exchange>,
    /// Every difference found, in document order.
    #[serde(default)]
    pub mismatches: Vec<MismatchRecord>,
    /// Unified diff of canonical expected vs actual (plain text, no color codes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Why the step errored or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Throttling the transport waited through ("throttled N times, waited T").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttling: Option<String>,
    /// Who sent the step, polling attempts, stream documents (absent for a plain step).
    #[serde(default, flatten)]
    pub detail: StepDetail,
}

/// What a step did besides one request and one response: another user or session, polling,
/// streamed documents. Its fields sit beside the step's other fields in the JSON report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct StepDetail {
    /// The user and session that sent the step when it is not the target's user in its default
    /// session: `bob`, `bob/second`, `/second` (the target's user, session `second`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Requests a polling step (`retry:`) sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// How polling or waiting ended: `matched at attempt 3 of a 10s bound (every 200ms) after
    /// 412 ms`, `no match within 10s: 50 attempts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited: Option<String>,
    /// The stream documents this step read, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stream_documents: Vec<StreamDocument>,
}

/// One XML document read from a streamed response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct StreamDocument {
    /// The stream's name in the case (`stream: NAME`).
    pub stream: String,
    /// 1-based position in the stream.
    pub index: u32,
    /// When it arrived, in milliseconds since the stream was opened.
    pub at_ms: u64,
    /// Whether it is the document the step waited for.
    #[serde(default)]
    pub matched: bool,
    /// The document (secrets redacted, size-capped).
    pub body: String,
}

/// One HTTP message, for reports.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Exchange {
    /// HTTP status for responses; absent for requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Headers, secrets redacted.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Body as text (lossy UTF-8), capped; `truncated` tells whether it was cut.
    pub body: String,
    #[serde(default)]
    pub truncated: bool,
}

/// [`MismatchRecord::kind`] of a violation of the EWS schema in a response (both paths are the
/// offending element's path in the response; no expected/actual value, no location).
pub const SCHEMA_MISMATCH_KIND: &str = "schema";

/// One difference between expected and actual XML, as reported.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MismatchRecord {
    /// Short machine-readable kind, e.g. `text`, `missing-element`, `unexpected-element`, or
    /// [`SCHEMA_MISMATCH_KIND`] for a schema violation.
    pub kind: String,
    /// Path in the expectation, e.g. `/Envelope/Body/AddImGroupResponse/ResponseCode`.
    pub expected_path: String,
    /// Path in the actual response.
    pub actual_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// `file:line:col` of the expectation in the case file (or sidecar).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// One-line human explanation.
    pub message: String,
}

impl StepStatus {
    /// Lower-case label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Pass => "pass",
            StepStatus::Fail => "fail",
            StepStatus::Error => "error",
            StepStatus::Skipped => "skipped",
        }
    }
}

impl StepPhase {
    /// Lower-case label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            StepPhase::Main => "main",
            StepPhase::Cleanup => "cleanup",
        }
    }
}

impl CaseResult {
    /// The operations the case exercises: `operations`, or `[operation]` when that list is empty.
    pub fn exercised_operations(&self) -> Vec<&str> {
        if self.operations.is_empty() {
            vec![self.operation.as_str()]
        } else {
            self.operations.iter().map(String::as_str).collect()
        }
    }

    /// The first mismatch of the case, with the step it belongs to.
    pub fn first_mismatch(&self) -> Option<(&StepResult, &MismatchRecord)> {
        self.steps
            .iter()
            .find_map(|step| step.mismatches.first().map(|m| (step, m)))
    }

    /// Total number of mismatches over all steps.
    pub fn mismatch_count(&self) -> usize {
        self.steps.iter().map(|s| s.mismatches.len()).sum()
    }

    /// One line saying what went wrong, for summaries and baselines: the first mismatch
    /// (`path: message`), else the first step error, else the case's reason. `None` when there
    /// is nothing to say (a passing case).
    pub fn problem_summary(&self) -> Option<String> {
        if let Some((_, mismatch)) = self.first_mismatch() {
            let path = if mismatch.actual_path.is_empty() {
                &mismatch.expected_path
            } else {
                &mismatch.actual_path
            };
            let message = first_line(&mismatch.message);
            return Some(if path.is_empty() {
                message.to_owned()
            } else {
                format!("{path}: {message}")
            });
        }
        if let Some(step) = self.steps.iter().find(|s| s.error.is_some()) {
            let error = step.error.as_deref().map(first_line).unwrap_or_default();
            return Some(format!("step `{}`: {error}", step.name));
        }
        if let Some(reason) = &self.reason {
            return Some(first_line(reason).to_owned());
        }
        self.steps
            .iter()
            .find(|s| matches!(s.status, StepStatus::Fail | StepStatus::Error))
            .map(|s| format!("step `{}` {}", s.name, s.status.label()))
    }
}

impl RunReport {
    /// Number of cases with each status, in status order.
    pub fn counts(&self) -> std::collections::BTreeMap<CaseStatus, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for case in &self.cases {
            *counts.entry(case.status).or_insert(0) += 1;
        }
        counts
    }

    /// Number of cases with `status`.
    pub fn count(&self, status: CaseStatus) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }

    /// True when the run should exit 0: no failure, error or unexpected pass
    /// (unexpected passes count only when `strict_baseline` is set). Unsupported cases do not
    /// count (the CLI's `--fail-on-unsupported` makes them count).
    pub fn is_success(&self, strict_baseline: bool) -> bool {
        !self.interrupted
            && self.cases.iter().all(|c| match c.status {
                CaseStatus::Pass
                | CaseStatus::Ignored
                | CaseStatus::Unsupported
                | CaseStatus::ExpectedFailure => true,
                CaseStatus::UnexpectedPass => !strict_baseline,
                CaseStatus::Fail | CaseStatus::Error => false,
            })
    }
}
