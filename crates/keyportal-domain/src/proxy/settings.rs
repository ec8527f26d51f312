//! A proxy's settings, a change of them, and the upstream credentials (secrets whose `Debug`
//! shows names only).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::target::ProxyTarget;
use crate::service_catalog::privileges_for;
use crate::time::EpochMillis;

/// Upstream timeout when none is set: connecting, and silence while waiting for data.
pub const DEFAULT_TIMEOUT_SECONDS: u32 = 30;
pub const MAX_TIMEOUT_SECONDS: u32 = 600;
/// Largest request body forwarded when none is set (10 MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
/// The largest `maxBodyBytes` an administrator may set (1 GiB).
pub const MAX_MAX_BODY_BYTES: u64 = 1024 * 1024 * 1024;
/// Most upstream headers, and most upstream query parameters, per proxy.
pub const MAX_UPSTREAM_ENTRIES: usize = 20;
/// Longest upstream header or query value, in bytes.
pub const MAX_UPSTREAM_VALUE_LEN: usize = 8192;
/// Most allowed referrers per proxy.
pub const MAX_ALLOWED_REFERRERS: usize = 100;
pub const MAX_RATE_PER_KEY: u32 = 1_000_000;
/// Longest upstream URL.
pub const MAX_URL_LEN: usize = 2048;

/// Upstream credentials in clear: header and query values added on the way to the upstream.
/// Held in memory and sealed for storage; never shown. `Debug` prints names only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamSecrets {
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
}

impl fmt::Debug for UpstreamSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |pairs: &[(String, String)]| -> Vec<String> {
            pairs.iter().map(|(name, _)| name.clone()).collect()
        };
        f.debug_struct("UpstreamSecrets")
            .field("headers", &names(&self.headers))
            .field("query", &names(&self.query))
            .finish_non_exhaustive()
    }
}

impl UpstreamSecrets {
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty() && self.query.is_empty()
    }

    pub fn header_names(&self) -> Vec<String> {
        self.headers.iter().map(|(n, _)| n.clone()).collect()
    }

    pub fn query_names(&self) -> Vec<String> {
        self.query.iter().map(|(n, _)| n.clone()).collect()
    }
}

/// A proxy's settings as stored and shown (the credentials' values apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySettings {
    pub target: ProxyTarget,
    pub enabled: bool,
    /// The upstream base URL: for items, the item's `url` when the settings were saved (so
    /// credentials never follow a changed URL unasked); for services, the administrator's.
    pub url: String,
    /// Location services: the privilege required instead of the catalog's.
    pub privilege: Option<String>,
    /// Normalised referrer patterns; empty allows every referrer.
    pub allowed_referrers: Vec<String>,
    /// Requests per second per key (per caller); `None` is unlimited.
    pub rate_limit_per_key: Option<u32>,
    pub timeout_seconds: u32,
    pub max_body_bytes: u64,
    /// Names of the upstream headers and query parameters (values are sealed).
    pub header_names: Vec<String>,
    pub query_names: Vec<String>,
    pub modified: EpochMillis,
}

impl ProxySettings {
    /// Defaults for a target not configured yet: disabled, no credentials, no limits.
    pub fn new(target: ProxyTarget, now: EpochMillis) -> ProxySettings {
        ProxySettings {
            target,
            enabled: false,
            url: String::new(),
            privilege: None,
            allowed_referrers: Vec::new(),
            rate_limit_per_key: None,
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_names: Vec::new(),
            query_names: Vec::new(),
            modified: now,
        }
    }

    /// Privileges any one of which allows a location service: the explicit one, else the
    /// catalog's. Items need none (their sharing decides).
    pub fn required_privileges(&self) -> Vec<String> {
        match (&self.target, &self.privilege) {
            (ProxyTarget::Item(_), _) => Vec::new(),
            (ProxyTarget::Service(_), Some(p)) => vec![p.clone()],
            (ProxyTarget::Service(name), None) => privileges_for(name)
                .map(|ps| ps.iter().map(|p| p.to_string()).collect())
                .unwrap_or_default(),
        }
    }
}

/// A change of settings. Absent fields keep their value; numbers arrive raw so that every
/// out-of-range value is reported.
#[derive(Debug, Clone, Default)]
pub struct ProxyChanges {
    pub enabled: Option<bool>,
    /// Location services: the upstream URL. Items take theirs from the item.
    pub url: Option<String>,
    /// `Some(None)` returns to the catalog's privilege.
    pub privilege: Option<Option<String>>,
    pub allowed_referrers: Option<Vec<String>>,
    /// `Some(None)` removes the limit.
    pub rate_limit_per_key: Option<Option<i64>>,
    pub timeout_seconds: Option<i64>,
    pub max_body_bytes: Option<i64>,
    /// A JSON object of header names to values; replaces every upstream header (`{}` clears).
    pub upstream_headers: Option<Value>,
    /// A JSON object of query names to values; replaces every upstream parameter.
    pub upstream_query: Option<Value>,
}

impl ProxyChanges {
    pub fn is_empty(&self) -> bool {
        self.enabled.is_none()
            && self.url.is_none()
            && self.privilege.is_none()
            && self.allowed_referrers.is_none()
            && self.rate_limit_per_key.is_none()
            && self.timeout_seconds.is_none()
            && self.max_body_bytes.is_none()
            && self.upstream_headers.is_none()
            && self.upstream_query.is_none()
    }
}
