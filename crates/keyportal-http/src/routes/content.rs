//! A member's content: `content/users/{u}[/{folder}]`, `createFolder`, folder `delete`; a
//! group's content: `content/groups/{id}`.

use axum::extract::State;
use axum::Router;
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use crate::views::item::{folder_json, item_json};
use crate::wire::{ApiResult, ArcgisRequest, Path};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    let user = format!("{r}/content/users/{{owner}}");
    Router::new()
        .route(&user, get_or_post(list_root))
        .route(&format!("{user}/{{folder}}"), get_or_post(list_folder))
        .route(&format!("{user}/createFolder"), get_or_post(create_folder))
        .route(
            &format!("{user}/{{folder}}/delete"),
            get_or_post(delete_folder),
        )
        .route(
            &format!("{r}/content/groups/{{id}}"),
            get_or_post(group_content),
        )
}

/// The answer of `getGroupContent` in ArcGIS REST JS: `{total, start, num, nextStart, items}`.
async fn group_content(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let start = request.params.count("start", 1, usize::MAX)?;
    let num = request.params.count("num", 10, 100)?;
    let page = state.portal.group_content(&caller, &id, start, num).await?;
    Ok(request.reply(json!({
        "total": page.total,
        "start": page.start,
        "num": page.num,
        "nextStart": page.next_start,
        "items": page.results.iter().map(item_json).collect::<Vec<_>>(),
    })))
}

async fn list(
    state: AppState,
    owner: String,
    folder: Option<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let start = request.params.count("start", 1, usize::MAX)?;
    let num = request.params.count("num", 10, 100)?;
    let page = state
        .portal
        .list_content(&caller, &owner, folder.as_deref(), start, num)
        .await?;
    let mut value = json!({
        "username": page.username,
        "total": page.total,
        "start": page.start,
        "num": page.num,
        "nextStart": page.next_start,
        "items": page.items.iter().map(item_json).collect::<Vec<_>>(),
        "folders": page.folders.iter().map(folder_json).collect::<Vec<_>>(),
    });
    if let Some(folder) = &page.current_folder {
        value["currentFolder"] = folder_json(folder);
    }
    Ok(request.reply(value))
}

async fn list_root(
    State(state): State<AppState>,
    Path(owner): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    list(state, owner, None, request).await
}

async fn list_folder(
    State(state): State<AppState>,
    Path((owner, folder)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    list(state, owner, Some(folder), request).await
}

async fn create_folder(
    State(state): State<AppState>,
    Path(owner): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let title = request.params.required("title")?.to_string();
    let folder = state.portal.create_folder(&caller, &owner, &title).await?;
    Ok(request.reply(json!({ "success": true, "folder": folder_json(&folder) })))
}

async fn delete_folder(
    State(state): State<AppState>,
    Path((owner, folder)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let id = state.portal.delete_folder(&caller, &owner, &folder).await?;
    Ok(request.reply(json!({ "success": true, "folder": { "username": owner, "id": id } })))
}
