//! The runner: cases → libtest-mimic trials; executes steps with captures and cleanup; collects
//! one [`CaseResult`] per case (libtest-mimic itself only returns counts) into the run's
//! [`RunReport`].
//!
//! Data flow: [`crate::case`] gives typed cases → [`run`] builds a trial per case (one per case
//! file that failed to load, listing all its errors) → a trial runs its steps through
//! [`step::run_step`] (request → [`crate::transport`] → [`headers`] and [`crate::xml`] checks)
//! → results land in a shared list → after libtest-mimic returns, the report is assembled, the
//! baseline applied and reports written.
//!
//! Who sends a step (`as:`, `session:`), polling (`retry:`) and streams (`stream:`,
//! `expect_stream:`) are [`session`] and [`stream`]: every step goes through [`session::run`].
//!
//! The verdict is never greener than the truth: every step runs inside [`guard::catch`] (a
//! panic becomes an `error` step with its message and location, and cleanups still run), every
//! selected case ends with exactly one result (a case that reported nothing becomes an `error`),
//! and [`RunOutcome::exit_code`] takes the worse of the results and libtest's failed count.

pub mod guard;
pub mod headers;
pub mod message;
pub mod partition;
pub mod session;
pub mod step;
pub mod stream;
pub mod unsupported;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::case::{self, Case, LoadError, ServerVersion};
use crate::report::{
    self, Baseline, CaseResult, CaseStatus, RunReport, StepPhase, StepResult, StepStatus,
    TargetInfo,
};
use crate::target::{Target, vars};
use crate::transport::redact::{Redactor, redact_headers};
use crate::transport::{Transport, TransportError};
use crate::xml::Document;

pub use partition::Partition;

/// Everything one run needs.
pub struct RunConfig {
    pub cases_dir: PathBuf,
    /// Where reports are written; `None` = no report files.
    pub reports_dir: Option<PathBuf>,
    pub target: Target,
    /// What the report says about the target (embedded or not, quirks).
    pub target_info: TargetInfo,
    pub baseline: Option<Baseline>,
    /// Unexpected passes fail the run.
    pub strict_baseline: bool,
    pub partition: Option<Partition>,
    pub libtest: Arguments,
    pub color: bool,
    pub run_id: String,
    /// Whole-run timeout: cases not started by then are not run and the report says interrupted.
    pub run_timeout: Option<Duration>,
    /// Set by a Ctrl-C handler: cases not yet started are not run.
    pub interrupt: Arc<AtomicBool>,
    /// Run the trials in an order shuffled by this seed (order-independence checks).
    pub shuffle_seed: Option<u64>,
    /// How the harness was invoked, up to the case selection (`cargo run --release --
    /// --cases x --endpoint URL`): the rerun hint under a failing case appends `--exact ID`.
    /// Empty = `cargo run --release --`.
    pub rerun_command: String,
    /// Recording (`--bless`) and the accept command of mismatch messages.
    pub record: crate::record::RecordConfig,
}

/// How progress is shown: libtest-mimic's per-case lines in its default format; with `-q` or
/// `--format terse` (dots only) a progress bar on a terminal, plain `[n/N] status id` lines on
/// stderr otherwise.
fn progress_for(args: &Arguments, total: usize) -> Option<report::terminal::Progress> {
    use std::io::IsTerminal;
    let terse = args.quiet || matches!(args.format, Some(libtest_mimic::FormatSetting::Terse));
    (terse && !args.list)
        .then(|| report::terminal::Progress::new(total, std::io::stderr().is_terminal()))
}

/// What a run produced.
pub struct RunOutcome {
    pub report: RunReport,
    /// Report files written.
    pub written: Vec<PathBuf>,
    /// Case files that failed to load.
    pub load_errors: Vec<LoadError>,
    /// True when `--list` only listed trials.
    pub listed_only: bool,
    /// How many trials libtest counted as failed (a second witness beside the results).
    pub libtest_failed: u64,
}

impl RunOutcome {
    /// The process exit code: 0 all passed (expected failures allowed), 1 failures or
    /// regressions or an interrupted run, 2 case-load errors. The verdict is the worse of the
    /// collected results and libtest's own count: a trial libtest saw fail never exits 0.
    pub fn exit_code(&self, strict_baseline: bool) -> u8 {
        if self.listed_only {
            0
        } else if !self.load_errors.is_empty() {
            2
        } else if self.report.is_success(strict_baseline) && self.libtest_failed == 0 {
            0
        } else {
            1
        }
    }
}

/// Why a run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Transport(#[from] TransportError),
    #[error("cases folder `{0}` does not exist")]
    NoCasesDir(PathBuf),
    #[error("could not write reports to `{dir}`: {source}")]
    Reports {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// What ends a bounded wait (polling, streams) early: Ctrl-C and the whole-run deadline.
#[derive(Debug, Clone, Copy, Default)]
pub struct WaitLimit<'a> {
    pub interrupt: Option<&'a AtomicBool>,
    pub deadline: Option<Instant>,
}

impl WaitLimit<'_> {
    /// `until`, or the run's deadline when that comes first.
    pub fn bound(&self, until: Instant) -> Instant {
        self.deadline.map_or(until, |d| d.min(until))
    }

    /// Why waiting must stop now, if it must.
    pub fn stopped(&self) -> Option<&'static str> {
        if self.interrupt.is_some_and(|i| i.load(Ordering::SeqCst)) {
            Some("the run was interrupted (Ctrl-C)")
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some("the run hit its time limit (--run-timeout)")
        } else {
            None
        }
    }
}

/// Per-case view of the run shared by all trials.
#[derive(Clone)]
pub struct CaseContext<'a> {
    pub transport: &'a Transport,
    /// The id of the case being run (for the trace header).
    pub case_id: &'a str,
    /// The trace header's name; `None` = not sent.
    pub trace_header: Option<&'a str>,
    /// Keep running the case's steps after one fails (an error still stops it): `compare`
    /// runs every step on both servers whatever their expectations say.
    pub continue_after_failure: bool,
    pub default_server_version: String,
    pub redactor: &'a Redactor,
    pub server_seen: &'a Mutex<Option<(Option<String>, Option<String>)>>,
    /// Validate responses against the EWS schema (false under `--no-schema`).
    pub validate_schema: bool,
    /// When recording: where each case's responses go (see [`crate::record`]).
    pub recorded: Option<&'a Mutex<Vec<crate::record::RecordedCase>>>,
    /// The target (its users, for steps with `as:` / `session:`).
    pub target: &'a Target,
    /// What ends polling and stream waits early.
    pub wait: WaitLimit<'a>,
}

impl CaseContext<'_> {
    /// The trace header for a step (`label` as from [`trace_label`]), when one is configured.
    pub fn trace(&self, label: &str) -> Option<(String, String)> {
        self.trace_header
            .map(|name| (name.to_string(), format!("{}#{label}", self.case_id)))
    }

    /// Replaces every secret in `text` by `***`.
    pub fn scrub(&self, text: &str) -> String {
        self.redactor.scrub(text)
    }

    /// Body text for reports: lossy UTF-8, capped, secrets removed.
    pub fn capped(&self, body: &[u8]) -> String {
        let mut end = body.len().min(step::REPORT_BODY_CAP);
        // Never cut a UTF-8 character in two: back up to the start of the one at the cap
        // (continuation bytes are 0b10xx_xxxx; at most three to skip).
        let mut backed = 0;
        while end < body.len() && end > 0 && backed < 3 && body[end] & 0xc0 == 0x80 {
            end -= 1;
            backed += 1;
        }
        self.scrub(&String::from_utf8_lossy(&body[..end]))
    }

    /// Headers for reports: credentials masked, secrets removed from the rest.
    pub fn redact_headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        redact_headers(headers)
            .into_iter()
            .map(|(k, v)| (k, self.scrub(&v)))
            .collect()
    }

    /// Remembers the first ServerVersionInfo seen.
    pub fn note_server_version(&self, doc: &Document) {
        if let Ok(mut seen) = self.server_seen.lock() {
            if seen.is_none() {
                *seen = crate::soap::server_version_info(doc);
            }
        }
    }
}

/// A new run id: `r` + 10 lowercase hex digits from the clock and process id.
pub fn new_run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seed = format!("{nanos}-{}", std::process::id());
    format!(
        "r{:010x}",
        partition::fnv1a64(seed.as_bytes()) & 0xff_ffff_ffff
    )
}

/// Runs one case to completion (main steps, then step cleanups in reverse, then case cleanup).
pub fn run_case(
    ctx: &CaseContext<'_>,
    case: &Case,
    variables: &BTreeMap<String, String>,
) -> CaseResult {
    let started = Instant::now();
    if let Some(user) = session::missing_user(case, ctx.target) {
        // A configuration gap: nothing is sent, the case says how to fix it.
        return not_run(
            case,
            CaseStatus::Ignored,
            session::unknown_user_reason(&user),
        );
    }
    let mut sessions = session::CaseSessions::new(ctx.target);
    let mut vars = variables.clone();
    let mut steps: Vec<StepResult> = Vec::new();
    let mut cleanups: Vec<(String, &case::Step)> = Vec::new();
    let mut stopped = false;
    let mut unconfigured = None;
    // The first step that did not pass, when the target refused it as not implemented.
    let mut first_problem: Option<Option<(String, String)>> = None;
    let mut note_problem = |run: &step::StepRun, step: &case::Step| {
        if first_problem.is_none()
            && matches!(run.result.status, StepStatus::Fail | StepStatus::Error)
        {
            first_problem = Some(
                run.refused
                    .clone()
                    .map(|why| (unsupported::operation_of(step, case), why)),
            );
        }
    };
    let mut recorded = Vec::new();
    for (index, step) in case.steps.iter().enumerate() {
        let label = trace_label(index, None);
        if stopped {
            steps.push(skipped(
                step,
                StepPhase::Main,
                "not run: an earlier step did not pass",
            ));
            continue;
        }
        let before = ctx.recorded.map(|_| vars.clone());
        let run = guarded_step(ctx, step, StepPhase::Main, &label, &mut vars, &mut sessions);
        note_problem(&run, step);
        if let Some(before) = before {
            recorded.push(crate::record::RecordedStep {
                index,
                before,
                result: run.result.clone(),
            });
        }
        if run.sent {
            cleanups.extend(
                step.cleanup
                    .iter()
                    .enumerate()
                    .map(|(k, c)| (trace_label(index, Some(k)), c)),
            );
        }
        stopped = match run.result.status {
            StepStatus::Pass => false,
            StepStatus::Fail => !ctx.continue_after_failure,
            StepStatus::Error | StepStatus::Skipped => true,
        };
        unconfigured = unconfigured.or(run.unconfigured);
        steps.push(run.result);
    }
    let case_cleanups = case
        .cleanup
        .iter()
        .enumerate()
        .map(|(k, c)| (format!("cleanup{}", k + 1), c));
    for (label, step) in cleanups.into_iter().rev().chain(case_cleanups) {
        let run = guarded_step(
            ctx,
            step,
            StepPhase::Cleanup,
            &label,
            &mut vars,
            &mut sessions,
        );
        note_problem(&run, step);
        steps.push(run.result);
    }
    if let Some(sink) = ctx.recorded {
        sink.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(crate::record::RecordedCase {
                case: case.clone(),
                steps: recorded,
            });
    }
    let mut status = case_status(&steps);
    let mut reason = steps
        .iter()
        .find(|s| s.status == StepStatus::Error)
        .and_then(|s| s.error.clone());
    if let (CaseStatus::Pass, Some(name)) = (status, &unconfigured) {
        // Nothing failed, but the case could not run to its end on this target.
        status = CaseStatus::Ignored;
        reason = Some(step::unconfigured_reason(name));
    }
    let mut unsupported_op = None;
    if let (CaseStatus::Fail | CaseStatus::Error, Some(Some((operation, why)))) =
        (status, first_problem)
    {
        status = CaseStatus::Unsupported;
        reason = Some(unsupported::reason(&operation, &why));
        unsupported_op = Some(operation);
    }
    CaseResult {
        status,
        reason,
        unsupported: unsupported_op,
        duration_ms: started.elapsed().as_millis() as u64,
        steps,
        ..not_run(case, status, String::new())
    }
}

/// How the trace header names a step inside its case: `3` for the third step, `3/cleanup1` for
/// the first cleanup of the third step (case-level cleanups are `cleanup1`, ...). 1-based.
pub fn trace_label(step_index: usize, cleanup_index: Option<usize>) -> String {
    match cleanup_index {
        None => format!("{}", step_index + 1),
        Some(k) => format!("{}/cleanup{}", step_index + 1, k + 1),
    }
}

/// Runs one step; a panic inside it (a harness bug) becomes an `error` step result carrying the
/// panic's message and location. The request may have been sent before the panic, so the step's
/// cleanups are registered as if it was.
fn guarded_step(
    ctx: &CaseContext<'_>,
    step: &case::Step,
    phase: StepPhase,
    label: &str,
    vars: &mut BTreeMap<String, String>,
    sessions: &mut session::CaseSessions<'_>,
) -> step::StepRun {
    let started = Instant::now();
    guard::catch(|| {
        guard::maybe_inject(&step.name);
        session::run(ctx, step, phase, label, vars, sessions)
    })
    .unwrap_or_else(|panicked| step::StepRun {
        result: StepResult {
            status: StepStatus::Error,
            error: Some(ctx.scrub(&panicked.to_string())),
            duration_ms: started.elapsed().as_millis() as u64,
            ..step::blank_result(step, phase)
        },
        sent: true,
        unconfigured: None,
        refused: None,
    })
}

/// A case errors when any step errored, fails when any step failed, passes otherwise.
fn case_status(steps: &[StepResult]) -> CaseStatus {
    if steps.iter().any(|s| s.status == StepStatus::Error) {
        CaseStatus::Error
    } else if steps.iter().any(|s| s.status == StepStatus::Fail) {
        CaseStatus::Fail
    } else {
        CaseStatus::Pass
    }
}

fn skipped(step: &case::Step, phase: StepPhase, why: &str) -> StepResult {
    StepResult {
        status: StepStatus::Skipped,
        error: Some(why.to_string()),
        ..step::blank_result(step, phase)
    }
}

/// A result for `case` with no steps run (an ignored case; the base of every case result).
fn not_run(case: &Case, status: CaseStatus, reason: String) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        file: case.file.to_string_lossy().replace('\\', "/"),
        title: case.title.clone(),
        operation: case.operations.first().cloned().unwrap_or_default(),
        operations: case.operations.clone(),
        family: case.family().to_string(),
        tags: case.tags.clone(),
        spec: case.spec.clone(),
        status,
        reason: Some(reason),
        raw_status: None,
        duration_ms: 0,
        unsupported: None,
        grade: case.grade,
        steps: Vec::new(),
    }
}

/// The result of a case file that failed to load: an error, with the diagnostic as reason.
fn load_error_result(error: &LoadError, message: String) -> CaseResult {
    let id = &error.case_id;
    CaseResult {
        id: id.clone(),
        file: error.pos.file.to_string_lossy().replace('\\', "/"),
        title: "case file failed to load".to_string(),
        operation: String::new(),
        operations: Vec::new(),
        family: id.split('/').next().unwrap_or(id).to_string(),
        tags: Vec::new(),
        spec: None,
        status: CaseStatus::Error,
        reason: Some(message),
        raw_status: None,
        duration_ms: 0,
        unsupported: None,
        grade: Default::default(),
        steps: Vec::new(),
    }
}

/// Why a case that was selected did not start.
const NOT_RUN_INTERRUPTED: &str = "not run: the run was interrupted or hit its time limit";

/// The result of a selected case that reported nothing: a harness bug, an error.
fn missing_result(id: &str) -> CaseResult {
    CaseResult {
        id: id.to_string(),
        file: String::new(),
        title: String::new(),
        operation: String::new(),
        operations: Vec::new(),
        family: id.split('/').next().unwrap_or(id).to_string(),
        tags: Vec::new(),
        spec: None,
        status: CaseStatus::Error,
        reason: Some(
            "harness bug: the case was selected but produced no result (see the run's output)"
                .to_string(),
        ),
        raw_status: None,
        duration_ms: 0,
        unsupported: None,
        grade: Default::default(),
        steps: Vec::new(),
    }
}

/// Gives every selected case without a result an `error` result saying so (`stopped`: why the
/// test runner stopped early, when it did).
fn add_missing_results(
    cases: &mut Vec<CaseResult>,
    selected: &BTreeSet<String>,
    stopped: Option<&str>,
) {
    let reported: BTreeSet<String> = cases.iter().map(|c| c.id.clone()).collect();
    cases.extend(
        selected
            .iter()
            .filter(|id| !reported.contains(*id))
            .map(|id| {
                let mut result = missing_result(id);
                if let Some(why) = stopped {
                    result.reason = Some(format!("not run: the test runner stopped: {why}"));
                }
                result
            }),
    );
}

/// State every trial of one run shares.
struct Shared {
    transport: Transport,
    target: Target,
    redactor: Redactor,
    /// The first ServerVersionInfo seen (Version, build).
    server_seen: Mutex<Option<(Option<String>, Option<String>)>>,
    /// One result per case that ran (or was ignored at run time).
    results: Mutex<Vec<CaseResult>>,
    /// Target variables plus `run_id`.
    variables: BTreeMap<String, String>,
    /// Case ids listed in the baseline.
    baseline_ids: BTreeSet<String>,
    /// The strictest grade the baseline accepts (see [`Baseline::grade`]).
    baseline_grade: Option<case::Grade>,
    default_server_version: String,
    trace_header: Option<String>,
    rerun_command: String,
    validate_schema: bool,
    color: bool,
    strict_baseline: bool,
    /// Ctrl-C was pressed (set by the CLI's handler).
    interrupt: Arc<AtomicBool>,
    /// A case was not started because of Ctrl-C or the whole-run timeout.
    interrupted: AtomicBool,
    deadline: Option<Instant>,
    /// The profile's `operations:` (what the target implements); `None` = all.
    operations: Option<BTreeSet<String>>,
    /// Operations already announced as not implemented (said once per operation).
    announced: Mutex<BTreeSet<String>>,
    progress: OnceLock<report::terminal::Progress>,
    record: crate::record::RecordConfig,
    recorded: Mutex<Vec<crate::record::RecordedCase>>,
}

impl Shared {
    /// Says once per operation, on stderr, that the target does not implement it.
    fn announce_unsupported(&self, result: &CaseResult) {
        let Some(operation) = &result.unsupported else {
            return;
        };
        let mut announced = self.announced.lock().unwrap_or_else(|e| e.into_inner());
        if announced.insert(operation.clone()) {
            eprintln!(
                "note: {}; its cases are reported as unsupported",
                result
                    .reason
                    .as_deref()
                    .unwrap_or(operation)
                    .trim_start_matches("unsupported: ")
            );
        }
    }

    fn push(&self, result: CaseResult) {
        if let Some(progress) = self.progress.get() {
            progress.case_finished(&result);
        }
        self.results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(result);
    }
}

/// Runs one case as a libtest-mimic trial: the version gate, the interrupt check, the case, the
/// verdict libtest shows (baseline cases that fail show as ignored "expected failure").
fn run_trial(
    shared: &Shared,
    case: &Case,
    version_gate: Option<String>,
) -> Result<Completion, Failed> {
    if let Some(reason) = version_gate {
        shared.push(not_run(case, CaseStatus::Ignored, reason.clone()));
        return Ok(Completion::ignored_with(reason));
    }
    if shared.interrupt.load(Ordering::SeqCst)
        || shared.deadline.is_some_and(|d| Instant::now() >= d)
    {
        shared.interrupted.store(true, Ordering::SeqCst);
        shared.push(not_run(
            case,
            CaseStatus::Ignored,
            NOT_RUN_INTERRUPTED.to_string(),
        ));
        return Ok(Completion::ignored_with(NOT_RUN_INTERRUPTED));
    }
    if let Some(implemented) = &shared.operations {
        if let Some(missing) = unsupported::needed_operations(case)
            .into_iter()
            .find(|op| !implemented.contains(op))
        {
            let reason = unsupported::reason(
                &missing,
                "the target profile's `operations:` does not list it; nothing was sent",
            );
            let result = CaseResult {
                unsupported: Some(missing),
                ..not_run(case, CaseStatus::Unsupported, reason.clone())
            };
            shared.announce_unsupported(&result);
            shared.push(result);
            return Ok(Completion::ignored_with(reason));
        }
    }
    let ctx = CaseContext {
        transport: &shared.transport,
        case_id: &case.id,
        trace_header: shared.trace_header.as_deref(),
        continue_after_failure: false,
        default_server_version: shared.default_server_version.clone(),
        redactor: &shared.redactor,
        server_seen: &shared.server_seen,
        validate_schema: shared.validate_schema,
        recorded: shared.record.records().then_some(&shared.recorded),
        target: &shared.target,
        wait: WaitLimit {
            interrupt: Some(&shared.interrupt),
            deadline: shared.deadline,
        },
    };
    // Steps are guarded one by one (so cleanups run); this catches what lies between them.
    let result =
        guard::catch(|| run_case(&ctx, case, &shared.variables)).unwrap_or_else(|p| CaseResult {
            reason: Some(shared.redactor.scrub(&p.to_string())),
            ..not_run(case, CaseStatus::Error, String::new())
        });
    shared.announce_unsupported(&result);
    let listed = shared.baseline_ids.contains(&case.id)
        && shared
            .baseline_grade
            .is_none_or(|strictest| case.grade >= strictest);
    let outcome = match (result.status, listed) {
        (CaseStatus::Ignored | CaseStatus::Unsupported, _) => Ok(Completion::ignored_with(
            result
                .reason
                .clone()
                .unwrap_or_else(|| "not run".to_string()),
        )),
        (CaseStatus::Pass, true) if shared.strict_baseline => Err(Failed::from(
            "unexpected pass: the case is listed in the baseline but passed",
        )),
        (CaseStatus::Pass, _) => Ok(Completion::Completed),
        (_, true) => Ok(Completion::ignored_with(
            "expected failure (listed in the baseline)",
        )),
        (_, false) => Err(Failed::from({
            let mut text = guard::catch(|| {
                message::failure(case, &result, &shared.rerun_command, shared.color)
            })
            .unwrap_or_else(|p| format!("{}\n{p}", result.status.label()));
            if result.status == CaseStatus::Fail {
                // The last line: the command that records the new output for review.
                text.push_str(&format!(
                    "\n  accept the new output: {}",
                    shared.record.accept_command(case)
                ));
            }
            text
        })),
    };
    shared.push(result);
    outcome
}

/// Loads the cases, runs the selected ones as libtest-mimic trials, assembles the report,
/// applies the baseline and writes the report files.
pub fn run(config: RunConfig) -> Result<RunOutcome, RunError> {
    if !config.cases_dir.is_dir() {
        return Err(RunError::NoCasesDir(config.cases_dir.clone()));
    }
    let started_at = now_rfc3339();
    let started = Instant::now();
    let mut known: BTreeSet<String> = config.target.known_variables();
    known.insert(vars::RUN_ID.to_string());
    let loaded = case::load_dir(&config.cases_dir, &known);
    let target_version = config
        .target
        .server_version
        .as_deref()
        .and_then(ServerVersion::parse);

    let mut variables = config.target.variables.clone();
    variables.insert(vars::RUN_ID.to_string(), config.run_id.clone());
    let shared = Arc::new(Shared {
        transport: Transport::new(&config.target)?,
        target: config.target.clone(),
        redactor: Redactor::for_target(&config.target),
        server_seen: Mutex::new(None),
        results: Mutex::new(Vec::new()),
        variables,
        baseline_ids: config
            .baseline
            .as_ref()
            .map(|b| b.entries.keys().cloned().collect())
            .unwrap_or_default(),
        baseline_grade: config.baseline.as_ref().and_then(|b| b.grade),
        default_server_version: config
            .target
            .server_version
            .clone()
            .unwrap_or_else(|| "Exchange2013".to_string()),
        trace_header: config.target.trace_header.clone(),
        rerun_command: if config.rerun_command.is_empty() {
            "cargo run --release --".to_string()
        } else {
            config.rerun_command.clone()
        },
        validate_schema: !config.target.no_schema,
        color: config.color,
        strict_baseline: config.strict_baseline,
        interrupt: Arc::clone(&config.interrupt),
        interrupted: AtomicBool::new(false),
        deadline: config.run_timeout.map(|t| started + t),
        operations: config.target.operations.clone(),
        announced: Mutex::new(BTreeSet::new()),
        progress: OnceLock::new(),
        record: config.record.clone(),
        recorded: Mutex::new(Vec::new()),
    });

    let selected = |id: &str| config.partition.is_none_or(|p| p.contains(id));
    let mut trials = Vec::new();
    // One failing trial per case file that did not load, listing all of its errors.
    let mut by_file: BTreeMap<&str, Vec<&LoadError>> = BTreeMap::new();
    for error in loaded.errors.iter().filter(|e| selected(&e.case_id)) {
        by_file.entry(&error.case_id).or_default().push(error);
    }
    // Their results are known before anything runs: recorded here, whatever libtest does.
    let mut known_results = Vec::new();
    for (case_id, errors) in by_file {
        let message = load_error_message(&errors);
        let result = load_error_result(errors[0], message.clone());
        let shared = Arc::clone(&shared);
        let trial = Trial::test(case_id.to_string(), move || {
            if let Some(progress) = shared.progress.get() {
                progress.case_finished(&result);
            }
            Err(Failed::from(message))
        })
        .with_kind("load-error");
        if !config.libtest.is_filtered_out(&trial) {
            known_results.push(load_error_result(errors[0], load_error_message(&errors)));
        }
        trials.push(trial);
    }
    // Cases flagged `ignore:` that the arguments select but libtest will not run still get a result.
    let mut ignored_results = Vec::new();
    for case in loaded.cases.into_iter().filter(|c| selected(&c.id)) {
        let operation = case.operations.first().cloned().unwrap_or_default();
        let version_gate = match target_version {
            Some(v) if case.since > v => Some(format!("needs {}, the target is {v}", case.since)),
            _ => None,
        };
        let flagged = case.ignore.clone();
        let id = case.id.clone();
        let result_if_ignored = flagged
            .as_ref()
            .map(|reason| not_run(&case, CaseStatus::Ignored, reason.clone()));
        let shared = Arc::clone(&shared);
        let trial = Trial::ignorable_test(id, move || run_trial(&shared, &case, version_gate))
            .with_kind(operation)
            .with_ignored_flag(flagged.is_some());
        if let Some(result) = result_if_ignored {
            if !config.libtest.is_filtered_out(&trial) && config.libtest.is_ignored(&trial) {
                ignored_results.push(result);
            }
        }
        trials.push(trial);
    }

    // Load errors count for the exit code only when their case is selected (filter, partition).
    let selected_errors: BTreeSet<String> = trials
        .iter()
        .filter(|t| t.kind() == "load-error" && !config.libtest.is_filtered_out(t))
        .map(|t| t.name().to_string())
        .collect();
    // Every selected trial must end with exactly one result (checked after the run).
    let selected_ids: BTreeSet<String> = trials
        .iter()
        .filter(|t| !config.libtest.is_filtered_out(t))
        .map(|t| t.name().to_string())
        .collect();
    let selected_total = trials
        .iter()
        .filter(|t| !config.libtest.is_filtered_out(t) && !config.libtest.is_ignored(t))
        .count();
    if let Some(progress) = progress_for(&config.libtest, selected_total) {
        let _ = shared.progress.set(progress);
    }
    if let Some(seed) = config.shuffle_seed {
        shuffle(&mut trials, seed);
    }
    // libtest-mimic prints per-trial lines and counts; the verdict comes from our own results.
    // libtest-mimic panics when it cannot print (stdout closed by `| head`); the run then still
    // ends with a result for every selected case and with its reports.
    let args = &config.libtest;
    let (counts, stopped) = match guard::catch(move || libtest_mimic::run(args, trials)) {
        Ok(counts) => (counts, None),
        Err(panicked) => {
            eprintln!("error: the test runner stopped: {}", panicked.message);
            // Its counts are lost; the verdict comes from the results, where every selected case
            // that did not report is an error.
            (
                libtest_mimic::Conclusion {
                    num_filtered_out: 0,
                    num_passed: 0,
                    num_failed: 0,
                    num_ignored: 0,
                    num_measured: 0,
                },
                Some(panicked.message),
            )
        }
    };
    if let Some(progress) = shared.progress.get() {
        progress.finish();
    }

    let recorded = std::mem::take(&mut *shared.recorded.lock().unwrap_or_else(|e| e.into_inner()));
    let written = crate::record::write_pending(&shared.record, &recorded, &shared.variables);
    let summary = crate::record::summary(&shared.record, &written);
    if !summary.is_empty() && !config.libtest.list {
        eprint!("{summary}");
    }
    let mut cases = std::mem::take(&mut *shared.results.lock().unwrap_or_else(|e| e.into_inner()));
    cases.extend(ignored_results);
    cases.extend(known_results);
    let listed_only = config.libtest.list;
    if !listed_only {
        add_missing_results(&mut cases, &selected_ids, stopped.as_deref());
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    let mut target_info = config.target_info.clone();
    if let Some((version, build)) = shared.server_seen.lock().ok().and_then(|seen| seen.clone()) {
        target_info.server_version = version;
        target_info.server_build = build;
    }
    let mut report = RunReport {
        schema_version: report::REPORT_SCHEMA_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id: config.run_id.clone(),
        target: target_info,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        partition: config.partition.map(|p| p.to_string()),
        interrupted: shared.interrupted.load(Ordering::SeqCst)
            || config.interrupt.load(Ordering::SeqCst),
        cases,
    };
    if let Some(baseline) = &config.baseline {
        report::apply_baseline(&mut report, baseline);
    }
    let mut written = Vec::new();
    if let (false, Some(dir)) = (listed_only, &config.reports_dir) {
        let options = report::WriteOptions {
            strict_baseline: config.strict_baseline,
        };
        written =
            report::write_all_with(&report, dir, options).map_err(|source| RunError::Reports {
                dir: dir.clone(),
                source,
            })?;
    }
    let load_errors = loaded
        .errors
        .into_iter()
        .filter(|e| selected_errors.contains(&e.case_id))
        .collect();
    Ok(RunOutcome {
        report,
        written,
        load_errors,
        listed_only,
        libtest_failed: counts.num_failed,
    })
}

/// The message of a case file's load errors: all of them, in file order.
fn load_error_message(errors: &[&LoadError]) -> String {
    let mut message = String::new();
    if errors.len() > 1 {
        message.push_str(&format!("{} errors in this case file\n\n", errors.len()));
    }
    let rendered: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    message.push_str(&rendered.join("\n\n"));
    message
}

/// Fisher-Yates with a SplitMix64 stream: the same seed gives the same order on every machine.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The current time as RFC 3339 UTC with second precision (`2026-11-27T21:05:00Z`).
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (proleptic Gregorian), valid for all dates after 1970.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_813_500), "2026-11-27T21:05:00Z");
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<u32> = (0..50).collect();
        let mut b = a.clone();
        shuffle(&mut a, 7);
        shuffle(&mut b, 7);
        assert_eq!(a, b, "same seed, same order");
        assert_ne!(a, (0..50).collect::<Vec<_>>(), "order changed");
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            (0..50).collect::<Vec<_>>(),
            "nothing lost or duplicated"
        );
    }

    #[test]
    fn a_selected_case_without_a_result_becomes_an_error_and_fails_the_run() {
        let mut cases = vec![missing_result("im/reported")];
        cases[0].status = CaseStatus::Pass;
        let selected: BTreeSet<String> = ["im/reported", "im/silent"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        add_missing_results(&mut cases, &selected, None);
        assert_eq!(cases.len(), 2);
        let silent = &cases[1];
        assert_eq!(
            (silent.id.as_str(), silent.status),
            ("im/silent", CaseStatus::Error)
        );
        assert!(
            silent
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("produced no result")
        );
        let outcome = RunOutcome {
            report: RunReport {
                schema_version: report::REPORT_SCHEMA_VERSION,
                harness_version: String::new(),
                run_id: String::new(),
                target: TargetInfo::default(),
                started_at: String::new(),
                duration_ms: 0,
                partition: None,
                interrupted: false,
                cases,
            },
            written: Vec::new(),
            load_errors: Vec::new(),
            listed_only: false,
            libtest_failed: 0,
        };
        assert_eq!(outcome.exit_code(false), 1);
    }

    #[test]
    fn libtests_failed_count_alone_fails_the_run() {
        let outcome = RunOutcome {
            report: RunReport {
                schema_version: report::REPORT_SCHEMA_VERSION,
                harness_version: String::new(),
                run_id: String::new(),
                target: TargetInfo::default(),
                started_at: String::new(),
                duration_ms: 0,
                partition: None,
                interrupted: false,
                cases: Vec::new(),
            },
            written: Vec::new(),
            load_errors: Vec::new(),
            listed_only: false,
            libtest_failed: 1,
        };
        assert_eq!(
            outcome.exit_code(false),
            1,
            "results say green, libtest says red"
        );
    }

    #[test]
    fn run_ids_look_alike_and_differ() {
        let a = new_run_id();
        assert_eq!(a.len(), 11);
        let digits = a.strip_prefix('r').expect("starts with r");
        assert!(digits.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
