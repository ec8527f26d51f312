#![allow(clippy::unwrap_used)] // tests unwrap freely: a panic is a failed test

//! Integration tests: the real server on a free port, HTTP and HTTPS, SQLite and PostgreSQL,
//! spoken to over real sockets.

mod harness;

mod backup;
mod child_node;
mod cli_credentials;
mod cli_roles_items;
mod crash;
mod credentials;
mod escalation;
mod events;
mod front;
mod groups;
mod input_headers;
mod input_text;
mod items;
mod json_logs;
mod key_controls;
mod leaks;
mod legacy;
mod legacy_pages;
mod lists;
mod metrics;
mod nodes;
mod oauth;
mod operator_cli;
mod outage;
mod private_pg;
mod process;
mod proxy;
#[allow(dead_code)] // shared with the security suite, which uses other parts
mod raw_conn;
mod roles;
mod search;
mod server;
mod shutdown;
mod signin_flood;
mod slow_clients;
mod tokens;
mod upgrade;
mod usage;
mod usage_names;
mod users;
