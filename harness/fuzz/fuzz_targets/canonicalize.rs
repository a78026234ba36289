//! Whatever bytes come in, the canonicalizer must not panic; a document that parses must
//! pretty-print to XML that parses back equal, and must compare equal to itself.
#![no_main]

use ews_conformance::xml::{self, CompareOptions, DiffOptions, ParseOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions::default();
    let Ok(doc) = xml::parse(data, &opts) else {
        return;
    };
    let text = xml::pretty(&doc);
    let back = match xml::parse(text.as_bytes(), &opts) {
        Ok(d) => d,
        Err(e) => panic!("pretty output does not parse: {e}\n{text}"),
    };
    let round_trip = xml::compare(&doc, &back, &CompareOptions::default());
    assert!(
        round_trip.mismatches.is_empty(),
        "pretty output parses to a different document: {:?}",
        round_trip.mismatches
    );
    assert_eq!(xml::pretty(&back), text, "pretty printing is not stable");
    let itself = xml::compare(&doc, &doc, &CompareOptions::default());
    assert!(itself.mismatches.is_empty(), "{:?}", itself.mismatches);
    let diff = xml::render_diff(&doc, &doc, &CompareOptions::default(), &DiffOptions::default());
    assert!(diff.is_empty());
});
