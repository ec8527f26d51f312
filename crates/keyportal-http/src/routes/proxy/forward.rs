//! Forwarding `/sharing/servers/{itemId}/…` and `/services/{name}/…`: the decision asked of
//! the portal, the request sent up, the answer streamed back. Errors are real HTTP statuses
//! with `{"error":{"code","message"}}`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, RETRY_AFTER, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use keyportal_domain::proxy::{check_path_suffix, ProxyTarget};
use keyportal_service::{ProxyRefusal, RequestFacts};
use serde_json::json;

use super::request::{
    bearer, connection_listed, content_length, is_hop_by_hop, is_small_form, take_form_token,
    upstream_headers, upstream_query, upstream_url, SMALL_FORM_BYTES,
};
use super::streams::{answer_body, describe, limited_body, Progress};
use super::upstream::{blocked_by, Unavailable, Upstream};
use crate::AppState;

/// An error of the forwarding routes: a real status and `{"error":{"code","message"}}`.
fn failure(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error": { "code": status.as_u16(), "message": message } });
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refused(refusal: ProxyRefusal, target: &ProxyTarget) -> Response {
    match refusal {
        ProxyRefusal::Unauthorized(message) => failure(StatusCode::UNAUTHORIZED, &message),
        ProxyRefusal::Forbidden(message) | ProxyRefusal::UpstreamRefused(message) => {
            failure(StatusCode::FORBIDDEN, &message)
        }
        ProxyRefusal::NotFound => failure(
            StatusCode::NOT_FOUND,
            match target {
                ProxyTarget::Item(_) => "Not a proxied item.",
                ProxyTarget::Service(_) => "Not a configured location service.",
            },
        ),
        ProxyRefusal::RateLimited { retry_after_ms } => {
            let seconds = ((retry_after_ms.max(1) + 999) / 1000).max(1);
            let mut response = failure(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Rate limit exceeded. Retry after {seconds} seconds."),
            );
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
            response
        }
        ProxyRefusal::Internal(cause) => {
            tracing::error!(%cause, target_name = target.name(), "proxy refused: internal error");
            failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An internal error occurred. The server log has the details.",
            )
        }
    }
}

pub(super) async fn forward_item(
    State(state): State<AppState>,
    Extension(upstream): Extension<Upstream>,
    request: Request,
) -> Response {
    let path = request.uri().path().to_string();
    let rest = path.strip_prefix("/sharing/servers/").unwrap_or_default();
    let (id, suffix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match ProxyTarget::item(id) {
        Ok(target) => forward(state, upstream, target, suffix, request).await,
        Err(_) => failure(StatusCode::NOT_FOUND, "Not a proxied item."),
    }
}

pub(super) async fn forward_service(
    State(state): State<AppState>,
    Extension(upstream): Extension<Upstream>,
    request: Request,
) -> Response {
    let path = request.uri().path().to_string();
    let rest = path.strip_prefix("/services/").unwrap_or_default();
    let (name, suffix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match ProxyTarget::service(name) {
        Ok(target) => forward(state, upstream, target, suffix, request).await,
        Err(_) => failure(StatusCode::NOT_FOUND, "Not a configured location service."),
    }
}

/// A body already read (small forms), or the caller's stream.
enum Outgoing {
    Read(Bytes),
    Stream(Body),
}

async fn forward(
    state: AppState,
    upstream: Upstream,
    target: ProxyTarget,
    suffix: &str,
    request: Request,
) -> Response {
    if check_path_suffix(suffix).is_err() {
        return failure(
            StatusCode::BAD_REQUEST,
            "The request path may not contain '.' or '..' segments, backslashes or encoded slashes.",
        );
    }
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().unwrap_or("").to_string();
    let mut token = None;
    let mut outgoing = Outgoing::Stream(body);
    if is_small_form(&parts.headers) {
        if let Outgoing::Stream(body) = outgoing {
            match axum::body::to_bytes(body, SMALL_FORM_BYTES).await {
                Ok(bytes) => {
                    let (found, rest) = take_form_token(bytes);
                    token = found;
                    outgoing = Outgoing::Read(rest);
                }
                Err(_) => {
                    return failure(
                        StatusCode::BAD_REQUEST,
                        "The request body could not be read.",
                    )
                }
            }
        }
    }
    let token = token
        .or_else(|| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, v)| k == "token" && !v.is_empty())
                .map(|(_, v)| v.into_owned())
        })
        .or_else(|| bearer(&parts.headers, "x-esri-authorization"))
        .or_else(|| bearer(&parts.headers, AUTHORIZATION.as_str()));
    let facts = RequestFacts {
        referer: crate::wire::request_referer(&parts.headers),
        client_ip: crate::client_address::client_ip(&parts.extensions).map(|ip| ip.to_string()),
    };
    // The forwarded chain names the hop that connected to us (a trusted proxy included).
    let peer_ip = crate::client_address::peer(&parts.extensions).map(|ip| ip.to_string());
    let entry = match state
        .portal
        .authorize_proxy(&target, token.as_deref(), &facts)
        .await
    {
        Ok(entry) => entry,
        Err(refusal) => return refused(refusal, &target),
    };

    let max = entry.settings.max_body_bytes;
    let too_large = || {
        failure(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("The request body is larger than {max} bytes."),
        )
    };
    if content_length(&parts.headers).is_some_and(|n| n > max) {
        return too_large();
    }
    if let Outgoing::Read(bytes) = &outgoing {
        if bytes.len() as u64 > max {
            return too_large();
        }
    }
    let Some(url) = upstream_url(&entry, suffix, &upstream_query(&query, &entry)) else {
        return failure(
            StatusCode::BAD_REQUEST,
            "The request path cannot be forwarded to the upstream service.",
        );
    };
    let client = match upstream.client_for(&state.portal.upstream_allow_list(), &url) {
        Ok(client) => client,
        Err(Unavailable::Blocked(refusal)) => {
            tracing::warn!(target_name = target.name(), %refusal, "upstream refused by the proxy allow-list");
            return failure(StatusCode::FORBIDDEN, &refusal.to_string());
        }
        Err(Unavailable::Client(cause)) => {
            tracing::error!(%cause, "the upstream HTTP client could not be built");
            return failure(
                StatusCode::BAD_GATEWAY,
                "The upstream service could not be reached.",
            );
        }
    };

    let timeout = Duration::from_secs(u64::from(entry.settings.timeout_seconds));
    let progress = Arc::new(Progress::new());
    let exceeded = Arc::new(AtomicBool::new(false));
    let (keep_length, body) = match outgoing {
        Outgoing::Read(bytes) => (false, Some(reqwest::Body::from(bytes))),
        Outgoing::Stream(body) if body.is_end_stream() => (true, None),
        Outgoing::Stream(body) => (
            true,
            Some(limited_body(
                body,
                max,
                Arc::clone(&exceeded),
                Arc::clone(&progress),
            )),
        ),
    };
    let headers = upstream_headers(&parts.headers, &entry, keep_length, peer_ip.as_deref());
    let mut builder = client.request(parts.method.clone(), url).headers(headers);
    if let Some(body) = body {
        builder = builder.body(body);
    }
    let sent = tokio::select! {
        result = builder.send() => Some(result),
        () = progress.silent_for(timeout) => None,
    };
    if exceeded.load(Ordering::Relaxed) {
        return too_large();
    }
    let response = match sent {
        None => {
            tracing::warn!(
                target_name = target.name(),
                "upstream did not answer in time"
            );
            return failure(
                StatusCode::GATEWAY_TIMEOUT,
                "The upstream service did not answer in time.",
            );
        }
        Some(Err(error)) if blocked_by(&error).is_some() => {
            let message = blocked_by(&error)
                .map(ToString::to_string)
                .unwrap_or_default();
            return failure(StatusCode::FORBIDDEN, &message);
        }
        Some(Err(error)) if error.is_timeout() => {
            tracing::warn!(target_name = target.name(), error = %describe(error), "upstream timed out");
            return failure(
                StatusCode::GATEWAY_TIMEOUT,
                "The upstream service did not answer in time.",
            );
        }
        Some(Err(error)) => {
            tracing::warn!(target_name = target.name(), error = %describe(error), "upstream unreachable");
            return failure(
                StatusCode::BAD_GATEWAY,
                "The upstream service could not be reached.",
            );
        }
        Some(Ok(response)) => response,
    };

    let status = response.status();
    let listed = connection_listed(response.headers());
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers() {
        // Upstream cookies would land on the portal's origin (and never go back up: the
        // caller's cookies are not forwarded).
        let cookie = name == SET_COOKIE || name.as_str() == "set-cookie2";
        if !is_hop_by_hop(name, &listed) && !cookie {
            headers.append(name.clone(), value.clone());
        }
    }
    // Upstream content is served from the portal's origin: a document opened from it runs in
    // a sandbox (an opaque origin, no scripts), and types are never sniffed.
    headers.append(CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let mut answer = Response::new(Body::from_stream(answer_body(response, timeout, target)));
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    answer
}
