//! The `cardinal` binary: parse the command line, run, map to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cardinal::commands::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout (exit 0) and usage
            // errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cardinal::commands::run(cli) {
        Ok(cardinal::commands::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(cardinal::commands::Outcome::Findings) => ExitCode::from(1),
        Err((out, e)) => {
            out.error(e.to_string());
            ExitCode::from(e.exit_code())
        }
    }
}
