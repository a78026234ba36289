//! The `ews-conformance` binary: a thin shell over [`ews_conformance::cli`].

fn main() -> std::process::ExitCode {
    ews_conformance::cli::main()
}
