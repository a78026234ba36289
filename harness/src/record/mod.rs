//! Recording: a run's responses become the expectations of its cases.
//!
//! Owns what happens between a run and a rewritten case file:
//! - [`RecordConfig`]: the bless mode (`--bless` / `EWS_BLESS`, [`crate::bless::Mode`]), whether
//!   `CI` is set (then nothing is ever written), and how the harness was invoked (so every
//!   mismatch message ends with the exact command that accepts the new output);
//! - [`RecordedCase`]: what the runner hands over per case (a small hook in
//!   [`crate::runner::run_case`]): each main step's response and the variables before it;
//! - [`write_pending`]: masks each response ([`mask`]), rewrites only the `expect` blocks of the
//!   case file by byte span ([`crate::case::step_edit`]), checks that the result still loads,
//!   and writes it as `case.yaml.new` beside the case (mode `new`) or over the case (mode
//!   `overwrite`);
//! - [`review`]: the `review` command (diffs of pending `.new` files, accept or reject).
//!
//! Which steps are recorded: main steps of the case file itself (not a fixture's) whose
//! expectation is inline or absent, that got a SOAP response which is not a fault, and that
//! either have no expectation yet or failed. Passing expectations are left as written.

pub mod mask;
pub mod review;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::bless::Mode;
use crate::case::{self, Case};
use crate::report::{StepResult, StepStatus};
use crate::xml;

/// How a run records and how it tells the user to accept new output.
#[derive(Debug, Clone)]
pub struct RecordConfig {
    /// What may be written (`no`: nothing).
    pub mode: Mode,
    /// `CI` is set: nothing is written whatever the mode (and the output says so).
    pub ci: bool,
    /// How to start the harness again with the same cases and target, ending before the
    /// arguments of `run`: `cargo run --release -- --cases x` or `/path/ews-conformance`.
    pub invocation: String,
    /// The same without run-only flags, for `review` (`cargo run --`, the binary path).
    pub review_invocation: String,
}

impl Default for RecordConfig {
    fn default() -> Self {
        RecordConfig {
            mode: Mode::No,
            ci: false,
            invocation: "cargo run --release --".to_string(),
            review_invocation: "cargo run --".to_string(),
        }
    }
}

impl RecordConfig {
    /// Whether this run records responses.
    pub fn records(&self) -> bool {
        self.mode != Mode::No && !self.ci
    }

    /// The command that records `case` and shows the pending file for review.
    pub fn accept_command(&self, case: &Case) -> String {
        format!(
            "{}=new {} --exact {} && {} review {}",
            crate::bless::ENV,
            self.invocation,
            case.id,
            self.review_invocation,
            pending_path(&case.file).display()
        )
    }
}

/// The pending file of a case: `case.yaml.new` beside it.
pub fn pending_path(case_file: &Path) -> PathBuf {
    let mut name = case_file.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// One main step as it ran.
#[derive(Debug, Clone)]
pub struct RecordedStep {
    /// Index in [`Case::steps`] (fixture steps included).
    pub index: usize,
    /// Variables before the step (target variables, run id, earlier captures).
    pub before: BTreeMap<String, String>,
    pub result: StepResult,
}

/// One case as it ran, for the recorder.
#[derive(Debug, Clone)]
pub struct RecordedCase {
    pub case: Case,
    pub steps: Vec<RecordedStep>,
}

/// What [`write_pending`] did for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The pending (or, with `overwrite`, the case) file written, and the steps recorded.
    File { path: PathBuf, steps: Vec<String> },
    /// A step that needed recording could not be (why).
    Skipped { file: PathBuf, why: String },
}

/// Records every case of `recorded` as [`RecordConfig::mode`] says. `target` holds the
/// target's variables and the run id (for masking). Never writes when `CI` is set.
pub fn write_pending(
    config: &RecordConfig,
    recorded: &[RecordedCase],
    target: &BTreeMap<String, String>,
) -> Vec<Written> {
    let mut out = Vec::new();
    if !config.records() {
        return out;
    }
    for rc in recorded {
        out.extend(record_case(config, rc, target));
    }
    out
}

fn record_case(
    config: &RecordConfig,
    rc: &RecordedCase,
    target: &BTreeMap<String, String>,
) -> Vec<Written> {
    let file = &rc.case.file;
    let skipped = |why: String| Written::Skipped {
        file: file.clone(),
        why,
    };
    let Ok(original) = std::fs::read_to_string(file) else {
        return vec![skipped("cannot read the case file".into())];
    };
    // Steps of the case file itself, by their index in `steps:`.
    let own: Vec<usize> = rc
        .case
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.pos.file == *file)
        .map(|(i, _)| i)
        .collect();
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut recorded_names = Vec::new();
    let mut notes = Vec::new();
    for run in &rc.steps {
        let Some(file_index) = own.iter().position(|&i| i == run.index) else {
            continue;
        };
        let step = &rc.case.steps[run.index];
        let old_xml = step.expect.xml.as_ref();
        let needs = match old_xml {
            None => step.expect.fault.is_none(),
            Some(_) => run.result.status == StepStatus::Fail,
        };
        if !needs {
            continue;
        }
        if old_xml.is_some_and(|x| x.pos.file != *file) {
            notes.push(skipped(format!(
                "step \"{}\": its expectation is a sidecar file (`expect_file`); not rewritten",
                step.name
            )));
            continue;
        }
        if step.expect.fault.is_some() {
            continue;
        }
        let Some(response) = &run.result.response else {
            continue;
        };
        if response.truncated {
            notes.push(skipped(format!(
                "step \"{}\": the response is larger than the report cap; not recorded",
                step.name
            )));
            continue;
        }
        let doc = match xml::parse(response.body.as_bytes(), &xml::ParseOptions::default()) {
            Ok(doc) => doc,
            Err(e) => {
                notes.push(skipped(format!(
                    "step \"{}\": the response is not XML ({}); not recorded",
                    step.name, e.message
                )));
                continue;
            }
        };
        // A POX Autodiscover response is the expectation as a whole document.
        let element = if step.request.service == case::Service::AutodiscoverPox {
            Some(&doc.root)
        } else {
            body_child(&doc.root)
        };
        let Some(element) = element else {
            notes.push(skipped(format!(
                "step \"{}\": the response has no SOAP Body content; not recorded",
                step.name
            )));
            continue;
        };
        if element.name.local == "Fault" {
            notes.push(skipped(format!(
                "step \"{}\": the response is a SOAP fault; write `fault:` for it by hand",
                step.name
            )));
            continue;
        }
        let old = old_xml.map(old_places).unwrap_or_default();
        let captured: BTreeMap<String, String> = run
            .before
            .iter()
            .filter(|(k, _)| !target.contains_key(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let ctx = mask::MaskContext {
            captured: &captured,
            target,
            old: &old,
        };
        let text = mask::expectation(element, &ctx);
        let Some(edit) = case::step_edit(&original, file_index) else {
            notes.push(skipped(format!(
                "step \"{}\" is written in flow style (`- {{ ... }}`); not rewritten",
                step.name
            )));
            continue;
        };
        let content_indent = " ".repeat(edit.key_indent + 2);
        let block: String = text
            .lines()
            .map(|l| format!("\n{content_indent}{l}"))
            .collect();
        match edit.expect {
            Some(range) => edits.push((range, format!(" |{block}"))),
            None => {
                let lead = if edit.insert_at == original.len() && !original.ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                let key = " ".repeat(edit.key_indent);
                edits.push((
                    edit.insert_at..edit.insert_at,
                    format!("{lead}{key}expect: |{block}\n"),
                ));
            }
        }
        recorded_names.push(step.name.clone());
    }
    if edits.is_empty() {
        return notes;
    }
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut rewritten = original.clone();
    for (range, text) in edits {
        rewritten.replace_range(range, &text);
    }
    let target_path = if config.mode == Mode::Overwrite {
        file.clone()
    } else {
        pending_path(file)
    };
    // The rewritten file must load before it is offered.
    // Beside the case (sidecars are relative to it), under a name the walk never takes.
    let check = file.with_extension("yaml.recording-check");
    let known: BTreeSet<String> = target.keys().cloned().collect();
    let root = cases_root(file, &rc.case.id);
    let loads = std::fs::write(&check, &rewritten)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            case::load_file(&root, &check, &known)
                .map(|_| ())
                .map_err(|errors| {
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                })
        });
    let _ = std::fs::remove_file(&check);
    if let Err(why) = loads {
        notes.push(skipped(format!(
            "the recorded file would not load; nothing written:\n{why}"
        )));
        return notes;
    }
    if let Err(e) = write_atomic(&target_path, &rewritten) {
        notes.push(skipped(format!(
            "cannot write {}: {e}",
            target_path.display()
        )));
        return notes;
    }
    notes.insert(
        0,
        Written::File {
            path: target_path,
            steps: recorded_names,
        },
    );
    notes
}

/// `cases/im/x.yaml` with id `im/x` -> `cases`.
fn cases_root(file: &Path, id: &str) -> PathBuf {
    let mut root = file.to_path_buf();
    for _ in 0..id.split('/').count() {
        root.pop();
    }
    root
}

fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp-record");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The element inside `soap:Body`.
fn body_child(root: &xml::Element) -> Option<&xml::Element> {
    fn elements(e: &xml::Element) -> impl Iterator<Item = &xml::Element> {
        e.children.iter().filter_map(|n| match n {
            xml::Node::Element(e) => Some(e),
            xml::Node::Text(_) => None,
        })
    }
    let body = elements(root).find(|e| e.name.local == "Body")?;
    elements(body).next()
}

/// The `bind`/`differs` matchers of an old inline expectation, by place.
fn old_places(x: &case::XmlText) -> BTreeMap<String, String> {
    let (wrapped, _) = crate::runner::step::wrap_expected(&x.template.source);
    match xml::parse(wrapped.as_bytes(), &xml::ParseOptions::default()) {
        Ok(doc) => body_child(&doc.root).map(mask::places).unwrap_or_default(),
        Err(_) => BTreeMap::new(),
    }
}

/// The lines the run prints about what it recorded.
pub fn summary(config: &RecordConfig, written: &[Written]) -> String {
    let mut out = String::new();
    if config.mode != Mode::No && config.ci {
        out.push_str(
            "bless: CI is set, so nothing is written (the bless mode is ignored under CI)\n",
        );
        return out;
    }
    let mut pending = Vec::new();
    for w in written {
        match w {
            Written::File { path, steps } => {
                out.push_str(&format!(
                    "recorded {} step(s) into {}: {}\n",
                    steps.len(),
                    path.display(),
                    steps.join(", ")
                ));
                if config.mode == Mode::New {
                    pending.push(path.display().to_string());
                }
            }
            Written::Skipped { file, why } => {
                out.push_str(&format!("not recorded ({}): {why}\n", file.display()));
            }
        }
    }
    if !pending.is_empty() {
        out.push_str(&format!(
            "review them with: {} review   (or `review --accept-all`)\n",
            config.review_invocation
        ));
    }
    out
}
