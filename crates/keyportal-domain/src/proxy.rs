//! Proxied services: items whose `url` is an upstream HTTP service, reached through
//! `/sharing/servers/{itemId}/…`, and location services an administrator maps by name
//! (`geocode`, `routing`, …) to an upstream, reached through `/services/{name}/…`.
//!
//! Pure rules: what a proxy's settings may be (upstream URL, upstream credentials, referrers,
//! limits), how a change applies (every problem reported, nothing half-applied), and which
//! request paths may be forwarded (no dot segments that would climb out of the upstream's path).
//! Upstream credentials are secrets: their `Debug` shows names only.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::DomainError;
use crate::ids::{is_hex_id, shorten};
use crate::privilege::lookup;
use crate::referrer::ReferrerPattern;
use crate::service_catalog::privileges_for;
use crate::time::EpochMillis;
use crate::usage::validate_service_name;

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

/// Headers an upstream credential may not set: the proxy owns framing and routing.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// What a proxy forwards to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProxyTarget {
    /// A proxied item, by its (lower-case) id.
    Item(String),
    /// A location service, by its (lower-case) name.
    Service(String),
}

impl ProxyTarget {
    /// An item target from an id on the wire.
    pub fn item(id: &str) -> Result<ProxyTarget, DomainError> {
        crate::ids::parse_item_id(id).map(ProxyTarget::Item)
    }

    /// A location-service target from a name on the wire (case-insensitive).
    pub fn service(name: &str) -> Result<ProxyTarget, DomainError> {
        validate_service_name(name)?;
        Ok(ProxyTarget::Service(name.to_ascii_lowercase()))
    }

    /// `item` or `service` (the stored kind).
    pub fn kind(&self) -> &'static str {
        match self {
            ProxyTarget::Item(_) => "item",
            ProxyTarget::Service(_) => "service",
        }
    }

    /// The item id or the service name; usage is counted under it.
    pub fn name(&self) -> &str {
        match self {
            ProxyTarget::Item(name) | ProxyTarget::Service(name) => name,
        }
    }

    /// Rebuilds a target from its stored kind and name.
    pub fn from_parts(kind: &str, name: &str) -> Option<ProxyTarget> {
        match kind {
            "item" if is_hex_id(name) => Some(ProxyTarget::Item(name.to_ascii_lowercase())),
            "service" if validate_service_name(name).is_ok() => {
                Some(ProxyTarget::Service(name.to_ascii_lowercase()))
            }
            _ => None,
        }
    }

    /// The change-feed subject: `proxy:<itemId>` or `proxy:service:<name>`.
    pub fn subject(&self) -> String {
        match self {
            ProxyTarget::Item(id) => format!("proxy:{id}"),
            ProxyTarget::Service(name) => format!("proxy:service:{name}"),
        }
    }

    /// The target named by a change notice, given the part after `proxy:`.
    pub fn from_subject(rest: &str) -> Option<ProxyTarget> {
        match rest.strip_prefix("service:") {
            Some(name) => ProxyTarget::from_parts("service", name),
            None => ProxyTarget::from_parts("item", rest),
        }
    }
}

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

/// Checks an upstream base URL: `http(s)://host[:port][/path]`, no credentials, query or
/// fragment. Returns it with a lower-case scheme and without trailing slashes.
pub fn check_upstream_url(url: &str) -> Result<String, DomainError> {
    let url = url.trim();
    let bad = |why: &str| {
        DomainError::invalid_with(
            format!("Invalid upstream URL '{}'.", shorten(url)),
            vec![why.to_string()],
        )
    };
    if url.is_empty() {
        return Err(bad(
            "The URL is empty: an http:// or https:// URL is needed.",
        ));
    }
    if url.len() > MAX_URL_LEN {
        return Err(bad("The URL is longer than 2048 characters."));
    }
    if url
        .bytes()
        .any(|b| b.is_ascii_control() || b == b' ' || b == b'\\' || !b.is_ascii())
    {
        return Err(bad(
            "The URL may not contain spaces, control characters, backslashes or non-ASCII characters (percent-encode them).",
        ));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("Only http:// and https:// URLs can be proxied."))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad("Only http:// and https:// URLs can be proxied."));
    }
    if rest.contains(['?', '#']) {
        return Err(bad(
            "The URL may not have a query or fragment: put parameters in 'upstreamQuery'.",
        ));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(bad(
            "The URL may not contain a user name or password: put credentials in 'upstreamHeaders'.",
        ));
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("The IPv6 address is not closed with ']'."))?;
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(bad("The IPv6 address is not valid."));
        }
        check_port(after).map_err(|_| bad("The port must be a number from 1 to 65535."))?;
        host
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if let Some(port) = port {
            check_port(&format!(":{port}"))
                .map_err(|_| bad("The port must be a number from 1 to 65535."))?;
        }
        host
    };
    let ipv6 = authority.starts_with('[');
    if host.is_empty()
        || !host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') || (ipv6 && b == b':')
        })
    {
        return Err(bad("The URL needs a host name or address."));
    }
    check_path_suffix(path)
        .map_err(|_| bad("The URL path may not contain '.' or '..' segments."))?;
    let trimmed = format!("{scheme}://{authority}{path}");
    Ok(trimmed.trim_end_matches('/').to_string())
}

/// `""` or `:<1-65535>`.
fn check_port(text: &str) -> Result<(), ()> {
    if text.is_empty() {
        return Ok(());
    }
    let digits = text.strip_prefix(':').ok_or(())?;
    match digits.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) && !digits.starts_with('+') => Ok(()),
        _ => Err(()),
    }
}

/// Checks the part of a request path forwarded after the upstream's base path: no segment
/// may be `.` or `..` (also percent-encoded), and no backslashes or encoded slashes, which URL
/// parsers and servers may turn into separators — any of them could let a request climb out of
/// the upstream path it was granted.
pub fn check_path_suffix(suffix: &str) -> Result<(), DomainError> {
    let refused = || {
        DomainError::invalid(
            "The request path may not contain '.' or '..' segments, backslashes or encoded slashes.",
        )
    };
    let lower = suffix.to_ascii_lowercase();
    if suffix.contains('\\') || lower.contains("%5c") || lower.contains("%2f") {
        return Err(refused());
    }
    for segment in suffix.split('/') {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        if decoded == "." || decoded == ".." {
            return Err(refused());
        }
    }
    Ok(())
}

/// RFC 9110 token characters.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads `upstreamHeaders` (a JSON object of names to values). Problems go to `problems`;
/// nothing in them echoes a value.
fn parse_headers(value: &Value, problems: &mut Vec<String>) -> Vec<(String, String)> {
    let Value::Object(map) = value else {
        problems
            .push("'upstreamHeaders' must be a JSON object such as {\"X-Api-Key\":\"…\"}.".into());
        return Vec::new();
    };
    if map.len() > MAX_UPSTREAM_ENTRIES {
        problems.push(format!(
            "'upstreamHeaders' may hold at most {MAX_UPSTREAM_ENTRIES} headers."
        ));
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in map {
        let shown = shorten(name);
        if !is_header_name(name) {
            problems.push(format!("'{shown}' is not a valid header name."));
            continue;
        }
        if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            problems.push(format!(
                "The header '{shown}' is set by the proxy and cannot be an upstream header."
            ));
            continue;
        }
        if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            problems.push(format!("The header '{shown}' is given twice."));
            continue;
        }
        let Some(text) = value_text(value) else {
            problems.push(format!("The value of the header '{shown}' must be text."));
            continue;
        };
        if text.is_empty()
            || text.len() > MAX_UPSTREAM_VALUE_LEN
            || text
                .bytes()
                .any(|b| (b.is_ascii_control() && b != b'\t') || b >= 0x80)
        {
            problems.push(format!(
                "The value of the header '{shown}' must be 1 to {MAX_UPSTREAM_VALUE_LEN} visible ASCII characters."
            ));
            continue;
        }
        out.push((name.clone(), text));
    }
    out
}

/// Reads `upstreamQuery` (a JSON object of names to values).
fn parse_query(value: &Value, problems: &mut Vec<String>) -> Vec<(String, String)> {
    let Value::Object(map) = value else {
        problems.push("'upstreamQuery' must be a JSON object such as {\"apiKey\":\"…\"}.".into());
        return Vec::new();
    };
    if map.len() > MAX_UPSTREAM_ENTRIES {
        problems.push(format!(
            "'upstreamQuery' may hold at most {MAX_UPSTREAM_ENTRIES} parameters."
        ));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (name, value) in map {
        let shown = shorten(name);
        if name.is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
            problems.push(format!("'{shown}' is not a valid query parameter name."));
            continue;
        }
        let Some(text) = value_text(value) else {
            problems.push(format!(
                "The value of the query parameter '{shown}' must be text."
            ));
            continue;
        };
        if text.len() > MAX_UPSTREAM_VALUE_LEN || text.chars().any(char::is_control) {
            problems.push(format!(
                "The value of the query parameter '{shown}' must be at most {MAX_UPSTREAM_VALUE_LEN} bytes without control characters."
            ));
            continue;
        }
        out.push((name.clone(), text));
    }
    out
}

fn parse_referrers(values: &[String], problems: &mut Vec<String>) -> Vec<String> {
    if values.len() > MAX_ALLOWED_REFERRERS {
        problems.push(format!(
            "At most {MAX_ALLOWED_REFERRERS} allowed referrers can be set."
        ));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        match ReferrerPattern::parse(value) {
            Ok(pattern) => {
                let text = pattern.as_str().to_string();
                if !out.contains(&text) {
                    out.push(text);
                }
            }
            Err(error) => problems.push(format!("Allowed referrer '{}': {error}", shorten(value))),
        }
    }
    out
}

/// Applies `changes` to `current` settings and credentials. `item_url` is the item's current
/// `url` for item targets (ignored for services). Every problem is reported at once; on any,
/// nothing is applied.
///
/// Credentials never follow a URL change unasked: when the upstream URL changes and
/// credentials are kept (not re-sent), the change is refused.
pub fn apply_changes(
    current: &ProxySettings,
    secrets: &UpstreamSecrets,
    changes: &ProxyChanges,
    item_url: Option<&str>,
    now: EpochMillis,
) -> Result<(ProxySettings, UpstreamSecrets), DomainError> {
    let mut problems = Vec::new();
    let mut next = current.clone();
    let mut next_secrets = secrets.clone();
    if let Some(enabled) = changes.enabled {
        next.enabled = enabled;
    }

    // The upstream URL.
    let candidate = match (&current.target, item_url) {
        (ProxyTarget::Item(_), Some(url)) => Some(url.to_string()),
        (ProxyTarget::Item(_), None) => None,
        (ProxyTarget::Service(_), _) => changes.url.clone(),
    };
    if matches!(current.target, ProxyTarget::Item(_)) && changes.url.is_some() {
        problems.push(
            "A proxied item forwards to the item's own 'url': update the item to change it.".into(),
        );
    }
    if let Some(url) = candidate {
        if url.trim().is_empty() && !next.enabled {
            next.url = String::new();
        } else {
            match check_upstream_url(&url) {
                Ok(url) => next.url = url,
                Err(DomainError::Invalid { message, details }) => {
                    problems.push(message);
                    problems.extend(details);
                }
                Err(other) => problems.push(other.to_string()),
            }
        }
    }
    if next.enabled && next.url.is_empty() && problems.is_empty() {
        problems.push(match current.target {
            ProxyTarget::Item(_) => {
                "The item has no 'url': set it to the upstream http(s) URL before proxying.".into()
            }
            ProxyTarget::Service(_) => "'url' must be specified (the upstream http(s) URL).".into(),
        });
    }

    // The privilege of a location service.
    match (&current.target, &changes.privilege) {
        (ProxyTarget::Item(_), Some(Some(_))) => {
            problems.push("'privilege' applies to location services only.".into())
        }
        (ProxyTarget::Item(_), _) => {}
        (ProxyTarget::Service(_), Some(Some(p))) => {
            if lookup(p.trim()).is_some() {
                next.privilege = Some(p.trim().to_string());
            } else {
                problems.push(format!("'{}' is not a known privilege.", shorten(p)));
            }
        }
        (ProxyTarget::Service(_), Some(None)) => next.privilege = None,
        (ProxyTarget::Service(_), None) => {}
    }
    if let ProxyTarget::Service(name) = &current.target {
        if next.privilege.is_none() && privileges_for(name).is_none() {
            problems.push(format!(
                "'privilege' must be specified: '{name}' is not a location service keyportal knows."
            ));
        }
    }

    if let Some(referrers) = &changes.allowed_referrers {
        next.allowed_referrers = parse_referrers(referrers, &mut problems);
    }
    match changes.rate_limit_per_key {
        None => {}
        Some(None) => next.rate_limit_per_key = None,
        Some(Some(rate)) => match u32::try_from(rate) {
            Ok(rate) if (1..=MAX_RATE_PER_KEY).contains(&rate) => {
                next.rate_limit_per_key = Some(rate)
            }
            _ => problems.push(format!(
                "'rateLimitPerKey' must be 1 to {MAX_RATE_PER_KEY} requests per second (or empty for no limit)."
            )),
        },
    }
    if let Some(seconds) = changes.timeout_seconds {
        match u32::try_from(seconds) {
            Ok(s) if (1..=MAX_TIMEOUT_SECONDS).contains(&s) => next.timeout_seconds = s,
            _ => problems.push(format!(
                "'timeoutSeconds' must be 1 to {MAX_TIMEOUT_SECONDS}."
            )),
        }
    }
    if let Some(bytes) = changes.max_body_bytes {
        match u64::try_from(bytes) {
            Ok(b) if b <= MAX_MAX_BODY_BYTES => next.max_body_bytes = b,
            _ => problems.push(format!("'maxBodyBytes' must be 0 to {MAX_MAX_BODY_BYTES}.")),
        }
    }
    if let Some(headers) = &changes.upstream_headers {
        next_secrets.headers = parse_headers(headers, &mut problems);
    }
    if let Some(query) = &changes.upstream_query {
        next_secrets.query = parse_query(query, &mut problems);
    }

    // Kept credentials may not be sent to a new upstream. A disabled proxy keeps its old URL
    // (so disabling always works); enabling it later asks for the credentials again.
    if !current.url.is_empty() && next.url != current.url {
        let kept_headers = changes.upstream_headers.is_none() && !secrets.headers.is_empty();
        let kept_query = changes.upstream_query.is_none() && !secrets.query.is_empty();
        if (kept_headers || kept_query) && !next.enabled {
            next.url = current.url.clone();
        } else if kept_headers || kept_query {
            problems.push(
                "The upstream URL changed: send 'upstreamHeaders' and 'upstreamQuery' again (or {} to clear them) so that credentials never follow a URL unasked."
                    .into(),
            );
        }
    }

    if !problems.is_empty() {
        return Err(DomainError::invalid_with(
            "Invalid proxy settings.",
            problems,
        ));
    }
    next.header_names = next_secrets.header_names();
    next.query_names = next_secrets.query_names();
    next.modified = now;
    Ok((next, next_secrets))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item() -> ProxySettings {
        ProxySettings::new(ProxyTarget::Item("a".repeat(32)), 1)
    }

    fn details(error: DomainError) -> Vec<String> {
        match error {
            DomainError::Invalid { details, .. } => details,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn upstream_urls_are_http_without_credentials_or_queries() {
        assert_eq!(
            check_upstream_url(" HTTPS://tiles.example.com:8443/arcgis/rest/ ").expect("ok"),
            "https://tiles.example.com:8443/arcgis/rest"
        );
        assert_eq!(
            check_upstream_url("http://[::1]:9000").expect("ok"),
            "http://[::1]:9000"
        );
        assert_eq!(
            check_upstream_url("http://127.0.0.1:1/a%20b").expect("ok"),
            "http://127.0.0.1:1/a%20b"
        );
        for bad in [
            "",
            "ftp://x.example.com",
            "tiles.example.com",
            "https://user:pw@x.example.com",
            "https://x.example.com/?key=1",
            "https://x.example.com/#f",
            "https://x.example.com:0/",
            "https://x.example.com:99999/",
            "https://x.example.com:ab/",
            "https:///path",
            "https://x.example.com/a b",
            "https://x.example.com/a\\b",
            "https://x.example.com/a/../b",
            "http://[::1/",
            "http://::1/",
        ] {
            assert!(check_upstream_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dot_segments_and_backslashes_never_reach_the_upstream() {
        for ok in ["", "/", "/rest/info", "/a.b/..c/.d", "/%2e%2ex"] {
            assert!(check_path_suffix(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/..",
            "/../x",
            "/a/./b",
            "/%2e%2e/x",
            "/%2E./x",
            "/.%2e",
            "/a\\..",
            "/a%5cb",
            "/a%2F..%2Fb",
        ] {
            assert!(check_path_suffix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_change_applies_whole_or_not_at_all() {
        let changes = ProxyChanges {
            enabled: Some(true),
            timeout_seconds: Some(0),
            rate_limit_per_key: Some(Some(5)),
            upstream_headers: Some(json!({"X-Api-Key": "s3cret", "Host": "evil", "Bad Name": "x"})),
            allowed_referrers: Some(vec!["*".into(), "https://app.example.com".into()]),
            max_body_bytes: Some(-1),
            ..Default::default()
        };
        let error = apply_changes(
            &item(),
            &UpstreamSecrets::default(),
            &changes,
            Some("https://up.example.com"),
            5,
        )
        .expect_err("refused");
        let details = details(error);
        assert_eq!(details.len(), 5, "{details:?}");
        assert!(
            details.iter().all(|d| !d.contains("s3cret")),
            "values are never echoed"
        );
    }

    #[test]
    fn enabling_an_item_copies_its_url_and_keeps_names_of_credentials() {
        let changes = ProxyChanges {
            enabled: Some(true),
            upstream_headers: Some(json!({"X-Api-Key": "s3cret"})),
            upstream_query: Some(json!({"key": "v", "n": 3})),
            allowed_referrers: Some(vec![
                "https://app.example.com".into(),
                "https://app.example.com".into(),
            ]),
            rate_limit_per_key: Some(Some(10)),
            ..Default::default()
        };
        let (settings, secrets) = apply_changes(
            &item(),
            &UpstreamSecrets::default(),
            &changes,
            Some("https://up.example.com/svc/"),
            9,
        )
        .expect("applied");
        assert!(settings.enabled);
        assert_eq!(settings.url, "https://up.example.com/svc");
        assert_eq!(settings.header_names, ["X-Api-Key"]);
        assert_eq!(settings.query_names, ["key", "n"]);
        assert_eq!(settings.allowed_referrers.len(), 1);
        assert_eq!(settings.rate_limit_per_key, Some(10));
        assert_eq!(settings.modified, 9);
        assert_eq!(
            secrets.query,
            vec![("key".into(), "v".into()), ("n".into(), "3".into())]
        );
        let shown = format!("{secrets:?}");
        assert!(shown.contains("X-Api-Key") && !shown.contains("s3cret"));

        // The item's URL changed: kept credentials are not sent there.
        let moved = apply_changes(
            &settings,
            &secrets,
            &ProxyChanges::default(),
            Some("https://elsewhere.example.com"),
            10,
        );
        assert!(moved.is_err());
        let resent = ProxyChanges {
            upstream_headers: Some(json!({})),
            upstream_query: Some(json!({})),
            ..Default::default()
        };
        let (moved, cleared) = apply_changes(
            &settings,
            &secrets,
            &resent,
            Some("https://elsewhere.example.com"),
            10,
        )
        .expect("credentials cleared");
        assert_eq!(moved.url, "https://elsewhere.example.com");
        assert!(cleared.is_empty() && moved.header_names.is_empty());
    }

    #[test]
    fn items_need_an_http_url_to_be_enabled() {
        let enable = ProxyChanges {
            enabled: Some(true),
            ..Default::default()
        };
        assert!(apply_changes(&item(), &Default::default(), &enable, Some(""), 1).is_err());
        assert!(
            apply_changes(&item(), &Default::default(), &enable, Some("file:///x"), 1).is_err()
        );
        let disabled = ProxyChanges {
            enabled: Some(false),
            timeout_seconds: Some(5),
            ..Default::default()
        };
        let (settings, _) = apply_changes(&item(), &Default::default(), &disabled, Some(""), 1)
            .expect("a disabled item may have no url");
        assert_eq!(settings.timeout_seconds, 5);
        let with_url = ProxyChanges {
            url: Some("https://x.example.com".into()),
            ..Default::default()
        };
        assert!(apply_changes(&item(), &Default::default(), &with_url, Some(""), 1).is_err());
    }

    #[test]
    fn location_services_take_the_catalog_privilege_unless_given() {
        let geocode = ProxySettings::new(ProxyTarget::service("GeoCode").expect("name"), 1);
        assert_eq!(geocode.target.name(), "geocode");
        let changes = ProxyChanges {
            enabled: Some(true),
            url: Some("http://127.0.0.1:9/geocode".into()),
            ..Default::default()
        };
        let (settings, _) =
            apply_changes(&geocode, &Default::default(), &changes, None, 1).expect("ok");
        assert_eq!(
            settings.required_privileges()[0],
            "premium:user:geocode:temporary"
        );
        let custom = ProxySettings::new(ProxyTarget::service("weather").expect("name"), 1);
        assert!(apply_changes(&custom, &Default::default(), &changes, None, 1).is_err());
        let with_privilege = ProxyChanges {
            privilege: Some(Some("premium:user:elevation".into())),
            ..changes.clone()
        };
        let (settings, _) =
            apply_changes(&custom, &Default::default(), &with_privilege, None, 1).expect("ok");
        assert_eq!(settings.required_privileges(), ["premium:user:elevation"]);
        let unknown = ProxyChanges {
            privilege: Some(Some("premium:user:teleport".into())),
            ..changes
        };
        assert!(apply_changes(&custom, &Default::default(), &unknown, None, 1).is_err());
        assert!(ProxyTarget::service("bad name").is_err());
    }

    #[test]
    fn targets_round_trip_through_subjects_and_parts() {
        for target in [
            ProxyTarget::Item("b".repeat(32)),
            ProxyTarget::Service("geocode".into()),
        ] {
            let subject = target.subject();
            let rest = subject.strip_prefix("proxy:").expect("prefix");
            assert_eq!(ProxyTarget::from_subject(rest), Some(target.clone()));
            assert_eq!(
                ProxyTarget::from_parts(target.kind(), target.name()),
                Some(target)
            );
        }
        assert_eq!(ProxyTarget::from_subject("nonsense"), None);
        assert!(ProxyTarget::item("xyz").is_err());
    }
}
