//! The oracle corpus: every Body and Header child of the documentation examples as a standalone
//! document (with the namespace declarations in scope at that point), and deterministic schema
//! mutations of the valid ones.

use std::path::Path;

use super::dom::{self, Elem, Node};

pub const M: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
pub const T: &str = "http://schemas.microsoft.com/exchange/services/2006/types";

pub struct Doc {
    pub name: String,
    pub text: String,
}

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/doc-examples")
}

/// The documentation example files that are not well-formed XML (as published).
pub fn malformed_examples() -> Vec<std::path::PathBuf> {
    example_files()
        .into_iter()
        .filter(|f| dom::parse(&std::fs::read_to_string(f).expect("example file")).is_none())
        .collect()
}

fn example_files() -> Vec<std::path::PathBuf> {
    let mut files = vec![];
    for op in std::fs::read_dir(data_dir()).expect("doc-examples directory") {
        let op = op.expect("dir entry").path();
        if !op.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&op).expect("operation directory") {
            let f = f.expect("dir entry").path();
            if f.extension().is_some_and(|e| e == "xml") {
                files.push(f);
            }
        }
    }
    files.sort();
    files
}

/// The extracted documentation examples, sorted by name.
pub fn examples() -> Vec<Doc> {
    let mut docs = vec![];
    for f in example_files() {
        let text = std::fs::read_to_string(&f).expect("example file");
        let Some(root) = dom::parse(&text) else {
            continue;
        };
        let rel = f
            .strip_prefix(data_dir())
            .expect("under the data dir")
            .to_string_lossy()
            .replace(['/', '.'], "_");
        if root.local() != "Envelope" {
            continue;
        }
        let scope = root.declarations();
        for part in root.elements() {
            let mut scope2 = scope.clone();
            scope2.extend(part.declarations());
            if !matches!(part.local(), "Header" | "Body") {
                continue;
            }
            for (i, child) in part.elements().enumerate() {
                let mut c = child.clone();
                let own_decls = c.declarations();
                let ns = resolve(&scope2, &own_decls, c.prefix());
                if ns != Some(M) && ns != Some(T) {
                    continue;
                }
                // Declarations in scope, unless redeclared on the child itself.
                let own: Vec<String> = c.declarations().into_iter().map(|(p, _)| p).collect();
                let mut added = vec![];
                for (p, u) in scope2.iter().rev() {
                    if own.contains(p) || added.iter().any(|(q, _): &(String, String)| q == p) {
                        continue;
                    }
                    added.push((p.clone(), u.clone()));
                }
                for (p, u) in added.into_iter().rev() {
                    let key = if p.is_empty() {
                        "xmlns".to_string()
                    } else {
                        format!("xmlns:{p}")
                    };
                    c.attrs.insert(0, (key, u));
                }
                docs.push(Doc {
                    name: format!("{rel}__{}{i}", part.local().to_lowercase()),
                    text: c.to_document(),
                });
            }
        }
    }
    docs
}

fn resolve<'a>(
    scope: &'a [(String, String)],
    own: &'a [(String, String)],
    prefix: &str,
) -> Option<&'a str> {
    own.iter()
        .rev()
        .chain(scope.iter().rev())
        .find(|(p, _)| p == prefix)
        .map(|(_, u)| u.as_str())
}

/// A tiny deterministic generator (xorshift), seeded per document and mutation.
struct Rng(u64);

impl Rng {
    fn new(seed: &str, salt: u64) -> Self {
        let mut h: u64 = 0xcbf29ce484222325 ^ salt.wrapping_mul(0x9E3779B97F4A7C15);
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        Rng(h | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

pub const KINDS: &[&str] = &[
    "drop-element",
    "swap-siblings",
    "duplicate-element",
    "bad-text",
    "bad-attribute-value",
    "unknown-attribute",
    "drop-attribute",
    "wrong-namespace",
    "unknown-element",
    "text-in-element-content",
    "misspelt-element",
    "empty-element",
    "xsi-nil",
    "xsi-type",
];

const BAD_VALUES: &[&str] = &[
    "Bogus",
    "-1",
    "abc",
    "2006-02-30T10:00:00Z",
    "1.5",
    "maybe",
    "",
    "99999999999",
    "P1X",
    "2006-10-05T17:12:00",
    "0",
    "true",
];

fn text_of(e: &Elem) -> Option<String> {
    if e.elements().next().is_some() {
        return None;
    }
    Some(
        e.children
            .iter()
            .map(|c| match c {
                Node::Text(t) => t.as_str(),
                Node::Elem(_) => "",
            })
            .collect(),
    )
}

/// Applies mutation `kind` with generator `rng`; None when it does not apply to this document.
fn mutate(root: &Elem, kind: &str, rng: &mut Rng) -> Option<Elem> {
    let mut doc = root.clone();
    let paths = root.paths();
    let nonroot: Vec<&Vec<usize>> = paths.iter().filter(|p| !p.is_empty()).collect();
    let pick = |rng: &mut Rng, v: &[&Vec<usize>]| -> Option<Vec<usize>> {
        if v.is_empty() {
            None
        } else {
            Some(v[rng.below(v.len())].clone())
        }
    };
    match kind {
        "drop-element" => {
            let p = pick(rng, &nonroot)?;
            let (last, parent) = p.split_last()?;
            doc.at_mut(parent).children.remove(*last);
        }
        "swap-siblings" => {
            // Two adjacent element siblings with different names.
            let mut cands = vec![];
            for p in &paths {
                let e = root.at(p);
                let idx: Vec<usize> = e
                    .children
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| matches!(c, Node::Elem(_)))
                    .map(|(i, _)| i)
                    .collect();
                for w in idx.windows(2) {
                    let (a, b) = (e.at(&[w[0]]), e.at(&[w[1]]));
                    if a.name != b.name {
                        cands.push((p.clone(), w[0], w[1]));
                    }
                }
            }
            if cands.is_empty() {
                return None;
            }
            let (p, a, b) = cands[rng.below(cands.len())].clone();
            doc.at_mut(&p).children.swap(a, b);
        }
        "duplicate-element" => {
            let p = pick(rng, &nonroot)?;
            let (last, parent) = p.split_last()?;
            let copy = doc.at(&p).clone();
            doc.at_mut(parent)
                .children
                .insert(*last + 1, Node::Elem(copy));
        }
        "bad-text" => {
            let leaves: Vec<&Vec<usize>> = paths
                .iter()
                .filter(|p| text_of(root.at(p)).is_some_and(|t| !t.trim().is_empty()))
                .collect();
            let p = pick(rng, &leaves)?;
            let v = BAD_VALUES[rng.below(BAD_VALUES.len())];
            let e = doc.at_mut(&p);
            e.children = if v.is_empty() {
                vec![]
            } else {
                vec![Node::Text(v.to_string())]
            };
        }
        "bad-attribute-value" | "drop-attribute" => {
            let mut cands = vec![];
            for p in &paths {
                for (i, (k, _)) in root.at(p).attrs.iter().enumerate() {
                    if !k.starts_with("xmlns") {
                        cands.push((p.clone(), i));
                    }
                }
            }
            if cands.is_empty() {
                return None;
            }
            let (p, i) = cands[rng.below(cands.len())].clone();
            let e = doc.at_mut(&p);
            if kind == "drop-attribute" {
                e.attrs.remove(i);
            } else {
                e.attrs[i].1 = BAD_VALUES[rng.below(BAD_VALUES.len())].to_string();
            }
        }
        "unknown-attribute" => {
            let p = paths[rng.below(paths.len())].clone();
            let e = doc.at_mut(&p);
            if e.attrs.iter().any(|(k, _)| k == "Frobnicate") {
                return None;
            }
            e.attrs.push(("Frobnicate".into(), "1".into()));
        }
        "wrong-namespace" => {
            let p = pick(rng, &nonroot)?;
            let e = doc.at_mut(&p);
            let local = e.local().to_string();
            // Move the element to the other EWS namespace (a prefix declared on it).
            let other = if e.prefix() == "zz" {
                return None;
            } else {
                "zz"
            };
            let uri = if e.prefix() == "t" { M } else { T };
            e.name = format!("{other}:{local}");
            e.attrs.push(("xmlns:zz".into(), uri.into()));
        }
        "unknown-element" => {
            let p = paths[rng.below(paths.len())].clone();
            let e = doc.at_mut(&p);
            let at = rng.below(e.children.len() + 1);
            e.children.insert(
                at,
                Node::Elem(Elem {
                    name: "zz:Unknown".into(),
                    attrs: vec![("xmlns:zz".into(), T.into())],
                    children: vec![],
                }),
            );
        }
        "text-in-element-content" => {
            let parents: Vec<&Vec<usize>> = paths
                .iter()
                .filter(|p| root.at(p).elements().next().is_some())
                .collect();
            let p = pick(rng, &parents)?;
            let e = doc.at_mut(&p);
            let at = rng.below(e.children.len() + 1);
            e.children.insert(at, Node::Text("junk".into()));
        }
        "misspelt-element" => {
            let p = pick(rng, &nonroot)?;
            let e = doc.at_mut(&p);
            e.name.push('X');
        }
        "empty-element" => {
            let parents: Vec<&Vec<usize>> = paths
                .iter()
                .filter(|p| root.at(p).elements().next().is_some())
                .collect();
            let p = pick(rng, &parents)?;
            doc.at_mut(&p).children.clear();
        }
        "xsi-nil" | "xsi-type" => {
            let p = paths[rng.below(paths.len())].clone();
            let e = doc.at_mut(&p);
            if e.attrs
                .iter()
                .any(|(k, _)| k.starts_with("xsi:") || k == "xmlns:xsi")
            {
                return None;
            }
            e.attrs.push((
                "xmlns:xsi".into(),
                "http://www.w3.org/2001/XMLSchema-instance".into(),
            ));
            if kind == "xsi-nil" {
                // Nilled and emptied: valid only where the element is nillable.
                e.attrs.push(("xsi:nil".into(), "true".into()));
                if rng.below(2) == 0 {
                    e.children.clear();
                }
            } else {
                // A types-namespace type: derived from the declared one or not.
                const TYPES: &[&str] = &[
                    "FolderType",
                    "MessageType",
                    "ItemIdType",
                    "BaseFolderIdType",
                    "NonEmptyStringType",
                    "AlternateIdType",
                    "string",
                ];
                let t = TYPES[rng.below(TYPES.len())];
                let (prefix, uri) = if t == "string" {
                    ("xs", "http://www.w3.org/2001/XMLSchema")
                } else {
                    ("tt", T)
                };
                e.attrs.push((format!("xmlns:{prefix}"), uri.into()));
                e.attrs.push(("xsi:type".into(), format!("{prefix}:{t}")));
            }
        }
        other => panic!("unknown mutation {other}"),
    }
    Some(doc)
}

/// `per_kind` mutations of each kind for every document in `valid`.
pub fn mutations(valid: &[&Doc], per_kind: u64) -> Vec<Doc> {
    let mut out = vec![];
    let mut seen = std::collections::HashSet::new();
    for d in valid {
        let Some(root) = dom::parse(&d.text) else {
            continue;
        };
        for kind in KINDS {
            for n in 0..per_kind {
                let mut rng = Rng::new(&d.name, n * 31 + kind.len() as u64);
                for _ in 0..(n as usize + 1) {
                    rng.below(7);
                }
                if let Some(m) = mutate(&root, kind, &mut rng) {
                    let text = m.to_document();
                    if text != d.text && seen.insert(text.clone()) {
                        out.push(Doc {
                            name: format!("{}__{kind}{n}", d.name),
                            text,
                        });
                    }
                }
            }
        }
    }
    out
}
