//! Validation: from the raw serde mirror to typed [`Case`]s, collecting every error it can find
//! (each with its exact position) instead of stopping at the first.
//!
//! What is checked: exactly one request per step, operation names, versions, templates
//! (unknown variables, matchers in requests, unclosed `{{`), well-formedness of body / envelope
//! / expect XML (with placeholder values), `https://` EWS namespaces, capture and option paths,
//! matcher syntax, fault codes, header names, duplicate step names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::diagnostic::{Sources, did_you_mean};
use super::locate::{Located, Outline};
use super::raw::{RawCase, RawFault, RawHeaders, RawOptions, RawStep};
use super::template::{Spanned, TemplateError, placeholder_text};
use super::{
    Case, DEFAULT_COMPARE_HEADERS, DEFAULT_SCHEMA, DEFAULT_SUBSET, DEFAULT_TRIM, FaultExpectation,
    HeaderOverrides, LoadError, RequestBody, Segment, ServerVersion, SourcePos, Step, StepOptions,
    Template, XmlText,
};
use super::{Grade, Service};
use crate::target::vars;
use crate::{operations, xml};

mod fixture;
mod step;

pub use fixture::check_fixture;

use step::{StepKind, StepPlace};

/// The word in `headers.server_version` that sends no RequestServerVersion header.
pub const NO_SERVER_VERSION: &str = "none";

/// Namespaces the documentation sometimes writes with `https://`; real servers use `http://`.
const HTTPS_NAMESPACES: &[&str] = &[
    "https://schemas.microsoft.com/",
    "https://schemas.xmlsoap.org/",
];

/// Root element wrapped around a body or an expectation to predeclare the standard prefixes.
const WRAPPER: &str = "end-of-text";

/// Everything validation needs about one case file.
pub struct Validator<'a> {
    pub case_id: String,
    pub file: PathBuf,
    /// The cases root (fixture paths are relative to it).
    pub root: PathBuf,
    pub outline: Outline,
    pub sources: Sources,
    pub known: &'a BTreeSet<String>,
    pub errors: Vec<LoadError>,
    /// The case's `service:` (what its steps talk to unless they say otherwise).
    pub service: Service,
}

/// Where a template's text is: an inline YAML value or a sidecar file.
#[derive(Debug, Clone)]
struct Origin {
    pos: SourcePos,
    indent: usize,
    /// Source lines of a folded plain scalar (see [`Located::folded`]).
    folded: Vec<(usize, usize, usize)>,
}

impl Origin {
    fn to_xml_text(&self, template: Template) -> XmlText {
        XmlText {
            template,
            pos: self.pos.clone(),
            indent: self.indent,
        }
    }

    /// The file position of byte `offset` of `text` (text read from this origin).
    fn pos_of(&self, text: &str, offset: usize) -> SourcePos {
        // Offsets come from the XML parser and templates; never cut inside a character.
        let mut cut = offset.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let before = &text[..cut];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        self.map(line, col)
    }

    fn map(&self, line: usize, col: usize) -> SourcePos {
        if line == 1 && !self.folded.is_empty() {
            // Column `col` of the folded value: walk the source lines it was joined from.
            let mut rest = col.saturating_sub(1);
            for &(file_line, file_col, len) in &self.folded {
                if rest <= len {
                    return SourcePos {
                        file: self.pos.file.clone(),
                        line: file_line,
                        col: file_col + rest,
                    };
                }
                rest -= len + 1;
            }
        }
        let tp = xml::TextPos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        };
        self.to_xml_text(Template {
            source: String::new(),
            segments: Vec::new(),
        })
        .map_pos(tp)
    }
}

/// The request keys of a step, the ones of which exactly one must be given.
const REQUEST_KEYS: &[&str] = &[
    "body",
    "envelope",
    "raw",
    "body_file",
    "envelope_file",
    "raw_file",
];

/// Names a step may use, and who captures the ones it may not use yet (for the help text).
struct Scope<'s> {
    available: &'s BTreeSet<String>,
    /// name -> step that captures it later.
    later: &'s BTreeMap<String, String>,
    /// fixture alias -> what it exports (for the help of an unknown `ALIAS.NAME`).
    fixtures: &'s BTreeMap<String, String>,
}

/// Case options after validation, ready to merge into each step's.
#[derive(Default)]
struct BaseOptions {
    ignore: Vec<xml::Path>,
    unordered: Vec<xml::Path>,
    subset: Option<bool>,
    compare_headers: Option<bool>,
    trim: Option<bool>,
    schema: Option<bool>,
}

impl Validator<'_> {
    fn here(&self, located: &Located) -> SourcePos {
        SourcePos {
            file: self.file.clone(),
            line: located.line,
            col: located.col,
        }
    }

    fn value_pos(&self, path: &str) -> SourcePos {
        self.here(&self.outline.value(path))
    }

    fn key_pos(&self, path: &str) -> SourcePos {
        self.here(&self.outline.key(path))
    }

    fn error(&mut self, pos: SourcePos, message: impl Into<String>, help: Option<String>) {
        let error = self.sources.error(&self.case_id, pos, message, help);
        self.errors.push(error);
    }

    fn error_at_value(&mut self, path: &str, message: impl Into<String>, help: Option<String>) {
        let pos = self.value_pos(path);
        self.error(pos, message, help);
    }

    fn error_at_key(&mut self, path: &str, message: impl Into<String>, help: Option<String>) {
        let pos = self.key_pos(path);
        self.error(pos, message, help);
    }

    fn inline_origin(&self, path: &str) -> Origin {
        let located = self.outline.value(path);
        Origin {
            pos: self.here(&located),
            indent: located.indent,
            folded: located.folded,
        }
    }

    /// Validates a whole case. Errors are left in `self.errors`.
    pub fn case(&mut self, raw: RawCase) -> Option<Case> {
        let title = raw.title.trim().to_string();
        if title.is_empty() {
            self.error_at_value("title", "the title is empty", None);
        }
        if let Some(service) = self.service_named(raw.service.as_deref(), "service") {
            self.service = service;
        }
        let operations = self.operations(raw.operation, raw.operations);
        let since = self.since(&raw.since);
        let tags = raw.tags.unwrap_or_default();
        for (i, tag) in tags.iter().enumerate() {
            if tag.trim().is_empty() || tag.contains(char::is_whitespace) {
                self.error_at_value(
                    &format!("tags[{i}]"),
                    format!("tag `{tag}` is empty or contains spaces"),
                    None,
                );
            }
        }
        if raw.ignore.as_deref().is_some_and(|r| r.trim().is_empty()) {
            self.error_at_value("ignore", "`ignore` needs a reason", None);
        }
        let grade = match raw.grade.as_deref() {
            None | Some("required") => Grade::Required,
            Some("recommended") => Grade::Recommended,
            Some(other) => {
                self.error_at_value(
                    "grade",
                    format!("unknown grade `{other}`"),
                    Some("use `required` (a MUST of the documentation) or `recommended` (Exchange's behaviour where the documentation is silent)".to_string()),
                );
                Grade::Required
            }
        };
        let base = match raw.options {
            Some(options) => self.base_options(options, "options"),
            None => BaseOptions::default(),
        };
        if raw.steps.is_empty() {
            self.error_at_key("steps", "a case needs at least one step", None);
        }

        let mut base_vars: BTreeSet<String> = self.known.clone();
        base_vars.insert(vars::RUN_ID.to_string());
        let uses = self.uses(raw.uses.unwrap_or_default(), &base_vars);
        let mut available = base_vars.clone();
        available.extend(uses.exported.iter().cloned());
        let (own_steps, available) =
            self.main_steps(raw.steps, &base, available, &base_vars, &uses.help);
        let mut steps = uses.steps;
        steps.extend(own_steps);

        let empty_later = BTreeMap::new();
        let scope = Scope {
            available: &available,
            later: &empty_later,
            fixtures: &uses.help,
        };
        let mut cleanup = Vec::new();
        for (i, raw_cleanup) in raw.cleanup.unwrap_or_default().into_iter().enumerate() {
            let place = StepPlace {
                path: format!("cleanup[{i}]"),
                scope: &scope,
                base: &base,
                kind: StepKind::Cleanup {
                    default_name: format!("case cleanup {}", i + 1),
                },
            };
            if let Some(step) = self.step(raw_cleanup, &place) {
                cleanup.push(step);
            }
        }

        if !self.errors.is_empty() {
            return None;
        }
        Some(Case {
            id: self.case_id.clone(),
            file: self.file.clone(),
            title,
            operations: operations?,
            since: since?,
            tags,
            spec: raw.spec,
            ignore: raw.ignore,
            grade,
            steps,
            cleanup,
        })
    }

    /// Validates `steps` (of a case or a fixture): names unique, each step's variables in scope.
    /// `available` is what the first step may use; returns the steps and what the case-level
    /// cleanup may use.
    fn main_steps(
        &mut self,
        raw_steps: Vec<RawStep>,
        base: &BaseOptions,
        mut available: BTreeSet<String>,
        base_vars: &BTreeSet<String>,
        fixtures: &BTreeMap<String, String>,
    ) -> (Vec<Step>, BTreeSet<String>) {
        // Captures per step, gathered first so an unknown variable can name the later step.
        let captures: Vec<Vec<String>> = raw_steps
            .iter()
            .map(|step| self.step_capture_names(step))
            .collect();
        let step_names: Vec<String> = raw_steps
            .iter()
            .map(|s| s.name.clone().unwrap_or_default())
            .collect();
        for (i, names) in captures.iter().enumerate() {
            for name in names {
                if base_vars.contains(name) {
                    // At the `capture:` key when it is one, else at the step (a `{{bind}}`).
                    self.error_at_key(
                        &format!("steps[{i}].capture.{name}"),
                        format!("capture `{name}` would hide the target variable of that name"),
                        Some("choose another name".to_string()),
                    );
                }
            }
        }

        let mut steps = Vec::new();
        let mut names_seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut streams: Vec<String> = Vec::new();
        for (i, raw_step) in raw_steps.into_iter().enumerate() {
            let path = format!("steps[{i}]");
            let first = match &raw_step.name {
                Some(name) => *names_seen.entry(name.clone()).or_insert(i),
                None => i,
            };
            if first != i {
                self.error_at_value(
                    &format!("{path}.name"),
                    format!("step name `{}` is used twice", step_names[i]),
                    Some(format!(
                        "the first is step {} (line {}); names must be unique",
                        first + 1,
                        self.value_pos(&format!("steps[{first}].name")).line
                    )),
                );
            }
            let later: BTreeMap<String, String> = captures
                .iter()
                .enumerate()
                .skip(i + 1)
                .rev()
                .flat_map(|(j, names)| names.iter().map(move |n| (n.clone(), j)))
                .map(|(n, j)| (n, format!("step {} `{}`", j + 1, step_names[j])))
                .collect();
            let scope = Scope {
                available: &available,
                later: &later,
                fixtures,
            };
            let place = StepPlace {
                path,
                scope: &scope,
                base,
                kind: StepKind::Main {
                    captures: &captures[i],
                },
            };
            self.check_stream_names(&raw_step, &place.path, &mut streams);
            if let Some(step) = self.step(raw_step, &place) {
                steps.push(step);
            }
            available.extend(captures[i].iter().cloned());
        }

        (steps, available)
    }

    /// A stream is read only after an earlier step opened it, and opened once.
    fn check_stream_names(&mut self, raw: &RawStep, path: &str, opened: &mut Vec<String>) {
        if let Some(read) = &raw.expect_stream
            && !opened.contains(&read.stream)
        {
            let help = match opened.as_slice() {
                [] => format!(
                    "open it first: `stream: {}` on the step that sends GetStreamingEvents",
                    read.stream
                ),
                names => format!("streams opened before this step: {}", names.join(", ")),
            };
            self.error_at_value(
                &format!("{path}.expect_stream.stream"),
                format!("no earlier step opens the stream `{}`", read.stream),
                Some(help),
            );
        }
        if let Some(name) = &raw.stream {
            if opened.contains(name) {
                self.error_at_value(
                    &format!("{path}.stream"),
                    format!("the stream `{name}` is opened twice"),
                    Some("give each stream its own name".into()),
                );
            } else {
                opened.push(name.clone());
            }
        }
    }

    /// Names a step captures (`capture:` keys and `{{bind NAME}}` in its expectation, inline or
    /// in the sidecar), read without the XML engine so that every scope is known before any step
    /// is validated. Unreadable sidecars are reported when the step is validated.
    fn step_capture_names(&self, step: &RawStep) -> Vec<String> {
        let mut names: Vec<String> = step
            .capture
            .as_ref()
            .map(|p| p.0.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        if let Some(expect) = &step.expect {
            names.extend(bind_names(expect));
        }
        if let Some(file) = &step.expect_file {
            let dir = self.file.parent().unwrap_or(Path::new(""));
            if let Ok(text) = super::read::read_text(&dir.join(file)) {
                names.extend(bind_names(&text));
            }
        }
        names
    }

    fn operations(
        &mut self,
        one: Option<String>,
        many: Option<Vec<String>>,
    ) -> Option<Vec<String>> {
        let (names, paths): (Vec<String>, Vec<String>) = match (one, many) {
            (Some(_), Some(_)) => {
                self.error_at_key(
                    "operations",
                    "give either `operation` or `operations`, not both",
                    None,
                );
                return None;
            }
            (None, None) => {
                self.error(
                    SourcePos {
                        file: self.file.clone(),
                        line: 1,
                        col: 1,
                    },
                    "missing key `operation` (or `operations`): the EWS operation the case exercises",
                    None,
                );
                return None;
            }
            (Some(op), None) => (vec![op], vec!["operation".to_string()]),
            (None, Some(ops)) => {
                if ops.is_empty() {
                    self.error_at_value("operations", "`operations` is empty", None);
                    return None;
                }
                let paths = (0..ops.len()).map(|i| format!("operations[{i}]")).collect();
                (ops, paths)
            }
        };
        let mut ok = true;
        let service_operations = self.service.autodiscover_operations();
        for (name, path) in names.iter().zip(&paths) {
            if service_operations.contains(&name.as_str()) {
                continue;
            }
            if !service_operations.is_empty() {
                ok = false;
                self.error_at_value(
                    path,
                    format!(
                        "`{name}` is not an operation of service `{}`",
                        self.service.name()
                    ),
                    Some(format!("use one of {}", service_operations.join(", "))),
                );
                continue;
            }
            if operations::find(name).is_none() {
                ok = false;
                let help = did_you_mean(name, operations::ALL.iter().map(|op| op.name))
                    .map(|best| format!("did you mean `{best}`?"));
                self.error_at_value(path, format!("unknown EWS operation `{name}`"), help);
            }
        }
        ok.then_some(names)
    }

    /// A `service:` value; `None` when absent or unknown (then an error is recorded).
    pub(super) fn service_named(&mut self, name: Option<&str>, path: &str) -> Option<Service> {
        let name = name?;
        let service = Service::parse(name);
        if service.is_none() {
            let names = Service::ALL.iter().map(|(_, n)| *n);
            self.error_at_value(
                path,
                format!("unknown service `{name}`"),
                Some(match did_you_mean(name, names) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "use ews, autodiscover-pox or autodiscover-soap".into(),
                }),
            );
        }
        service
    }

    fn since(&mut self, text: &str) -> Option<ServerVersion> {
        let version = ServerVersion::parse(text);
        if version.is_none() {
            self.bad_version("since", text);
        }
        version
    }

    fn bad_version(&mut self, path: &str, text: &str) {
        let names: Vec<&str> = ServerVersion::names().to_vec();
        let help = did_you_mean(text, names.iter().copied())
            .map(|best| format!("did you mean `{best}`?"))
            .or_else(|| Some(format!("versions: {}", names.join(", "))));
        self.error_at_value(path, format!("unknown server version `{text}`"), help);
    }

    fn base_options(&mut self, raw: RawOptions, path: &str) -> BaseOptions {
        BaseOptions {
            ignore: self.paths(raw.ignore.unwrap_or_default(), &format!("{path}.ignore")),
            unordered: self.paths(
                raw.unordered.unwrap_or_default(),
                &format!("{path}.unordered"),
            ),
            subset: raw.subset,
            compare_headers: raw.compare_headers,
            trim: raw.trim,
            schema: raw.schema,
        }
    }

    fn paths(&mut self, texts: Vec<String>, path: &str) -> Vec<xml::Path> {
        let mut out = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            match xml::Path::parse(text) {
                Ok(p) => out.push(p),
                Err(message) => {
                    self.error_at_value(&format!("{path}[{i}]"), path_message(text, &message), None)
                }
            }
        }
        out
    }

    /// Validates one step (or cleanup step). `own_captures` is given for top-level steps: their
    /// cleanup may use them.
    #[allow(clippy::too_many_arguments)]
    /// Reads a sidecar file named at `key_path` (relative to the case file).
    fn sidecar(&mut self, relative: &str, key_path: &str) -> Option<(String, Origin)> {
        let dir = self.file.parent().unwrap_or(Path::new(""));
        let file = dir.join(relative);
        match super::read::read_text(&file) {
            Ok(text) => {
                self.sources.add(&file, &text);
                Some((
                    text,
                    Origin {
                        pos: SourcePos {
                            file,
                            line: 1,
                            col: 1,
                        },
                        indent: 0,
                        folded: Vec::new(),
                    },
                ))
            }
            Err(e) if e.in_content => {
                let pos = SourcePos {
                    file,
                    line: e.line,
                    col: e.col,
                };
                self.error(pos, e.message, e.help);
                None
            }
            Err(e) => {
                let help = e
                    .help
                    .or_else(|| Some("sidecar paths are relative to the case file".into()));
                self.error_at_value(key_path, e.message, help);
                None
            }
        }
    }

    /// The request body of the given kind, and the operation it invokes.
    fn request_body(
        &mut self,
        key: &str,
        text: String,
        path: &str,
        scope: &Scope<'_>,
        headers: Option<&RawHeaders>,
    ) -> Option<(RequestBody, Option<String>)> {
        let key_path = format!("{path}.{key}");
        let (text, origin) = if key.ends_with("_file") {
            self.sidecar(&text, &key_path)?
        } else {
            let origin = self.inline_origin(&key_path);
            (text, origin)
        };
        let kind = key.trim_end_matches("_file");
        if kind == "raw" {
            let template = self.request_template(&text, &origin, scope)?;
            return Some((RequestBody::Raw(template), None));
        }
        let (template, spans) = self.template(&text, &origin)?;
        let mut ok = self.check_request_spans(&text, &spans, &origin, scope);
        let wrap = kind == "body";
        if let Some(at) = text.find("<?xml").filter(|_| wrap) {
            ok = false;
            self.error(
                origin.pos_of(&text, at),
                "a body must not have an XML declaration: it is placed inside the envelope",
                Some("remove the `<?xml ...?>` line, or write a whole `envelope`".into()),
            );
        }
        ok &= self.check_https(&text, &origin);
        // The declaration is reported above; the well-formedness check (which refuses a
        // declaration inside the envelope) should not report it a second time.
        let declared = text.find("<?xml").filter(|_| wrap).map(|at| {
            let end = text[at..].find("?>").map_or(text.len(), |e| at + e + 2);
            format!("{}{}{}", &text[..at], " ".repeat(end - at), &text[end..])
        });
        let xml_text = declared.as_deref().unwrap_or(&text);
        let doc = self.check_xml(xml_text, &spans, &origin, Checked::for_request(wrap));
        let operation = match &doc {
            Some(doc) if wrap => {
                let first = first_child_element(&doc.root);
                if first.is_none() {
                    self.error(origin.pos.clone(), "the body has no element", None);
                    ok = false;
                }
                first.map(|e| e.name.local.clone())
            }
            Some(doc) => {
                if doc.root.name.local != "Envelope" {
                    self.error(
                        origin.pos.clone(),
                        format!(
                            "an envelope's root element must be `soap:Envelope`, not `{}`",
                            doc.root.name.local
                        ),
                        Some("use `body:` to send only the Body content".into()),
                    );
                    ok = false;
                }
                doc.root
                    .children
                    .iter()
                    .filter_map(as_element)
                    .find(|e| e.name.local == "Body")
                    .and_then(first_child_element)
                    .map(|e| e.name.local.clone())
            }
            None => {
                ok = false;
                None
            }
        };
        let xml_text = origin.to_xml_text(template);
        let body = if kind == "body" {
            let headers = self.headers(headers, path, scope);
            RequestBody::Body {
                body: xml_text,
                headers: headers?,
            }
        } else {
            RequestBody::Envelope(xml_text)
        };
        // The two OOF operations' and GetUserAvailability's body elements end in `Request`.
        let operation = operation.map(|n| {
            let n: &str = n.as_ref();
            match n {
                "GetUserOofSettingsRequest"
                | "SetUserOofSettingsRequest"
                | "GetUserAvailabilityRequest" => n.trim_end_matches("Request").to_string(),
                // SOAP Autodiscover bodies: `GetUserSettingsRequestMessage`.
                n if n.ends_with("RequestMessage") => {
                    n.trim_end_matches("RequestMessage").to_string()
                }
                other => other.to_string(),
            }
        });
        ok.then_some((body, operation))
    }

    fn headers(
        &mut self,
        raw: Option<&RawHeaders>,
        path: &str,
        scope: &Scope<'_>,
    ) -> Option<HeaderOverrides> {
        let Some(raw) = raw else {
            return Some(HeaderOverrides::default());
        };
        let mut ok = true;
        let mut headers = HeaderOverrides::default();
        if let Some(version) = &raw.server_version {
            if version == NO_SERVER_VERSION {
                headers.omit_server_version = true;
            } else if let Some(v) = ServerVersion::parse(version) {
                headers.server_version = Some(v.as_str().to_string());
            } else {
                ok = false;
                self.bad_version(&format!("{path}.headers.server_version"), version);
            }
        }
        if let Some(text) = &raw.mailbox_culture {
            let origin = self.inline_origin(&format!("{path}.headers.mailbox_culture"));
            headers.mailbox_culture = self.request_template(text, &origin, scope);
            ok &= headers.mailbox_culture.is_some();
        }
        if let Some(text) = &raw.impersonate {
            let origin = self.inline_origin(&format!("{path}.headers.impersonate"));
            headers.impersonate = self.request_template(text, &origin, scope);
            ok &= headers.impersonate.is_some();
        }
        if let Some(zone) = &raw.time_zone {
            if zone.trim().is_empty() {
                ok = false;
                self.error_at_value(
                    &format!("{path}.headers.time_zone"),
                    "`time_zone` is empty",
                    None,
                );
            }
            headers.time_zone = Some(zone.clone());
        }
        ok.then_some(headers)
    }

    fn fault(&mut self, raw: &RawFault, path: &str) -> FaultExpectation {
        let code = raw.code.as_deref().and_then(|text| {
            parse_fault_code(text)
                .map_err(|message| {
                    self.error_at_value(&format!("{path}.fault.code"), message, None)
                })
                .ok()
        });
        FaultExpectation {
            code,
            response_code: raw.response_code.clone(),
        }
    }

    /// Parses a template, reporting a bad expression at its position.
    fn template(&mut self, text: &str, origin: &Origin) -> Option<(Template, Vec<Spanned>)> {
        match Template::parse_spanned(text) {
            Ok(parsed) => Some(parsed),
            Err(TemplateError { offset, message }) => {
                self.error(origin.pos_of(text, offset), message, None);
                None
            }
        }
    }

    /// A template in a request: variables must be in scope, matchers are not allowed.
    fn request_template(
        &mut self,
        text: &str,
        origin: &Origin,
        scope: &Scope<'_>,
    ) -> Option<Template> {
        let (template, spans) = self.template(text, origin)?;
        self.check_request_spans(text, &spans, origin, scope)
            .then_some(template)
    }

    fn check_request_spans(
        &mut self,
        text: &str,
        spans: &[Spanned],
        origin: &Origin,
        scope: &Scope<'_>,
    ) -> bool {
        let mut ok = true;
        for span in spans {
            match &span.segment {
                Segment::Literal(_) => {}
                Segment::Var(name) => ok &= self.check_var(name, text, span, origin, scope),
                Segment::Matcher(expr) => {
                    ok = false;
                    self.error(
                        origin.pos_of(text, span.range.start),
                        format!("matchers are only allowed in expectations: `{{{{{expr}}}}}`"),
                        Some("a request needs a value: use a variable or write the value".into()),
                    );
                }
            }
        }
        ok
    }

    fn check_var(
        &mut self,
        name: &str,
        text: &str,
        span: &Spanned,
        origin: &Origin,
        scope: &Scope<'_>,
    ) -> bool {
        if scope.available.contains(name) {
            return true;
        }
        let fixture = name
            .split_once('.')
            .and_then(|(alias, _)| scope.fixtures.get(alias));
        let help = match scope.later.get(name) {
            Some(step) => Some(format!(
                "`{name}` is captured by {step}, which runs later; a value can be used only after the step that captures it"
            )),
            None if fixture.is_some() => fixture.cloned(),
            None => {
                let names: Vec<&str> = scope.available.iter().map(String::as_str).collect();
                did_you_mean(name, names.iter().copied())
                    .map(|best| format!("did you mean `{best}`?"))
                    .or_else(|| Some(format!("variables here: {}", names.join(", "))))
            }
        };
        self.error(
            origin.pos_of(text, span.range.start),
            format!("unknown variable `{name}`"),
            help,
        );
        false
    }

    /// An expectation: variables in scope, matchers well-formed, XML well-formed.
    fn expectation(
        &mut self,
        text: &str,
        origin: Origin,
        scope: &Scope<'_>,
        binds: &mut Vec<(String, SourcePos)>,
    ) -> Option<XmlText> {
        let (template, spans) = self.template(text, &origin)?;
        let mut ok = true;
        for span in &spans {
            match &span.segment {
                Segment::Literal(_) => {}
                Segment::Var(name) => ok &= self.check_var(name, text, span, &origin, scope),
                Segment::Matcher(expr) => match xml::parse_matcher(expr) {
                    Ok(xml::Matcher::Bind { name, check }) => {
                        if let Some(xml::Matcher::Differs { name: old, .. }) = check.as_deref() {
                            ok &= binds.iter().any(|(bound, _)| bound == old)
                                || self.check_var(old, text, span, &origin, scope);
                        }
                        binds.push((name, origin.pos_of(text, span.range.start)));
                    }
                    Ok(xml::Matcher::Differs { name, .. }) => {
                        // The earlier value must exist: a capture or binding of an earlier
                        // step, or a binding earlier in this expectation.
                        ok &= binds.iter().any(|(bound, _)| *bound == name)
                            || self.check_var(&name, text, span, &origin, scope);
                    }
                    Ok(_) => {}
                    Err(message) => {
                        ok = false;
                        self.error(
                            origin.pos_of(text, span.range.start),
                            format!("bad matcher `{{{{{expr}}}}}`: {message}"),
                            None,
                        );
                    }
                },
            }
        }
        ok &= self.check_https(text, &origin);
        match self.check_xml(text, &spans, &origin, Checked::Expectation) {
            Some(doc) => ok &= self.check_whole_value_matchers(&doc.root, &origin),
            None => ok = false,
        }
        ok.then(|| origin.to_xml_text(template))
    }

    /// Reports each `https://` EWS or SOAP namespace.
    fn check_https(&mut self, text: &str, origin: &Origin) -> bool {
        let mut ok = true;
        for wrong in HTTPS_NAMESPACES {
            for (offset, _) in text.match_indices(wrong) {
                ok = false;
                self.error(
                    origin.pos_of(text, offset),
                    format!("`{wrong}...` namespace: EWS and SOAP namespaces start with `http://`"),
                    Some(format!(
                        "write `{}` (the https form is a known error of the documentation)",
                        wrong.replacen("https", "http", 1)
                    )),
                );
            }
        }
        ok
    }

    /// Parses the template with placeholder values; reports an XML error at its position.
    fn check_xml(
        &mut self,
        text: &str,
        spans: &[Spanned],
        origin: &Origin,
        kind: Checked,
    ) -> Option<xml::Document> {
        let wrap = kind != Checked::Envelope;
        let mut placeholder = placeholder_text(text, spans);
        if kind == Checked::Expectation {
            // A response file copied from a server starts with one; a body must not (it is
            // embedded in the envelope), so there it stays and is reported.
            blank_xml_declaration(&mut placeholder);
        }
        let opening = wrapper_opening();
        let document = if wrap {
            format!("{opening}{placeholder}</{WRAPPER}>")
        } else {
            placeholder.clone()
        };
        match xml::parse(document.as_bytes(), &xml::ParseOptions::default()) {
            Ok(doc) => Some(doc),
            Err(error) => {
                let (mut line, mut col) = unwrap_pos(error.pos, wrap);
                // An error in the closing wrapper is at the end of the text.
                let lines: Vec<&str> = placeholder.split('\n').collect();
                if line > lines.len() {
                    line = lines.len().max(1);
                }
                let width = lines.get(line - 1).map(|l| l.chars().count()).unwrap_or(0);
                col = col.min(width + 1);
                let message = error.message.replace(WRAPPER, "end of text");
                self.error(
                    origin.map(line, col),
                    format!("malformed XML: {message}"),
                    None,
                );
                None
            }
        }
    }
}

impl Validator<'_> {
    /// A matcher must be a whole text or attribute value (`{{any}}`, not `id-{{any}}`): the
    /// XML engine compares anything else literally, which is never what the author meant.
    fn check_whole_value_matchers(&mut self, element: &xml::Element, origin: &Origin) -> bool {
        let mut ok = true;
        for attr in &element.attrs {
            if let Some(expr) = partial_matcher(&attr.value) {
                ok = false;
                let (line, col) = unwrap_pos(attr.pos, true);
                self.error(
                    origin.map(line, col),
                    format!(
                        "matcher `{{{{{expr}}}}}` is only part of the value of `{}`",
                        attr.name.local
                    ),
                    Some(MATCHER_WHOLE_VALUE_HELP.into()),
                );
            }
        }
        for child in &element.children {
            match child {
                xml::Node::Element(e) => ok &= self.check_whole_value_matchers(e, origin),
                xml::Node::Text(text) => {
                    if let Some(expr) = partial_matcher(text) {
                        ok = false;
                        let (line, col) = unwrap_pos(element.pos, true);
                        self.error(
                            origin.map(line, col),
                            format!(
                                "matcher `{{{{{expr}}}}}` is only part of the text of `{}`",
                                element.name.local
                            ),
                            Some(MATCHER_WHOLE_VALUE_HELP.into()),
                        );
                    }
                }
            }
        }
        ok
    }
}

const MATCHER_WHOLE_VALUE_HELP: &str =
    "a matcher stands for the whole value; use `{{regex ...}}` to match part of it";

/// The first matcher of `value` when `value` is not exactly one matcher token.
fn partial_matcher(value: &str) -> Option<String> {
    let spans = super::template::scan(value.trim()).ok()?;
    let first = spans.iter().find_map(|s| match &s.segment {
        Segment::Matcher(expr) => Some(expr.clone()),
        _ => None,
    })?;
    (spans.len() > 1).then_some(first)
}

/// What a well-formedness check is looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checked {
    /// Body content: wrapped to predeclare prefixes; no XML declaration.
    Body,
    /// A whole envelope: checked as it is.
    Envelope,
    /// An expectation: wrapped; a leading XML declaration is allowed.
    Expectation,
}

impl Checked {
    fn for_request(body: bool) -> Checked {
        if body {
            Checked::Body
        } else {
            Checked::Envelope
        }
    }
}

/// The opening tag wrapped around a body or expectation: it declares the standard prefixes.
fn wrapper_opening() -> String {
    format!(
        "<{WRAPPER} xmlns:soap=\"{}\" xmlns:m=\"{}\" xmlns:t=\"{}\" xmlns:e=\"{}\" xmlns:xsi=\"{}\">",
        xml::ns::SOAP,
        xml::ns::MESSAGES,
        xml::ns::TYPES,
        xml::ns::ERRORS,
        xml::ns::XSI
    )
}

/// A position in the (maybe wrapped) checked text as (line, col) of the original text: the
/// wrapper's opening tag shifts the columns of line 1 only.
fn unwrap_pos(pos: xml::TextPos, wrapped: bool) -> (usize, usize) {
    let line = pos.line.max(1) as usize;
    let mut col = pos.col.max(1) as usize;
    if wrapped && line == 1 {
        col = col.saturating_sub(wrapper_opening().chars().count()).max(1);
    }
    (line, col)
}

/// The keys a mapping of type `T` allows, read from its JSON Schema (so they follow the raw
/// structs by construction).
fn allowed_keys<T: schemars::JsonSchema>() -> Vec<String> {
    let schema = schemars::schema_for!(T);
    schema
        .get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// A key the case format does not have, found by [`unknown_keys`].
pub struct UnknownKey {
    pub key: String,
    /// Path of the mapping that holds it (`steps[0].headers`; empty for the top level).
    pub within: String,
    pub line: usize,
    pub col: usize,
    /// The keys allowed in that mapping.
    pub allowed: Vec<String>,
}

/// Every unknown key of the file, found on the outline: the YAML backend stops at the first one,
/// but a person fixing a file wants them all.
pub fn unknown_keys(outline: &Outline) -> Vec<UnknownKey> {
    let case_keys = allowed_keys::<RawCase>();
    let use_keys = allowed_keys::<super::raw::RawUse>();
    let step_keys = allowed_keys::<RawStep>();
    // Cleanup steps have the keys of a step; a nested `cleanup` is refused by the validation.
    let cleanup_keys = step_keys.clone();
    let header_keys = allowed_keys::<RawHeaders>();
    let fault_keys = allowed_keys::<RawFault>();
    let option_keys = allowed_keys::<RawOptions>();
    let retry_keys = allowed_keys::<super::raw::RawRetry>();
    let stream_keys = allowed_keys::<super::raw::RawExpectStream>();
    let mut found = Vec::new();
    let mut check = |path: &str, allowed: &[String]| {
        for (key, line, col) in outline.keys(path) {
            if !allowed.contains(&key) {
                found.push(UnknownKey {
                    key,
                    within: path.to_string(),
                    line,
                    col,
                    allowed: allowed.to_vec(),
                });
            }
        }
    };
    check("", &case_keys);
    check("options", &option_keys);
    let count = |path: &str| outline.len(path);
    for u in 0..count("use") {
        check(&format!("use[{u}]"), &use_keys);
    }
    let mut step_like = Vec::new();
    for i in 0..count("steps") {
        let step = format!("steps[{i}]");
        check(&step, &step_keys);
        for j in 0..count(&format!("{step}.cleanup")) {
            let cleanup = format!("{step}.cleanup[{j}]");
            check(&cleanup, &cleanup_keys);
            step_like.push(cleanup);
        }
        step_like.push(step);
    }
    for j in 0..count("cleanup") {
        let cleanup = format!("cleanup[{j}]");
        check(&cleanup, &cleanup_keys);
        step_like.push(cleanup);
    }
    for step in &step_like {
        check(&format!("{step}.headers"), &header_keys);
        check(&format!("{step}.fault"), &fault_keys);
        check(&format!("{step}.options"), &option_keys);
        check(&format!("{step}.retry"), &retry_keys);
        check(&format!("{step}.expect_stream"), &stream_keys);
    }
    found.sort_by_key(|k| (k.line, k.col));
    found
}

/// `NAME` of every `{{bind NAME ...}}` in `text`.
pub fn bind_names(text: &str) -> Vec<String> {
    let Ok(spans) = super::template::scan(text) else {
        return Vec::new();
    };
    spans
        .into_iter()
        .filter_map(|s| match s.segment {
            Segment::Matcher(expr) => {
                let mut words = expr.split_whitespace();
                (words.next() == Some("bind"))
                    .then(|| words.next().map(str::to_string))
                    .flatten()
            }
            _ => None,
        })
        .collect()
}

fn merge_options(base: &BaseOptions, own: &BaseOptions) -> StepOptions {
    let mut compare = xml::CompareOptions {
        ignore: base.ignore.clone(),
        unordered: base.unordered.clone(),
        subset: own.subset.or(base.subset).unwrap_or(DEFAULT_SUBSET),
    };
    compare.ignore.extend(own.ignore.iter().cloned());
    compare.unordered.extend(own.unordered.iter().cloned());
    StepOptions {
        compare,
        compare_headers: own
            .compare_headers
            .or(base.compare_headers)
            .unwrap_or(DEFAULT_COMPARE_HEADERS),
        trim_text: own.trim.or(base.trim).unwrap_or(DEFAULT_TRIM),
        schema: own.schema.or(base.schema).unwrap_or(DEFAULT_SCHEMA),
    }
}

/// `t:X`, `soap:Client`, `{uri}X`, or bare `X` (types namespace).
pub fn parse_fault_code(text: &str) -> Result<xml::QName, String> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('{') {
        let (ns, local) = rest
            .split_once('}')
            .ok_or_else(|| format!("fault code `{text}`: `{{` without `}}`"))?;
        if local.is_empty() {
            return Err(format!("fault code `{text}` has no local name"));
        }
        return Ok(xml::QName {
            ns: (!ns.is_empty()).then(|| ns.into()),
            local: local.into(),
        });
    }
    let (ns, local) = match text.split_once(':') {
        Some((prefix, local)) => {
            let ns = match prefix {
                "soap" | "s" => xml::ns::SOAP,
                "m" => xml::ns::MESSAGES,
                "t" => xml::ns::TYPES,
                "e" => xml::ns::ERRORS,
                other => {
                    return Err(format!(
                        "unknown prefix `{other}` in fault code `{text}` (known: soap, s, m, t, e)"
                    ));
                }
            };
            (ns, local)
        }
        None => (xml::ns::TYPES, text),
    };
    if local.is_empty() || local.contains(char::is_whitespace) {
        return Err(format!("fault code `{text}` is not a name"));
    }
    Ok(xml::QName {
        ns: Some(ns.into()),
        local: local.into(),
    })
}

/// The XML engine's message for a bad path, with the path in it.
fn path_message(text: &str, message: &str) -> String {
    if message.contains(text) {
        message.to_string()
    } else {
        format!("bad path `{text}`: {message}")
    }
}

fn as_element(node: &xml::Node) -> Option<&xml::Element> {
    match node {
        xml::Node::Element(e) => Some(e),
        xml::Node::Text(_) => None,
    }
}

fn first_child_element(element: &xml::Element) -> Option<&xml::Element> {
    element.children.iter().find_map(as_element)
}

/// Replaces a leading `<?xml ...?>` with spaces (it may only open a document, and the check
/// wraps the text in an element). Positions stay the same.
fn blank_xml_declaration(text: &mut String) {
    if text.starts_with("<?xml") {
        if let Some(end) = text.find("?>") {
            let blanks: String = text[..end + 2]
                .chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' })
                .collect();
            text.replace_range(..end + 2, &blanks);
        }
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn keys_list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_codes_resolve_prefixes() {
        let code = parse_fault_code("t:ErrorSchemaValidation").unwrap();
        assert_eq!(code.ns.as_deref(), Some(xml::ns::TYPES));
        assert_eq!(code.local, "ErrorSchemaValidation");
        assert_eq!(
            parse_fault_code("ErrorX").unwrap().ns.as_deref(),
            Some(xml::ns::TYPES)
        );
        assert_eq!(
            parse_fault_code("soap:Client").unwrap().ns.as_deref(),
            Some(xml::ns::SOAP)
        );
        assert_eq!(
            parse_fault_code("{urn:x}Y").unwrap().ns.as_deref(),
            Some("urn:x")
        );
        assert!(parse_fault_code("q:X").is_err());
        assert!(parse_fault_code("t:").is_err());
    }

    #[test]
    fn bind_names_are_found_without_the_xml_engine() {
        assert_eq!(
            bind_names("<a Id=\"{{bind group_id}}\" C=\"{{any}}\">{{bind n integer}}</a>"),
            ["group_id", "n"]
        );
    }

    #[test]
    fn xml_declaration_is_blanked_in_place() {
        let mut text = "<?xml version=\"1.0\"?>\n<a/>".to_string();
        blank_xml_declaration(&mut text);
        assert_eq!(text, format!("{}\n<a/>", " ".repeat(21)));
    }
}
