//! `GET /health` (liveness: the server is up and its database reachable) and `GET /ready`
//! (readiness: the database answers and the key table is loaded, so key checks are exact).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::AppState;

/// A readiness probe must answer quickly even when the database hangs.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.portal.store().get_org().await {
        Ok(_) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            unavailable("database unreachable")
        }
    }
}

pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if !state.portal.is_key_table_loaded() {
        return unavailable("key table not loaded");
    }
    match tokio::time::timeout(PROBE_TIMEOUT, state.portal.store().get_org()).await {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: database unreachable");
            unavailable("database unreachable")
        }
        Err(_) => unavailable("database unreachable"),
    }
}

fn unavailable(reason: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "reason": reason })),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request;
    use keyportal_service::{Portal, PortalSettings, Sealer, SystemClock};
    use keyportal_store::{DatabaseUrl, SqlStore};
    use tower::ServiceExt;

    use super::*;

    async fn status_of(state: &AppState, path: &str) -> (u16, Value) {
        let answer = crate::app(state.clone())
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let bytes = axum::body::to_bytes(answer.into_body(), 10_000)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn ready_only_once_the_key_table_is_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
            .await
            .unwrap();
        let portal = Portal::new(
            Arc::new(store),
            Arc::new(SystemClock),
            PortalSettings::default(),
            Sealer::new([7; 32]),
        );
        portal
            .bootstrap("Org", Some("a-Passw0rd!".into()))
            .await
            .unwrap();
        let state = AppState {
            portal: Arc::new(portal),
            https: false,
            public_url: "http://127.0.0.1:1".into(),
        };
        let (status, body) = status_of(&state, "/ready").await;
        assert_eq!(status, 503);
        assert_eq!(body["reason"], "key table not loaded");
        assert_eq!(status_of(&state, "/health").await.0, 200, "alive meanwhile");
        state.portal.load_key_table().await.unwrap();
        let (status, body) = status_of(&state, "/ready").await;
        assert_eq!((status, body), (200, json!({ "status": "ready" })));
    }
}
