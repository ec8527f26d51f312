//! Proxied services.
//!
//! Settings (Sharing API routes, ArcGIS envelope):
//! - `content/users/{owner}/items/{id}/proxy`: GET shows an item's proxy settings, POST changes
//!   them (`enabled`, `upstreamHeaders`, `upstreamQuery`, `allowedReferrers`,
//!   `rateLimitPerKey`, `timeoutSeconds`, `maxBodyBytes`); the upstream is the item's `url`;
//! - `portals/self/locationServices`: the configured location services;
//! - `portals/self/locationServices/{name}`: GET shows one, POST creates or changes it (`url`,
//!   `privilege` and the fields above); `…/{name}/delete` removes it.
//!
//! Credentials are shown by name only, never by value.
//!
//! Forwarding (real HTTP statuses, `{"error":{"code","message"}}`):
//! `/sharing/servers/{itemId}/…` and `/services/{name}/…`, every method. The token comes from
//! `token` (query, or a small urlencoded form body), `X-Esri-Authorization` or
//! `Authorization: Bearer`; the body is streamed, never buffered (small forms aside), and so is
//! the answer. 401 no or invalid token, 403 not allowed, 404 not proxied, 413 body too large,
//! 429 rate-limited (`Retry-After`), 502 upstream unreachable, 504 upstream silent too long.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    HeaderName, AUTHORIZATION, CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, COOKIE, EXPECT, HOST, RETRY_AFTER, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Extension, Router};
use futures_util::{Stream, StreamExt};
use keyportal_domain::proxy::{check_path_suffix, ProxyChanges, ProxyTarget};
use keyportal_domain::DomainError;
use keyportal_service::{ProxyEntry, ProxyRefusal, ProxyView, RequestFacts};
use serde_json::{json, Value};

use super::get_or_post;
use super::portal::authenticate;
use super::root::site_root;
use crate::wire::{ApiError, ApiResult, ArcgisRequest, Params, Path};
use crate::AppState;

/// Urlencoded bodies up to this size are read to find (and remove) a `token` field.
const SMALL_FORM_BYTES: usize = 64 * 1024;
/// Connecting to an upstream never takes longer than this, whatever the settings say.
const MAX_CONNECT_SECONDS: u64 = 600;

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

/// The HTTP client of the upstream requests: one per application (and so per runtime),
/// sharing its connection pool across requests. Redirects are handed back to the caller.
#[derive(Clone)]
struct Upstream(Arc<Result<reqwest::Client, String>>);

impl Upstream {
    fn new() -> Upstream {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(MAX_CONNECT_SECONDS))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string());
        Upstream(Arc::new(client))
    }
}

pub fn routes(r: &str) -> Router<AppState> {
    Router::new()
        .route(
            &format!("{r}/content/users/{{owner}}/items/{{id}}/proxy"),
            get(show_item_proxy).post(set_item_proxy),
        )
        .route(
            &format!("{r}/portals/self/locationServices"),
            get_or_post(list_location_services),
        )
        .route(
            &format!("{r}/portals/self/locationServices/{{name}}"),
            get(show_location_service).post(set_location_service),
        )
        .route(
            &format!("{r}/portals/self/locationServices/{{name}}/delete"),
            post(delete_location_service),
        )
        .route("/sharing/servers/{id}", any(forward_item))
        .route("/sharing/servers/{id}/{*rest}", any(forward_item))
        .route("/services/{name}", any(forward_service))
        .route("/services/{name}/{*rest}", any(forward_service))
        .layer(Extension(Upstream::new()))
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/// A JSON object parameter; `null` or blank clears (an empty object).
fn object_param(p: &Params, name: &str) -> Result<Option<Value>, DomainError> {
    if p.raw(name).is_some_and(|v| v.trim().is_empty()) {
        return Ok(Some(json!({})));
    }
    Ok(p.json(name)?
        .map(|v| if v.is_null() { json!({}) } else { v }))
}

fn changes_from(p: &Params) -> Result<ProxyChanges, DomainError> {
    let cleared = |name: &str| {
        p.raw(name)
            .is_some_and(|v| v.trim().is_empty() || v.trim() == "null")
    };
    Ok(ProxyChanges {
        enabled: p.bool("enabled")?,
        url: p.raw("url").map(str::to_string),
        privilege: if cleared("privilege") {
            Some(None)
        } else {
            p.text("privilege").map(|v| Some(v.to_string()))
        },
        allowed_referrers: p.list("allowedReferrers")?,
        rate_limit_per_key: if cleared("rateLimitPerKey") {
            Some(None)
        } else {
            p.i64("rateLimitPerKey")?.map(Some)
        },
        timeout_seconds: p.i64("timeoutSeconds")?,
        max_body_bytes: p.i64("maxBodyBytes")?,
        upstream_headers: object_param(p, "upstreamHeaders")?,
        upstream_query: object_param(p, "upstreamQuery")?,
    })
}

/// Settings as shown: credential names, never values.
fn view_json(view: &ProxyView, site: &str) -> Value {
    let s = &view.settings;
    let mut v = json!({
        "enabled": s.enabled,
        "configured": view.configured,
        "url": s.url,
        "upstreamHeaders": s.header_names,
        "upstreamQuery": s.query_names,
        "allowedReferrers": s.allowed_referrers,
        "rateLimitPerKey": s.rate_limit_per_key,
        "timeoutSeconds": s.timeout_seconds,
        "maxBodyBytes": s.max_body_bytes,
        "modified": s.modified,
    });
    match &s.target {
        ProxyTarget::Item(id) => {
            v["itemId"] = json!(id);
            v["itemUrl"] = json!(view.item_url);
            v["proxyUrl"] = json!(format!("{site}/sharing/servers/{id}"));
        }
        ProxyTarget::Service(name) => {
            v["name"] = json!(name);
            v["privilege"] = json!(s.privilege);
            v["privileges"] = json!(view.privileges);
            v["proxyUrl"] = json!(format!("{site}/services/{name}"));
        }
    }
    v
}

async fn show_item_proxy(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state.portal.item_proxy(&caller, &owner, &id).await?;
    Ok(request.reply(view_json(&view, &site_root(&state, &request))))
}

async fn set_item_proxy(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let changes = changes_from(&request.params)?;
    let view = state
        .portal
        .set_item_proxy(&caller, &owner, &id, &changes)
        .await?;
    let mut answer = view_json(&view, &site_root(&state, &request));
    answer["success"] = json!(true);
    Ok(request.reply(answer))
}

async fn list_location_services(
    State(state): State<AppState>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let site = site_root(&state, &request);
    let services = state.portal.location_services(&caller).await?;
    Ok(request.reply(json!({
        "services": services.iter().map(|v| view_json(v, &site)).collect::<Vec<_>>(),
    })))
}

async fn show_location_service(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state.portal.location_service(&caller, &name).await?;
    Ok(request.reply(view_json(&view, &site_root(&state, &request))))
}

async fn set_location_service(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let changes = changes_from(&request.params)?;
    let view = state
        .portal
        .set_location_service(&caller, &name, &changes)
        .await?;
    let mut answer = view_json(&view, &site_root(&state, &request));
    answer["success"] = json!(true);
    Ok(request.reply(answer))
}

async fn delete_location_service(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    state
        .portal
        .delete_location_service(&caller, &name)
        .await
        .map_err(ApiError::from)?;
    Ok(request.reply(json!({ "success": true, "name": name.to_ascii_lowercase() })))
}

// ---------------------------------------------------------------------------------------------
// Forwarding
// ---------------------------------------------------------------------------------------------

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
        ProxyRefusal::Forbidden(message) => failure(StatusCode::FORBIDDEN, &message),
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

async fn forward_item(
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

async fn forward_service(
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

fn header_text(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn bearer(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = header_text(headers, name)?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    header_text(headers, CONTENT_LENGTH).and_then(|v| v.parse().ok())
}

fn is_small_form(headers: &HeaderMap) -> bool {
    let form = header_text(headers, CONTENT_TYPE).is_some_and(|ct| {
        ct.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    form && content_length(headers).is_some_and(|n| n <= SMALL_FORM_BYTES as u64)
}

/// The `token` of a urlencoded body, and the body without it (unchanged when it has none).
fn take_form_token(body: Bytes) -> (Option<String>, Bytes) {
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
fn upstream_query(client_query: &str, entry: &ProxyEntry) -> String {
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
fn upstream_url(entry: &ProxyEntry, suffix: &str, query: &str) -> Option<reqwest::Url> {
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

fn is_hop_by_hop(name: &HeaderName, connection_listed: &[String]) -> bool {
    let name = name.as_str();
    HOP_BY_HOP.contains(&name) || connection_listed.iter().any(|n| n == name)
}

/// Names listed in `Connection` (they are hop-by-hop too).
fn connection_listed(headers: &HeaderMap) -> Vec<String> {
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
fn upstream_headers(
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

/// When anything last moved (a request body chunk went up), for the silence timeout.
struct Progress {
    start: Instant,
    last_ms: AtomicU64,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `timeout`.
    async fn silent_for(&self, timeout: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + timeout;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// The caller's body as a stream to the upstream, cut (and flagged) past `max` bytes.
fn limited_body(
    body: Body,
    max: u64,
    exceeded: Arc<AtomicBool>,
    progress: Arc<Progress>,
) -> reqwest::Body {
    let mut sent: u64 = 0;
    let stream = body.into_data_stream().map(move |chunk| match chunk {
        Ok(bytes) => {
            sent = sent.saturating_add(bytes.len() as u64);
            progress.touch();
            if sent > max {
                exceeded.store(true, Ordering::Relaxed);
                Err(std::io::Error::other("request body too large"))
            } else {
                Ok(bytes)
            }
        }
        Err(error) => Err(std::io::Error::other(error)),
    });
    reqwest::Body::wrap_stream(stream)
}

/// The upstream's answer body, ended with an error if it stays silent for `timeout`.
fn answer_body(
    response: reqwest::Response,
    timeout: Duration,
    target: ProxyTarget,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let stream = Box::pin(response.bytes_stream());
    futures_util::stream::unfold(Some(stream), move |state| {
        let target = target.clone();
        async move {
            let mut stream = state?;
            match tokio::time::timeout(timeout, stream.next()).await {
                Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(stream))),
                Ok(Some(Err(error))) => {
                    tracing::warn!(target_name = target.name(), error = %describe(error), "upstream answer broke off");
                    Some((
                        Err(std::io::Error::other("upstream answer broke off")),
                        None,
                    ))
                }
                Ok(None) => None,
                Err(_) => {
                    tracing::warn!(target_name = target.name(), "upstream answer went silent");
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "upstream answer went silent",
                        )),
                        None,
                    ))
                }
            }
        }
    })
}

/// An upstream error for the log: its causes, never its URL (which carries the sealed query
/// credentials).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let facts = RequestFacts {
        referer: crate::wire::request_referer(&parts.headers),
        client_ip,
    };
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
    let client = match upstream.0.as_ref() {
        Ok(client) => client,
        Err(cause) => {
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
    let headers = upstream_headers(
        &parts.headers,
        &entry,
        keep_length,
        facts.client_ip.as_deref(),
    );
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
