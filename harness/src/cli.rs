//! Command-line interface (clap). `main.rs` only calls [`main`].
//!
//! `ews-conformance [run] [OPTIONS] [FILTER]` runs the suite (libtest-mimic's own arguments —
//! filter, `--exact`, `--skip`, `--list`, `--ignored`, `--test-threads`, `--format`, `--color` —
//! keep working); `serve`, `diff`, `lint`, `schema`, `merge` and `coverage` are the other
//! subcommands. Exit codes: 0 all passed, 1 failures or regressions, 2 usage, configuration or
//! case-load errors. Only this module maps outcomes to exit codes and prints top-level errors.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use clap::{Args, Parser, Subcommand};

use crate::config::{self, Auth, Secret, Target, TargetOverrides, vars};
use crate::reference_server::cli::ServeArgs;
use crate::reference_server::{self, Quirk, ServerConfig};
use crate::report::{self, TargetInfo};
use crate::runner::{self, Partition, RunConfig};
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
    /// Check that every case loads: schema, variables, XML, namespaces.
    Lint(LintArgs),
    /// Show the pending `.new` files a recording (`--bless new`) wrote, as diffs; accept or reject.
    Review(ReviewArgs),
    /// Print the JSON Schema of the case format (`--fixture`: of the fixture format).
    Schema(SchemaArgs),
    /// Merge the report.json files of N shards into one report set (JUnit, JSON, HTML).
    Merge(MergeArgs),
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
struct CoverageArgs {
    /// Folder of case files.
    #[arg(long, value_name = "DIR")]
    cases: Option<PathBuf>,
    /// A report.json whose case statuses to show next to the counts.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
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
        Some(Command::Merge(args)) => merge(args),
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
    let baseline = match &baseline_path {
        Some(path) => match report::Baseline::load(path) {
            Ok(b) => Some(b),
            Err(e) => return Err(usage(e)),
        },
        None => None,
    };

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
    let config = RunConfig {
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
    Ok(outcome.exit_code(strict_baseline))
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
        tls: Default::default(),
        proxy: None,
        ..resolved
    }
}

/// The command-line part of the target description.
fn target_overrides(args: &RunArgs) -> Result<TargetOverrides, String> {
    let duration = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| config::parse_duration(t).map_err(|e| format!("--{flag}: {e}")))
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
        proxy: args.proxy.clone(),
        headers: args
            .headers
            .iter()
            .map(|h| config::parse_header(h))
            .collect::<Result<_, _>>()?,
        request_timeout: duration("timeout", &args.timeout)?,
        run_timeout: duration("run-timeout", &args.run_timeout)?,
        max_response_bytes: args
            .max_response_size
            .as_deref()
            .map(|t| config::parse_size(t).map_err(|e| format!("--max-response-size: {e}")))
            .transpose()?,
        max_throttle_wait: duration("max-throttle-wait", &args.max_throttle_wait)?,
        xml_max_depth: args.xml_max_depth,
        xml_max_namespace_bindings: args.xml_max_namespace_bindings,
        xml_max_attributes: args.xml_max_attributes,
        baseline: args.baseline.clone(),
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

fn merge(args: MergeArgs) -> Result<u8, CliError> {
    let merged = match report::merge::merge_files(&args.inputs) {
        Ok(r) => r,
        Err(e) => return Err(usage(e)),
    };
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
    for error in &outcome.errors {
        eprintln!("{error}\n");
    }
    let files: std::collections::BTreeSet<&Path> = outcome
        .errors
        .iter()
        .map(|e| e.pos.file.as_path())
        .collect();
    out(format_args!(
        "lint {}: {} case(s) load cleanly, {} error(s) in {} file(s)",
        root_dir.display(),
        outcome.cases.len(),
        outcome.errors.len(),
        files.len()
    ))?;
    Ok(if outcome.errors.is_empty() {
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
