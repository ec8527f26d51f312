//! `POST /secret-scanning/github`: GitHub's secret scanning partner endpoint. Not a Sharing
//! resource: it answers real HTTP statuses — 401 for a missing or bad signature (nothing is
//! revoked), 404 when no `--secret-scanning-keys` file is configured, 400 for a signed body
//! that is not a report — and, when accepted, the array GitHub reads:
//! `[{"token_hash","token_type","label":"true_positive"|"false_positive"}]`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use keyportal_domain::DomainError;
use keyportal_service::{ScanningRefusal, ServiceError};
use serde_json::{json, Value};

use crate::wire::Reply;
use crate::AppState;

/// GitHub's reports are small batches; anything larger is not one.
const MAX_BODY_BYTES: usize = 1024 * 1024;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn refusal(status: StatusCode, message: &str) -> Response {
    let mut response = Reply::new(json!({ "message": message }), false).into_response();
    *response.status_mut() = status;
    response
}

fn failure(error: ServiceError) -> Response {
    match error {
        ServiceError::Domain(DomainError::Invalid { message, .. }) => {
            refusal(StatusCode::BAD_REQUEST, &message)
        }
        ServiceError::Unavailable(cause) => {
            tracing::warn!(%cause, "database unavailable answering secret scanning");
            refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "The database is unavailable; try again shortly.",
            )
        }
        other => {
            tracing::error!(cause = %other, "secret scanning report failed");
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An internal error occurred. The server log has the details.",
            )
        }
    }
}

pub async fn github(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The body is larger than 1 MiB.",
        );
    };
    let outcome = state
        .portal
        .github_secret_scanning(
            header(&parts.headers, "github-public-key-identifier"),
            header(&parts.headers, "github-public-key-signature"),
            &body,
            address.as_deref(),
        )
        .await;
    match outcome {
        Ok(verdicts) => {
            let answer: Vec<Value> = verdicts
                .into_iter()
                .map(|v| {
                    json!({
                        "token_hash": v.token_hash,
                        "token_type": v.token_type,
                        "label": if v.true_positive { "true_positive" } else { "false_positive" },
                    })
                })
                .collect();
            Reply::new(Value::Array(answer), false).into_response()
        }
        Err(ScanningRefusal::NotConfigured) => refusal(
            StatusCode::NOT_FOUND,
            "Secret scanning is not configured on this portal (--secret-scanning-keys).",
        ),
        Err(ScanningRefusal::Signature(reason)) => {
            refusal(StatusCode::UNAUTHORIZED, &reason.to_string())
        }
        Err(ScanningRefusal::Failed(error)) => failure(error),
    }
}
