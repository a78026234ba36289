//! Runs one step: renders the request, sends it, judges the response.
//!
//! Judging order: transport error → step error; response headers are checked first (media
//! type, charset, `expect_headers`: [`super::headers`]) and their mismatches kept; then an
//! unparseable or non-SOAP body → step error ("could not test"); otherwise every check adds
//! mismatches (HTTP status, SOAP fault, the expected XML, captures, and every violation of the
//! EWS schema as a `schema` mismatch: [`schema_mismatches`]) and a step with mismatches fails.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::case::{self, Escape, RequestBody, Service, Step, XmlText};
use crate::report::{
    Exchange, MismatchRecord, SCHEMA_MISMATCH_KIND, StepPhase, StepResult, StepStatus,
};
use crate::soap;
use crate::transport::{HttpRequest, HttpResponse};
use crate::xml::{self, Document};

use super::CaseContext;

/// Largest body kept in a report, per request or response.
pub const REPORT_BODY_CAP: usize = 256 * 1024;

/// What a step produced besides its result: values for later steps.
pub struct StepRun {
    pub result: StepResult,
    /// Whether the request reached the server (its cleanup must then run).
    pub sent: bool,
    /// A built-in variable the target does not define, which stopped the step before sending.
    pub unconfigured: Option<String>,
    /// The step did not pass because the target refused its operation as not implemented
    /// (how, as a reason line; see [`super::unsupported`]).
    pub refused: Option<String>,
}

/// How to tell the harness a value for a built-in variable.
pub fn unconfigured_reason(name: &str) -> String {
    format!(
        "not run: the target does not define `{name}`; set it with `--var {name}=VALUE` or under \
         `mailboxes:`/`variables:` in the target profile"
    )
}

/// The rendered expectation and where its text came from.
struct ExpectedDoc<'a> {
    doc: Document,
    source: &'a XmlText,
    /// Columns the wrapper added on line 1.
    line1_shift: u32,
}

/// A result for `step` before it runs: passing, with nothing recorded yet.
pub fn blank_result(step: &Step, phase: StepPhase) -> StepResult {
    StepResult {
        name: step.name.clone(),
        phase,
        status: StepStatus::Pass,
        location: Some(step.pos.to_string()),
        duration_ms: 0,
        request: None,
        response: None,
        mismatches: Vec::new(),
        diff: None,
        error: None,
        throttling: None,
        detail: Default::default(),
    }
}

/// Runs `step` (`label` names it in the trace header, see [`super::trace_label`]), reading and
/// extending `vars` (captures and bindings).
pub fn run_step(
    ctx: &CaseContext<'_>,
    step: &Step,
    phase: StepPhase,
    label: &str,
    vars: &mut BTreeMap<String, String>,
) -> StepRun {
    let started = Instant::now();
    let mut result = blank_result(step, phase);
    let finish = |mut result: StepResult, sent: bool| {
        result.duration_ms = started.elapsed().as_millis() as u64;
        StepRun {
            result,
            sent,
            unconfigured: None,
            refused: None,
        }
    };

    let request = match render_for(ctx, step, phase, label, vars) {
        Ok(request) => request,
        Err(mut early) => {
            early.result.duration_ms = started.elapsed().as_millis() as u64;
            return *early;
        }
    };
    result.request = Some(Exchange {
        status: None,
        headers: ctx.redact_headers(&ctx.transport.headers_for(&request)),
        body: ctx.capped(&request.body),
        truncated: request.body.len() > REPORT_BODY_CAP,
    });

    let response = match ctx.transport.send(&request) {
        Ok(r) => r,
        Err(e) => {
            result.status = StepStatus::Error;
            result.error = Some(ctx.scrub(&format!("could not test: {e}")));
            return finish(result, true);
        }
    };
    if response.throttled > 0 {
        result.throttling = Some(format!(
            "throttled {} times, waited {} ms",
            response.throttled,
            response.throttle_wait.as_millis()
        ));
    }
    // Show what was actually sent (target-level headers and credentials included, masked).
    if let Some(sent) = result.request.as_mut() {
        sent.headers = ctx.redact_headers(&response.request_headers);
    }
    result.response = Some(Exchange {
        status: Some(response.status),
        headers: ctx.redact_headers(&response.headers),
        body: ctx.capped(&response.body),
        truncated: response.body.len() > REPORT_BODY_CAP,
    });

    judge(ctx, step, &response, vars, &mut result);
    let refused = (result.status != StepStatus::Pass)
        .then(|| {
            let doc = xml::parse(&response.body, &xml::ParseOptions::default()).ok();
            super::unsupported::refusal(step, response.status, doc.as_ref())
        })
        .flatten()
        .map(|why| ctx.scrub(&why));
    let mut run = finish(result, true);
    run.refused = refused;
    run
}

/// The step's request with the trace header, or the result of a step that cannot be sent (a
/// variable the target or an earlier step did not define).
pub fn render_for(
    ctx: &CaseContext<'_>,
    step: &Step,
    phase: StepPhase,
    label: &str,
    vars: &BTreeMap<String, String>,
) -> Result<HttpRequest, Box<StepRun>> {
    let missing = match render_request(ctx, step, vars) {
        Ok(mut r) => {
            // The trace header names the case and step; a header the step sets itself wins.
            if let Some((name, value)) = ctx.trace(label) {
                if !r.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                    r.headers.push((name, value));
                }
            }
            return Ok(r);
        }
        Err(missing) => missing,
    };
    let mut result = blank_result(step, phase);
    let mut run = StepRun {
        result: result.clone(),
        sent: false,
        unconfigured: None,
        refused: None,
    };
    if crate::target::vars::ALL.contains(&missing.as_str()) {
        // A configuration gap, not a server fault: the case is reported as ignored.
        result.status = StepStatus::Skipped;
        result.error = Some(unconfigured_reason(&missing));
        run.unconfigured = Some(missing);
    } else {
        // Cleanup steps may need a capture whose step never ran; a main step cannot (the
        // loader checked that an earlier step captures it, and that step passed).
        result.status = match phase {
            StepPhase::Cleanup => StepStatus::Skipped,
            StepPhase::Main => StepStatus::Error,
        };
        result.error = Some(format!(
            "not run: it needs `{missing}`, which no earlier step captured"
        ));
    }
    run.result = result;
    Err(Box::new(run))
}

/// Judges a response (a whole one, or one document of a stream) against the step's
/// expectation into `result`: status, mismatches, diff, captures into `vars`.
pub fn judge_response(
    ctx: &CaseContext<'_>,
    step: &Step,
    response: &HttpResponse,
    vars: &mut BTreeMap<String, String>,
    result: &mut StepResult,
) {
    judge(ctx, step, response, vars, result);
}

/// Renders the step's request; `Err(name)` when a variable is not defined.
fn render_request(
    ctx: &CaseContext<'_>,
    step: &Step,
    vars: &BTreeMap<String, String>,
) -> Result<HttpRequest, String> {
    let lookup = |name: &str| vars.get(name).cloned();
    let render = |t: &case::Template, escape: Escape| t.render(&lookup, escape).map_err(|m| m.0);
    let body = match &step.request.body {
        RequestBody::Envelope(x) => render(&x.template, Escape::Xml)?,
        RequestBody::Raw(t) => render(t, Escape::None)?,
        RequestBody::None => String::new(),
        RequestBody::Body { body, .. } if step.request.service == Service::AutodiscoverPox => {
            render(&body.template, Escape::Xml)?
        }
        RequestBody::Body { body, .. } if step.request.service == Service::AutodiscoverSoap => {
            soap::build_autodiscover_envelope(
                &render(&body.template, Escape::Xml)?,
                step.operation.as_deref().unwrap_or_default(),
                ctx.transport.url_for(Service::AutodiscoverSoap).as_str(),
            )
        }
        RequestBody::Body { body, headers } => {
            let server_version = if headers.omit_server_version {
                None
            } else {
                Some(
                    headers
                        .server_version
                        .clone()
                        .unwrap_or_else(|| ctx.default_server_version.clone()),
                )
            };
            let opt = |t: &Option<case::Template>| {
                t.as_ref().map(|t| render(t, Escape::None)).transpose()
            };
            let envelope_headers = soap::EnvelopeHeaders {
                server_version,
                mailbox_culture: opt(&headers.mailbox_culture)?,
                impersonate: opt(&headers.impersonate)?,
                time_zone: headers.time_zone.clone(),
            };
            soap::build_envelope(&render(&body.template, Escape::Xml)?, &envelope_headers)
        }
    };
    let soap_action = match &step.request.soap_action {
        Some(a) if a.is_empty() => None,
        Some(a) => Some(a.clone()),
        None => match step.request.service {
            Service::Ews => step.operation.as_deref().map(soap::soap_action),
            Service::AutodiscoverSoap => step.operation.as_deref().map(soap::autodiscover_action),
            Service::AutodiscoverPox => None,
        },
    };
    let mut headers = Vec::new();
    for (name, value) in &step.request.http_headers {
        headers.push((name.clone(), render(value, Escape::None)?));
    }
    Ok(HttpRequest {
        body: body.into_bytes(),
        soap_action,
        headers,
        service: step.request.service,
    })
}

/// Compares the response with the step's expectation, recording mismatches, captures, diff.
fn judge(
    ctx: &CaseContext<'_>,
    step: &Step,
    response: &HttpResponse,
    vars: &mut BTreeMap<String, String>,
    result: &mut StepResult,
) {
    let expect = &step.expect;
    let expected_status = expect
        .status
        .unwrap_or(if expect.fault.is_some() { 500 } else { 200 });
    let parse_opts = xml::ParseOptions {
        trim_text: step.options.trim_text,
        ..xml::ParseOptions::default()
    };

    // Headers first: their mismatches are reported even when the body cannot be tested.
    let mut mismatches = super::headers::check(step, response, vars);
    // A POX Autodiscover response is a plain document (`Autodiscover`), not an envelope.
    let pox = step.request.service == Service::AutodiscoverPox;
    let actual = match xml::parse(&response.body, &parse_opts) {
        Ok(doc) if pox || doc.root.name.local == "Envelope" => doc,
        Ok(doc) => {
            result.mismatches = scrubbed(ctx, mismatches);
            result.status = StepStatus::Error;
            result.error = Some(format!(
                "could not test: HTTP {} response is not a SOAP envelope (root element `{}`)",
                response.status, doc.root.name.local
            ));
            return;
        }
        Err(e) => {
            result.mismatches = scrubbed(ctx, mismatches);
            result.status = StepStatus::Error;
            let what = match e.kind {
                xml::XmlErrorKind::Dtd => "declares a DTD or entities (refused, never expanded)",
                xml::XmlErrorKind::Encoding => "is not in the encoding it declares",
                xml::XmlErrorKind::Empty => "is empty",
                xml::XmlErrorKind::TooLarge => "exceeds an XML limit of the harness",
                xml::XmlErrorKind::Malformed => "is not well-formed XML",
            };
            result.error = Some(ctx.scrub(&format!(
                "could not test: HTTP {} response body {what} (at {}:{}: {})",
                response.status, e.pos.line, e.pos.col, e.message
            )));
            return;
        }
    };
    ctx.note_server_version(&actual);

    if response.status != expected_status {
        mismatches.push(MismatchRecord {
            kind: "http-status".into(),
            expected_path: "HTTP status".into(),
            actual_path: "HTTP status".into(),
            expected: Some(expected_status.to_string()),
            actual: Some(response.status.to_string()),
            location: Some(step.pos.to_string()),
            message: format!(
                "expected HTTP {expected_status}, got HTTP {}",
                response.status
            ),
        });
    }
    check_fault(step, &actual, &mut mismatches);
    // The EWS schema declares EWS messages only: Autodiscover responses are not validated.
    if ctx.validate_schema && step.options.schema && step.request.service.is_ews() {
        mismatches.extend(schema_mismatches(&response.body));
    }

    if let Some(expected_text) = &expect.xml {
        match expected_document(expected_text, vars, &parse_opts, pox) {
            Ok(expected) => {
                let mut opts = step.options.compare.clone();
                if !step.options.compare_headers {
                    if let Ok(p) = xml::Path::parse("/soap:Envelope/soap:Header") {
                        opts.ignore.push(p);
                    }
                }
                let comparison = xml::compare_with(&expected.doc, &actual, &opts, vars);
                for m in &comparison.mismatches {
                    mismatches.push(record(m, &expected));
                }
                if !comparison.mismatches.is_empty() {
                    result.diff = Some(xml::render_diff_with(
                        &expected.doc,
                        &actual,
                        &opts,
                        &xml::DiffOptions::default(),
                        vars,
                    ));
                }
                vars.extend(comparison.bound);
            }
            Err(message) => {
                result.mismatches = scrubbed(ctx, mismatches);
                result.status = StepStatus::Error;
                result.error = Some(format!(
                    "harness could not build the expectation: {message}"
                ));
                return;
            }
        }
    }

    for capture in &step.captures {
        match capture.path.select_values(&actual).into_iter().next() {
            Some(value) => {
                vars.insert(capture.name.clone(), value);
            }
            None => mismatches.push(MismatchRecord {
                kind: "capture".into(),
                expected_path: capture.path.as_str().to_string(),
                actual_path: String::new(),
                expected: Some(format!("a value to capture as `{}`", capture.name)),
                actual: None,
                location: Some(capture.pos.to_string()),
                message: format!(
                    "capture `{}`: `{}` selected nothing in the response",
                    capture.name,
                    capture.path.as_str()
                ),
            }),
        }
    }

    if !mismatches.is_empty() {
        result.status = StepStatus::Fail;
        result.diff = result.diff.take().map(|d| ctx.scrub(&d));
    }
    result.mismatches = scrubbed(ctx, mismatches);
}

/// The response body's violations of the EWS schema (messages.xsd/types.xsd, the `ews-schema`
/// engine), one `schema` mismatch each: the violation's path (in the response) as both paths, its
/// implementer wording after the response's `line:col` as the message (`response 6:1: unexpected
/// ResponseCode after ImGroup; ...`), no location (the step's is printed with it). The body has
/// passed the strict well-formedness check; a document in another encoding is decoded first.
pub fn schema_mismatches(body: &[u8]) -> Vec<MismatchRecord> {
    let Ok(text) = xml::decode(body) else {
        return Vec::new(); // the strict checker reported it already
    };
    let record = |path: &str, message: String| MismatchRecord {
        kind: SCHEMA_MISMATCH_KIND.into(),
        expected_path: path.to_string(),
        actual_path: path.to_string(),
        expected: None,
        actual: None,
        location: None,
        message,
    };
    match ews_schema::Schema::ews().validate_document(text.as_bytes()) {
        Ok(violations) => violations
            .iter()
            .map(|v| {
                let full = v.to_string();
                let prefix = format!("{}:{}: {}: ", v.line, v.col, v.path);
                let what = full.strip_prefix(&prefix).unwrap_or(&full);
                record(&v.path, format!("response {}:{}: {what}", v.line, v.col))
            })
            .collect(),
        Err(error) => vec![record(
            "/",
            format!("response {error} (the schema engine could not read it)"),
        )],
    }
}

/// Mismatches with every secret removed from their values and messages.
fn scrubbed(ctx: &CaseContext<'_>, mut mismatches: Vec<MismatchRecord>) -> Vec<MismatchRecord> {
    for m in &mut mismatches {
        m.expected = m.expected.as_deref().map(|v| ctx.scrub(v));
        m.actual = m.actual.as_deref().map(|v| ctx.scrub(v));
        m.message = ctx.scrub(&m.message);
    }
    mismatches
}

/// Checks `fault:` expectations and reports an unexpected fault readably.
fn check_fault(step: &Step, actual: &Document, mismatches: &mut Vec<MismatchRecord>) {
    let found = soap::fault(actual);
    let location = Some(step.pos.to_string());
    let Some(expected) = &step.expect.fault else {
        if let (Some(f), None) = (&found, &step.expect.xml) {
            mismatches.push(MismatchRecord {
                kind: "unexpected-fault".into(),
                expected_path: "/Envelope/Body".into(),
                actual_path: "/Envelope/Body/Fault".into(),
                expected: None,
                actual: Some(format!("{}: {}", f.code_local(), f.string)),
                location,
                message: format!("unexpected SOAP fault {}: {}", f.code_local(), f.string),
            });
        }
        return;
    };
    let Some(f) = found else {
        let actual_desc = match soap::response_status(actual) {
            Some((class, code)) => format!(
                "ResponseClass={class} ResponseCode={}",
                code.unwrap_or_default()
            ),
            None => soap::body_child(actual)
                .map(|e| e.name.local.to_string())
                .unwrap_or_else(|| "no SOAP 1.1 Body".into()),
        };
        mismatches.push(MismatchRecord {
            kind: "missing-fault".into(),
            expected_path: "/Envelope/Body/Fault".into(),
            actual_path: "/Envelope/Body".into(),
            expected: Some("a SOAP 1.1 Fault".into()),
            actual: Some(actual_desc.clone()),
            location,
            message: format!("expected a SOAP 1.1 Fault, found {actual_desc}"),
        });
        return;
    };
    if let Some(code) = &expected.code {
        let want = match &code.ns {
            Some(ns_uri) => format!("{{{ns_uri}}}{}", code.local),
            None => code.local.to_string(),
        };
        if f.code != want {
            mismatches.push(MismatchRecord {
                kind: "fault-code".into(),
                expected_path: "/Envelope/Body/Fault/faultcode".into(),
                actual_path: "/Envelope/Body/Fault/faultcode".into(),
                expected: Some(want.clone()),
                actual: Some(f.code.clone()),
                location: location.clone(),
                message: format!("expected faultcode `{want}`, found `{}`", f.code),
            });
        }
    }
    if let Some(rc) = &expected.response_code {
        if f.response_code.as_deref() != Some(rc.as_str()) {
            let found = f.response_code.clone().unwrap_or_else(|| "nothing".into());
            mismatches.push(MismatchRecord {
                kind: "fault-response-code".into(),
                expected_path: "/Envelope/Body/Fault/detail/ResponseCode".into(),
                actual_path: "/Envelope/Body/Fault/detail/ResponseCode".into(),
                expected: Some(rc.clone()),
                actual: f.response_code.clone(),
                location,
                message: format!("expected fault detail ResponseCode `{rc}`, found {found}"),
            });
        }
    }
}

/// Renders and parses the expectation (`whole_document`: a POX Autodiscover document, parsed
/// as written). A Body-child expectation is wrapped in a SOAP envelope
/// on the same line (so line numbers stay) with the predeclared prefixes; a whole-envelope
/// expectation gets the predeclarations injected into its root start tag.
fn expected_document<'a>(
    text: &'a XmlText,
    vars: &BTreeMap<String, String>,
    opts: &xml::ParseOptions,
    whole_document: bool,
) -> Result<ExpectedDoc<'a>, String> {
    let rendered = text
        .template
        .render(&|name: &str| vars.get(name).cloned(), Escape::Xml)
        .map_err(|m| format!("variable `{}` is not defined", m.0))?;
    let (wrapped, shift) = if whole_document {
        (rendered, 0)
    } else {
        wrap_expected(&rendered)
    };
    let doc = xml::parse(wrapped.as_bytes(), opts)
        .map_err(|e| format!("expected XML is not well-formed: {e}"))?;
    Ok(ExpectedDoc {
        doc,
        source: text,
        line1_shift: shift,
    })
}

/// Returns the text to parse and how many columns were inserted before line 1's content.
///
/// Every cut below is at a position `str::find` returned (a char boundary), so any text — a
/// byte-order mark, non-ASCII names — is safe. A leading UTF-8 BOM is dropped: it marks the
/// encoding of a file and is not part of the expectation.
pub fn wrap_expected(rendered: &str) -> (String, u32) {
    let rendered = rendered.strip_prefix('\u{feff}').unwrap_or(rendered);
    let trimmed = rendered.trim_start();
    let lead = rendered.len() - trimmed.len();
    let is_name_end = |c: char| c.is_whitespace() || c == '>' || c == '/';
    let root_name = trimmed
        .strip_prefix('<')
        .map(|rest| rest.find(is_name_end).map_or(rest, |end| &rest[..end]));
    let is_envelope = root_name.is_some_and(|n| n == "Envelope" || n.ends_with(":Envelope"));
    if is_envelope {
        // Inject declarations for predeclared prefixes the envelope does not declare itself.
        let name_end = trimmed.find(is_name_end).unwrap_or(trimmed.len());
        let open_tag = trimmed.find('>').map_or(trimmed, |end| &trimmed[..end]);
        let extra: String = soap::PREDECLARED
            .iter()
            .filter(|(p, _)| !open_tag.contains(&format!("xmlns:{p}=")))
            .map(|(p, uri)| format!(" xmlns:{p}=\"{uri}\""))
            .collect();
        let (head, tail) = rendered.split_at(lead + name_end);
        // Columns after the root name on line 1 shift; positions of interest are later nodes.
        (format!("{head}{extra}{tail}"), 0)
    } else {
        let prefix = format!("<soap:Envelope{}><soap:Body>", soap::predeclared_xmlns());
        let shift = prefix.chars().count() as u32;
        (
            format!("{prefix}{rendered}</soap:Body></soap:Envelope>"),
            shift,
        )
    }
}

fn record(m: &xml::Mismatch, expected: &ExpectedDoc<'_>) -> MismatchRecord {
    let location = m.expected_pos.map(|p| {
        let p = if p.line == 1 {
            xml::TextPos {
                line: 1,
                col: p.col.saturating_sub(expected.line1_shift).max(1),
            }
        } else {
            p
        };
        expected.source.map_pos(p).to_string()
    });
    MismatchRecord {
        kind: m.kind.label().to_string(),
        expected_path: m.expected_path.clone(),
        actual_path: m.actual_path.clone(),
        expected: m.expected.clone(),
        actual: m.actual.clone(),
        location,
        message: m.message.clone(),
    }
}
