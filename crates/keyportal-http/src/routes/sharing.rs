//! `share` and `unshare`, in the owner form (`content/users/{u}/items/{id}/…`) and the
//! non-owner form (`content/items/{id}/…`) (spec §4.3).

use axum::extract::{Path, State};
use axum::Router;
use keyportal_service::ShareRequest;
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use crate::wire::{ApiResult, ArcgisRequest};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    let user = format!("{r}/content/users/{{owner}}");
    Router::new()
        .route(
            &format!("{user}/items/{{id}}/share"),
            get_or_post(share_owned),
        )
        .route(
            &format!("{user}/{{folder}}/items/{{id}}/share"),
            get_or_post(share_in_folder),
        )
        .route(
            &format!("{r}/content/items/{{id}}/share"),
            get_or_post(share),
        )
        .route(
            &format!("{user}/items/{{id}}/unshare"),
            get_or_post(unshare_owned),
        )
        .route(
            &format!("{user}/{{folder}}/items/{{id}}/unshare"),
            get_or_post(unshare_in_folder),
        )
        .route(
            &format!("{r}/content/items/{{id}}/unshare"),
            get_or_post(unshare),
        )
}

/// `groups` is a comma list; a lone space means "no groups".
fn groups_param(request: &ArcgisRequest) -> Result<Vec<String>, crate::wire::ApiError> {
    Ok(request.params.list("groups")?.unwrap_or_default())
}

async fn do_share(
    state: AppState,
    owner: Option<String>,
    id: String,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    if let Some(owner) = owner {
        let current = state.portal.get_item(&caller, &id).await?;
        state.portal.check_url_owner(&current.item.owner, &owner)?;
    }
    let p = &request.params;
    let everyone = p.bool("everyone")?;
    // `account=true` is REST JS's spelling of "the organization" for public sharing.
    let org = match p.bool("org")? {
        Some(v) => Some(v),
        None => p.bool("account")?,
    };
    let outcome = state
        .portal
        .share_item(
            &caller,
            &id,
            ShareRequest {
                everyone,
                org,
                groups: groups_param(&request)?,
            },
        )
        .await?;
    Ok(request.reply(json!({ "notSharedWith": outcome.not_done, "itemId": outcome.item_id })))
}

async fn share_owned(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    do_share(state, Some(owner), id, request).await
}

async fn share_in_folder(
    State(state): State<AppState>,
    Path((owner, _folder, id)): Path<(String, String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    do_share(state, Some(owner), id, request).await
}

async fn share(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    do_share(state, None, id, request).await
}

async fn do_unshare(
    state: AppState,
    owner: Option<String>,
    id: String,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    if let Some(owner) = owner {
        let current = state.portal.get_item(&caller, &id).await?;
        state.portal.check_url_owner(&current.item.owner, &owner)?;
    }
    let outcome = state
        .portal
        .unshare_item(&caller, &id, groups_param(&request)?)
        .await?;
    Ok(request.reply(json!({ "notUnsharedFrom": outcome.not_done, "itemId": outcome.item_id })))
}

async fn unshare_owned(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    do_unshare(state, Some(owner), id, request).await
}

async fn unshare_in_folder(
    State(state): State<AppState>,
    Path((owner, _folder, id)): Path<(String, String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    do_unshare(state, Some(owner), id, request).await
}

async fn unshare(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    do_unshare(state, None, id, request).await
}
