//! The raw serde mirror of a case file: exactly the keys a case may have, nothing checked beyond
//! YAML types. `deny_unknown_fields` everywhere and no `flatten`, so the YAML backend reports
//! unknown keys and wrong types with their line and column. The doc comments here are the
//! descriptions of the generated JSON Schema (`cases/case.schema.json`), so the schema follows
//! the structs by construction.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::ServerVersion;
use crate::operations;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

/// One conformance case: metadata, steps run in order, and cleanup.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ews-conformance case (format v1)")]
#[schemars(extend("oneOf" = [{ "required": ["operation"] }, { "required": ["operations"] }]))]
pub struct RawCase {
    /// One line saying what the case proves.
    pub title: String,
    /// The EWS operation the case exercises (exactly one of `operation` / `operations`).
    #[serde(default)]
    #[schemars(schema_with = "operation_schema")]
    pub operation: Option<String>,
    /// The EWS operations the case exercises, main one first (exactly one of `operation` /
    /// `operations`).
    #[serde(default)]
    #[schemars(schema_with = "operations_schema")]
    pub operations: Option<Vec<String>>,
    /// Minimum server version (`Exchange2013`, `Exchange2013_SP1`, `V2016_01_06`, ...); targets
    /// older than this skip the case.
    #[schemars(schema_with = "version_schema")]
    pub since: String,
    /// Free-form labels used to select cases.
    pub tags: Option<Vec<String>>,
    /// Where the behaviour is specified (page, section or URL).
    pub spec: Option<String>,
    /// When set, the case is not run unless `--ignored` is given; the text says why.
    pub ignore: Option<String>,
    /// What the case checks: `required` (a MUST of the documentation or schema, the default)
    /// or `recommended` (Exchange's behaviour where the documentation is silent).
    #[schemars(schema_with = "grade_schema")]
    pub grade: Option<String>,
    /// Comparison options applied to every step (a step's own `options` override them).
    pub options: Option<RawOptions>,
    /// The endpoint of the target every step talks to (a step's own `service` overrides it):
    /// `ews` (the default), `autodiscover-pox` or `autodiscover-soap`.
    #[schemars(schema_with = "service_schema")]
    pub service: Option<String>,
    /// Fixtures (shared setup step files under a `_fixtures/` folder) whose steps run before the
    /// case's steps, in order; their cleanups run after the case's. What a fixture exports is
    /// used as `{{ALIAS.NAME}}`.
    #[serde(default, rename = "use")]
    pub uses: Option<Vec<RawUse>>,
    /// The request/response exchanges, run in order. Each needs a `name`.
    #[schemars(schema_with = "main_steps_schema")]
    pub steps: Vec<RawStep>,
    /// Steps that always run last, even after a failure, after every step cleanup. `name` is
    /// optional; a cleanup step has no `cleanup` of its own.
    #[serde(default)]
    #[schemars(schema_with = "cleanup_steps_schema")]
    pub cleanup: Option<Vec<RawStep>>,
}

/// One use of a fixture by a case.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUse {
    /// The fixture file, relative to the cases root (`im/_fixtures/im_group.yaml`).
    pub fixture: String,
    /// The name this use goes by in the case: its exports are `{{ALIAS.NAME}}`, its step names
    /// start with `ALIAS: `. Two uses of one fixture take two names.
    #[serde(rename = "as")]
    pub alias: String,
    /// Parameter values (templates over the target's variables and earlier uses' exports).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub with: Option<StringPairs>,
}

/// A fixture: setup steps many cases share, with parameters, captures and cleanups.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ews-conformance fixture (format v1)")]
pub struct RawFixture {
    /// One line saying what the fixture sets up.
    pub title: String,
    /// Parameters, used as `{{NAME}}` in the fixture's steps. A parameter without a `default`
    /// is required.
    #[schemars(with = "Option<BTreeMap<String, RawParam>>")]
    pub params: Option<BTreeMap<String, RawParam>>,
    /// Comparison options applied to every step of the fixture.
    pub options: Option<RawOptions>,
    /// The setup steps, run before the steps of the case that uses the fixture. Each needs a
    /// `name`; their cleanups run after the case's.
    #[schemars(schema_with = "main_steps_schema")]
    pub steps: Vec<RawStep>,
    /// Names captured or bound by the steps that a case may use (as `{{ALIAS.NAME}}`).
    #[serde(default)]
    pub exports: Vec<String>,
}

/// A fixture parameter.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawParam {
    /// What the parameter is for.
    #[allow(dead_code)] // read by people and editors (the schema), not by the loader
    pub description: Option<String>,
    /// The value when a use gives none (a template over the target's variables). Without a
    /// default the parameter is required.
    pub default: Option<String>,
}

/// One request/response exchange: a step of `steps`, or a cleanup step (then `name` is optional
/// and `cleanup` is refused by the validation, with a clear error).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "required": ["body"] },
    { "required": ["envelope"] },
    { "required": ["raw"] },
    { "required": ["body_file"] },
    { "required": ["envelope_file"] },
    { "required": ["raw_file"] },
    { "required": ["expect_stream"] }
]))]
pub struct RawStep {
    /// What the step does; unique within the case. Required for steps; a cleanup step defaults
    /// to `cleanup after <step name>` (`case cleanup <n>` at case level).
    pub name: Option<String>,
    /// The SOAP Body content (the envelope and headers are built). A template.
    pub body: Option<String>,
    /// A whole SOAP envelope, sent as written after variable substitution. A template.
    pub envelope: Option<String>,
    /// Bytes sent as they are (malformed or hostile input); variables are substituted, nothing is
    /// checked.
    pub raw: Option<String>,
    /// Like `body`, read from a file relative to the case file.
    pub body_file: Option<String>,
    /// Like `envelope`, read from a file relative to the case file.
    pub envelope_file: Option<String>,
    /// Like `raw`, read from a file relative to the case file.
    pub raw_file: Option<String>,
    /// SOAP headers of a `body` request (not allowed with envelope/raw).
    pub headers: Option<RawHeaders>,
    /// The endpoint this step talks to: `ews`, `autodiscover-pox` (`body` is the whole POX
    /// request) or `autodiscover-soap` (`body` is wrapped in a SOAP envelope with WS-Addressing
    /// headers); default: the case's `service`.
    #[schemars(schema_with = "service_schema")]
    pub service: Option<String>,
    /// The SOAPAction HTTP header; default derived from the operation; `""` sends none.
    pub soap_action: Option<String>,
    /// Extra HTTP headers (values are templates).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub http_headers: Option<StringPairs>,
    /// Expected HTTP status; default 200, or 500 when `fault` is given.
    pub status: Option<u16>,
    /// The SOAP fault the response must be.
    pub fault: Option<RawFault>,
    /// Expected XML: the Body's child (response element or Fault) or a whole `soap:Envelope`.
    /// Matchers (`{{any}}`, `{{bind NAME}}`, ...) are allowed. A template.
    pub expect: Option<String>,
    /// Like `expect`, read from a file relative to the case file.
    pub expect_file: Option<String>,
    /// Values to take from the response: variable name -> path
    /// (`//t:Persona/t:Attributions/t:Attribution/t:SourceId/@Id`).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub capture: Option<StringPairs>,
    /// Response headers the step requires: header name (case-insensitive) -> an exact value (a
    /// template), `{{regex RE}}` (the whole value matches RE), `{{any}}` (present) or
    /// `{{absent}}` (must not be sent). A `Content-Type` entry replaces the default check that
    /// SOAP 1.1 responses are `text/xml`.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub expect_headers: Option<StringPairs>,
    /// Comparison options for this step (override the case's).
    pub options: Option<RawOptions>,
    /// Steps that undo this one; registered once this step has run, run after the case (last
    /// registered first), even after a failure. Not allowed inside a cleanup step.
    #[serde(default)]
    #[schemars(schema_with = "cleanup_steps_schema")]
    pub cleanup: Option<Vec<RawStep>>,
    /// The configured user who sends this step (a name under `users:` of the target profile);
    /// default: the target's user. A step's cleanups run as the same user unless they say
    /// otherwise. A case naming a user the target does not define is ignored.
    #[serde(rename = "as")]
    pub as_user: Option<String>,
    /// A session of that user with its own connections (`second`); default `default`.
    pub session: Option<String>,
    /// Send the request again until the response matches, within a bound.
    pub retry: Option<RawRetry>,
    /// The response is a stream (GetStreamingEvents): keep it open under this name; later steps
    /// read its documents with `expect_stream`. The step checks the HTTP status and headers.
    pub stream: Option<String>,
    /// No request: wait (bounded) for the next document of an open stream that matches this
    /// step's `expect`, or for the stream to end (`closes: true`).
    pub expect_stream: Option<RawExpectStream>,
}

/// `retry: { until: match, within: 10s, every: 200ms }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    /// What ends the polling: `match` (the response meets the whole expectation).
    #[schemars(schema_with = "until_schema")]
    pub until: Option<String>,
    /// The bound (`10s`, `500ms`, at most `10m`); on timeout the last attempt's mismatches are
    /// reported.
    pub within: String,
    /// Pause between attempts (`200ms` by default).
    pub every: Option<String>,
}

/// `expect_stream: { stream: events, within: 5s, closes: false }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExpectStream {
    /// The name given by an earlier step's `stream:`.
    pub stream: String,
    /// The bound (`5s`, at most `10m`; also bounded by the run timeout).
    pub within: String,
    /// The stream must end within the bound (after the document `expect` describes, if any).
    pub closes: Option<bool>,
}

fn until_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": ["string", "null"], "enum": ["match", null] })
}

/// SOAP headers built around a `body`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHeaders {
    /// `RequestServerVersion/@Version` (an EWS version name); `none` sends no
    /// RequestServerVersion header. Default: the target's version.
    #[serde(default)]
    #[schemars(schema_with = "header_version_schema")]
    pub server_version: Option<String>,
    /// `MailboxCulture` text (`en-US`). A template.
    pub mailbox_culture: Option<String>,
    /// Impersonate this SMTP address (`ExchangeImpersonation`). A template.
    pub impersonate: Option<String>,
    /// `TimeZoneContext/TimeZoneDefinition/@Id` (`GMT Standard Time`).
    pub time_zone: Option<String>,
}

/// The SOAP fault a response must be.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    /// `faultcode`: `t:ErrorSchemaValidation`, `soap:Client`, or a bare name (types namespace).
    pub code: Option<String>,
    /// `detail/e:ResponseCode` text.
    pub response_code: Option<String>,
}

/// Comparison options.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOptions {
    /// Paths whose subtrees (or attributes) are not compared (`//t:CreationTime`).
    pub ignore: Option<Vec<String>>,
    /// Paths whose children compare as an unordered set (`//t:Groups`).
    pub unordered: Option<Vec<String>>,
    /// The response may carry elements and attributes the expectation does not mention.
    /// Default false (strict).
    pub subset: Option<bool>,
    /// Compare SOAP headers too (ServerVersionInfo is ignored otherwise). Default false.
    pub compare_headers: Option<bool>,
    /// Trim text values before comparing. Default true.
    pub trim: Option<bool>,
    /// Validate the response against the EWS schema (messages.xsd/types.xsd); a violation is
    /// a `schema` failure. Default true; `false` for deliberately broken responses.
    pub schema: Option<bool>,
}

// Closed vocabularies, generated from the lists the loader validates against, so the schema can
// offer completion and never disagrees with the loader.

fn version_names() -> Vec<&'static str> {
    ServerVersion::names().to_vec()
}

fn operation_names() -> Vec<&'static str> {
    operations::ALL.iter().map(|op| op.name).collect()
}

fn service_schema(_: &mut SchemaGenerator) -> Schema {
    let names = super::Service::ALL.iter().map(|(_, name)| *name).collect();
    json_schema!({ "type": ["string", "null"], "enum": optional_enum(names) })
}

fn grade_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": ["string", "null"], "enum": optional_enum(vec!["required", "recommended"]) })
}

fn version_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": version_names() })
}

/// `names` and `null` (the value of an optional key may be written as `~`).
fn optional_enum(names: Vec<&'static str>) -> Vec<serde_json::Value> {
    let mut values: Vec<serde_json::Value> = names.into_iter().map(Into::into).collect();
    values.push(serde_json::Value::Null);
    values
}

fn header_version_schema(_: &mut SchemaGenerator) -> Schema {
    let mut names = version_names();
    names.push(super::validate::NO_SERVER_VERSION);
    json_schema!({ "type": ["string", "null"], "enum": optional_enum(names) })
}

/// `steps`: an array of steps, each with a `name`.
fn main_steps_schema(generator: &mut SchemaGenerator) -> Schema {
    let step = generator.subschema_for::<RawStep>();
    json_schema!({
        "type": "array",
        "items": { "allOf": [step, { "required": ["name"] }] }
    })
}

/// `cleanup`: an optional array of steps without a `cleanup` of their own.
fn cleanup_steps_schema(generator: &mut SchemaGenerator) -> Schema {
    let step = generator.subschema_for::<RawStep>();
    json_schema!({
        "type": ["array", "null"],
        "items": { "allOf": [step, { "not": { "required": ["cleanup"] } }] }
    })
}

fn operation_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": ["string", "null"], "enum": optional_enum(operation_names()) })
}

fn operations_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": ["array", "null"],
        "minItems": 1,
        "items": { "type": "string", "enum": operation_names() }
    })
}

/// A YAML mapping of strings, kept in file order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StringPairs(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for StringPairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = StringPairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping of names to strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, String>()? {
                    pairs.push((key, value));
                }
                Ok(StringPairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}
