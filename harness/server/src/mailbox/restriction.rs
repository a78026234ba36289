//! Restrictions (`t:Restriction`, the search expressions of types.xsd) and their evaluation over
//! any [`PropertySource`]: folders implement it now (FindFolder), items later (FindItem).
//!
//! Supported: `And`, `Or`, `Not`, `Exists`, `IsEqualTo`, `IsNotEqualTo`, `IsGreaterThan`,
//! `IsGreaterThanOrEqualTo`, `IsLessThan`, `IsLessThanOrEqualTo` (against a `t:Constant` or
//! another property), `Contains` (every `ContainmentMode`; `ContainmentComparison` `Exact` is
//! case-sensitive, every other value ignores case; absent attributes mean `FullString` and
//! `Exact`) and `Excludes` (bitmask on integer values). Values compare as integers when both sides
//! are integers, as booleans when both are `true`/`false`, otherwise as strings ignoring case (as
//! the store compares). A comparison with a property the object does not have is false, so
//! `Not` of it is true.

use std::cmp::Ordering;

use super::properties::{PropertyPath, parse_path};
use crate::render::TYPES_NS;
use crate::xml_tree::Element;

/// What a restriction reads: the values of one object's properties.
pub trait PropertySource {
    /// The values of `path` on this object (one for single-valued properties), `None` when the
    /// object does not have it.
    fn values(&self, path: &PropertyPath) -> Option<Vec<String>>;
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    Constant(String),
    Path(PropertyPath),
}

/// `ContainmentMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containment {
    FullString,
    Prefixed,
    Substring,
    PrefixOnWords,
    ExactPhrase,
}

/// A parsed search expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restriction {
    And(Vec<Restriction>),
    Or(Vec<Restriction>),
    Not(Box<Restriction>),
    Exists(PropertyPath),
    Compare {
        op: CompareOp,
        path: PropertyPath,
        operand: Operand,
    },
    Contains {
        path: PropertyPath,
        constant: String,
        mode: Containment,
        ignore_case: bool,
    },
    Excludes {
        path: PropertyPath,
        bitmask: i64,
    },
}

/// Why a restriction cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestrictionError(pub String);

fn err<T>(text: impl Into<String>) -> Result<T, RestrictionError> {
    Err(RestrictionError(text.into()))
}

fn t_children(element: &Element) -> impl Iterator<Item = &Element> {
    element.children.iter().filter(|c| c.ns == TYPES_NS)
}

fn first_path(element: &Element) -> Result<PropertyPath, RestrictionError> {
    t_children(element)
        .find_map(parse_path)
        .map_or_else(|| err(format!("{} names no property", element.local)), Ok)
}

/// Parses the content of `m:Restriction` (its one search expression child).
pub fn parse_restriction(restriction: &Element) -> Result<Restriction, RestrictionError> {
    match t_children(restriction).next() {
        Some(expression) => parse_expression(expression),
        None => err("the restriction is empty"),
    }
}

/// Parses one search expression element.
pub fn parse_expression(element: &Element) -> Result<Restriction, RestrictionError> {
    let op = match element.local.as_str() {
        "And" | "Or" => {
            let parts = t_children(element)
                .map(parse_expression)
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(if element.local == "And" {
                Restriction::And(parts)
            } else {
                Restriction::Or(parts)
            });
        }
        "Not" => {
            let inner = t_children(element)
                .next()
                .map_or_else(|| err("Not is empty"), parse_expression)?;
            return Ok(Restriction::Not(Box::new(inner)));
        }
        "Exists" => return Ok(Restriction::Exists(first_path(element)?)),
        "Contains" => {
            let path = first_path(element)?;
            let Some(constant) = t_children(element).find(|c| c.local == "Constant") else {
                return err("Contains has no Constant");
            };
            let mode = match element.attr("ContainmentMode").unwrap_or("FullString") {
                "FullString" => Containment::FullString,
                "Prefixed" => Containment::Prefixed,
                "Substring" => Containment::Substring,
                "PrefixOnWords" => Containment::PrefixOnWords,
                "ExactPhrase" => Containment::ExactPhrase,
                other => return err(format!("unknown ContainmentMode {other}")),
            };
            let ignore_case = element.attr("ContainmentComparison").unwrap_or("Exact") != "Exact";
            return Ok(Restriction::Contains {
                path,
                constant: constant.attr("Value").unwrap_or_default().to_string(),
                mode,
                ignore_case,
            });
        }
        "Excludes" => {
            let path = first_path(element)?;
            let Some(bitmask) = t_children(element).find(|c| c.local == "Bitmask") else {
                return err("Excludes has no Bitmask");
            };
            let value = bitmask.attr("Value").unwrap_or_default();
            let parsed = match value.get(..2) {
                Some(p) if p.eq_ignore_ascii_case("0x") => i64::from_str_radix(&value[2..], 16),
                _ => value.parse::<i64>(),
            };
            let Ok(bitmask) = parsed else {
                return err(format!("Bitmask {value} is not a number"));
            };
            return Ok(Restriction::Excludes { path, bitmask });
        }
        "IsEqualTo" => CompareOp::Equal,
        "IsNotEqualTo" => CompareOp::NotEqual,
        "IsGreaterThan" => CompareOp::Greater,
        "IsGreaterThanOrEqualTo" => CompareOp::GreaterOrEqual,
        "IsLessThan" => CompareOp::Less,
        "IsLessThanOrEqualTo" => CompareOp::LessOrEqual,
        other => return err(format!("the search expression {other} is not supported")),
    };
    let path = first_path(element)?;
    let Some(right) = t_children(element).find(|c| c.local == "FieldURIOrConstant") else {
        return err(format!("{} has no FieldURIOrConstant", element.local));
    };
    let operand = match t_children(right).next() {
        Some(c) if c.local == "Constant" => {
            Operand::Constant(c.attr("Value").unwrap_or_default().to_string())
        }
        Some(c) => match parse_path(c) {
            Some(p) => Operand::Path(p),
            None => return err("FieldURIOrConstant names nothing"),
        },
        None => return err("FieldURIOrConstant is empty"),
    };
    Ok(Restriction::Compare { op, path, operand })
}

fn compare_values(left: &str, right: &str) -> Ordering {
    if let (Ok(a), Ok(b)) = (left.trim().parse::<i64>(), right.trim().parse::<i64>()) {
        return a.cmp(&b);
    }
    let boolean = |s: &str| match s.trim() {
        "true" | "True" => Some(true),
        "false" | "False" => Some(false),
        _ => None,
    };
    if let (Some(a), Some(b)) = (boolean(left), boolean(right)) {
        return a.cmp(&b);
    }
    left.to_lowercase().cmp(&right.to_lowercase())
}

fn contains(value: &str, constant: &str, mode: Containment, ignore_case: bool) -> bool {
    let (value, constant) = if ignore_case {
        (value.to_lowercase(), constant.to_lowercase())
    } else {
        (value.to_string(), constant.to_string())
    };
    match mode {
        Containment::FullString => value == constant,
        Containment::Prefixed => value.starts_with(&constant),
        Containment::Substring | Containment::ExactPhrase => value.contains(&constant),
        Containment::PrefixOnWords => value
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| word.starts_with(&constant)),
    }
}

impl Restriction {
    /// Whether `object` satisfies the restriction.
    pub fn matches(&self, object: &dyn PropertySource) -> bool {
        match self {
            Restriction::And(parts) => parts.iter().all(|p| p.matches(object)),
            Restriction::Or(parts) => parts.iter().any(|p| p.matches(object)),
            Restriction::Not(inner) => !inner.matches(object),
            Restriction::Exists(path) => object.values(path).is_some(),
            Restriction::Compare { op, path, operand } => {
                let Some(left) = object.values(path) else {
                    return false;
                };
                let right = match operand {
                    Operand::Constant(c) => vec![c.clone()],
                    Operand::Path(p) => match object.values(p) {
                        Some(v) => v,
                        None => return false,
                    },
                };
                left.iter().any(|l| {
                    right.iter().any(|r| {
                        let ordering = compare_values(l, r);
                        match op {
                            CompareOp::Equal => ordering == Ordering::Equal,
                            CompareOp::NotEqual => ordering != Ordering::Equal,
                            CompareOp::Greater => ordering == Ordering::Greater,
                            CompareOp::GreaterOrEqual => ordering != Ordering::Less,
                            CompareOp::Less => ordering == Ordering::Less,
                            CompareOp::LessOrEqual => ordering != Ordering::Greater,
                        }
                    })
                })
            }
            Restriction::Contains {
                path,
                constant,
                mode,
                ignore_case,
            } => object.values(path).is_some_and(|values| {
                values
                    .iter()
                    .any(|v| contains(v, constant, *mode, *ignore_case))
            }),
            Restriction::Excludes { path, bitmask } => object.values(path).is_some_and(|values| {
                values
                    .iter()
                    .any(|v| v.trim().parse::<i64>().is_ok_and(|n| n & bitmask == 0))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml_tree::parse_document;

    struct Fixed(Vec<(&'static str, &'static str)>);

    impl PropertySource for Fixed {
        fn values(&self, path: &PropertyPath) -> Option<Vec<String>> {
            let PropertyPath::Field(uri) = path else {
                return None;
            };
            self.0
                .iter()
                .find(|(k, _)| k == uri)
                .map(|(_, v)| vec![v.to_string()])
        }
    }

    fn parse(xml: &str) -> Restriction {
        let doc = format!("<t:R xmlns:t=\"{TYPES_NS}\">{xml}</t:R>");
        let element = parse_document(doc.as_bytes()).expect("well-formed");
        parse_restriction(&element).expect("valid restriction")
    }

    #[test]
    fn comparisons_are_numeric_when_both_sides_are_numbers() {
        let folder = Fixed(vec![
            ("folder:TotalCount", "10"),
            ("folder:DisplayName", "Inbox"),
        ]);
        let gt = parse(
            r#"<t:IsGreaterThan><t:FieldURI FieldURI="folder:TotalCount"/><t:FieldURIOrConstant><t:Constant Value="9"/></t:FieldURIOrConstant></t:IsGreaterThan>"#,
        );
        assert!(gt.matches(&folder), "10 > 9 numerically, not as text");
        let eq = parse(
            r#"<t:IsEqualTo><t:FieldURI FieldURI="folder:DisplayName"/><t:FieldURIOrConstant><t:Constant Value="inbox"/></t:FieldURIOrConstant></t:IsEqualTo>"#,
        );
        assert!(eq.matches(&folder));
        let missing = parse(
            r#"<t:IsEqualTo><t:FieldURI FieldURI="folder:FolderClass"/><t:FieldURIOrConstant><t:Constant Value="x"/></t:FieldURIOrConstant></t:IsEqualTo>"#,
        );
        assert!(!missing.matches(&folder));
        assert!(Restriction::Not(Box::new(missing)).matches(&folder));
    }

    #[test]
    fn contains_modes_and_case() {
        let folder = Fixed(vec![("folder:DisplayName", "Project Alpha")]);
        let c = |mode: &str, cmp: &str, value: &str| {
            parse(&format!(
                r#"<t:Contains ContainmentMode="{mode}" ContainmentComparison="{cmp}"><t:FieldURI FieldURI="folder:DisplayName"/><t:Constant Value="{value}"/></t:Contains>"#
            ))
            .matches(&folder)
        };
        assert!(c("Substring", "IgnoreCase", "alpha"));
        assert!(!c("Substring", "Exact", "alpha"));
        assert!(c("Prefixed", "Exact", "Proj"));
        assert!(!c("Prefixed", "Exact", "Alpha"));
        assert!(c("PrefixOnWords", "Exact", "Alp"));
        assert!(!c("FullString", "Exact", "Project"));
        assert!(c("FullString", "IgnoreCase", "project alpha"));
    }

    #[test]
    fn unsupported_expressions_are_errors_not_panics() {
        let doc = format!("<t:R xmlns:t=\"{TYPES_NS}\"><t:Bogus/></t:R>");
        let element = parse_document(doc.as_bytes()).expect("well-formed");
        assert!(parse_restriction(&element).is_err());
        let doc = format!("<t:R xmlns:t=\"{TYPES_NS}\"></t:R>");
        let element = parse_document(doc.as_bytes()).expect("well-formed");
        assert!(parse_restriction(&element).is_err());
    }
}
