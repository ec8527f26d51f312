//! The service proxy: proxied items (`/sharing/servers/{itemId}/…`) and location services
//! (`/services/{name}/…`) against real upstream HTTP servers started by the tests — forwarding,
//! sealed upstream credentials, item access, sharing, referrers, privileges, rate limits,
//! upstream failures and timeouts, body limits, streaming, and usage counts.

mod access;
mod allow_list;
mod failures;
mod forwarding;
mod services;
mod upstream;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{TestServer, REFERER};

pub(crate) use upstream::Upstream;

/// Adds `entries` to the proxy allow-list. Upstreams on loopback (all the tests' are) must be
/// named explicitly: that is the product's behaviour.
pub(crate) async fn allow_upstreams(s: &TestServer, admin: &str, entries: &[&str]) {
    let answer = s
        .post(
            "portals/self/proxyAllowList/update",
            Some(admin),
            &[("add", &entries.join(","))],
        )
        .await;
    assert_eq!(answer["success"], true, "{answer}");
}

pub(crate) fn proxy_settings_path(owner: &str, item: &str) -> String {
    format!("content/users/{owner}/items/{item}/proxy")
}

/// Adds an item with `url` and enables proxying with `settings`; returns its id.
pub(crate) async fn proxied_item(
    s: &TestServer,
    token: &str,
    owner: &str,
    url: &str,
    settings: &[(&str, &str)],
) -> String {
    let item = s
        .add_item(
            token,
            owner,
            "Upstream",
            &[("url", url), ("type", "Map Service")],
        )
        .await;
    let mut form = vec![("enabled", "true")];
    form.extend_from_slice(settings);
    let answer = s
        .post(&proxy_settings_path(owner, &item), Some(token), &form)
        .await;
    assert_eq!(
        answer["success"], true,
        "enabling the proxy failed: {answer}"
    );
    item
}

pub(crate) fn servers(s: &TestServer, item: &str, rest: &str) -> String {
    format!("{}/sharing/servers/{item}{rest}", s.url)
}

/// GET with `token` (in the query) and the harness's referer; returns (status, body text).
pub(crate) async fn get_with(s: &TestServer, url: &str, token: Option<&str>) -> (u16, String) {
    get_from(s, url, token, Some(REFERER)).await
}

pub(crate) async fn get_from(
    s: &TestServer,
    url: &str,
    token: Option<&str>,
    referer: Option<&str>,
) -> (u16, String) {
    let mut request = s.client.get(url);
    if let Some(token) = token {
        request = request.query(&[("token", token)]);
    }
    if let Some(referer) = referer {
        request = request.header("Referer", referer);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The error code of a forwarding route's JSON error.
pub(crate) fn code_of(body: &str) -> i64 {
    serde_json::from_str::<Value>(body).unwrap_or_default()["error"]["code"]
        .as_i64()
        .unwrap_or(0)
}

pub(crate) async fn usage_totals(s: &TestServer, admin: &str, credential: &str) -> Value {
    let report = s
        .get(
            &format!("content/users/admin/items/{credential}/usage"),
            Some(admin),
            &[("period", "last30days")],
        )
        .await;
    report["totals"].clone()
}

/// Sends `path` as a raw request line (no client-side URL normalisation); returns the status.
pub(crate) async fn raw_status(base: &str, path: &str) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}
