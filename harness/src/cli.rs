//! Command-line interface (clap). `main.rs` only calls [`main`].

/// Entry point of the binary.
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(2)
}
