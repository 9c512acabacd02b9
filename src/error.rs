//! Operational failures (exit 2): unreadable inputs, no repository, usage
//! problems a command detects itself, write failures. Findings about the
//! governed files are `diag::Diagnostic`s instead (exit 1).

use std::path::PathBuf;

/// An operational failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read.
    #[error("failed to read `{}`: {source}", path.display())]
    Read {
        /// What was being read.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A file or folder could not be written.
    #[error("failed to write `{}`: {source}", path.display())]
    Write {
        /// What was being written.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// No `cardinal.toml` in the folder or any parent.
    #[error("no `cardinal.toml` in `{}` or any parent folder (run `cardinal init` to create one, or pass -C DIR)", start.display())]
    NoRepository {
        /// Where the search started.
        start: PathBuf,
    },
    /// A Git operation failed.
    #[error("git: {0}")]
    Git(String),
    /// The command was asked for something it cannot do; says why.
    #[error("{0}")]
    Usage(String),
    /// An input other than a governed file is malformed; says where and why.
    #[error("{0}")]
    Input(String),
    /// The results could not be written to stdout.
    #[error("cannot write the output: {0}")]
    Output(String),
}

impl Error {
    /// Returns the process exit code for this failure: always 2.
    pub fn exit_code(&self) -> u8 {
        2
    }
}
