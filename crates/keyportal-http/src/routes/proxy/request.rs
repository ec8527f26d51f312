//! What goes upstream: the caller's token found (and removed), the upstream URL, query and
//! headers built from the caller's request and the target's settings.

use axum::body::Bytes;
use axum::http::header::{
    HeaderName, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, EXPECT, HOST,
};
use axum::http::{HeaderMap, HeaderValue};
use keyportal_service::ProxyEntry;

/// Urlencoded bodies up to this size are read to find (and remove) a `token` field.
pub(super) const SMALL_FORM_BYTES: usize = 64 * 1024;

/// Headers that describe one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

pub(super) fn header_text(
    headers: &HeaderMap,
    name: impl axum::http::header::AsHeaderName,
) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

pub(super) fn bearer(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = header_text(headers, name)?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

pub(super) fn content_length(headers: &HeaderMap) -> Option<u64> {
    header_text(headers, CONTENT_LENGTH).and_then(|v| v.parse().ok())
}

pub(super) fn is_small_form(headers: &HeaderMap) -> bool {
    let form = header_text(headers, CONTENT_TYPE).is_some_and(|ct| {
        ct.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    form && content_length(headers).is_some_and(|n| n <= SMALL_FORM_BYTES as u64)
}

/// The `token` of a urlencoded body, and the body without it (unchanged when it has none).
pub(super) fn take_form_token(body: Bytes) -> (Option<String>, Bytes) {
    let has_token = form_urlencoded::parse(&body).any(|(k, _)| k == "token");
    if !has_token {
        return (None, body);
    }
    let mut token = None;
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(&body) {
        if k == "token" {
            token = Some(v.into_owned()).filter(|t| !t.is_empty());
        } else {
            rest.append_pair(&k, &v);
        }
    }
    (token, Bytes::from(rest.finish()))
}

/// The caller's query without `token` and without the names the upstream credentials set
/// (their sealed values win), followed by the upstream credentials' parameters.
pub(super) fn upstream_query(client_query: &str, entry: &ProxyEntry) -> String {
    let secret_names: Vec<&str> = entry
        .upstream_query()
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    let mut parts: Vec<String> = client_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = form_urlencoded::parse(pair.as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default();
            name != "token" && !secret_names.contains(&name.as_str())
        })
        .map(str::to_string)
        .collect();
    let mut added = form_urlencoded::Serializer::new(String::new());
    for (name, value) in entry.upstream_query() {
        added.append_pair(name, value);
    }
    let added = added.finish();
    if !added.is_empty() {
        parts.push(added);
    }
    parts.join("&")
}

/// The upstream URL: the base, the request's path suffix and the query. It must stay on the
/// base's origin and under its path (suffixes were checked for dot segments; this is the
/// second lock).
pub(super) fn upstream_url(entry: &ProxyEntry, suffix: &str, query: &str) -> Option<reqwest::Url> {
    let base = reqwest::Url::parse(&entry.settings.url).ok()?;
    let mut text = format!("{}{suffix}", entry.settings.url);
    if !query.is_empty() {
        text.push('?');
        text.push_str(query);
    }
    let url = reqwest::Url::parse(&text).ok()?;
    let base_path = base.path().trim_end_matches('/');
    let same_origin = url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default();
    let under = url.path() == base_path
        || url.path() == base.path()
        || url.path().starts_with(&format!("{base_path}/"));
    (same_origin && under).then_some(url)
}

pub(super) fn is_hop_by_hop(name: &HeaderName, connection_listed: &[String]) -> bool {
    let name = name.as_str();
    HOP_BY_HOP.contains(&name) || connection_listed.iter().any(|n| n == name)
}

/// Names listed in `Connection` (they are hop-by-hop too).
pub(super) fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect()
}

/// The caller's safe headers, then the upstream credentials' (replacing same-named ones).
pub(super) fn upstream_headers(
    headers: &HeaderMap,
    entry: &ProxyEntry,
    keep_length: bool,
    client_ip: Option<&str>,
) -> HeaderMap {
    let listed = connection_listed(headers);
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let drop = is_hop_by_hop(name, &listed)
            || name == AUTHORIZATION
            || name == COOKIE
            || name == HOST
            || name == EXPECT
            || name.as_str() == "x-esri-authorization"
            || name.as_str() == "x-forwarded-for"
            || (name == CONTENT_LENGTH && !keep_length);
        if !drop {
            out.append(name.clone(), value.clone());
        }
    }
    let forwarded = match (header_text(headers, "x-forwarded-for"), client_ip) {
        (Some(earlier), Some(ip)) => Some(format!("{earlier}, {ip}")),
        (None, Some(ip)) => Some(ip.to_string()),
        (earlier, None) => earlier,
    };
    if let Some(value) = forwarded.and_then(|f| HeaderValue::from_str(&f).ok()) {
        out.insert("x-forwarded-for", value);
    }
    for (name, value) in entry.upstream_headers() {
        // Validated when saved; a pair that does not convert is skipped, never logged.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            let mut value = value;
            value.set_sensitive(true);
            out.insert(name, value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_are_taken_out_and_other_fields_kept() {
        let (token, rest) = take_form_token(Bytes::from_static(b"f=json&token=abc&where=1%3D1"));
        assert_eq!(token.as_deref(), Some("abc"));
        assert_eq!(&rest[..], b"f=json&where=1%3D1");
        let original = Bytes::from_static(b"f=json&where=1%3D1");
        let (token, rest) = take_form_token(original.clone());
        assert!(token.is_none());
        assert_eq!(rest, original, "bodies without a token pass unchanged");
    }

    #[test]
    fn hop_by_hop_and_connection_listed_headers_are_recognised() {
        let mut headers = HeaderMap::new();
        headers.insert(CONNECTION, HeaderValue::from_static("close, X-Private"));
        let listed = connection_listed(&headers);
        assert!(is_hop_by_hop(
            &HeaderName::from_static("x-private"),
            &listed
        ));
        assert!(is_hop_by_hop(
            &HeaderName::from_static("transfer-encoding"),
            &listed
        ));
        assert!(!is_hop_by_hop(
            &HeaderName::from_static("content-type"),
            &listed
        ));
    }
}
