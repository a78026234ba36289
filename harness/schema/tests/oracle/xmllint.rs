//! Running libxml2 (`xmllint --noout --schema messages.xsd`) over many files at once and reading
//! its verdicts: valid, or invalid with the line and element of the first error.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A validator's verdict on one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    /// Line and local name of the element the first violation is about, the message, what
    /// kind of violation it is, and (for content-model violations) the expected elements as
    /// `{namespace}local`.
    Invalid {
        line: u32,
        element: String,
        message: String,
        category: Category,
        expected: Option<Vec<String>>,
    },
}

/// Kinds of violation both validators can be compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    UnexpectedElement,
    IncompleteContent,
    ChildNotAllowed,
    Text,
    UndeclaredElement,
    AbstractElement,
    AbstractType,
    XsiType,
    Nil,
    UndeclaredAttribute,
    MissingAttribute,
    AttributeValue,
    ElementValue,
    Fixed,
    NotWellFormed,
    /// A message this test does not classify (compared on line and element only).
    Other,
}

/// The category of a libxml2 message.
pub fn category(message: &str) -> Category {
    let attr = message.contains("', attribute '");
    let has = |s: &str| message.contains(s);
    if has("This element is not expected") {
        Category::UnexpectedElement
    } else if has("Missing child element") {
        Category::IncompleteContent
    } else if has("Element content is not allowed") {
        Category::ChildNotAllowed
    } else if has("Character content") {
        Category::Text
    } else if has("No matching global") {
        Category::UndeclaredElement
    } else if has("The element declaration is abstract") {
        Category::AbstractElement
    } else if has("type definition is abstract") {
        Category::AbstractType
    } else if has("xsi:type") {
        Category::XsiType
    } else if has("nillable") || has("nilled") {
        Category::Nil
    } else if attr && has("is not allowed") {
        Category::UndeclaredAttribute
    } else if has("is required but missing") {
        Category::MissingAttribute
    } else if has("fixed value") {
        Category::Fixed
    } else if attr && (has("is not a valid value") || has("[facet")) {
        Category::AttributeValue
    } else if has("is not a valid value") || has("[facet") {
        Category::ElementValue
    } else {
        Category::Other
    }
}

/// The expected elements of "Expected is ( a )" / "Expected is one of ( a, b )"; wildcards
/// (`##other{...}*`) are left out.
pub fn expected(message: &str) -> Option<Vec<String>> {
    let (_, rest) = message.split_once("Expected is ")?;
    let (_, rest) = rest.split_once("( ")?;
    let (list, _) = rest.rsplit_once(" )")?;
    Some(
        list.split(", ")
            .map(str::trim)
            .filter(|n| n.starts_with('{') && !n.ends_with('*'))
            .map(str::to_string)
            .collect(),
    )
}

/// The xmllint binary, if installed.
pub fn find() -> Option<PathBuf> {
    ews_schema::testing::xmllint()
}

/// A scratch copy of the schema that libxml2 can compile (see
/// [`ews_schema::testing::xmllint_schema`]; the copy in `xsd/` stays unmodified).
pub fn schema_dir(dir: &Path) -> PathBuf {
    ews_schema::testing::xmllint_schema(dir).expect("write the schema copy")
}

/// Validates `files` (batched per invocation) and returns one verdict per file.
pub fn validate(xmllint: &Path, schema: &Path, files: &[PathBuf]) -> Vec<Verdict> {
    let mut out = Vec::with_capacity(files.len());
    for batch in files.chunks(500) {
        let result = Command::new(xmllint)
            .arg("--noout")
            .arg("--schema")
            .arg(schema)
            .args(batch)
            .output()
            .expect("run xmllint");
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(
            !stderr.contains("Schemas parser error") && !stderr.contains("failed to compile"),
            "xmllint could not compile the schema:\n{}",
            stderr.lines().take(20).collect::<Vec<_>>().join("\n")
        );
        for f in batch {
            let name = f.to_string_lossy();
            let mut first: Option<Verdict> = None;
            let mut valid = false;
            let mut failed = false;
            let prefix = format!("{name}:");
            for line in stderr.lines() {
                if line == format!("{name} validates") {
                    valid = true;
                } else if line == format!("{name} fails to validate") {
                    failed = true;
                } else if first.is_none()
                    && let Some(rest) = line.strip_prefix(&prefix)
                {
                    // `LINE: element LOCAL: Schemas validity error : MESSAGE`
                    let (num, rest) = rest.split_once(": ").unwrap_or(("0", rest));
                    let rest = rest.strip_prefix("element ").unwrap_or(rest);
                    let (element, message) = rest.split_once(": ").unwrap_or((rest, ""));
                    let message = message
                        .strip_prefix("Schemas validity error : ")
                        .unwrap_or(message);
                    first = Some(Verdict::Invalid {
                        line: num.parse().unwrap_or(0),
                        element: element.to_string(),
                        message: message.to_string(),
                        category: category(message),
                        expected: expected(message),
                    });
                }
            }
            out.push(match (valid, failed, first) {
                (true, _, _) => Verdict::Valid,
                (_, _, Some(v)) => v,
                (_, true, None) => Verdict::Invalid {
                    line: 0,
                    element: String::new(),
                    message: "fails to validate".into(),
                    category: Category::Other,
                    expected: None,
                },
                _ => panic!(
                    "no xmllint verdict for {name}:\n{}",
                    stderr.lines().take(5).collect::<Vec<_>>().join("\n")
                ),
            });
        }
    }
    out
}
