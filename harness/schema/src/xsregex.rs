//! Translation of XSD regular expressions (XML Schema 1.0, appendix F) to the `regex` crate.
//!
//! Differences handled: XSD patterns are implicitly anchored at both ends; `^` and `$` are
//! ordinary characters; `.` excludes only `\n` and `\r`; the multi-character escapes `\i`, `\I`
//! (XML initial name characters), `\c`, `\C` (XML name characters); `\p{IsBlock}` Unicode
//! blocks (the `regex` crate knows scripts and categories, not blocks: the common blocks are
//! written as ranges); character-class subtraction `[a-z-[aeiou]]` (the crate spells it
//! `[a-z--[aeiou]]`).

use regex::Regex;

const NAME_START: &str = r":A-Z_a-z\u{C0}-\u{D6}\u{D8}-\u{F6}\u{F8}-\u{2FF}\u{370}-\u{37D}\u{37F}-\u{1FFF}\u{200C}-\u{200D}\u{2070}-\u{218F}\u{2C00}-\u{2FEF}\u{3001}-\u{D7FF}\u{F900}-\u{FDCF}\u{FDF0}-\u{FFFD}";
const NAME_EXTRA: &str = r"\-.0-9\u{B7}\u{300}-\u{36F}\u{203F}-\u{2040}";

/// An error in a pattern, with the pattern's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub pattern: String,
    pub message: String,
}

/// Compiles an XSD pattern into an anchored [`Regex`].
pub fn compile(pattern: &str) -> Result<Regex, PatternError> {
    let translated = translate(pattern).map_err(|message| PatternError {
        pattern: pattern.to_string(),
        message,
    })?;
    Regex::new(&format!("^(?:{translated})$")).map_err(|e| PatternError {
        pattern: pattern.to_string(),
        message: e.to_string(),
    })
}

fn block_range(name: &str) -> Option<&'static str> {
    Some(match name {
        "BasicLatin" => r"\u{0}-\u{7F}",
        "Latin-1Supplement" => r"\u{80}-\u{FF}",
        "LatinExtended-A" => r"\u{100}-\u{17F}",
        "LatinExtended-B" => r"\u{180}-\u{24F}",
        "IPAExtensions" => r"\u{250}-\u{2AF}",
        "Greek" | "GreekandCoptic" => r"\u{370}-\u{3FF}",
        "Cyrillic" => r"\u{400}-\u{4FF}",
        "Hebrew" => r"\u{590}-\u{5FF}",
        "Arabic" => r"\u{600}-\u{6FF}",
        "GeneralPunctuation" => r"\u{2000}-\u{206F}",
        "CJKUnifiedIdeographs" => r"\u{4E00}-\u{9FFF}",
        "Hiragana" => r"\u{3040}-\u{309F}",
        "Katakana" => r"\u{30A0}-\u{30FF}",
        "PrivateUse" | "PrivateUseArea" => r"\u{E000}-\u{F8FF}",
        "Specials" => r"\u{FFF0}-\u{FFFF}",
        _ => return None,
    })
}

/// Translates the body of a pattern (without anchors).
fn translate(p: &str) -> Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let (s, n) = escape(&chars, i, false)?;
                out.push_str(&s);
                i = n;
            }
            '[' => {
                let (s, n) = class(&chars, i)?;
                out.push_str(&s);
                i = n;
            }
            '.' => {
                out.push_str(r"[^\n\r]");
                i += 1;
            }
            '^' | '$' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            '(' => {
                // XSD has no group syntax (?...): a `?` after `(` is an error there.
                if chars.get(i + 1) == Some(&'?') {
                    return Err("`(?` is not XSD regex syntax".into());
                }
                out.push_str("(?:");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Translates the escape at `chars[i]` (a backslash); returns the text and the next index.
/// `in_class`: inside `[...]`, where multi-char escapes must expand to class contents.
fn escape(chars: &[char], i: usize, in_class: bool) -> Result<(String, usize), String> {
    let c = *chars.get(i + 1).ok_or("pattern ends with a backslash")?;
    let wrap = |body: &str, negated: bool| {
        if in_class && !negated {
            body.to_string()
        } else if negated {
            format!("[^{body}]")
        } else {
            format!("[{body}]")
        }
    };
    let s = match c {
        'n' => r"\n".to_string(),
        'r' => r"\r".to_string(),
        't' => r"\t".to_string(),
        '\\' | '|' | '.' | '?' | '*' | '+' | '(' | ')' | '{' | '}' | '-' | '[' | ']' | '^'
        | '$' => {
            format!("\\{c}")
        }
        'd' => r"\d".to_string(),
        'D' => r"\D".to_string(),
        'w' => r"[^\p{P}\p{Z}\p{C}]".to_string(),
        'W' => r"[\p{P}\p{Z}\p{C}]".to_string(),
        's' => wrap(r"\x20\t\n\r", false),
        'S' => wrap(r"\x20\t\n\r", true),
        'i' => wrap(NAME_START, false),
        'I' => wrap(NAME_START, true),
        'c' => wrap(&format!("{NAME_START}{NAME_EXTRA}"), false),
        'C' => wrap(&format!("{NAME_START}{NAME_EXTRA}"), true),
        'p' | 'P' => {
            if chars.get(i + 2) != Some(&'{') {
                return Err(format!("`\\{c}` must be followed by `{{name}}`"));
            }
            let end = chars[i + 3..]
                .iter()
                .position(|&x| x == '}')
                .ok_or("unterminated `\\p{`")?
                + i
                + 3;
            let name: String = chars[i + 3..end].iter().collect();
            let body = if let Some(block) = name.strip_prefix("Is") {
                match block_range(block) {
                    Some(r) => {
                        let s = if c == 'P' {
                            format!("[^{r}]")
                        } else if in_class {
                            r.to_string()
                        } else {
                            format!("[{r}]")
                        };
                        return Ok((s, end + 1));
                    }
                    None => return Err(format!("unknown Unicode block `{block}`")),
                }
            } else {
                format!("\\{c}{{{name}}}")
            };
            return Ok((body, end + 1));
        }
        other => return Err(format!("unknown escape `\\{other}`")),
    };
    // In a class, a negated multi-char escape cannot be spliced: use a nested class.
    Ok((s, i + 2))
}

/// Translates the character class starting at `chars[i] == '['`.
fn class(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let mut out = String::from("[");
    let mut i = start + 1;
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let c = *chars.get(i).ok_or("unterminated character class")?;
        match c {
            ']' if !first => {
                out.push(']');
                return Ok((out, i + 1));
            }
            '-' if chars.get(i + 1) == Some(&'[') => {
                let (sub, n) = class(chars, i + 1)?;
                out.push_str("--");
                out.push_str(&sub);
                if chars.get(n) != Some(&']') {
                    return Err("a subtraction must end the character class".into());
                }
                out.push(']');
                return Ok((out, n + 1));
            }
            '\\' => {
                let (s, n) = escape(chars, i, true)?;
                out.push_str(&s);
                i = n;
            }
            '[' => return Err("`[` must be escaped inside a character class".into()),
            '&' | '~' | '-' => {
                // Characters the regex crate treats specially in classes; `-` as a range
                // operator is passed through when between two characters.
                if c == '-' && !first && chars.get(i + 1) != Some(&']') {
                    out.push('-');
                } else {
                    out.push('\\');
                    out.push(c);
                }
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::compile;

    fn m(p: &str, s: &str) -> bool {
        compile(p).unwrap().is_match(s)
    }

    #[test]
    fn anchored_and_literal_anchors() {
        assert!(m("[0-9]{2}", "12"));
        assert!(!m("[0-9]{2}", "123"));
        assert!(m("a$b", "a$b"));
        assert!(m("^x", "^x"));
    }

    #[test]
    fn name_classes_and_subtraction() {
        assert!(m(r"\i\c*", "_a-b.c"));
        assert!(!m(r"\i\c*", "-ab"));
        assert!(m("[a-z-[aeiou]]+", "bcd"));
        assert!(!m("[a-z-[aeiou]]+", "bad"));
        assert!(m(r"\p{IsBasicLatin}+", "abc"));
        assert!(!m(r"\p{IsBasicLatin}+", "é"));
        assert!(m(r"\p{Lu}\d", "A1"));
        assert!(m(r"[\i-[:]][\c-[:]]*", "ab"));
        assert!(!m(r"[\i-[:]][\c-[:]]*", ":b"));
    }

    #[test]
    fn ews_patterns() {
        let guid = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}";
        assert!(m(guid, "6e6a8b2f-1d3c-4e5f-a6b7-c8d9e0f1a2b3"));
        assert!(!m(guid, "6e6a8b2f1d3c"));
        assert!(m("((0x|0X)[0-9A-Fa-f]*)|([0-9]*)", "0x1F"));
        assert!(m("((0x|0X)[0-9A-Fa-f]*)|([0-9]*)", ""));
        assert!(!m("((0x|0X)[0-9A-Fa-f]*)|([0-9]*)", "0xZ"));
        assert!(m(r"\.", "."));
        assert!(!m(".", "\n"));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(compile("(?i)a").is_err());
        assert!(compile("[a").is_err());
        assert!(compile(r"\q").is_err());
    }
}
