//! Items: `addItem`, `content/items/{id}`, `update`, `delete`, `status` (spec §4.3).

use axum::extract::State;
use axum::Router;
use keyportal_domain::item::{ItemAccess, ItemChanges, EXTRA_FIELDS};
use keyportal_domain::DomainError;
use keyportal_service::SlotDates;
use serde_json::{json, Value};

use super::get_or_post;
use super::portal::authenticate;
use crate::views::item::item_json;
use crate::wire::{ApiResult, ArcgisRequest, Params, Path};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    let user = format!("{r}/content/users/{{owner}}");
    let folder = format!("{user}/{{folder}}");
    Router::new()
        .route(&format!("{user}/addItem"), get_or_post(add_item_root))
        .route(
            &format!("{folder}/addItem"),
            get_or_post(add_item_in_folder),
        )
        .route(&format!("{r}/content/items/{{id}}"), get_or_post(get_item))
        .route(
            &format!("{user}/items/{{id}}/update"),
            get_or_post(update_item),
        )
        .route(
            &format!("{folder}/items/{{id}}/update"),
            get_or_post(update_item_in_folder),
        )
        .route(
            &format!("{user}/items/{{id}}/delete"),
            get_or_post(delete_item),
        )
        .route(
            &format!("{folder}/items/{{id}}/delete"),
            get_or_post(delete_item_in_folder),
        )
        .route(
            &format!("{r}/content/items/{{id}}/delete"),
            get_or_post(delete_item_by_id),
        )
        .route(
            &format!("{user}/items/{{id}}/status"),
            get_or_post(item_status),
        )
        .route(
            &format!("{folder}/items/{{id}}/status"),
            get_or_post(item_status_in_folder),
        )
}

/// Values of free-form item fields: JSON when they look like JSON, text otherwise.
fn loose_json(text: &str) -> Value {
    let trimmed = text.trim();
    let looks_json = trimmed.starts_with('{')
        || trimmed.starts_with('[')
        || matches!(trimmed, "true" | "false" | "null")
        || trimmed.parse::<f64>().is_ok();
    if looks_json {
        serde_json::from_str(trimmed).unwrap_or_else(|_| Value::String(text.to_string()))
    } else {
        Value::String(text.to_string())
    }
}

/// The item fields an `addItem` or `update` call sends.
pub(crate) fn item_changes(p: &Params) -> Result<ItemChanges, DomainError> {
    let properties = match p.str("properties").map(str::trim) {
        None | Some("") => None,
        Some("null") => Some(None),
        Some(_) => Some(p.json("properties")?),
    };
    let mut extra = serde_json::Map::new();
    for name in EXTRA_FIELDS {
        if let Some(value) = p.str(name) {
            let value = if *name == "text" {
                Value::String(value.to_string())
            } else {
                loose_json(value)
            };
            extra.insert((*name).to_string(), value);
        }
    }
    Ok(ItemChanges {
        title: p.str("title").map(str::to_string),
        item_type: p.str("type").map(str::to_string),
        type_keywords: p.list("typeKeywords")?,
        tags: p.list("tags")?,
        description: p.str("description").map(str::to_string),
        snippet: p.str("snippet").map(str::to_string),
        url: p.str("url").map(str::to_string),
        properties,
        extra,
    })
}

async fn add_item(
    state: AppState,
    owner: String,
    folder: Option<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let changes = item_changes(&request.params)?;
    let access = request
        .params
        .text("access")
        .map(ItemAccess::parse)
        .transpose()?;
    let folder = folder.or_else(|| request.params.text("folder").map(str::to_string));
    let view = state
        .portal
        .add_item(&caller, &owner, folder.as_deref(), changes, access)
        .await?;
    Ok(request.reply(json!({
        "success": true,
        "id": view.item.id,
        "folder": view.item.folder_id.clone().unwrap_or_default(),
    })))
}

async fn add_item_root(
    State(state): State<AppState>,
    Path(owner): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    add_item(state, owner, None, request).await
}

async fn add_item_in_folder(
    State(state): State<AppState>,
    Path((owner, folder)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    add_item(state, owner, Some(folder), request).await
}

async fn get_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state.portal.get_item(&caller, &id).await?;
    Ok(request.reply(item_json(&view)))
}

async fn update(state: AppState, owner: String, id: String, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let current = state.portal.get_item(&caller, &id).await?;
    state.portal.check_url_owner(&current.item.owner, &owner)?;
    let changes = item_changes(&request.params)?;
    let dates = SlotDates {
        slot1: request.params.i64("apiToken1ExpirationDate")?,
        slot2: request.params.i64("apiToken2ExpirationDate")?,
    };
    let view = state
        .portal
        .update_item(&caller, &id, changes, dates)
        .await?;
    Ok(request.reply(json!({ "success": true, "id": view.item.id })))
}

async fn update_item(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    update(state, owner, id, request).await
}

async fn update_item_in_folder(
    State(state): State<AppState>,
    Path((owner, _folder, id)): Path<(String, String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    update(state, owner, id, request).await
}

async fn delete(
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
    let item_id = state.portal.delete_item(&caller, &id).await?;
    Ok(request.reply(json!({ "success": true, "itemId": item_id })))
}

async fn delete_item(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    delete(state, Some(owner), id, request).await
}

async fn delete_item_in_folder(
    State(state): State<AppState>,
    Path((owner, _folder, id)): Path<(String, String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    delete(state, Some(owner), id, request).await
}

async fn delete_item_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    delete(state, None, id, request).await
}

async fn status(state: AppState, owner: String, id: String, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let current = state.portal.get_item(&caller, &id).await?;
    state.portal.check_url_owner(&current.item.owner, &owner)?;
    let status = state.portal.item_status(&caller, &id).await?;
    Ok(request.reply(json!({
        "status": "completed",
        "statusMessage": "completed",
        "itemId": status.item_id,
    })))
}

async fn item_status(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    status(state, owner, id, request).await
}

async fn item_status_in_folder(
    State(state): State<AppState>,
    Path((owner, _folder, id)): Path<(String, String, String)>,
    request: ArcgisRequest,
) -> ApiResult {
    status(state, owner, id, request).await
}
