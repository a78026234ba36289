//! Case files: the YAML model, the loader and templates.
//!
//! Owns turning `cases/**/*.yaml` (+ sidecar `.xml`) into typed, validated [`Case`]s, and every
//! load error with `file:line:col`, the source line, a caret and a did-you-mean hint. Parsing is
//! in two passes: a raw serde mirror (`deny_unknown_fields`, no `flatten`) then validation into
//! the types below. YAML goes only through [`crate::yaml`].
//!
//! The format is documented in `cases/FORMAT.md`; its JSON Schema (`cases/case.schema.json`,
//! from [`json_schema`]) is generated from the raw mirror. Inside this module:
//! - `raw`: the serde mirror (and the schema's descriptions, from its doc comments);
//! - `locate`: where each YAML value starts in the file (the backend only knows error positions);
//! - `template`: `{{expr}}` splitting, rendering, escaping;
//! - `validate`: raw -> typed, collecting every error with its exact position;
//! - `diagnostic`: source lines, did-you-mean, YAML backend errors -> [`LoadError`];
//! - [`read`]: reading files defensively (regular files only, size limit, UTF-8 with positions,
//!   BOM dropped).
//!
//! The directory walk ([`load_dir`]) visits each directory once (symlink loops are reported, not
//! followed) and takes `*.yaml` and `*.yml` alike.
//!
//! CONTRACT (used by runner, lint, schema): the items below keep these names and signatures.

mod diagnostic;
mod locate;
mod raw;
pub mod read;
pub mod schema_lint;
mod template;
mod validate;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::xml;

/// The requirement grade of a case (`grade:`), shared with the result model.
pub use crate::report::Grade;

pub use diagnostic::{did_you_mean, edit_distance};
pub use template::{Spanned, TemplateError};

// Defaults of the case format: the one place they are decided (cases/FORMAT.md documents the
// same values). RequestServerVersion has no default here: it comes from the target.

/// `options.trim`: text values are trimmed before comparing.
pub const DEFAULT_TRIM: bool = true;
/// `options.schema`: the response is validated against the EWS schema.
pub const DEFAULT_SCHEMA: bool = true;
/// `options.subset`: strict comparison; the response may not carry extra elements.
pub const DEFAULT_SUBSET: bool = false;
/// `options.compare_headers`: SOAP headers are not compared.
pub const DEFAULT_COMPARE_HEADERS: bool = false;
/// `status` when no `fault` is expected.
pub const DEFAULT_STATUS: u16 = 200;
/// `status` when a `fault` is expected (SOAP 1.1 sends faults with 500).
pub const DEFAULT_FAULT_STATUS: u16 = 500;

/// A position in a case file (or a sidecar file). 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePos {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// An EWS schema version (`t:ExchangeVersionType`); a case's `since` and a target's version
/// compare by schema order. The one table of versions is types.xsd's enumeration, read by the
/// schema engine ([`ews_schema::Schema::exchange_versions`]) and shared with the reference server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerVersion(u8);

impl ServerVersion {
    /// Every version name, oldest first (`Exchange2007` ... `V2018_01_08`).
    pub fn names() -> &'static [&'static str] {
        ews_schema::Schema::ews().exchange_versions()
    }

    /// Every version, oldest first.
    pub fn all() -> impl Iterator<Item = ServerVersion> {
        (0..Self::names().len()).map(|i| ServerVersion(i as u8))
    }

    /// The name EWS uses (`Exchange2013_SP1`, `V2016_01_06`, ...).
    pub fn as_str(self) -> &'static str {
        Self::names()[usize::from(self.0)]
    }

    /// Parses an EWS version name (exact, case-sensitive as EWS is).
    pub fn parse(text: &str) -> Option<ServerVersion> {
        Self::names()
            .iter()
            .position(|v| *v == text)
            .map(|i| ServerVersion(i as u8))
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string with `{{expr}}` segments. Variables are replaced by the runner; matcher expressions
/// (first word in [`xml::MATCHER_WORDS`]) are left in place for the XML engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub source: String,
    pub segments: Vec<Segment>,
}

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{{name}}`: a variable (built-in, configured, or captured earlier).
    Var(String),
    /// `{{any}}`, `{{bind id}}`, ...: kept verbatim (with braces) in the rendered text.
    Matcher(String),
}

/// Escaping applied to variable values when rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Values go into XML text or attributes: `& < > " '` are escaped.
    Xml,
    /// Values are inserted as they are.
    None,
}

/// A variable used by a template is not defined at render time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVar(pub String);

impl Template {
    /// Splits `text` into segments. Unclosed `{{` and bad expressions are errors.
    pub fn parse(text: &str) -> Result<Template, String> {
        Template::parse_impl(text)
    }
    /// Names of the variables the template uses, in order of appearance.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Var(v) => Some(v.as_str()),
            _ => None,
        })
    }
    /// Renders with `lookup` for variables; matchers stay as `{{...}}`.
    pub fn render(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
        escape: Escape,
    ) -> Result<String, MissingVar> {
        self.render_impl(lookup, escape)
    }
}

/// XML text from a case (inline or sidecar), with where it starts so XML positions map back to
/// the case file: XML line `l`, col `c` is at `file:(line + l - 1):(col + c - 1 if l == 1 else
/// indent + c)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlText {
    pub template: Template,
    /// Where the XML text begins.
    pub pos: SourcePos,
    /// Column offset added to XML columns on lines after the first (block scalar indent).
    pub indent: usize,
}

impl XmlText {
    /// Maps a 1-based position inside the (rendered) XML text to the case file.
    pub fn map_pos(&self, p: xml::TextPos) -> SourcePos {
        let line = p.line as usize;
        let col = p.col as usize;
        if line <= 1 {
            SourcePos {
                file: self.pos.file.clone(),
                line: self.pos.line,
                col: self.pos.col + col - 1,
            }
        } else {
            SourcePos {
                file: self.pos.file.clone(),
                line: self.pos.line + line - 1,
                col: self.indent + col,
            }
        }
    }
}

/// SOAP headers for a body-only request; unset fields take the target defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderOverrides {
    /// `RequestServerVersion/@Version`; `None` = the target default (Exchange2013).
    pub server_version: Option<String>,
    /// Send no RequestServerVersion header at all.
    pub omit_server_version: bool,
    /// `MailboxCulture` text.
    pub mailbox_culture: Option<Template>,
    /// `ExchangeImpersonation/ConnectingSID/PrimarySmtpAddress`.
    pub impersonate: Option<Template>,
    /// `TimeZoneContext/TimeZoneDefinition/@Id`.
    pub time_zone: Option<String>,
}

/// The request of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBody {
    /// A whole SOAP envelope, sent as written (after variable substitution).
    Envelope(XmlText),
    /// Only the Body content; the envelope and headers are built.
    Body {
        body: XmlText,
        headers: HeaderOverrides,
    },
    /// Raw bytes sent as they are (for malformed-XML cases); variables still substituted.
    Raw(Template),
    /// No request: the step reads documents of an open stream (`expect_stream`).
    None,
}

/// A step's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub body: RequestBody,
    /// `SOAPAction` header; `None` = derived from the operation; `Some("")` = omitted.
    pub soap_action: Option<String>,
    /// Extra HTTP headers for this step.
    pub http_headers: Vec<(String, Template)>,
    /// The endpoint of the target the request goes to (`service:`).
    pub service: Service,
}

/// Which endpoint of the target a step talks to (`service:`, on the case or the step).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// The EWS endpoint (SOAP 1.1, `Exchange.asmx`).
    #[default]
    Ews,
    /// POX Autodiscover (`/autodiscover/autodiscover.xml`): `body` is the whole request
    /// document, `expect` the whole response document.
    AutodiscoverPox,
    /// SOAP Autodiscover (`/autodiscover/autodiscover.svc`): `body` is wrapped in a SOAP
    /// envelope with WS-Addressing headers.
    AutodiscoverSoap,
}

impl Service {
    /// Every service with its name in case files.
    pub const ALL: &'static [(Service, &'static str)] = &[
        (Service::Ews, "ews"),
        (Service::AutodiscoverPox, "autodiscover-pox"),
        (Service::AutodiscoverSoap, "autodiscover-soap"),
    ];

    pub fn parse(name: &str) -> Option<Service> {
        Service::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(s, _)| *s)
    }

    pub fn name(self) -> &'static str {
        Service::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("ews", |(_, n)| n)
    }

    /// The operations of this service, when it is not EWS (whose operations are
    /// [`crate::operations`]): what a case's `operation` may name.
    pub fn autodiscover_operations(self) -> &'static [&'static str] {
        match self {
            Service::Ews => &[],
            Service::AutodiscoverPox => &["Autodiscover"],
            Service::AutodiscoverSoap => &["GetUserSettings", "GetDomainSettings"],
        }
    }

    /// Whether responses are EWS messages (validated against the EWS schema). Autodiscover
    /// responses are not: the EWS schema files do not declare them and the repository ships no
    /// Autodiscover schema.
    pub fn is_ews(self) -> bool {
        self == Service::Ews
    }
}

/// What the SOAP fault must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultExpectation {
    /// `faultcode` local name, resolved in the types namespace unless given as `{ns}local`.
    pub code: Option<xml::QName>,
    /// `detail/e:ResponseCode` text.
    pub response_code: Option<String>,
}

/// What a step's response must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// HTTP status; `None` = 200 unless a fault is expected (then 500).
    pub status: Option<u16>,
    pub fault: Option<FaultExpectation>,
    /// Expected XML: the Body's child (response element or Fault), or a whole Envelope when the
    /// root is `soap:Envelope`.
    pub xml: Option<XmlText>,
    /// Response headers the step requires (`expect_headers`), in file order.
    pub headers: Vec<HeaderExpectation>,
}

impl Expectation {
    /// Whether the step states its own `Content-Type` expectation (which replaces the default
    /// `text/xml` check).
    pub fn states_content_type(&self) -> bool {
        self.headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-type"))
    }
}

/// One `expect_headers` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderExpectation {
    /// The header name as written (compared case-insensitively).
    pub name: String,
    pub matcher: HeaderMatcher,
    /// Where the value is written in the case file.
    pub pos: SourcePos,
}

/// How a response header value must look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderMatcher {
    /// Exactly this value (after variable substitution; surrounding spaces do not count).
    Exact(Template),
    /// `{{regex RE}}`: the whole value matches RE.
    Regex(HeaderRegex),
    /// `{{any}}`: the header is present, with any value.
    Any,
    /// `{{absent}}`: the header is not in the response.
    Absent,
}

/// A compiled, anchored regular expression that compares by its source.
#[derive(Debug, Clone)]
pub struct HeaderRegex {
    /// The expression as written.
    pub source: String,
    pub regex: regex::Regex,
}

impl HeaderRegex {
    /// Compiles `source` so that it must match the whole value.
    pub fn new(source: &str) -> Result<HeaderRegex, String> {
        // Errors are reported for the expression as written, not the anchored one.
        regex::Regex::new(source).map_err(|e| match e {
            regex::Error::Syntax(text) => text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim_start_matches("error: ").to_string())
                .unwrap_or(text),
            other => other.to_string(),
        })?;
        regex::Regex::new(&format!("^(?:{source})$"))
            .map(|regex| HeaderRegex {
                source: source.to_string(),
                regex,
            })
            .map_err(|e| e.to_string())
    }
}

impl PartialEq for HeaderRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for HeaderRegex {}

impl fmt::Display for HeaderMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderMatcher::Exact(t) => write!(f, "`{}`", t.source),
            HeaderMatcher::Regex(r) => write!(f, "a value matching `{}`", r.source),
            HeaderMatcher::Any => f.write_str("present (any value)"),
            HeaderMatcher::Absent => f.write_str("absent"),
        }
    }
}

impl Expectation {
    /// The HTTP status the response must have: `status`, else 500 with a fault, else 200.
    pub fn effective_status(&self) -> u16 {
        match (self.status, &self.fault) {
            (Some(status), _) => status,
            (None, Some(_)) => DEFAULT_FAULT_STATUS,
            (None, None) => DEFAULT_STATUS,
        }
    }
}

/// A capture: take a value from the response by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub name: String,
    pub path: xml::Path,
    pub pos: SourcePos,
}

/// Per-step comparison options (case options are merged into each step's).
#[derive(Debug, Clone, Default)]
pub struct StepOptions {
    pub compare: xml::CompareOptions,
    /// Compare SOAP headers too (ServerVersionInfo is ignored otherwise).
    pub compare_headers: bool,
    /// Trim text values (default true).
    pub trim_text: bool,
    /// Validate the response against the EWS schema (default true; `options.schema: false`).
    pub schema: bool,
}

impl PartialEq for StepOptions {
    fn eq(&self, other: &Self) -> bool {
        self.compare_headers == other.compare_headers
            && self.trim_text == other.trim_text
            && self.schema == other.schema
            && self.compare.subset == other.compare.subset
            && self.compare.ignore == other.compare.ignore
            && self.compare.unordered == other.compare.unordered
    }
}

/// One request/response exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    /// The EWS operation the request invokes (root element of the body), when known.
    pub operation: Option<String>,
    pub request: Request,
    pub expect: Expectation,
    pub captures: Vec<Capture>,
    pub options: StepOptions,
    /// Steps registered to run at cleanup time once this step has run (last registered runs
    /// first). They run even when a later step fails.
    pub cleanup: Vec<Step>,
    /// Who sends it, polling and streams (`as`, `session`, `retry`, `stream`, `expect_stream`).
    pub flow: StepFlow,
    pub pos: SourcePos,
}

/// The session name of a step without `session:`.
pub const DEFAULT_SESSION: &str = "default";
/// `retry.every` when not given.
pub const DEFAULT_RETRY_EVERY: std::time::Duration = std::time::Duration::from_millis(200);
/// The longest bound `retry.within` and `expect_stream.within` accept.
pub const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// How a step runs besides its request and expectation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepFlow {
    /// `as: NAME`: the configured user who sends the request (`None` = the target's user).
    pub user: Option<String>,
    /// `session: NAME`: a session of that user with its own connections (`None` = `default`).
    pub session: Option<String>,
    /// `retry:`: send again until the response matches, within a bound.
    pub retry: Option<Retry>,
    /// `stream: NAME`: the response is a stream, kept open under this name for `expect_stream`.
    pub open_stream: Option<String>,
    /// `expect_stream:` (then the step has no request).
    pub expect_stream: Option<StreamExpectation>,
}

/// `retry: { until: match, within: 10s, every: 200ms }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    pub within: std::time::Duration,
    pub every: std::time::Duration,
}

/// `expect_stream:` — what the next documents of an open stream must show, within a bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamExpectation {
    /// The stream's name (opened by an earlier step's `stream: NAME`).
    pub stream: String,
    pub within: std::time::Duration,
    /// `closes: true`: after the matching document (if `expect` is given) the stream must end.
    pub closes: bool,
}

/// A validated case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Path below the cases root without `.yaml`, `/`-separated: `im/remove_contact_from_group`.
    pub id: String,
    /// The case file.
    pub file: PathBuf,
    pub title: String,
    /// EWS operations exercised; the first is the main one.
    pub operations: Vec<String>,
    /// Minimum server version.
    pub since: ServerVersion,
    pub tags: Vec<String>,
    /// Spec reference (page/section/URL).
    pub spec: Option<String>,
    /// Not run unless `--ignored`; the reason is shown.
    pub ignore: Option<String>,
    /// What kind of requirement the case checks (`grade:`; `required` by default).
    pub grade: Grade,
    pub steps: Vec<Step>,
    /// Case-level cleanup, run after step cleanups, always.
    pub cleanup: Vec<Step>,
}

impl Case {
    /// Operation family = first path component of the id (`im`).
    pub fn family(&self) -> &str {
        self.id.split('/').next().unwrap_or(&self.id)
    }
}

/// A load error, rendered like a compiler diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The case id the file would have had (so a failing trial can carry it).
    pub case_id: String,
    pub pos: SourcePos,
    pub message: String,
    /// The offending source line, for the caret display.
    pub source_line: Option<String>,
    /// e.g. "did you mean `expect`?"
    pub help: Option<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The gutter is as wide as the line number, like rustc's.
        let num = self.pos.line.to_string();
        let pad = " ".repeat(num.len());
        writeln!(f, "error: {}", self.message)?;
        write!(f, "{pad}--> {}", self.pos)?;
        if let Some(line) = &self.source_line {
            // The caret goes under the column: count characters, keep tabs as tabs.
            let width = self.pos.col.saturating_sub(1);
            let mut under: String = line
                .chars()
                .take(width)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            under.extend(std::iter::repeat_n(' ', width - under.chars().count()));
            write!(f, "\n{pad} |\n{num} | {line}\n{pad} | {under}^")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n{pad} = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// What loading a tree of cases produced: the good cases and every error.
#[derive(Debug, Default)]
pub struct LoadOutcome {
    pub cases: Vec<Case>,
    pub errors: Vec<LoadError>,
}

/// Loads every `*.yaml` (or `*.yml`) case below `root` (sorted by id). `known_vars` are the
/// variables the target defines (built-ins + configured); anything else must be captured by an
/// earlier step. Each directory is walked once: a symbolic link leading back to a directory
/// already walked (a loop) is reported as an error and not followed.
pub fn load_dir(root: &Path, known_vars: &BTreeSet<String>) -> LoadOutcome {
    let mut files = Vec::new();
    let mut outcome = LoadOutcome::default();
    let mut walked = BTreeSet::new();
    collect_case_files(root, &mut walked, &mut files, &mut outcome.errors);
    for error in &mut outcome.errors {
        // A directory error is reported under the directory's own id (`im/linked`).
        error.case_id = case_id(root, &error.pos.file);
    }
    let mut files: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|file| (case_id(root, &file), file))
        .collect();
    files.sort();
    let mut previous: Option<(String, PathBuf)> = None;
    let mut case_texts: Vec<String> = Vec::new();
    for (id, file) in files {
        if let Some((_, first)) = previous.as_ref().filter(|(p, _)| *p == id) {
            outcome.errors.push(LoadError {
                case_id: id.clone(),
                pos: SourcePos {
                    file: file.clone(),
                    line: 1,
                    col: 1,
                },
                message: format!(
                    "case id `{id}` is already taken by `{}`; this file is not loaded",
                    first.display()
                ),
                source_line: None,
                help: Some("keep one of the `.yaml`/`.yml` files".into()),
            });
            continue;
        }
        match load_file(root, &file, known_vars) {
            Ok(case) => outcome.cases.push(case),
            Err(errors) => outcome.errors.extend(errors),
        }
        previous = Some((id, file.clone()));
        // Read defensively (a FIFO named `*.yaml` must not block the walk).
        case_texts.push(read::read_text(&file).unwrap_or_default());
    }
    // A fixture no case uses is checked on its own (a used one is checked through its cases).
    for fixture in fixture_files(root) {
        let named = fixture
            .strip_prefix(root)
            .unwrap_or(&fixture)
            .to_string_lossy()
            .replace('\\', "/");
        if case_texts.iter().any(|t| t.contains(&named)) {
            continue;
        }
        outcome
            .errors
            .extend(validate::check_fixture(root, &fixture, &named, known_vars));
    }
    outcome
}

/// Every `*.yaml`/`*.yml` file in a `_fixtures/` folder below `root` (not following links).
fn fixture_files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, inside: bool, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let link = path
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink());
            if path.is_dir() && !link && depth < 32 {
                let fixtures = inside || path.file_name().is_some_and(|n| n == FIXTURES_DIR);
                walk(&path, fixtures, depth + 1, out);
            } else if inside && path.is_file() && is_case_file_name(&path) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, false, 0, &mut out);
    out
}

/// Folders of this name hold fixtures (shared setup steps), never cases: the walk skips them.
pub const FIXTURES_DIR: &str = "_fixtures";

/// Whether `path` names a case file by its extension (`.yaml` or `.yml`).
pub fn is_case_file_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "yaml" || ext == "yml")
}

fn dir_error(dir: &Path, message: String) -> LoadError {
    LoadError {
        case_id: String::new(),
        pos: SourcePos {
            file: dir.to_path_buf(),
            line: 1,
            col: 1,
        },
        message,
        source_line: None,
        help: None,
    }
}

/// Every case file below `dir`; unreadable directories and symlink loops become errors.
/// `walked` holds the canonical path of every directory already walked.
fn collect_case_files(
    dir: &Path,
    walked: &mut BTreeSet<PathBuf>,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<LoadError>,
) {
    match std::fs::canonicalize(dir) {
        Ok(real) => {
            if !walked.insert(real.clone()) {
                errors.push(LoadError {
                    help: Some("remove the link or point it outside the cases folder".into()),
                    ..dir_error(
                        dir,
                        format!(
                            "symbolic link loop: `{}` leads to `{}`, which is already walked; \
                             not followed",
                            dir.display(),
                            real.display()
                        ),
                    )
                });
                return;
            }
        }
        Err(e) => {
            errors.push(dir_error(
                dir,
                format!("cannot read the case directory: {e}"),
            ));
            return;
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(dir_error(
                dir,
                format!("cannot read the case directory: {e}"),
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() && path.file_name().is_some_and(|n| n == FIXTURES_DIR) {
            // Fixtures are step files cases use, not cases.
            continue;
        }
        if path.is_dir() {
            collect_case_files(&path, walked, files, errors);
        } else if is_case_file_name(&path) {
            // Non-regular files (FIFO, device) are refused by the reader with a clear error.
            files.push(path);
        }
    }
}

/// `root/im/add_group.yaml` -> `im/add_group`.
fn case_id(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root).unwrap_or(file);
    let relative = if is_case_file_name(relative) {
        relative.with_extension("")
    } else {
        relative.to_path_buf()
    };
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Loads one case file; `root` is the cases root used to derive the id.
pub fn load_file(
    root: &Path,
    file: &Path,
    known_vars: &BTreeSet<String>,
) -> Result<Case, Vec<LoadError>> {
    let case_id = case_id(root, file);
    let text = read::read_text(file).map_err(|e| {
        vec![LoadError {
            case_id: case_id.clone(),
            pos: SourcePos {
                file: file.to_path_buf(),
                line: e.line,
                col: e.col,
            },
            message: e.message,
            source_line: None,
            help: e.help,
        }]
    })?;
    if text.trim().is_empty() {
        return Err(vec![LoadError {
            case_id,
            pos: SourcePos {
                file: file.to_path_buf(),
                line: 1,
                col: 1,
            },
            message: "the case file is empty".to_string(),
            source_line: None,
            help: Some("a case needs at least `title`, `operation`, `since` and `steps`".into()),
        }]);
    }
    let mut sources = diagnostic::Sources::default();
    sources.add(file, &text);
    let tags = crate::yaml::custom_tags(&text);
    if !tags.is_empty() {
        return Err(tags
            .into_iter()
            .map(|(tag, line, col)| {
                let pos = SourcePos {
                    file: file.to_path_buf(),
                    line,
                    col,
                };
                sources.error(
                    &case_id,
                    pos,
                    format!("unknown YAML tag `{tag}`; the case format has no tags"),
                    Some("remove the tag (quote the value if it starts with `!`)".into()),
                )
            })
            .collect());
    }
    let outline = locate::Outline::new(&text);
    let raw: raw::RawCase = crate::yaml::from_str(&text).map_err(|e| {
        let first = diagnostic::from_yaml_error(&e, &case_id, file, &sources, &outline);
        if !first.message.starts_with("unknown key") {
            return vec![first];
        }
        // The backend stops at the first unknown key; report the others too.
        let mut errors = vec![first];
        for unknown in validate::unknown_keys(&outline) {
            if errors
                .iter()
                .any(|e| e.pos.line == unknown.line && e.pos.col == unknown.col)
            {
                continue;
            }
            let allowed: Vec<&str> = unknown.allowed.iter().map(String::as_str).collect();
            let pos = SourcePos {
                file: file.to_path_buf(),
                line: unknown.line,
                col: unknown.col,
            };
            let place = if unknown.within.is_empty() {
                String::new()
            } else {
                format!(" in `{}`", unknown.within)
            };
            errors.push(sources.error(
                &case_id,
                pos,
                format!("unknown key `{}`{place}", unknown.key),
                diagnostic::suggestion(&unknown.key, &allowed),
            ));
        }
        errors.sort_by_key(|e| (e.pos.line, e.pos.col));
        errors
    })?;
    let mut validator = validate::Validator {
        case_id,
        file: file.to_path_buf(),
        root: root.to_path_buf(),
        outline,
        sources,
        known: known_vars,
        errors: Vec::new(),
        service: Service::default(),
    };
    let case = validator.case(raw);
    let mut errors = validator.errors;
    match case {
        Some(case) if errors.is_empty() => Ok(case),
        _ => {
            // File order: the case file first, then sidecars; by line and column.
            errors.sort_by(|a, b| {
                (a.pos.file != file, &a.pos.file, a.pos.line, a.pos.col).cmp(&(
                    b.pos.file != file,
                    &b.pos.file,
                    b.pos.line,
                    b.pos.col,
                ))
            });
            Err(errors)
        }
    }
}

/// JSON Schema (draft 2020-12) of the fixture file format (`cases/<family>/_fixtures/*.yaml`),
/// pretty-printed.
pub fn fixture_json_schema() -> String {
    let schema = schemars::schema_for!(raw::RawFixture);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// JSON Schema (draft 2020-12) of the case file format, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(raw::RawCase);
    // Serializing a JSON value to a string cannot fail.
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// Where the recorder may rewrite one step of a case file, as byte offsets into its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEdit {
    /// Indentation (spaces) of the step's keys.
    pub key_indent: usize,
    /// The step's `expect` value: from just after `expect:` to the end of its last line (the
    /// line break after it is not included). `None` when the step has no `expect`.
    pub expect: Option<std::ops::Range<usize>>,
    /// Where a new `expect:` line goes when there is none: the start of the line after the
    /// request value.
    pub insert_at: usize,
}

/// The edit points of `steps[index]` of the case file `text`, or `None` when the step is not
/// written as a block mapping (flow style, `- { ... }`) and cannot be rewritten in place.
pub fn step_edit(text: &str, index: usize) -> Option<StepEdit> {
    let outline = locate::Outline::new(text);
    let keys = outline.keys(&format!("steps[{index}]"));
    let first = keys.first()?;
    // A flow mapping has its keys on one line; a block mapping one key per line.
    if keys.iter().skip(1).any(|(_, line, _)| *line == first.1) {
        return None;
    }
    let key_indent = first.2 - 1;
    if keys.iter().any(|(_, _, col)| *col - 1 != key_indent) {
        return None;
    }
    // Byte offset of the start of each line.
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let line_text = |line: usize| -> &str {
        let start = starts[line - 1];
        let end = starts.get(line).map_or(text.len(), |next| next - 1);
        text[start..end].trim_end_matches('\r')
    };
    let line_count = starts.len() - usize::from(text.ends_with('\n'));
    // The last line of the value of the key on `line`: following lines indented deeper than
    // the keys (blank lines in between belong to it).
    let value_end_line = |line: usize| -> usize {
        let mut last = line;
        for l in line + 1..=line_count {
            let t = line_text(l);
            if t.trim().is_empty() {
                continue;
            }
            let indent = t.len() - t.trim_start_matches(' ').len();
            if indent <= key_indent {
                break;
            }
            last = l;
        }
        last
    };
    let line_end = |line: usize| starts[line - 1] + line_text(line).len();
    let expect = keys
        .iter()
        .find(|(k, _, _)| k == "expect")
        .map(|(_, line, col)| {
            let start = starts[line - 1] + (col - 1) + "expect:".len();
            start..line_end(value_end_line(*line))
        });
    const REQUEST_KEYS: &[&str] = &[
        "body",
        "envelope",
        "raw",
        "body_file",
        "envelope_file",
        "raw_file",
    ];
    let request_line = keys
        .iter()
        .find(|(k, _, _)| REQUEST_KEYS.contains(&k.as_str()))
        .map(|(_, line, _)| *line)?;
    let end = value_end_line(request_line);
    let insert_at = starts.get(end).copied().unwrap_or(text.len());
    Some(StepEdit {
        key_indent,
        expect,
        insert_at,
    })
}
