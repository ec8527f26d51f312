//! `share` and `unshare`, in the owner form (`content/users/{u}/items/{id}/…`) and the
//! non-owner form (`content/items/{id}/…`) (spec §4.3).

use axum::extract::State;
use axum::Router;
use keyportal_service::ShareRequest;
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use crate::views::group::group_json;
use crate::wire::{ApiResult, ArcgisRequest, Path};
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
        .route(&format!("{user}/shareItems"), get_or_post(share_items))
        .route(&format!("{user}/unshareItems"), get_or_post(unshare_items))
        .route(
            &format!("{r}/content/items/{{id}}/groups"),
            get_or_post(item_groups),
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

/// `shareItems` (bulk): the same rules as `share`, item by item; one item's refusal does not
/// stop the others and is reported in its result.
async fn share_items(
    State(state): State<AppState>,
    Path(_owner): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let p = &request.params;
    let items = p.list("items")?.unwrap_or_default();
    let everyone = p.bool("everyone")?;
    let org = match p.bool("org")? {
        Some(v) => Some(v),
        None => p.bool("account")?,
    };
    let groups = groups_param(&request)?;
    let mut results = Vec::with_capacity(items.len());
    for id in items {
        let request = ShareRequest {
            everyone,
            org,
            groups: groups.clone(),
        };
        results.push(match state.portal.share_item(&caller, &id, request).await {
            Ok(outcome) => json!({ "itemId": outcome.item_id, "success": true, "notSharedWith": outcome.not_done }),
            Err(error) => json!({ "itemId": id, "success": false, "error": crate::wire::ApiError(error).to_envelope()["error"] }),
        });
    }
    Ok(request.reply(json!({ "results": results })))
}

/// `unshareItems` (bulk).
async fn unshare_items(
    State(state): State<AppState>,
    Path(_owner): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let items = request.params.list("items")?.unwrap_or_default();
    let groups = groups_param(&request)?;
    let mut results = Vec::with_capacity(items.len());
    for id in items {
        results.push(match state.portal.unshare_item(&caller, &id, groups.clone()).await {
            Ok(outcome) => json!({ "itemId": outcome.item_id, "success": true, "notUnsharedFrom": outcome.not_done }),
            Err(error) => json!({ "itemId": id, "success": false, "error": crate::wire::ApiError(error).to_envelope()["error"] }),
        });
    }
    Ok(request.reply(json!({ "results": results })))
}

/// `content/items/{id}/groups`: shared groups split by the caller's membership.
async fn item_groups(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let groups = state.portal.item_groups(&caller, &id).await?;
    let pick = |wanted: &dyn Fn(Option<keyportal_domain::group::MemberType>) -> bool| {
        groups
            .iter()
            .filter(|g| wanted(g.caller_membership))
            .map(group_json)
            .collect::<Vec<_>>()
    };
    use keyportal_domain::group::MemberType;
    Ok(request.reply(json!({
        "admin": pick(&|m| matches!(m, Some(MemberType::Owner | MemberType::Admin))),
        "member": pick(&|m| matches!(m, Some(MemberType::Member))),
        "other": pick(&|m| m.is_none()),
    })))
}
