//! Validation of one step (main or cleanup): name, request, HTTP headers, expectation (status,
//! fault, XML, response headers), captures, options and the step's own cleanups. Each piece is a
//! method of its own; [`Validator::step`] only strings them together.

use std::collections::BTreeMap;

use super::{BaseOptions, Origin, REQUEST_KEYS, Scope, Validator, is_token_byte, keys_list};
use super::{merge_options, path_message};
use crate::case::raw::{RawStep, StringPairs};
use crate::case::template::is_variable_name;
use crate::case::{
    Capture, Expectation, HeaderExpectation, HeaderMatcher, HeaderRegex, Request, RequestBody,
    Segment, SourcePos, Step, Template, XmlText,
};
use crate::xml;

use std::time::Duration;

use crate::case::{DEFAULT_RETRY_EVERY, MAX_WAIT, Retry, StepFlow, StreamExpectation};

/// A user, session or stream name: letters, digits, `_`, `-`, `.`.
fn is_flow_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Whether a step is one of `steps` or a cleanup step.
pub(super) enum StepKind<'a> {
    /// A step of `steps`: it must have a name; its cleanups may use what it captures.
    Main { captures: &'a [String] },
    /// A cleanup step: its name defaults to `default_name`; it has no cleanup of its own.
    Cleanup { default_name: String },
}

/// Where a step is in the file and what it may use.
pub(super) struct StepPlace<'a> {
    /// Outline path of the step (`steps[2]`, `steps[0].cleanup[1]`, `cleanup[0]`).
    pub path: String,
    pub scope: &'a Scope<'a>,
    pub base: &'a BaseOptions,
    pub kind: StepKind<'a>,
}

impl StepPlace<'_> {
    fn key(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }
}

impl Validator<'_> {
    /// Validates one step; `None` when it has errors (they are recorded).
    pub(super) fn step(&mut self, raw: RawStep, place: &StepPlace<'_>) -> Option<Step> {
        let errors_before = self.errors.len();
        let name = self.step_name(&raw, place);
        let pos = self.value_pos(&place.path);
        let request = self.step_request(&raw, &name, &pos, place);
        let mut binds = Vec::new();
        let expect = self.step_expectation(&raw, place, &mut binds);
        let flow = self.step_flow(&raw, place);
        let service = self
            .service_named(raw.service.as_deref(), &place.key("service"))
            .unwrap_or(self.service);
        if !service.is_ews() && raw.headers.is_some() {
            self.error_at_key(
                &place.key("headers"),
                format!("`headers` are EWS SOAP headers: service `{}` has none", service.name()),
                Some("remove `headers`; an `autodiscover-soap` body gets its WS-Addressing headers built".into()),
            );
        }
        let http_headers = self.step_http_headers(raw.http_headers, place);
        let captures = self.step_captures(raw.capture, place, &binds);
        let options = match raw.options {
            Some(options) => {
                let own = self.base_options(options, &place.key("options"));
                merge_options(place.base, &own)
            }
            None => merge_options(place.base, &BaseOptions::default()),
        };
        let cleanup = self.step_cleanups(raw.cleanup, &name, place, &flow);
        if self.errors.len() > errors_before {
            return None;
        }
        let (body, operation) = request?;
        Some(Step {
            name,
            operation,
            request: Request {
                body,
                soap_action: raw.soap_action,
                http_headers,
                service,
            },
            expect,
            captures,
            options,
            cleanup,
            flow,
            pos,
        })
    }

    /// `as`, `session`, `retry`, `stream`, `expect_stream`: names, bounds, and which go together.
    fn step_flow(&mut self, raw: &RawStep, place: &StepPlace<'_>) -> StepFlow {
        let cleanup = matches!(place.kind, StepKind::Cleanup { .. });
        let user = raw.as_user.clone();
        let session = raw.session.clone();
        for (key, value) in [("as", &user), ("session", &session)] {
            if let Some(name) = value
                && !is_flow_name(name)
            {
                self.error_at_value(
                    &place.key(key),
                    format!("`{name}` is not a valid {key} name"),
                    Some("use letters, digits, `_`, `-` or `.`".into()),
                );
            }
        }
        let retry = raw.retry.as_ref().and_then(|r| {
            if let Some(until) = r.until.as_deref().filter(|u| *u != "match") {
                self.error_at_value(
                    &place.key("retry.until"),
                    format!("unknown `until: {until}`"),
                    Some("`until: match` (the response meets the whole expectation)".into()),
                );
            }
            let within = self.bound(&r.within, &place.key("retry.within"))?;
            let every = match &r.every {
                Some(text) => self.bound(text, &place.key("retry.every"))?,
                None => DEFAULT_RETRY_EVERY,
            };
            if every > within {
                self.error_at_value(
                    &place.key("retry.every"),
                    format!("`every` ({every:?}) is longer than `within` ({within:?})"),
                    None,
                );
            }
            Some(Retry { within, every })
        });
        let open_stream = raw.stream.clone();
        if let Some(name) = &open_stream {
            if !is_flow_name(name) {
                self.error_at_value(
                    &place.key("stream"),
                    format!("`{name}` is not a valid stream name"),
                    Some("use letters, digits, `_`, `-` or `.`".into()),
                );
            }
            for (key, given) in [
                ("expect", raw.expect.is_some()),
                ("expect_file", raw.expect_file.is_some()),
                ("fault", raw.fault.is_some()),
                ("capture", raw.capture.is_some()),
            ] {
                if given {
                    self.error_at_key(
                        &place.key(key),
                        format!("`{key}` does not apply to a step that opens a stream"),
                        Some("judge the stream's documents in `expect_stream` steps".into()),
                    );
                }
            }
            if cleanup {
                self.error_at_key(
                    &place.key("stream"),
                    "a cleanup step cannot open a stream",
                    None,
                );
            }
        }
        let expect_stream = raw.expect_stream.as_ref().and_then(|e| {
            if cleanup {
                self.error_at_key(
                    &place.key("expect_stream"),
                    "a cleanup step cannot read a stream",
                    None,
                );
            }
            for (key, given) in [
                ("status", raw.status.is_some()),
                ("fault", raw.fault.is_some()),
                ("expect_headers", raw.expect_headers.is_some()),
                ("retry", raw.retry.is_some()),
                ("stream", raw.stream.is_some()),
                ("as", raw.as_user.is_some()),
                ("session", raw.session.is_some()),
            ] {
                if given {
                    self.error_at_key(
                        &place.key(key),
                        format!("`{key}` does not apply to an `expect_stream` step"),
                        Some(
                            "the step that opens the stream (`stream: NAME`) sends the request \
                             and checks the HTTP answer"
                                .into(),
                        ),
                    );
                }
            }
            let closes = e.closes.unwrap_or(false);
            if !closes && raw.expect.is_none() && raw.expect_file.is_none() {
                self.error_at_key(
                    &place.key("expect_stream"),
                    "an `expect_stream` step needs `expect` (the document to wait for) or \
                     `closes: true`",
                    None,
                );
            }
            let within = self.bound(&e.within, &place.key("expect_stream.within"))?;
            Some(StreamExpectation {
                stream: e.stream.clone(),
                within,
                closes,
            })
        });
        if retry.is_some() && open_stream.is_some() {
            self.error_at_key(
                &place.key("retry"),
                "`retry` and `stream` do not go together",
                Some("wait for documents of the stream with `expect_stream`".into()),
            );
        }
        StepFlow {
            user,
            session,
            retry,
            open_stream,
            expect_stream,
        }
    }

    /// A bounded wait: a duration above zero and at most [`MAX_WAIT`].
    fn bound(&mut self, text: &str, path: &str) -> Option<Duration> {
        match crate::target::parse_duration(text) {
            Ok(d) if d.is_zero() => {
                self.error_at_value(path, "the duration must be above zero", None);
                None
            }
            Ok(d) if d > MAX_WAIT => {
                self.error_at_value(
                    path,
                    format!(
                        "`{text}` is longer than the longest wait, {}s",
                        MAX_WAIT.as_secs()
                    ),
                    None,
                );
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                self.error_at_value(
                    path,
                    format!("bad duration `{text}`: {message}"),
                    Some("write `200ms`, `5s`, `2m`".into()),
                );
                None
            }
        }
    }

    /// The step's name: required for main steps, defaulted for cleanup steps, never blank.
    fn step_name(&mut self, raw: &RawStep, place: &StepPlace<'_>) -> String {
        let name = match (&raw.name, &place.kind) {
            (Some(name), _) => name.clone(),
            (None, StepKind::Cleanup { default_name }) => default_name.clone(),
            (None, StepKind::Main { .. }) => {
                let pos = self.value_pos(&place.path);
                self.error(
                    pos,
                    format!("missing key `name` in `{}`", place.path),
                    Some("every step needs a name, unique within the case".into()),
                );
                return String::new();
            }
        };
        if name.trim().is_empty() {
            self.error_at_value(&place.key("name"), "the step name is empty", None);
        }
        name
    }

    /// Exactly one of the request keys, rendered into a request body and its operation.
    fn step_request(
        &mut self,
        raw: &RawStep,
        name: &str,
        pos: &SourcePos,
        place: &StepPlace<'_>,
    ) -> Option<(RequestBody, Option<String>)> {
        let requests = [
            &raw.body,
            &raw.envelope,
            &raw.raw,
            &raw.body_file,
            &raw.envelope_file,
            &raw.raw_file,
        ];
        let given: Vec<usize> = (0..REQUEST_KEYS.len())
            .filter(|&k| requests[k].is_some())
            .collect();
        if raw.expect_stream.is_some() {
            // It reads an open stream: no request of its own.
            if let Some(&k) = given.first() {
                self.error_at_key(
                    &place.key(REQUEST_KEYS[k]),
                    format!(
                        "an `expect_stream` step sends nothing: `{}` is not allowed",
                        REQUEST_KEYS[k]
                    ),
                    Some("send the request in a step of its own before this one".into()),
                );
                return None;
            }
            return Some((RequestBody::None, None));
        }
        // `headers` only make sense around a built envelope (`body` / `body_file`).
        if raw.headers.is_some() && !given.is_empty() && !matches!(given.as_slice(), [0] | [3]) {
            self.error_at_key(
                &place.key("headers"),
                "`headers` only apply to `body` / `body_file` requests",
                Some("an envelope carries its own headers; a raw request is sent as it is".into()),
            );
        }
        match given.as_slice() {
            [] => {
                self.error(
                    pos.clone(),
                    format!("step `{name}` has no request"),
                    Some(format!("give one of {}", keys_list(REQUEST_KEYS))),
                );
                None
            }
            [k] => {
                let key = REQUEST_KEYS[*k];
                let text = requests[*k].clone().unwrap_or_default();
                let (body, operation) =
                    self.request_body(key, text, &place.path, place.scope, raw.headers.as_ref())?;
                Some((body, operation))
            }
            [first, second, ..] => {
                self.error_at_key(
                    &place.key(REQUEST_KEYS[*second]),
                    format!(
                        "a step has exactly one request: `{}` and `{}` are both given",
                        REQUEST_KEYS[*first], REQUEST_KEYS[*second]
                    ),
                    None,
                );
                None
            }
        }
    }

    /// `http_headers`: valid names, values are request templates.
    fn step_http_headers(
        &mut self,
        raw: Option<StringPairs>,
        place: &StepPlace<'_>,
    ) -> Vec<(String, Template)> {
        let mut headers = Vec::new();
        for (header, value) in raw.map(|p| p.0).unwrap_or_default() {
            let value_path = place.key(&format!("http_headers.{header}"));
            self.check_header_name(&header, &value_path);
            let origin = self.inline_origin(&value_path);
            if let Some(template) = self.request_template(&value, &origin, place.scope) {
                headers.push((header, template));
            }
        }
        headers
    }

    fn check_header_name(&mut self, header: &str, key_path: &str) -> bool {
        let ok = !header.is_empty() && header.bytes().all(is_token_byte);
        if !ok {
            self.error_at_key(
                key_path,
                format!("`{header}` is not a valid HTTP header name"),
                None,
            );
        }
        ok
    }

    /// Status, fault, expected XML and expected response headers. `{{bind}}` names found in the
    /// XML are added to `binds` with their positions.
    fn step_expectation(
        &mut self,
        raw: &RawStep,
        place: &StepPlace<'_>,
        binds: &mut Vec<(String, SourcePos)>,
    ) -> Expectation {
        if let Some(code) = raw.status {
            if !(100..=599).contains(&code) {
                self.error_at_value(
                    &place.key("status"),
                    format!("`{code}` is not an HTTP status (100-599)"),
                    None,
                );
            }
        }
        let fault = raw.fault.as_ref().map(|f| self.fault(f, &place.path));
        let xml = self.step_expected_xml(raw, place, binds);
        let headers = self.step_expected_headers(raw.expect_headers.clone(), place);
        Expectation {
            status: raw.status,
            fault,
            xml,
            headers,
        }
    }

    fn step_expected_xml(
        &mut self,
        raw: &RawStep,
        place: &StepPlace<'_>,
        binds: &mut Vec<(String, SourcePos)>,
    ) -> Option<XmlText> {
        match (&raw.expect, &raw.expect_file) {
            (Some(_), Some(_)) => {
                self.error_at_key(
                    &place.key("expect_file"),
                    "give either `expect` or `expect_file`, not both",
                    None,
                );
                None
            }
            (Some(text), None) => {
                let origin = self.inline_origin(&place.key("expect"));
                self.expectation(text, origin, place.scope, binds)
            }
            (None, Some(file)) => self
                .sidecar(file, &place.key("expect_file"))
                .and_then(|(text, origin)| self.expectation(&text, origin, place.scope, binds)),
            (None, None) => None,
        }
    }

    /// `expect_headers`: header name -> exact template, `{{regex RE}}`, `{{any}}`, `{{absent}}`.
    fn step_expected_headers(
        &mut self,
        raw: Option<StringPairs>,
        place: &StepPlace<'_>,
    ) -> Vec<HeaderExpectation> {
        let mut expected: Vec<HeaderExpectation> = Vec::new();
        // Every name seen (also those whose value is wrong), with the position of its key.
        let mut seen: Vec<(String, SourcePos)> = Vec::new();
        for (name, value) in raw.map(|p| p.0).unwrap_or_default() {
            let key_path = place.key(&format!("expect_headers.{name}"));
            if !self.check_header_name(&name, &key_path) {
                continue;
            }
            if let Some((first, first_pos)) =
                seen.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name))
            {
                let help = format!("`{first}` is already expected at {first_pos}");
                self.error_at_key(
                    &key_path,
                    format!("header `{name}` is expected twice (names are case-insensitive)"),
                    Some(help),
                );
                continue;
            }
            seen.push((name.clone(), self.key_pos(&key_path)));
            let pos = self.value_pos(&key_path);
            if let Some(matcher) = self.header_matcher(&value, &key_path, place) {
                expected.push(HeaderExpectation { name, matcher, pos });
            }
        }
        expected
    }

    fn header_matcher(
        &mut self,
        value: &str,
        key_path: &str,
        place: &StepPlace<'_>,
    ) -> Option<HeaderMatcher> {
        let trimmed = value.trim();
        let whole = trimmed
            .strip_prefix("{{")
            .and_then(|rest| rest.strip_suffix("}}"))
            .filter(|inner| !inner.contains("{{") && !inner.contains("}}"));
        if let Some(inner) = whole {
            let inner = inner.trim();
            let (word, rest) = inner
                .split_once(char::is_whitespace)
                .map_or((inner, ""), |(w, r)| (w, r.trim()));
            match word {
                "any" if rest.is_empty() => return Some(HeaderMatcher::Any),
                "absent" if rest.is_empty() => return Some(HeaderMatcher::Absent),
                "regex" => {
                    return match HeaderRegex::new(rest) {
                        Ok(regex) => Some(HeaderMatcher::Regex(regex)),
                        Err(message) => {
                            self.error_at_value(
                                key_path,
                                format!("bad regular expression `{rest}`: {message}"),
                                None,
                            );
                            None
                        }
                    };
                }
                _ if is_variable_name(inner) => {}
                _ => {
                    self.error_at_value(
                        key_path,
                        format!("`{{{{{inner}}}}}` is not a header matcher"),
                        Some(
                            "use an exact value, `{{regex RE}}`, `{{any}}` or `{{absent}}`".into(),
                        ),
                    );
                    return None;
                }
            }
        }
        let partial = Template::parse(value.trim()).ok().and_then(|t| {
            t.segments.into_iter().find_map(|s| match s {
                Segment::Matcher(m) => Some(m),
                _ => None,
            })
        });
        if let Some(matcher) = partial {
            self.error_at_value(
                key_path,
                format!("`{{{{{matcher}}}}}` must be the whole header value"),
                Some("for a partial match write the whole value as `{{regex RE}}`".into()),
            );
            return None;
        }
        let origin: Origin = self.inline_origin(key_path);
        self.request_template(value.trim(), &origin, place.scope)
            .map(HeaderMatcher::Exact)
    }

    /// `capture`: variable names and paths; a name bound twice in the step is an error.
    fn step_captures(
        &mut self,
        raw: Option<StringPairs>,
        place: &StepPlace<'_>,
        binds: &[(String, SourcePos)],
    ) -> Vec<Capture> {
        // Two `{{bind}}`s of one name in the step's expectation.
        let mut bound: BTreeMap<&str, &SourcePos> = BTreeMap::new();
        for (name, pos) in binds {
            if let Some(first) = bound.insert(name, pos) {
                let (first, again) = if first.line <= pos.line {
                    (first, pos)
                } else {
                    (pos, first)
                };
                self.error(
                    again.clone(),
                    format!("`{name}` is bound twice in this step"),
                    Some(format!("the first `{{{{bind {name}}}}}` is at {first}")),
                );
            }
        }
        let mut captures = Vec::new();
        for (capture_name, text) in raw.map(|p| p.0).unwrap_or_default() {
            let capture_path = place.key(&format!("capture.{capture_name}"));
            if !is_variable_name(&capture_name) {
                self.error_at_key(
                    &capture_path,
                    format!("`{capture_name}` is not a variable name ([A-Za-z_][A-Za-z0-9_]*)"),
                    None,
                );
                continue;
            }
            if let Some(bind_pos) = bound.get(capture_name.as_str()) {
                self.error_at_key(
                    &capture_path,
                    format!(
                        "`{capture_name}` is bound twice in this step: by `{{{{bind {capture_name}}}}}` and by `capture`"
                    ),
                    Some(format!("the `{{{{bind}}}}` is at {bind_pos}; keep one of them")),
                );
                continue;
            }
            match xml::Path::parse(&text) {
                Ok(p) => captures.push(Capture {
                    name: capture_name,
                    path: p,
                    pos: self.value_pos(&capture_path),
                }),
                Err(message) => {
                    self.error_at_value(&capture_path, path_message(&text, &message), None)
                }
            }
        }
        captures
    }

    /// The step's own cleanups (main steps only); they may use what the step captures.
    fn step_cleanups(
        &mut self,
        raw: Option<Vec<RawStep>>,
        own_name: &str,
        place: &StepPlace<'_>,
        flow: &StepFlow,
    ) -> Vec<Step> {
        let Some(raw) = raw else {
            return Vec::new();
        };
        let StepKind::Main { captures } = place.kind else {
            self.error_at_key(
                &place.key("cleanup"),
                "a cleanup step cannot have a `cleanup` of its own",
                Some("list the extra cleanup next to this one instead".into()),
            );
            return Vec::new();
        };
        let mut available = place.scope.available.clone();
        available.extend(captures.iter().cloned());
        let scope = Scope {
            available: &available,
            later: place.scope.later,
            fixtures: place.scope.fixtures,
        };
        let mut cleanup = Vec::new();
        for (i, raw_cleanup) in raw.into_iter().enumerate() {
            let cleanup_place = StepPlace {
                path: place.key(&format!("cleanup[{i}]")),
                scope: &scope,
                base: place.base,
                kind: StepKind::Cleanup {
                    default_name: format!("cleanup after {own_name}"),
                },
            };
            if let Some(mut step) = self.step(raw_cleanup, &cleanup_place) {
                // A cleanup runs as the user (and session) that created what it removes.
                if step.flow.user.is_none() {
                    step.flow.user.clone_from(&flow.user);
                    if step.flow.session.is_none() {
                        step.flow.session.clone_from(&flow.session);
                    }
                }
                cleanup.push(step);
            }
        }
        cleanup
    }
}
