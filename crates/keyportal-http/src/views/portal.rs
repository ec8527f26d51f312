//! `portals/self` (spec §4.1): the organization as clients see it.

use keyportal_domain::org::Org;
use serde_json::{json, Value};

/// The API version reported everywhere; the Python client needs at least 2025.1.
pub const CURRENT_VERSION: &str = "2025.1";

pub fn portal_self_json(
    org: &Org,
    portal_name: &str,
    host: &str,
    https: bool,
    user: Option<Value>,
) -> Value {
    let (hostname, port) = split_host(host);
    let mut value = json!({
        "id": org.id,
        "name": org.name,
        "portalName": portal_name,
        "isPortal": true,
        "portalMode": "singletenant",
        "currentVersion": CURRENT_VERSION,
        "allSSL": https,
        "urlKey": null,
        "customBaseUrl": null,
        "portalHostname": host,
        "httpPort": if https { 80 } else { port.unwrap_or(80) },
        "httpsPort": if https { port.unwrap_or(443) } else { 443 },
        "supportsOAuth": true,
        "maxTokenExpirationMinutes": keyportal_domain::token::MAX_TOKEN_MINUTES,
        "authorizedCrossOriginDomains": [],
        "authorizedCrossOriginNoCorsDomains": [],
        "created": org.created,
        "culture": "en",
        "region": "WO",
        "units": "metric",
        "access": "private",
        "canSearchPublic": true,
        "canSharePublic": true,
        "helperServices": {},
        "subscriptionInfo": { "type": "Enterprise" },
        "hostname": hostname,
    });
    if let Some(user) = user {
        value["user"] = user;
    }
    value
}

fn split_host(host: &str) -> (&str, Option<u16>) {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(']') || host.starts_with('[') => match port.parse() {
            Ok(p) => (name, Some(p)),
            Err(_) => (host, None),
        },
        _ => (host, None),
    }
}
