//! The audit trail over the Sharing API (keyportal extensions): a credential's events, the
//! organization's events (JSON or CSV) and the expiry-warning settings.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Router;
use keyportal_domain::events::{events_csv, Event, EventFilter, EventType};
use keyportal_domain::DomainError;
use keyportal_service::{EventPaging, Page, MAX_EVENT_PAGE};
use serde_json::{json, Value};

use super::get_or_post;
use super::portal::authenticate;
use crate::wire::{ApiError, ArcgisRequest, Params, Path};
use crate::AppState;

/// The most events one CSV export holds (pages of 100 read in turn).
const MAX_CSV_EVENTS: usize = 100_000;

pub fn routes(r: &str) -> Router<AppState> {
    Router::new()
        .route(
            &format!("{r}/content/users/{{owner}}/items/{{id}}/events"),
            get_or_post(credential_events),
        )
        .route(&format!("{r}/portals/self/events"), get_or_post(org_events))
        .route(
            &format!("{r}/portals/self/eventSettings"),
            get_or_post(event_settings),
        )
}

/// `types` (comma list), `startTime`, `endTime` (epoch ms); for the organization also
/// `actor`, `itemId`, `username`.
fn filter_param(p: &Params, org: bool) -> Result<EventFilter, DomainError> {
    let text = |name: &str| {
        p.text(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut filter = EventFilter {
        types: match p.text("types") {
            Some(list) => EventType::parse_list(list)?,
            None => Vec::new(),
        },
        start_time: p.i64("startTime")?,
        end_time: p.i64("endTime")?,
        ..EventFilter::default()
    };
    if org {
        filter.actor = text("actor");
        filter.item_id = text("itemId").map(|id| id.to_ascii_lowercase());
        filter.username = text("username");
    }
    Ok(filter)
}

fn paging_param(p: &Params) -> Result<EventPaging, DomainError> {
    Ok(EventPaging {
        start: p.count("start", 1, usize::MAX)?.max(1),
        num: p.count("num", 10, MAX_EVENT_PAGE)?,
    })
}

fn page_json(page: &Page<Event>) -> Value {
    json!({
        "total": page.total,
        "start": page.start,
        "num": page.num,
        "nextStart": page.next_start,
        "events": page.results.iter().map(Event::to_json).collect::<Vec<_>>(),
    })
}

/// `content/users/{u}/items/{id}/events`: the credential's owner and administrators.
async fn credential_events(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &request).await?;
    let filter = filter_param(&request.params, false)?;
    let paging = paging_param(&request.params)?;
    let item = state.portal.get_item(&caller, &id).await?;
    state.portal.check_url_owner(&item.item.owner, &owner)?;
    let page = state
        .portal
        .credential_events(&caller, &id, filter, paging)
        .await?;
    Ok(request.reply(page_json(&page)).into_response())
}

/// `portals/self/events`: administrators; `f=csv` exports every match (up to 100,000).
async fn org_events(
    State(state): State<AppState>,
    request: ArcgisRequest,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &request).await?;
    let filter = filter_param(&request.params, true)?;
    let csv = request
        .params
        .text("f")
        .is_some_and(|f| f.eq_ignore_ascii_case("csv"));
    if !csv {
        let paging = paging_param(&request.params)?;
        let page = state.portal.org_events(&caller, filter, paging).await?;
        return Ok(request.reply(page_json(&page)).into_response());
    }
    let mut events = Vec::new();
    let mut start = 1;
    loop {
        let paging = EventPaging {
            start,
            num: MAX_EVENT_PAGE,
        };
        let page = state
            .portal
            .org_events(&caller, filter.clone(), paging)
            .await?;
        let done = page.next_start < 0 || page.results.is_empty();
        start += page.results.len();
        events.extend(page.results);
        if done || events.len() >= MAX_CSV_EVENTS {
            break;
        }
    }
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"events.csv\""),
            (CACHE_CONTROL, "no-store"),
        ],
        events_csv(&events),
    )
        .into_response())
}

/// `portals/self/eventSettings`: with `expiryWarningDays` (`[30,7,1]`) sets the lead times of
/// expiry warnings (administrators); without, shows them.
async fn event_settings(
    State(state): State<AppState>,
    request: ArcgisRequest,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &request).await?;
    let days = match request.params.text("expiryWarningDays") {
        Some(text) => state.portal.set_expiry_warning_days(&caller, text).await?,
        None => state.portal.event_settings(&caller).await?,
    };
    Ok(request
        .reply(json!({ "expiryWarningDays": days }))
        .into_response())
}
