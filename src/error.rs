//! Errors that mean plangate could not do its job (exit code 2).
//!
//! A violated policy is never an error: it is a finding in the report. Every message here is
//! one paragraph that names the file, the position where there is one, and what to do.

use std::fmt;

/// The tool failed: bad input, a broken policy or config file, or an I/O failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A plan file that cannot be read as a Terraform plan.
    #[error("{file}: {message}")]
    Input { file: String, message: String },
    /// A policy file that cannot be loaded (all its problems, one per line).
    #[error("{}", .problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Policy { problems: Vec<Problem> },
    /// A `plangate.toml` that cannot be loaded.
    #[error("{file}: {message}")]
    Config { file: String, message: String },
    /// A command-line usage error clap could not catch.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed.
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn input(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input {
            file: file.into(),
            message: message.into(),
        }
    }

    pub fn io(file: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            file: file.into(),
            source,
        }
    }
}

/// One problem found in a policy file, with its position when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.file, l, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
