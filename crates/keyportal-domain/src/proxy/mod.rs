//! Proxied services: items whose `url` is an upstream HTTP service, reached through
//! `/sharing/servers/{itemId}/…`, and location services an administrator maps by name
//! (`geocode`, `routing`, …) to an upstream, reached through `/services/{name}/…`.
//!
//! Pure rules: what a proxy's settings may be (upstream URL, upstream credentials, referrers,
//! limits), how a change applies (every problem reported, nothing half-applied), and which
//! request paths may be forwarded (no dot segments that would climb out of the upstream's path).
//! Upstream credentials are secrets: their `Debug` shows names only.

pub mod allow_list;
mod changes;
mod credentials;
mod settings;
mod target;
mod url;

pub use changes::apply_changes;
pub use settings::{
    ProxyChanges, ProxySettings, UpstreamSecrets, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_SECONDS,
    MAX_ALLOWED_REFERRERS, MAX_MAX_BODY_BYTES, MAX_RATE_PER_KEY, MAX_TIMEOUT_SECONDS,
    MAX_UPSTREAM_ENTRIES, MAX_UPSTREAM_VALUE_LEN, MAX_URL_LEN,
};
pub use target::ProxyTarget;
pub use url::{check_path_suffix, check_upstream_url, upstream_origin};
