//! keyportal's domain: the organization, its members, roles and privileges, items, folders,
//! groups and the rules that govern them. Nothing in this crate performs I/O; every rule that
//! depends on time takes `now` (epoch milliseconds) as a parameter.

pub mod address;
pub mod api_key;
pub mod authz;
pub mod credential;
pub mod error;
pub mod events;

pub mod group;
pub mod ids;
pub mod item;
pub mod leak;
pub mod legacy_key;
pub mod oauth;
pub mod org;
pub mod password;
pub mod privilege;
pub mod proxy;
pub mod rate_limit;
pub mod referer_binding;
pub mod referrer;
pub mod role;
pub mod search;
pub mod secret;
pub mod service_catalog;
pub mod signin_guard;
pub mod text;
pub mod time;
pub mod token;
pub mod usage;
pub mod user;
pub mod user_type;
pub mod visibility;

pub use error::DomainError;
pub use time::EpochMillis;
