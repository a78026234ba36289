//! Fixtures: setup steps many cases share, kept once in `cases/<family>/_fixtures/*.yaml`.
//!
//! A case lists them under `use:`; each use gives the fixture an alias (`as: group`) and its
//! parameters (`with: {name: "g-{{run_id}}"}`). The fixture file is validated like a case file
//! (errors at the fixture's own `file:line:col`), then its steps are instantiated for the use:
//! - every parameter `{{name}}` is replaced by the use's value (a template over the case's
//!   variables; its literal text is XML-escaped where the fixture's text is XML);
//! - every name the fixture captures or binds becomes `ALIAS.NAME` (so two uses of one fixture
//!   keep their values apart), and the case may use the exported ones (`{{group.id}}`);
//! - step names become `ALIAS: NAME`; positions stay in the fixture file, so a failing fixture
//!   step names the fixture's `file:line`.
//!
//! The instantiated steps run before the case's own steps; their cleanups are registered like
//! any step's, so they run after the case's (last registered first), always.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{BaseOptions, Scope, Validator, did_you_mean};
use crate::case::diagnostic::{self, Sources};
use crate::case::locate::Outline;
use crate::case::raw::{RawFixture, RawUse};
use crate::case::template::is_variable_name;
use crate::case::{
    FIXTURES_DIR, HeaderMatcher, RequestBody, Segment, SourcePos, Step, Template, XmlText,
};
use crate::target::vars;

/// What the `use:` list of a case produced.
#[derive(Default)]
pub(super) struct Uses {
    /// The instantiated fixture steps, in use order.
    pub steps: Vec<Step>,
    /// `ALIAS.NAME` of every export, for the case's scope.
    pub exported: BTreeSet<String>,
    /// alias -> help text naming the fixture's exports.
    pub help: BTreeMap<String, String>,
}

/// A validated fixture file, before instantiation.
struct Fixture {
    /// Parameter name -> default (None: required), with where it is declared.
    params: BTreeMap<String, (Option<Template>, SourcePos)>,
    steps: Vec<Step>,
    /// Every name the steps capture or bind.
    locals: BTreeSet<String>,
    exports: Vec<String>,
}

impl Validator<'_> {
    /// Validates the `use:` list and instantiates each use's steps.
    pub(super) fn uses(&mut self, uses: Vec<RawUse>, base_vars: &BTreeSet<String>) -> Uses {
        let mut out = Uses::default();
        let mut aliases: BTreeMap<String, usize> = BTreeMap::new();
        let empty_later = BTreeMap::new();
        for (u, raw) in uses.into_iter().enumerate() {
            let path = format!("use[{u}]");
            let alias = raw.alias.trim().to_string();
            if !is_variable_name(&alias) {
                self.error_at_value(
                    &format!("{path}.as"),
                    format!("`{alias}` is not a name ([A-Za-z_][A-Za-z0-9_]*)"),
                    None,
                );
                continue;
            }
            if base_vars.contains(&alias) {
                self.error_at_value(
                    &format!("{path}.as"),
                    format!("`as: {alias}` would hide the target variable of that name"),
                    Some("choose another name".into()),
                );
                continue;
            }
            if let Some(first) = aliases.insert(alias.clone(), u) {
                self.error_at_value(
                    &format!("{path}.as"),
                    format!("`as: {alias}` is already used by use {}", first + 1),
                    Some("give each use of a fixture its own name".into()),
                );
                continue;
            }
            let Some(fixture) =
                self.load_fixture(&raw.fixture, &format!("{path}.fixture"), base_vars)
            else {
                continue;
            };
            out.help.insert(
                alias.clone(),
                format!(
                    "fixture `{}` (as `{alias}`) exports: {}",
                    raw.fixture,
                    if fixture.exports.is_empty() {
                        "nothing".to_string()
                    } else {
                        fixture
                            .exports
                            .iter()
                            .map(|e| format!("`{alias}.{e}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            );

            // Parameter values, in the case's scope at this point.
            let mut available = base_vars.clone();
            available.extend(out.exported.iter().cloned());
            let scope = Scope {
                available: &available,
                later: &empty_later,
                fixtures: &out.help,
            };
            let mut values: BTreeMap<String, Template> = BTreeMap::new();
            let mut ok = true;
            for (name, text) in raw.with.map(|w| w.0).unwrap_or_default() {
                let key = format!("{path}.with.{name}");
                if !fixture.params.contains_key(&name) {
                    ok = false;
                    let names: Vec<&str> = fixture.params.keys().map(String::as_str).collect();
                    let help = did_you_mean(&name, names.iter().copied())
                        .map(|best| format!("did you mean `{best}`?"))
                        .or_else(|| {
                            Some(if names.is_empty() {
                                "the fixture has no parameters".to_string()
                            } else {
                                format!("parameters: {}", names.join(", "))
                            })
                        });
                    self.error_at_key(
                        &key,
                        format!("fixture `{}` has no parameter `{name}`", raw.fixture),
                        help,
                    );
                    continue;
                }
                let origin = self.inline_origin(&key);
                match self.request_template(&text, &origin, &scope) {
                    Some(t) => {
                        values.insert(name, t);
                    }
                    None => ok = false,
                }
            }
            for (name, (default, declared)) in &fixture.params {
                if values.contains_key(name) {
                    continue;
                }
                match default {
                    Some(t) => {
                        values.insert(name.clone(), t.clone());
                    }
                    None => {
                        ok = false;
                        self.error_at_key(
                            &format!("{path}.fixture"),
                            format!(
                                "fixture `{}` needs the parameter `{name}` (declared at {declared})",
                                raw.fixture
                            ),
                            Some(format!("add `with: {{ {name}: ... }}` to this use")),
                        );
                    }
                }
            }
            for export in &fixture.exports {
                out.exported.insert(format!("{alias}.{export}"));
            }
            if !ok {
                continue;
            }
            let rename = Rename {
                alias: &alias,
                params: &values,
                locals: &fixture.locals,
            };
            out.steps
                .extend(fixture.steps.iter().map(|s| rename.step(s)));
        }
        out
    }

    /// Reads and validates the fixture at `relative` (to the cases root). Its errors are
    /// reported at the fixture's own positions; a missing file at the case's `fixture:` value.
    fn load_fixture(
        &mut self,
        relative: &str,
        key_path: &str,
        base_vars: &BTreeSet<String>,
    ) -> Option<Fixture> {
        let in_fixtures_dir = Path::new(relative)
            .components()
            .any(|c| c.as_os_str() == FIXTURES_DIR);
        if !in_fixtures_dir {
            self.error_at_value(
                key_path,
                format!("`{relative}` is not in a `{FIXTURES_DIR}/` folder"),
                Some(format!(
                    "fixtures live in `cases/<family>/{FIXTURES_DIR}/` (paths are relative to the cases root), so the walk does not take them for cases"
                )),
            );
            return None;
        }
        let file = self.root.join(relative);
        let text = match crate::case::read::read_text(&file) {
            Ok(text) => text,
            Err(e) if e.in_content => {
                let pos = SourcePos {
                    file,
                    line: e.line,
                    col: e.col,
                };
                self.error(pos, e.message, e.help);
                return None;
            }
            Err(e) => {
                let help = e.help.or_else(|| {
                    Some(
                        "fixture paths are relative to the cases root (`im/_fixtures/x.yaml`)"
                            .into(),
                    )
                });
                self.error_at_value(
                    key_path,
                    format!("fixture `{relative}`: {}", e.message),
                    help,
                );
                return None;
            }
        };
        let mut sources = Sources::default();
        sources.add(&file, &text);
        let outline = Outline::new(&text);
        let raw: RawFixture = match crate::yaml::from_str(&text) {
            Ok(raw) => raw,
            Err(e) => {
                let error =
                    diagnostic::from_yaml_error(&e, &self.case_id, &file, &sources, &outline);
                self.errors.push(error);
                return None;
            }
        };
        let params: Vec<(String, Option<String>)> = raw
            .params
            .iter()
            .flatten()
            .map(|(name, p)| (name.clone(), p.default.clone()))
            .collect();
        let mut known: BTreeSet<String> = self.known.clone();
        known.extend(params.iter().map(|(n, _)| n.clone()));
        let mut sub = Validator {
            case_id: self.case_id.clone(),
            file: file.clone(),
            root: self.root.clone(),
            outline,
            sources,
            known: &known,
            errors: Vec::new(),
            service: crate::case::Service::default(),
        };
        let fixture = sub.fixture(raw, params, base_vars);
        self.errors.append(&mut sub.errors);
        fixture
    }

    /// Validates a fixture file's contents (this validator is the fixture file's).
    fn fixture(
        &mut self,
        raw: RawFixture,
        params: Vec<(String, Option<String>)>,
        target_vars: &BTreeSet<String>,
    ) -> Option<Fixture> {
        if raw.title.trim().is_empty() {
            self.error_at_value("title", "the title is empty", None);
        }
        let empty = BTreeMap::new();
        let scope = Scope {
            available: target_vars,
            later: &empty,
            fixtures: &empty,
        };
        let mut checked = BTreeMap::new();
        for (name, default) in params {
            let key = format!("params.{name}");
            if !is_variable_name(&name) {
                self.error_at_key(
                    &key,
                    format!("parameter `{name}` is not a name ([A-Za-z_][A-Za-z0-9_]*)"),
                    None,
                );
                continue;
            }
            if target_vars.contains(&name) || name == vars::RUN_ID {
                self.error_at_key(
                    &key,
                    format!("parameter `{name}` would hide the target variable of that name"),
                    Some("choose another name".into()),
                );
                continue;
            }
            let default = match default {
                Some(text) => {
                    let origin = self.inline_origin(&format!("{key}.default"));
                    match self.request_template(&text, &origin, &scope) {
                        Some(t) => Some(t),
                        None => continue,
                    }
                }
                None => None,
            };
            let declared = self.key_pos(&key);
            checked.insert(name, (default, declared));
        }
        let base = match raw.options {
            Some(options) => self.base_options(options, "options"),
            None => BaseOptions::default(),
        };
        if raw.steps.is_empty() {
            self.error_at_key("steps", "a fixture needs at least one step", None);
        }
        let locals: BTreeSet<String> = raw
            .steps
            .iter()
            .flat_map(|s| self.step_capture_names(s))
            .collect();
        let mut base_vars: BTreeSet<String> = self.known.clone();
        base_vars.insert(vars::RUN_ID.to_string());
        let (steps, _) = self.main_steps(raw.steps, &base, base_vars.clone(), &base_vars, &empty);
        for (i, export) in raw.exports.iter().enumerate() {
            if !locals.contains(export) {
                let names: Vec<&str> = locals.iter().map(String::as_str).collect();
                let help = did_you_mean(export, names.iter().copied())
                    .map(|best| format!("did you mean `{best}`?"))
                    .or_else(|| Some(format!("the steps capture: {}", names.join(", "))));
                self.error_at_value(
                    &format!("exports[{i}]"),
                    format!("`{export}` is exported but no step captures or binds it"),
                    help,
                );
            }
        }
        if !self.errors.is_empty() {
            return None;
        }
        Some(Fixture {
            params: checked,
            steps,
            locals,
            exports: raw.exports,
        })
    }
}

/// Checks the fixture `file` (named `relative` from the cases root) on its own, as a use with a
/// placeholder for each required parameter would: for fixtures no case uses yet.
pub fn check_fixture(
    root: &Path,
    file: &Path,
    relative: &str,
    known: &BTreeSet<String>,
) -> Vec<crate::case::LoadError> {
    let text = crate::case::read::read_text(file).unwrap_or_default();
    let mut sources = Sources::default();
    sources.add(file, &text);
    let case_id = relative
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .to_string();
    let mut validator = Validator {
        case_id,
        file: file.to_path_buf(),
        root: root.to_path_buf(),
        outline: Outline::new(&text),
        sources,
        known,
        errors: Vec::new(),
        service: crate::case::Service::default(),
    };
    let mut base_vars = known.clone();
    base_vars.insert(vars::RUN_ID.to_string());
    let _ = validator.load_fixture(relative, "title", &base_vars);
    validator.errors
}

/// How one use turns fixture names into case names.
struct Rename<'a> {
    alias: &'a str,
    params: &'a BTreeMap<String, Template>,
    locals: &'a BTreeSet<String>,
}

impl Rename<'_> {
    fn name(&self, name: &str) -> String {
        if self.locals.contains(name) {
            format!("{}.{name}", self.alias)
        } else {
            name.to_string()
        }
    }

    fn step(&self, step: &Step) -> Step {
        let mut step = step.clone();
        step.name = format!("{}: {}", self.alias, step.name);
        step.request.body = match &step.request.body {
            RequestBody::Envelope(x) => RequestBody::Envelope(self.xml(x)),
            RequestBody::Raw(t) => RequestBody::Raw(self.template(t, false)),
            RequestBody::None => RequestBody::None,
            RequestBody::Body { body, headers } => {
                let mut headers = headers.clone();
                headers.mailbox_culture = headers
                    .mailbox_culture
                    .as_ref()
                    .map(|t| self.template(t, false));
                headers.impersonate = headers
                    .impersonate
                    .as_ref()
                    .map(|t| self.template(t, false));
                RequestBody::Body {
                    body: self.xml(body),
                    headers,
                }
            }
        };
        for (_, value) in &mut step.request.http_headers {
            *value = self.template(value, false);
        }
        step.expect.xml = step.expect.xml.as_ref().map(|x| self.xml(x));
        for header in &mut step.expect.headers {
            if let HeaderMatcher::Exact(t) = &header.matcher {
                header.matcher = HeaderMatcher::Exact(self.template(t, false));
            }
        }
        for capture in &mut step.captures {
            capture.name = self.name(&capture.name);
        }
        step.cleanup = step.cleanup.iter().map(|c| self.step(c)).collect();
        step
    }

    fn xml(&self, text: &XmlText) -> XmlText {
        XmlText {
            template: self.template(&text.template, true),
            ..text.clone()
        }
    }

    /// Parameters spliced in (their literal text escaped when `xml`), locals renamed.
    fn template(&self, template: &Template, xml: bool) -> Template {
        let mut segments = Vec::new();
        for segment in &template.segments {
            match segment {
                Segment::Var(name) => match self.params.get(name) {
                    Some(value) => {
                        for part in &value.segments {
                            segments.push(match part {
                                Segment::Literal(text) if xml => Segment::Literal(escape(text)),
                                other => other.clone(),
                            });
                        }
                    }
                    None => segments.push(Segment::Var(self.name(name))),
                },
                Segment::Matcher(expr) => segments.push(Segment::Matcher(self.matcher(expr))),
                Segment::Literal(text) => segments.push(Segment::Literal(text.clone())),
            }
        }
        let source = segments
            .iter()
            .map(|s| match s {
                Segment::Literal(text) => text.clone(),
                Segment::Var(name) => format!("{{{{{name}}}}}"),
                Segment::Matcher(expr) => format!("{{{{{expr}}}}}"),
            })
            .collect();
        Template { source, segments }
    }

    /// Renames the names in `bind NAME ...`, `differs NAME ...`, `bind NEW differs OLD ...`.
    fn matcher(&self, expr: &str) -> String {
        let words: Vec<(usize, &str)> = word_spans(expr);
        let mut targets = Vec::new();
        match words.first().map(|w| w.1) {
            Some("bind") => {
                targets.push(1);
                if words.get(2).map(|w| w.1) == Some("differs") {
                    targets.push(3);
                }
            }
            Some("differs") => targets.push(1),
            _ => return expr.to_string(),
        }
        let mut out = String::new();
        let mut at = 0;
        for t in targets {
            if let Some(&(start, word)) = words.get(t) {
                out.push_str(&expr[at..start]);
                out.push_str(&self.name(word));
                at = start + word.len();
            }
        }
        out.push_str(&expr[at..]);
        out
    }
}

/// Words of `text` with their byte offsets.
fn word_spans(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// XML escaping of literal parameter text spliced into XML (the same set variables get).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matcher_names_are_renamed_in_place() {
        let locals: BTreeSet<String> = ["id", "ck"].iter().map(|s| s.to_string()).collect();
        let params = BTreeMap::new();
        let r = Rename {
            alias: "g",
            params: &params,
            locals: &locals,
        };
        assert_eq!(r.matcher("bind id ews_id"), "bind g.id ews_id");
        assert_eq!(
            r.matcher("bind new differs ck base64"),
            "bind new differs g.ck base64"
        );
        assert_eq!(r.matcher("differs ck"), "differs g.ck");
        assert_eq!(r.matcher("regex id  x"), "regex id  x");
        assert_eq!(r.matcher("bind other regex a  b"), "bind other regex a  b");
    }

    #[test]
    fn parameter_literals_are_escaped_only_in_xml() {
        let locals = BTreeSet::new();
        let mut params = BTreeMap::new();
        params.insert(
            "name".to_string(),
            Template::parse("a&b-{{run_id}}").unwrap(),
        );
        let r = Rename {
            alias: "g",
            params: &params,
            locals: &locals,
        };
        let t = Template::parse("<x>{{name}}</x>").unwrap();
        assert_eq!(r.template(&t, true).source, "<x>a&amp;b-{{run_id}}</x>");
        assert_eq!(r.template(&t, false).source, "<x>a&b-{{run_id}}</x>");
    }
}
