//! `oauth2/revokeLeakedKeys`: anyone reports strings found in public; every live API key or
//! legacy key among them is revoked. The answer is the same whatever was sent, so the route
//! tells nobody whether a string was a key. Limited to 60 requests an hour per address.

use axum::extract::State;
use keyportal_domain::leak::{check_source, parse_reported_keys};
use serde_json::json;

use crate::wire::{ApiResult, ArcgisRequest};
use crate::AppState;

pub async fn revoke_leaked_keys(
    State(state): State<AppState>,
    request: ArcgisRequest,
) -> ApiResult {
    let p = &request.params;
    let now = state.portal.now();
    let address = request.facts.client_ip.as_deref();
    // Counted first: a refused or malformed report uses the allowance too.
    state.portal.admit_leak_report(address, now)?;
    let keys = parse_reported_keys(p.required("keys")?)?;
    let source = check_source(p.text("source").unwrap_or_default())?;
    state
        .portal
        .revoke_leaked_keys(&keys, &source, address, now)
        .await?;
    Ok(request.reply(json!({ "success": true, "received": keys.len() })))
}
