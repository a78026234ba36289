//! The case loader end to end: fixture files under `tests/fixtures/cases/` (see the README
//! there) load into typed cases, or fail with errors that point at `file:line:col`, show the
//! source line with a caret, and suggest a fix.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ews_conformance::case::{
    self, Capture, Case, Escape, Expectation, FaultExpectation, HeaderOverrides, LoadError,
    MissingVar, Request, RequestBody, Segment, ServerVersion, Service, SourcePos, Step,
    StepOptions, Template, XmlText,
};
use ews_conformance::target::vars;
use ews_conformance::xml;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cases")
}

fn known() -> BTreeSet<String> {
    vars::ALL.iter().map(|s| s.to_string()).collect()
}

fn load(dir: &str, file: &str) -> Case {
    let root = fixtures().join(dir);
    match case::load_file(&root, &root.join(file), &known()) {
        Ok(case) => case,
        Err(errors) => panic!("{file} must load, but:\n{}", render(&errors)),
    }
}

fn load_errors(dir: &str, file: &str) -> Vec<LoadError> {
    let root = fixtures().join(dir);
    match case::load_file(&root, &root.join(file), &known()) {
        Ok(case) => panic!("{file} loaded, but it must fail: {case:#?}"),
        Err(errors) => errors,
    }
}

fn render(errors: &[LoadError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// (file name, line, col, message, help) of each error, for compact exact assertions.
fn summary(errors: &[LoadError]) -> Vec<(String, usize, usize, String, Option<String>)> {
    errors
        .iter()
        .map(|e| {
            (
                e.pos
                    .file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                e.pos.line,
                e.pos.col,
                e.message.clone(),
                e.help.clone(),
            )
        })
        .collect()
}

fn err(
    file: &str,
    line: usize,
    col: usize,
    message: &str,
    help: Option<&str>,
) -> (String, usize, usize, String, Option<String>) {
    (
        file.to_string(),
        line,
        col,
        message.to_string(),
        help.map(str::to_string),
    )
}

const ALL_VARS: &str = "variables here: distribution_group, distribution_group_name, domain, \
                        impersonation_denied_target, impersonation_target, mailbox, run_id";

// ---------------------------------------------------------------------------------------------
// Errors the YAML backend finds (keys and types), with positions and did-you-mean.

#[test]
fn unknown_keys_are_all_reported_with_did_you_mean() {
    let errors = load_errors("errors", "unknown_keys.yaml");
    assert_eq!(
        summary(&errors),
        vec![
            err(
                "unknown_keys.yaml",
                7,
                5,
                "unknown key `expext` in `steps[0]`",
                Some("did you mean `expect`?")
            ),
            err(
                "unknown_keys.yaml",
                10,
                5,
                "unknown key `captrue` in `steps[1]`",
                Some("did you mean `capture`?")
            ),
        ]
    );
}

#[test]
fn an_error_renders_like_a_compiler_diagnostic() {
    let errors = load_errors("errors", "unknown_keys.yaml");
    let file = fixtures().join("errors/unknown_keys.yaml");
    assert_eq!(
        errors[0].to_string(),
        format!(
            "error: unknown key `expext` in `steps[0]`\n \
             --> {}:7:5\n  \
             |\n\
             7 |     expext: <m:GetImItemListResponse/>\n  \
             |     ^\n  \
             = help: did you mean `expect`?",
            file.display()
        )
    );
    assert_eq!(errors[0].case_id, "unknown_keys");
}

#[test]
fn a_wrong_type_points_at_the_value() {
    let errors = load_errors("errors", "wrong_type.yaml");
    assert_eq!(
        summary(&errors),
        vec![err(
            "wrong_type.yaml",
            7,
            13,
            "invalid type: string \"not-a-number\", expected u16 in `steps[0].status`",
            None
        )]
    );
    assert_eq!(
        errors[0].source_line.as_deref(),
        Some("    status: not-a-number")
    );
}

#[test]
fn a_duplicate_key_points_at_its_second_occurrence() {
    let errors = load_errors("errors", "duplicate_key.yaml");
    assert_eq!(
        summary(&errors),
        vec![err(
            "duplicate_key.yaml",
            7,
            5,
            "key `raw` is given twice in `steps[0]`",
            Some("a key may appear once in a mapping")
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// Errors validation finds: every one in the file, each at its place.

#[test]
fn every_semantic_error_of_a_file_is_reported_at_its_place() {
    let errors = load_errors("errors", "semantics.yaml");
    let f = "semantics.yaml";
    assert_eq!(
        summary(&errors),
        vec![
            err(
                f,
                2,
                12,
                "unknown EWS operation `RemoveImContactFromGrop`",
                Some("did you mean `RemoveImContactFromGroup`?")
            ),
            err(
                f,
                3,
                8,
                "unknown server version `Exchange2013SP1`",
                Some("did you mean `Exchange2013_SP1`?")
            ),
            err(f, 8, 26, "unknown variable `contact_idd`", Some(ALL_VARS)),
            err(
                f,
                9,
                24,
                "matchers are only allowed in expectations: `{{any}}`",
                Some("a request needs a value: use a variable or write the value")
            ),
            err(
                f,
                11,
                5,
                "`headers` only apply to `body` / `body_file` requests",
                Some("an envelope carries its own headers; a raw request is sent as it is")
            ),
            err(
                f,
                12,
                5,
                "step `no request at all` has no request",
                Some(
                    "give one of `body`, `envelope`, `raw`, `body_file`, `envelope_file`, `raw_file`"
                )
            ),
            err(
                f,
                16,
                5,
                "a step has exactly one request: `raw` and `body_file` are both given",
                None
            ),
            err(
                f,
                18,
                28,
                "unclosed `{{`: every `{{` needs a matching `}}`",
                None
            ),
        ]
    );
    // The caret line shows the `{{` of the unknown variable inside the block scalar.
    assert_eq!(
        errors[2].source_line.as_deref(),
        Some("        <m:ContactId Id=\"{{contact_idd}}\"/>")
    );
}

#[test]
fn positions_inside_a_folded_plain_value_are_on_their_own_line() {
    let errors = load_errors("errors", "folded.yaml");
    assert_eq!(
        summary(&errors),
        vec![err(
            "folded.yaml",
            7,
            28,
            "unknown variable `group_idd`",
            Some(ALL_VARS)
        )]
    );
}

#[test]
fn clashing_names_are_errors() {
    let errors = load_errors("errors", "names.yaml");
    assert_eq!(
        summary(&errors),
        vec![
            err(
                "names.yaml",
                7,
                16,
                "capture `mailbox` would hide the target variable of that name",
                Some("choose another name")
            ),
            err(
                "names.yaml",
                8,
                11,
                "step name `list` is used twice",
                Some("the first is step 1 (line 5); names must be unique")
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Sidecar files.

#[test]
fn a_raw_sidecar_loads_relative_to_the_case_file() {
    let case = load("sidecar", "im/raw_sidecar.yaml");
    assert_eq!(case.id, "im/raw_sidecar");
    let RequestBody::Raw(template) = &case.steps[0].request.body else {
        panic!("expected a raw request: {:?}", case.steps[0].request.body);
    };
    let expected =
        std::fs::read_to_string(fixtures().join("sidecar/im/raw_sidecar.request.xml")).unwrap();
    assert_eq!(template.source, expected);
    // Raw requests exist to send what a server must refuse: `https://` namespaces are allowed.
    assert!(template.source.contains("https://schemas.microsoft.com/"));
    assert_eq!(template.variables().collect::<Vec<_>>(), ["mailbox"]);
    assert_eq!(case.steps[0].operation, None);
}

#[test]
fn errors_inside_a_sidecar_name_the_sidecar() {
    let errors = load_errors("sidecar", "im/bad_sidecar.yaml");
    assert_eq!(
        summary(&errors)[1],
        err(
            "bad_sidecar.request.xml",
            3,
            38,
            "unknown variable `no_such_var`",
            Some(ALL_VARS)
        )
    );
    assert_eq!(
        errors[1].source_line.as_deref(),
        Some("    <m:GetImItemList xmlns:m=\"urn:x\">{{no_such_var}}</m:GetImItemList>")
    );
    // A missing sidecar is reported at the `raw_file` value in the case file.
    assert_eq!((errors[0].pos.line, errors[0].pos.col), (8, 15));
    assert!(
        errors[0].message.starts_with("cannot read `") && errors[0].message.contains("missing.xml"),
        "{}",
        errors[0].message
    );
}

// ---------------------------------------------------------------------------------------------
// Directories.

#[test]
fn a_broken_file_does_not_stop_the_others() {
    let root = fixtures().join("dir");
    let outcome = case::load_dir(&root, &known());
    let ids: Vec<&str> = outcome.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a", "b/c"]);
    assert_eq!(
        summary(&outcome.errors),
        vec![err(
            "broken.yaml",
            2,
            12,
            "unknown EWS operation `GetImItemLists`",
            Some("did you mean `GetImItemList`?")
        )]
    );
    assert_eq!(outcome.errors[0].case_id, "broken");

    let c = &outcome.cases[1];
    assert_eq!(c.family(), "b");
    assert_eq!(c.operations, ["GetImItemList", "GetImItems"]);
    assert_eq!(c.since, ServerVersion::parse("Exchange2013_SP1").unwrap());
    assert_eq!(c.tags, ["im", "malformed"]);
    assert_eq!(c.spec.as_deref(), Some("EWS reference"));
    assert_eq!(
        c.ignore.as_deref(),
        Some("kept out of normal runs on purpose")
    );
    let step = &c.steps[0];
    assert_eq!(step.request.soap_action.as_deref(), Some(""));
    assert_eq!(
        step.request.http_headers,
        vec![("X-AnchorMailbox".to_string(), tpl("{{mailbox}}"))]
    );
    let fault = step.expect.fault.as_ref().unwrap();
    assert_eq!(
        fault.code,
        Some(xml::QName {
            ns: Some(xml::ns::TYPES.into()),
            local: "ErrorSchemaValidation".into()
        })
    );
    assert_eq!(step.expect.status, None);
    assert_eq!(step.expect.effective_status(), 500);
    assert_eq!(outcome.cases[0].steps[0].expect.effective_status(), 500);
}

#[test]
fn a_missing_directory_is_one_error() {
    let outcome = case::load_dir(&fixtures().join("no-such-dir"), &known());
    assert!(outcome.cases.is_empty());
    assert_eq!(outcome.errors.len(), 1);
    assert!(
        outcome.errors[0]
            .message
            .starts_with("cannot read the case directory")
    );
}

#[test]
fn hostile_files_are_errors_not_panics() {
    let dir = crate::support::TempDir::new("case-hostile");
    let root = dir.path();
    let deep = "a: ".repeat(10_000);
    let files: &[(&str, &[u8])] = &[
        ("empty.yaml", b""),
        ("list.yaml", b"- a\n- b\n"),
        ("not_utf8.yaml", b"title: \xff\xfe\n"),
        ("tabs.yaml", b"title: t\n\tsteps: []\n"),
        ("deep.yaml", deep.as_bytes()),
        ("old_extension.yml", b"title: t\n"),
    ];
    for (name, bytes) in files {
        std::fs::write(root.join(name), bytes).unwrap();
    }
    let outcome = case::load_dir(root, &known());
    assert!(outcome.cases.is_empty());
    let mut files: Vec<String> = outcome
        .errors
        .iter()
        .map(|e| {
            e.pos
                .file
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.dedup();
    assert_eq!(
        files,
        [
            "deep.yaml",
            "empty.yaml",
            "list.yaml",
            "not_utf8.yaml",
            "old_extension.yml",
            "tabs.yaml"
        ],
        "{}",
        render(&outcome.errors)
    );
    for error in &outcome.errors {
        assert!(error.pos.line >= 1 && error.pos.col >= 1, "{error}");
    }
}

// ---------------------------------------------------------------------------------------------
// Templates.

fn tpl(text: &str) -> Template {
    Template::parse(text).unwrap()
}

#[test]
fn templates_render_variables_escaped_and_keep_matchers() {
    let t = tpl("<a n=\"{{name}}\">{{ any }}{{run_id}}</a>");
    assert_eq!(
        t.segments,
        vec![
            Segment::Literal("<a n=\"".into()),
            Segment::Var("name".into()),
            Segment::Literal("\">".into()),
            Segment::Matcher("any".into()),
            Segment::Var("run_id".into()),
            Segment::Literal("</a>".into()),
        ]
    );
    assert_eq!(t.variables().collect::<Vec<_>>(), ["name", "run_id"]);
    let lookup = |name: &str| match name {
        "name" => Some("a&b<\"c'>".to_string()),
        "run_id" => Some("r1".to_string()),
        _ => None,
    };
    assert_eq!(
        t.render(&lookup, Escape::Xml).unwrap(),
        "<a n=\"a&amp;b&lt;&quot;c&apos;&gt;\">{{any}}r1</a>"
    );
    assert_eq!(
        t.render(&lookup, Escape::None).unwrap(),
        "<a n=\"a&b<\"c'>\">{{any}}r1</a>"
    );
    assert_eq!(
        t.render(&|_| None, Escape::Xml),
        Err(MissingVar("name".into()))
    );
}

#[test]
fn template_syntax_errors() {
    assert!(Template::parse("<a>{{run_id</a>").is_err());
    assert!(Template::parse("{{}}").is_err());
    assert!(Template::parse("{{not a name}}").is_err());
    assert_eq!(
        tpl("no braces").segments,
        vec![Segment::Literal("no braces".into())]
    );
    assert_eq!(
        tpl("{{regex ^a{2}$}}").segments,
        vec![Segment::Matcher("regex ^a{2}$".into())]
    );
}

// ---------------------------------------------------------------------------------------------
// JSON Schema and FORMAT.md stay in sync with the code.

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed =
        std::fs::read_to_string(repo_file("cases/case.schema.json")).unwrap_or_default();
    assert!(
        committed.trim_end() == case::json_schema().trim_end(),
        "cases/case.schema.json is out of date; regenerate it with \
         `cargo run -- schema > cases/case.schema.json`"
    );
}

#[test]
fn the_schema_describes_every_key() {
    let schema: serde_json::Value = serde_json::from_str(&case::json_schema()).unwrap();
    let top: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    for key in [
        "title",
        "operation",
        "operations",
        "since",
        "steps",
        "cleanup",
        "options",
    ] {
        assert!(top.iter().any(|k| *k == key), "{key} missing from {top:?}");
    }
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let step = &schema["$defs"]["RawStep"];
    assert_eq!(step["additionalProperties"], false);
    assert!(step["properties"]["expect"]["description"].is_string());
    assert!(step["properties"]["expect_headers"]["description"].is_string());
    // One step type: `steps` items need a name; cleanup items may not nest a cleanup.
    let main_items = &schema["properties"]["steps"]["items"]["allOf"];
    assert_eq!(main_items[0]["$ref"], "#/$defs/RawStep");
    assert_eq!(main_items[1]["required"], serde_json::json!(["name"]));
    for cleanup in [
        &schema["properties"]["cleanup"],
        &step["properties"]["cleanup"],
    ] {
        let items = &cleanup["items"]["allOf"];
        assert_eq!(items[0]["$ref"], "#/$defs/RawStep", "{cleanup}");
        assert_eq!(
            items[1]["not"]["required"],
            serde_json::json!(["cleanup"]),
            "{cleanup}"
        );
    }
}

/// The YAML block between the worked-example markers of cases/FORMAT.md.
fn worked_example_in_format_md() -> String {
    let doc = std::fs::read_to_string(repo_file("cases/FORMAT.md")).unwrap();
    let start = doc
        .find("<!-- worked-example:start -->")
        .expect("start marker");
    let end = doc.find("<!-- worked-example:end -->").expect("end marker");
    let block = &doc[start..end];
    let body_start = block.find("```yaml\n").expect("yaml fence") + "```yaml\n".len();
    let body_end = block.rfind("```").expect("closing fence");
    block[body_start..body_end].to_string()
}

#[test]
fn format_md_worked_example_is_the_fixture() {
    let fixture = std::fs::read_to_string(
        fixtures().join("worked_example/im/remove_contact_from_group.yaml"),
    )
    .unwrap();
    assert!(
        worked_example_in_format_md() == fixture,
        "the worked example in cases/FORMAT.md and \
         tests/fixtures/cases/worked_example/im/remove_contact_from_group.yaml must be identical"
    );
}

// ---------------------------------------------------------------------------------------------
// Paths that go through the XML engine.

#[test]
fn the_worked_example_loads() {
    let case = load("worked_example", "im/remove_contact_from_group.yaml");
    assert_eq!(case.id, "im/remove_contact_from_group");
    assert_eq!(case.family(), "im");
    let names: Vec<&str> = case.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "create a group",
            "add a new IM contact to the group",
            "remove the contact from the group",
            "remove it again",
            "a RequestServerVersion older than Exchange2013 is refused",
        ]
    );
    let operations: Vec<Option<&str>> = case.steps.iter().map(|s| s.operation.as_deref()).collect();
    assert_eq!(
        operations,
        [
            Some("AddImGroup"),
            Some("AddNewImContactToGroup"),
            Some("RemoveImContactFromGroup"),
            Some("RemoveImContactFromGroup"),
            Some("RemoveImContactFromGroup"),
        ]
    );
    assert_eq!(
        case.steps[0].cleanup[0].name,
        "cleanup after create a group"
    );
    assert_eq!(
        case.steps[1].cleanup[0].name,
        "take the contact off the IM list"
    );
    assert_eq!(case.steps[4].expect.effective_status(), 500);
}

fn pos(line: usize, col: usize) -> SourcePos {
    SourcePos {
        file: fixtures().join("full/full.yaml"),
        line,
        col,
    }
}

fn xt(text: &str, line: usize, col: usize, indent: usize) -> XmlText {
    XmlText {
        template: tpl(text),
        pos: pos(line, col),
        indent,
    }
}

fn path(text: &str) -> xml::Path {
    xml::Path::parse(text).unwrap()
}

fn options(ignore: &[&str], subset: bool, compare_headers: bool) -> StepOptions {
    StepOptions {
        compare: xml::CompareOptions {
            ignore: ignore.iter().map(|p| path(p)).collect(),
            unordered: vec![path("//t:Groups")],
            subset,
        },
        compare_headers,
        trim_text: false,
        schema: true,
    }
}

#[test]
fn a_full_case_loads_into_the_exact_typed_structure() {
    let case = load("full", "full.yaml");
    let defaults = options(&["//t:CreationTime"], false, false);
    let remove_group = "<m:RemoveImGroup><m:GroupId Id=\"{{group_id}}\"/></m:RemoveImGroup>";
    let expected = Case {
        id: "full".into(),
        file: fixtures().join("full/full.yaml"),
        title: "Every key of the format, once".into(),
        operations: vec!["AddImGroup".into()],
        since: ServerVersion::parse("Exchange2013").unwrap(),
        tags: vec!["im".into()],
        spec: Some("EWS reference: AddImGroup operation".into()),
        ignore: None,
        grade: Default::default(),
        steps: vec![
            Step {
                name: "create".into(),
                operation: Some("AddImGroup".into()),
                request: Request {
                    body: RequestBody::Body {
                        body: xt(
                            "<m:AddImGroup><m:DisplayName>g-{{run_id}}</m:DisplayName></m:AddImGroup>",
                            12,
                            11,
                            10,
                        ),
                        headers: HeaderOverrides {
                            server_version: Some("Exchange2013_SP1".into()),
                            omit_server_version: false,
                            mailbox_culture: Some(tpl("en-US")),
                            impersonate: Some(tpl("{{impersonation_target}}")),
                            time_zone: Some("GMT Standard Time".into()),
                        },
                    },
                    soap_action: Some(String::new()),
                    http_headers: vec![("X-AnchorMailbox".into(), tpl("{{mailbox}}"))],
                    service: Service::Ews,
                },
                expect: Expectation {
                    status: Some(200),
                    fault: None,
                    xml: Some(xt(
                        "<m:AddImGroupResponse ResponseClass=\"Success\">\n  \
                         <m:ImGroup><t:ExchangeStoreId Id=\"{{bind group_id}}\" ChangeKey=\"{{any}}\"/></m:ImGroup>\n\
                         </m:AddImGroupResponse>\n",
                        22,
                        7,
                        6,
                    )),
                    headers: Vec::new(),
                },
                captures: vec![Capture {
                    name: "change_key".into(),
                    path: path("//t:ExchangeStoreId/@ChangeKey"),
                    pos: pos(26, 19),
                }],
                options: options(&["//t:CreationTime", "//t:GroupType"], true, true),
                cleanup: vec![Step {
                    name: "cleanup after create".into(),
                    operation: Some("RemoveImGroup".into()),
                    request: Request {
                        body: RequestBody::Body {
                            body: xt(
                                "<m:RemoveImGroup><m:GroupId Id=\"{{group_id}}\" ChangeKey=\"{{change_key}}\"/></m:RemoveImGroup>",
                                29,
                                15,
                                14,
                            ),
                            headers: HeaderOverrides::default(),
                        },
                        soap_action: None,
                        http_headers: vec![],
                        service: Service::Ews,
                    },
                    expect: Expectation {
                        status: None,
                        fault: None,
                        xml: None,
                        headers: Vec::new(),
                    },
                    captures: vec![],
                    options: defaults.clone(),
                    cleanup: vec![],
                    flow: Default::default(),
                    pos: pos(29, 9),
                }],
                flow: Default::default(),
                pos: pos(11, 5),
            },
            Step {
                name: "envelope".into(),
                operation: Some("GetImItemList".into()),
                request: Request {
                    body: RequestBody::Envelope(xt(
                        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"\n    \
                         xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">\n  \
                         <soap:Body><m:GetImItemList/></soap:Body>\n\
                         </soap:Envelope>\n",
                        32,
                        7,
                        6,
                    )),
                    soap_action: None,
                    http_headers: vec![],
                    service: Service::Ews,
                },
                expect: Expectation {
                    status: None,
                    fault: Some(FaultExpectation {
                        code: Some(xml::QName {
                            ns: Some(xml::ns::SOAP.into()),
                            local: "Client".into(),
                        }),
                        response_code: Some("ErrorSchemaValidation".into()),
                    }),
                    xml: None,
                    headers: Vec::new(),
                },
                captures: vec![],
                options: defaults.clone(),
                cleanup: vec![],
                flow: Default::default(),
                pos: pos(30, 5),
            },
            Step {
                name: "raw".into(),
                operation: None,
                request: Request {
                    body: RequestBody::Raw(tpl("<{{group_id}}")),
                    soap_action: None,
                    http_headers: vec![],
                    service: Service::Ews,
                },
                expect: Expectation {
                    status: Some(400),
                    fault: None,
                    xml: None,
                    headers: Vec::new(),
                },
                captures: vec![],
                options: defaults.clone(),
                cleanup: vec![],
                flow: Default::default(),
                pos: pos(37, 5),
            },
        ],
        cleanup: vec![Step {
            name: "case cleanup 1".into(),
            operation: Some("RemoveImGroup".into()),
            request: Request {
                body: RequestBody::Body {
                    body: xt(remove_group, 41, 11, 10),
                    headers: HeaderOverrides {
                        omit_server_version: true,
                        ..HeaderOverrides::default()
                    },
                },
                soap_action: None,
                http_headers: vec![],
                service: Service::Ews,
            },
            expect: Expectation {
                status: None,
                fault: None,
                xml: None,
                headers: Vec::new(),
            },
            captures: vec![],
            options: defaults,
            cleanup: vec![],
            flow: Default::default(),
            pos: pos(41, 5),
        }],
    };
    assert_eq!(case, expected);
}

#[test]
fn captured_and_bound_names_are_usable_after_their_step() {
    let case = load("scope", "captured_earlier.yaml");
    assert_eq!(case.steps.len(), 4);
    assert_eq!(case.cleanup.len(), 1);
    let uses: Vec<Vec<&str>> = case
        .steps
        .iter()
        .map(|s| match &s.request.body {
            RequestBody::Body { body, .. } => body.template.variables().collect(),
            other => panic!("expected a body: {other:?}"),
        })
        .collect();
    assert_eq!(
        uses,
        vec![
            vec!["run_id"],
            vec!["group_id", "change_key"],
            vec![],
            vec!["persona_id"]
        ]
    );
    // The sidecar expectation starts at its own line 1.
    let expect = case.steps[2].expect.xml.as_ref().unwrap();
    assert_eq!((expect.pos.line, expect.pos.col, expect.indent), (1, 1, 0));
    assert!(
        expect
            .pos
            .file
            .ends_with("scope/captured_earlier.expect.xml")
    );
}

#[test]
fn a_name_captured_only_by_a_later_step_is_an_error() {
    let errors = load_errors("scope", "captured_later.yaml");
    assert_eq!(
        summary(&errors),
        vec![err(
            "captured_later.yaml",
            6,
            43,
            "unknown variable `group_id`",
            Some(
                "`group_id` is captured by step 2 `create`, which runs later; \
                 a value can be used only after the step that captures it"
            )
        )]
    );
}

#[test]
fn xml_errors_point_into_the_yaml_block_or_the_sidecar() {
    let errors = load_errors("xml_errors", "errors.yaml");
    let at: Vec<(String, usize, usize)> = summary(&errors)
        .into_iter()
        .map(|(file, line, col, _, _)| (file, line, col))
        .collect();
    assert_eq!(
        at,
        vec![
            ("errors.yaml".to_string(), 5, 13),
            ("errors.yaml".to_string(), 10, 25),
            ("errors.yaml".to_string(), 15, 41),
            ("errors.yaml".to_string(), 16, 25),
            ("errors.yaml".to_string(), 23, 13),
            ("errors.yaml".to_string(), 23, 18),
            ("errors.yaml".to_string(), 26, 7),
            ("errors.expect.xml".to_string(), 4, 1),
        ],
        "{}",
        render(&errors)
    );
    assert!(errors[0].message.starts_with("bad path `//q:Nope`"));
    assert!(errors[1].message.starts_with("malformed XML"));
    assert_eq!(
        errors[2].message,
        "`https://schemas.microsoft.com/...` namespace: EWS and SOAP namespaces start with `http://`"
    );
    assert!(errors[3].message.starts_with("bad matcher `{{bind}}`"));
    assert_eq!(
        errors[4].message,
        "matcher `{{ews_id}}` is only part of the text of `R`"
    );
    assert_eq!(
        errors[5].message,
        "matcher `{{any}}` is only part of the value of `Id`"
    );
    assert_eq!(
        errors[5].help.as_deref(),
        Some("a matcher stands for the whole value; use `{{regex ...}}` to match part of it")
    );
    assert_eq!(
        errors[6].message,
        "a body must not have an XML declaration: it is placed inside the envelope"
    );
    assert!(errors[7].message.starts_with("malformed XML"));
}

// ---------------------------------------------------------------------------------------------
// Case trees that fight back: links, special files, sizes, encodings, YAML oddities.

/// A minimal case that loads, with `extra` appended to its only step.
fn good_case(extra: &str) -> String {
    format!(
        "title: t\noperation: AddImGroup\nsince: Exchange2013\nsteps:\n  - name: s\n    body: <m:AddImGroup/>\n{extra}"
    )
}

fn load_text(
    dir: &crate::support::TempDir,
    name: &str,
    bytes: &[u8],
) -> Result<Case, Vec<LoadError>> {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    case::load_file(dir.path(), &path, &known())
}

#[test]
fn a_symlink_loop_is_reported_once_and_not_followed_within_a_second() {
    let dir = crate::support::TempDir::new("case-loop");
    let root = dir.path();
    std::fs::create_dir_all(root.join("im/deeper")).unwrap();
    std::fs::write(root.join("im/a.yaml"), good_case("")).unwrap();
    std::os::unix::fs::symlink(root.join("im"), root.join("im/deeper/back")).unwrap();
    std::os::unix::fs::symlink(root, root.join("im/to_root")).unwrap();
    let started = std::time::Instant::now();
    let outcome = case::load_dir(root, &known());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        outcome.cases.len(),
        1,
        "the case is loaded once: {}",
        render(&outcome.errors)
    );
    let loops: Vec<&LoadError> = outcome
        .errors
        .iter()
        .filter(|e| e.message.starts_with("symbolic link loop"))
        .collect();
    assert_eq!(loops.len(), 2, "{}", render(&outcome.errors));
    assert_eq!(loops[0].case_id, "im/deeper/back");
    assert!(loops[0].message.contains("not followed"), "{}", loops[0]);
    assert_eq!(outcome.errors.len(), 2);
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = crate::support::TempDir::new("case-fifo");
    let fifo = dir.path().join("pipe.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let outcome = case::load_dir(dir.path(), &known());
    assert_eq!(outcome.errors.len(), 1, "{}", render(&outcome.errors));
    let e = &outcome.errors[0];
    assert!(e.message.contains("is not a regular file (a FIFO)"), "{e}");
    assert_eq!(e.case_id, "pipe");
}

#[test]
fn a_case_file_over_the_size_limit_is_a_clear_error() {
    let dir = crate::support::TempDir::new("case-size");
    let big = format!(
        "{}# {}\n",
        good_case(""),
        "x".repeat(case::read::MAX_CASE_FILE_BYTES as usize)
    );
    let errors = load_text(&dir, "big.yaml", big.as_bytes()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .message
            .contains("more than the 4194304-byte limit"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_bom_is_accepted_and_positions_are_unchanged() {
    let dir = crate::support::TempDir::new("case-bom");
    let text = good_case("    expext: x\n");
    let plain = load_text(&dir, "plain.yaml", text.as_bytes()).unwrap_err();
    let mut with_bom = b"\xef\xbb\xbf".to_vec();
    with_bom.extend_from_slice(text.as_bytes());
    let bom = load_text(&dir, "bom.yaml", &with_bom).unwrap_err();
    assert_eq!(
        (bom[0].pos.line, bom[0].pos.col, &bom[0].message),
        (plain[0].pos.line, plain[0].pos.col, &plain[0].message)
    );
    assert_eq!((bom[0].pos.line, bom[0].pos.col), (7, 5));
    let mut ok = b"\xef\xbb\xbf".to_vec();
    ok.extend_from_slice(good_case("").as_bytes());
    assert_eq!(load_text(&dir, "ok.yaml", &ok).unwrap().title, "t");
}

#[test]
fn invalid_utf8_is_reported_at_its_line_and_column() {
    let dir = crate::support::TempDir::new("case-utf8");
    let mut bytes = good_case("").into_bytes();
    // Line 5 is `  - name: s`; break it after `na` (col 7 has the bad byte).
    let at = bytes.windows(4).position(|w| w == b"name").unwrap() + 2;
    bytes[at] = 0xff;
    let errors = load_text(&dir, "bad.yaml", &bytes).unwrap_err();
    assert_eq!(
        summary(&errors),
        [(
            "bad.yaml".to_string(),
            5,
            7,
            "the file is not valid UTF-8 (byte 0xff)".to_string(),
            Some("save the file as UTF-8".to_string())
        )]
    );
}

#[test]
fn an_alias_error_is_reported_at_the_alias() {
    let dir = crate::support::TempDir::new("case-alias");
    let text = "title: t\ntags: &v [a, b]\noperation: AddImGroup\nsince: *v\nsteps:\n  - name: s\n    body: <m:AddImGroup/>\n";
    let errors = load_text(&dir, "alias.yaml", text.as_bytes()).unwrap_err();
    assert_eq!(
        (errors[0].pos.line, errors[0].pos.col),
        (4, 8),
        "{}",
        render(&errors)
    );
    let unknown = "title: t\noperation: *nope\nsince: Exchange2013\nsteps: []\n";
    let errors = load_text(&dir, "unknown.yaml", unknown.as_bytes()).unwrap_err();
    assert_eq!(
        (errors[0].pos.line, errors[0].pos.col),
        (2, 12),
        "{}",
        render(&errors)
    );
}

#[test]
fn a_second_yaml_document_is_reported_at_its_marker() {
    let dir = crate::support::TempDir::new("case-docs");
    let text = format!("{}---\ntitle: another\n", good_case(""));
    let errors = load_text(&dir, "two.yaml", text.as_bytes()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].pos.line, errors[0].pos.col),
        (7, 1),
        "{}",
        errors[0]
    );
    assert!(errors[0].message.contains("second YAML document"));
    assert_eq!(errors[0].source_line.as_deref(), Some("---"));
}

#[test]
fn unknown_yaml_tags_are_refused_at_the_tag() {
    let dir = crate::support::TempDir::new("case-tags");
    let text = good_case("    expect: !include response.xml\n");
    let errors = load_text(&dir, "tag.yaml", text.as_bytes()).unwrap_err();
    assert_eq!(
        summary(&errors)[0],
        (
            "tag.yaml".to_string(),
            7,
            13,
            "unknown YAML tag `!include`; the case format has no tags".to_string(),
            Some("remove the tag (quote the value if it starts with `!`)".to_string())
        )
    );
    // YAML's own tags are fine.
    let plain = good_case("    status: !!int 200\n");
    assert!(load_text(&dir, "std.yaml", plain.as_bytes()).is_ok());
}

#[test]
fn yml_files_load_like_yaml_files_and_a_clash_of_ids_is_an_error() {
    let dir = crate::support::TempDir::new("case-yml");
    std::fs::write(dir.path().join("a.yml"), good_case("")).unwrap();
    let outcome = case::load_dir(dir.path(), &known());
    assert_eq!(outcome.cases.len(), 1, "{}", render(&outcome.errors));
    assert_eq!(outcome.cases[0].id, "a");
    std::fs::write(dir.path().join("a.yaml"), good_case("")).unwrap();
    let outcome = case::load_dir(dir.path(), &known());
    assert_eq!(outcome.cases.len(), 1);
    assert_eq!(outcome.errors.len(), 1, "{}", render(&outcome.errors));
    assert!(
        outcome.errors[0].message.contains("already taken"),
        "{}",
        outcome.errors[0]
    );
}

#[test]
fn binding_one_name_twice_in_a_step_is_a_load_error_at_the_second_binding() {
    let dir = crate::support::TempDir::new("case-bind-twice");
    let text = good_case(
        "    expect: <m:R><m:A Id=\"{{bind id}}\"/></m:R>\n    capture:\n      id: //m:A/@Id\n",
    );
    let errors = load_text(&dir, "twice.yaml", text.as_bytes()).unwrap_err();
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_eq!(
        (errors[0].pos.line, errors[0].pos.col),
        (9, 7),
        "{}",
        errors[0]
    );
    assert!(errors[0].message.contains("bound twice"), "{}", errors[0]);
    let text =
        good_case("    expect: <m:R><m:A Id=\"{{bind id}}\"/><m:B Id=\"{{bind id}}\"/></m:R>\n");
    let errors = load_text(&dir, "twice2.yaml", text.as_bytes()).unwrap_err();
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_eq!(errors[0].pos.line, 7);
    assert!(
        errors[0].help.as_deref().unwrap_or("").contains(":7:"),
        "{}",
        errors[0]
    );
}

#[test]
fn expect_headers_load_and_bad_entries_are_errors_at_their_position() {
    let dir = crate::support::TempDir::new("case-expect-headers");
    let text = good_case(
        "    expect_headers:\n      Content-Type: \"{{regex text/xml(;.*)?}}\"\n      X-A: \"{{absent}}\"\n      X-B: \"{{any}}\"\n      X-C: \" v-{{mailbox}} \"\n",
    );
    let case = load_text(&dir, "ok.yaml", text.as_bytes()).unwrap();
    let headers = &case.steps[0].expect.headers;
    assert_eq!(headers.len(), 4);
    assert!(
        matches!(&headers[0].matcher, case::HeaderMatcher::Regex(r) if r.source == "text/xml(;.*)?")
    );
    assert_eq!(headers[1].matcher, case::HeaderMatcher::Absent);
    assert_eq!(headers[2].matcher, case::HeaderMatcher::Any);
    assert!(
        matches!(&headers[3].matcher, case::HeaderMatcher::Exact(t) if t.source == "v-{{mailbox}}")
    );
    assert!(case.steps[0].expect.states_content_type());

    let bad = good_case(
        "    expect_headers:\n      Content-Type: \"{{regex (}}\"\n      x-a: \"{{bogus matcher}}\"\n      X-A: \"1\"\n      \"Bad Name\": \"1\"\n      X-D: \"a {{any}}\"\n",
    );
    let errors = load_text(&dir, "bad.yaml", bad.as_bytes()).unwrap_err();
    let lines: Vec<(usize, &str)> = errors
        .iter()
        .map(|e| (e.pos.line, e.message.as_str()))
        .collect();
    assert_eq!(errors.len(), 5, "{}", render(&errors));
    assert!(
        lines[0].0 == 8 && lines[0].1 == "bad regular expression `(`: unclosed group",
        "{lines:?}"
    );
    assert!(
        lines[1].0 == 9 && lines[1].1.contains("is not a header matcher"),
        "{lines:?}"
    );
    assert!(
        lines[2].0 == 10 && lines[2].1.contains("expected twice"),
        "{lines:?}"
    );
    assert!(
        lines[3].0 == 11 && lines[3].1.contains("not a valid HTTP header name"),
        "{lines:?}"
    );
    assert_eq!(
        lines[4],
        (12, "`{{any}}` must be the whole header value"),
        "{lines:?}"
    );
}

#[test]
fn one_step_type_a_main_step_needs_a_name_and_a_cleanup_step_has_no_cleanup() {
    let dir = crate::support::TempDir::new("case-one-step-type");
    let text = "title: t\noperation: AddImGroup\nsince: Exchange2013\nsteps:\n  - body: <m:AddImGroup/>\n    cleanup:\n      - body: <m:RemoveImGroup/>\n        cleanup:\n          - body: <m:RemoveImGroup/>\n";
    let errors = load_text(&dir, "steps.yaml", text.as_bytes()).unwrap_err();
    assert_eq!(
        summary(&errors)
            .into_iter()
            .map(|(_, l, c, m, _)| (l, c, m))
            .collect::<Vec<_>>(),
        [
            (5, 5, "missing key `name` in `steps[0]`".to_string()),
            (
                8,
                9,
                "a cleanup step cannot have a `cleanup` of its own".to_string()
            ),
        ],
        "{}",
        render(&errors)
    );
}

/// `options.schema` (response validation) defaults to true, is inherited from the case's
/// options like the other flags, and a step's own value overrides the case's.
#[test]
fn the_schema_option_defaults_to_true_and_a_step_overrides_the_case() {
    let dir = crate::support::TempDir::new("case-schema-option");
    let text = "title: t\noperation: AddImGroup\nsince: Exchange2013\noptions: { schema: false }\nsteps:\n  - name: inherits\n    body: <m:AddImGroup/>\n  - name: overrides\n    body: <m:AddImGroup/>\n    options: { schema: true }\n    cleanup:\n      - body: <m:AddImGroup/>\n";
    let case = load_text(&dir, "schema_option.yaml", text.as_bytes()).expect("loads");
    assert!(!case.steps[0].options.schema);
    assert!(case.steps[1].options.schema);
    assert!(
        !case.steps[1].cleanup[0].options.schema,
        "cleanups take the case's options"
    );
    let plain = load_text(
        &dir,
        "default.yaml",
        b"title: t\noperation: AddImGroup\nsince: Exchange2013\nsteps:\n  - name: s\n    body: <m:AddImGroup/>\n",
    )
    .expect("loads");
    assert!(plain.steps[0].options.schema);
    let errors = load_text(
        &dir,
        "typo.yaml",
        b"title: t\noperation: AddImGroup\nsince: Exchange2013\nsteps:\n  - name: s\n    body: <m:AddImGroup/>\n    options: { schema: skip }\n",
    )
    .expect_err("not a boolean");
    assert!(
        render(&errors).contains("typo.yaml:7:"),
        "{}",
        render(&errors)
    );
}

// Fixtures: shared setup steps (`use:`), instantiated per use.

const GROUP_FIXTURE: &str = "\
title: a group
params:
  name: { description: the DisplayName }
  note: { default: \"n-{{run_id}}\" }
steps:
  - name: create it
    body: <m:AddImGroup><m:DisplayName>{{name}}</m:DisplayName></m:AddImGroup>
    expect: |
      <m:AddImGroupResponse ResponseClass=\"Success\">
        <m:ResponseCode>NoError</m:ResponseCode>
        <m:ImGroup>
          <t:DisplayName>{{name}}</t:DisplayName>
          <t:GroupType>IPM.DistList.MOC.UserGroup</t:GroupType>
          <t:ExchangeStoreId Id=\"{{bind id ews_id}}\" ChangeKey=\"{{bind ck base64}}\"/>
        </m:ImGroup>
      </m:AddImGroupResponse>
    capture: { hidden: \"//t:GroupType\" }
    cleanup:
      - body: <m:RemoveImGroup><m:GroupId Id=\"{{id}}\"/></m:RemoveImGroup>
exports: [id, ck]
";

/// A temp cases root with `im/_fixtures/group.yaml` and the case `im/c.yaml`.
fn fixture_tree(fixture: &str, case_text: &str) -> (crate::support::TempDir, PathBuf) {
    let dir = crate::support::TempDir::new("case-fixture");
    std::fs::create_dir_all(dir.path().join("im/_fixtures")).unwrap();
    std::fs::write(dir.path().join("im/_fixtures/group.yaml"), fixture).unwrap();
    let file = dir.path().join("im/c.yaml");
    std::fs::write(&file, case_text).unwrap();
    (dir, file)
}

fn case_using(uses: &str, step_body: &str) -> String {
    format!(
        "title: t\noperation: SetImGroup\nsince: Exchange2013\nuse:\n{uses}steps:\n  - name: rename\n    body: {step_body}\n"
    )
}

#[test]
fn two_uses_of_one_fixture_run_first_with_their_own_names_and_cleanups() {
    let text = case_using(
        "  - { fixture: im/_fixtures/group.yaml, as: a, with: { name: \"a&b-{{run_id}}\" } }\n  - { fixture: im/_fixtures/group.yaml, as: b, with: { name: \"{{a.id}}\", note: x } }\n",
        "<m:SetImGroup><m:GroupId Id=\"{{a.id}}\" ChangeKey=\"{{b.ck}}\"/><m:NewDisplayName>n</m:NewDisplayName></m:SetImGroup>",
    );
    let (dir, file) = fixture_tree(GROUP_FIXTURE, &text);
    let case = case::load_file(dir.path(), &file, &known())
        .unwrap_or_else(|e| panic!("must load:\n{}", render(&e)));
    let names: Vec<&str> = case.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a: create it", "b: create it", "rename"]);
    // Fixture steps keep their positions in the fixture file.
    let fixture_file = dir.path().join("im/_fixtures/group.yaml");
    assert_eq!(case.steps[0].pos.file, fixture_file);
    assert_eq!((case.steps[0].pos.line, case.steps[0].pos.col), (6, 5));
    // Parameters are spliced in (literal text escaped in XML), captures renamed per use.
    let RequestBody::Body { body, .. } = &case.steps[0].request.body else {
        panic!("a body request")
    };
    assert_eq!(
        body.template.source,
        "<m:AddImGroup><m:DisplayName>a&amp;b-{{run_id}}</m:DisplayName></m:AddImGroup>"
    );
    let RequestBody::Body { body, .. } = &case.steps[1].request.body else {
        panic!("a body request")
    };
    assert!(
        body.template
            .source
            .contains("<m:DisplayName>{{a.id}}</m:DisplayName>")
    );
    let expect = &case.steps[1].expect.xml.as_ref().unwrap().template.source;
    assert!(expect.contains("Id=\"{{bind b.id ews_id}}\" ChangeKey=\"{{bind b.ck base64}}\""));
    assert_eq!(case.steps[1].captures[0].name, "b.hidden");
    let cleanup = &case.steps[1].cleanup[0];
    assert_eq!(cleanup.name, "b: cleanup after create it");
    let RequestBody::Body { body, .. } = &cleanup.request.body else {
        panic!("a body request")
    };
    assert_eq!(
        body.template.source,
        "<m:RemoveImGroup><m:GroupId Id=\"{{b.id}}\"/></m:RemoveImGroup>"
    );
}

// ---------------------------------------------------------------------------------------------
// Users, sessions, polling and streams: what loads, and every misuse at its place.

#[test]
fn sessions_polling_and_streams_load_into_the_step_flow() {
    let dir = crate::support::TempDir::new("case-flow");
    let text = r#"title: t
operation: GetStreamingEvents
since: Exchange2013
steps:
  - name: open
    body: <m:GetStreamingEvents/>
    stream: events
    as: bob
  - name: poll
    body: <m:GetImItemList/>
    session: second
    retry: { until: match, within: 10s, every: 250ms }
    cleanup:
      - body: <m:GetImItemList/>
  - name: read
    expect_stream: { stream: events, within: 5s, closes: true }
"#;
    let case = load_text(&dir, "flow.yaml", text.as_bytes()).expect("loads");
    let open = &case.steps[0].flow;
    assert_eq!(
        (open.user.as_deref(), open.open_stream.as_deref()),
        (Some("bob"), Some("events"))
    );
    let poll = &case.steps[1];
    assert_eq!(poll.flow.session.as_deref(), Some("second"));
    let retry = poll.flow.retry.as_ref().expect("retry");
    assert_eq!(
        (retry.within, retry.every),
        (
            std::time::Duration::from_secs(10),
            std::time::Duration::from_millis(250)
        )
    );
    // The cleanup runs in the session of its step.
    assert_eq!(poll.cleanup[0].flow.session.as_deref(), Some("second"));
    let read = &case.steps[2];
    assert_eq!(read.request.body, RequestBody::None);
    let wanted = read.flow.expect_stream.as_ref().expect("expect_stream");
    assert_eq!(
        (wanted.stream.as_str(), wanted.within, wanted.closes),
        ("events", std::time::Duration::from_secs(5), true)
    );
}

#[test]
fn fixture_use_errors_point_at_the_case_and_the_fixture() {
    // Unknown parameter, missing required parameter, a capture the fixture does not export.
    let text = case_using(
        "  - { fixture: im/_fixtures/group.yaml, as: g, with: { nam: x } }\n",
        "<m:SetImGroup><m:GroupId Id=\"{{g.hidden}}\"/></m:SetImGroup>",
    );
    let (dir, file) = fixture_tree(GROUP_FIXTURE, &text);
    let errors = case::load_file(dir.path(), &file, &known()).unwrap_err();
    let shown = render(&errors);
    let lines: Vec<String> = summary(&errors)
        .into_iter()
        .map(|(file, line, col, message, _)| format!("{file}:{line}:{col} {message}"))
        .collect();
    assert_eq!(lines.len(), 3, "{shown}");
    assert_eq!(
        lines[0],
        "c.yaml:5:7 fixture `im/_fixtures/group.yaml` needs the parameter `name` (declared at "
            .to_string()
            + &dir
                .path()
                .join("im/_fixtures/group.yaml")
                .display()
                .to_string()
            + ":3:3)",
        "{shown}"
    );
    assert_eq!(
        lines[1], "c.yaml:5:56 fixture `im/_fixtures/group.yaml` has no parameter `nam`",
        "{shown}"
    );
    assert_eq!(errors[1].help.as_deref(), Some("did you mean `name`?"));
    assert_eq!(
        lines[2], "c.yaml:8:40 unknown variable `g.hidden`",
        "{shown}"
    );
    assert_eq!(
        errors[2].help.as_deref(),
        Some("fixture `im/_fixtures/group.yaml` (as `g`) exports: `g.id`, `g.ck`")
    );
}

#[test]
fn errors_inside_a_fixture_are_reported_at_the_fixture_and_exports_must_be_captured() {
    let broken = GROUP_FIXTURE
        .replace("<m:GroupId Id=\"{{id}}\"/>", "<m:GroupId Id=\"{{idd}}\"/>")
        .replace("exports: [id, ck]", "exports: [id, ckk]");
    let text = case_using(
        "  - { fixture: im/_fixtures/group.yaml, as: g, with: { name: x } }\n",
        "<m:SetImGroup/>",
    );
    let (dir, file) = fixture_tree(&broken, &text);
    let errors = case::load_file(dir.path(), &file, &known()).unwrap_err();
    let got: Vec<(String, usize, usize, String)> = summary(&errors)
        .into_iter()
        .map(|(f, l, c, m, _)| (f, l, c, m))
        .collect();
    assert_eq!(
        got,
        [
            (
                "group.yaml".to_string(),
                19,
                47,
                "unknown variable `idd`".to_string()
            ),
            (
                "group.yaml".to_string(),
                20,
                15,
                "`ckk` is exported but no step captures or binds it".to_string()
            ),
        ],
        "{}",
        render(&errors)
    );
    assert_eq!(errors[1].help.as_deref(), Some("did you mean `ck`?"));
    // A fixture must live in a `_fixtures/` folder (the walk skips those, so it is no case).
    let (dir, file) = fixture_tree(
        GROUP_FIXTURE,
        &case_using("  - { fixture: im/c.yaml, as: g }\n", "<m:SetImGroup/>"),
    );
    let errors = case::load_file(dir.path(), &file, &known()).unwrap_err();
    assert_eq!(
        errors[0].message,
        "`im/c.yaml` is not in a `_fixtures/` folder"
    );
}

#[test]
fn the_walk_does_not_take_fixtures_for_cases() {
    let text = case_using(
        "  - { fixture: im/_fixtures/group.yaml, as: g, with: { name: x } }\n",
        "<m:SetImGroup/>",
    );
    let (dir, _) = fixture_tree(GROUP_FIXTURE, &text);
    let outcome = case::load_dir(dir.path(), &known());
    assert!(outcome.errors.is_empty(), "{}", render(&outcome.errors));
    let ids: Vec<&str> = outcome.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["im/c"]);
}

#[test]
fn the_committed_fixture_schema_is_the_generated_one() {
    let committed =
        std::fs::read_to_string(repo_file("cases/fixture.schema.json")).unwrap_or_default();
    assert!(
        committed.trim_end() == case::fixture_json_schema().trim_end(),
        "cases/fixture.schema.json is out of date; regenerate it with \
         `cargo run -- schema --fixture > cases/fixture.schema.json`"
    );
}

#[test]
fn at_run_time_fixture_steps_run_first_and_their_cleanups_last_even_after_a_failure() {
    use ews_conformance::report::{CaseStatus, StepPhase, StepStatus};
    // The case's own step fails (a wrong ResponseCode expected); both uses' cleanups still run,
    // after the case's own, last registered first.
    let text = case_using(
        "  - { fixture: im/_fixtures/group.yaml, as: a, with: { name: \"fa-{{run_id}}\" } }\n  - { fixture: im/_fixtures/group.yaml, as: b, with: { name: \"fb-{{run_id}}\" } }\n",
        "<m:GetImItems><m:GroupIds><t:ItemId Id=\"{{a.id}}\"/></m:GroupIds></m:GetImItems>\n    expect: <m:GetImItemsResponse ResponseClass=\"Error\"/>\n    cleanup:\n      - name: own cleanup\n        body: <m:GetImItemList/>",
    );
    let (dir, _) = fixture_tree(GROUP_FIXTURE, &text);
    let reports = crate::support::TempDir::new("case-fixture-run");
    let out = crate::support::run_bin(
        &[
            "--cases",
            dir.path().to_str().unwrap(),
            "--reports",
            reports.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        crate::support::all_output(&out)
    );
    let report = crate::support::read_report(reports.path());
    let case = &report.cases[0];
    assert_eq!(case.status, CaseStatus::Fail);
    let steps: Vec<(&str, StepPhase, StepStatus)> = case
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.phase, s.status))
        .collect();
    assert_eq!(
        steps,
        [
            ("a: create it", StepPhase::Main, StepStatus::Pass),
            ("b: create it", StepPhase::Main, StepStatus::Pass),
            ("rename", StepPhase::Main, StepStatus::Fail),
            ("own cleanup", StepPhase::Cleanup, StepStatus::Pass),
            (
                "b: cleanup after create it",
                StepPhase::Cleanup,
                StepStatus::Pass
            ),
            (
                "a: cleanup after create it",
                StepPhase::Cleanup,
                StepStatus::Pass
            ),
        ]
    );
    // A failing fixture step names the fixture's file and line.
    let wrong = GROUP_FIXTURE.replace("<m:ResponseCode>NoError", "<m:ResponseCode>Wrong");
    let text = case_using(
        "  - { fixture: im/_fixtures/group.yaml, as: a, with: { name: \"fw-{{run_id}}\" } }\n",
        "<m:GetImItemList/>",
    );
    let (dir, _) = fixture_tree(&wrong, &text);
    let out = crate::support::run_bin(
        &["--cases", dir.path().to_str().unwrap(), "--no-reports"],
        &[],
    );
    let shown = crate::support::all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    let fixture_file = dir.path().join("im/_fixtures/group.yaml");
    assert!(
        shown.contains(&format!(
            "step 1/2 \"a: create it\" at {}:6:5: FAILED",
            fixture_file.display()
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("expectation at {}:10:9", fixture_file.display())),
        "{shown}"
    );
}

#[test]
fn step_edit_spans_cover_exactly_the_expect_value_or_the_line_after_the_request() {
    let text = "title: t\nsteps:\n  - name: a\n    body: |\n      <m:X/>\n\n    # a comment about expect\n    expect: |  # old\n      <m:XResponse/>\n\n      <!-- kept inside -->\n    capture: { id: //@Id }\n  - name: b\n    body: <m:Y/>\n    cleanup: []\n  - { name: c, body: <m:Z/> }\n  - name: d\n    body: <m:W/>";
    let a = case::step_edit(text, 0).expect("block step");
    assert_eq!(a.key_indent, 4);
    let range = a.expect.clone().unwrap();
    assert_eq!(
        &text[range],
        " |  # old\n      <m:XResponse/>\n\n      <!-- kept inside -->"
    );
    let b = case::step_edit(text, 1).expect("block step");
    assert_eq!(b.expect, None);
    assert!(text[b.insert_at..].starts_with("    cleanup: []\n"));
    assert_eq!(
        case::step_edit(text, 2),
        None,
        "flow style is not rewritten"
    );
    // The last step of a file without a final line break: insert at the very end.
    let d = case::step_edit(text, 3).unwrap();
    assert_eq!(d.insert_at, text.len());
}

#[test]
fn a_fixture_no_case_uses_is_checked_on_its_own() {
    let text = case_using(
        "  - { fixture: im/_fixtures/group.yaml, as: g, with: { name: x } }\n",
        "<m:SetImGroup/>",
    );
    let (dir, _) = fixture_tree(GROUP_FIXTURE, &text);
    let broken = GROUP_FIXTURE.replace(
        "{{name}}</m:DisplayName></m:AddImGroup>",
        "{{nmae}}</m:DisplayName></m:AddImGroup>",
    );
    std::fs::write(dir.path().join("im/_fixtures/unused.yaml"), broken).unwrap();
    let outcome = case::load_dir(dir.path(), &known());
    assert_eq!(outcome.cases.len(), 1, "{}", render(&outcome.errors));
    let got: Vec<(String, String, usize, usize, String)> = outcome
        .errors
        .iter()
        .map(|e| {
            let (file, line, col, message, _) = summary(std::slice::from_ref(e)).remove(0);
            (e.case_id.clone(), file, line, col, message)
        })
        .collect();
    assert_eq!(
        got,
        [(
            "im/_fixtures/unused".to_string(),
            "unused.yaml".to_string(),
            7,
            40,
            "unknown variable `nmae`".to_string()
        )],
        "{}",
        render(&outcome.errors)
    );
}

#[test]
fn misused_sessions_polling_and_streams_are_load_errors_at_their_place() {
    let dir = crate::support::TempDir::new("case-flow-bad");
    let text = r#"title: t
operation: GetStreamingEvents
since: Exchange2013
steps:
  - name: poll
    body: <m:GetImItemList/>
    retry: { until: done, within: 0s }
  - name: read too early
    expect_stream: { stream: events, within: 5s }
    expect: <m:X/>
  - name: open
    body: <m:GetStreamingEvents/>
    stream: events
    expect: <m:X/>
  - name: read with a body
    body: <m:GetImItemList/>
    expect_stream: { stream: events, within: 1h }
  - name: bad user
    body: <m:GetImItemList/>
    as: "bob smith"
"#;
    let errors = load_text(&dir, "bad.yaml", text.as_bytes()).expect_err("errors");
    let messages: Vec<(usize, String)> = errors
        .iter()
        .map(|e| (e.pos.line, e.message.clone()))
        .collect();
    let has = |line: usize, words: &str| {
        assert!(
            messages
                .iter()
                .any(|(l, m)| *l == line && m.contains(words)),
            "line {line}: `{words}` in {messages:#?}"
        )
    };
    has(7, "unknown `until: done`");
    has(7, "above zero");
    has(9, "no earlier step opens the stream `events`");
    has(14, "`expect` does not apply to a step that opens a stream");
    has(16, "sends nothing: `body` is not allowed");
    has(17, "longer than the longest wait");
    has(20, "`bob smith` is not a valid as name");
    // Keys inside `expect_stream` and `retry` are checked like every other mapping's.
    let text = text.replace("within: 1h }", "within: 1s, colses: true }");
    let errors = load_text(&dir, "typo.yaml", text.as_bytes()).expect_err("errors");
    assert_eq!(
        errors[0].message,
        "unknown key `colses` in `steps[3].expect_stream`"
    );
    assert_eq!(errors[0].pos.line, 17);
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `closes`?"));
}
