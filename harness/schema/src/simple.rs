//! Simple types: the XSD built-in datatypes EWS uses (lexical spaces and whitespace rules),
//! restriction facets (enumeration, pattern, length, minLength, maxLength, min/max
//! Inclusive/Exclusive, totalDigits, fractionDigits), lists and unions.

use regex::Regex;

use crate::model::{Model, NsId, SimpleId};

/// The built-in datatypes, by their XSD local name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    AnySimpleType,
    String,
    NormalizedString,
    Token,
    Language,
    Name,
    NCName,
    Id,
    IdRef,
    IdRefs,
    Entity,
    NmToken,
    NmTokens,
    QName,
    Notation,
    Boolean,
    Decimal,
    Integer,
    NonNegativeInteger,
    PositiveInteger,
    NonPositiveInteger,
    NegativeInteger,
    Long,
    Int,
    Short,
    Byte,
    UnsignedLong,
    UnsignedInt,
    UnsignedShort,
    UnsignedByte,
    Double,
    Float,
    DateTime,
    Date,
    Time,
    Duration,
    GYear,
    GYearMonth,
    GMonth,
    GMonthDay,
    GDay,
    Base64Binary,
    HexBinary,
    AnyUri,
}

/// The id of `xs:anySimpleType` (the first of [`BUILTINS`], compiled first).
pub(crate) const ANY_SIMPLE_TYPE: SimpleId = 0;
/// The id of `xs:string` (the second of [`BUILTINS`]).
pub(crate) const XS_STRING: SimpleId = 1;

/// (name, builtin, base name) in derivation order, so each base precedes its derived types.
pub(crate) const BUILTINS: &[(&str, Builtin, Option<&str>)] = &[
    ("anySimpleType", Builtin::AnySimpleType, None),
    ("string", Builtin::String, Some("anySimpleType")),
    (
        "normalizedString",
        Builtin::NormalizedString,
        Some("string"),
    ),
    ("token", Builtin::Token, Some("normalizedString")),
    ("language", Builtin::Language, Some("token")),
    ("Name", Builtin::Name, Some("token")),
    ("NCName", Builtin::NCName, Some("Name")),
    ("ID", Builtin::Id, Some("NCName")),
    ("IDREF", Builtin::IdRef, Some("NCName")),
    ("IDREFS", Builtin::IdRefs, Some("anySimpleType")),
    ("ENTITY", Builtin::Entity, Some("NCName")),
    ("NMTOKEN", Builtin::NmToken, Some("token")),
    ("NMTOKENS", Builtin::NmTokens, Some("anySimpleType")),
    ("QName", Builtin::QName, Some("anySimpleType")),
    ("NOTATION", Builtin::Notation, Some("anySimpleType")),
    ("boolean", Builtin::Boolean, Some("anySimpleType")),
    ("decimal", Builtin::Decimal, Some("anySimpleType")),
    ("integer", Builtin::Integer, Some("decimal")),
    (
        "nonNegativeInteger",
        Builtin::NonNegativeInteger,
        Some("integer"),
    ),
    (
        "positiveInteger",
        Builtin::PositiveInteger,
        Some("nonNegativeInteger"),
    ),
    (
        "nonPositiveInteger",
        Builtin::NonPositiveInteger,
        Some("integer"),
    ),
    (
        "negativeInteger",
        Builtin::NegativeInteger,
        Some("nonPositiveInteger"),
    ),
    ("long", Builtin::Long, Some("integer")),
    ("int", Builtin::Int, Some("long")),
    ("short", Builtin::Short, Some("int")),
    ("byte", Builtin::Byte, Some("short")),
    (
        "unsignedLong",
        Builtin::UnsignedLong,
        Some("nonNegativeInteger"),
    ),
    ("unsignedInt", Builtin::UnsignedInt, Some("unsignedLong")),
    ("unsignedShort", Builtin::UnsignedShort, Some("unsignedInt")),
    ("unsignedByte", Builtin::UnsignedByte, Some("unsignedShort")),
    ("double", Builtin::Double, Some("anySimpleType")),
    ("float", Builtin::Float, Some("anySimpleType")),
    ("dateTime", Builtin::DateTime, Some("anySimpleType")),
    ("date", Builtin::Date, Some("anySimpleType")),
    ("time", Builtin::Time, Some("anySimpleType")),
    ("duration", Builtin::Duration, Some("anySimpleType")),
    ("gYear", Builtin::GYear, Some("anySimpleType")),
    ("gYearMonth", Builtin::GYearMonth, Some("anySimpleType")),
    ("gMonth", Builtin::GMonth, Some("anySimpleType")),
    ("gMonthDay", Builtin::GMonthDay, Some("anySimpleType")),
    ("gDay", Builtin::GDay, Some("anySimpleType")),
    ("base64Binary", Builtin::Base64Binary, Some("anySimpleType")),
    ("hexBinary", Builtin::HexBinary, Some("anySimpleType")),
    ("anyURI", Builtin::AnyUri, Some("anySimpleType")),
];

#[derive(Debug)]
pub(crate) enum Variety {
    Builtin(Builtin),
    /// A restriction of `base` with this type's facets.
    Restriction,
    List(SimpleId),
    Union(Vec<SimpleId>),
}

#[derive(Debug, Default)]
pub(crate) struct Facets {
    pub enumeration: Vec<Box<str>>,
    /// Alternatives from one derivation step (any one must match).
    pub patterns: Vec<(Box<str>, Regex)>,
    pub length: Option<usize>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub min_inclusive: Option<Box<str>>,
    pub max_inclusive: Option<Box<str>>,
    pub min_exclusive: Option<Box<str>>,
    pub max_exclusive: Option<Box<str>>,
    pub total_digits: Option<usize>,
    pub fraction_digits: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct SimpleType {
    pub name: Option<(NsId, Box<str>)>,
    pub base: Option<SimpleId>,
    pub variety: Variety,
    pub facets: Facets,
}

/// Why a value is invalid: the .NET tail (`The Enumeration constraint failed.`) and a plain
/// description for implementers, with the type whose check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValueError {
    pub datatype: SimpleId,
    pub dotnet: String,
    pub plain: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ws {
    Preserve,
    Replace,
    Collapse,
}

fn normalize(value: &str, ws: Ws) -> std::borrow::Cow<'_, str> {
    match ws {
        Ws::Preserve => value.into(),
        Ws::Replace => {
            if value.contains(['\t', '\n', '\r']) {
                value.replace(['\t', '\n', '\r'], " ").into()
            } else {
                value.into()
            }
        }
        Ws::Collapse => {
            let needs = value.starts_with([' ', '\t', '\n', '\r'])
                || value.ends_with([' ', '\t', '\n', '\r'])
                || value.contains(['\t', '\n', '\r'])
                || value.contains("  ");
            if needs {
                value
                    .split([' ', '\t', '\n', '\r'])
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .into()
            } else {
                value.into()
            }
        }
    }
}

impl Model {
    fn whitespace(&self, mut id: SimpleId) -> Ws {
        loop {
            let st = &self.simple[id as usize];
            match &st.variety {
                Variety::Builtin(b) => {
                    return match b {
                        Builtin::String | Builtin::AnySimpleType => Ws::Preserve,
                        Builtin::NormalizedString => Ws::Replace,
                        _ => Ws::Collapse,
                    };
                }
                Variety::List(_) => return Ws::Collapse,
                Variety::Union(_) => return Ws::Preserve,
                Variety::Restriction => match st.base {
                    Some(b) => id = b,
                    None => return Ws::Preserve,
                },
            }
        }
    }

    /// The primitive built-in a type is ultimately derived from (None for lists and unions).
    fn primitive(&self, mut id: SimpleId) -> Option<Builtin> {
        loop {
            let st = &self.simple[id as usize];
            match &st.variety {
                Variety::Builtin(b) => return Some(*b),
                Variety::List(_) | Variety::Union(_) => return None,
                Variety::Restriction => id = st.base?,
            }
        }
    }

    fn is_list(&self, mut id: SimpleId) -> bool {
        loop {
            let st = &self.simple[id as usize];
            match &st.variety {
                Variety::List(_) | Variety::Builtin(Builtin::IdRefs | Builtin::NmTokens) => {
                    return true;
                }
                Variety::Restriction => match st.base {
                    Some(b) => id = b,
                    None => return false,
                },
                _ => return false,
            }
        }
    }

    /// Validates `value` against simple type `id`.
    pub(crate) fn check_simple(&self, id: SimpleId, value: &str) -> Result<(), ValueError> {
        let ws = self.whitespace(id);
        let norm = normalize(value, ws);
        self.check_normalized(id, &norm, 0)
    }

    fn check_normalized(&self, id: SimpleId, value: &str, depth: u32) -> Result<(), ValueError> {
        if depth > 64 {
            return Ok(());
        }
        let st = &self.simple[id as usize];
        match &st.variety {
            Variety::Builtin(b) => {
                check_builtin(*b, value).map_err(|(dotnet, plain)| ValueError {
                    datatype: id,
                    dotnet,
                    plain,
                })?
            }
            Variety::Restriction => {
                if let Some(base) = st.base {
                    self.check_normalized(base, value, depth + 1)?;
                }
            }
            Variety::List(item) => {
                for part in value.split(' ').filter(|s| !s.is_empty()) {
                    self.check_simple(*item, part)?;
                }
            }
            Variety::Union(members) => {
                let mut first_err = None;
                let mut ok = false;
                for m in members {
                    match self.check_simple(*m, value) {
                        Ok(()) => {
                            ok = true;
                            break;
                        }
                        Err(e) => {
                            first_err.get_or_insert(e);
                        }
                    }
                }
                if !ok {
                    let e = first_err;
                    return Err(ValueError {
                        datatype: id,
                        dotnet: format!(
                            "The value '{value}' is not valid according to any of the memberTypes of the union."
                        ),
                        plain: match e {
                            Some(e) => format!("matches no member of the union ({})", e.plain),
                            None => "the union has no member types".into(),
                        },
                    });
                }
            }
        }
        self.check_facets(id, &st.facets, value)
    }

    fn check_facets(&self, id: SimpleId, f: &Facets, value: &str) -> Result<(), ValueError> {
        let err = |dotnet: &str, plain: String| {
            Err(ValueError {
                datatype: id,
                dotnet: dotnet.to_string(),
                plain,
            })
        };
        if !f.enumeration.is_empty() && !f.enumeration.iter().any(|e| &**e == value) {
            let shown: Vec<&str> = f.enumeration.iter().take(12).map(|s| &**s).collect();
            let more = if f.enumeration.len() > 12 {
                ", ..."
            } else {
                ""
            };
            return err(
                "The Enumeration constraint failed.",
                format!(
                    "'{value}' is not one of the values of {}: {}{more}",
                    self.simple_type_short(id),
                    shown.join(", ")
                ),
            );
        }
        if !f.patterns.is_empty() && !f.patterns.iter().any(|(_, r)| r.is_match(value)) {
            let pats: Vec<&str> = f.patterns.iter().map(|(p, _)| &**p).collect();
            return err(
                "The Pattern constraint failed.",
                format!("'{value}' does not match the pattern {}", pats.join(" | ")),
            );
        }
        if f.length.is_some() || f.min_length.is_some() || f.max_length.is_some() {
            let len = self.value_length(id, value);
            if let Some(l) = f.length
                && len != l
            {
                return err(
                    "The actual length is not equal to the specified length.",
                    format!("length {len}, the type requires exactly {l}"),
                );
            }
            if let Some(l) = f.min_length
                && len < l
            {
                return err(
                    "The actual length is less than the MinLength value.",
                    format!("length {len}, the type requires at least {l}"),
                );
            }
            if let Some(l) = f.max_length
                && len > l
            {
                return err(
                    "The actual length is greater than the MaxLength value.",
                    format!("length {len}, the type allows at most {l}"),
                );
            }
        }
        let bounds = [
            (&f.min_inclusive, "MinInclusive", ">="),
            (&f.max_inclusive, "MaxInclusive", "<="),
            (&f.min_exclusive, "MinExclusive", ">"),
            (&f.max_exclusive, "MaxExclusive", "<"),
        ];
        for (bound, facet, op) in bounds {
            if let Some(b) = bound {
                let ok = match (parse_number(value), parse_number(b)) {
                    (Some(v), Some(b)) => match op {
                        ">=" => v >= b,
                        "<=" => v <= b,
                        ">" => v > b,
                        _ => v < b,
                    },
                    // Ordered non-numeric types (dates) compare lexically when in the same form.
                    _ => match op {
                        ">=" => value >= &**b,
                        "<=" => value <= &**b,
                        ">" => value > &**b,
                        _ => value < &**b,
                    },
                };
                if !ok {
                    return err(
                        &format!("The {facet} constraint failed."),
                        format!("{value} is not {op} {b}"),
                    );
                }
            }
        }
        if let Some(t) = f.total_digits {
            // Digits of the value, not of the lexical form: 001.50 has 2 (leading zeros of
            // the integer part and trailing zeros of the fraction do not count).
            let body = value.trim_start_matches(['+', '-']);
            let (int, frac) = body.split_once('.').unwrap_or((body, ""));
            let int = int.trim_start_matches('0');
            let frac = frac.trim_end_matches('0');
            let digits = int.len() + frac.len();
            if digits > t {
                return err(
                    "The TotalDigits constraint failed.",
                    format!("{digits} digits, the type allows at most {t}"),
                );
            }
        }
        if let Some(t) = f.fraction_digits {
            let digits = value
                .split_once('.')
                .map(|(_, frac)| frac.trim_end_matches('0').len())
                .unwrap_or(0);
            if digits > t {
                return err(
                    "The FractionDigits constraint failed.",
                    format!("{digits} fraction digits, the type allows at most {t}"),
                );
            }
        }
        Ok(())
    }

    fn value_length(&self, id: SimpleId, value: &str) -> usize {
        if self.is_list(id) {
            return value.split(' ').filter(|s| !s.is_empty()).count();
        }
        match self.primitive(id) {
            Some(Builtin::HexBinary) => value.len() / 2,
            Some(Builtin::Base64Binary) => {
                let n = value.bytes().filter(|b| !b.is_ascii_whitespace()).count();
                let pad = value
                    .bytes()
                    .rev()
                    .take_while(|&b| b == b'=' || b == b' ')
                    .filter(|&b| b == b'=')
                    .count();
                (n / 4) * 3 - pad.min(2)
            }
            _ => value.chars().count(),
        }
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    s.parse().ok()
}

type BuiltinError = (String, String);

fn builtin_err(value: &str, dotnet_type: &str, plain: &str) -> Result<(), BuiltinError> {
    Err((
        format!("The string '{value}' is not a valid {dotnet_type} value."),
        format!("'{value}' is not {plain}"),
    ))
}

fn is_name_start(c: char) -> bool {
    matches!(c, ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if is_name_start(c)) && chars.all(is_name_char)
}

pub(crate) fn is_ncname(s: &str) -> bool {
    is_name(s) && !s.contains(':')
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `[+-]?digits` → Some(value) (saturating to i128 range for very long values).
fn parse_integer(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if !digits(body) {
        return None;
    }
    let trimmed = body.trim_start_matches('0');
    let v: i128 = if trimmed.len() > 38 {
        i128::MAX
    } else if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    match body.split_once('.') {
        Some((a, b)) => {
            (a.is_empty() || digits(a))
                && (b.is_empty() || digits(b))
                && !(a.is_empty() && b.is_empty())
        }
        None => digits(body),
    }
}

fn is_double(s: &str) -> bool {
    if matches!(s, "INF" | "-INF" | "NaN") {
        return true;
    }
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    is_decimal(mantissa) && exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

fn two(s: &str) -> Option<u32> {
    if s.len() == 2 && digits(s) {
        s.parse().ok()
    } else {
        None
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 => {
            if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) {
                29
            } else {
                28
            }
        }
        _ => 31,
    }
}

/// Splits an optional timezone (`Z`, `+hh:mm`, `-hh:mm`) off the end.
fn strip_tz(s: &str) -> Option<&str> {
    if let Some(rest) = s.strip_suffix('Z') {
        return Some(rest);
    }
    if s.len() >= 6 {
        let (head, tz) = s.split_at(s.len() - 6);
        let b = tz.as_bytes();
        if (b[0] == b'+' || b[0] == b'-') && b[3] == b':' {
            let h = two(&tz[1..3])?;
            let m = two(&tz[4..6])?;
            if h > 14 || m > 59 || (h == 14 && m != 0) {
                return None;
            }
            return Some(head);
        }
    }
    Some(s)
}

/// `-?YYYY` (4+ digits, no leading zero beyond 4, not 0000).
fn year(s: &str) -> Option<i64> {
    let body = s.strip_prefix('-').unwrap_or(s);
    if body.len() < 4 || !digits(body) || (body.len() > 4 && body.starts_with('0')) {
        return None;
    }
    let y: i64 = body.parse().ok()?;
    if y == 0 {
        return None;
    }
    Some(if s.starts_with('-') { -y } else { y })
}

fn date_part(s: &str) -> Option<()> {
    // Year may be negative: split from the right.
    let mut it = s.rsplitn(3, '-');
    let d = two(it.next()?)?;
    let m = two(it.next()?)?;
    let y = year(it.next()?)?;
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some(())
}

fn time_part(s: &str) -> Option<()> {
    let (hms, frac) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    if let Some(f) = frac
        && !digits(f)
    {
        return None;
    }
    let mut it = hms.split(':');
    let h = two(it.next()?)?;
    let m = two(it.next()?)?;
    let sec = two(it.next()?)?;
    if it.next().is_some() {
        return None;
    }
    if h == 24 {
        return (m == 0 && sec == 0 && frac.is_none_or(|f| f.bytes().all(|b| b == b'0')))
            .then_some(());
    }
    (h < 24 && m < 60 && sec < 60).then_some(())
}

fn is_datetime(s: &str) -> bool {
    let Some(s) = strip_tz(s) else { return false };
    match s.split_once('T') {
        Some((d, t)) => date_part(d).is_some() && time_part(t).is_some(),
        None => false,
    }
}

fn is_duration(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let Some(body) = body.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match body.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    let mut any = false;
    let parse = |part: &str, designators: &[u8], allow_frac_last: bool, any: &mut bool| -> bool {
        let mut rest = part;
        let mut allowed = designators;
        while !rest.is_empty() {
            let Some(i) = rest.find(|c: char| !c.is_ascii_digit() && c != '.') else {
                return false;
            };
            let (num, tail) = rest.split_at(i);
            let d = tail.as_bytes()[0];
            let Some(pos) = allowed.iter().position(|&x| x == d) else {
                return false;
            };
            let ok_num = if allow_frac_last && d == b'S' {
                is_decimal(num) && !num.starts_with(['+', '-'])
            } else {
                digits(num)
            };
            if !ok_num {
                return false;
            }
            *any = true;
            allowed = &allowed[pos + 1..];
            rest = &tail[1..];
        }
        true
    };
    if !parse(date, b"YMD", false, &mut any) {
        return false;
    }
    if let Some(t) = time {
        if t.is_empty() || !parse(t, b"HMS", true, &mut any) {
            return false;
        }
    }
    any
}

fn is_base64(s: &str) -> bool {
    let compact: Vec<u8> = s.bytes().filter(|b| *b != b' ').collect();
    if compact.len() % 4 != 0 {
        return false;
    }
    let pad = compact.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 {
        return false;
    }
    let body = &compact[..compact.len() - pad];
    if !body
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
    {
        return false;
    }
    // The last character before padding must have its unused bits zero.
    if let Some(&last) = body.last() {
        let v = match last {
            b'A'..=b'Z' => last - b'A',
            b'a'..=b'z' => last - b'a' + 26,
            b'0'..=b'9' => last - b'0' + 52,
            b'+' => 62,
            _ => 63,
        };
        if (pad == 1 && v & 0b11 != 0) || (pad == 2 && v & 0b1111 != 0) {
            return false;
        }
    }
    true
}

fn check_builtin(b: Builtin, v: &str) -> Result<(), BuiltinError> {
    use Builtin::*;
    let int_range = |lo: i128, hi: i128, dotnet: &str, plain: &str| match parse_integer(v) {
        Some(n) if n >= lo && n <= hi => Ok(()),
        // .NET parses first, then reports the range separately.
        Some(_)
            if dotnet.starts_with("Int")
                || dotnet.starts_with("UInt")
                || dotnet.ends_with("Byte") =>
        {
            Err((
                format!("Value was either too large or too small for an {dotnet}."),
                format!("{v} is out of the range of {plain}"),
            ))
        }
        _ => builtin_err(v, dotnet, plain),
    };
    match b {
        AnySimpleType | String | NormalizedString | Token | AnyUri => Ok(()),
        Language => {
            let mut parts = v.split('-');
            let first = parts.next().unwrap_or("");
            let ok = (1..=8).contains(&first.len())
                && first.bytes().all(|c| c.is_ascii_alphabetic())
                && parts.all(|p| {
                    (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric())
                });
            if ok {
                Ok(())
            } else {
                builtin_err(v, "Language", "a language tag (RFC 3066: en, en-US)")
            }
        }
        Name => {
            if is_name(v) {
                Ok(())
            } else {
                builtin_err(v, "Name", "an XML name")
            }
        }
        NCName | Id | IdRef | Entity => {
            if is_ncname(v) {
                Ok(())
            } else {
                builtin_err(v, "NCName", "an XML name without a colon (NCName)")
            }
        }
        IdRefs => {
            if !v.is_empty() && v.split(' ').all(is_ncname) {
                Ok(())
            } else {
                builtin_err(v, "IDREFS", "a list of NCNames")
            }
        }
        NmToken => {
            if !v.is_empty() && v.chars().all(is_name_char) {
                Ok(())
            } else {
                builtin_err(v, "NmToken", "an XML name token")
            }
        }
        NmTokens => {
            if !v.is_empty()
                && v.split(' ')
                    .all(|t| !t.is_empty() && t.chars().all(is_name_char))
            {
                Ok(())
            } else {
                builtin_err(v, "NmTokens", "a list of name tokens")
            }
        }
        QName | Notation => {
            let ok = match v.split_once(':') {
                Some((p, l)) => is_ncname(p) && is_ncname(l),
                None => is_ncname(v),
            };
            if ok {
                Ok(())
            } else {
                builtin_err(v, "QName", "a qualified name (prefix:local)")
            }
        }
        Boolean => {
            if matches!(v, "true" | "false" | "1" | "0") {
                Ok(())
            } else {
                builtin_err(v, "Boolean", "a boolean (true, false, 1, 0)")
            }
        }
        Decimal => {
            if is_decimal(v) {
                Ok(())
            } else {
                builtin_err(v, "Decimal", "a decimal number")
            }
        }
        Integer => int_range(i128::MIN, i128::MAX, "Integer", "an integer"),
        NonNegativeInteger => {
            int_range(0, i128::MAX, "NonNegativeInteger", "a non-negative integer")
        }
        PositiveInteger => int_range(1, i128::MAX, "PositiveInteger", "a positive integer"),
        NonPositiveInteger => {
            int_range(i128::MIN, 0, "NonPositiveInteger", "a non-positive integer")
        }
        NegativeInteger => int_range(i128::MIN, -1, "NegativeInteger", "a negative integer"),
        Long => int_range(
            i64::MIN.into(),
            i64::MAX.into(),
            "Int64",
            "a 64-bit integer (long)",
        ),
        Int => int_range(
            i32::MIN.into(),
            i32::MAX.into(),
            "Int32",
            "a 32-bit integer (int)",
        ),
        Short => int_range(
            i16::MIN.into(),
            i16::MAX.into(),
            "Int16",
            "a 16-bit integer (short)",
        ),
        Byte => int_range(
            i8::MIN.into(),
            i8::MAX.into(),
            "SByte",
            "an 8-bit integer (byte)",
        ),
        UnsignedLong => int_range(0, u64::MAX.into(), "UInt64", "an unsigned 64-bit integer"),
        UnsignedInt => int_range(0, u32::MAX.into(), "UInt32", "an unsigned 32-bit integer"),
        UnsignedShort => int_range(0, u16::MAX.into(), "UInt16", "an unsigned 16-bit integer"),
        UnsignedByte => int_range(0, u8::MAX.into(), "Byte", "an unsigned 8-bit integer"),
        Double => {
            if is_double(v) {
                Ok(())
            } else {
                builtin_err(v, "Double", "a double")
            }
        }
        Float => {
            if is_double(v) {
                Ok(())
            } else {
                builtin_err(v, "Single", "a float")
            }
        }
        DateTime => {
            if is_datetime(v) {
                Ok(())
            } else {
                builtin_err(
                    v,
                    "AllXsd",
                    "a dateTime (YYYY-MM-DDThh:mm:ss with an optional zone)",
                )
            }
        }
        Date => {
            let ok = strip_tz(v).and_then(date_part).is_some();
            if ok {
                Ok(())
            } else {
                builtin_err(v, "Date", "a date (YYYY-MM-DD)")
            }
        }
        Time => {
            let ok = strip_tz(v).and_then(time_part).is_some();
            if ok {
                Ok(())
            } else {
                builtin_err(v, "Time", "a time (hh:mm:ss)")
            }
        }
        Duration => {
            if is_duration(v) {
                Ok(())
            } else {
                builtin_err(v, "Duration", "a duration (PnYnMnDTnHnMnS)")
            }
        }
        GYear => {
            let ok = strip_tz(v).and_then(year).is_some();
            if ok {
                Ok(())
            } else {
                builtin_err(v, "GYear", "a year (YYYY)")
            }
        }
        GYearMonth => {
            let ok = strip_tz(v).and_then(|s| {
                let (y, m) = s.rsplit_once('-')?;
                year(y)?;
                two(m).filter(|m| (1..=12).contains(m))
            });
            if ok.is_some() {
                Ok(())
            } else {
                builtin_err(v, "GYearMonth", "a year and month (YYYY-MM)")
            }
        }
        GMonth => {
            let ok = strip_tz(v)
                .and_then(|s| two(s.strip_prefix("--")?))
                .filter(|m| (1..=12).contains(m));
            if ok.is_some() {
                Ok(())
            } else {
                builtin_err(v, "GMonth", "a month (--MM)")
            }
        }
        GMonthDay => {
            let ok = strip_tz(v).and_then(|s| {
                let (m, d) = s.strip_prefix("--")?.split_once('-')?;
                let (m, d) = (two(m)?, two(d)?);
                ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(2000, m)).then_some(())
            });
            if ok.is_some() {
                Ok(())
            } else {
                builtin_err(v, "GMonthDay", "a month and day (--MM-DD)")
            }
        }
        GDay => {
            let ok = strip_tz(v)
                .and_then(|s| two(s.strip_prefix("---")?))
                .filter(|d| (1..=31).contains(d));
            if ok.is_some() {
                Ok(())
            } else {
                builtin_err(v, "GDay", "a day (---DD)")
            }
        }
        Base64Binary => {
            if is_base64(v) {
                Ok(())
            } else {
                builtin_err(v, "Base64Binary", "base64")
            }
        }
        HexBinary => {
            if v.len() % 2 == 0 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(())
            } else {
                builtin_err(v, "HexBinary", "hexBinary (an even number of hex digits)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_spaces() {
        assert!(is_datetime("2006-10-05T17:12:00Z"));
        assert!(is_datetime("2006-10-05T17:12:00.123-07:00"));
        assert!(is_datetime("2006-10-05T24:00:00"));
        assert!(!is_datetime("2006-02-30T10:00:00"));
        assert!(!is_datetime("2006-10-05 17:12:00"));
        assert!(!is_datetime("2006-10-05T25:00:00"));
        assert!(is_duration("P1Y2M3DT4H5M6.5S"));
        assert!(is_duration("-PT30M"));
        assert!(!is_duration("P"));
        assert!(!is_duration("PT"));
        assert!(!is_duration("P1S"));
        assert!(is_base64("AAMkAGI2TG93AAA="));
        assert!(!is_base64("AAMkAGI2TG93AAA"));
        assert!(is_decimal("-1.5") && is_decimal(".5") && !is_decimal("."));
        assert!(is_double("1e10") && is_double("INF") && !is_double("1e"));
        assert!(check_builtin(Builtin::Int, "2147483648").is_err());
        assert!(check_builtin(Builtin::Int, "-2147483648").is_ok());
        assert!(check_builtin(Builtin::UnsignedShort, "65535").is_ok());
        assert!(check_builtin(Builtin::Language, "en-US").is_ok());
        assert!(check_builtin(Builtin::Language, "toolongtag-x").is_err());
        assert!(check_builtin(Builtin::Boolean, "TRUE").is_err());
    }

    #[test]
    fn builtin_ids_are_fixed() {
        assert_eq!(BUILTINS[ANY_SIMPLE_TYPE as usize].0, "anySimpleType");
        assert_eq!(BUILTINS[XS_STRING as usize].0, "string");
    }

    #[test]
    fn whitespace_rules() {
        assert_eq!(normalize(" a \t b\n", Ws::Collapse), "a b");
        assert_eq!(normalize("a\tb", Ws::Replace), "a b");
        assert_eq!(normalize(" a ", Ws::Preserve), " a ");
    }
}
