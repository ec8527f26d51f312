//! How a command ends: its exit code and message, and `--json` output on standard output.
//!
//! Exit codes (documented in `keyportal --help` and the README):
//! 0 success; 1 the operation was refused or failed; 2 bad usage (clap);
//! 3 what the command names (credential, role, item, member) does not exist.

use std::process::ExitCode;

use clap::Args;
use keyportal_domain::DomainError;
use keyportal_service::ServiceError;
use serde_json::Value;

use super::user::describe;

/// Exit code for a refused or failed operation.
pub const EXIT_FAILED: u8 = 1;
/// Exit code when the thing a command names does not exist.
pub const EXIT_NOT_FOUND: u8 = 3;

/// A command that did not succeed: the line for standard error and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn not_found(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: EXIT_NOT_FOUND,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure {
            message,
            code: EXIT_FAILED,
        }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure::from(message.to_string())
    }
}

impl From<ServiceError> for Failure {
    fn from(error: ServiceError) -> Failure {
        let code = match &error {
            ServiceError::Domain(DomainError::NotFound(_) | DomainError::ItemNotFound) => {
                EXIT_NOT_FOUND
            }
            _ => EXIT_FAILED,
        };
        Failure {
            message: describe(error),
            code,
        }
    }
}

pub type CommandResult = Result<(), Failure>;

/// `--json`: one JSON document on standard output instead of the table or text.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct OutputArgs {
    /// Print one JSON document on standard output (field names as in the REST API)
    #[arg(long, global = true)]
    pub json: bool,
}

impl OutputArgs {
    /// Prints `json()` with `--json`, or else the lines `text()` gives.
    pub fn print(&self, json: impl FnOnce() -> Value, text: impl FnOnce() -> Vec<String>) {
        if self.json {
            println!("{}", json());
        } else {
            for line in text() {
                println!("{line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_things_exit_3_and_refusals_1() {
        let missing = Failure::from(ServiceError::not_found("No such role."));
        assert_eq!(missing.code, EXIT_NOT_FOUND);
        assert_eq!(
            Failure::from(ServiceError::from(DomainError::ItemNotFound)).code,
            EXIT_NOT_FOUND
        );
        assert_eq!(Failure::from(ServiceError::forbidden()).code, EXIT_FAILED);
        assert_eq!(Failure::from("bad date").code, EXIT_FAILED);
    }
}
