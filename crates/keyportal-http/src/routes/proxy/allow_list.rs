//! The proxy allow-list (administrators with `portal:admin:manageSecurity`; ArcGIS envelope):
//! - `portals/self/proxyAllowList`: the entries, and the enabled proxies whose upstream the list
//!   does not allow (`refusedUpstreams`);
//! - `portals/self/proxyAllowList/update`: `entries` replaces the whole list (`[]` empties it),
//!   or `add` and `remove` edit it; answers like the list, with `success`.

use axum::extract::State;
use keyportal_domain::proxy::ProxyTarget;
use keyportal_domain::DomainError;
use keyportal_service::AllowListView;
use serde_json::{json, Value};

use crate::routes::portal::authenticate;
use crate::wire::{ApiResult, ArcgisRequest};
use crate::AppState;

fn view_json(view: &AllowListView) -> Value {
    let refused: Vec<Value> = view
        .refused
        .iter()
        .map(|r| {
            let mut v = json!({ "host": r.host, "port": r.port });
            match &r.target {
                ProxyTarget::Item(id) => v["itemId"] = json!(id),
                ProxyTarget::Service(name) => v["locationService"] = json!(name),
            }
            v
        })
        .collect();
    json!({ "entries": view.entries, "refusedUpstreams": refused })
}

pub(super) async fn show_allow_list(
    State(state): State<AppState>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let view = state.portal.proxy_allow_list(&caller).await?;
    Ok(request.reply(view_json(&view)))
}

pub(super) async fn update_allow_list(
    State(state): State<AppState>,
    request: ArcgisRequest,
) -> ApiResult {
    let caller = authenticate(&state, &request).await?;
    let p = &request.params;
    let entries = p.list("entries")?;
    let add = p.list("add")?;
    let remove = p.list("remove")?;
    let view = match (entries, add, remove) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(DomainError::invalid(
                "Send either 'entries' (the whole list) or 'add'/'remove', not both.",
            )
            .into())
        }
        (Some(entries), None, None) => state.portal.set_proxy_allow_list(&caller, &entries).await?,
        (None, None, None) => {
            return Err(DomainError::invalid(
                "'entries' (the whole list), or 'add' and/or 'remove', must be specified.",
            )
            .into())
        }
        (None, add, remove) => {
            state
                .portal
                .change_proxy_allow_list(
                    &caller,
                    &add.unwrap_or_default(),
                    &remove.unwrap_or_default(),
                )
                .await?
        }
    };
    let mut answer = view_json(&view);
    answer["success"] = json!(true);
    Ok(request.reply(answer))
}
