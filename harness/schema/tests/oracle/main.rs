//! The crate's one integration-test binary.
//!
//! - `oracle`: the engine's verdicts against libxml2's on every documentation example and on
//!   thousands of deterministic schema mutations of them.
//! - `api`: the public API as the reference server and the harness use it (envelopes, the
//!   event validator, messages in both wordings, version list, operation names, bad input).
//! - `synthetic`: `Schema::compile` on a small schema of every supported XSD feature, against
//!   libxml2, and schema errors.

mod api;
mod corpus;
mod dom;
mod synthetic;
mod xmllint;

use std::io::Write;

use ews_schema::{Schema, Violation, ViolationKind};
use xmllint::Verdict;

/// Disagreements with libxml2 that are understood, by document name prefix, with the reason.
/// Each one must still occur (a fixed one must be removed from this list).
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[(
    "InstallApp_01-request_xml__body0__bad-text0",
    "libxml2 skips characters outside the base64 alphabet when checking xs:base64Binary \
     (xmlschemastypes.c), so it accepts '2006-02-30T10:00:00Z' as the 16 characters \
     '20060230T100000Z'; XSD 1.0 3.2.16 allows only the alphabet, '=' and spaces",
)];

/// The element a violation is about, as libxml2 names it: for a misplaced child the child.
/// A child in empty or simple content: libxml2 names the parent, at the parent's start tag;
/// the engine points at the child (line 0 here: not compared).
fn subject(v: &Violation) -> (u32, String) {
    match &v.kind {
        ViolationKind::UnexpectedElement { child, .. } => (v.line, child.local.clone()),
        ViolationKind::ChildNotAllowed { parent, .. } => (0, parent.local.clone()),
        _ => (v.line, v.element().local.clone()),
    }
}

fn engine_verdict(schema: &Schema, text: &str) -> Verdict {
    match schema.validate_document(text.as_bytes()) {
        Ok(v) if v.is_empty() => Verdict::Valid,
        Ok(v) => {
            let (line, element) = subject(&v[0]);
            Verdict::Invalid {
                line,
                element,
                message: v[0].to_string(),
            }
        }
        Err(e) => Verdict::Invalid {
            line: e.line,
            element: String::new(),
            message: e.to_string(),
        },
    }
}

fn agree(engine: &Verdict, lib: &Verdict) -> bool {
    match (engine, lib) {
        (Verdict::Valid, Verdict::Valid) => true,
        (
            Verdict::Invalid {
                line: a,
                element: x,
                ..
            },
            Verdict::Invalid {
                line: b,
                element: y,
                ..
            },
        ) => {
            // libxml2 names the element by its local name; a few errors name no element.
            (a == b || *a == 0) && (x == y || y.is_empty())
        }
        _ => false,
    }
}

#[test]
fn libxml2_agrees_on_doc_examples_and_mutations() {
    let Some(lint) = xmllint::find() else {
        if std::env::var_os("CI").is_some() {
            panic!("xmllint (libxml2-utils) is required in CI for the schema oracle test");
        }
        eprintln!(
            "\n\n!!! SKIPPED: xmllint not found; install libxml2-utils to run the schema oracle test !!!\n\n"
        );
        return;
    };
    let schema = Schema::ews();
    let examples = corpus::examples();
    assert!(
        examples.len() > 250,
        "only {} examples extracted",
        examples.len()
    );
    let scratch = tempfile::tempdir().expect("temp dir");
    let xsd = xmllint::schema_dir(scratch.path());

    let run = |docs: &[corpus::Doc], dir: &str| -> Vec<Verdict> {
        let d = scratch.path().join(dir);
        std::fs::create_dir_all(&d).expect("mkdir");
        let files: Vec<_> = docs
            .iter()
            .enumerate()
            .map(|(i, doc)| {
                let f = d.join(format!("{i:05}.xml"));
                std::fs::write(&f, &doc.text).expect("write doc");
                f
            })
            .collect();
        xmllint::validate(&lint, &xsd, &files)
    };

    let lib_examples = run(&examples, "examples");
    let valid: Vec<&corpus::Doc> = examples
        .iter()
        .zip(&lib_examples)
        .filter(|(_, v)| **v == Verdict::Valid)
        .map(|(d, _)| d)
        .collect();
    let mutations = corpus::mutations(&valid, 1);
    assert!(
        mutations.len() >= 2000,
        "only {} mutations",
        mutations.len()
    );
    let lib_mutations = run(&mutations, "mutations");

    let mut disagreements = vec![];
    let mut counts = [(0usize, 0usize); 2];
    let mut invalid_mutations = 0;
    for (set, (docs, lib)) in [(&examples, &lib_examples), (&mutations, &lib_mutations)]
        .into_iter()
        .enumerate()
    {
        for (doc, lv) in docs.iter().zip(lib.iter()) {
            let ev = engine_verdict(schema, &doc.text);
            counts[set].0 += 1;
            if set == 1 && *lv != Verdict::Valid {
                invalid_mutations += 1;
            }
            if agree(&ev, lv) {
                counts[set].1 += 1;
            } else {
                disagreements.push((doc.name.clone(), ev, lv.clone()));
            }
        }
    }
    // Written to the process's stdout, so it shows without --nocapture.
    let _ = writeln!(
        std::io::stdout(),
        "schema oracle: doc examples: {} documents, {} agree with libxml2; mutations: {} documents ({} invalid per libxml2), {} agree",
        counts[0].0,
        counts[0].1,
        counts[1].0,
        invalid_mutations,
        counts[1].1
    );
    let mut unexplained = vec![];
    for (name, ev, lv) in &disagreements {
        match KNOWN_DISAGREEMENTS
            .iter()
            .find(|(p, _)| name.starts_with(p))
        {
            Some((_, why)) => println!("known disagreement {name}: {why}"),
            None => unexplained.push(format!("{name}\n    engine:  {ev:?}\n    libxml2: {lv:?}")),
        }
    }
    for (p, _) in KNOWN_DISAGREEMENTS {
        assert!(
            disagreements.iter().any(|(n, _, _)| n.starts_with(p)),
            "known disagreement {p} no longer occurs: remove it from the list"
        );
    }
    assert!(
        unexplained.is_empty(),
        "{} unexplained disagreements with libxml2:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
