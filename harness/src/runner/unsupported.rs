//! Servers that implement a subset of EWS: telling "not implemented" apart from a failure.
//!
//! Owns the rule that turns a step's refusal into an `unsupported` case. A response means "this
//! server does not implement the operation" when it is one of:
//! - HTTP 501 (any body);
//! - HTTP 500 whose body is not a SOAP envelope (an HTML error page, plain text, nothing);
//! - a SOAP fault whose ResponseCode (or faultcode) is `ErrorInvalidOperation` and whose text
//!   says "not implemented" (the reference server's "The operation X is not implemented by this
//!   server."), or `ErrorInvalidRequest` answering a step that expects no fault, or whose text
//!   names an unknown operation.
//!
//! A refusal counts only when the step did not pass and did not itself expect that code (a case
//! that provokes `ErrorInvalidRequest` on purpose still fails or passes as usual). The profile's
//! `operations:` list is the other way in: cases needing an operation outside it are unsupported
//! before anything is sent ([`needed_operations`]).

use std::collections::BTreeSet;

use crate::case::{Case, Service, Step};
use crate::soap;
use crate::xml::Document;

/// Why the target is taken not to implement an operation, as a reason line.
pub fn refusal(step: &Step, status: u16, doc: Option<&Document>) -> Option<String> {
    if status == 501 {
        return Some("HTTP 501 Not Implemented".to_string());
    }
    let Some(doc) = doc.filter(|d| d.root.name.local == "Envelope") else {
        return (status == 500).then(|| "HTTP 500 with a body that is not SOAP".to_string());
    };
    let fault = soap::fault(doc)?;
    let code = fault
        .response_code
        .clone()
        .unwrap_or_else(|| fault.code_local().to_string());
    let text = fault.string.to_ascii_lowercase();
    let names_unknown_operation = [
        "unknown operation",
        "unrecognized operation",
        "not recognized",
    ]
    .iter()
    .any(|w| text.contains(w));
    let not_implemented = match code.as_str() {
        "ErrorInvalidOperation" => text.contains("not implemented") || names_unknown_operation,
        // Ambiguous on its own: only for a step that expects no fault (a server that refuses
        // malformed input with it instead of ErrorSchemaValidation does not conform).
        "ErrorInvalidRequest" => !expects_fault(step),
        _ => names_unknown_operation || text.contains("not implemented"),
    };
    if !not_implemented || expects_code(step, &code) {
        return None;
    }
    Some(format!(
        "HTTP {status} SOAP fault {code}: {}",
        crate::report::text::first_line(&fault.string)
    ))
}

/// True when the step expects a SOAP fault (`fault:`, or a `Fault` in its expected XML).
fn expects_fault(step: &Step) -> bool {
    step.expect.fault.is_some()
        || step
            .expect
            .xml
            .as_ref()
            .is_some_and(|x| x.template.source.contains("Fault"))
}

/// True when the step's expectation names `code` itself (a fault it provokes on purpose).
fn expects_code(step: &Step, code: &str) -> bool {
    step.expect
        .fault
        .as_ref()
        .and_then(|f| f.response_code.as_deref())
        .is_some_and(|c| c == code)
        || step
            .expect
            .fault
            .as_ref()
            .and_then(|f| f.code.as_ref())
            .is_some_and(|c| c.local == code)
        || step
            .expect
            .xml
            .as_ref()
            .is_some_and(|x| x.template.source.contains(code))
}

/// The operation a refused step stands for: the step's own operation, else the case's main one.
pub fn operation_of(step: &Step, case: &Case) -> String {
    step.operation
        .clone()
        .or_else(|| case.operations.first().cloned())
        .unwrap_or_default()
}

/// Every operation a case needs: its declared operations and those of its steps and cleanups.
///
/// Only EWS steps count: a profile's `operations:` lists the EWS operations of the target, and
/// an Autodiscover step (`service: autodiscover-*`) talks to another service, so its operation
/// (GetUserSettings, ...) is neither needed nor refused.
pub fn needed_operations(case: &Case) -> BTreeSet<String> {
    let steps = || {
        case.steps
            .iter()
            .chain(&case.cleanup)
            .flat_map(|step| std::iter::once(step).chain(&step.cleanup))
    };
    let other_service: BTreeSet<&String> = steps()
        .filter(|step| step.request.service != Service::Ews)
        .filter_map(|step| step.operation.as_ref())
        .collect();
    let mut ops: BTreeSet<String> = case
        .operations
        .iter()
        .filter(|op| !other_service.contains(op))
        .cloned()
        .collect();
    for step in steps().filter(|step| step.request.service == Service::Ews) {
        ops.extend(step.operation.iter().cloned());
    }
    ops
}

/// The reason of a case the target cannot run because it lacks `operation`.
pub fn reason(operation: &str, why: &str) -> String {
    format!("unsupported: the target does not implement {operation} ({why})")
}
