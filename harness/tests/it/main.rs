//! The one integration-test binary. Each module tests one area end to end, over real loopback
//! HTTP where a server is involved (127.0.0.1 only).

mod case;
/// The command line: diff, lint, serve, schema, usage errors.
mod cli;
/// Real EWS clients (exchangelib, ews-javascript-api) against the reference server.
mod clients;
/// Servers side by side: trace header, unsupported operations, `compare`.
mod compare;
/// The directory operations (ResolveNames, ExpandDL) on the reference server's directory.
mod directory;
/// The folder and id cases through a recording proxy: every response is schema-valid.
mod folders;
/// Recording expectations (`--bless`), `.new` files and `review`, end to end.
mod record;
mod runner;
/// The schema engine at work: response validation, opt-outs, lint, `validate`, the libxml2 oracle.
mod schema;
/// `service:`: EWS, SOAP and POX Autodiscover endpoints of a target.
mod services;
/// Several users and sessions in one case, polling steps, streamed responses.
mod sessions;
mod suite;
mod support;
/// The transport: auth, TLS, proxy, throttling, limits, the fault matrix.
mod transport;
/// Strict well-formedness and encodings, libxml2 as the oracle.
mod wellformed;
/// The XML engine: rules, matchers, mismatches, diff, robustness.
mod xml;
// Reports: JUnit (checked with junitparser), JSON golden, HTML (hostile content, headless
// Chromium), terminal, baselines, shard merge, the several-server matrix, grades, coverage,
// atomic writes.
mod report;

// The embedded reference server over loopback HTTP.
mod server;
