//! The command line: argument definitions and what each command does.

mod args;
mod backup;
mod completions;
mod credential;
mod dates;
mod events;
mod healthcheck;
mod import_file;
mod item;
mod legacy;
mod outcome;
mod progress;
mod proxy;
mod restore;
mod role;
mod secret_key;
mod serve;
mod usage;
mod user;

pub use args::{Cli, Command};
pub use outcome::{EXIT_FAILED, EXIT_NOT_FOUND};

/// `keyportal --version`: the release and the database schema it migrates to.
pub fn version_text() -> String {
    format!(
        "{} (schema {})",
        env!("CARGO_PKG_VERSION"),
        keyportal_store::SCHEMA_VERSION
    )
}

use std::process::ExitCode;

use outcome::Failure;

/// Runs a parsed command line and returns the process exit code (see `outcome`).
pub async fn run(cli: Cli) -> ExitCode {
    let result: Result<(), Failure> = match cli.command {
        Command::Serve(args) => serve::run(args).await.map_err(Failure::from),
        Command::User(args) => user::run(args).await.map_err(Failure::from),
        Command::Healthcheck(args) => healthcheck::run(args).await.map_err(Failure::from),
        Command::Credential(args) => credential::run(args).await,
        Command::Role(args) => role::run(args).await,
        Command::Item(args) => item::run(args).await,
        Command::Legacy(args) => legacy::run(args).await.map_err(Failure::from),
        Command::Usage(args) => usage::run(args).await.map_err(Failure::from),
        Command::Events(args) => events::run(args).await.map_err(Failure::from),
        Command::Proxy(args) => proxy::run(args).await.map_err(Failure::from),
        Command::Backup(args) => backup::run(args).await,
        Command::Restore(args) => restore::run(args).await,
        Command::SecretKey(command) => secret_key::run(command).map_err(Failure::from),
        Command::Openapi => {
            // The document a server serves, without starting one (for validators and
            // client generators).
            println!(
                "{}",
                String::from_utf8_lossy(&keyportal_http::openapi::document_bytes())
            );
            Ok(())
        }
        Command::Completions { shell } => {
            completions::run(shell);
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("keyportal: {}", failure.message);
            failure.exit_code()
        }
    }
}
