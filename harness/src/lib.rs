//! # ews-conformance
//!
//! A conformance test harness for Exchange Web Services (EWS). YAML cases hold SOAP requests and
//! the responses they must produce; the runner sends them to an EWS endpoint (or to the embedded
//! reference server), normalizes both sides and reports every difference with its path.
//!
//! The user guide is the repository README; the case format is in `cases/FORMAT.md`.
//!
//! Data flows one way through the modules:
//! case file → [`case`] (typed case) + [`target`] (the server under test) → [`runner`] (libtest-mimic trial, steps, captures) →
//! [`soap`] (envelope) → [`transport`] (HTTP) → [`xml`] (canonical tree → mismatches) →
//! [`report`] (one result model → terminal, JUnit, JSON, HTML) → exit code.
//! [`reference_server`] is the embedded EWS server used when no endpoint is given: the workspace
//! crate `ews-reference-server` (`harness/server`), re-exported here, as are [`operations`] (the
//! 125 EWS operations, which live in that crate) and [`yaml`] (crate `ews-yaml`, the one place
//! that names the YAML backend).

pub mod bless;
pub mod case;
pub mod cli;
pub mod compare;
pub mod record;
pub mod report;
pub mod runner;
pub mod soap;
pub mod target;
pub mod transport;
pub mod xml;

pub use ews_reference_server as reference_server;
pub use ews_reference_server::operations;
pub use ews_yaml as yaml;
