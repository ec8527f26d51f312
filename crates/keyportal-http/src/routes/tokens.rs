//! `generateToken` (spec §3.1) and `oauth2/revokeToken` sign-out (spec §3.3a).

use axum::extract::State;
use keyportal_domain::events::{Actor, ActorKind};
use keyportal_domain::DomainError;
use keyportal_service::{Caller, TokenClient};
use serde_json::json;

use keyportal_domain::api_key::KeySlot;

use crate::wire::{ApiError, ApiResult, ArcgisRequest, Params, Reply};
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

/// The `apiToken` parameter: slot 1 or 2.
fn slot_param(p: &Params) -> Result<Option<KeySlot>, DomainError> {
    p.text("apiToken")
        .map(|v| {
            v.parse::<KeySlot>()
                .map_err(|e| DomainError::invalid_with("Invalid apiToken.", vec![e.to_string()]))
        })
        .transpose()
}

/// OAuth failures carry `error`/`error_description` inside the ArcGIS envelope (spec §1.5).
pub(super) fn oauth_error(request: &ArcgisRequest, error: ApiError, oauth_code: &str) -> Reply {
    let mut envelope = error.to_envelope();
    if let Some(inner) = envelope.get_mut("error") {
        let message = inner["message"].clone();
        inner["error"] = json!(oauth_code);
        inner["error_description"] = message;
    }
    request.reply(envelope)
}

/// `oauth2/token`: `client_credentials` with `apiToken=N` generates or regenerates slot N's
/// API key; without it, an app token. The client secret authenticates; any user token sent
/// along (the Python client always sends one) is ignored.
pub async fn oauth_token(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let p = &request.params;
    let grant_type = p
        .text("grant_type")
        .unwrap_or("client_credentials")
        .to_string();
    // User sign-in grants (authorization_code, refresh_token, exchange_refresh_token).
    if let Some(answer) = super::oauth::token_grant(&state, &request, &grant_type).await {
        return answer;
    }
    if grant_type != "client_credentials" {
        return Ok(oauth_error(
            &request,
            DomainError::invalid_with(
                format!(
                    "Unsupported grant_type '{}'.",
                    keyportal_domain::ids::shorten(&grant_type)
                ),
                vec![
                    "This portal supports grant_type=client_credentials, authorization_code, \
                     refresh_token and exchange_refresh_token."
                        .into(),
                ],
            )
            .into(),
            "unsupported_grant_type",
        ));
    }
    let client_id = p.text("client_id").unwrap_or_default().to_string();
    let client_secret = p.text("client_secret").unwrap_or_default().to_string();
    if client_id.is_empty() || client_secret.is_empty() {
        return Ok(oauth_error(
            &request,
            DomainError::invalid("'client_id' and 'client_secret' must be specified.").into(),
            "invalid_request",
        ));
    }
    let slot = match slot_param(p) {
        Ok(slot) => slot,
        Err(e) => return Ok(oauth_error(&request, e.into(), "invalid_request")),
    };
    let outcome = match slot {
        Some(slot) => {
            let regenerate = p.bool("regenerateApiToken")?;
            let actor = client_actor(&state, &request).await;
            state
                .portal
                .mint_api_key(&actor, &client_id, &client_secret, slot, regenerate)
                .await
                .map(|minted| json!({ "access_token": minted.key.expose(), "expires_in": minted.expires_in }))
        }
        None => state
            .portal
            .issue_app_token(&client_id, &client_secret, p.i64("expiration")?)
            .await
            .map(|issued| json!({ "access_token": issued.token.expose(), "expires_in": issued.expires_in })),
    };
    match outcome {
        Ok(value) => Ok(request.reply(value)),
        Err(error) => {
            let code = match &error {
                keyportal_service::ServiceError::Domain(DomainError::Invalid {
                    message, ..
                }) if message.starts_with("Invalid client_id") => "invalid_client",
                _ => "invalid_request",
            };
            Ok(oauth_error(&request, error.into(), code))
        }
    }
}

/// Signs out the token in `auth_token` (or `token`); with `apiToken`, invalidates that API
/// key slot of the app authenticated by `client_id` + `client_secret` (spec §3.3).
pub async fn revoke_token(State(state): State<AppState>, request: ArcgisRequest) -> ApiResult {
    let p = &request.params;
    if let Some(slot) = slot_param(p)? {
        // REST JS also sends regenerateApiToken and grant_type here; they mean nothing.
        let client_id = p.required("client_id")?;
        let client_secret = p.required("client_secret")?;
        let actor = client_actor(&state, &request).await;
        state
            .portal
            .revoke_api_key(&actor, client_id, client_secret, slot)
            .await?;
        return Ok(request.reply(json!({ "success": true })));
    }
    let token = p
        .text("auth_token")
        .or_else(|| p.text("token"))
        .ok_or_else(|| DomainError::invalid("'auth_token' must be specified."))?;
    state.portal.revoke_user_token(token).await?;
    Ok(request.reply(json!({ "success": true })))
}

/// Who acts when an app's secret mints or revokes a key: the member whose token came with
/// the request (the official clients send it), else the app itself, from the request's
/// address.
async fn client_actor(state: &AppState, request: &ArcgisRequest) -> Actor {
    match state
        .portal
        .authenticate(request.token.as_deref(), &request.facts)
        .await
    {
        Ok(caller @ Caller::Member(_)) => caller.actor(),
        _ => Actor {
            name: None,
            kind: ActorKind::App,
            address: request.facts.address().map(|a| a.to_string()),
        },
    }
}
