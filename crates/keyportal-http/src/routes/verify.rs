//! `/verify`: the in-memory key decision for services that sit elsewhere, usable as an nginx
//! `auth_request` target. Real HTTP statuses (not the Sharing envelope): 200 allowed,
//! 401 no or invalid key, 403 valid key without the privilege, 429 over a limit, 400 bad input.
//!
//! `GET /verify` is the hot path behind a busy nginx: [`decide`] reads only the query and a
//! few headers, borrowed ([`VerifyHeaders`]), and [`render`] writes the answer by hand. Over
//! HTTP/1 the connection front (`crate::fast_verify`) calls both before hyper and the router
//! (no CORS: `/verify` is for servers, not browsers); the routes here serve `POST /verify` (a
//! form body, through the generic request extractor) and `GET` on a connection the front has
//! handed over, with the same answer.

use std::borrow::Cow;
use std::fmt::Write;

use std::net::IpAddr;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keyportal_service::{Portal, Verdict, VerifyRequest};
use serde_json::json;

use crate::client_address::ClientIp;
use crate::wire::ArcgisRequest;
use crate::AppState;

mod headers;
mod query;

use headers::bearer;
pub use headers::VerifyHeaders;
use query::VerifyQuery;

pub fn routes() -> Router<AppState> {
    Router::new().route("/verify", get(verify_get).post(verify_post))
}

/// Decides a `GET /verify` from its query string, headers and the connection's peer. The key
/// is taken from `token=`, then `X-Esri-Authorization: Bearer`, `Authorization: Bearer`, and
/// `X-Original-URI`'s query; the client address is the peer's, or behind a trusted proxy
/// what it forwards.
pub fn decide(
    portal: &Portal,
    query: &str,
    headers: &VerifyHeaders<'_>,
    peer: Option<IpAddr>,
) -> Outcome {
    let query = VerifyQuery::parse(query);
    let from_original;
    let token = match query
        .token
        .text()
        .or_else(|| bearer(headers.esri_authorization))
        .or_else(|| bearer(headers.authorization))
    {
        Some(token) => Some(token),
        None => {
            from_original = headers.token_from_original_uri();
            from_original
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
        }
    };
    let request = VerifyRequest {
        token,
        referer: headers.referer.or(headers.origin),
        address: headers.client_address(peer, &portal.settings().trusted_proxies),
        service: query.service.text(),
        privilege: query.privilege.text(),
        item: query.item.text(),
    };
    portal.verify(&request)
}

/// Answers `GET /verify` from the request's URI, headers and peer.
fn answer(portal: &Portal, uri: &Uri, headers: &HeaderMap, peer: Option<IpAddr>) -> Response {
    let outcome = decide(
        portal,
        uri.query().unwrap_or(""),
        &VerifyHeaders::from_map(headers),
        peer,
    );
    respond(&outcome)
}

async fn verify_get(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    ClientIp(client): ClientIp,
) -> Response {
    answer(&state.portal, &uri, &headers, client)
}

async fn verify_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: ArcgisRequest,
) -> Response {
    let from_original = VerifyHeaders::from_map(&headers).token_from_original_uri();
    let token = request.token.as_deref().or(from_original.as_deref());
    let p = &request.params;
    let verify = VerifyRequest {
        token,
        referer: request.facts.referer.as_deref(),
        address: request
            .facts
            .client_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok()),
        service: p.text("service"),
        privilege: p.text("privilege"),
        item: p.text("item"),
    };
    respond(&state.portal.verify(&verify))
}

/// What the key check decided.
pub type Outcome = Result<Verdict, keyportal_service::ServiceError>;

/// An answer before it is written out: as an axum response by [`respond`] (`POST /verify`,
/// `GET` after a hand-over) or as raw HTTP/1.1 by the connection front (`crate::fast_verify`).
/// Every answer is JSON with `Cache-Control: no-store`; these are the headers that vary.
pub struct Answer<'o> {
    pub status: StatusCode,
    /// Client id and owner when allowed; the reason (and the retry time) when not. Values are
    /// visible ASCII, so either writer may copy them as they are.
    pub headers: [Option<(&'static str, Cow<'o, str>)>; 2],
}

/// Writes the JSON body of `outcome` into `body` (cleared first) and returns the rest.
pub fn render<'o>(outcome: &'o Outcome, body: &mut String) -> Answer<'o> {
    body.clear();
    match outcome {
        Ok(Verdict::Allowed(key)) => {
            let grant = &key.grant;
            body.push_str("{\"allowed\":true,\"clientId\":");
            push_json_string(body, grant.client_id());
            body.push_str(",\"itemId\":");
            push_json_string(body, grant.item().spell(&mut [0u8; 32]));
            body.push_str(",\"owner\":");
            push_json_string(body, grant.owner());
            let mut number = itoa::Buffer::new();
            body.push_str(",\"slot\":");
            body.push_str(number.format(grant.kind.slot_number()));
            body.push_str(",\"expires\":");
            body.push_str(number.format(grant.expires()));
            body.push('}');
            Answer {
                status: StatusCode::OK,
                headers: [
                    Some(("x-keyportal-client-id", header_safe(grant.client_id()))),
                    Some(("x-keyportal-owner", header_safe(grant.owner()))),
                ],
            }
        }
        Ok(Verdict::Limited(limited)) => {
            let reason = limited.reason.as_str();
            refusal(
                body,
                reason,
                "The credential's rate limit or quota was reached.",
                &[],
            );
            let seconds = (limited.retry_after_ms + 999) / 1000;
            Answer {
                status: StatusCode::TOO_MANY_REQUESTS,
                headers: [
                    Some(("x-keyportal-reason", header_safe(reason))),
                    Some(("retry-after", Cow::Owned(seconds.to_string()))),
                ],
            }
        }
        Ok(Verdict::Missing) => refused(
            body,
            StatusCode::UNAUTHORIZED,
            "missing",
            "No API key was sent.",
            &[],
        ),
        Ok(Verdict::Invalid(denial)) => refused(
            body,
            StatusCode::UNAUTHORIZED,
            denial.reason(),
            "The API key is not valid here.",
            &[],
        ),
        Ok(Verdict::Forbidden { reason, needed }) => refused(
            body,
            StatusCode::FORBIDDEN,
            reason,
            "The API key does not allow this.",
            needed,
        ),
        Err(error) => {
            let envelope = crate::wire::error_envelope(error);
            let json =
                json!({ "allowed": false, "reason": "bad_request", "error": envelope["error"] });
            body.push_str(&json.to_string());
            Answer {
                status: StatusCode::BAD_REQUEST,
                headers: [None, None],
            }
        }
    }
}

/// A refusal: its body, and its reason in a header too (nginx can pass it on).
fn refused<'o>(
    body: &mut String,
    status: StatusCode,
    reason: &'o str,
    message: &str,
    needed: &[String],
) -> Answer<'o> {
    refusal(body, reason, message, needed);
    Answer {
        status,
        headers: [Some(("x-keyportal-reason", header_safe(reason))), None],
    }
}

/// `{"allowed":false,"message":…,"needed":[…],"reason":…}`: keys in the order `serde_json`
/// writes them, so the body reads the same whichever path answered.
fn refusal(body: &mut String, reason: &str, message: &str, needed: &[String]) {
    body.push_str("{\"allowed\":false,\"message\":");
    push_json_string(body, message);
    body.push_str(",\"needed\":[");
    for (at, name) in needed.iter().enumerate() {
        if at > 0 {
            body.push(',');
        }
        push_json_string(body, name);
    }
    body.push_str("],\"reason\":");
    push_json_string(body, reason);
    body.push('}');
}

/// Header values must be visible ASCII (a line break would end the header); anything else is
/// sent as `invalid`.
fn header_safe(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
    {
        Cow::Borrowed(text)
    } else {
        Cow::Borrowed("invalid")
    }
}

/// Appends `value` as a JSON string (quotes included).
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    // Client ids, item ids and usernames almost never need escaping: copy them whole.
    if !value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(value);
        out.push('"');
        return;
    }
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The answer as an axum response.
pub fn respond(outcome: &Outcome) -> Response {
    let mut body = String::with_capacity(192);
    let answer = render(outcome, &mut body);
    let mut response = (answer.status, body).into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in answer.headers.iter().flatten() {
        if let Ok(value) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_read_back_as_the_same_text() {
        for value in ["admin", "a\"b\\c", "tab\there", "line\nbreak", "é ü \u{1}"] {
            let mut out = String::new();
            push_json_string(&mut out, value);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), value);
        }
    }

    #[test]
    fn refusals_and_header_values_are_safe_to_write() {
        assert_eq!(header_safe("alice"), "alice");
        assert_eq!(header_safe("a\r\nx-injected: 1"), "invalid");
        assert_eq!(header_safe("ü"), "invalid");
        let mut body = String::new();
        refusal(
            &mut body,
            "privilege",
            "No \"quote\".",
            &["a".into(), "b\\c".into()],
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parsed,
            json!({"allowed": false, "message": "No \"quote\".", "needed": ["a", "b\\c"], "reason": "privilege"})
        );
        assert_eq!(body, parsed.to_string(), "the same bytes serde_json writes");
    }
}
