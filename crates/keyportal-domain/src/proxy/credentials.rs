//! Reading upstream credentials (`upstreamHeaders`, `upstreamQuery`): names checked, values
//! never echoed in problems.

use serde_json::Value;

use crate::ids::shorten;

use super::settings::{MAX_UPSTREAM_ENTRIES, MAX_UPSTREAM_VALUE_LEN};

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
pub(super) fn parse_headers(value: &Value, problems: &mut Vec<String>) -> Vec<(String, String)> {
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
pub(super) fn parse_query(value: &Value, problems: &mut Vec<String>) -> Vec<(String, String)> {
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
