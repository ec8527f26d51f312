//! What every page test needs: a bootstrapped portal on a temporary SQLite database, requests
//! sent through the router, answers read back, and a signed-in session.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, Response};
use keyportal_service::{Clock, Portal, PortalSettings, RequestFacts, SystemClock, TokenClient};
use keyportal_store::{DatabaseUrl, SqlStore};
use tower::ServiceExt;

/// The administrator's password in every test portal.
pub const PASSWORD: &str = "web-pages-pass-1";

/// A portal with the administrator `admin`, on the system clock.
pub async fn portal() -> (Arc<Portal>, tempfile::TempDir) {
    portal_with_clock(Arc::new(SystemClock)).await
}

/// A portal with the administrator `admin`, on the given clock.
pub async fn portal_with_clock(clock: Arc<dyn Clock>) -> (Arc<Portal>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .expect("store");
    let portal = Portal::new(
        Arc::new(store),
        clock,
        PortalSettings::default(),
        keyportal_service::Sealer::new([9u8; 32]),
    );
    portal
        .bootstrap("Org", Some(PASSWORD.into()))
        .await
        .expect("bootstrap");
    (Arc::new(portal), dir)
}

pub async fn send(portal: &Arc<Portal>, request: Request<Body>) -> Response<Body> {
    keyportal_web::router(portal.clone(), false)
        .oneshot(request)
        .await
        .expect("infallible")
}

pub fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request")
}

/// A form post (`fields` already URL-encoded).
pub fn post(path: &str, cookie: &str, fields: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(fields.to_string()))
        .expect("request")
}

pub async fn body(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 4 << 20)
        .await
        .expect("body");
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

/// A header's value, or "" when absent.
pub fn header_of(response: &Response<Body>, name: header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("ascii").to_string())
        .unwrap_or_default()
}

/// A signed-in session made with `generateToken`: (cookie header, the CSRF token its forms carry).
pub async fn session(portal: &Portal, username: &str, password: &str) -> (String, String) {
    let issued = portal
        .generate_token(
            username,
            password,
            TokenClient::RequestIp,
            Some(60),
            &RequestFacts::default(),
        )
        .await
        .expect("token");
    let token = issued.token.expose().to_string();
    (
        format!("kp_session={token}"),
        keyportal_web::csrf_for(&token),
    )
}
