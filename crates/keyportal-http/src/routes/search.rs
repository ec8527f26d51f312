//! `search` (items) — the envelope `{query,total,start,num,nextStart,results}` (spec §4.3).

use axum::extract::State;
use axum::Router;
use keyportal_domain::DomainError;
use keyportal_service::{SearchRequest, SortOrder};
use serde_json::json;

use super::get_or_post;
use super::portal::authenticate;
use crate::views::item::item_json;
use crate::wire::{ApiResult, ArcgisRequest, Params};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    Router::new().route(&format!("{r}/search"), get_or_post(search_items))
}

/// `q`, `start` (1-based), `num` (≤ 100), `sortField`, `sortOrder`.
pub(crate) fn search_request(p: &Params) -> Result<SearchRequest, DomainError> {
    let sort_order = match p.text("sortOrder").map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => SortOrder::Asc,
        Some("desc") => SortOrder::Desc,
        Some(_) => return Err(DomainError::invalid("'sortOrder' must be asc or desc.")),
    };
    Ok(SearchRequest {
        q: p.str("q").unwrap_or_default().to_string(),
        start: p.count("start", 1, usize::MAX)?.max(1),
        num: p.count("num", 10, 100)?,
        sort_field: p.text("sortField").map(str::to_string),
        sort_order,
    })
}

async fn search_items(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let search = search_request(&request.params)?;
    let page = state.portal.search_items(&caller, &search).await?;
    Ok(request.reply(json!({
        "query": page.query,
        "total": page.total,
        "start": page.start,
        "num": page.num,
        "nextStart": page.next_start,
        "results": page.results.iter().map(item_json).collect::<Vec<_>>(),
    })))
}
