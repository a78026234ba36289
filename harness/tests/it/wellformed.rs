//! Strict well-formedness (XML 1.0 + Namespaces 1.0, encodings) against libxml2 as the oracle.
//!
//! - `mutated_responses_get_libxml2s_verdict`: thousands of deterministic mutations of real EWS
//!   responses (`harness/tests/fixtures/xml/wellformed-seeds/`: documentation examples of many
//!   operations and responses of the reference server), each judged by the harness's checker and
//!   by `xmllint --noout --nonet`; the verdicts must agree on at least 99.9%, and every
//!   disagreement must be one of the [`KNOWN`] classes, each with its reason.
//! - `each_malformed_class_is_refused_with_a_clear_message`: one input per class of
//!   ill-formedness, refused with a message saying what and where; each well-formed neighbour of
//!   it accepted.
//!
//! With `CI` set a missing xmllint fails the oracle test; otherwise it is skipped loudly.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use ews_conformance::xml::{self, Limits, ParseOptions, XmlErrorKind};

use crate::support::TempDir;

/// Mutation classes where the harness's verdict deliberately differs from libxml2's.
const KNOWN: &[(&str, &str)] = &[
    (
        "decl-version-without-digits",
        "XML 1.0 (fifth edition) says VersionNum is `1.` followed by at least one digit; libxml2 accepts `1.` with a warning",
    ),
    (
        "enc-utf16-bom-declared-utf8",
        "a UTF-16 byte order mark with encoding=\"utf-8\" contradicts itself: .NET's XmlReader (what Exchange clients use) refuses it; libxml2 lets the BOM win",
    ),
    (
        "enc-utf8-bom-declared-latin1",
        "a UTF-8 byte order mark with encoding=\"ISO-8859-1\" contradicts itself: the harness refuses what the bytes and the declaration disagree on; libxml2 lets the BOM win",
    ),
];

fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xml/wellformed-seeds");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("seed folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let name = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("read seed"))
        })
        .collect()
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(label: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in label.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick(&mut self, v: &[usize]) -> usize {
        v[(self.next() % v.len() as u64) as usize]
    }
}

/// Places in a well-formed seed where mutations go.
#[derive(Default)]
struct Spots {
    /// Just after the `>` of a start tag (inside an element).
    text: Vec<usize>,
    /// Just after the opening quote of an attribute value.
    attr_value: Vec<usize>,
    /// The first byte of an attribute name.
    attr_name: Vec<usize>,
    /// (first byte of a start tag's name, first byte of its end tag's name if not empty).
    elements: Vec<(usize, Option<usize>)>,
    /// Where a start tag's `>` or `/>` begins (to add attributes).
    tag_close: Vec<usize>,
    /// Byte range of each end tag `</...>`.
    end_tags: Vec<(usize, usize)>,
    /// Byte range of the XML declaration, if any.
    decl: Option<(usize, usize)>,
    /// Offset of the root's `<`.
    root_start: usize,
}

fn spots(b: &[u8]) -> Spots {
    let mut s = Spots::default();
    let mut stack: Vec<usize> = Vec::new();
    let mut i = 0;
    let find = |from: usize, pat: &[u8]| {
        b[from..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|p| from + p)
    };
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'?') => {
                let end = find(i, b"?>").expect("pi end") + 2;
                if b[i..].starts_with(b"<?xml ") && i <= 3 {
                    s.decl = Some((i, end));
                }
                i = end;
            }
            Some(b'!') => {
                let end = if b[i..].starts_with(b"<!--") {
                    find(i, b"-->").expect("comment end") + 3
                } else {
                    find(i, b"]]>").expect("cdata end") + 3
                };
                i = end;
            }
            Some(b'/') => {
                let end = find(i, b">").expect("end tag") + 1;
                s.end_tags.push((i, end));
                if let Some(idx) = stack.pop() {
                    s.elements[idx].1 = Some(i + 2);
                }
                i = end;
            }
            _ => {
                if stack.is_empty() && s.elements.is_empty() {
                    s.root_start = i;
                }
                let idx = s.elements.len();
                s.elements.push((i + 1, None));
                let mut j = i + 1;
                let mut quote = 0u8;
                let mut prev_space = false;
                loop {
                    let c = b[j];
                    if quote != 0 {
                        if c == quote {
                            quote = 0;
                        }
                    } else if c == b'"' || c == b'\'' {
                        quote = c;
                        s.attr_value.push(j + 1);
                    } else if c == b'>' || (c == b'/' && b[j + 1] == b'>') {
                        break;
                    } else if prev_space && c.is_ascii_alphabetic() {
                        s.attr_name.push(j);
                    }
                    prev_space = quote == 0 && c.is_ascii_whitespace();
                    j += 1;
                }
                s.tag_close.push(j);
                if b[j] == b'>' {
                    stack.push(idx);
                    s.text.push(j + 1);
                    i = j + 1;
                } else {
                    i = j + 2;
                }
            }
        }
    }
    s
}

fn insert(b: &[u8], at: usize, what: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(b.len() + what.len());
    v.extend_from_slice(&b[..at]);
    v.extend_from_slice(what);
    v.extend_from_slice(&b[at..]);
    v
}

fn replace(b: &[u8], range: (usize, usize), what: &[u8]) -> Vec<u8> {
    let mut v = b[..range.0].to_vec();
    v.extend_from_slice(what);
    v.extend_from_slice(&b[range.1..]);
    v
}

/// The seed without its XML declaration (and the line break after it).
fn undeclared(b: &[u8], s: &Spots) -> Vec<u8> {
    match s.decl {
        Some((from, to)) => {
            let mut to = to;
            while b.get(to).is_some_and(u8::is_ascii_whitespace) {
                to += 1;
            }
            replace(b, (from, to), b"")
        }
        None => b.to_vec(),
    }
}

fn utf16(text: &[u8], little: bool, bom: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if little { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
    }
    for u in text.encode_utf16() {
        out.extend_from_slice(&if little {
            u.to_le_bytes()
        } else {
            u.to_be_bytes()
        });
    }
    out
}

/// Every mutation of one seed: (class label, bytes).
fn mutations(name: &str, seed_no: usize, b: &[u8]) -> Vec<(String, Vec<u8>)> {
    let s = spots(b);
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut rng = Rng::new(name);
    let mut add = |label: &str, bytes: Vec<u8>| out.push((label.to_string(), bytes));

    // Char production: C0 controls (tab, LF, CR are legal), in text and attribute values.
    for c in 0u8..0x20 {
        add(
            &format!("char-c0-text-{c:02x}"),
            insert(b, rng.pick(&s.text), &[c]),
        );
    }
    for c in [0u8, 1, 8, 0x0b, 0x0c, 0x1f, 9, 10, 13] {
        add(
            &format!("char-c0-attr-{c:02x}"),
            insert(b, rng.pick(&s.attr_value), &[c]),
        );
    }
    // Character references to illegal and legal characters.
    let refs = [
        "&#0;",
        "&#x0;",
        "&#1;",
        "&#x8;",
        "&#xB;",
        "&#x1F;",
        "&#xFFFE;",
        "&#xFFFF;",
        "&#xD800;",
        "&#xDFFF;",
        "&#x110000;",
        "&#99999999999;",
        "&#9;",
        "&#xA;",
        "&#xD;",
        "&#x20;",
        "&#xD7FF;",
        "&#xE000;",
        "&#xFFFD;",
        "&#x10000;",
        "&#x10FFFF;",
        "&#65;",
        "&#x;",
        "&#;",
        "&#x41",
        "&#abc;",
        "&#X41;",
        "&#0065;",
    ];
    for (k, r) in refs.iter().enumerate() {
        add(
            &format!("charref-text-{k}"),
            insert(b, rng.pick(&s.text), r.as_bytes()),
        );
    }
    for (k, r) in refs.iter().enumerate().step_by(3) {
        add(
            &format!("charref-attr-{k}"),
            insert(b, rng.pick(&s.attr_value), r.as_bytes()),
        );
    }
    // Raw characters: U+FFFE/U+FFFF are not characters; the others are.
    for (k, c) in [
        "\u{FFFE}",
        "\u{FFFF}",
        "\u{FFFD}",
        "\u{A0}",
        "\u{2028}",
        "\u{85}",
        "\u{10FFFF}",
        "\u{FEFF}",
    ]
    .iter()
    .enumerate()
    {
        add(
            &format!("char-raw-text-{k}"),
            insert(b, rng.pick(&s.text), c.as_bytes()),
        );
        add(
            &format!("char-raw-attr-{k}"),
            insert(b, rng.pick(&s.attr_value), c.as_bytes()),
        );
    }
    // Names: element names (start and end tag alike) and attribute names.
    let elems: Vec<usize> = (0..s.elements.len()).collect();
    for (k, c) in [
        "1", "-", ".", "\u{B7}", "\u{301}", "\u{E9}", "_", " ", "ä", "$", "\u{2070}", "\u{37E}",
    ]
    .iter()
    .enumerate()
    {
        let (start, end) = s.elements[rng.pick(&elems)];
        let mut v = b.to_vec();
        if let Some(e) = end {
            v = insert(&v, e, c.as_bytes());
        }
        v = insert(&v, start, c.as_bytes());
        add(&format!("name-element-start-{k}"), v);
        // inside the name, after its first character
        let (start, end) = s.elements[rng.pick(&elems)];
        let mut v = b.to_vec();
        if let Some(e) = end {
            v = insert(&v, e + 1, c.as_bytes());
        }
        v = insert(&v, start + 1, c.as_bytes());
        add(&format!("name-element-inner-{k}"), v);
        if !s.attr_name.is_empty() {
            add(
                &format!("name-attr-start-{k}"),
                insert(b, rng.pick(&s.attr_name), c.as_bytes()),
            );
        }
    }
    // Attribute values: `<`, `&`, references.
    for (k, v) in [
        "<", "&", "& ", "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&nbsp;", "&foo;", "&#38;",
        ">", "]]>", "\"", "'", "&amp", "\t\r\n",
    ]
    .iter()
    .enumerate()
    {
        add(
            &format!("attr-value-{k}"),
            insert(b, rng.pick(&s.attr_value), v.as_bytes()),
        );
    }
    // Text and markup inside the root.
    for (k, t) in [
        "]]>",
        "]]",
        "]>",
        ">",
        "&",
        "& ",
        "&amp;",
        "&nbsp;",
        "&copy;",
        "<",
        "<!-- c -->",
        "<!-- a--b -->",
        "<!-- x --->",
        "<!--->",
        "<?pi x?>",
        "<?pi?>",
        "<?xml version=\"1.0\"?>",
        "<?XmL x?>",
        "<?p:i x?>",
        "<![CDATA[x]]>",
        "<![CDATA[]]>]]>",
        "<![CDATA[x",
        "<!DOCTYPE x>",
        "<!ELEMENT x ANY>",
        "<!foo>",
        "</>",
        "<>",
        "<a/>",
        "<a></b>",
        "<a>",
        "<?pi",
        "<!-- x",
        "<a b=\"1\"/>",
        "<a b=1/>",
        "<a b/>",
    ]
    .iter()
    .enumerate()
    {
        add(
            &format!("text-{k}"),
            insert(b, rng.pick(&s.text), t.as_bytes()),
        );
    }
    // The XML declaration: only at the very start, with its own grammar.
    let body = undeclared(b, &s);
    for (k, d) in [
        "<?xml version=\"1.0\"?>",
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<?xml version=\"1.0\" standalone=\"yes\"?>",
        "<?xml version=\"1.0\" standalone=\"maybe\"?>",
        "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"no\" ?>",
        "<?xml encoding=\"utf-8\"?>",
        "<?xml version=\"1.0\"encoding=\"utf-8\"?>",
        "<?xml version=\"1.0\" standalone=\"yes\" encoding=\"utf-8\"?>",
        "<?xml  version = \"1.0\" ?>",
        "<?xml version=\"1.0\" encoding=\"9x\"?>",
        "<?xml version=\"1.0\" foo=\"bar\"?>",
        "<?xml?>",
        "<?xml version=\"1.0\"",
        "<?xml version=\"1.0\" encoding=\"\"?>",
        "<?xml version=1.0?>",
        "<?xml version=\"2.0\"?>",
        "<?xml version=\"1.1\"?>",
        "<?xml version=\"1.0\" version=\"1.0\"?>",
        "<?XML version=\"1.0\"?>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><?xml version=\"1.0\"?>",
        " <?xml version=\"1.0\"?>",
        "\n<?xml version=\"1.0\"?>",
        "<!-- c --><?xml version=\"1.0\"?>",
        "<?xml version=\"1.0\" encoding=\"us-ascii\"?>",
    ]
    .iter()
    .enumerate()
    {
        let mut v = d.as_bytes().to_vec();
        v.push(b'\n');
        v.extend_from_slice(&body);
        add(&format!("decl-{k}"), v);
    }
    add(
        "decl-after-root-start",
        insert(b, rng.pick(&s.text), b"<?xml version=\"1.0\"?>"),
    );
    add("decl-none", body.clone());
    // Byte order marks: one at most, only at the start.
    let bom = [0xEF, 0xBB, 0xBF];
    add("bom-one", insert(b, 0, &bom));
    add("bom-two", insert(&insert(b, 0, &bom), 0, &bom));
    add("bom-after-decl", insert(b, s.decl.map_or(0, |d| d.1), &bom));
    add("bom-before-root", insert(b, s.root_start, &bom));
    add("bom-in-text", insert(b, rng.pick(&s.text), &bom));
    // Encodings: what the bytes are against what the declaration and the BOM say.
    let decl16 = |enc: &str| format!("<?xml version=\"1.0\" encoding=\"{enc}\"?>\n");
    let with_decl = |enc: &str| {
        let mut v = decl16(enc).into_bytes();
        v.extend_from_slice(&body);
        v
    };
    add("enc-utf16le-bom", utf16(&with_decl("UTF-16"), true, true));
    add("enc-utf16be-bom", utf16(&with_decl("utf-16"), false, true));
    add("enc-utf16le-bom-no-decl", utf16(&body, true, true));
    add(
        "enc-utf16-no-bom-declared",
        utf16(&with_decl("UTF-16"), true, false),
    );
    add("enc-utf8-declared-utf16", with_decl("utf-16"));
    add("enc-utf8-declared-latin1", with_decl("ISO-8859-1"));
    add("enc-ascii-with-non-ascii", {
        let v = with_decl("US-ASCII");
        let at = rng.pick(&spots(&v).text);
        insert(&v, at, "é".as_bytes())
    });
    add("enc-latin1-high-bytes", {
        let v = with_decl("ISO-8859-1");
        let at = rng.pick(&spots(&v).text);
        insert(&v, at, &[0xE9, 0x80, 0xFF])
    });
    add("enc-cp1252-defined", {
        let v = with_decl("windows-1252");
        let at = rng.pick(&spots(&v).text);
        insert(&v, at, &[0x80, 0x9F, 0xE9])
    });
    add("enc-cp1252-undefined", {
        let v = with_decl("windows-1252");
        let at = rng.pick(&spots(&v).text);
        insert(&v, at, &[0x81])
    });
    add("enc-utf8-bad-byte", insert(b, rng.pick(&s.text), &[0xFF]));
    add(
        "enc-utf8-truncated-seq",
        insert(b, rng.pick(&s.text), &[0xE2, 0x82]),
    );
    add(
        "enc-utf8-overlong",
        insert(b, rng.pick(&s.text), &[0xC0, 0x80]),
    );
    add(
        "enc-utf8-surrogate",
        insert(b, rng.pick(&s.text), &[0xED, 0xA0, 0x80]),
    );
    if seed_no < 3 {
        add(
            "enc-utf16-bom-declared-utf8",
            utf16(&with_decl("utf-8"), true, true),
        );
    }
    if seed_no == 0 {
        add("enc-utf16-no-bom-no-decl", utf16(&body, true, false));
        add("enc-utf8-bom-declared-latin1", {
            let mut v = vec![0xEF, 0xBB, 0xBF];
            v.extend_from_slice(&with_decl("ISO-8859-1"));
            v
        });
        let mut v = b"<?xml version=\"1.\"?>\n".to_vec();
        v.extend_from_slice(&body);
        add("decl-version-without-digits", v);
    }
    // Namespaces.
    for (k, a) in [
        " xmlns:p=\"\"",
        " xmlns=\"\"",
        " xmlns:xml=\"urn:x\"",
        " xmlns:xml=\"http://www.w3.org/XML/1998/namespace\"",
        " xmlns:xmlns=\"urn:x\"",
        " xmlns:xmlns=\"http://www.w3.org/2000/xmlns/\"",
        " xmlns:p=\"http://www.w3.org/2000/xmlns/\"",
        " xmlns=\"http://www.w3.org/2000/xmlns/\"",
        " xmlns:p=\"http://www.w3.org/XML/1998/namespace\"",
        " xmlns=\"http://www.w3.org/XML/1998/namespace\"",
        " zz:a=\"1\"",
        " xml:lang=\"en\"",
        " xmlns:p=\"urn:p\" p:a=\"1\" p:a=\"2\"",
        " xmlns:p=\"urn:p\" xmlns:q=\"urn:p\" p:a=\"1\" q:a=\"2\"",
        " xmlns:p=\"urn:p\" a=\"1\" p:a=\"2\"",
        " a:b:c=\"1\"",
        " xmlns:a:b=\"u\"",
        " :a=\"1\"",
        " a:=\"1\"",
        " xmlns:p=\"&#104;ttp://x\" p:a=\"&#60;\"",
        " xmlns:p=\"a\" xmlns:p=\"a\"",
        " a=\"1\" a=\"1\"",
        " xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"",
        " xmlns:p1=\"u\" p1:x=\"1\" xmlns:p2=\"u\" p2:y=\"2\"",
        " a=\"1\"b=\"2\"",
        " a = \"1\"",
        " a=\"1\" /",
    ]
    .iter()
    .enumerate()
    {
        add(
            &format!("ns-attr-{k}"),
            insert(b, rng.pick(&s.tag_close), a.as_bytes()),
        );
    }
    for (k, p) in ["zz:", "xmlns:", "a:b:", ":", "xml:"].iter().enumerate() {
        // A prefix on an unprefixed element name, on its start and end tag alike.
        let (start, end) = s.elements[rng.pick(&elems)];
        let name_end = start
            + b[start..]
                .iter()
                .position(|&c| c == b':' || !c.is_ascii_alphanumeric())
                .unwrap_or(0);
        let local_start = if b[name_end] == b':' {
            name_end + 1
        } else {
            start
        };
        let mut v = b.to_vec();
        if let Some(e) = end {
            let shift = local_start - start;
            v = replace(&v, (e, e + shift), p.as_bytes());
        }
        v = replace(&v, (start, local_start), p.as_bytes());
        add(&format!("ns-element-prefix-{k}"), v);
    }
    // Duplicate an existing attribute of some tag.
    if let Some(&name_at) = s.attr_name.first() {
        let end = name_at
            + b[name_at..]
                .iter()
                .position(|&c| c == b'"' || c == b'\'')
                .unwrap_or(0);
        let quote = b[end];
        let close = end + 1 + b[end + 1..].iter().position(|&c| c == quote).unwrap_or(0);
        let mut attr = vec![b' '];
        attr.extend_from_slice(&b[name_at..=close]);
        add("ns-attr-duplicate-existing", insert(b, close + 1, &attr));
    }
    // Structure: tags, the root, what comes after it.
    for n in 0..6 {
        let (from, to) = s.end_tags[(rng.next() % s.end_tags.len() as u64) as usize];
        add(
            &format!("struct-drop-end-tag-{n}"),
            replace(b, (from, to), b""),
        );
        add(
            &format!("struct-rename-end-tag-{n}"),
            insert(b, to - 1, b"x"),
        );
    }
    for n in 0..10 {
        let at = (rng.next() % b.len() as u64) as usize;
        add(&format!("struct-truncate-{n}"), b[..at].to_vec());
    }
    for (k, t) in [
        "junk",
        "<x/>",
        "<!-- c -->",
        "<?pi?>",
        "   \n",
        "&amp;",
        "<![CDATA[x]]>",
        "</x>",
        "\u{FEFF}",
        "&#32;",
    ]
    .iter()
    .enumerate()
    {
        let mut v = b.to_vec();
        v.extend_from_slice(t.as_bytes());
        add(&format!("struct-after-root-{k}"), v);
    }
    add("struct-empty", Vec::new());
    add("struct-only-decl", b"<?xml version=\"1.0\"?>\n".to_vec());
    add("struct-only-comment", b"<!-- nothing -->".to_vec());
    add("struct-text-before-root", insert(b, s.root_start, b"x"));
    add("struct-space-after-lt", insert(b, s.root_start + 1, b" "));
    add("struct-space-in-end-tag", {
        let (from, _) = *s.end_tags.last().expect("end tag");
        insert(b, from + 2, b" ")
    });
    add("struct-space-before-gt-end", {
        let (_, to) = *s.end_tags.last().expect("end tag");
        insert(b, to - 1, b" \n")
    });
    add("struct-slash-space-gt", {
        let at = rng.pick(&s.tag_close);
        insert(b, at, b" / ")
    });
    // Random byte edits: deletions and duplications.
    for n in 0..8 {
        let at = (rng.next() % b.len() as u64) as usize;
        add(&format!("edit-delete-{n}"), replace(b, (at, at + 1), b""));
        let at = (rng.next() % b.len() as u64) as usize;
        let len = 1 + (rng.next() % 12) as usize;
        let chunk = b[at..(at + len).min(b.len())].to_vec();
        let to = (rng.next() % b.len() as u64) as usize;
        add(&format!("edit-copy-{n}"), insert(b, to, &chunk));
    }
    out
}

/// Which of `files` xmllint reports an error for (parser or namespace errors; warnings do not
/// count). `None` when xmllint cannot be run.
fn xmllint_errors(dir: &Path, files: &[String]) -> Option<Vec<bool>> {
    let mut bad = vec![false; files.len()];
    let index: BTreeMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_str(), i))
        .collect();
    for chunk in files.chunks(400) {
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .args(chunk)
            .current_dir(dir)
            .output()
            .ok()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in stderr.lines() {
            let Some((file, rest)) = line.split_once(':') else {
                continue;
            };
            let Some(&i) = index.get(file) else { continue };
            let Some((_, what)) = rest.split_once(": ") else {
                continue;
            };
            if what.starts_with("parser error") || what.starts_with("namespace error") {
                bad[i] = true;
            }
        }
    }
    Some(bad)
}

fn xmllint_available() -> bool {
    Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn mutated_responses_get_libxml2s_verdict() {
    if !xmllint_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint (Debian package libxml2-utils) is required with CI set"
        );
        eprintln!(
            "\n\n*** SKIPPED wellformed::mutated_responses_get_libxml2s_verdict: xmllint not found (apt-get install libxml2-utils) ***\n\n"
        );
        return;
    }
    let seeds = seeds();
    assert!(seeds.len() >= 20, "expected at least 20 seed responses");
    let dir = TempDir::new("wellformed");
    let mut labels = Vec::new();
    let mut files = Vec::new();
    let mut ours = Vec::new();
    for (seed_no, (name, bytes)) in seeds.iter().enumerate() {
        assert!(
            xml::check_well_formed(bytes, &ParseOptions::default()).is_ok(),
            "seed {name} must be well-formed"
        );
        for (label, mutated) in mutations(name, seed_no, bytes) {
            let file = format!("{:05}.xml", files.len());
            std::fs::write(dir.path().join(&file), &mutated).expect("write mutation");
            ours.push(xml::check_well_formed(&mutated, &ParseOptions::default()));
            labels.push(format!("{name}#{label}"));
            files.push(file);
        }
    }
    let theirs = xmllint_errors(dir.path(), &files).expect("run xmllint");
    if let Some(keep) = std::env::var_os("WELLFORMED_KEEP") {
        // Keep the mutations for a look: WELLFORMED_KEEP=/tmp/mutations
        let keep = Path::new(&keep);
        let _ = std::fs::create_dir_all(keep);
        for f in &files {
            let _ = std::fs::copy(dir.path().join(f), keep.join(f));
        }
    }
    let total = files.len();
    let mut agree = 0;
    let mut disagreements = Vec::new();
    let mut refused = 0;
    for i in 0..total {
        let we_refuse = ours[i].is_err();
        refused += usize::from(we_refuse);
        if we_refuse == theirs[i] {
            agree += 1;
        } else {
            let ours_said = match &ours[i] {
                Ok(()) => "well-formed".to_string(),
                Err(e) => format!("refused: {e}"),
            };
            let libxml2 = if theirs[i] { "refused" } else { "well-formed" };
            disagreements.push(format!(
                "{} ({}): harness {ours_said}; libxml2 {libxml2}",
                labels[i], files[i]
            ));
        }
    }
    let rate = agree as f64 * 100.0 / total as f64;
    println!(
        "well-formedness vs libxml2: {agree}/{total} verdicts agree ({rate:.3}%), {refused} refused by the harness, {} disagreements",
        disagreements.len()
    );
    for d in &disagreements {
        println!("  {d}");
    }
    assert!(total >= 5000, "only {total} mutations");
    let unexplained: Vec<&String> = disagreements
        .iter()
        .filter(|d| {
            !KNOWN
                .iter()
                .any(|(class, _)| d.contains(&format!("#{class} ")))
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "disagreements with libxml2 that are not listed in KNOWN:\n{}",
        unexplained
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(rate >= 99.9, "agreement {rate:.3}% is below 99.9%");
    for (class, _) in KNOWN {
        assert!(
            disagreements
                .iter()
                .any(|d| d.contains(&format!("#{class} "))),
            "KNOWN lists `{class}`, which no longer disagrees with libxml2: remove it"
        );
    }
}

// ------------------------------------------------------------ one test per malformed class

fn refused(input: &[u8]) -> xml::XmlError {
    match xml::parse(input, &ParseOptions::default()) {
        Ok(_) => panic!("accepted: {}", String::from_utf8_lossy(input)),
        Err(e) => e,
    }
}

fn accepted(input: &[u8]) {
    if let Err(e) = xml::parse(input, &ParseOptions::default()) {
        panic!("refused {}: {e}", String::from_utf8_lossy(input));
    }
}

/// (malformed input, words the message must contain, line, column, well-formed variants)
type Class = (
    &'static [u8],
    &'static str,
    u32,
    u32,
    &'static [&'static [u8]],
);

#[test]
fn each_malformed_class_is_refused_with_a_clear_message() {
    // (malformed input, words the message must contain, line, column, well-formed variants)
    let classes: &[Class] = &[
        (
            b"<a>x\0y</a>",
            "character U+0000 is not allowed",
            1,
            5,
            &[b"<a>x\ty</a>", b"<a>x&#9;y</a>"],
        ),
        (b"<a>\x01</a>", "character U+0001", 1, 4, &[b"<a>\n</a>"]),
        (
            b"<a b=\"\x1f\"/>",
            "character U+001F",
            1,
            7,
            &[b"<a b=\"\x20\"/>"],
        ),
        (
            b"<a>\xEF\xBF\xBE</a>",
            "U+FFFE",
            1,
            4,
            &[b"<a>\xEF\xBF\xBD</a>"],
        ),
        (
            b"<a>&#0;</a>",
            "`&#0;` refers to U+0000, which is not an XML character",
            1,
            4,
            &[b"<a>&#48;</a>"],
        ),
        (b"<a>&#xFFFE;</a>", "U+FFFE", 1, 4, &[b"<a>&#xFFFD;</a>"]),
        (b"<a>&#xD800;</a>", "U+D800", 1, 4, &[b"<a>&#x10000;</a>"]),
        (b"<a b='&#1;'/>", "U+0001", 1, 7, &[b"<a b='&#10;'/>"]),
        (
            b"<a>&#x110000;</a>",
            "beyond U+10FFFF",
            1,
            4,
            &[b"<a>&#x10FFFF;</a>"],
        ),
        (
            b"<1a/>",
            "cannot start with `1`",
            1,
            2,
            &[b"<a1/>", b"<_a/>"],
        ),
        (
            b"<a 1b=\"x\"/>",
            "cannot start with `1`",
            1,
            4,
            &[b"<a b1=\"x\"/>"],
        ),
        (
            b"<a b=\"<\"/>",
            "`<` is not allowed in the value of attribute `b`",
            1,
            7,
            &[b"<a b=\"&lt;\"/>", b"<a b=\">\"/>"],
        ),
        (
            b"<a b=\"&\"/>",
            "`&` must start a reference",
            1,
            7,
            &[b"<a b=\"&amp;\"/>"],
        ),
        (
            b"<a>]]></a>",
            "`]]>` is not allowed in text",
            1,
            4,
            &[
                b"<a>]]&gt;</a>",
                b"<a>]]</a>",
                b"<a><![CDATA[]]]]><![CDATA[>]]></a>",
            ],
        ),
        (
            b" <?xml version=\"1.0\"?><a/>",
            "allowed only at the very start",
            1,
            2,
            &[b"<?xml version=\"1.0\"?><a/>"],
        ),
        (
            b"<a/><?xml version=\"1.0\"?>",
            "allowed only at the very start",
            1,
            5,
            &[b"<a/><?xml-stylesheet href=\"x\"?>"],
        ),
        (
            b"<?xml version=\"2.0\"?><a/>",
            "`version=\"2.0\"` must be",
            1,
            16,
            &[b"<?xml version=\"1.0\"?><a/>"],
        ),
        (
            b"<?xml encoding=\"utf-8\"?><a/>",
            "`encoding` out of place",
            1,
            7,
            &[b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a/>"],
        ),
        (
            b"<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
            "`yes` or `no`",
            1,
            33,
            &[b"<?xml version=\"1.0\" standalone=\"no\"?><a/>"],
        ),
        (
            b"<?xml version=\"1.0\" encoding=\"-x\"?><a/>",
            "must be a letter followed",
            1,
            31,
            &[b"<?xml version='1.0' encoding='UTF-8'?><a/>"],
        ),
        (
            b"\xEF\xBB\xBF\xEF\xBB\xBF<a/>",
            "a second byte order mark",
            1,
            1,
            &[b"\xEF\xBB\xBF<a/>"],
        ),
        (
            b"<a xmlns:p=\"\"/>",
            "cannot undeclare a prefix",
            1,
            4,
            &[b"<a xmlns=\"\"/>", b"<a xmlns:p=\"urn:p\"/>"],
        ),
        (
            b"<a:b:c xmlns:a=\"u\"/>",
            "at most one colon",
            1,
            2,
            &[b"<a:b xmlns:a=\"u\"/>"],
        ),
        (
            b"<a x:y:z=\"1\"/>",
            "at most one colon",
            1,
            4,
            &[b"<a xmlns:x=\"u\" x:y=\"1\"/>"],
        ),
        (
            b"<a xmlns:xml=\"urn:x\"/>",
            "the prefix `xml` is bound to",
            1,
            4,
            &[b"<a xmlns:xml=\"http://www.w3.org/XML/1998/namespace\" xml:lang=\"en\"/>"],
        ),
        (
            b"<a xmlns:p=\"http://www.w3.org/XML/1998/namespace\"/>",
            "only the prefix `xml`",
            1,
            4,
            &[],
        ),
        (
            b"<a xmlns:xmlns=\"urn:x\"/>",
            "`xmlns` is reserved",
            1,
            4,
            &[],
        ),
        (
            b"<a xmlns=\"http://www.w3.org/2000/xmlns/\"/>",
            "cannot be bound",
            1,
            4,
            &[],
        ),
        (
            b"<p:a/>",
            "undeclared namespace prefix `p` on element `p:a`",
            1,
            1,
            &[b"<p:a xmlns:p=\"u\"/>"],
        ),
        (
            b"<a p:b=\"1\"/>",
            "undeclared namespace prefix `p` on attribute `p:b`",
            1,
            4,
            &[b"<a xmlns:p=\"u\" p:b=\"1\"/>"],
        ),
        (
            b"<a b=\"1\" b=\"2\"/>",
            "attribute `b` appears twice",
            1,
            10,
            &[b"<a b=\"1\" c=\"2\"/>"],
        ),
        (
            b"<a xmlns:p=\"u\" xmlns:q=\"u\" p:x=\"1\" q:x=\"2\"/>",
            "after namespace resolution",
            1,
            36,
            &[b"<a xmlns:p=\"u\" x=\"1\" p:x=\"2\"/>"],
        ),
        (
            b"<a>&nbsp;</a>",
            "unknown entity reference `&nbsp;`",
            1,
            4,
            &[b"<a>&#160;</a>", b"<a>&lt;&gt;&amp;&apos;&quot;</a>"],
        ),
        (
            b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "DOCTYPE declarations are refused",
            1,
            1,
            &[],
        ),
        (
            b"<a><b></a>",
            "end tag `</a>` does not match the start tag `<b>` at 1:4",
            1,
            7,
            &[b"<a><b></b></a>"],
        ),
        (
            b"<a>\n  <b>",
            "element `b` opened at 2:3 is not closed",
            2,
            6,
            &[b"<a>\n  <b/></a>"],
        ),
        (
            b"<a/>junk",
            "text after the root element",
            1,
            5,
            &[b"<a/>  \n", b"<a/><!-- c -->"],
        ),
        (b"<a/><b/>", "a second root element", 1, 5, &[]),
        (b"<!-- only -->", "no root element", 1, 14, &[]),
        (b"", "no root element", 1, 1, &[]),
        (
            b"<a><!-- x -- y --></a>",
            "`--` is not allowed inside a comment",
            1,
            11,
            &[b"<a><!-- x - y --></a>"],
        ),
        (
            b"<a b=\"1\"c=\"2\"/>",
            "expected whitespace",
            1,
            9,
            &[b"<a b=\"1\" c=\"2\"/>"],
        ),
        (
            b"<?p:i x?><a/>",
            "contains a colon",
            1,
            3,
            &[b"<?pi x?><a/>"],
        ),
        (
            b"<a><![CDATA[x</a>",
            "CDATA section is not closed",
            1,
            4,
            &[b"<a><![CDATA[x]]></a>"],
        ),
    ];
    for (input, words, line, col, variants) in classes {
        let e = refused(input);
        assert!(
            e.message.contains(words),
            "{}: message `{}` lacks `{words}`",
            String::from_utf8_lossy(input),
            e.message
        );
        assert_eq!(
            (e.pos.line, e.pos.col),
            (*line, *col),
            "{}: {e}",
            String::from_utf8_lossy(input)
        );
        for v in *variants {
            accepted(v);
        }
    }
}

#[test]
fn encodings_follow_the_bom_and_the_declaration() {
    let utf16 = |s: &str, little: bool| {
        let mut v = if little {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for u in s.encode_utf16() {
            v.extend_from_slice(&if little {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            });
        }
        v
    };
    let text = |bytes: &[u8]| {
        let d = xml::parse(bytes, &ParseOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        xml::Path::parse("/a")
            .expect("path")
            .select_values(&d)
            .join("")
    };
    // UTF-16 with a BOM, in both byte orders, with or without a declaration.
    assert_eq!(
        text(&utf16(
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>é€</a>",
            true
        )),
        "é€"
    );
    assert_eq!(text(&utf16("<a>é€</a>", false)), "é€");
    // ISO-8859-1 and windows-1252 are decoded.
    assert_eq!(
        text(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xE9\x80</a>"),
        "é\u{80}"
    );
    assert_eq!(
        text(b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>\xE9\x80</a>"),
        "é€"
    );
    // Contradictions are errors, as .NET's XmlReader says.
    let e = refused(b"<?xml version=\"1.0\" encoding=\"utf-16\"?><a/>");
    assert_eq!(e.kind, XmlErrorKind::Encoding);
    assert!(e.message.contains("not UTF-16"), "{e}");
    let e = refused(&utf16(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><a/>",
        true,
    ));
    assert_eq!(e.kind, XmlErrorKind::Encoding);
    assert!(
        e.message.contains("UTF-16") && e.message.contains("utf-8"),
        "{e}"
    );
    let e = refused(b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>\x81</a>");
    assert!(
        e.message.contains("0x81") && (e.pos.line, e.pos.col) == (1, 49),
        "{e}"
    );
    let e = refused(b"<?xml version=\"1.0\" encoding=\"us-ascii\"?><a>\xC3\xA9</a>");
    assert!(e.message.contains("US-ASCII"), "{e}");
    let e = refused(b"<?xml version=\"1.0\" encoding=\"EBCDIC-X\"?><a/>");
    assert!(e.message.contains("unsupported encoding"), "{e}");
    let e = refused(b"<a>\xC0\x80</a>");
    assert_eq!(
        (e.kind, e.pos.line, e.pos.col),
        (XmlErrorKind::Encoding, 1, 4)
    );
}

#[test]
fn limits_are_the_harness_settings_with_their_own_messages() {
    let deep = "<a>".repeat(40) + &"</a>".repeat(40);
    let tight = ParseOptions {
        limits: Limits {
            max_depth: 32,
            ..Limits::default()
        },
        ..ParseOptions::default()
    };
    let e = xml::parse(deep.as_bytes(), &tight).unwrap_err();
    assert_eq!(e.kind, XmlErrorKind::TooLarge);
    assert!(
        e.message.contains("max_depth") && e.message.contains("--xml-max-depth"),
        "{e}"
    );
    assert!(!e.message.to_lowercase().contains("quick"), "{e}");
    assert!(xml::parse(deep.as_bytes(), &ParseOptions::default()).is_ok());

    let attrs: String = (0..20).map(|i| format!(" a{i}=\"1\"")).collect();
    let many = format!("<r{attrs}/>");
    let few = ParseOptions {
        limits: Limits {
            max_attributes: 10,
            ..Limits::default()
        },
        ..ParseOptions::default()
    };
    let e = xml::parse(many.as_bytes(), &few).unwrap_err();
    assert!(e.message.contains("max_attributes"), "{e}");
    assert!(xml::parse(many.as_bytes(), &ParseOptions::default()).is_ok());

    let decls: String = (0..20)
        .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
        .collect();
    let bound = format!("<r{decls}><c xmlns:q=\"urn:q\"/></r>");
    let narrow = ParseOptions {
        limits: Limits {
            max_namespace_bindings: 20,
            ..Limits::default()
        },
        ..ParseOptions::default()
    };
    let e = xml::parse(bound.as_bytes(), &narrow).unwrap_err();
    assert!(e.message.contains("max_namespace_bindings"), "{e}");
    assert_eq!(
        (e.pos.line, e.pos.col),
        (1, 1 + bound.find("xmlns:q").unwrap() as u32)
    );
}

/// The deepest tree the settings allow parses, compares, diffs and pretty-prints in a thread
/// with a 2 MiB stack (what test threads get), never overflowing it; deeper is refused.
#[test]
fn the_depth_ceiling_fits_a_small_thread_stack() {
    let n = Limits::MAX_DEPTH_CEILING;
    let a = format!("{}<x>1</x>{}", "<a>".repeat(n - 1), "</a>".repeat(n - 1));
    let b = a.replace("<x>1</x>", "<x>2</x>");
    let opts = ParseOptions {
        limits: Limits {
            max_depth: n,
            ..Limits::default()
        },
        ..ParseOptions::default()
    };
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let da = xml::parse(a.as_bytes(), &opts).expect("at the ceiling");
            let db = xml::parse(b.as_bytes(), &opts).expect("at the ceiling");
            let c = xml::compare(&da, &db, &xml::CompareOptions::default());
            assert_eq!(c.mismatches.len(), 1);
            let diff = xml::render_diff(
                &da,
                &db,
                &xml::CompareOptions::default(),
                &xml::DiffOptions::default(),
            );
            assert!(diff.contains("<x>2</x>"));
            assert!(!xml::pretty(&da).is_empty());
            let deeper = format!("<a>{a}</a>");
            let unlimited = ParseOptions {
                limits: Limits {
                    max_depth: usize::MAX,
                    ..Limits::default()
                },
                ..ParseOptions::default()
            };
            let e = xml::parse(deeper.as_bytes(), &unlimited).unwrap_err();
            assert_eq!(e.kind, XmlErrorKind::TooLarge);
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}

#[test]
fn a_namespace_written_with_character_references_resolves_to_the_decoded_uri() {
    let d = xml::parse(
        b"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>\
          <faultcode xmlns:a=\"&#104;ttp://schemas.microsoft.com/exchange/services/2006/types\">a:ErrorSchemaValidation</faultcode>\
          </s:Fault></s:Body></s:Envelope>",
        &ParseOptions::default(),
    )
    .expect("parses");
    let code = xml::Path::parse("//faultcode")
        .expect("path")
        .select_values(&d);
    assert_eq!(
        code,
        ["{http://schemas.microsoft.com/exchange/services/2006/types}ErrorSchemaValidation"]
    );
    let e = xml::parse(
        b"<m:R xmlns:m=\"&#104;ttp://schemas.microsoft.com/exchange/services/2006/messages\"/>",
        &ParseOptions::default(),
    )
    .expect("parses");
    assert_eq!(
        e.root.name.ns.as_deref(),
        Some("http://schemas.microsoft.com/exchange/services/2006/messages")
    );
}

// ------------------------------------------------------------ `diff` runs the same checker

fn write_bytes(dir: &TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    path.to_string_lossy().into_owned()
}

/// `ews-conformance diff`: 2 with the checker's message (file:line:col) when either side is
/// malformed, 0 when equal, 1 when they differ; the XML limits are its flags.
#[test]
fn diff_exits_2_with_the_checkers_message_for_malformed_input_on_either_side() {
    use crate::support::{all_output, run_bin};
    let dir = TempDir::new("wellformed-diff");
    let good = write_bytes(&dir, "good.xml", b"<a><b>x</b></a>");
    let same = write_bytes(
        &dir,
        "same.xml",
        b"<?xml version=\"1.0\"?>\n<a>\n  <b>x</b>\n</a>\n",
    );
    let other = write_bytes(&dir, "other.xml", b"<a><b> x </b></a>");
    let nul = write_bytes(&dir, "nul.xml", b"<a><b>x\0</b></a>");
    let lt = write_bytes(&dir, "lt.xml", b"<a><b c=\"<\">x</b></a>");
    let name = write_bytes(&dir, "name.xml", b"<a><1b>x</1b></a>");

    let out = run_bin(&["diff", &good, &same], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = run_bin(&["diff", &good, &other], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    for (bad, words) in [
        (&nul, "nul.xml:1:8: character U+0000 is not allowed"),
        (
            &lt,
            "lt.xml:1:10: `<` is not allowed in the value of attribute `c`",
        ),
        (
            &name,
            "name.xml:1:5: an element name after `<` cannot start with `1`",
        ),
    ] {
        for args in [["diff", &good, bad], ["diff", bad, &good]] {
            let out = run_bin(&args, &[]);
            let text = all_output(&out);
            assert_eq!(out.status.code(), Some(2), "{text}");
            assert!(text.contains(words), "{text}");
            assert!(!text.contains("panick"), "{text}");
        }
    }
    // The nesting limit is the harness's setting, raised or lowered by a flag.
    let deep = write_bytes(&dir, "deep.xml", "<a>".repeat(10).as_bytes());
    let deep_closed = format!("{}{}", "<a>".repeat(10), "</a>".repeat(10));
    let deep = {
        std::fs::write(&deep, &deep_closed).expect("write");
        deep
    };
    let out = run_bin(&["diff", "--xml-max-depth", "5", &deep, &deep], &[]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("max_depth") && text.contains("--xml-max-depth"),
        "{text}"
    );
    let out = run_bin(&["diff", &deep, &deep], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = run_bin(&["diff", "--xml-max-depth", "5000", &deep, &deep], &[]);
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("above the ceiling of 1024"), "{text}");
}

/// `run --xml-max-depth N` reaches every parse of the run (case XML and responses): with a
/// limit below the depth of the case's envelope, the run fails and the message names the setting.
#[test]
fn the_run_honours_the_xml_limit_flags() {
    use crate::support::{all_output, fixture, run_bin};
    let reports = TempDir::new("wellformed-run-limits");
    let cases = fixture("runner/good");
    let args = [
        "--cases",
        cases.to_str().expect("path"),
        "--reports",
        reports.path().to_str().expect("path"),
        "--test-threads",
        "1",
    ];
    let out = run_bin(&args, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let mut tight = args.to_vec();
    tight.extend(["--xml-max-depth", "3"]);
    let out = run_bin(&tight, &[]);
    let text = all_output(&out);
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("max_depth"), "{text}");
}
