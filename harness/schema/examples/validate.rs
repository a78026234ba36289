//! `cargo run -p ews-schema --example validate -- FILE...`: prints each file's violations.
fn main() {
    let schema = ews_schema::Schema::ews();
    let mut failed = false;
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                failed = true;
                continue;
            }
        };
        match schema.validate_document(&bytes) {
            Ok(v) if v.is_empty() => println!("{path}: valid"),
            Ok(v) => {
                failed = true;
                for x in v {
                    println!("{path}:{x}");
                    println!("    exchange: {}", x.exchange_text());
                }
            }
            Err(e) => {
                failed = true;
                println!("{path}:{e}");
            }
        }
    }
    std::process::exit(i32::from(failed));
}
