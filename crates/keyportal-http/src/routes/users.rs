//! Members over REST: search, profiles, role and user type changes, disable/enable/delete.

use axum::extract::State;
use axum::Router;
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use super::search::search_request;
use crate::views::user::user_json;
use crate::wire::{ApiResult, ArcgisRequest, Path};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{r}/community/users"), get_or_post(search_users))
        .route(
            &format!("{r}/community/users/{{username}}"),
            get_or_post(get_user),
        )
        .route(
            &format!("{r}/community/users/{{username}}/disable"),
            get_or_post(disable_user),
        )
        .route(
            &format!("{r}/community/users/{{username}}/enable"),
            get_or_post(enable_user),
        )
        .route(
            &format!("{r}/community/users/{{username}}/delete"),
            get_or_post(delete_user),
        )
        .route(
            &format!("{r}/portals/self/updateuserrole"),
            get_or_post(update_user_role),
        )
        .route(
            &format!("{r}/portals/self/updateUserRole"),
            get_or_post(update_user_role),
        )
        .route(
            &format!("{r}/portals/self/updateUserLicenseType"),
            get_or_post(update_user_type),
        )
        .route(
            &format!("{r}/portals/self/updateuserlicensetype"),
            get_or_post(update_user_type),
        )
}

/// `community/users`: the envelope of `search`, members in `results`.
async fn search_users(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let search = search_request(&request.params)?;
    let page = state.portal.search_users(&caller, &search).await?;
    Ok(request.reply(json!({
        "query": page.query,
        "total": page.total,
        "start": page.start,
        "num": page.num,
        "nextStart": page.next_start,
        "results": page.results.iter().map(user_json).collect::<Vec<_>>(),
    })))
}

async fn get_user(
    State(state): State<AppState>,
    Path(username): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state.portal.get_user(&caller, &username).await?;
    Ok(request.reply(user_json(&view)))
}

async fn disable_user(
    State(state): State<AppState>,
    Path(username): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    state
        .portal
        .set_user_disabled(&caller, &username, true)
        .await?;
    Ok(request.reply(json!({ "status": "success", "success": true })))
}

async fn enable_user(
    State(state): State<AppState>,
    Path(username): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    state
        .portal
        .set_user_disabled(&caller, &username, false)
        .await?;
    Ok(request.reply(json!({ "status": "success", "success": true })))
}

async fn delete_user(
    State(state): State<AppState>,
    Path(username): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    state.portal.delete_user(&caller, &username).await?;
    Ok(request.reply(json!({ "success": true, "username": username })))
}

async fn update_user_role(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let user = request.params.required("user")?.to_string();
    let role = request.params.required("role")?.to_string();
    state.portal.set_user_role(&caller, &user, &role).await?;
    Ok(request.reply(json!({ "success": true, "username": user })))
}

async fn update_user_type(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let users = request.params.list("users")?.unwrap_or_default();
    let user_type = request.params.required("userLicenseType")?.to_string();
    state
        .portal
        .set_user_type(&caller, &users, &user_type)
        .await?;
    Ok(request.reply(json!({ "success": true })))
}
