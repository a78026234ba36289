//! Fuzzes the reference server's request parser and schema validation: any bytes must give a
//! parsed IM request or a fault, never a panic, and the same bytes must give the same answer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = ews_conformance::reference_server::check_request(data);
    let second = ews_conformance::reference_server::check_request(data);
    assert_eq!(first, second, "the parser is deterministic");
});
