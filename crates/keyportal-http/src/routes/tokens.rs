//! `generateToken` (spec §3.1) and `oauth2/revokeToken` sign-out (spec §3.3a).

use axum::extract::State;
use keyportal_domain::DomainError;
use keyportal_service::TokenClient;
use serde_json::json;

use crate::wire::{ApiResult, ArcgisRequest};
use crate::AppState;

pub async fn generate_token(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let p = &request.params;
    let username = p.str("username").unwrap_or_default();
    let password = p.str("password").unwrap_or_default();
    let referer = p.text("referer").map(str::to_string);
    let client = match p.text("client").map(str::to_ascii_lowercase).as_deref() {
        Some("referer") => TokenClient::Referer(referer.unwrap_or_default()),
        Some("ip") => TokenClient::Ip(p.text("ip").unwrap_or_default().to_string()),
        Some("requestip") => TokenClient::RequestIp,
        // Without `client`, a given referer binds the token; otherwise the caller's address.
        None => referer
            .map(TokenClient::Referer)
            .unwrap_or(TokenClient::RequestIp),
        Some(_) => {
            return Err(DomainError::invalid_with(
                "Unable to generate token.",
                vec!["'client' must be referer, ip or requestip.".into()],
            )
            .into())
        }
    };
    let expiration = p.i64("expiration")?;
    let issued = state
        .portal
        .generate_token(username, password, client, expiration, &request.facts)
        .await?;
    Ok(request.reply(json!({
        "token": issued.token.expose(),
        "expires": issued.expires,
        "ssl": state.https,
    })))
}

/// Signs out the token in `auth_token` (or `token`). API key slots are revoked through the
/// same URL with `apiToken`, which needs API key credentials (`client_id`).
pub async fn revoke_token(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let p = &request.params;
    if p.text("apiToken").is_some() {
        return Err(DomainError::invalid_with(
            "Invalid client_id.",
            vec!["No registered application has this client_id.".into()],
        )
        .into());
    }
    let token = p
        .text("auth_token")
        .or_else(|| p.text("token"))
        .ok_or_else(|| DomainError::invalid("'auth_token' must be specified."))?;
    state.portal.revoke_user_token(token).await?;
    Ok(request.reply(json!({ "success": true })))
}
