//! Legacy API keys over REST (keyportal's own routes; ArcGIS has none since June 2024):
//! list them, set the retirement date, invalidate one, migrate one to API key credentials.

use axum::extract::State;
use axum::Router;
use keyportal_domain::ids::parse_item_id;
use keyportal_domain::DomainError;
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use crate::wire::{ApiResult, ArcgisRequest, Path};
use crate::AppState;

/// Keys per page of `portals/self/legacyKeys` unless `num` says otherwise, and the most.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1_000;

pub fn routes(r: &str) -> Router<AppState> {
    let item = format!("{r}/content/users/{{owner}}/items/{{id}}");
    Router::new()
        .route(&format!("{r}/portals/self/legacyKeys"), get_or_post(list))
        .route(
            &format!("{r}/portals/self/legacyKeys/retire"),
            get_or_post(retire),
        )
        .route(
            &format!("{item}/invalidateLegacyKey"),
            get_or_post(invalidate),
        )
        .route(&format!("{item}/migrateLegacyKey"), get_or_post(migrate))
}

/// Legacy keys listed by pages along their item ids (keyset paging: a page costs the same at
/// any depth, for a million imported keys too). `num` keys (default 100, at most 1,000) after
/// the item id `after` (absent: from the first); `nextAfter` is the `after` of the next page,
/// `null` on the last. A client that never pages reads the first 100 as before.
async fn list(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let num = request.params.count("num", DEFAULT_PAGE, MAX_PAGE)?.max(1);
    let after = match request.params.text("after") {
        Some(after) => parse_item_id(after)?,
        None => String::new(),
    };
    let page = state.portal.legacy_keys_page(&caller, &after, num).await?;
    Ok(request.reply(json!({
        "retirementDate": state.portal.legacy_retirement().unwrap_or(-1),
        "num": num,
        "nextAfter": page.next,
        "keys": page.keys.iter().map(|k| json!({
            "itemId": k.item_id,
            "owner": k.owner,
            "active": k.active,
            "keyHint": k.key_hint,
            "privileges": k.privileges,
            "httpReferrers": k.http_referrers,
            "created": k.created,
            "lastUsed": k.last_used,
        })).collect::<Vec<_>>(),
    })))
}

/// `date`: epoch ms after which legacy keys stop working, or `-1` to clear it.
async fn retire(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let date = request.params.i64("date")?.ok_or_else(|| {
        DomainError::invalid("'date' must be specified (epoch milliseconds, or -1 to clear).")
    })?;
    let date = if date < 0 { None } else { Some(date) };
    state.portal.set_legacy_retirement(&caller, date).await?;
    Ok(request.reply(json!({ "success": true, "retirementDate": date.unwrap_or(-1) })))
}

async fn invalidate(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let item = state.portal.get_item(&caller, &id).await?;
    state.portal.check_url_owner(&item.item.owner, &owner)?;
    state.portal.invalidate_legacy_key(&caller, &id).await?;
    Ok(request.reply(json!({ "success": true, "itemId": item.item.id })))
}

/// Answers the new key once, like `oauth2/token` does.
async fn migrate(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let item = state.portal.get_item(&caller, &id).await?;
    state.portal.check_url_owner(&item.item.owner, &owner)?;
    let (new_item, client_id, minted) = state.portal.migrate_legacy_key(&caller, &id).await?;
    Ok(request.reply(json!({
        "success": true,
        "itemId": new_item,
        "client_id": client_id,
        "apiKey": minted.key.expose(),
        "expires_in": minted.expires_in,
    })))
}
