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

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ORIGIN, REFERER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keyportal_domain::referrer::UNREADABLE_REFERER;
use keyportal_service::{Portal, Verdict, VerifyRequest};
use serde_json::json;

use crate::wire::ArcgisRequest;
use crate::AppState;

mod query;

use query::VerifyQuery;

// Named once, so reading the headers does not parse the names on every request.
const ESRI_AUTHORIZATION_HEADER: HeaderName = HeaderName::from_static("x-esri-authorization");
const ORIGINAL_URI_HEADER: HeaderName = HeaderName::from_static("x-original-uri");

pub fn routes() -> Router<AppState> {
    Router::new().route("/verify", get(verify_get).post(verify_post))
}

/// The `Bearer` token of an `Authorization`-style header value.
fn bearer(value: Option<&str>) -> Option<&str> {
    let (scheme, token) = value?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The request headers `/verify` reads, borrowed from whichever parser read the request (the
/// router's `HeaderMap` or the connection front's raw head). Absent, blank and non-ASCII values
/// are all `None`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct VerifyHeaders<'h> {
    pub authorization: Option<&'h str>,
    pub esri_authorization: Option<&'h str>,
    pub referer: Option<&'h str>,
    pub origin: Option<&'h str>,
    /// nginx's `X-Original-URI`: the request line `auth_request` is deciding about.
    pub original_uri: Option<&'h str>,
    /// `X-Request-Id`, when sane (echoed in the answer; the front makes one otherwise).
    pub request_id: Option<&'h str>,
}

impl<'h> VerifyHeaders<'h> {
    /// Files one header under its field, if `/verify` reads it; the first of repeated ones wins.
    pub fn take(&mut self, name: &[u8], value: &'h [u8]) {
        let read: fn(&[u8]) -> Option<&str> = header_text;
        let (field, read) = match name.len() {
            13 if name.eq_ignore_ascii_case(b"authorization") => (&mut self.authorization, read),
            20 if name.eq_ignore_ascii_case(b"x-esri-authorization") => {
                (&mut self.esri_authorization, read)
            }
            7 if name.eq_ignore_ascii_case(b"referer") => (&mut self.referer, referer_text as _),
            6 if name.eq_ignore_ascii_case(b"origin") => (&mut self.origin, read),
            14 if name.eq_ignore_ascii_case(b"x-original-uri") => (&mut self.original_uri, read),
            12 if name.eq_ignore_ascii_case(b"x-request-id") => {
                (&mut self.request_id, crate::request_id::sane as _)
            }
            _ => return,
        };
        if field.is_none() {
            *field = read(value);
        }
    }

    pub fn from_map(headers: &'h HeaderMap) -> VerifyHeaders<'h> {
        let text = |name: &HeaderName| headers.get(name).and_then(|v| header_text(v.as_bytes()));
        VerifyHeaders {
            authorization: text(&AUTHORIZATION),
            esri_authorization: text(&ESRI_AUTHORIZATION_HEADER),
            referer: headers
                .get(REFERER)
                .and_then(|v| referer_text(v.as_bytes())),
            origin: text(&ORIGIN),
            original_uri: text(&ORIGINAL_URI_HEADER),
            request_id: headers
                .get(crate::request_id::HEADER)
                .and_then(|v| crate::request_id::sane(v.as_bytes())),
        }
    }

    /// nginx passes the original request line in `X-Original-URI`; a key sent as `?token=`
    /// there is found too.
    fn token_from_original_uri(&self) -> Option<Cow<'h, str>> {
        let query = self.original_uri?.split_once('?')?.1;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v)
    }
}

/// The `Referer` as read: blank is absent; present but unreadable is [`UNREADABLE_REFERER`],
/// which matches no referrer pattern, so `Origin` never stands in for it.
fn referer_text(value: &[u8]) -> Option<&str> {
    if value.trim_ascii().is_empty() {
        return None;
    }
    Some(header_text(value).unwrap_or(UNREADABLE_REFERER))
}

/// A header value as text: visible ASCII, spaces and tabs only (what `HeaderValue::to_str`
/// accepts), and not blank.
fn header_text(value: &[u8]) -> Option<&str> {
    // `fold` rather than `all`: no early exit, so the check runs over whole vectors.
    let visible = value.iter().fold(true, |ok, &b| {
        ok & ((0x20..0x7f).contains(&b) | (b == b'\t'))
    });
    if value.is_empty() || !visible {
        return None;
    }
    std::str::from_utf8(value).ok()
}

/// Decides a `GET /verify` from its query string and headers. The key is taken from `token=`,
/// then `X-Esri-Authorization: Bearer`, `Authorization: Bearer`, and `X-Original-URI`'s query.
pub fn decide(portal: &Portal, query: &str, headers: &VerifyHeaders<'_>) -> Outcome {
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
        service: query.service.text(),
        privilege: query.privilege.text(),
        item: query.item.text(),
    };
    portal.verify(&request)
}

/// Answers `GET /verify` from the request's URI and headers.
fn answer(portal: &Portal, uri: &Uri, headers: &HeaderMap) -> Response {
    let outcome = decide(
        portal,
        uri.query().unwrap_or(""),
        &VerifyHeaders::from_map(headers),
    );
    respond(&outcome)
}

async fn verify_get(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    answer(&state.portal, &uri, &headers)
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
    fn bearer_tokens_need_the_scheme() {
        assert_eq!(bearer(Some("Bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn headers_read_the_same_from_a_map_and_from_raw_bytes() {
        let mut map = HeaderMap::new();
        map.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        map.append(AUTHORIZATION, HeaderValue::from_static("Bearer second"));
        map.insert(REFERER, HeaderValue::from_static("https://a.example.com/"));
        map.insert("x-original-uri", HeaderValue::from_static("/x?token=t"));
        map.insert(ORIGIN, HeaderValue::from_static(""));
        let mut raw = VerifyHeaders::default();
        raw.take(b"Authorization", b"Bearer abc");
        raw.take(b"AUTHORIZATION", b"Bearer second");
        raw.take(b"referer", b"https://a.example.com/");
        raw.take(b"X-Original-URI", b"/x?token=t");
        raw.take(b"Origin", b"");
        raw.take(b"X-Other", b"ignored");
        assert_eq!(VerifyHeaders::from_map(&map), raw);
        assert_eq!(raw.authorization, Some("Bearer abc"), "the first one wins");
        assert_eq!(raw.origin, None, "blank is absent");
        assert_eq!(raw.token_from_original_uri().as_deref(), Some("t"));
        let mut odd = VerifyHeaders::default();
        odd.take(b"authorization", "Bearer ü".as_bytes());
        assert_eq!(odd.authorization, None, "non-ASCII values are not read");
        // An unreadable Referer is not absent: it stays, and matches nothing.
        odd.take(b"referer", "https://ü.example.com/".as_bytes());
        odd.take(b"origin", b"https://a.example.com");
        assert_eq!(odd.referer, Some(UNREADABLE_REFERER));
        let mut map = HeaderMap::new();
        map.insert(
            REFERER,
            HeaderValue::from_bytes("https://ü.example.com/".as_bytes()).unwrap(),
        );
        assert_eq!(
            VerifyHeaders::from_map(&map).referer,
            Some(UNREADABLE_REFERER)
        );
        let mut blank = VerifyHeaders::default();
        blank.take(b"referer", b"  ");
        assert_eq!(blank.referer, None, "a blank Referer is absent");
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
