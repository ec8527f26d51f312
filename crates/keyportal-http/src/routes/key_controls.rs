//! Key controls beyond ArcGIS (issue 14), on a credential item: `rollApiKey` (one-step
//! rotation with a grace period), `checkAccess` ("would this request pass?") and `refusals`
//! (the last refused requests, merged across nodes). For the owner and administrators; no
//! key is needed (or shown, except the new key of a roll, once).

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::DomainError;
use keyportal_service::{AccessQuestion, RollRequest};
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use crate::wire::{ApiResult, ArcgisRequest, Params, Path};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    let item = format!("{r}/content/users/{{owner}}/items/{{id}}");
    Router::new()
        .route(&format!("{item}/rollApiKey"), post(roll_api_key))
        .route(&format!("{item}/checkAccess"), get_or_post(check_access))
        .route(&format!("{item}/refusals"), get_or_post(refusals))
}

/// `slot`: 1 or 2.
fn slot_param(p: &Params) -> Result<KeySlot, DomainError> {
    let text = p.required("slot")?;
    text.trim()
        .parse::<u8>()
        .ok()
        .and_then(KeySlot::from_number)
        .ok_or_else(|| {
            DomainError::invalid_with(
                "Invalid slot.",
                vec!["'slot' is 1 or 2 (the API key slot).".into()],
            )
        })
}

/// The item named in the path, checked against the owner segment (as `registeredAppInfo`).
async fn item_of(
    state: &AppState,
    caller: &keyportal_service::Caller,
    owner: &str,
    id: &str,
) -> Result<(), crate::wire::ApiError> {
    let item = state.portal.get_item(caller, id).await?;
    state.portal.check_url_owner(&item.item.owner, owner)?;
    Ok(())
}

/// `POST …/items/{id}/rollApiKey`: `slot` (the key being replaced), `grace` (seconds, 0 to
/// 30 days), optional `expiration` (epoch ms) for the new key.
async fn roll_api_key(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    item_of(&state, &caller, &owner, &id).await?;
    let p = &request.params;
    let roll = RollRequest {
        slot: slot_param(p)?,
        grace_seconds: p.i64("grace")?.ok_or_else(|| {
            DomainError::invalid_with(
                "Missing grace.",
                vec![
                    "'grace' is how many seconds the old key keeps working (0 to 2592000).".into(),
                ],
            )
        })?,
        expiration: p.i64("expiration")?,
    };
    let rolled = state.portal.roll_api_key(&caller, &id, roll).await?;
    Ok(request.reply(json!({
        "apiKey": rolled.key.expose(),
        "slot": rolled.slot.number(),
        "expires": rolled.expires,
        "previousSlot": rolled.previous_slot.number(),
        "previousExpires": rolled.previous_expires,
    })))
}

/// `…/items/{id}/checkAccess`: `slot`, and what a request would carry — `referer`,
/// `address`, `service` / `privilege` / `item`, `time` (epoch ms, default now).
async fn check_access(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    item_of(&state, &caller, &owner, &id).await?;
    let p = &request.params;
    let text = |name: &str| p.text(name).map(str::to_string);
    let question = AccessQuestion {
        referer: text("referer"),
        address: text("address"),
        service: text("service"),
        privilege: text("privilege"),
        item: text("item"),
        time: p.i64("time")?,
    };
    let slot = slot_param(p)?;
    let answer = state
        .portal
        .check_access(&caller, &id, slot, &question)
        .await?;
    Ok(request.reply(json!({
        "allowed": answer.allowed,
        "reason": answer.reason,
        "needed": answer.needed,
        "message": answer.message,
    })))
}

/// `…/items/{id}/refusals`: the last 100 refused requests of the credential's keys, newest
/// first, from every node.
async fn refusals(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    item_of(&state, &caller, &owner, &id).await?;
    let list = state.portal.key_refusals(&caller, &id).await?;
    let entries: Vec<serde_json::Value> = list
        .iter()
        .map(|r| {
            let blank = |text: &str| (!text.is_empty()).then(|| text.to_string());
            json!({
                "time": r.at,
                "slot": r.slot,
                "reason": r.reason,
                "referer": blank(&r.referer),
                "address": blank(&r.address),
                "service": blank(&r.service),
            })
        })
        .collect();
    Ok(request.reply(json!({ "itemId": id.to_ascii_lowercase(), "refusals": entries })))
}
