//! Key controls beyond ArcGIS (issue 14) against the real server on both backends:
//! `allowedAddresses` on the Sharing API, `/verify` (the front and the router) and the
//! trusted-proxy rule; `rollApiKey`; `checkAccess`; recent refusals; the CLI's `--address`
//! and `credential roll`; and on PostgreSQL a second node seeing an address change, a roll
//! and its refusals.

mod access;
mod addresses;
mod rolls;

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::TestServer;

pub(crate) const GEOCODE: &str = "premium:user:geocode:temporary";

/// `GET /verify?service=geocode` with the key, extra headers, at `base`: (status, body).
pub(crate) async fn verify(
    s: &TestServer,
    base: &str,
    key: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = s
        .client
        .get(format!("{base}/verify?service=geocode"))
        .header("Authorization", format!("Bearer {key}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("verify");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

pub(crate) async fn set_addresses(
    s: &TestServer,
    admin: &str,
    client_id: &str,
    list: &str,
) -> Value {
    s.post(
        &format!("oauth2/apps/{client_id}/update"),
        Some(admin),
        &[("allowedAddresses", list)],
    )
    .await
}

pub(crate) async fn info(s: &TestServer, admin: &str, item: &str) -> Value {
    s.get(
        &format!("content/users/admin/items/{item}/registeredAppInfo"),
        Some(admin),
        &[],
    )
    .await
}

pub(crate) async fn roll(s: &TestServer, admin: &str, item: &str, form: &[(&str, &str)]) -> Value {
    s.post(
        &format!("content/users/admin/items/{item}/rollApiKey"),
        Some(admin),
        form,
    )
    .await
}

pub(crate) async fn check(
    s: &TestServer,
    admin: &str,
    item: &str,
    query: &[(&str, &str)],
) -> Value {
    s.get(
        &format!("content/users/admin/items/{item}/checkAccess"),
        Some(admin),
        query,
    )
    .await
}

/// Polls `/verify` at `base` until it answers `expected` for `key` (a change made elsewhere
/// arrives through the change feed).
pub(crate) async fn until(s: &TestServer, base: &str, key: &str, expected: u16) {
    let started = Instant::now();
    while verify(s, base, key, &[]).await.0 != expected {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{base} never answered {expected}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
