//! The one module that names the YAML backend.
//!
//! `serde_yaml` is deprecated upstream. Every other module goes through the items here, so moving
//! to a maintained fork (for example `serde_yml` or `serde_norway`) is a change of the `use` line
//! below and nothing else.

pub use serde_yaml as backend;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Error type of the YAML backend.
pub type Error = backend::Error;

/// Parses a YAML document into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    backend::from_str(text)
}

/// Serializes `value` as a YAML document.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, Error> {
    backend::to_string(value)
}

/// 1-based (line, column) of a YAML error, when the backend knows it.
pub fn error_location(error: &Error) -> Option<(usize, usize)> {
    error.location().map(|loc| (loc.line(), loc.column()))
}
