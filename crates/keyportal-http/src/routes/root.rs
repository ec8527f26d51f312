//! `/sharing/rest` and `/sharing/rest/info` (spec §2).

use axum::extract::State;
use serde_json::json;

use crate::views::portal::CURRENT_VERSION;
use crate::wire::{ApiResult, ArcgisRequest};
use crate::AppState;

pub async fn root(request: ArcgisRequest) -> ApiResult {
    Ok(request.reply(json!({ "currentVersion": CURRENT_VERSION })))
}

/// The site root as clients reached it (scheme from the listener, host from the request).
pub fn site_root(state: &AppState, request: &ArcgisRequest) -> String {
    let scheme = if state.https { "https" } else { "http" };
    let host = request
        .host
        .as_deref()
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

pub async fn info(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let root = site_root(&state, &request);
    Ok(request.reply(json!({
        "owningSystemUrl": root,
        "authInfo": {
            "isTokenBasedSecurity": true,
            "tokenServicesUrl": format!("{root}/sharing/rest/generateToken"),
        },
    })))
}
