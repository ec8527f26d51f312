//! `/verify`: the in-memory key decision for services that sit elsewhere, usable as an nginx
//! `auth_request` target. Real HTTP statuses (not the Sharing envelope): 200 allowed,
//! 401 no or invalid key, 403 valid key without the privilege, 429 over a limit, 400 bad input.
//!
//! `GET /verify` is the hot path behind a busy nginx, so [`answer`] reads only the query and
//! a few headers, borrowing them, and writes the answer by hand; the server calls it before
//! the router and its layers (no CORS: `/verify` is for servers, not browsers). `POST
//! /verify` (a form body) goes through the generic request extractor.

use std::borrow::Cow;
use std::fmt::Write;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ORIGIN, REFERER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keyportal_service::{Portal, Verdict, VerifyRequest};
use serde_json::json;

use crate::wire::ArcgisRequest;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/verify", get(verify_get).post(verify_post))
}

/// The query parameters `/verify` reads: the last value of each name (any case), trimmed,
/// blank meaning absent — as the Sharing API reads parameters.
#[derive(Default)]
struct VerifyQuery<'q> {
    token: Option<Cow<'q, str>>,
    service: Option<Cow<'q, str>>,
    privilege: Option<Cow<'q, str>>,
    item: Option<Cow<'q, str>>,
}

impl<'q> VerifyQuery<'q> {
    fn parse(query: &'q str) -> VerifyQuery<'q> {
        let mut found = VerifyQuery::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = if name.eq_ignore_ascii_case("token") {
                &mut found.token
            } else if name.eq_ignore_ascii_case("service") {
                &mut found.service
            } else if name.eq_ignore_ascii_case("privilege") {
                &mut found.privilege
            } else if name.eq_ignore_ascii_case("item") {
                &mut found.item
            } else {
                continue;
            };
            *slot = Some(value);
        }
        found
    }
}

fn text<'a>(value: &'a Option<Cow<'_, str>>) -> Option<&'a str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn bearer<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn header_text(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// nginx passes the original request line in `X-Original-URI`; a key sent as `?token=` there
/// is found too.
fn token_from_original_uri(headers: &HeaderMap) -> Option<Cow<'_, str>> {
    let uri = headers.get("x-original-uri")?.to_str().ok()?;
    let query = uri.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
}

/// Answers `GET /verify` from the request's URI and headers. The key is taken from `token=`,
/// then `X-Esri-Authorization: Bearer`, `Authorization: Bearer`, and `X-Original-URI`'s query.
pub fn answer(portal: &Portal, uri: &Uri, headers: &HeaderMap) -> Response {
    let query = VerifyQuery::parse(uri.query().unwrap_or(""));
    let from_original;
    let token = match text(&query.token)
        .or_else(|| bearer(headers, "x-esri-authorization"))
        .or_else(|| bearer(headers, AUTHORIZATION.as_str()))
    {
        Some(token) => Some(token),
        None => {
            from_original = token_from_original_uri(headers);
            text(&from_original)
        }
    };
    let request = VerifyRequest {
        token,
        referer: header_text(headers, REFERER).or_else(|| header_text(headers, ORIGIN)),
        service: text(&query.service),
        privilege: text(&query.privilege),
        item: text(&query.item),
    };
    respond(portal.verify(&request))
}

async fn verify_get(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    answer(&state.portal, &uri, &headers)
}

async fn verify_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: ArcgisRequest,
) -> Response {
    let from_original = token_from_original_uri(&headers);
    let token = request.token.as_deref().or(from_original.as_deref());
    let p = &request.params;
    let verify = VerifyRequest {
        token,
        referer: request.facts.referer.as_deref(),
        service: p.text("service"),
        privilege: p.text("privilege"),
        item: p.text("item"),
    };
    respond(state.portal.verify(&verify))
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

// Named once, so answering does not parse the names on every request.
const CLIENT_ID_HEADER: HeaderName = HeaderName::from_static("x-keyportal-client-id");
const OWNER_HEADER: HeaderName = HeaderName::from_static("x-keyportal-owner");
const REASON_HEADER: HeaderName = HeaderName::from_static("x-keyportal-reason");

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

fn allowed(key: &keyportal_service::Resolved) -> Response {
    let grant = &key.grant;
    // One allocation for the body; the same fields `serde_json` would write, in this order.
    let mut body = String::with_capacity(160 + grant.owner.len());
    body.push_str("{\"allowed\":true,\"clientId\":");
    push_json_string(&mut body, &grant.client_id);
    body.push_str(",\"itemId\":");
    push_json_string(&mut body, &grant.item_id);
    body.push_str(",\"owner\":");
    push_json_string(&mut body, &grant.owner);
    body.push_str(",\"slot\":");
    // Writing numbers into a String cannot fail.
    let _ = write!(
        body,
        "{},\"expires\":{}",
        grant.kind.slot_number(),
        grant.expires
    );
    body.push('}');
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CLIENT_ID_HEADER, header_value(&grant.client_id));
    h.insert(OWNER_HEADER, header_value(&grant.owner));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn respond(verdict: Result<Verdict, keyportal_service::ServiceError>) -> Response {
    match verdict {
        Ok(Verdict::Allowed(key)) => allowed(&key),
        Ok(Verdict::Limited(limited)) => {
            let mut response = deny(
                StatusCode::TOO_MANY_REQUESTS,
                limited.reason.as_str(),
                "The credential's rate limit or quota was reached.",
                &[],
            );
            let seconds = (limited.retry_after_ms + 999) / 1000;
            response
                .headers_mut()
                .insert("retry-after", header_value(&seconds.to_string()));
            response
        }
        Ok(Verdict::Missing) => deny(
            StatusCode::UNAUTHORIZED,
            "missing",
            "No API key was sent.",
            &[],
        ),
        Ok(Verdict::Invalid(denial)) => deny(
            StatusCode::UNAUTHORIZED,
            denial.reason(),
            "The API key is not valid here.",
            &[],
        ),
        Ok(Verdict::Forbidden { reason, needed }) => deny(
            StatusCode::FORBIDDEN,
            reason,
            "The API key does not allow this.",
            &needed,
        ),
        Err(error) => {
            let envelope = crate::wire::ApiError(error).to_envelope();
            (StatusCode::BAD_REQUEST, Json(json!({ "allowed": false, "reason": "bad_request", "error": envelope["error"] })))
                .into_response()
        }
    }
}

fn deny(status: StatusCode, reason: &str, message: &str, needed: &[String]) -> Response {
    let mut response = (
        status,
        Json(json!({ "allowed": false, "reason": reason, "message": message, "needed": needed })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(REASON_HEADER, header_value(reason));
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
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
    fn the_query_keeps_the_last_value_of_each_name_in_any_case() {
        let q =
            VerifyQuery::parse("Service=a&token=x&service=geo%20code&ITEM=&privilege=+p+&other=1");
        assert_eq!(text(&q.service), Some("geo code"));
        assert_eq!(text(&q.token), Some("x"));
        assert_eq!(text(&q.item), None, "blank is absent");
        assert_eq!(text(&q.privilege), Some("p"));
        let empty = VerifyQuery::parse("");
        assert!(empty.token.is_none() && empty.service.is_none());
    }

    #[test]
    fn bearer_tokens_need_the_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer  abc "));
        headers.insert(
            "x-esri-authorization",
            HeaderValue::from_static("Basic abc"),
        );
        assert_eq!(bearer(&headers, "authorization"), Some("abc"));
        assert_eq!(bearer(&headers, "x-esri-authorization"), None);
    }
}
