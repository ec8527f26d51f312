//! `portals/self` and `community/self` (spec §4.1, §4.2), and the member list.

use axum::extract::State;
use axum::routing::MethodRouter;
use axum::Router;
use keyportal_service::Caller;
use serde_json::json;

use super::get_or_post;
use crate::views::portal::portal_self_json;
use crate::views::user::user_json;
use crate::wire::{ApiError, ApiResult, ArcgisRequest, Path};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    let self_route: MethodRouter<AppState> = get_or_post(portals_self);
    Router::new()
        .route(&format!("{r}/portals/self"), self_route)
        .route(&format!("{r}/portals/{{org}}"), get_or_post(portals_by_id))
        .route(
            &format!("{r}/portals/self/users"),
            get_or_post(portal_users),
        )
        .route(
            &format!("{r}/portals/{{org}}/users"),
            get_or_post(portal_users_by_id),
        )
        .route(&format!("{r}/community/self"), get_or_post(community_self))
}

/// Resolves the request's token to a caller (anonymous when there is none).
pub(crate) async fn authenticate(
    state: &AppState,
    request: &ArcgisRequest,
) -> Result<Caller, ApiError> {
    Ok(state
        .portal
        .authenticate(request.token.as_deref(), &request.facts)
        .await?)
}

async fn portals_self(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let org = state.portal.org().await?;
    let user = match caller.username() {
        Some(username) => Some(user_json(&state.portal.get_user(&caller, username).await?)),
        None => None,
    };
    let host = super::root::site_root(&state, &request);
    let host = host.split("://").nth(1).unwrap_or_default();
    let mut value = portal_self_json(
        &org,
        &state.portal.settings().portal_name,
        host,
        state.https,
        user,
    );
    if let Some(app) = state.portal.key_app_info(&caller).await? {
        value["appInfo"] = json!({
            "appId": app.client_id,
            "itemId": app.item_id,
            "appOwner": app.owner,
            "orgId": app.org_id,
            "appTitle": app.title,
            "privileges": app.privileges,
        });
    }
    Ok(request.reply(value))
}

/// `portals/{orgId}` answers like `portals/self` for this organization's id.
async fn portals_by_id(
    State(state): State<AppState>,
    Path(org): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    state.portal.check_org_id(&org).await?;
    portals_self(State(state), request).await
}

async fn portal_users(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let start = request.params.count("start", 1, usize::MAX)?.max(1);
    let num = request.params.count("num", 10, 100)?;
    let (users, total) = state.portal.list_users(&caller, start - 1, num).await?;
    let next = start + users.len();
    Ok(request.reply(json!({
        "total": total,
        "start": start,
        "num": num,
        "nextStart": if next <= total { next as i64 } else { -1 },
        "users": users.iter().map(user_json).collect::<Vec<_>>(),
    })))
}

async fn portal_users_by_id(
    State(state): State<AppState>,
    Path(org): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    state.portal.check_org_id(&org).await?;
    portal_users(State(state), request).await
}

async fn community_self(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let username = match (caller.username(), caller.key()) {
        (Some(username), _) => username.to_string(),
        (None, Some(_)) => return Err(keyportal_domain::DomainError::forbidden_because(
            "This API key has only standard privileges: it acts as an application and has no user.",
        )
        .into()),
        (None, None) => return Err(keyportal_service::ServiceError::TokenRequired.into()),
    };
    let view = state.portal.get_user(&caller, &username).await?;
    Ok(request.reply(user_json(&view)))
}
