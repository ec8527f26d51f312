//! Custom roles: `portals/self/createRole`, `roles`, `roles/{id}` and its operations.

use axum::extract::State;
use axum::Router;
use keyportal_domain::role::Role;
use keyportal_domain::DomainError;
use serde_json::{json, Value};

use super::get_or_post;
use super::portal::authenticate;
use crate::wire::{ApiResult, ArcgisRequest, Params, Path};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    let base = format!("{r}/portals/self");
    Router::new()
        .route(&format!("{base}/createRole"), get_or_post(create_role))
        .route(&format!("{base}/roles"), get_or_post(list_roles))
        .route(&format!("{base}/roles/{{id}}"), get_or_post(get_role))
        .route(
            &format!("{base}/roles/{{id}}/update"),
            get_or_post(update_role),
        )
        .route(
            &format!("{base}/roles/{{id}}/setPrivileges"),
            get_or_post(set_privileges),
        )
        .route(
            &format!("{base}/roles/{{id}}/getPrivileges"),
            get_or_post(get_privileges),
        )
        .route(
            &format!("{base}/roles/{{id}}/delete"),
            get_or_post(delete_role),
        )
}

fn role_json(role: &Role) -> Value {
    json!({
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "created": role.created,
        "modified": role.modified,
        "builtIn": role.built_in,
        "baseRole": role.base_role(),
    })
}

/// `privileges` arrives as `{"privileges":[…]}` (ArcGIS) or as a plain list.
fn privileges_param(params: &Params) -> Result<Option<Vec<String>>, DomainError> {
    match params.json("privileges") {
        Ok(Some(Value::Object(map))) => match map.get("privileges") {
            Some(Value::Array(values)) => values
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| DomainError::invalid("'privileges' must list strings."))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            _ => Err(DomainError::invalid(
                "'privileges' must be {\"privileges\":[…]}.",
            )),
        },
        _ => params.list("privileges"),
    }
}

async fn create_role(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let p = &request.params;
    let privileges = privileges_param(p)?.unwrap_or_default();
    let role = state
        .portal
        .create_role(
            &caller,
            p.required("name")?,
            p.text("description").unwrap_or_default(),
            privileges,
        )
        .await?;
    Ok(request.reply(json!({ "success": true, "id": role.id, "role": role_json(&role) })))
}

async fn list_roles(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let roles = state.portal.list_roles(&caller).await?;
    let start = request.params.count("start", 1, usize::MAX)?.max(1);
    let num = request.params.count("num", 100, 100)?;
    let total = roles.len();
    let page: Vec<Value> = roles
        .iter()
        .skip(start - 1)
        .take(num)
        .map(role_json)
        .collect();
    let next = start + page.len();
    Ok(request.reply(json!({
        "total": total,
        "start": start,
        "num": num,
        "nextStart": if next <= total { next as i64 } else { -1 },
        "roles": page,
    })))
}

async fn get_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let role = state.portal.get_role(&caller, &id).await?;
    Ok(request.reply(role_json(&role)))
}

async fn update_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let p = &request.params;
    let role = state
        .portal
        .update_role(&caller, &id, p.text("name"), p.str("description"))
        .await?;
    Ok(request.reply(json!({ "success": true, "role": role_json(&role) })))
}

async fn set_privileges(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let privileges = privileges_param(&request.params)?
        .ok_or_else(|| DomainError::invalid("'privileges' must be specified."))?;
    state
        .portal
        .set_role_privileges(&caller, &id, privileges)
        .await?;
    Ok(request.reply(json!({ "success": true })))
}

async fn get_privileges(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let role = state.portal.get_role(&caller, &id).await?;
    Ok(request.reply(json!({ "privileges": role.privileges.to_vec() })))
}

async fn delete_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    state.portal.delete_role(&caller, &id).await?;
    Ok(request.reply(json!({ "success": true })))
}
