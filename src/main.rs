//! The `asn-merit` command: parses the command line and runs it (`asn_merit::cli`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    asn_merit::cli::run(asn_merit::cli::Cli::parse())
}
