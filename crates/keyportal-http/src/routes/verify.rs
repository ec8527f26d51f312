//! `/verify`: the in-memory key decision for services that sit elsewhere, usable as an nginx
//! `auth_request` target. Real HTTP statuses (not the Sharing envelope): 200 allowed,
//! 401 no or invalid key, 403 valid key without the privilege, 400 bad input.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keyportal_service::{Verdict, VerifyRequest};
use serde_json::json;

use crate::wire::ArcgisRequest;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/verify", get(verify).post(verify))
}

/// nginx passes the original request line in `X-Original-URI`; a key sent as `?token=` there
/// is found too.
fn token_from_original_uri(headers: &HeaderMap) -> Option<String> {
    let uri = headers.get("x-original-uri")?.to_str().ok()?;
    let query = uri.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: ArcgisRequest,
) -> Response {
    let from_original = token_from_original_uri(&headers);
    let token = request.token.clone().or(from_original);
    let p = &request.params;
    let verify = VerifyRequest {
        token: token.as_deref(),
        referer: request.facts.referer.as_deref(),
        service: p.text("service"),
        privilege: p.text("privilege"),
        item: p.text("item"),
    };
    match state.portal.verify(&verify) {
        Ok(Verdict::Allowed(key)) => {
            let body = json!({
                "allowed": true,
                "clientId": key.grant.client_id,
                "itemId": key.grant.item_id,
                "owner": key.grant.owner,
                "slot": key.grant.kind.slot_number(),
                "expires": key.grant.expires,
            });
            let mut response = (StatusCode::OK, Json(body)).into_response();
            let h = response.headers_mut();
            h.insert("x-keyportal-client-id", header_value(&key.grant.client_id));
            h.insert("x-keyportal-owner", header_value(&key.grant.owner));
            h.insert("cache-control", HeaderValue::from_static("no-store"));
            response
        }
        Ok(Verdict::Limited(limited)) => {
            let mut response = deny(
                StatusCode::TOO_MANY_REQUESTS,
                limited.reason.as_str(),
                "The credential's rate limit or quota was reached.",
                &[],
            );
            let seconds = (limited.retry_after_ms + 999) / 1000;
            response
                .headers_mut()
                .insert("retry-after", header_value(&seconds.to_string()));
            response
        }
        Ok(Verdict::Missing) => deny(
            StatusCode::UNAUTHORIZED,
            "missing",
            "No API key was sent.",
            &[],
        ),
        Ok(Verdict::Invalid(denial)) => deny(
            StatusCode::UNAUTHORIZED,
            denial.reason(),
            "The API key is not valid here.",
            &[],
        ),
        Ok(Verdict::Forbidden { reason, needed }) => deny(
            StatusCode::FORBIDDEN,
            reason,
            "The API key does not allow this.",
            &needed,
        ),
        Err(error) => {
            let envelope = crate::wire::ApiError(error).to_envelope();
            (StatusCode::BAD_REQUEST, Json(json!({ "allowed": false, "reason": "bad_request", "error": envelope["error"] })))
                .into_response()
        }
    }
}

fn deny(status: StatusCode, reason: &str, message: &str, needed: &[String]) -> Response {
    let mut response = (
        status,
        Json(json!({ "allowed": false, "reason": reason, "message": message, "needed": needed })),
    )
        .into_response();
    response
        .headers_mut()
        .insert("x-keyportal-reason", header_value(reason));
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    response
}
