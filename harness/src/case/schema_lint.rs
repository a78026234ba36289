//! `lint`'s schema check of case requests: every `body` and `envelope` request (sidecars too),
//! with variables replaced by placeholder values, validated against Microsoft's EWS schema by
//! the `ews-schema` engine. A violation in a step that does not expect an
//! `ErrorSchemaValidation` fault is a [`LoadError`] at the `file:line:col` of the offending
//! markup in the case file (or its sidecar). `raw` requests are never checked: they are bytes
//! sent on purpose as they are; nor are requests to an Autodiscover `service`.
//!
//! Placeholders are runs of `x` as long as the `{{name}}` they replace, so positions stay those
//! of the source; a variable inside a value of a typed schema element (an integer, a boolean)
//! can therefore be reported although its real value would be valid.

use super::template::{placeholder_text, scan};
use super::{Case, LoadError, RequestBody, SourcePos, Step, XmlText};
use crate::xml;

/// The schema violations of the case's requests that its steps do not expect.
pub fn check(case: &Case) -> Vec<LoadError> {
    let mut errors = Vec::new();
    for step in case.steps.iter().chain(&case.cleanup) {
        check_step(case, step, &mut errors);
    }
    errors
}

fn check_step(case: &Case, step: &Step, errors: &mut Vec<LoadError>) {
    for cleanup in &step.cleanup {
        check_step(case, cleanup, errors);
    }
    // Autodiscover requests are not EWS messages: the EWS schema has nothing to say about them.
    if expects_schema_fault(step) || !step.request.service.is_ews() {
        return;
    }
    let (text, envelope) = match &step.request.body {
        RequestBody::Body { body, .. } => (body, false),
        RequestBody::Envelope(envelope) => (envelope, true),
        RequestBody::Raw(_) | RequestBody::None => return,
    };
    let Ok(spans) = scan(&text.template.source) else {
        return; // reported by the loader
    };
    let placeholder = placeholder_text(&text.template.source, &spans);
    let (document, shift) = if envelope {
        (placeholder, 0)
    } else {
        crate::runner::step::wrap_expected(&placeholder)
    };
    let Ok(violations) = ews_schema::Schema::ews().validate_document(document.as_bytes()) else {
        return; // not well-formed: the loader reported it
    };
    for v in violations {
        let col = if v.line == 1 {
            v.col.saturating_sub(shift).max(1)
        } else {
            v.col
        };
        let pos = text.map_pos(xml::TextPos { line: v.line, col });
        let full = v.to_string();
        let what = full
            .strip_prefix(&format!("{}:{}: ", v.line, v.col))
            .unwrap_or(&full);
        errors.push(LoadError {
            case_id: case.id.clone(),
            source_line: source_line(&pos),
            message: format!(
                "request of step `{}` is invalid against the EWS schema: {what}",
                step.name
            ),
            help: Some(
                "fix the request, or expect the fault (`fault: { code: ErrorSchemaValidation }`) \
                 if the step sends it on purpose"
                    .into(),
            ),
            pos,
        });
    }
}

/// Whether the step expects Exchange's answer to a schema violation.
fn expects_schema_fault(step: &Step) -> bool {
    const CODE: &str = "ErrorSchemaValidation";
    let fault = step.expect.fault.as_ref().is_some_and(|f| {
        f.code.as_ref().is_some_and(|c| &*c.local == CODE)
            || f.response_code.as_deref() == Some(CODE)
    });
    fault || step.expect.xml.as_ref().is_some_and(|x| mentions(x, CODE))
}

fn mentions(text: &XmlText, word: &str) -> bool {
    text.template.source.contains(word)
}

fn source_line(pos: &SourcePos) -> Option<String> {
    let text = std::fs::read_to_string(&pos.file).ok()?;
    text.lines()
        .nth(pos.line.checked_sub(1)?)
        .map(|l| l.trim_start_matches('\u{feff}').to_string())
}
