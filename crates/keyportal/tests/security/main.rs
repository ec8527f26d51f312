#![allow(clippy::unwrap_used)] // tests unwrap freely: a panic is a failed test

//! The security suite: attacks against the real server over real sockets, one file per
//! family. Every case asserts the exact refusal (ArcGIS error code, HTTP status or `/verify`
//! reason) and that nothing changed (the resource re-read, or a key still working or still
//! refused). Most families share one SQLite server per test; a few run on both backends.

#[allow(dead_code)] // the API suite's harness; this suite uses part of it
#[path = "../api/harness.rs"]
mod harness;

#[allow(dead_code)] // shared with the API suite; this suite uses part of it
#[path = "../api/raw_conn.rs"]
mod raw_conn;

#[allow(dead_code)]
#[path = "../api/child_node.rs"]
mod child_node;

#[allow(dead_code)] // the API suite's upstream server, for the SSRF family
#[path = "../api/proxy/upstream.rs"]
mod upstream;

mod support;

mod escalation;
mod escalation_apps;
mod exhaustion;
mod input;
mod input_forms;
mod key_owners;
mod key_transport;
mod keys;
mod oauth;
mod personal_keys;
mod referrers;
mod request_log;
mod ssrf;
mod text_hygiene;
mod token_bindings;
mod verify_cors;
mod web;
