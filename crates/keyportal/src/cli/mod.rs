//! The command line: argument definitions and what each command does.

mod args;
mod credential;
mod dates;
mod healthcheck;
mod import_file;
mod legacy;
mod progress;
mod proxy;
mod serve;
mod usage;
mod user;

pub use args::{Cli, Command};

use std::process::ExitCode;

/// Runs a parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::User(args) => user::run(args).await,
        Command::Healthcheck(args) => healthcheck::run(args).await,
        Command::Credential(args) => credential::run(args).await,
        Command::Legacy(args) => legacy::run(args).await,
        Command::Usage(args) => usage::run(args).await,
        Command::Proxy(args) => proxy::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("keyportal: {message}");
            ExitCode::FAILURE
        }
    }
}
