use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use keyportal::cli::{run, version_text, Cli};
use keyportal::log_format::{JsonLines, LogFormat};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let filter =
        EnvFilter::try_from_env("KEYPORTAL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let format = match LogFormat::parse(std::env::var("KEYPORTAL_LOG_FORMAT").ok().as_deref()) {
        Ok(format) => format,
        Err(message) => {
            eprintln!("keyportal: {message}");
            return ExitCode::FAILURE;
        }
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.event_format(JsonLines).init(),
    }
    let matches = Cli::command().version(version_text()).get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => run(cli).await,
        Err(error) => error.exit(),
    }
}
