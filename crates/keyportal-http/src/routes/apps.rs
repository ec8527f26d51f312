//! Developer credentials (spec §5): `oauth2/registerApp`, `registeredAppInfo`,
//! `oauth2/apps/{client_id}` with `update` and `unregister`.

use axum::extract::State;
use axum::Router;
use keyportal_service::{AppChanges, RegisterApp};
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use crate::views::app::app_json;
use crate::wire::{ApiResult, ArcgisRequest, Path};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    let user = format!("{r}/content/users/{{owner}}");
    Router::new()
        .route(
            &format!("{r}/oauth2/registerApp"),
            get_or_post(register_app),
        )
        .route(
            &format!("{user}/items/{{id}}/registeredAppInfo"),
            get_or_post(app_info),
        )
        .route(
            &format!("{user}/{{folder}}/items/{{id}}/registeredAppInfo"),
            get_or_post(app_info_in_folder),
        )
        .route(
            &format!("{r}/oauth2/apps/{{client_id}}"),
            get_or_post(get_app),
        )
        .route(
            &format!("{r}/oauth2/apps/{{client_id}}/update"),
            get_or_post(update_app),
        )
        .route(
            &format!("{r}/oauth2/apps/{{client_id}}/unregister"),
            get_or_post(unregister_app),
        )
}

async fn register_app(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let p = &request.params;
    let registration = RegisterApp {
        item_id: p.required("itemId")?.to_string(),
        app_type: p.text("appType").unwrap_or("multiple").to_string(),
        redirect_uris: p.list("redirect_uris")?.unwrap_or_default(),
        http_referrers: p.list("httpReferrers")?.unwrap_or_default(),
        allowed_addresses: p.list("allowedAddresses")?.unwrap_or_default(),
        privileges: p.list("privileges")?.unwrap_or_default(),
        is_personal: p.bool("isPersonalAPIToken")?,
    };
    let view = state.portal.register_app(&caller, registration).await?;
    Ok(request.reply(app_json(&view)))
}

async fn info(state: AppState, owner: String, id: String, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let item = state.portal.get_item(&caller, &id).await?;
    state.portal.check_url_owner(&item.item.owner, &owner)?;
    let view = state.portal.app_info(&caller, &id).await?;
    Ok(request.reply(app_json(&view)))
}

async fn app_info(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    info(state, owner, id, request).await
}

async fn app_info_in_folder(
    State(state): State<AppState>,
    Path((owner, _folder, id)): Path<(String, String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    info(state, owner, id, request).await
}

async fn get_app(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state.portal.app_by_id(&caller, &client_id).await?;
    Ok(request.reply(app_json(&view)))
}

async fn update_app(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let p = &request.params;
    let changes = AppChanges {
        app_type: p.text("appType").map(str::to_string),
        redirect_uris: p.list("redirect_uris")?,
        http_referrers: p.list("httpReferrers")?,
        allowed_addresses: p.list("allowedAddresses")?,
        // Older Python releases misspelled the parameter; accept both.
        privileges: match p.list("privileges")? {
            Some(list) => Some(list),
            None => p.list("priveleges")?,
        },
    };
    let view = state
        .portal
        .update_app(&caller, &client_id, changes)
        .await?;
    Ok(request.reply(app_json(&view)))
}

async fn unregister_app(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let item_id = state.portal.unregister_app(&caller, &client_id).await?;
    Ok(request.reply(json!({ "success": true, "itemId": item_id })))
}
