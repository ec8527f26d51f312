//! The document as the router serves it, and every documented operation reaching a handler
//! of the real router (the other half of the drift check, at run time).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use keyportal_service::{Portal, PortalSettings, Sealer, SystemClock};
use keyportal_store::{DatabaseUrl, SqlStore};
use serde_json::Value;
use tower::ServiceExt;

use super::document;
use crate::AppState;

async fn state(dir: &tempfile::TempDir) -> AppState {
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
    AppState {
        portal: Arc::new(portal),
        https: false,
        public_url: "http://127.0.0.1:1".into(),
    }
}

#[tokio::test]
async fn the_document_is_served_to_anyone_from_any_origin() {
    let dir = tempfile::tempdir().unwrap();
    let answer = crate::app(state(&dir).await)
        .oneshot(
            Request::get("/openapi.json")
                .header("Origin", "https://docs.example.com")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "application/json");
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");
    let bytes = axum::body::to_bytes(answer.into_body(), 4_000_000)
        .await
        .unwrap();
    let served: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(&served, document());
    assert_eq!(served["openapi"], "3.1.0");
}

/// A template with every `{param}` filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |i| open + i);
        out.push_str(if &rest[open..=close] == "{rest}" {
            "a/b"
        } else {
            "x1"
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::app(state(&dir).await);
    let mut tried = 0;
    for (path, item) in document()["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let uri = concrete(path);
            let answer = app
                .clone()
                .oneshot(
                    Request::builder()
                        .method(method.clone())
                        .uri(&uri)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let status = answer.status();
            let body = axum::body::to_bytes(answer.into_body(), 4_000_000)
                .await
                .unwrap();
            // The router's own refusals: 405, and 404 with an empty body (handlers' 404s say why).
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            assert!(
                !(status == StatusCode::NOT_FOUND && body.is_empty()),
                "{method} {uri}: no route"
            );
            tried += 1;
        }
    }
    assert!(tried > 150, "{tried}");
}
