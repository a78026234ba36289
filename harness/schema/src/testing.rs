//! Helpers for callers' oracle tests (hidden from the documentation; not a stable API): cutting
//! a SOAP envelope into the standalone EWS documents libxml2 can validate, and running
//! `xmllint --noout --schema messages.xsd` over many files at once.
//!
//! The crate's own oracle (`tests/oracle/`) compares finer points (line, element, kind and the
//! expected-element lists); these helpers give the verdict and libxml2's first message, which is
//! what a caller needs to check that the engine and libxml2 agree on its documents.

use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::{MESSAGES_NS, MESSAGES_XSD, TYPES_NS, TYPES_XSD};

/// A Header entry in an EWS namespace, or a Body child other than a SOAP Fault (what the engine
/// validates in an envelope), as a standalone document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `Header/RequestServerVersion`, `Body/AddImGroup` (local names).
    pub path: String,
    /// The element's text as it is in the envelope (so its content is byte for byte the same),
    /// with the namespace declarations in scope added to its start tag.
    pub text: String,
}

/// Namespace declarations of one element: (prefix, raw value), `""` for the default namespace.
type Declarations = Vec<(String, String)>;

/// The EWS parts of a SOAP envelope (any SOAP version, any prefixes). `Err` when the text is
/// not well-formed enough to cut, or its root is no `Envelope`.
pub fn soap_parts(text: &str) -> Result<Vec<Part>, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut scopes: Vec<Declarations> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    // The part being read: where it starts, its path, the declarations it inherits.
    let mut open: Option<(usize, String, Declarations)> = None;
    let mut parts = Vec::new();
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| e.to_string())?;
        let (element, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(_) => (None, false),
            Event::Eof => break,
            _ => continue,
        };
        let end = reader.buffer_position() as usize;
        if let Some(e) = element {
            let local = local_name(e);
            let depth = names.len();
            let decls = declarations(e);
            if depth == 0 && local != "Envelope" {
                return Err(format!("the root is `{local}`, not a SOAP Envelope"));
            }
            if depth == 2 && matches!(names[1].as_str(), "Header" | "Body") {
                let in_scope: Vec<(String, String)> =
                    scopes.iter().flatten().chain(&decls).cloned().collect();
                let prefix = qname(e).split_once(':').map_or("", |(p, _)| p).to_string();
                let ns = in_scope.iter().rev().find(|(p, _)| *p == prefix);
                let ews = ns.is_some_and(|(_, uri)| uri == MESSAGES_NS || uri == TYPES_NS);
                let fault = local == "Fault"
                    && ns
                        .is_some_and(|(_, uri)| uri == crate::SOAP11_NS || uri == crate::SOAP12_NS);
                // As the engine validates: EWS header entries, every Body child but a Fault.
                if ews || (names[1] == "Body" && !fault) {
                    let inherited = inherited(&scopes, &decls);
                    let path = format!("{}/{local}", names[1]);
                    if empty {
                        parts.push(cut(text, start, end, e, &inherited, path));
                    } else {
                        open = Some((start, path, inherited));
                    }
                }
            }
            if !empty {
                names.push(local);
                scopes.push(decls);
            }
        } else {
            if names.len() == 3
                && let Some((from, path, inherited)) = open.take()
            {
                let head_end = text[from..].find('>').map_or(end, |i| from + i);
                let name_len = text[from + 1..head_end]
                    .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                    .unwrap_or(head_end - from - 1);
                let mut out = String::with_capacity(end - from + 200);
                out.push_str(&text[from..from + 1 + name_len]);
                push_declarations(&mut out, &inherited);
                out.push_str(&text[from + 1 + name_len..end]);
                parts.push(Part { path, text: out });
            }
            names.pop();
            scopes.pop();
        }
    }
    Ok(parts)
}

fn cut(
    text: &str,
    start: usize,
    end: usize,
    e: &BytesStart<'_>,
    inherited: &[(String, String)],
    path: String,
) -> Part {
    let name_len = qname(e).len();
    let mut out = String::new();
    out.push_str(&text[start..start + 1 + name_len]);
    push_declarations(&mut out, inherited);
    out.push_str(&text[start + 1 + name_len..end]);
    Part { path, text: out }
}

fn push_declarations(out: &mut String, decls: &[(String, String)]) {
    for (prefix, value) in decls {
        if prefix.is_empty() {
            out.push_str(&format!(" xmlns=\"{value}\""));
        } else {
            out.push_str(&format!(" xmlns:{prefix}=\"{value}\""));
        }
    }
}

/// The declarations of the ancestors still in scope and not redeclared by the element itself,
/// innermost winning.
fn inherited(scopes: &[Declarations], own: &[(String, String)]) -> Declarations {
    let mut out: Vec<(String, String)> = Vec::new();
    for (prefix, value) in scopes.iter().rev().flatten() {
        if own.iter().any(|(p, _)| p == prefix) || out.iter().any(|(p, _)| p == prefix) {
            continue;
        }
        out.push((prefix.clone(), value.clone()));
    }
    out
}

fn qname(e: &BytesStart<'_>) -> String {
    e.name().into_inner().to_string()
}

fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().into_inner().to_string()
}

fn declarations(e: &BytesStart<'_>) -> Declarations {
    e.attributes()
        .flatten()
        .filter_map(|a| {
            let key = a.key.into_inner().to_string();
            let value = a.value.to_string();
            if key == "xmlns" {
                Some((String::new(), value))
            } else {
                key.strip_prefix("xmlns:").map(|p| (p.to_string(), value))
            }
        })
        .collect()
}

/// The `xmllint` binary (Debian `libxml2-utils`), if installed.
pub fn xmllint() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("xmllint"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    std::iter::once(PathBuf::from("/usr/bin/xmllint"))
        .chain(on_path)
        .find(|p| p.is_file())
}

/// Writes a copy of the embedded schema libxml2 can compile into `dir` and returns the path of
/// its messages.xsd: types.xsd's import of the XML namespace has no `schemaLocation` (the
/// engine knows `xml:lang` by itself), so the copy points it at a minimal xml.xsd.
pub fn xmllint_schema(dir: &Path) -> std::io::Result<PathBuf> {
    let import = r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace"/>"#;
    if !TYPES_XSD.contains(import) {
        return Err(std::io::Error::other(
            "types.xsd no longer has the schemaLocation-less import of the XML namespace",
        ));
    }
    let types = TYPES_XSD.replace(
        import,
        r#"<xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>"#,
    );
    std::fs::write(dir.join("messages.xsd"), MESSAGES_XSD)?;
    std::fs::write(dir.join("types.xsd"), types)?;
    std::fs::write(
        dir.join("xml.xsd"),
        r#"<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang" type="xs:language"/>
  <xs:attribute name="space" type="xs:NCName"/>
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="id" type="xs:ID"/>
</xs:schema>
"#,
    )?;
    Ok(dir.join("messages.xsd"))
}

/// libxml2's verdict on one file: `Ok(())` valid, `Err(first message)` invalid.
pub type LibVerdict = Result<(), String>;

/// Runs `xmllint --noout --schema SCHEMA` over `files` (in batches) and returns one verdict per
/// file. `Err` when xmllint cannot run or compile the schema.
pub fn xmllint_verdicts(
    xmllint: &Path,
    schema: &Path,
    files: &[PathBuf],
) -> Result<Vec<LibVerdict>, String> {
    let mut out = Vec::with_capacity(files.len());
    for batch in files.chunks(500) {
        let result = Command::new(xmllint)
            .arg("--noout")
            .arg("--schema")
            .arg(schema)
            .args(batch)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", xmllint.display()))?;
        let stderr = String::from_utf8_lossy(&result.stderr);
        if stderr.contains("Schemas parser error") || stderr.contains("failed to compile") {
            return Err(format!("xmllint could not compile the schema: {stderr}"));
        }
        for file in batch {
            let name = file.to_string_lossy();
            let prefix = format!("{name}:");
            let first = stderr
                .lines()
                .find(|l| l.starts_with(&prefix))
                .map(|l| l[prefix.len()..].to_string());
            let verdict = if stderr.lines().any(|l| l == format!("{name} validates")) {
                Ok(())
            } else {
                Err(first.unwrap_or_else(|| "fails to validate".into()))
            };
            out.push(verdict);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_carry_the_declarations_in_scope_and_keep_their_text() {
        let envelope = format!(
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:t=\"{TYPES_NS}\">\n\
             <s:Header><t:RequestServerVersion Version=\"Exchange2013\"/><a:Action xmlns:a=\"urn:wsa\">x</a:Action></s:Header>\n\
             <s:Body xmlns:m=\"{MESSAGES_NS}\"><m:AddImGroup>\n<m:DisplayName>g</m:DisplayName></m:AddImGroup></s:Body>\n\
             </s:Envelope>"
        );
        let parts = soap_parts(&envelope).expect("cut");
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_eq!(parts[0].path, "Header/RequestServerVersion");
        assert!(parts[0].text.starts_with("<t:RequestServerVersion "));
        assert!(parts[0].text.contains(&format!(" xmlns:t=\"{TYPES_NS}\"")));
        assert_eq!(parts[1].path, "Body/AddImGroup");
        assert!(
            parts[1]
                .text
                .contains("\n<m:DisplayName>g</m:DisplayName></m:AddImGroup>")
        );
        for part in &parts {
            let violations = crate::Schema::ews()
                .validate_document(part.text.as_bytes())
                .expect("well-formed");
            assert!(violations.is_empty(), "{}: {violations:?}", part.text);
        }
        assert!(soap_parts("<a><b></a>").is_err());
        assert!(soap_parts("<m:AddImGroup xmlns:m=\"x\"/>").is_err());
    }
}
