//! The settings routes: an item's proxy settings and the location services (ArcGIS envelope).
//! Credentials are shown by name only, never by value.

use axum::extract::State;
use keyportal_domain::proxy::{ProxyChanges, ProxyTarget};
use keyportal_domain::DomainError;
use keyportal_service::ProxyView;
use serde_json::{json, Value};

use crate::routes::portal::authenticate;
use crate::routes::root::site_root;
use crate::wire::{ApiError, ApiResult, ArcgisRequest, Params, Path};
use crate::AppState;

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

pub(super) async fn show_item_proxy(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state.portal.item_proxy(&caller, &owner, &id).await?;
    Ok(request.reply(view_json(&view, &site_root(&state, &request))))
}

pub(super) async fn set_item_proxy(
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

pub(super) async fn list_location_services(
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

pub(super) async fn show_location_service(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state.portal.location_service(&caller, &name).await?;
    Ok(request.reply(view_json(&view, &site_root(&state, &request))))
}

pub(super) async fn set_location_service(
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

pub(super) async fn delete_location_service(
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
