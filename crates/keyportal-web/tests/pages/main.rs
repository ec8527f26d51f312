//! The portal's pages through the router, against a real `Portal` on SQLite: one test binary,
//! one harness (`harness.rs`), one module per part of the portal.

mod harness;

mod lists;
mod org;
mod proxy_allow_list;
mod router;
mod usage;
mod wizard;
