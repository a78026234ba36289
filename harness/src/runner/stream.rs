//! Stream steps: `stream: NAME` opens a streamed response (GetStreamingEvents) and keeps it for
//! the rest of the case; `expect_stream: { stream: NAME, within: 5s }` waits, bounded, for the
//! next document of that stream that meets the step's `expect` (or for the stream to end,
//! `closes: true`).
//!
//! Documents are read in order and each is read once: the documents an `expect_stream` step
//! passes over (keep-alives, other events) are shown in its result and not offered again. Each
//! document is judged like a response (the stream's HTTP headers, the EWS schema, the expected
//! XML, captures). A wait ends at its bound, at the run's deadline or at Ctrl-C, whichever comes
//! first; it never blocks longer than 100 ms between those checks.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::case::Step;
use crate::report::{Exchange, MismatchRecord, StepPhase, StepStatus, StreamDocument};
use crate::transport::HttpResponse;
use crate::transport::stream::{Splitter, StreamEvent, StreamHandle};

use super::session::{CaseSessions, fmt_duration, plural};
use super::{CaseContext, step};

/// Longest pause between checks of the bound, the deadline and Ctrl-C.
const POLL_SLICE: Duration = Duration::from_millis(100);

/// A stream opened by `stream: NAME`, being read.
pub struct OpenStream {
    handle: StreamHandle,
    splitter: Splitter,
    opened: Instant,
    /// Complete documents not yet read by a step, with their arrival time.
    pending: VecDeque<(Vec<u8>, Duration)>,
    /// Documents handed out so far.
    read: u32,
    /// How the body ended, once it did: `Ok` = normally, `Err` = why not.
    ended: Option<Result<(), String>>,
}

/// What waiting for the next document gave.
enum Next {
    Document(Vec<u8>, Duration),
    /// The stream ended normally.
    Closed,
    /// It broke or carried ill-formed XML.
    Broken(String),
    /// The bound (or the run's limit) came first; the text says which.
    TimedOut(Option<&'static str>),
}

impl OpenStream {
    fn next(&mut self, deadline: Instant, ctx: &CaseContext<'_>) -> Next {
        loop {
            if let Some((doc, at)) = self.pending.pop_front() {
                self.read += 1;
                return Next::Document(doc, at);
            }
            match &self.ended {
                Some(Ok(())) => return Next::Closed,
                Some(Err(why)) => return Next::Broken(why.clone()),
                None => {}
            }
            if let Some(why) = ctx.wait.stopped() {
                return Next::TimedOut(Some(why));
            }
            let now = Instant::now();
            if now >= deadline {
                return Next::TimedOut(None);
            }
            let slice = POLL_SLICE.min(deadline - now);
            match self.handle.next_event(slice) {
                None => {}
                Some(StreamEvent::Data(bytes)) => match self.splitter.push(&bytes) {
                    Ok(docs) => {
                        let at = self.opened.elapsed();
                        self.pending.extend(docs.into_iter().map(|d| (d, at)));
                    }
                    Err(why) => self.ended = Some(Err(why)),
                },
                Some(StreamEvent::End) => self.ended = Some(self.splitter.finish()),
                Some(StreamEvent::Failed(why)) => {
                    self.ended = Some(Err(format!("reading the stream failed: {why}")))
                }
            }
        }
    }
}

/// Opens the stream of a `stream: NAME` step: sends the request, checks the HTTP status and
/// response headers. The stream is returned when the request was answered.
pub fn open(
    ctx: &CaseContext<'_>,
    step: &Step,
    phase: StepPhase,
    label: &str,
    vars: &mut BTreeMap<String, String>,
    name: &str,
) -> (step::StepRun, Option<OpenStream>) {
    let started = Instant::now();
    let mut result = step::blank_result(step, phase);
    let run = |result| step::StepRun {
        result,
        sent: true,
        unconfigured: None,
        refused: None,
    };
    let request = match step::render_for(ctx, step, phase, label, vars) {
        Ok(request) => request,
        Err(early) => return (*early, None),
    };
    result.request = Some(Exchange {
        status: None,
        headers: ctx.redact_headers(&ctx.transport.headers_for(&request)),
        body: ctx.capped(&request.body),
        truncated: request.body.len() > step::REPORT_BODY_CAP,
    });
    let handle = match ctx.transport.open_stream(&request) {
        Ok(handle) => handle,
        Err(e) => {
            result.status = StepStatus::Error;
            result.error = Some(ctx.scrub(&format!("could not test: {e}")));
            result.duration_ms = started.elapsed().as_millis() as u64;
            return (run(result), None);
        }
    };
    if let Some(sent) = result.request.as_mut() {
        sent.headers = ctx.redact_headers(&handle.request_headers);
    }
    result.response = Some(Exchange {
        status: Some(handle.status),
        headers: ctx.redact_headers(&handle.headers),
        body: format!("(stream `{name}`: its documents are read by `expect_stream` steps)"),
        truncated: false,
    });
    let head = HttpResponse {
        status: handle.status,
        headers: handle.headers.clone(),
        ..HttpResponse::default()
    };
    let mut mismatches = super::headers::check(step, &head, vars);
    let expected_status = step.expect.effective_status();
    if handle.status != expected_status {
        mismatches.push(MismatchRecord {
            kind: "http-status".into(),
            expected_path: "HTTP status".into(),
            actual_path: "HTTP status".into(),
            expected: Some(expected_status.to_string()),
            actual: Some(handle.status.to_string()),
            location: Some(step.pos.to_string()),
            message: format!(
                "expected HTTP {expected_status} for the stream `{name}`, got HTTP {}",
                handle.status
            ),
        });
    }
    if !mismatches.is_empty() {
        result.status = StepStatus::Fail;
    }
    result.mismatches = mismatches;
    result.duration_ms = started.elapsed().as_millis() as u64;
    let stream = OpenStream {
        handle,
        splitter: Splitter::default(),
        opened: started,
        pending: VecDeque::new(),
        read: 0,
        ended: None,
    };
    (run(result), Some(stream))
}

/// An `expect_stream` step: reads documents of the named stream until one meets the step's
/// `expect` (then, with `closes: true`, until the stream ends), within the bound.
pub fn expect(
    ctx: &CaseContext<'_>,
    step: &Step,
    phase: StepPhase,
    vars: &mut BTreeMap<String, String>,
    sessions: &mut CaseSessions<'_>,
) -> step::StepRun {
    let started = Instant::now();
    let mut result = step::blank_result(step, phase);
    let done = |mut result: crate::report::StepResult| {
        result.duration_ms = started.elapsed().as_millis() as u64;
        step::StepRun {
            result,
            sent: false,
            unconfigured: None,
            refused: None,
        }
    };
    let Some(wanted) = &step.flow.expect_stream else {
        return done(result);
    };
    let name = wanted.stream.as_str();
    let Some(stream) = sessions.streams.get_mut(name) else {
        result.status = StepStatus::Error;
        result.error = Some(format!(
            "could not test: the stream `{name}` is not open (the step that opens it did not \
             get an answer)"
        ));
        return done(result);
    };
    let deadline = ctx.wait.bound(started + wanted.within);
    let bound = fmt_duration(wanted.within);
    let headers = stream.handle.headers.clone();
    let status = stream.handle.status;
    let mut matched = step.expect.xml.is_none();
    // The mismatches of the closest document judged, shown when nothing matched.
    let mut last: Option<crate::report::StepResult> = None;
    let outcome = loop {
        match stream.next(deadline, ctx) {
            Next::Document(doc, at) => {
                let index = stream.read;
                let mut record = StreamDocument {
                    stream: name.to_string(),
                    index,
                    at_ms: at.as_millis() as u64,
                    matched: false,
                    body: ctx.capped(&doc),
                };
                if !matched {
                    let response = HttpResponse {
                        status,
                        headers: headers.clone(),
                        body: doc,
                        ..HttpResponse::default()
                    };
                    let mut judged = step::blank_result(step, phase);
                    let mut attempt_vars = vars.clone();
                    step::judge_response(ctx, step, &response, &mut attempt_vars, &mut judged);
                    match judged.status {
                        StepStatus::Pass => {
                            *vars = attempt_vars;
                            matched = true;
                            record.matched = true;
                            result.response = Some(Exchange {
                                status: Some(status),
                                headers: ctx.redact_headers(&headers),
                                body: record.body.clone(),
                                truncated: response.body.len() > step::REPORT_BODY_CAP,
                            });
                        }
                        StepStatus::Error => {
                            result.detail.stream_documents.push(record);
                            result.mismatches = judged.mismatches;
                            break Err(format!(
                                "could not test: stream `{name}` document {index}: {}",
                                judged.error.unwrap_or_default()
                            ));
                        }
                        // The closest miss (fewest mismatches; the later on a tie) is shown
                        // when nothing matches.
                        _ if last
                            .as_ref()
                            .is_none_or(|l| judged.mismatches.len() <= l.mismatches.len()) =>
                        {
                            last = Some(judged)
                        }
                        _ => {}
                    }
                }
                result.detail.stream_documents.push(record);
                if matched && !wanted.closes {
                    break Ok(None);
                }
            }
            Next::Closed if matched => break Ok(None),
            Next::Closed => {
                break Ok(Some(format!(
                    "the stream `{name}` closed before a matching document arrived"
                )));
            }
            Next::Broken(why) => break Err(format!("could not test: stream `{name}`: {why}")),
            Next::TimedOut(stop) => {
                let what = if matched {
                    format!("the stream `{name}` did not close within {bound}")
                } else {
                    format!(
                        "no document matching the expectation arrived on the stream `{name}` within {bound}"
                    )
                };
                break Ok(Some(match stop {
                    Some(why) => format!("{what}: stopped early, {why}"),
                    None => what,
                }));
            }
        }
    };
    let seen = plural(result.detail.stream_documents.len() as u32, "document");
    result.detail.waited = Some(format!(
        "{seen} read from `{name}` in {} ms (bound {bound})",
        started.elapsed().as_millis()
    ));
    match outcome {
        Ok(None) => {}
        Ok(Some(missing)) => {
            result.status = StepStatus::Fail;
            let mut mismatches = vec![MismatchRecord {
                kind: "stream".into(),
                expected_path: format!("stream {name}"),
                actual_path: format!("stream {name}"),
                expected: Some(if matched {
                    "the end of the stream".into()
                } else {
                    "a document matching the expectation".into()
                }),
                actual: Some(seen.clone()),
                location: Some(step.pos.to_string()),
                message: format!("{missing} ({seen} read)"),
            }];
            if let Some(last) = last {
                // What the closest miss looked like: that document's differences.
                mismatches.extend(last.mismatches);
                result.diff = last.diff;
                result.response = last.response.or(result.response);
            }
            result.mismatches = mismatches;
        }
        Err(why) => {
            result.status = StepStatus::Error;
            result.error = Some(ctx.scrub(&why));
        }
    }
    done(result)
}
