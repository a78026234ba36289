//! `ews-reference-server`: the reference EWS server on its own, for client projects' CI.
//! `ews-reference-server serve` takes the same flags as `ews-conformance serve`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ews_reference_server::cli::{self, ServeArgs};

#[derive(Debug, Parser)]
#[command(
    name = "ews-reference-server",
    version,
    about = "Reference Exchange Web Services (EWS) server: the IM-list operations over HTTP or HTTPS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the reference EWS server until Ctrl-C.
    Serve(ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => match cli::serve(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::from(2)
            }
        },
    }
}
