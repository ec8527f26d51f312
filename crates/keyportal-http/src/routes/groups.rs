//! Groups (spec §4.4): create, search, read, update, delete, membership.

use axum::extract::State;
use axum::Router;
use keyportal_domain::group::{GroupAccess, GroupChanges};
use keyportal_domain::DomainError;
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use super::search::search_request;
use crate::views::group::group_json;
use crate::wire::{ApiResult, ArcgisRequest, Params, Path};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    let g = format!("{r}/community/groups/{{id}}");
    Router::new()
        .route(
            &format!("{r}/community/createGroup"),
            get_or_post(create_group),
        )
        .route(&format!("{r}/community/groups"), get_or_post(search_groups))
        .route(&g, get_or_post(get_group))
        .route(&format!("{g}/update"), get_or_post(update_group))
        .route(&format!("{g}/delete"), get_or_post(delete_group))
        .route(&format!("{g}/addUsers"), get_or_post(add_users))
        .route(&format!("{g}/removeUsers"), get_or_post(remove_users))
        .route(&format!("{g}/join"), get_or_post(join_group))
        .route(&format!("{g}/leave"), get_or_post(leave_group))
        .route(&format!("{g}/users"), get_or_post(group_users))
}

fn group_changes(p: &Params) -> Result<GroupChanges, DomainError> {
    Ok(GroupChanges {
        title: p.str("title").map(str::to_string),
        access: p.text("access").map(GroupAccess::parse).transpose()?,
        tags: p.list("tags")?,
        description: p.str("description").map(str::to_string),
        snippet: p.str("snippet").map(str::to_string),
        phone: p.str("phone").map(str::to_string),
        sort_field: p.text("sortField").map(str::to_string),
        sort_order: p.text("sortOrder").map(str::to_string),
        is_invitation_only: p.bool("isInvitationOnly")?,
        is_view_only: p.bool("isViewOnly")?,
        auto_join: p.bool("autoJoin")?,
    })
}

async fn create_group(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state
        .portal
        .create_group(&caller, group_changes(&request.params)?)
        .await?;
    Ok(request.reply(json!({ "success": true, "id": view.group.id, "group": group_json(&view) })))
}

async fn search_groups(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let search = search_request(&request.params)?;
    let page = state.portal.search_groups(&caller, &search).await?;
    Ok(request.reply(json!({
        "query": page.query,
        "total": page.total,
        "start": page.start,
        "num": page.num,
        "nextStart": page.next_start,
        "results": page.results.iter().map(group_json).collect::<Vec<_>>(),
    })))
}

async fn get_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state.portal.get_group(&caller, &id).await?;
    Ok(request.reply(group_json(&view)))
}

async fn update_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state
        .portal
        .update_group(&caller, &id, group_changes(&request.params)?)
        .await?;
    Ok(request.reply(json!({ "success": true, "groupId": view.group.id })))
}

async fn delete_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let group_id = state.portal.delete_group(&caller, &id).await?;
    Ok(request.reply(json!({ "success": true, "groupId": group_id })))
}

async fn add_users(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let users = request.params.list("users")?.unwrap_or_default();
    let admins = request.params.list("admins")?.unwrap_or_default();
    let outcome = state
        .portal
        .add_group_users(&caller, &id, &users, &admins)
        .await?;
    Ok(request.reply(json!({ "notAdded": outcome.not_done })))
}

async fn remove_users(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let users = request.params.list("users")?.unwrap_or_default();
    let outcome = state
        .portal
        .remove_group_users(&caller, &id, &users)
        .await?;
    Ok(request.reply(json!({ "notRemoved": outcome.not_done })))
}

async fn join_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let group_id = state.portal.join_group(&caller, &id).await?;
    Ok(request.reply(json!({ "success": true, "groupId": group_id })))
}

async fn leave_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let group_id = state.portal.leave_group(&caller, &id).await?;
    Ok(request.reply(json!({ "success": true, "groupId": group_id })))
}

async fn group_users(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let members = state.portal.group_members(&caller, &id).await?;
    let of = |kind: keyportal_domain::group::MemberType| {
        members
            .iter()
            .filter(|(_, t)| *t == kind)
            .map(|(u, _)| u.clone())
            .collect::<Vec<_>>()
    };
    use keyportal_domain::group::MemberType::{Admin, Member, Owner};
    Ok(request.reply(json!({
        "owner": of(Owner).into_iter().next(),
        "admins": of(Admin),
        "users": of(Member),
    })))
}
