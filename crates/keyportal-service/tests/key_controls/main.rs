//! Key controls beyond ArcGIS (issue 14) through the service, with a controllable clock:
//! address restrictions, rolling a key with a grace (also across a restart and to another
//! node), and `checkAccess` agreeing with `/verify` for random requests.

#[path = "../support/mod.rs"]
mod support;

mod agreement;
mod helpers;
mod restrictions;
