//! The `keyportal` binary's library: configuration, the server (HTTP and HTTPS), and the
//! command-line operations. `main.rs` only parses arguments and calls into here, so the
//! integration tests start exactly the server the binary runs.

mod background;
pub mod cli;
pub mod config;
pub mod conn;
mod fd_limit;
pub mod log_format;
pub mod metrics;
pub mod server;
pub mod tls;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod route_coverage;
