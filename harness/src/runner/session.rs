//! Who sends a step and how often: the sessions of one case (`as: USER`, `session: NAME`, each
//! with its own transport and so its own connections), polling steps (`retry:`), and the
//! dispatch of stream steps to [`super::stream`].
//!
//! The target's user in session `default` uses the run's shared transport; every other (user,
//! session) pair gets a transport of its own, made when a step first needs it and dropped (with
//! its connections and open streams) when the case ends.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::case::{Case, DEFAULT_SESSION, Step, StepFlow};
use crate::report::{StepPhase, StepResult, StepStatus};
use crate::target::{Target, user_env_name};
use crate::transport::Transport;

use super::stream::OpenStream;
use super::{CaseContext, step};

/// The transports and open streams of one running case.
pub struct CaseSessions<'a> {
    target: &'a Target,
    /// (user, session) -> its transport; the target's user in `default` is not here.
    opened: BTreeMap<(String, String), Transport>,
    /// Streams opened by `stream: NAME`, by name.
    pub streams: BTreeMap<String, OpenStream>,
}

impl<'a> CaseSessions<'a> {
    pub fn new(target: &'a Target) -> CaseSessions<'a> {
        CaseSessions {
            target,
            opened: BTreeMap::new(),
            streams: BTreeMap::new(),
        }
    }

    /// The transport for `flow`'s user and session; `None` = the run's shared one.
    fn transport(&mut self, flow: &StepFlow) -> Result<Option<&Transport>, String> {
        let Some(key) = session_key(flow) else {
            return Ok(None);
        };
        if !self.opened.contains_key(&key) {
            let auth = match &flow.user {
                Some(name) => match self.target.users.get(name) {
                    Some(user) => user.auth.clone(),
                    None => return Err(unknown_user_reason(name)),
                },
                None => self.target.auth.clone(),
            };
            let target = Target {
                auth,
                ..self.target.clone()
            };
            let transport = Transport::new(&target)
                .map_err(|e| format!("could not open session {}: {e}", label(flow)))?;
            self.opened.insert(key.clone(), transport);
        }
        Ok(self.opened.get(&key))
    }
}

/// `None` for the target's user in the default session, else (user or "", session).
fn session_key(flow: &StepFlow) -> Option<(String, String)> {
    let session = flow.session.as_deref().unwrap_or(DEFAULT_SESSION);
    if flow.user.is_none() && session == DEFAULT_SESSION {
        return None;
    }
    Some((flow.user.clone().unwrap_or_default(), session.to_string()))
}

/// How reports name the sender: `bob`, `bob/second`, `/second`; `None` for the default.
pub fn label(flow: &StepFlow) -> String {
    match (&flow.user, flow.session.as_deref()) {
        (Some(user), None | Some(DEFAULT_SESSION)) => user.clone(),
        (Some(user), Some(session)) => format!("{user}/{session}"),
        (None, Some(session)) => format!("/{session}"),
        (None, None) => String::new(),
    }
}

/// Why a case naming an unconfigured user is not run, with the fix.
pub fn unknown_user_reason(name: &str) -> String {
    format!(
        "not run: the target does not define the user `{name}`; add it under `users:` in the \
         target profile (`users: {{ {name}: {{ username: ..., mailbox: ... }} }}`, password in \
         {})",
        user_env_name("EWS_PASSWORD", name)
    )
}

/// The first user a step of `case` (cleanups included) acts as that `target` does not define.
pub fn missing_user(case: &Case, target: &Target) -> Option<String> {
    let mut all: Vec<&Step> = Vec::new();
    for step in &case.steps {
        all.push(step);
        all.extend(&step.cleanup);
    }
    all.extend(&case.cleanup);
    all.iter()
        .filter_map(|s| s.flow.user.as_ref())
        .find(|name| !target.users.contains_key(*name))
        .cloned()
}

/// Runs one step as its user and session: a stream step, a polling step or a plain one.
pub fn run(
    ctx: &CaseContext<'_>,
    step: &Step,
    phase: StepPhase,
    label_text: &str,
    vars: &mut BTreeMap<String, String>,
    sessions: &mut CaseSessions<'_>,
) -> step::StepRun {
    if step.flow.expect_stream.is_some() {
        return super::stream::expect(ctx, step, phase, vars, sessions);
    }
    let who = label(&step.flow);
    let own = match sessions.transport(&step.flow) {
        Ok(own) => own,
        Err(why) => {
            let mut result = step::blank_result(step, phase);
            result.status = StepStatus::Error;
            result.error = Some(ctx.scrub(&why));
            return step::StepRun {
                result,
                sent: false,
                unconfigured: None,
                refused: None,
            };
        }
    };
    let session_ctx = CaseContext {
        transport: own.unwrap_or(ctx.transport),
        ..ctx.clone()
    };
    let mut run = if let Some(name) = &step.flow.open_stream {
        let (run, stream) = super::stream::open(&session_ctx, step, phase, label_text, vars, name);
        if let Some(stream) = stream {
            sessions.streams.insert(name.clone(), stream);
        }
        run
    } else if step.flow.retry.is_some() {
        poll(&session_ctx, step, phase, label_text, vars)
    } else {
        step::run_step(&session_ctx, step, phase, label_text, vars)
    };
    if !who.is_empty() {
        run.result.detail.session = Some(who);
    }
    run
}

/// `retry:`: sends the step until its response meets the whole expectation, at most `within`
/// (and never past the run's deadline or a Ctrl-C), `every` apart. A transport error ends the
/// polling at once (could not test). The result is the last attempt's, with the count and time.
fn poll(
    ctx: &CaseContext<'_>,
    step: &Step,
    phase: StepPhase,
    label_text: &str,
    vars: &mut BTreeMap<String, String>,
) -> step::StepRun {
    let Some(retry) = &step.flow.retry else {
        return step::run_step(ctx, step, phase, label_text, vars);
    };
    let started = Instant::now();
    let deadline = ctx.wait.bound(started + retry.within);
    let mut attempts = 0u32;
    loop {
        // Bindings of an attempt that did not match are not kept.
        let mut attempt_vars = vars.clone();
        let mut run = step::run_step(ctx, step, phase, label_text, &mut attempt_vars);
        attempts += 1;
        let elapsed = started.elapsed();
        let status = run.result.status;
        let next_at = Instant::now() + retry.every;
        // The run's deadline may come before the step's own bound: then it is the reason.
        let cut_by_run = deadline < started + retry.within && next_at > deadline;
        let stop = ctx.wait.stopped().or(cut_by_run
            .then_some("the run hits its time limit (--run-timeout) before the next attempt"));
        if status != StepStatus::Fail || next_at > deadline || stop.is_some() {
            if status == StepStatus::Pass {
                *vars = attempt_vars;
            }
            let bound = fmt_duration(retry.within);
            let every = fmt_duration(retry.every);
            let tries = plural(attempts, "attempt");
            run.result.detail.attempts = Some(attempts);
            run.result.detail.waited = Some(match (status, stop) {
                (StepStatus::Pass, _) => format!(
                    "matched at attempt {attempts} after {} ms (bound {bound}, every {every})",
                    elapsed.as_millis()
                ),
                (StepStatus::Fail, Some(why)) => {
                    format!("stopped after {tries} in {} ms: {why}", elapsed.as_millis())
                }
                (StepStatus::Fail, None) => format!(
                    "no match within {bound}: {tries} in {} ms (every {every}); the last \
                     attempt's mismatches are shown",
                    elapsed.as_millis()
                ),
                _ => format!(
                    "stopped at attempt {attempts} after {} ms: the step could not be tested",
                    elapsed.as_millis()
                ),
            });
            run.result.duration_ms = elapsed.as_millis() as u64;
            if status == StepStatus::Fail {
                if let Some(waited) = run.result.detail.waited.clone() {
                    note_timeout(&mut run.result, &waited);
                }
            }
            return run;
        }
        std::thread::sleep(
            retry
                .every
                .min(deadline.saturating_duration_since(Instant::now())),
        );
    }
}

/// Puts the polling verdict first among the mismatches' messages (terminal and JUnit show it).
fn note_timeout(result: &mut StepResult, waited: &str) {
    result.mismatches.insert(
        0,
        crate::report::MismatchRecord {
            kind: "retry-timeout".into(),
            expected_path: "retry".into(),
            actual_path: "retry".into(),
            expected: Some("a matching response".into()),
            actual: None,
            location: result.location.clone(),
            message: waited.to_string(),
        },
    );
}

/// `10s`, `200ms`, `1.5s`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

pub fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
