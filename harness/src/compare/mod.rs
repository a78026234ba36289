//! Differential runs: the same cases against two servers, step by step, without expectations.
//!
//! Owns `ews-conformance compare`: [`run`] runs every selected case on side A and side B (each a
//! [`Side`]: an endpoint or a target profile, or an embedded reference server) with the runner's
//! own step machinery ([`crate::runner::run_case`], with captures, cleanups and the trace header)
//! and keeps going after a step whose expectation fails, so both sides send the same sequence.
//! Then each pair of responses is compared after normalization and **masking**:
//!
//! - both bodies are parsed into the canonical form ([`crate::xml::parse`]);
//! - dynamic values are replaced on each side by visible placeholders numbered in order of first
//!   appearance within the case: `Id`-like attributes (`Id`, `ChangeKey`, `...Id`, `...ChangeKey`)
//!   that are EWS ids (the `{{ews_id}}` matcher's check) become `«id-1»`, `«id-2»`, ... and text
//!   or attribute values that are dateTimes (the `{{datetime}}` check) become `«datetime»`. An
//!   id that side A returns in steps 1 and 3 must be the same id on side B in steps 1 and 3;
//!   different ids that differ only as dynamic values do not count. The tokens servers mint as
//!   element text (`...Id` elements such as `m:SubscriptionId`, `Watermark`,
//!   `PreviousWatermark`, `SyncState`) are masked the same way; numeric `Id`-like attributes
//!   (POX Autodiscover's `Error/@Id`) become `«number»` and times of day (`hh:mm:ss[.f]`)
//!   `«time»`;
//! - each side's target variables (its `mailbox`, `domain`, users and groups; not the shared
//!   `run_id`) and its own endpoint URL and `host:port` (which Autodiscover announces) become
//!   `«var:NAME»` inside any text or attribute value, so two servers with different test
//!   mailboxes compare equal where they answer alike;
//! - the masked trees are compared with [`crate::xml::compare`] under the step's own options
//!   (ignored paths, unordered children, SOAP headers ignored unless `compare_headers`), plus the
//!   HTTP status.
//!
//! The result is a [`CompareReport`]; [`render`] writes it for the terminal, as JUnit, JSON and a
//! self-contained HTML page with both responses side by side.

pub mod render;

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::case::{self, Case};
use crate::report::{Exchange, MismatchRecord, StepPhase, StepResult, StepStatus, TargetInfo};
use crate::runner::{self, CaseContext};
use crate::target::{Target, vars};
use crate::transport::Transport;
use crate::transport::redact::Redactor;
use crate::xml::{self, Document, Element, Node};

/// Version of the compare JSON schema ([`CompareReport::schema_version`]).
pub const COMPARE_SCHEMA_VERSION: u32 = 1;

/// One of the two servers.
pub struct Side {
    /// Short name shown in reports (`A`, `B`).
    pub label: String,
    pub target: Target,
    /// What the reports say about it.
    pub info: TargetInfo,
}

/// What a compare run needs.
pub struct CompareConfig {
    pub cases_dir: std::path::PathBuf,
    /// Run only the cases whose id contains this text (`None` = all).
    pub filter: Option<String>,
    /// Run exactly the case with this id.
    pub exact: Option<String>,
    pub run_id: String,
}

/// Why `compare` could not run.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("cases folder `{0}` does not exist")]
    NoCasesDir(std::path::PathBuf),
    #[error("side {side}: {source}")]
    Transport {
        side: String,
        source: crate::transport::TransportError,
    },
}

/// The whole result: both sides, one entry per case run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompareReport {
    pub schema_version: u32,
    pub harness_version: String,
    pub run_id: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub sides: Vec<SideInfo>,
    /// Sorted by id.
    pub cases: Vec<CaseComparison>,
    /// Case files that did not load (`id: message`); they are not compared.
    #[serde(default)]
    pub load_errors: Vec<String>,
}

/// One side as reported.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SideInfo {
    pub label: String,
    pub target: TargetInfo,
}

/// One case on both sides.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseComparison {
    pub id: String,
    pub file: String,
    pub title: String,
    pub operation: String,
    pub family: String,
    /// Why the case was not compared (marked `ignore:`, version gate); then `steps` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub steps: Vec<StepComparison>,
}

/// How the two responses of one step relate.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StepVerdict {
    /// Equal after normalization and masking.
    Same,
    /// They differ (see the step's differences).
    Differ,
    /// The step ran on one side only (or was not sent on either: then `same`).
    OneSided,
}

/// One step on both sides.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepComparison {
    pub name: String,
    pub phase: StepPhase,
    /// 1-based position among the case's step results.
    pub index: usize,
    pub verdict: StepVerdict,
    /// Every difference, A as "expected" and B as "actual".
    #[serde(default)]
    pub differences: Vec<MismatchRecord>,
    /// Unified diff of the masked canonical forms (`-` A, `+` B).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Side A's exchange: request and response as the reports show them.
    pub a: StepSide,
    pub b: StepSide,
}

/// One side of a step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct StepSide {
    /// The step's status on this side against the case's own expectation (for information).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StepStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Exchange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Exchange>,
    /// Why the step did not produce a response (transport error, not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl CompareReport {
    /// Every differing step, as `(case, step)`.
    pub fn differing(&self) -> impl Iterator<Item = (&CaseComparison, &StepComparison)> {
        self.cases.iter().flat_map(|c| {
            c.steps
                .iter()
                .filter(|s| s.verdict != StepVerdict::Same)
                .map(move |s| (c, s))
        })
    }

    /// Number of steps compared.
    pub fn step_count(&self) -> usize {
        self.cases.iter().map(|c| c.steps.len()).sum()
    }

    /// True when no step differs.
    pub fn is_same(&self) -> bool {
        self.differing().next().is_none() && self.load_errors.is_empty()
    }
}

impl CaseComparison {
    /// True when a step of the case differs.
    pub fn differs(&self) -> bool {
        self.steps.iter().any(|s| s.verdict != StepVerdict::Same)
    }
}

struct RunningSide<'a> {
    side: &'a Side,
    transport: Transport,
    redactor: Redactor,
    server_seen: Mutex<Option<(Option<String>, Option<String>)>>,
    variables: BTreeMap<String, String>,
}

/// Runs the selected cases on both sides and compares every step.
pub fn run(config: &CompareConfig, a: &Side, b: &Side) -> Result<CompareReport, CompareError> {
    if !config.cases_dir.is_dir() {
        return Err(CompareError::NoCasesDir(config.cases_dir.clone()));
    }
    let started_at = runner::now_rfc3339();
    let started = std::time::Instant::now();
    let mut known = a.target.known_variables();
    known.extend(b.target.known_variables());
    known.insert(vars::RUN_ID.to_string());
    let loaded = case::load_dir(&config.cases_dir, &known);
    let selected = |id: &str| {
        config.exact.as_deref().is_none_or(|e| e == id)
            && config.filter.as_deref().is_none_or(|f| id.contains(f))
    };
    let sides: Vec<RunningSide<'_>> = [a, b]
        .into_iter()
        .map(|side| {
            let mut variables = side.target.variables.clone();
            variables.insert(vars::RUN_ID.to_string(), config.run_id.clone());
            Ok(RunningSide {
                side,
                transport: Transport::new(&side.target).map_err(|source| {
                    CompareError::Transport {
                        side: side.label.clone(),
                        source,
                    }
                })?,
                redactor: Redactor::for_target(&side.target),
                server_seen: Mutex::new(None),
                variables,
            })
        })
        .collect::<Result<_, CompareError>>()?;

    let mut cases = Vec::new();
    for case in loaded.cases.iter().filter(|c| selected(&c.id)) {
        cases.push(compare_case(case, &sides));
    }
    cases.sort_by(|x, y| x.id.cmp(&y.id));
    let load_errors = loaded
        .errors
        .iter()
        .filter(|e| selected(&e.case_id))
        .map(|e| format!("{}: {}", e.case_id, e.message))
        .collect();
    let side_infos = sides
        .iter()
        .map(|s| {
            let mut info = s.side.info.clone();
            if let Some((version, build)) = s.server_seen.lock().ok().and_then(|g| g.clone()) {
                info.server_version = version;
                info.server_build = build;
            }
            SideInfo {
                label: s.side.label.clone(),
                target: info,
            }
        })
        .collect();
    Ok(CompareReport {
        schema_version: COMPARE_SCHEMA_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id: config.run_id.clone(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        sides: side_infos,
        cases,
        load_errors,
    })
}

fn compare_case(case: &Case, sides: &[RunningSide<'_>]) -> CaseComparison {
    let mut comparison = CaseComparison {
        id: case.id.clone(),
        file: case.file.to_string_lossy().replace('\\', "/"),
        title: case.title.clone(),
        operation: case.operations.first().cloned().unwrap_or_default(),
        family: case.family().to_string(),
        skipped: None,
        steps: Vec::new(),
    };
    if let Some(reason) = &case.ignore {
        comparison.skipped = Some(format!("marked ignore: {reason}"));
        return comparison;
    }
    for side in sides {
        let version = side
            .side
            .target
            .server_version
            .as_deref()
            .and_then(case::ServerVersion::parse);
        if let Some(v) = version.filter(|v| case.since > *v) {
            comparison.skipped = Some(format!(
                "needs {}, side {} is {v}",
                case.since, side.side.label
            ));
            return comparison;
        }
    }
    let results: Vec<Vec<StepResult>> = sides
        .iter()
        .map(|side| {
            let ctx = CaseContext {
                transport: &side.transport,
                case_id: &case.id,
                trace_header: side.side.target.trace_header.as_deref(),
                continue_after_failure: true,
                validate_schema: !side.side.target.no_schema,
                recorded: None,
                default_server_version: side
                    .side
                    .target
                    .server_version
                    .clone()
                    .unwrap_or_else(|| "Exchange2013".to_string()),
                redactor: &side.redactor,
                server_seen: &side.server_seen,
                target: &side.side.target,
                wait: Default::default(),
            };
            runner::run_case(&ctx, case, &side.variables).steps
        })
        .collect();
    let case_steps: Vec<&case::Step> = all_steps(case);
    // Each side's own endpoint URL is masked like its variables: a server announces its own
    // address (Autodiscover's EwsUrl), which is expected to differ between two servers.
    let masker = |side: &RunningSide<'_>| {
        let mut values = side.variables.clone();
        let endpoint = &side.side.target.endpoint;
        values.insert(ENDPOINT_MASK.to_string(), endpoint.clone());
        if let Some(authority) = endpoint
            .split_once("://")
            .and_then(|(_, rest)| rest.split('/').next())
        {
            values.insert(AUTHORITY_MASK.to_string(), authority.to_string());
        }
        Masker::with_variables(&values)
    };
    let mut masks = (masker(&sides[0]), masker(&sides[1]));
    for (index, (a, b)) in pair_steps(&results[0], &results[1]).into_iter().enumerate() {
        let template = a.or(b).expect("a pair has at least one side");
        let step = case_steps.iter().find(|s| s.name == template.name).copied();
        comparison
            .steps
            .push(compare_step(index + 1, step, a, b, &mut masks));
    }
    comparison
}

/// Every step of a case, main steps, their cleanups and the case cleanups (to find a result's
/// options by name).
fn all_steps(case: &Case) -> Vec<&case::Step> {
    let mut steps = Vec::new();
    for step in &case.steps {
        steps.push(step);
        steps.extend(step.cleanup.iter());
    }
    steps.extend(case.cleanup.iter());
    steps
}

/// Pairs the step results of both sides: by position when both ran the same steps, else by
/// phase, name and occurrence.
fn pair_steps<'r>(
    a: &'r [StepResult],
    b: &'r [StepResult],
) -> Vec<(Option<&'r StepResult>, Option<&'r StepResult>)> {
    let key = |steps: &'r [StepResult]| {
        let mut seen: BTreeMap<(bool, &str), usize> = BTreeMap::new();
        steps
            .iter()
            .map(|s| {
                let n = seen
                    .entry((phase_key(s.phase), s.name.as_str()))
                    .or_insert(0);
                *n += 1;
                ((phase_key(s.phase), s.name.as_str(), *n), s)
            })
            .collect::<Vec<_>>()
    };
    let (ka, kb) = (key(a), key(b));
    let mut pairs: Vec<(Option<&StepResult>, Option<&StepResult>)> = Vec::new();
    let mut used_b = vec![false; kb.len()];
    for (k, sa) in &ka {
        match kb.iter().position(|(kk, _)| kk == k) {
            Some(j) => {
                used_b[j] = true;
                pairs.push((Some(*sa), Some(kb[j].1)));
            }
            None => pairs.push((Some(*sa), None)),
        }
    }
    for (j, (_, sb)) in kb.iter().enumerate() {
        if !used_b[j] {
            pairs.push((None, Some(*sb)));
        }
    }
    pairs
}

/// Orders phases in a pairing key (main first).
fn phase_key(phase: StepPhase) -> bool {
    phase == StepPhase::Cleanup
}

fn side_of(result: Option<&StepResult>) -> StepSide {
    match result {
        None => StepSide {
            error: Some("not run on this side".to_string()),
            ..StepSide::default()
        },
        Some(r) => StepSide {
            status: Some(r.status),
            request: r.request.clone(),
            response: r.response.clone(),
            error: r.error.clone().filter(|_| r.response.is_none()),
        },
    }
}

fn compare_step(
    index: usize,
    step: Option<&case::Step>,
    a: Option<&StepResult>,
    b: Option<&StepResult>,
    masks: &mut (Masker, Masker),
) -> StepComparison {
    let template = a.or(b).expect("one side");
    let mut out = StepComparison {
        name: template.name.clone(),
        phase: template.phase,
        index,
        verdict: StepVerdict::Same,
        differences: Vec::new(),
        diff: None,
        a: side_of(a),
        b: side_of(b),
    };
    let (ra, rb) = (
        a.and_then(|r| r.response.as_ref()),
        b.and_then(|r| r.response.as_ref()),
    );
    let (ra, rb) = match (ra, rb) {
        (None, None) => return out,
        (Some(ra), Some(rb)) => (ra, rb),
        _ => {
            out.verdict = StepVerdict::OneSided;
            let (silent, why) = if ra.is_none() {
                ("A", out.a.error.clone())
            } else {
                ("B", out.b.error.clone())
            };
            out.differences.push(difference(
                "one-sided",
                "response",
                Some(presence(ra)),
                Some(presence(rb)),
                format!(
                    "only one side produced a response; side {silent}: {}",
                    why.as_deref()
                        .map(crate::report::text::first_line)
                        .unwrap_or("no response")
                ),
            ));
            return out;
        }
    };
    if ra.status != rb.status {
        let show = |s: Option<u16>| s.map(|s| s.to_string()).unwrap_or_default();
        out.differences.push(difference(
            "http-status",
            "HTTP status",
            Some(show(ra.status)),
            Some(show(rb.status)),
            format!(
                "HTTP status differs: A {}, B {}",
                show(ra.status),
                show(rb.status)
            ),
        ));
    }
    let parse_opts = xml::ParseOptions {
        trim_text: step.is_none_or(|s| s.options.trim_text),
        ..xml::ParseOptions::default()
    };
    match (
        xml::parse(ra.body.as_bytes(), &parse_opts),
        xml::parse(rb.body.as_bytes(), &parse_opts),
    ) {
        (Ok(mut da), Ok(mut db)) => {
            masks.0.mask(&mut da);
            masks.1.mask(&mut db);
            let mut opts = step.map(|s| s.options.compare.clone()).unwrap_or_default();
            if !step.is_some_and(|s| s.options.compare_headers) {
                if let Ok(p) = xml::Path::parse("/soap:Envelope/soap:Header") {
                    opts.ignore.push(p);
                }
            }
            let comparison = xml::compare(&da, &db, &opts);
            for m in &comparison.mismatches {
                out.differences.push(MismatchRecord {
                    kind: m.kind.label().to_string(),
                    expected_path: m.expected_path.clone(),
                    actual_path: m.actual_path.clone(),
                    expected: m.expected.clone(),
                    actual: m.actual.clone(),
                    location: None,
                    message: m.message.clone(),
                });
            }
            if !comparison.mismatches.is_empty() {
                out.diff = Some(
                    xml::render_diff(&da, &db, &opts, &xml::DiffOptions::default())
                        .replace("--- expected", "--- A")
                        .replace("+++ actual", "+++ B"),
                );
            }
        }
        (pa, pb) => {
            // At least one side is not XML: compare the bodies as text.
            if ra.body.trim() != rb.body.trim() {
                let what = |r: &Result<Document, xml::XmlError>| match r {
                    Ok(_) => "XML".to_string(),
                    Err(e) => format!("not XML ({e})"),
                };
                out.differences.push(difference(
                    "body",
                    "body",
                    Some(what(&pa)),
                    Some(what(&pb)),
                    "the bodies differ and at least one is not XML".to_string(),
                ));
            }
        }
    }
    if !out.differences.is_empty() {
        out.verdict = StepVerdict::Differ;
    }
    out
}

fn presence(r: Option<&Exchange>) -> String {
    match r {
        Some(r) => format!("HTTP {}", r.status.unwrap_or(0)),
        None => "no response".to_string(),
    }
}

fn difference(
    kind: &str,
    path: &str,
    a: Option<String>,
    b: Option<String>,
    message: String,
) -> MismatchRecord {
    MismatchRecord {
        kind: kind.to_string(),
        expected_path: path.to_string(),
        actual_path: path.to_string(),
        expected: a,
        actual: b,
        location: None,
        message,
    }
}

/// Replaces one side's dynamic values by placeholders, numbering ids in order of first
/// appearance (kept across the steps of one case, so a reused id is recognized).
#[derive(Debug, Default)]
pub struct Masker {
    ids: BTreeMap<String, usize>,
    /// (value, placeholder), longest value first (a mailbox before its domain).
    variables: Vec<(String, String)>,
}

/// The names under which each side's endpoint URL and its `host:port` are masked
/// (`«var:endpoint»`, `«var:endpoint_authority»`).
const ENDPOINT_MASK: &str = "endpoint";
const AUTHORITY_MASK: &str = "endpoint_authority";

/// The placeholder of a numeric `Id`-like attribute.
pub const NUMBER_MASK: &str = "«number»";

/// The placeholder of a time-of-day value (`02:16:16.1090533`, POX Autodiscover's `Time`).
pub const TIME_MASK: &str = "«time»";

/// `hh:mm:ss` with optional fraction: a time of day, which differs between two runs.
fn is_time_of_day(value: &str) -> bool {
    let (hms, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let parts: Vec<&str> = hms.split(':').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// The placeholder of a dateTime value.
pub const DATETIME_MASK: &str = "«datetime»";

impl Masker {
    /// A masker that also replaces the values of `variables` (except `run_id`, the same on both
    /// sides, and values shorter than 4 characters) by `«var:NAME»`.
    pub fn with_variables(variables: &BTreeMap<String, String>) -> Masker {
        let mut pairs: Vec<(String, String)> = variables
            .iter()
            .filter(|(name, value)| name.as_str() != vars::RUN_ID && value.chars().count() >= 4)
            .map(|(name, value)| (value.clone(), format!("«var:{name}»")))
            .collect();
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Masker {
            ids: BTreeMap::new(),
            variables: pairs,
        }
    }

    fn variables_in(&self, value: &mut String) {
        for (needle, placeholder) in &self.variables {
            if value.contains(needle.as_str()) {
                *value = value.replace(needle.as_str(), placeholder);
            }
        }
    }

    /// Masks `doc` in place.
    pub fn mask(&mut self, doc: &mut Document) {
        self.element(&mut doc.root);
    }

    fn id(&mut self, value: &str) -> String {
        let next = self.ids.len() + 1;
        let n = *self.ids.entry(value.to_string()).or_insert(next);
        format!("«id-{n}»")
    }

    fn element(&mut self, el: &mut Element) {
        for attr in &mut el.attrs {
            let name = attr.name.local.as_str();
            let id_like = name == "Id"
                || name.ends_with("Id")
                || name == "ChangeKey"
                || name.ends_with("ChangeKey");
            let numeric = !attr.value.is_empty() && attr.value.bytes().all(|b| b.is_ascii_digit());
            if id_like && numeric {
                // A number a server gives each answer (POX Autodiscover's `Error/@Id`): no
                // identity to keep across steps.
                attr.value = NUMBER_MASK.to_string();
            } else if id_like && xml::is_base64(&attr.value) {
                attr.value = self.id(&attr.value);
            } else if xml::is_datetime(&attr.value) {
                attr.value = DATETIME_MASK.to_string();
            } else if is_time_of_day(&attr.value) {
                attr.value = TIME_MASK.to_string();
            } else {
                self.variables_in(&mut attr.value);
            }
        }
        // Opaque tokens a server mints as element text: subscription ids, watermarks, sync
        // states, message ids (masked like ids: consistently, so a swapped token still differs).
        let local = el.name.local.as_str();
        let token_text = local.ends_with("Id")
            || matches!(local, "Watermark" | "PreviousWatermark" | "SyncState");
        for child in &mut el.children {
            match child {
                Node::Element(e) => self.element(e),
                Node::Text(t) if token_text && !t.trim().is_empty() && !t.trim().contains(' ') => {
                    let token = t.trim().to_string();
                    *t = self.id(&token);
                }
                Node::Text(t) => {
                    if xml::is_datetime(t.trim()) {
                        *t = DATETIME_MASK.to_string();
                    } else {
                        self.variables_in(t);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        xml::parse(text.as_bytes(), &xml::ParseOptions::default()).expect("xml")
    }

    fn masked_equal(a: &[&str], b: &[&str]) -> Vec<bool> {
        let (mut ma, mut mb) = (Masker::default(), Masker::default());
        a.iter()
            .zip(b)
            .map(|(x, y)| {
                let (mut da, mut db) = (doc(x), doc(y));
                ma.mask(&mut da);
                mb.mask(&mut db);
                xml::compare(&da, &db, &xml::CompareOptions::default())
                    .mismatches
                    .is_empty()
            })
            .collect()
    }

    #[test]
    fn minted_tokens_in_element_text_are_masked_consistently() {
        let a = "<r><SubscriptionId>aaaa-1</SubscriptionId><Watermark>W1</Watermark></r>";
        let b = "<r><SubscriptionId>bbbb-2</SubscriptionId><Watermark>W2</Watermark></r>";
        assert_eq!(masked_equal(&[a], &[b]), [true]);
        // The same subscription in a later step must be the same one on the other side too.
        let (a2, b2) = (
            "<r><SubscriptionId>aaaa-1</SubscriptionId></r>",
            "<r><SubscriptionId>cccc-3</SubscriptionId></r>",
        );
        assert_eq!(masked_equal(&[a, a2], &[b, b2]), [true, false]);
    }

    #[test]
    fn numeric_ids_and_times_of_day_are_masked() {
        let a = r#"<Error Id="177776109" Time="02:16:16.1090533"/>"#;
        let b = r#"<Error Id="177776112" Time="02:16:17.0000001"/>"#;
        assert_eq!(masked_equal(&[a], &[b]), [true]);
        assert!(
            is_time_of_day("23:59:59") && !is_time_of_day("23:59") && !is_time_of_day("2:16:16")
        );
        assert_eq!(
            masked_equal(&[r#"<r Size="12"/>"#], &[r#"<r Size="13"/>"#]),
            [false],
            "a number that is not an id still differs"
        );
    }

    #[test]
    fn ids_and_timestamps_that_differ_only_as_dynamic_values_are_masked() {
        let a = r#"<r><g Id="AAMkAQEAAAAAAAV3Lg==" ChangeKey="EgAAAAAAAAE="/><t>2026-01-01T00:00:00Z</t></r>"#;
        let b = r#"<r><g Id="QkJCQkJCQkI=" ChangeKey="Q0NDQw==" /><t>2027-05-05T10:00:00Z</t></r>"#;
        assert_eq!(masked_equal(&[a], &[b]), [true]);
    }

    #[test]
    fn masking_is_consistent_across_steps_so_a_swapped_id_is_a_difference() {
        // Side A returns id X then refers to X again; side B returns Y then refers to Z.
        let a1 = r#"<r><g Id="WFhYWA=="/></r>"#;
        let a2 = r#"<r><ref Id="WFhYWA=="/></r>"#;
        let b1 = r#"<r><g Id="WVlZWQ=="/></r>"#;
        let b2 = r#"<r><ref Id="WlpaWg=="/></r>"#;
        assert_eq!(masked_equal(&[a1, a2], &[b1, b2]), [true, false]);
        // The same reuse on both sides is equal.
        assert_eq!(
            masked_equal(&[a1, a2], &[b1, r#"<r><ref Id="WVlZWQ=="/></r>"#]),
            [true, true]
        );
    }

    #[test]
    fn each_sides_own_variables_are_masked_longest_first() {
        let vars = |mailbox: &str, domain: &str| {
            let mut v = BTreeMap::new();
            v.insert("mailbox".to_string(), mailbox.to_string());
            v.insert("domain".to_string(), domain.to_string());
            v.insert("run_id".to_string(), "r0123456789".to_string());
            v
        };
        let mut ma = Masker::with_variables(&vars("alice@contoso.com", "contoso.com"));
        let mut mb = Masker::with_variables(&vars("bob@fabrikam.com", "fabrikam.com"));
        let mut da = doc(r#"<r><e>alice@contoso.com</e><s>sip:x-r0123456789@contoso.com</s></r>"#);
        let mut db = doc(r#"<r><e>bob@fabrikam.com</e><s>sip:x-r0123456789@fabrikam.com</s></r>"#);
        ma.mask(&mut da);
        mb.mask(&mut db);
        let comparison = xml::compare(&da, &db, &xml::CompareOptions::default());
        assert!(
            comparison.mismatches.is_empty(),
            "{:?}",
            comparison.mismatches
        );
        let shown = xml::pretty(&da);
        assert!(
            shown.contains("«var:mailbox»") && shown.contains("x-r0123456789@«var:domain»"),
            "{shown}"
        );
    }

    #[test]
    fn ordinary_values_are_not_masked() {
        let a = r#"<r Name="x"><c>NoError</c><n Id="not base64!"/></r>"#;
        let b = r#"<r Name="x"><c>ErrorItemNotFound</c><n Id="not base64!"/></r>"#;
        assert_eq!(masked_equal(&[a], &[b]), [false]);
        let mut d = doc(a);
        Masker::default().mask(&mut d);
        assert_eq!(d, doc(a), "nothing dynamic, nothing changed");
    }
}
