//! Command-line interface (clap). `main.rs` only calls [`main`].
//!
//! `ews-conformance [run] [OPTIONS] [FILTER]` runs the suite (libtest-mimic's own arguments —
//! filter, `--exact`, `--skip`, `--list`, `--ignored`, `--test-threads`, `--format`, `--color` —
//! keep working); `serve`, `diff`, `lint`, `validate`, `schema`, `merge` (shards of one target, or
//! the cases × servers matrix of several), `compare` (two servers side by side) and `coverage` are
//! the other subcommands. Exit codes: 0 all passed, 1 failures or regressions, 2 usage, configuration or
//! case-load errors. Only this module maps outcomes to exit codes and prints top-level errors.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use clap::{Args, Parser, Subcommand};

use crate::reference_server::cli::ServeArgs;
use crate::reference_server::{self, Quirk, ServerConfig};
use crate::report::{self, TargetInfo};
use crate::runner::{self, Partition, RunConfig};
use crate::target::{self, Auth, Secret, Target, TargetOverrides, vars};
use crate::{case, xml};

/// Exit code: everything passed (expected failures allowed).
pub const EXIT_OK: u8 = 0;
/// Exit code: failures, errors or regressions.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage, configuration or case-load errors.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "ews-conformance",
    version,
    about = "Conformance test harness for Exchange Web Services (EWS) servers",
    long_about = "Runs YAML cases (SOAP requests and the responses they must produce) against an EWS \
endpoint and reports every difference with its path. Without --endpoint it starts the embedded \
reference EWS server and runs against that.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Options of `run`, which is the default command.
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the suite (the default).
    Run(RunArgs),
    /// Run the embedded reference EWS server standalone until Ctrl-C.
    Serve(ServeArgs),
    /// Compare two XML files with the same engine and rules as `run`.
    Diff(DiffArgs),
    /// Check that every case loads (keys, variables, XML, namespaces) and that its requests are
    /// valid against the EWS schema.
    Lint(LintArgs),
    /// Validate XML files (SOAP envelopes or bare EWS elements) against the EWS schema: exit 0
    /// valid, 1 invalid (each violation as FILE:line:col: message), 2 unreadable or not XML.
    Validate(ValidateArgs),
    /// Show the pending `.new` files a recording (`--bless new`) wrote, as diffs; accept or reject.
    Review(ReviewArgs),
    /// Print the JSON Schema of the case format (`--fixture`: of the fixture format).
    Schema(SchemaArgs),
    /// Merge the report.json files of N shards into one report set (JUnit, JSON, HTML).
    Merge(MergeArgs),
    /// Run the same cases against two servers and report, per step, where the responses differ.
    Compare(CompareArgs),
    /// List every EWS operation with the number of cases covering it (and their status).
    Coverage(CoverageArgs),
}

#[derive(Debug, Args)]
struct SchemaArgs {
    /// The schema of fixture files (`cases/<family>/_fixtures/*.yaml`) instead of cases.
    #[arg(long)]
    fixture: bool,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Folder of case files.
    #[arg(long, value_name = "DIR")]
    cases: Option<PathBuf>,
    /// Folder for junit.xml, report.json and report.html.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports: PathBuf,
    /// Write no report files.
    #[arg(long)]
    no_reports: bool,
    /// Target profile (YAML): endpoint, auth kind, mailboxes, TLS, limits; flags override it.
    #[arg(long = "target", value_name = "FILE")]
    target_profile: Option<PathBuf>,
    /// EWS endpoint URL (or EWS_ENDPOINT); without one the embedded reference server is used.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Authentication: none, basic, bearer, ntlm (or EWS_AUTH). Secrets come only from the
    /// environment: EWS_PASSWORD for basic/ntlm, EWS_TOKEN or EWS_TOKEN_FILE for bearer.
    #[arg(long, value_name = "KIND")]
    auth: Option<String>,
    /// User name for basic/ntlm (or EWS_USERNAME); NTLM takes DOMAIN\user or user@domain.
    #[arg(long, value_name = "NAME")]
    username: Option<String>,
    /// RequestServerVersion to send by default; cases needing a newer version are ignored.
    #[arg(long, value_name = "VERSION")]
    server_version: Option<String>,
    /// Extra trusted root certificate (PEM).
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Client certificate (PEM); needs --key.
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// Private key of the client certificate (PEM).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Accept any server certificate (prints a warning: for test servers only).
    #[arg(long)]
    insecure: bool,
    /// Do not validate responses against the EWS schema (profile: `schema: false`).
    #[arg(long)]
    no_schema: bool,
    /// HTTP(S) proxy URL.
    #[arg(long, value_name = "URL")]
    proxy: Option<String>,
    /// Extra HTTP header on every request (`Name: value`), e.g. X-AnchorMailbox; repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Largest response body accepted (bytes, or KiB/MiB/GiB); default 64MiB.
    #[arg(long, value_name = "SIZE")]
    max_response_size: Option<String>,
    /// Total time one request may wait for throttling back-off (e.g. 2m).
    #[arg(long, value_name = "DURATION")]
    max_throttle_wait: Option<String>,
    /// Deepest XML element nesting accepted in responses and case XML; default 512, at most 1024.
    #[arg(long, value_name = "N")]
    xml_max_depth: Option<usize>,
    /// Most XML namespace declarations in scope at once; default 1024.
    #[arg(long, value_name = "N")]
    xml_max_namespace_bindings: Option<usize>,
    /// Most attributes on one XML element; default 1024.
    #[arg(long, value_name = "N")]
    xml_max_attributes: Option<usize>,
    /// Set a case variable (NAME=VALUE), e.g. --var mailbox=user@example.com.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    variables: Vec<String>,
    /// Baseline of known divergences (YAML: case id -> reason).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the cases that fail or error in this run as a baseline file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Fail the run when a baseline case now passes (keeps baselines honest).
    #[arg(long)]
    strict_baseline: bool,
    /// Accept baseline divergences of this grade only: `recommended` (a listed required case
    /// that fails still fails the run) or `required` (any listed case). Overrides the file's
    /// `grade:`.
    #[arg(long, value_name = "GRADE")]
    baseline_grade: Option<String>,
    /// Run only shard K of N (`hash:K/N`, stable hash of the case id).
    #[arg(long, value_name = "hash:K/N")]
    partition: Option<String>,
    /// Switch on a quirk of the embedded reference server (self-testing); repeatable.
    #[arg(long = "quirk", value_name = "NAME")]
    quirks: Vec<String>,
    /// Per-request timeout (e.g. 60s, 2m); default 60s.
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// Whole-run timeout (e.g. 30m); cases not started by then are reported as not run.
    #[arg(long, value_name = "DURATION")]
    run_timeout: Option<String>,
    /// Run the cases in an order shuffled by SEED (to prove they do not depend on each other).
    #[arg(long, value_name = "SEED")]
    shuffle: Option<u64>,
    /// Name of the header that names the case and step on every request (default
    /// X-EWS-Conformance-Case; value like `im/flows/group_lifecycle#3`).
    #[arg(long, value_name = "NAME", conflicts_with = "no_trace_header")]
    trace_header: Option<String>,
    /// Send no trace header.
    #[arg(long)]
    no_trace_header: bool,
    /// Exit 1 when a case is unsupported (the target does not implement an operation it needs);
    /// by default unsupported cases are reported but do not fail the run.
    #[arg(long)]
    fail_on_unsupported: bool,
    /// Record responses as expectations: `no` (compare only), `new` (write `case.yaml.new`
    /// beside each case for `review`), `overwrite` (rewrite the case files). Or EWS_BLESS.
    /// Nothing is ever written when CI is set.
    #[arg(long, value_name = "MODE")]
    bless: Option<String>,
    #[command(flatten)]
    libtest: libtest_mimic::Arguments,
}

#[derive(Debug, Args)]
struct ReviewArgs {
    /// A pending file (`cases/im/x.yaml.new`) or a folder to search for them; default: the
    /// cases folder.
    #[arg(value_name = "FILE")]
    path: Option<PathBuf>,
    /// Accept every pending file (it replaces its case file).
    #[arg(long, conflicts_with = "reject_all")]
    accept_all: bool,
    /// Reject every pending file (it is deleted).
    #[arg(long)]
    reject_all: bool,
}

#[derive(Debug, Args)]
struct DiffArgs {
    /// Expected XML (may contain matchers such as {{any}}).
    expected: PathBuf,
    /// Actual XML.
    actual: PathBuf,
    /// Path to leave out of the comparison (repeatable).
    #[arg(long = "ignore", value_name = "PATH")]
    ignore: Vec<String>,
    /// Path whose children compare as an unordered set (repeatable).
    #[arg(long = "unordered", value_name = "PATH")]
    unordered: Vec<String>,
    /// Allow extra elements and attributes in ACTUAL.
    #[arg(long)]
    subset: bool,
    /// Compare text values untrimmed.
    #[arg(long)]
    no_trim: bool,
    /// Color the diff: auto, always, never.
    #[arg(long, default_value = "auto")]
    color: String,
    /// Deepest XML element nesting accepted; default 512, at most 1024.
    #[arg(long, value_name = "N")]
    xml_max_depth: Option<usize>,
    /// Most XML namespace declarations in scope at once; default 1024.
    #[arg(long, value_name = "N")]
    xml_max_namespace_bindings: Option<usize>,
    /// Most attributes on one XML element; default 1024.
    #[arg(long, value_name = "N")]
    xml_max_attributes: Option<usize>,
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// The shards' report.json files.
    #[arg(required = true, value_name = "REPORT.json")]
    inputs: Vec<PathBuf>,
    /// Folder for the merged junit.xml, report.json and report.html.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports: PathBuf,
    /// Render unexpected passes as failures (as `run --strict-baseline` did).
    #[arg(long)]
    strict_baseline: bool,
}

#[derive(Debug, Args)]
struct CompareArgs {
    /// Run only the cases whose id contains FILTER.
    filter: Option<String>,
    /// Run exactly the case with this id.
    #[arg(long, value_name = "ID")]
    exact: Option<String>,
    /// A side: an EWS endpoint URL, `embedded` (the embedded reference server) or
    /// `embedded:QUIRK[,QUIRK]` (with quirks). Two sides in all, with --target.
    #[arg(long = "endpoint", value_name = "URL|embedded[:QUIRKS]")]
    endpoints: Vec<String>,
    /// A side from a target profile (YAML); profiles come before endpoints (A, then B).
    #[arg(long = "target", value_name = "FILE")]
    targets: Vec<PathBuf>,
    /// Folder of case files.
    #[arg(long, value_name = "DIR")]
    cases: Option<PathBuf>,
    /// Folder for compare-junit.xml, compare.json and compare.html.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    reports: PathBuf,
    /// Write no report files.
    #[arg(long)]
    no_reports: bool,
    /// Authentication for endpoints given by URL: none, basic, bearer, ntlm (or EWS_AUTH).
    #[arg(long, value_name = "KIND")]
    auth: Option<String>,
    /// User name for basic/ntlm (or EWS_USERNAME).
    #[arg(long, value_name = "NAME")]
    username: Option<String>,
    /// RequestServerVersion to send by default.
    #[arg(long, value_name = "VERSION")]
    server_version: Option<String>,
    /// Set a case variable (NAME=VALUE) on both sides.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    variables: Vec<String>,
    /// Name of the trace header (default X-EWS-Conformance-Case).
    #[arg(long, value_name = "NAME", conflicts_with = "no_trace_header")]
    trace_header: Option<String>,
    /// Send no trace header.
    #[arg(long)]
    no_trace_header: bool,
}

#[derive(Debug, Args)]
struct CoverageArgs {
    /// Folder of case files.
    #[arg(long, value_name = "DIR")]
    cases: Option<PathBuf>,
    /// A report.json whose case statuses to show next to the counts.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// The XML files: a whole SOAP envelope or a bare element of the messages or types namespace.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct LintArgs {
    /// Folder (or one case file) to check; default: the cases folder.
    path: Option<PathBuf>,
    /// Extra variable names the target defines (NAME or NAME=VALUE), repeatable.
    #[arg(long = "var", value_name = "NAME")]
    variables: Vec<String>,
}

/// Entry point of the binary: the one place where outcomes become exit codes and where a
/// command's error is printed (once).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let result = match cli.command {
        None => run(cli.run),
        Some(Command::Run(args)) => run(args),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Diff(args)) => Ok(diff(args)),
        Some(Command::Lint(args)) => lint(args),
        Some(Command::Validate(args)) => validate(args),
        Some(Command::Merge(args)) => merge(args),
        Some(Command::Compare(args)) => compare(args),
        Some(Command::Coverage(args)) => coverage(args),
        Some(Command::Review(args)) => review(args),
        Some(Command::Schema(args)) => out(if args.fixture {
            case::fixture_json_schema()
        } else {
            case::json_schema()
        })
        .map(|()| EXIT_OK),
    };
    ExitCode::from(exit_code(result))
}

/// Why a command stopped before giving a verdict.
#[derive(Debug)]
pub enum CliError {
    /// Usage, configuration or input error: printed as `error: ...`, exit 2.
    Usage(String),
    /// The reader closed stdout (`ews-conformance schema | head`): stop quietly.
    ClosedPipe,
    /// stdout could not be written for another reason.
    Output(std::io::Error),
}

fn usage(message: impl std::fmt::Display) -> CliError {
    CliError::Usage(message.to_string())
}

/// A command's verdict (0, 1, 2) or its error, as the process exit code; errors printed here.
pub fn exit_code(result: Result<u8, CliError>) -> u8 {
    match result {
        Ok(code) => code,
        Err(CliError::ClosedPipe) => EXIT_OK,
        Err(CliError::Usage(message)) => {
            eprintln!("error: {message}");
            EXIT_USAGE
        }
        Err(CliError::Output(e)) => {
            eprintln!("error: cannot write to stdout: {e}");
            EXIT_USAGE
        }
    }
}

/// Writes `text` and a newline to stdout; a closed pipe becomes [`CliError::ClosedPipe`].
fn out(text: impl std::fmt::Display) -> Result<(), CliError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => CliError::ClosedPipe,
            _ => CliError::Output(e),
        })
}

/// Prints an error the way every command does, once (for commands that return a code).
fn fail(code: u8, message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    code
}

/// The cases folder: `--cases`, else `./cases`, else the repository's `cases/` next to the crate.
fn cases_dir(given: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = given {
        return dir;
    }
    let local = PathBuf::from("cases");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("cases")
}

fn color_enabled(setting: Option<libtest_mimic::ColorSetting>) -> bool {
    match setting {
        Some(libtest_mimic::ColorSetting::Always) => true,
        Some(libtest_mimic::ColorSetting::Never) => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn run(args: RunArgs) -> Result<u8, CliError> {
    let quirks: Vec<Quirk> = match args
        .quirks
        .iter()
        .map(|q| q.parse())
        .collect::<Result<_, _>>()
    {
        Ok(q) => q,
        Err(e) => return Err(usage(e)),
    };
    let partition = match args.partition.as_deref().map(Partition::parse).transpose() {
        Ok(p) => p,
        Err(e) => return Err(usage(e)),
    };
    let extra_vars = match parse_vars(&args.variables) {
        Ok(v) => v,
        Err(e) => return Err(usage(e)),
    };
    let overrides = match target_overrides(&args) {
        Ok(o) => o,
        Err(e) => return Err(usage(e)),
    };
    let env = |name: &str| std::env::var(name).ok();
    let mut target = match Target::resolve(args.target_profile.as_deref(), &overrides, &env) {
        Ok(t) => t,
        Err(e) => return Err(usage(e)),
    };
    // Every XML parse of the run (responses, case XML) uses the target's XML limits.
    xml::set_default_limits(target.limits.xml);
    let baseline_path = args.baseline.clone().or_else(|| target.baseline.clone());
    let mut baseline = match &baseline_path {
        Some(path) => match report::Baseline::load(path) {
            Ok(b) => Some(b),
            Err(e) => return Err(usage(e)),
        },
        None => None,
    };
    if let Some(grade) = &args.baseline_grade {
        let grade = match grade.as_str() {
            "required" => report::Grade::Required,
            "recommended" => report::Grade::Recommended,
            other => {
                return Err(usage(format!(
                    "--baseline-grade `{other}`: use `recommended` or `required`"
                )));
            }
        };
        match baseline.as_mut() {
            Some(b) => b.grade = Some(grade),
            None => return Err(usage("--baseline-grade needs a baseline (--baseline FILE)")),
        }
    }

    // The embedded server lives until the end of this function.
    let mut _server = None;
    let target_info = if target.endpoint.is_empty() {
        let config = ServerConfig {
            quirks: quirks.clone(),
            ..ServerConfig::default()
        };
        let server = match reference_server::start(config.clone()) {
            Ok(s) => s,
            Err(e) => {
                return Err(usage(format!(
                    "could not start the embedded reference server: {e}"
                )));
            }
        };
        target = embedded_target(&server.url(), &config, target);
        let info = TargetInfo {
            url: server.url(),
            embedded: true,
            quirks: quirks.iter().map(|q| q.name().to_string()).collect(),
            ..TargetInfo::default()
        };
        eprintln!(
            "running against the embedded reference server at {}{}",
            server.url(),
            if quirks.is_empty() {
                String::new()
            } else {
                format!(" with quirks: {}", info.quirks.join(", "))
            }
        );
        _server = Some(server);
        info
    } else {
        if !quirks.is_empty() {
            return Err(usage(
                "--quirk applies to the embedded reference server only (drop --endpoint)",
            ));
        }
        if target.tls.insecure {
            eprintln!(
                "WARNING: --insecure: server certificates are NOT verified; use only against test servers"
            );
        }
        TargetInfo {
            url: target.redacted_endpoint(),
            embedded: false,
            ..TargetInfo::default()
        }
    };
    target.apply_var_settings(&extra_vars);

    let record = record_config(
        args.bless.as_deref(),
        args.cases.as_deref(),
        args.endpoint.as_deref(),
        args.target_profile.as_deref(),
        &args.quirks,
    )?;
    let interrupt = Arc::new(AtomicBool::new(false));
    install_interrupt_handler(Arc::clone(&interrupt));
    let strict_baseline = args.strict_baseline;
    let write_baseline = args.write_baseline.clone();
    let target_run_timeout = target.limits.run_timeout;
    let color = color_enabled(args.libtest.color);
    let fail_on_unsupported = args.fail_on_unsupported;
    let rerun_command = rerun_command(&args);
    let config = RunConfig {
        rerun_command,
        cases_dir: cases_dir(args.cases),
        reports_dir: (!args.no_reports).then_some(args.reports),
        target,
        target_info,
        baseline,
        strict_baseline,
        partition,
        libtest: args.libtest,
        color,
        run_id: runner::new_run_id(),
        run_timeout: target_run_timeout,
        interrupt,
        shuffle_seed: args.shuffle,
        record,
    };
    let outcome = match runner::run(config) {
        Ok(o) => o,
        Err(e) => return Err(usage(e)),
    };
    if outcome.listed_only {
        return Ok(EXIT_OK);
    }
    if !outcome.load_errors.is_empty() {
        let files: std::collections::BTreeSet<&str> = outcome
            .load_errors
            .iter()
            .map(|e| e.case_id.as_str())
            .collect();
        eprintln!(
            "{} case file(s) failed to load ({} error(s)); they are listed above with the failures",
            files.len(),
            outcome.load_errors.len()
        );
    }
    // A closed stdout never changes the verdict: the summary is best effort.
    let _ = out(report::terminal::summary(&outcome.report, color));
    if !outcome.written.is_empty() {
        let _ = out(report::terminal::reports_written(&outcome.written).trim_end());
    }
    if let Some(path) = &write_baseline {
        let baseline = report::Baseline::from_report(&outcome.report);
        match baseline.write(path) {
            Ok(()) => {
                let _ = out(format_args!(
                    "baseline: wrote {} known divergence(s) to {}",
                    baseline.entries.len(),
                    path.display()
                ));
            }
            Err(e) => return Err(usage(e)),
        }
    }
    let unsupported = outcome.report.count(report::CaseStatus::Unsupported);
    if fail_on_unsupported && unsupported > 0 && outcome.exit_code(strict_baseline) == EXIT_OK {
        eprintln!("{unsupported} unsupported case(s) fail the run (--fail-on-unsupported)");
        return Ok(EXIT_FAILED);
    }
    Ok(outcome.exit_code(strict_baseline))
}

/// How this run was invoked, for the rerun hint: `cargo run [--release] --` when the binary was
/// started by cargo from its target folder, else the binary as typed; then the options that
/// choose the cases and the target (`--cases`, `--target`, `--endpoint` without user-info,
/// `--auth`, `--quirk`).
fn rerun_command(args: &RunArgs) -> String {
    use runner::message::shell_word;
    let argv0 = std::env::args()
        .next()
        .unwrap_or_else(|| "ews-conformance".into());
    let exe = Path::new(&argv0);
    let profile_dir = exe
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str());
    let mut words = match (std::env::var_os("CARGO").is_some(), profile_dir) {
        (true, Some("release")) => vec!["cargo run --release --".to_string()],
        (true, Some("debug")) => vec!["cargo run --".to_string()],
        _ => vec![shell_word(&argv0)],
    };
    let mut flag = |name: &str, value: &str| {
        words.push(format!("{name} {}", shell_word(value)));
    };
    if let Some(cases) = &args.cases {
        flag("--cases", &cases.to_string_lossy());
    }
    if let Some(profile) = &args.target_profile {
        flag("--target", &profile.to_string_lossy());
    }
    if let Some(endpoint) = &args.endpoint {
        flag("--endpoint", &target::redact_url(endpoint));
    }
    if let Some(auth) = &args.auth {
        flag("--auth", auth);
    }
    for quirk in &args.quirks {
        flag("--quirk", quirk);
    }
    words.join(" ")
}

/// Ctrl-C once: finish running cases, skip the rest, write reports. Twice: exit at once.
fn install_interrupt_handler(flag: Arc<AtomicBool>) {
    let presses = AtomicUsize::new(0);
    let _ = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            flag.store(true, Ordering::SeqCst);
            eprintln!(
                "\ninterrupted: finishing running cases and writing reports (Ctrl-C again to abort)"
            );
        } else {
            std::process::exit(130);
        }
    });
}

fn parse_vars(items: &[String]) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("--var `{item}` must look like NAME=VALUE"))
        })
        .collect()
}

/// A target for the embedded server: its URL, the first user's credentials and its variables,
/// keeping the limits and server version resolved from flags and profile.
pub fn embedded_target(url: &str, config: &ServerConfig, resolved: Target) -> Target {
    let auth = match config.users.first() {
        Some(u) => Auth::Basic {
            username: u.username.clone(),
            password: Secret::new(u.password.clone()),
        },
        None => Auth::None,
    };
    Target {
        endpoint: url.to_string(),
        auth,
        server_version: resolved
            .server_version
            .or_else(|| Some(config.server_version.clone())),
        variables: config.target_variables(),
        // Every user of the server, by user name, for steps with `as: NAME`.
        users: config
            .users
            .iter()
            .map(|u| {
                let user = target::TargetUser {
                    auth: Auth::Basic {
                        username: u.username.clone(),
                        password: Secret::new(u.password.clone()),
                    },
                    mailbox: Some(u.smtp_address.clone()),
                };
                (u.username.clone(), user)
            })
            .collect(),
        tls: Default::default(),
        proxy: None,
        ..resolved
    }
}

/// The command-line part of the target description.
fn target_overrides(args: &RunArgs) -> Result<TargetOverrides, String> {
    let duration = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| target::parse_duration(t).map_err(|e| format!("--{flag}: {e}")))
            .transpose()
    };
    Ok(TargetOverrides {
        endpoint: args.endpoint.clone(),
        auth: args.auth.clone(),
        username: args.username.clone(),
        server_version: args.server_version.clone(),
        cacert: args.cacert.clone(),
        cert: args.cert.clone(),
        key: args.key.clone(),
        insecure: args.insecure,
        no_schema: args.no_schema,
        proxy: args.proxy.clone(),
        headers: args
            .headers
            .iter()
            .map(|h| target::parse_header(h))
            .collect::<Result<_, _>>()?,
        request_timeout: duration("timeout", &args.timeout)?,
        run_timeout: duration("run-timeout", &args.run_timeout)?,
        max_response_bytes: args
            .max_response_size
            .as_deref()
            .map(|t| target::parse_size(t).map_err(|e| format!("--max-response-size: {e}")))
            .transpose()?,
        max_throttle_wait: duration("max-throttle-wait", &args.max_throttle_wait)?,
        xml_max_depth: args.xml_max_depth,
        xml_max_namespace_bindings: args.xml_max_namespace_bindings,
        xml_max_attributes: args.xml_max_attributes,
        baseline: args.baseline.clone(),
        trace_header: args.trace_header.clone(),
        no_trace_header: args.no_trace_header,
    })
}

/// `serve`: the flags and the banner are those of `ews-reference-server serve`.
fn serve(args: ServeArgs) -> Result<u8, CliError> {
    match reference_server::cli::serve(&args) {
        Ok(()) => Ok(EXIT_OK),
        Err(e) => Err(usage(e)),
    }
}

fn diff(args: DiffArgs) -> u8 {
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()));
    let (expected_bytes, actual_bytes) = match (read(&args.expected), read(&args.actual)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(EXIT_USAGE, e),
    };
    let built_in = xml::Limits::BUILT_IN;
    if let Some(depth) = args
        .xml_max_depth
        .filter(|&d| d > xml::Limits::MAX_DEPTH_CEILING)
    {
        return fail(
            EXIT_USAGE,
            format!(
                "--xml-max-depth {depth} is above the ceiling of {} levels (comparison is recursive)",
                xml::Limits::MAX_DEPTH_CEILING
            ),
        );
    }
    let parse_opts = xml::ParseOptions {
        trim_text: !args.no_trim,
        limits: xml::Limits {
            max_depth: args.xml_max_depth.unwrap_or(built_in.max_depth),
            max_namespace_bindings: args
                .xml_max_namespace_bindings
                .unwrap_or(built_in.max_namespace_bindings),
            max_attributes: args.xml_max_attributes.unwrap_or(built_in.max_attributes),
        },
    };
    let parse = |bytes: &[u8], p: &Path| {
        xml::parse(bytes, &parse_opts).map_err(|e| {
            format!(
                "{}:{}:{}: {}",
                p.display(),
                e.pos.line,
                e.pos.col,
                e.message
            )
        })
    };
    let (expected, actual) = match (
        parse(&expected_bytes, &args.expected),
        parse(&actual_bytes, &args.actual),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(EXIT_USAGE, e),
    };
    let paths = |items: &[String]| {
        items
            .iter()
            .map(|p| xml::Path::parse(p))
            .collect::<Result<Vec<_>, _>>()
    };
    let (ignore, unordered) = match (paths(&args.ignore), paths(&args.unordered)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(EXIT_USAGE, e),
    };
    let opts = xml::CompareOptions {
        ignore,
        unordered,
        subset: args.subset,
    };
    let comparison = xml::compare(&expected, &actual, &opts);
    if comparison.mismatches.is_empty() {
        println!(
            "equal: {} and {} are the same after normalization",
            args.expected.display(),
            args.actual.display()
        );
        return EXIT_OK;
    }
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    println!("{} difference(s):", comparison.mismatches.len());
    for (n, m) in comparison.mismatches.iter().enumerate() {
        let at = m
            .expected_pos
            .map(|p| format!(" ({}:{}:{})", args.expected.display(), p.line, p.col))
            .unwrap_or_default();
        println!("{:>3}) {}{at}\n     {}", n + 1, m.expected_path, m.message);
        if m.actual_path != m.expected_path && !m.actual_path.is_empty() {
            println!("     actual path: {}", m.actual_path);
        }
    }
    println!();
    print!(
        "{}",
        xml::render_diff(
            &expected,
            &actual,
            &opts,
            &xml::DiffOptions {
                color,
                ..xml::DiffOptions::default()
            }
        )
    );
    EXIT_FAILED
}

/// File names of the multi-server matrix.
pub const MATRIX_HTML: &str = "matrix.html";
pub const MATRIX_JSON: &str = "matrix.json";

fn merge(args: MergeArgs) -> Result<u8, CliError> {
    let mut servers = match report::merge::merge_servers(&args.inputs) {
        Ok(r) => r,
        Err(e) => return Err(usage(e)),
    };
    if servers.len() > 1 {
        return merge_matrix(&servers, &args);
    }
    let merged = servers.remove(0);
    let options = report::WriteOptions {
        strict_baseline: args.strict_baseline,
    };
    match report::write_all_with(&merged, &args.reports, options) {
        Ok(paths) => {
            let code = if merged.is_success(args.strict_baseline) {
                EXIT_OK
            } else {
                EXIT_FAILED
            };
            // A closed stdout never changes the verdict.
            let _ = out(report::terminal::summary(&merged, false))
                .and_then(|()| out(report::terminal::reports_written(&paths).trim_end()));
            Ok(code)
        }
        Err(e) => Err(usage(format_args!(
            "could not write the merged reports: {e}"
        ))),
    }
}

/// One side given on the command line.
enum SideSpec {
    Profile(PathBuf),
    Endpoint(String),
    Embedded(Vec<Quirk>),
}

fn compare(args: CompareArgs) -> Result<u8, CliError> {
    let mut specs: Vec<SideSpec> = args
        .targets
        .iter()
        .cloned()
        .map(SideSpec::Profile)
        .collect();
    for endpoint in &args.endpoints {
        let spec = match endpoint.strip_prefix("embedded") {
            Some("") => SideSpec::Embedded(Vec::new()),
            Some(rest) if rest.starts_with(':') => SideSpec::Embedded(
                rest[1..]
                    .split(',')
                    .filter(|q| !q.is_empty())
                    .map(|q| q.parse::<Quirk>())
                    .collect::<Result<_, _>>()
                    .map_err(usage)?,
            ),
            _ => SideSpec::Endpoint(endpoint.clone()),
        };
        specs.push(spec);
    }
    if specs.len() != 2 {
        return Err(usage(format!(
            "compare needs exactly two sides (--endpoint URL|embedded[:QUIRKS] or --target FILE),              {} given",
            specs.len()
        )));
    }
    let extra_vars = parse_vars(&args.variables).map_err(usage)?;
    let env = |name: &str| std::env::var(name).ok();
    let mut servers = Vec::new();
    let mut sides = Vec::new();
    for (spec, label) in specs.into_iter().zip(["A", "B"]) {
        let mut overrides = TargetOverrides {
            auth: args.auth.clone(),
            username: args.username.clone(),
            server_version: args.server_version.clone(),
            trace_header: args.trace_header.clone(),
            no_trace_header: args.no_trace_header,
            ..TargetOverrides::default()
        };
        let profile = match &spec {
            SideSpec::Profile(path) => Some(path.as_path()),
            SideSpec::Endpoint(url) => {
                overrides.endpoint = Some(url.clone());
                None
            }
            SideSpec::Embedded(_) => None,
        };
        let env_for_side = |name: &str| {
            // An embedded side ignores EWS_ENDPOINT (and its credentials come from the server).
            if matches!(spec, SideSpec::Embedded(_)) && name.starts_with("EWS_") {
                None
            } else {
                env(name)
            }
        };
        let mut target = Target::resolve(profile, &overrides, &env_for_side)
            .map_err(|e| usage(format_args!("side {label}: {e}")))?;
        let info = if let SideSpec::Embedded(quirks) = &spec {
            let config = ServerConfig {
                quirks: quirks.clone(),
                ..ServerConfig::default()
            };
            let server = reference_server::start(config.clone()).map_err(|e| {
                usage(format_args!(
                    "side {label}: could not start the embedded reference server: {e}"
                ))
            })?;
            target = embedded_target(&server.url(), &config, target);
            let info = TargetInfo {
                url: server.url(),
                embedded: true,
                quirks: quirks.iter().map(|q| q.name().to_string()).collect(),
                ..TargetInfo::default()
            };
            servers.push(server);
            info
        } else {
            if target.endpoint.is_empty() {
                return Err(usage(format!(
                    "side {label}: the target profile names no endpoint"
                )));
            }
            TargetInfo {
                url: target.redacted_endpoint(),
                ..TargetInfo::default()
            }
        };
        // `--var` describes the servers given by URL or profile; an embedded side keeps the
        // variables of its own users.
        if !matches!(spec, SideSpec::Embedded(_)) {
            target.apply_var_settings(&extra_vars);
        }
        sides.push(crate::compare::Side {
            label: label.to_string(),
            target,
            info,
        });
    }
    let config = crate::compare::CompareConfig {
        cases_dir: cases_dir(args.cases),
        filter: args.filter,
        exact: args.exact,
        run_id: runner::new_run_id(),
    };
    let report = crate::compare::run(&config, &sides[0], &sides[1]).map_err(usage)?;
    drop(servers);
    let _ = out(crate::compare::render::terminal(&report).trim_end());
    if !args.no_reports {
        match crate::compare::render::write_all(&report, &args.reports) {
            Ok(paths) => {
                let _ = out(report::terminal::reports_written(&paths).trim_end());
            }
            Err(e) => {
                return Err(usage(format_args!(
                    "could not write the compare reports: {e}"
                )));
            }
        }
    }
    Ok(if report.is_same() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// `merge` of runs against different targets: one matrix of cases × servers.
fn merge_matrix(servers: &[report::RunReport], args: &MergeArgs) -> Result<u8, CliError> {
    let matrix = report::matrix::Matrix::build(servers);
    let html = args.reports.join(MATRIX_HTML);
    let json = args.reports.join(MATRIX_JSON);
    std::fs::create_dir_all(&args.reports)
        .and_then(|()| report::atomic_write(&html, |out| report::matrix::write_html(&matrix, out)))
        .and_then(|()| report::atomic_write(&json, |out| report::matrix::write_json(&matrix, out)))
        .map_err(|e| usage(format_args!("could not write the matrix: {e}")))?;
    let mut text = format!(
        "{} servers, {} cases (compliance = passed / cases with a verdict; unsupported apart):\n",
        matrix.servers.len(),
        matrix.cases.len()
    );
    for (server, total) in matrix.servers.iter().zip(&matrix.total) {
        text.push_str(&format!(
            "  {}: {}  [{}]\n",
            report::text::clean(&server.label),
            total.display(),
            total.display_grades()
        ));
    }
    let _ = out(text.trim_end())
        .and_then(|()| out(report::terminal::reports_written(&[html, json]).trim_end()));
    let all_ok = servers.iter().all(|r| r.is_success(args.strict_baseline));
    Ok(if all_ok { EXIT_OK } else { EXIT_FAILED })
}

fn coverage(args: CoverageArgs) -> Result<u8, CliError> {
    let root = cases_dir(args.cases);
    let mut known: std::collections::BTreeSet<String> =
        vars::ALL.iter().map(|s| s.to_string()).collect();
    known.insert(vars::RUN_ID.to_string());
    let loaded = case::load_dir(&root, &known);
    let run = match args.report.as_deref().map(report::json::read).transpose() {
        Ok(r) => r,
        Err(e) => return Err(usage(e)),
    };
    let cases = loaded
        .cases
        .iter()
        .map(|c| (c.id.as_str(), c.operations.as_slice()));
    let table = report::coverage::Coverage::compute(cases, run.as_ref());
    out(report::coverage::render_text(&table).trim_end())?;
    if !loaded.errors.is_empty() {
        eprintln!(
            "note: {} case file(s) failed to load and are not counted (run `lint`)",
            loaded.errors.len()
        );
    }
    Ok(EXIT_OK)
}

/// `validate FILE...`: every file checked, every violation printed; the worst outcome decides
/// the exit code (2 over 1 over 0).
fn validate(args: ValidateArgs) -> Result<u8, CliError> {
    let schema = ews_schema::Schema::ews();
    let mut code = EXIT_OK;
    let (mut valid, mut invalid, mut broken) = (0usize, 0usize, 0usize);
    for file in &args.files {
        let name = file.display();
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: cannot read `{name}`: {e}");
                broken += 1;
                code = EXIT_USAGE;
                continue;
            }
        };
        // The strict checker first: its message for anything not well-formed, as `run` says it.
        let text = match xml::check_well_formed(&bytes, &xml::ParseOptions::default())
            .and_then(|()| xml::decode(&bytes))
        {
            Ok(text) => text,
            Err(e) => {
                eprintln!(
                    "error: {name}:{}:{}: not well-formed: {}",
                    e.pos.line, e.pos.col, e.message
                );
                broken += 1;
                code = EXIT_USAGE;
                continue;
            }
        };
        match schema.validate_document(text.as_bytes()) {
            Ok(violations) if violations.is_empty() => valid += 1,
            Ok(violations) => {
                for v in &violations {
                    out(format_args!("{name}:{v}"))?;
                }
                invalid += 1;
                if code == EXIT_OK {
                    code = EXIT_FAILED;
                }
            }
            Err(e) => {
                eprintln!("error: {name}:{e}");
                broken += 1;
                code = EXIT_USAGE;
            }
        }
    }
    eprintln!(
        "validate: {} file(s): {valid} valid, {invalid} invalid, {broken} not checked",
        args.files.len()
    );
    Ok(code)
}

fn lint(args: LintArgs) -> Result<u8, CliError> {
    let root = cases_dir(args.path);
    let mut known: std::collections::BTreeSet<String> =
        vars::ALL.iter().map(|s| s.to_string()).collect();
    known.extend(
        args.variables
            .iter()
            .map(|v| v.split('=').next().unwrap_or(v).to_string()),
    );
    let (root_dir, outcome) = if root.is_file() {
        let dir = root
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        match case::load_file(&dir, &root, &known) {
            Ok(c) => (
                dir,
                case::LoadOutcome {
                    cases: vec![c],
                    errors: Vec::new(),
                },
            ),
            Err(errors) => (
                dir,
                case::LoadOutcome {
                    cases: Vec::new(),
                    errors,
                },
            ),
        }
    } else if root.is_dir() {
        (root.clone(), case::load_dir(&root, &known))
    } else {
        return Err(usage(format!(
            "`{}` is neither a case file nor a folder",
            root.display()
        )));
    };
    // Requests are validated against the EWS schema too (lint only: a run sends what it has).
    let mut errors = outcome.errors;
    let mut clean = 0;
    for case in &outcome.cases {
        let invalid = case::schema_lint::check(case);
        clean += usize::from(invalid.is_empty());
        errors.extend(invalid);
    }
    for error in &errors {
        eprintln!("{error}\n");
    }
    let files: std::collections::BTreeSet<&Path> =
        errors.iter().map(|e| e.pos.file.as_path()).collect();
    out(format_args!(
        "lint {}: {} case(s) load cleanly, {} error(s) in {} file(s)",
        root_dir.display(),
        clean,
        errors.len(),
        files.len()
    ))?;
    Ok(if errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// The bless mode (`--bless` over `EWS_BLESS`; never writing under `CI`) and how this run was
/// invoked, repeated in every accept command.
fn record_config(
    flag: Option<&str>,
    cases: Option<&std::path::Path>,
    endpoint: Option<&str>,
    target: Option<&std::path::Path>,
    quirks: &[String],
) -> Result<crate::record::RecordConfig, CliError> {
    use crate::bless::Mode;
    let value = flag
        .map(str::to_string)
        .or_else(|| std::env::var(crate::bless::ENV).ok());
    let ci = std::env::var_os("CI").is_some();
    let mode = Mode::parse(value.as_deref(), false).map_err(|e| {
        usage(if flag.is_some() {
            format!(
                "--bless `{}` is not a bless mode; use `no`, `new` or `overwrite`",
                e.0
            )
        } else {
            e.to_string()
        })
    })?;
    let (run, review) = invocation();
    let mut run = run;
    let mut add = |flag: &str, value: &str| {
        run.push_str(&format!(" {flag} {}", shell_word(value)));
    };
    if let Some(dir) = cases {
        add("--cases", &dir.display().to_string());
    }
    if let Some(url) = endpoint {
        add("--endpoint", url);
    }
    if let Some(file) = target {
        add("--target", &file.display().to_string());
    }
    for quirk in quirks {
        add("--quirk", quirk);
    }
    Ok(crate::record::RecordConfig {
        mode,
        ci,
        invocation: run,
        review_invocation: review,
    })
}

/// How to start this program again: `cargo run [--release] --` when cargo started it, else
/// the binary's path. (run form, review form)
fn invocation() -> (String, String) {
    let exe = std::env::current_exe().ok();
    let profile = exe
        .as_deref()
        .and_then(|p| p.parent())
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    if std::env::var_os("CARGO").is_some() {
        let run = if profile.as_deref() == Some("release") {
            "cargo run --release --"
        } else {
            "cargo run --"
        };
        return (run.to_string(), "cargo run --".to_string());
    }
    let path = exe
        .map(|p| shell_word(&p.display().to_string()))
        .unwrap_or_else(|| "ews-conformance".to_string());
    (path.clone(), path)
}

/// `text` quoted for a POSIX shell when it needs it.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// `review`: each pending `.new` file as a diff, then accept or reject.
fn review(args: ReviewArgs) -> Result<u8, CliError> {
    use crate::record::review::{self, Decision, Reviewed};
    use std::io::IsTerminal;
    let path = args.path.unwrap_or_else(|| cases_dir(None));
    if !path.exists() {
        return Err(usage(format!("`{}` does not exist", path.display())));
    }
    let files = review::pending_files(&path);
    if files.is_empty() {
        let _ = out(format_args!("no pending recordings in {}", path.display()));
        return Ok(EXIT_OK);
    }
    let interactive = std::io::stdin().is_terminal();
    let decision = match (args.accept_all, args.reject_all) {
        (true, _) => Decision::AcceptAll,
        (_, true) => Decision::RejectAll,
        _ => Decision::Ask,
    };
    use std::io::Write as _;
    let stdout = std::io::stdout();
    let mut writer = stdout.lock();
    if decision == Decision::Ask && !interactive {
        // No one to ask: show the diffs, change nothing.
        for file in &files {
            let case = review::case_file_of(file).unwrap_or_else(|| file.clone());
            let old = std::fs::read_to_string(&case).unwrap_or_default();
            let new = std::fs::read_to_string(file).unwrap_or_default();
            let _ = writeln!(writer, "{}", review::diff(&old, &new, &case, file));
        }
        let _ = writeln!(
            writer,
            "{} pending file(s); not a terminal, so nothing was changed: pass --accept-all or --reject-all",
            files.len()
        );
        return Ok(EXIT_FAILED);
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let done = review::review(&files, decision, &mut input, &mut writer).map_err(usage)?;
    let kept = done
        .iter()
        .filter(|d| matches!(d, Reviewed::Kept(_)))
        .count();
    Ok(if kept == 0 { EXIT_OK } else { EXIT_FAILED })
}
