//! The request log: method, path, status and time of every request hyper serves. Never the
//! query (it carries tokens), and never anything in the path shaped like a key or a token —
//! clients do send them there, e.g. `/verify%3Ftoken=AAPT…` with a mis-encoded `?`.

use std::borrow::Cow;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::request_id;

/// What a secret is replaced with in the log.
pub const REDACTED: &str = "[redacted]";
/// A run of token characters this long is a secret whatever it starts with: user tokens and
/// OAuth codes are 43 characters, API keys 60; ids in paths (items, groups) are 32.
const SECRET_RUN: usize = 40;

/// The route template that answered a request (`/sharing/rest/content/items/{id}`), put on
/// the answer by [`remember_route`] so the log can name it without the raw path's ids.
#[derive(Clone)]
pub struct RouteTemplate(MatchedPath);

impl RouteTemplate {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Route layer: copies the matched route's template onto the answer.
pub async fn remember_route(request: Request, next: Next) -> Response {
    let template = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(template) = template {
        response.extensions_mut().insert(RouteTemplate(template));
    }
    response
}

/// Gives each request its id (the client's `X-Request-Id` when sane, else a new one), puts
/// it on the answer, and logs the request once it is answered, at `info`: id, method, route
/// template, path (secrets redacted, never the query), status and time.
pub async fn log_request(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id: HeaderValue = match request
        .headers()
        .get(request_id::HEADER)
        .and_then(|v| request_id::sane(v.as_bytes()))
    {
        Some(given) => HeaderValue::from_str(given).unwrap_or(HeaderValue::from_static("-")),
        None => {
            let value = HeaderValue::from_str(request_id::GeneratedId::new().as_str())
                .unwrap_or(HeaderValue::from_static("-"));
            // Handlers and upstreams (the proxy) see the id the log names.
            request
                .headers_mut()
                .insert(request_id::HEADER, value.clone());
            value
        }
    };
    let method = request.method().clone();
    let path = loggable_path(request.uri().path()).into_owned();
    let mut response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map(|t| t.as_str().to_string());
    tracing::info!(
        request_id = id.to_str().unwrap_or("-"),
        %method,
        route = route.as_deref().unwrap_or("-"),
        path = %path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response.headers_mut().insert(request_id::HEADER, id);
    response
}

/// Characters of keys and tokens (base64url, plus `.` and `~` which keys and legacy keys
/// may hold next to them).
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// The token character at `at` — plain, or percent-encoded — and how many bytes it takes.
fn token_char(path: &[u8], at: usize) -> Option<(u8, usize)> {
    match path[at] {
        b'%' => {
            let hex = path.get(at + 1..at + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            let byte = u8::from_str_radix(text, 16).ok()?;
            is_token_byte(byte).then_some((byte, 3))
        }
        byte => is_token_byte(byte).then_some((byte, 1)),
    }
}

/// The path with every run of token characters that looks like a secret replaced by
/// [`REDACTED`]: a run holding `AAPT` or `AAPK` (API keys, legacy keys; any case), or a run of
/// at least 40 characters. Percent-encoded token characters count as part of a run, so
/// encoding a key's characters does not hide it; other escapes (`%3F`, `%3D`) end a run.
pub fn loggable_path(path: &str) -> Cow<'_, str> {
    let bytes = path.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if token_char(bytes, at).is_none() {
            // An escape of anything else (`%3F`) is skipped whole: its digits are no run.
            let escape = bytes[at] == b'%'
                && bytes
                    .get(at + 1..at + 3)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            at += if escape { 3 } else { 1 };
            continue;
        }
        let start = at;
        let mut length = 0;
        let mut last4 = [0u8; 4];
        let mut key_prefix = false;
        while let Some((byte, width)) = (at < bytes.len()).then(|| token_char(bytes, at)).flatten()
        {
            last4 = [last4[1], last4[2], last4[3], byte.to_ascii_uppercase()];
            key_prefix |= &last4 == b"AAPT" || &last4 == b"AAPK";
            length += 1;
            at += width;
        }
        if key_prefix || length >= SECRET_RUN {
            let out = out.get_or_insert_with(|| String::with_capacity(path.len()));
            // Runs start and end at ASCII bytes, so these are char boundaries.
            out.push_str(&path[copied..start]);
            out.push_str(REDACTED);
            copied = at;
        }
    }
    match out {
        None => Cow::Borrowed(path),
        Some(mut out) => {
            out.push_str(&path[copied..]);
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests;
