//! How long loading and validating cases takes: one realistic case file (the worked example of
//! `cases/FORMAT.md`), and a tree of 200 copies of it, which is what `lint` and every run pay
//! before the first request is sent.
//!
//! Run: `cargo bench -p ews-conformance --bench case_load`

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ews_conformance::case;
use ews_conformance::target::vars;

fn main() {
    divan::main();
}

const COPIES: usize = 200;

fn worked_example_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cases/worked_example")
}

fn known() -> BTreeSet<String> {
    vars::ALL.iter().map(|s| s.to_string()).collect()
}

/// A temporary tree of `COPIES` copies of the worked example, removed when dropped.
struct Tree(PathBuf);

impl Tree {
    fn new() -> Tree {
        let root = std::env::temp_dir().join(format!("ews-bench-case-load-{}", std::process::id()));
        let text = std::fs::read_to_string(
            worked_example_root().join("im/remove_contact_from_group.yaml"),
        )
        .expect("worked example fixture");
        for i in 0..COPIES {
            let dir = root.join(format!("family{}", i % 10));
            std::fs::create_dir_all(&dir).expect("bench tree");
            std::fs::write(dir.join(format!("case_{i:03}.yaml")), &text).expect("bench tree");
        }
        Tree(root)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[divan::bench]
fn one_case_file(bencher: divan::Bencher<'_, '_>) {
    let root = worked_example_root();
    let file = root.join("im/remove_contact_from_group.yaml");
    let known = known();
    bencher.bench(|| case::load_file(&root, &file, &known).expect("worked example loads"));
}

#[divan::bench(sample_count = 20)]
fn tree_of_200_cases(bencher: divan::Bencher<'_, '_>) {
    let tree = Tree::new();
    let known = known();
    bencher.bench(|| {
        let outcome = case::load_dir(&tree.0, &known);
        assert_eq!(outcome.cases.len(), COPIES);
        outcome
    });
}
