//! Restrictions (`t:Restriction`, the search expressions of types.xsd) and their evaluation over
//! any [`PropertySource`]: folders (FindFolder) and items (FindItem) implement it.
//!
//! Supported: `And`, `Or`, `Not`, `Exists`, `IsEqualTo`, `IsNotEqualTo`, `IsGreaterThan`,
//! `IsGreaterThanOrEqualTo`, `IsLessThan`, `IsLessThanOrEqualTo` (against a `t:Constant` or
//! another property), `Contains` (every `ContainmentMode`; `ContainmentComparison` `Exact` is
//! case-sensitive, a value naming `IgnoreCase` or `Loose` ignores case, one naming `NonSpac`
//! (`IgnoreNonSpacingCharacters`, `LooseAndIgnoreNonSpace`, ...) or `Loose` ignores accents;
//! absent attributes mean `FullString` and `Exact`) and `Excludes` (bitmask on integer values).
//! Values ([`compare_values`]) compare as integers when both sides are integers, as instants
//! when both are `xs:dateTime` (any offset, `Z` or none meaning UTC), as booleans when both are
//! `true`/`false`, otherwise as strings ignoring case (as the store compares). A comparison with
//! a property the object does not have is false, so `Not` of it is true. Importance and
//! sensitivity compare by their stored number ([`enum_rank`]): `High` is greater than `Normal`.

use std::cmp::Ordering;

use super::properties::{PropertyPath, parse_path};
use crate::render::TYPES_NS;
use crate::xml_tree::Element;

/// What a restriction reads: the values of one object's properties.
pub trait PropertySource {
    /// The values of `path` on this object (one for single-valued properties), `None` when the
    /// object does not have it.
    fn values(&self, path: &PropertyPath) -> Option<Vec<String>>;

    /// The one value of a single-valued property the object keeps as a string, borrowed (a
    /// fast path for restrictions and sorts over many objects); `None` sends the caller to
    /// [`values`](Self::values).
    fn single(&self, _path: &PropertyPath) -> Option<&str> {
        None
    }
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

/// `ContainmentComparison`: what `Contains` ignores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Comparison {
    pub ignore_case: bool,
    /// Accents (non-spacing marks): `é` matches `e`.
    pub ignore_accents: bool,
}

impl Comparison {
    /// Reads a `ContainmentComparison` value (absent: `Exact`).
    pub fn parse(value: Option<&str>) -> Comparison {
        let value = value.unwrap_or("Exact");
        let loose = value.contains("Loose");
        Comparison {
            ignore_case: loose || value.contains("IgnoreCase"),
            ignore_accents: loose || value.contains("NonSpac"),
        }
    }

    /// `text` with what this comparison ignores folded away (lower case, accents dropped).
    pub fn fold(self, text: &str) -> String {
        if !self.ignore_case && !self.ignore_accents {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if self.ignore_accents && ('\u{300}'..='\u{36f}').contains(&c) {
                continue;
            }
            let c = if self.ignore_accents {
                strip_accent(c)
            } else {
                c
            };
            if self.ignore_case {
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// The base letter of an accented Latin letter (Latin-1 and Latin Extended-A), else `c`.
fn strip_accent(c: char) -> char {
    const FROM: &str =
        "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿŠšŽžČčĆćŁłŃńŚśŹźŻżŘřĚěŮů";
    const TO: &str =
        "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyySsZzCcCcLlNnSsZzZzRrEeUu";
    FROM.chars()
        .position(|f| f == c)
        .and_then(|i| TO.chars().nth(i))
        .unwrap_or(c)
}

/// An `xs:dateTime` as milliseconds since the epoch (`2006-01-02T12:00:00Z`,
/// `2006-01-02T04:00:00-08:00`, fractions of a second; no zone means UTC); `None` otherwise.
pub fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = text.split_once('T')?;
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset_minutes) = if let Some(clock) = time.strip_suffix('Z') {
        (clock, 0)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':')?;
        (
            clock,
            sign * (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?),
        )
    } else {
        (time, 0)
    };
    let mut fields = clock.splitn(3, ':');
    let hour: i64 = fields.next()?.parse().ok()?;
    let minute: i64 = fields.next()?.parse().ok()?;
    let seconds = fields.next()?;
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let second: i64 = whole.parse().ok()?;
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
    if hour > 24 || minute > 59 || second > 60 || whole.len() != 2 {
        return None;
    }
    // Days from civil (proleptic Gregorian).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(secs * 1000 + millis)
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
        /// The constant, already folded by `comparison`.
        constant: String,
        mode: Containment,
        comparison: Comparison,
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
            let comparison = Comparison::parse(element.attr("ContainmentComparison"));
            return Ok(Restriction::Contains {
                path,
                constant: comparison.fold(constant.attr("Value").unwrap_or_default()),
                mode,
                comparison,
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

/// The stored number of an enumerated property's value (`item:Importance` `Low`/`Normal`/`High`
/// are 0/1/2, `item:Sensitivity` `Normal`/`Personal`/`Private`/`Confidential` 0 to 3): the
/// store compares and sorts these by number, not by name.
pub fn enum_rank(path: &PropertyPath, value: &str) -> Option<i64> {
    let PropertyPath::Field(uri) = path else {
        return None;
    };
    let names: &[&str] = match uri.as_str() {
        "item:Importance" => &["Low", "Normal", "High"],
        "item:Sensitivity" => &["Normal", "Personal", "Private", "Confidential"],
        _ => return None,
    };
    names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(value.trim()))
        .and_then(|i| i64::try_from(i).ok())
}

/// How the store orders two property values (see the module docs); used by restrictions and
/// by FindItem's sort.
pub fn compare_values(left: &str, right: &str) -> Ordering {
    if let (Ok(a), Ok(b)) = (left.trim().parse::<i64>(), right.trim().parse::<i64>()) {
        return a.cmp(&b);
    }
    if let (Some(a), Some(b)) = (parse_instant(left), parse_instant(right)) {
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

/// Whether `value` contains `constant` (already folded) in `mode`.
fn contains(value: &str, constant: &str, mode: Containment, comparison: Comparison) -> bool {
    let value = comparison.fold(value);
    match mode {
        Containment::FullString => value == constant,
        Containment::Prefixed => value.starts_with(constant),
        Containment::Substring | Containment::ExactPhrase => value.contains(constant),
        Containment::PrefixOnWords => value
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| word.starts_with(constant)),
    }
}

/// Whether some value of `path` on `object` passes `test` (false without the property); the
/// borrowed [`PropertySource::single`] value when there is one, so nothing is copied.
fn any_value(
    object: &dyn PropertySource,
    path: &PropertyPath,
    test: impl Fn(&str) -> bool,
) -> bool {
    match object.single(path) {
        Some(value) => test(value),
        None => object
            .values(path)
            .is_some_and(|values| values.iter().any(|v| test(v))),
    }
}

impl Restriction {
    /// Whether `object` satisfies the restriction.
    pub fn matches(&self, object: &dyn PropertySource) -> bool {
        match self {
            Restriction::And(parts) => parts.iter().all(|p| p.matches(object)),
            Restriction::Or(parts) => parts.iter().any(|p| p.matches(object)),
            Restriction::Not(inner) => !inner.matches(object),
            Restriction::Exists(path) => {
                object.single(path).is_some() || object.values(path).is_some()
            }
            Restriction::Compare { op, path, operand } => {
                let test = |l: &str, r: &str| {
                    let ordering = match (enum_rank(path, l), enum_rank(path, r)) {
                        (Some(a), Some(b)) => a.cmp(&b),
                        _ => compare_values(l, r),
                    };
                    match op {
                        CompareOp::Equal => ordering == Ordering::Equal,
                        CompareOp::NotEqual => ordering != Ordering::Equal,
                        CompareOp::Greater => ordering == Ordering::Greater,
                        CompareOp::GreaterOrEqual => ordering != Ordering::Less,
                        CompareOp::Less => ordering == Ordering::Less,
                        CompareOp::LessOrEqual => ordering != Ordering::Greater,
                    }
                };
                match operand {
                    Operand::Constant(c) => any_value(object, path, |l| test(l, c)),
                    Operand::Path(p) => object.values(p).is_some_and(|right| {
                        any_value(object, path, |l| right.iter().any(|r| test(l, r)))
                    }),
                }
            }
            Restriction::Contains {
                path,
                constant,
                mode,
                comparison,
            } => any_value(object, path, |v| contains(v, constant, *mode, *comparison)),
            Restriction::Excludes { path, bitmask } => any_value(object, path, |v| {
                v.trim().parse::<i64>().is_ok_and(|n| n & bitmask == 0)
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
    fn dates_compare_as_instants_across_offsets() {
        assert_eq!(parse_instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_instant("2006-01-02T04:00:00-08:00"),
            parse_instant("2006-01-02T12:00:00Z")
        );
        assert_eq!(
            parse_instant("2012-01-05T23:06:58.5Z"),
            Some(1_325_804_818_500)
        );
        assert_eq!(parse_instant("2012-13-05T23:06:58Z"), None);
        assert_eq!(parse_instant("yesterday"), None);
        // As text "2006-01-02T05:00:00+02:00" sorts after "2006-01-02T04:00:00Z"; as instants
        // it is an hour before.
        assert_eq!(
            compare_values("2006-01-02T05:00:00+02:00", "2006-01-02T04:00:00Z"),
            Ordering::Less
        );
    }

    #[test]
    fn containment_comparisons() {
        let item = Fixed(vec![("item:Subject", "Café Réunion")]);
        let c = |cmp: &str, value: &str| {
            parse(&format!(
                r#"<t:Contains ContainmentMode="Substring" ContainmentComparison="{cmp}"><t:FieldURI FieldURI="item:Subject"/><t:Constant Value="{value}"/></t:Contains>"#
            ))
            .matches(&item)
        };
        assert!(c("Exact", "Café"));
        assert!(!c("Exact", "cafe"));
        assert!(!c("IgnoreCase", "cafe"));
        assert!(c("IgnoreCase", "CAFÉ"));
        assert!(c("IgnoreNonSpacingCharacters", "Cafe Reunion"));
        assert!(!c("IgnoreNonSpacingCharacters", "cafe"));
        assert!(c("IgnoreCaseAndNonSpacingCharacters", "cafe reunion"));
        assert!(c("Loose", "CAFE"));
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
