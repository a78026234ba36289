//! Matcher tokens (`{{any}}`, `{{regex ...}}`, `{{bind id ews_id}}`, `{{differs old_key base64}}`,
//! ...) in expected values.
//!
//! A value is a matcher only when the whole trimmed value is one `{{ ... }}` token whose first
//! word is one of [`MATCHER_WORDS`]; anything else compares literally. Regexes match the whole
//! value and are compiled once per comparison ([`RegexCache`]).

use std::collections::HashMap;

use base64::Engine as _;

use super::{MATCHER_WORDS, Matcher};

/// The expression inside a matcher token, when `value` (trimmed) is exactly one.
pub(crate) fn token(value: &str) -> Option<&str> {
    let v = value.trim_matches(super::canon::is_xml_space);
    let inner = v.strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") {
        return None;
    }
    let inner = inner.trim();
    let word = inner.split_whitespace().next()?;
    MATCHER_WORDS.contains(&word).then_some(inner)
}

/// Parses the inside of a `{{ }}` expression (see [`super::parse_matcher`]).
pub(crate) fn parse_matcher(expr: &str) -> Result<Matcher, String> {
    let expr = expr.trim();
    let (word, rest) = match expr.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (expr, ""),
    };
    let no_args = |m: Matcher| {
        if rest.is_empty() {
            Ok(m)
        } else {
            Err(format!(
                "matcher `{word}` takes no arguments, found `{rest}`"
            ))
        }
    };
    match word {
        "any" => no_args(Matcher::Any),
        "ignore" => no_args(Matcher::Ignore),
        "integer" => no_args(Matcher::Integer),
        "boolean" => no_args(Matcher::Boolean),
        "datetime" => no_args(Matcher::DateTime),
        "base64" => no_args(Matcher::Base64),
        "ews_id" => no_args(Matcher::EwsId),
        "regex" => {
            if rest.is_empty() {
                return Err("matcher `regex` needs a pattern: `{{regex [A-Z]+}}`".into());
            }
            compile(rest)?;
            Ok(Matcher::Regex(rest.to_string()))
        }
        "differs" => {
            let (name, check) = match rest.split_once(char::is_whitespace) {
                Some((n, c)) => (n, c.trim()),
                None => (rest, ""),
            };
            if name.is_empty() {
                return Err(
                    "matcher `differs` needs the name of an earlier value: `{{differs old_change_key base64}}`"
                        .into(),
                );
            }
            if !is_binding_name(name) {
                return Err(format!(
                    "`{name}` is not a valid name of an earlier value (letters, digits, `_`, `-`, `.`; starting with a letter or `_`)"
                ));
            }
            let check = if check.is_empty() {
                None
            } else {
                match parse_matcher(check)? {
                    m @ (Matcher::Integer
                    | Matcher::Boolean
                    | Matcher::DateTime
                    | Matcher::Base64
                    | Matcher::EwsId
                    | Matcher::Regex(_)) => Some(Box::new(m)),
                    _ => {
                        return Err(format!(
                            "`{{{{differs {name} {check}}}}}`: the type must be one of integer, boolean, datetime, base64, ews_id or `regex PATTERN`"
                        ));
                    }
                }
            };
            Ok(Matcher::Differs {
                name: name.to_string(),
                check,
            })
        }
        "bind" => {
            let (name, check) = match rest.split_once(char::is_whitespace) {
                Some((n, c)) => (n, c.trim()),
                None => (rest, ""),
            };
            if name.is_empty() {
                return Err("matcher `bind` needs a name: `{{bind item_id}}`".into());
            }
            if !is_binding_name(name) {
                return Err(format!(
                    "`{name}` is not a valid binding name (letters, digits, `_`, `-`, `.`; starting with a letter or `_`)"
                ));
            }
            let check = if check.is_empty() {
                None
            } else {
                let m = parse_matcher(check)?;
                match m {
                    Matcher::Integer
                    | Matcher::Boolean
                    | Matcher::DateTime
                    | Matcher::Base64
                    | Matcher::EwsId
                    | Matcher::Regex(_)
                    | Matcher::Differs { .. } => Some(Box::new(m)),
                    _ => {
                        return Err(format!(
                            "`{{{{bind {name} {check}}}}}`: the type of a binding must be one of integer, boolean, datetime, base64, ews_id, `regex PATTERN` or `differs NAME [TYPE]`"
                        ));
                    }
                }
            };
            Ok(Matcher::Bind {
                name: name.to_string(),
                check,
            })
        }
        other => Err(format!(
            "unknown matcher `{other}`; expected one of: {}",
            MATCHER_WORDS.join(", ")
        )),
    }
}

fn is_binding_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| format!("bad regex `{pattern}`: {e}"))
}

/// Parsed matchers and compiled regexes of one comparison.
#[derive(Default)]
pub(crate) struct RegexCache {
    matchers: HashMap<String, Result<Matcher, String>>,
    regexes: HashMap<String, Result<regex::Regex, String>>,
}

impl RegexCache {
    /// The parsed matcher of a token expression (cached).
    pub(crate) fn matcher(&mut self, expr: &str) -> Result<Matcher, String> {
        if let Some(m) = self.matchers.get(expr) {
            return m.clone();
        }
        let m = parse_matcher(expr);
        self.matchers.insert(expr.to_string(), m.clone());
        m
    }

    /// Whether `value` satisfies `m` (a `Bind` checks its type only; binding is the caller's).
    pub(crate) fn check(&mut self, m: &Matcher, value: &str) -> bool {
        let v = value.trim_matches(super::canon::is_xml_space);
        match m {
            Matcher::Any | Matcher::Ignore => true,
            Matcher::Integer => is_integer(v),
            Matcher::Boolean => matches!(v, "true" | "false" | "1" | "0"),
            Matcher::DateTime => is_datetime(v),
            Matcher::Base64 | Matcher::EwsId => is_base64(v),
            Matcher::Regex(p) => {
                let re = self.regexes.entry(p.clone()).or_insert_with(|| compile(p));
                match re {
                    Ok(re) => re.is_match(value),
                    Err(_) => false,
                }
            }
            Matcher::Bind { check, .. } | Matcher::Differs { check, .. } => match check {
                Some(c) => self.check(c, value),
                None => true,
            },
        }
    }
}

/// The token text of a matcher, for messages (`{{bind id ews_id}}`).
pub(crate) fn describe(expr: &str) -> String {
    format!("{{{{{expr}}}}}")
}

/// xs:long-style integer: optional sign, digits, within 64 bits.
pub(crate) fn is_integer(v: &str) -> bool {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && v.parse::<i64>().is_ok()
}

/// Valid padded base64, not empty.
pub(crate) fn is_base64(v: &str) -> bool {
    !v.is_empty() && v.len() % 4 == 0 && base64::engine::general_purpose::STANDARD.decode(v).is_ok()
}

/// xs:dateTime: `YYYY-MM-DDThh:mm:ss(.f+)?(Z|±hh:mm)?` with range checks.
pub(crate) fn is_datetime(v: &str) -> bool {
    let b = v.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let s = b.get(range)?;
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    let year_end = match b.iter().position(|&c| c == b'-') {
        Some(i) if i >= 4 => i,
        _ => return false,
    };
    let Some(year) = num(0..year_end) else {
        return false;
    };
    let p = year_end;
    let (Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        num(p + 1..p + 3),
        num(p + 4..p + 6),
        num(p + 7..p + 9),
        num(p + 10..p + 12),
        num(p + 13..p + 15),
    ) else {
        return false;
    };
    if b.get(p + 3) != Some(&b'-')
        || b.get(p + 6) != Some(&b'T')
        || b.get(p + 9) != Some(&b':')
        || b.get(p + 12) != Some(&b':')
    {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days || hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    let mut rest = &b[p + 15..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let digits = [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit());
            let tz_hour = u32::from(h1.wrapping_sub(b'0')) * 10 + u32::from(h2.wrapping_sub(b'0'));
            let tz_min = u32::from(m1.wrapping_sub(b'0')) * 10 + u32::from(m2.wrapping_sub(b'0'));
            digits && tz_min <= 59 && (tz_hour < 14 || (tz_hour == 14 && tz_min == 0))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_be_the_whole_value_and_start_with_a_matcher_word() {
        assert_eq!(token(" {{any}} "), Some("any"));
        assert_eq!(token("{{ bind id ews_id }}"), Some("bind id ews_id"));
        assert_eq!(token("x{{any}}"), None);
        assert_eq!(token("{{any}}{{any}}"), None);
        assert_eq!(token("{{run_id}}"), None);
    }

    #[test]
    fn datetime_checks_ranges() {
        assert!(is_datetime("2024-02-29T23:59:59Z"));
        assert!(is_datetime("2023-01-01T00:00:00.123+05:30"));
        assert!(is_datetime("2023-01-01T00:00:00"));
        assert!(!is_datetime("2023-02-29T00:00:00Z"));
        assert!(!is_datetime("2023-13-01T00:00:00Z"));
        assert!(!is_datetime("2023-01-01T24:00:00Z"));
        assert!(!is_datetime("2023-01-01T00:00:00+15:00"));
        assert!(!is_datetime("2023-01-01 00:00:00Z"));
        assert!(!is_datetime("2023-01-01T00:00:00."));
    }

    #[test]
    fn integers_and_base64() {
        assert!(is_integer("-42") && is_integer("+7") && is_integer("0"));
        assert!(
            !is_integer("4.2")
                && !is_integer("")
                && !is_integer("-")
                && !is_integer("99999999999999999999")
        );
        assert!(!is_base64("AAMkAGI2="));
        assert!(is_base64("AAMkAGI2"));
        assert!(is_base64("QUJD") && is_base64("QUI="));
        assert!(!is_base64("") && !is_base64("QUI") && !is_base64("Q*I="));
    }

    #[test]
    fn parse_matcher_rejects_bad_input() {
        assert_eq!(parse_matcher("any"), Ok(Matcher::Any));
        assert_eq!(
            parse_matcher("bind id ews_id"),
            Ok(Matcher::Bind {
                name: "id".into(),
                check: Some(Box::new(Matcher::EwsId))
            })
        );
        assert_eq!(
            parse_matcher("bind code regex [A-Z]\\w+"),
            Ok(Matcher::Bind {
                name: "code".into(),
                check: Some(Box::new(Matcher::Regex("[A-Z]\\w+".into())))
            })
        );
        assert_eq!(
            parse_matcher("differs old_ck base64"),
            Ok(Matcher::Differs {
                name: "old_ck".into(),
                check: Some(Box::new(Matcher::Base64))
            })
        );
        assert_eq!(
            parse_matcher("bind new_ck differs old_ck"),
            Ok(Matcher::Bind {
                name: "new_ck".into(),
                check: Some(Box::new(Matcher::Differs {
                    name: "old_ck".into(),
                    check: None
                }))
            })
        );
        assert!(parse_matcher("differs").is_err());
        assert!(parse_matcher("differs 1x").is_err());
        assert!(parse_matcher("differs old any").is_err());
        assert!(parse_matcher("regex (").unwrap_err().contains("bad regex"));
        assert!(parse_matcher("bind").is_err());
        assert!(parse_matcher("bind x any").is_err());
        assert!(parse_matcher("any thing").is_err());
        assert!(
            parse_matcher("sometimes")
                .unwrap_err()
                .contains("unknown matcher")
        );
    }
}
