//! Throughput and peak memory of the XML engine on large EWS FindItem responses.
//!
//! Inputs (generated deterministically, ~1 MB and ~10 MB per document):
//! - pair (a): the same response written twice — different prefixes (`soap`/`m`/`t` vs `s`/
//!   default namespace/`a`), indentation (spaces vs tabs) and attribute order: 0 mismatches;
//! - pair (b): the same, with exactly 3 planted leaf differences: 3 mismatches.
//!
//! Measured: parse both + compare + render_diff (what the runner does for a failing step), and
//! the raw quick-xml `NsReader::read_resolved_event` loop over the same bytes as the reference.
//! Counters are total input bytes of the pair. Before timing, the mismatch counts are asserted,
//! the phase times and peak heap (counting allocator; peak minus the heap before parsing) of one
//! pass over each 10 MB pair are printed, and throughput per CPU second (immune to other
//! processes on a shared machine) is printed for both pairs and the NsReader reference.
//! The counting allocator is active during the timings too (a few % of overhead).
//!
//! Run: `CARGO_TARGET_DIR=/work/target cargo bench -p ews-conformance --bench xml_compare`

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::Instant;

use base64::Engine as _;
use divan::Bencher;
use divan::counter::BytesCount;
use ews_conformance::xml::{self, CompareOptions, DiffOptions, ParseOptions, ns};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const MB: usize = 1_000_000;

/// How a generated response is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `soap:`/`m:`/`t:` prefixes, two-space indentation, `Id` before `ChangeKey`.
    Canonical,
    /// `s:` prefix, messages as default namespace, `a:` for types, tabs, attributes reversed.
    Other,
}

/// Deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 24) as u8).collect()
    }
}

const WORDS: &[&str] = &[
    "Quarterly",
    "report",
    "meeting",
    "Orion",
    "budget",
    "review",
    "draft",
    "team",
    "lunch",
    "status",
    "update",
    "release",
    "customer",
    "invoice",
    "travel",
    "plan",
];
const NAMES: &[&str] = &[
    "Alice Example",
    "Bob Sample",
    "Carol Test",
    "Dan Demo",
    "Eve Mock",
];

/// A FindItem response of about `target` bytes. `plant` changes three leaves.
fn find_item_response(target: usize, style: Style, plant: bool) -> String {
    // Each message is about 900 bytes; the count depends only on `target`.
    let messages = (target / 900).max(4);
    let planted = [messages / 4, messages / 2, 3 * messages / 4];
    let (ind, s, m, t) = match style {
        Style::Canonical => ("  ", "soap:", "m:", "t:"),
        Style::Other => ("\t", "s:", "", "a:"),
    };
    let pad = |n: usize| ind.repeat(n);
    let mut out = String::with_capacity(target + target / 8);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    match style {
        Style::Canonical => {
            let _ = writeln!(
                out,
                "<soap:Envelope xmlns:soap=\"{}\" xmlns:m=\"{}\" xmlns:t=\"{}\">",
                ns::SOAP,
                ns::MESSAGES,
                ns::TYPES
            );
        }
        Style::Other => {
            let _ = writeln!(out, "<s:Envelope xmlns:s=\"{}\">", ns::SOAP);
        }
    }
    let _ = writeln!(out, "{}<{s}Header>", pad(1));
    match style {
        Style::Canonical => {
            let _ = writeln!(
                out,
                "{}<t:ServerVersionInfo MajorVersion=\"15\" MinorVersion=\"20\" MajorBuildNumber=\"7452\" MinorBuildNumber=\"50\" Version=\"V2018_01_08\"/>",
                pad(2)
            );
        }
        Style::Other => {
            let _ = writeln!(
                out,
                "{}<h:ServerVersionInfo xmlns:h=\"{}\" Version=\"V2018_01_08\" MinorBuildNumber=\"50\" MajorBuildNumber=\"7452\" MinorVersion=\"20\" MajorVersion=\"15\"/>",
                pad(2),
                ns::TYPES
            );
        }
    }
    let _ = writeln!(out, "{}</{s}Header>", pad(1));
    let _ = writeln!(out, "{}<{s}Body>", pad(1));
    match style {
        Style::Canonical => {
            let _ = writeln!(out, "{}<m:FindItemResponse>", pad(2));
        }
        Style::Other => {
            let _ = writeln!(
                out,
                "{}<FindItemResponse xmlns=\"{}\" xmlns:a=\"{}\">",
                pad(2),
                ns::MESSAGES,
                ns::TYPES
            );
        }
    }
    let _ = writeln!(out, "{}<{m}ResponseMessages>", pad(3));
    let _ = writeln!(
        out,
        "{}<{m}FindItemResponseMessage ResponseClass=\"Success\">",
        pad(4)
    );
    let _ = writeln!(out, "{}<{m}ResponseCode>NoError</{m}ResponseCode>", pad(5));
    match style {
        Style::Canonical => {
            let _ = writeln!(
                out,
                "{}<m:RootFolder IndexedPagingOffset=\"{messages}\" TotalItemsInView=\"{messages}\" IncludesLastItemInRange=\"true\">",
                pad(5)
            );
        }
        Style::Other => {
            let _ = writeln!(
                out,
                "{}<RootFolder IncludesLastItemInRange=\"true\" TotalItemsInView=\"{messages}\" IndexedPagingOffset=\"{messages}\">",
                pad(5)
            );
        }
    }
    let _ = writeln!(out, "{}<{t}Items>", pad(6));
    let b64 = base64::engine::general_purpose::STANDARD;
    for i in 0..messages {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next();
        let id = b64.encode(rng.bytes(114));
        let change_key = b64.encode(rng.bytes(30));
        let subject: Vec<&str> = (0..6)
            .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize])
            .collect();
        let mut subject = format!("{} #{i}", subject.join(" "));
        let name = NAMES[(rng.next() % NAMES.len() as u64) as usize];
        let email = format!("{}@contoso.example", name.to_lowercase().replace(' ', "."));
        let mut size = 1000 + rng.next() % 90_000;
        let mut is_read = rng.next() % 2 == 0;
        let day = 1 + rng.next() % 28;
        let second = rng.next() % 86_400;
        if plant && i == planted[0] {
            subject.push_str(" (edited)");
        }
        if plant && i == planted[1] {
            is_read = !is_read;
        }
        if plant && i == planted[2] {
            size += 1;
        }
        let p7 = pad(7);
        let p8 = pad(8);
        let p9 = pad(9);
        let p10 = pad(10);
        let _ = writeln!(out, "{p7}<{t}Message>");
        match style {
            Style::Canonical => {
                let _ = writeln!(
                    out,
                    "{p8}<t:ItemId Id=\"{id}\" ChangeKey=\"{change_key}\"/>"
                );
            }
            Style::Other => {
                let _ = writeln!(
                    out,
                    "{p8}<a:ItemId ChangeKey=\"{change_key}\" Id=\"{id}\"/>"
                );
            }
        }
        let _ = writeln!(out, "{p8}<{t}Subject>{subject}</{t}Subject>");
        let _ = writeln!(
            out,
            "{p8}<{t}DateTimeReceived>2026-11-{day:02}T{:02}:{:02}:{:02}Z</{t}DateTimeReceived>",
            second / 3600,
            second / 60 % 60,
            second % 60
        );
        let _ = writeln!(out, "{p8}<{t}Size>{size}</{t}Size>");
        let _ = writeln!(out, "{p8}<{t}From>");
        let _ = writeln!(out, "{p9}<{t}Mailbox>");
        let _ = writeln!(out, "{p10}<{t}Name>{name}</{t}Name>");
        let _ = writeln!(out, "{p10}<{t}EmailAddress>{email}</{t}EmailAddress>");
        let _ = writeln!(out, "{p10}<{t}RoutingType>SMTP</{t}RoutingType>");
        let _ = writeln!(out, "{p9}</{t}Mailbox>");
        let _ = writeln!(out, "{p8}</{t}From>");
        let _ = writeln!(out, "{p8}<{t}IsRead>{is_read}</{t}IsRead>");
        let _ = writeln!(out, "{p8}<{t}HasAttachments>false</{t}HasAttachments>");
        let _ = writeln!(out, "{p7}</{t}Message>");
    }
    let _ = writeln!(out, "{}</{t}Items>", pad(6));
    let _ = writeln!(out, "{}</{m}RootFolder>", pad(5));
    let _ = writeln!(out, "{}</{m}FindItemResponseMessage>", pad(4));
    let _ = writeln!(out, "{}</{m}ResponseMessages>", pad(3));
    let _ = writeln!(out, "{}</{m}FindItemResponse>", pad(2));
    let _ = writeln!(out, "{}</{s}Body>", pad(1));
    let _ = writeln!(out, "</{s}Envelope>");
    out
}

struct Pair {
    expected: Vec<u8>,
    actual: Vec<u8>,
}

impl Pair {
    fn bytes(&self) -> usize {
        self.expected.len() + self.actual.len()
    }
}

/// Pairs by (size in MB, planted differences), generated once.
fn pair(size_mb: usize, planted: bool) -> &'static Pair {
    static PAIRS: OnceLock<Vec<((usize, bool), Pair)>> = OnceLock::new();
    let all = PAIRS.get_or_init(|| {
        let mut v = Vec::new();
        for size in [1, 10] {
            for plant in [false, true] {
                v.push((
                    (size, plant),
                    Pair {
                        expected: find_item_response(size * MB, Style::Canonical, false)
                            .into_bytes(),
                        actual: find_item_response(size * MB, Style::Other, plant).into_bytes(),
                    },
                ));
            }
        }
        v
    });
    all.iter()
        .find(|(k, _)| *k == (size_mb, planted))
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no pair for {size_mb} MB"))
}

/// What the runner does for one step: parse both, compare, render the diff when they differ.
fn pipeline(p: &Pair) -> (usize, usize) {
    let opts = ParseOptions::default();
    let expected = xml::parse(&p.expected, &opts).expect("expected side parses");
    let actual = xml::parse(&p.actual, &opts).expect("actual side parses");
    let compare = CompareOptions::default();
    let comparison = xml::compare(&expected, &actual, &compare);
    let diff_len = if comparison.mismatches.is_empty() {
        0
    } else {
        xml::render_diff(&expected, &actual, &compare, &DiffOptions::default()).len()
    };
    (comparison.mismatches.len(), diff_len)
}

/// The reference: quick-xml's namespace-resolving event loop over both documents.
fn nsreader_loop(p: &Pair) -> usize {
    let mut events = 0;
    for bytes in [&p.expected, &p.actual] {
        let text = std::str::from_utf8(bytes).expect("generated input is UTF-8");
        let mut reader = quick_xml::NsReader::from_str(text);
        loop {
            match reader.read_resolved_event() {
                Ok((_, quick_xml::events::Event::Eof)) => break,
                Ok(_) => events += 1,
                Err(e) => panic!("generated input is well-formed: {e}"),
            }
        }
    }
    events
}

/// Checks the inputs and prints phase times and the peak heap of the 10 MB pairs.
fn report() {
    for size in [1, 10] {
        for planted in [false, true] {
            let p = pair(size, planted);
            let (mismatches, diff_len) = pipeline(p);
            let want = if planted { 3 } else { 0 };
            assert_eq!(
                mismatches, want,
                "pair {size} MB planted={planted}: expected {want} mismatches"
            );
            println!(
                "pair {size:>2} MB {}: {:.1} MB input, {mismatches} mismatches, diff {diff_len} bytes",
                if planted {
                    "(b) 3 planted"
                } else {
                    "(a) equal    "
                },
                p.bytes() as f64 / MB as f64
            );
        }
    }
    for planted in [false, true] {
        let p = pair(10, planted);
        let opts = ParseOptions::default();
        let base = HEAP.current_usage();
        HEAP.reset_peak_usage();
        let t0 = Instant::now();
        let e = xml::parse(&p.expected, &opts).expect("parses");
        let a = xml::parse(&p.actual, &opts).expect("parses");
        let t1 = Instant::now();
        let trees = HEAP.current_usage() - base;
        let c = xml::compare(&e, &a, &CompareOptions::default());
        let t2 = Instant::now();
        let diff = if c.mismatches.is_empty() {
            String::new()
        } else {
            xml::render_diff(&e, &a, &CompareOptions::default(), &DiffOptions::default())
        };
        let t3 = Instant::now();
        let peak = HEAP.peak_usage() - base;
        let input = p.bytes() as f64;
        println!(
            "10 MB pair {}: parse {:.0} ms, compare {:.0} ms, diff {:.0} ms; trees {:.1} MB ({:.2}x input), peak {:.1} MB = {:.2}x the pair's {:.1} MB input ({:.2}x one document)",
            if planted { "(b)" } else { "(a)" },
            (t1 - t0).as_secs_f64() * 1e3,
            (t2 - t1).as_secs_f64() * 1e3,
            (t3 - t2).as_secs_f64() * 1e3,
            trees as f64 / MB as f64,
            trees as f64 / input,
            peak as f64 / MB as f64,
            peak as f64 / input,
            input / MB as f64,
            2.0 * peak as f64 / input,
        );
        if planted {
            println!("{}", diff.lines().take(14).collect::<Vec<_>>().join("\n"));
        }
        drop((e, a, c, diff));
    }
}

/// CPU seconds this process has used (user + system), from `/proc/self/stat` (Linux; the
/// kernel reports clock ticks of 1/100 s). Wall time is unreliable on a shared machine.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state is field 3, utime field 14, stime field 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Throughput per CPU second over `rounds` runs (robust against other processes).
fn cpu_throughput(label: &str, bytes: usize, rounds: usize, mut run: impl FnMut()) {
    let Some(start) = cpu_seconds() else {
        println!("{label}: CPU time not available on this platform");
        return;
    };
    for _ in 0..rounds {
        run();
    }
    let used = cpu_seconds().unwrap_or(start) - start;
    if used > 0.0 {
        println!(
            "{label}: {:.0} MB per CPU second ({rounds} rounds, {used:.2} CPU s)",
            (bytes * rounds) as f64 / MB as f64 / used
        );
    }
}

fn main() {
    report();
    let (a, b) = (pair(10, false), pair(10, true));
    cpu_throughput(
        "CPU-time throughput, 10 MB pair (a) parse+compare+diff",
        a.bytes(),
        8,
        || {
            divan::black_box(pipeline(a));
        },
    );
    cpu_throughput(
        "CPU-time throughput, 10 MB pair (b) parse+compare+diff",
        b.bytes(),
        8,
        || {
            divan::black_box(pipeline(b));
        },
    );
    cpu_throughput(
        "CPU-time throughput, 10 MB pair, quick-xml NsReader loop",
        b.bytes(),
        8,
        || {
            divan::black_box(nsreader_loop(b));
        },
    );
    divan::main();
}

#[divan::bench(args = [1, 10], sample_count = 10, sample_size = 1)]
fn equal_pair_parse_compare_diff(bencher: Bencher<'_, '_>, size_mb: usize) {
    let p = pair(size_mb, false);
    bencher
        .counter(BytesCount::new(p.bytes()))
        .bench(|| pipeline(divan::black_box(p)));
}

#[divan::bench(args = [1, 10], sample_count = 10, sample_size = 1)]
fn three_differences_parse_compare_diff(bencher: Bencher<'_, '_>, size_mb: usize) {
    let p = pair(size_mb, true);
    bencher
        .counter(BytesCount::new(p.bytes()))
        .bench(|| pipeline(divan::black_box(p)));
}

#[divan::bench(args = [1, 10], sample_count = 10, sample_size = 1)]
fn reference_nsreader_loop(bencher: Bencher<'_, '_>, size_mb: usize) {
    let p = pair(size_mb, true);
    bencher
        .counter(BytesCount::new(p.bytes()))
        .bench(|| nsreader_loop(divan::black_box(p)));
}
