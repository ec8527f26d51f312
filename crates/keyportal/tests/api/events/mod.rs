//! The audit trail over the real server: every event type keyportal records (webhooks and
//! leaked keys excepted, built elsewhere) with the right fields, nothing secret anywhere in
//! the events table (`recorded`), paging, filters, who may read what and the CLI (`listing`),
//! and expiry warnings recorded by the background check for a key that expires a minute
//! ahead (`expiry`). This file holds what they share.

mod expiry;
mod listing;
mod recorded;

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::TestServer;

pub(super) const LEGACY_KEY: &str =
    "AAPK5b2e6c1f0a9d48e7b3c4d5e6f7a8b9c0ro7MqS9xFOIwXyZ0123456789abcdefghij";

/// Every event of the organization, newest first, read page by page.
pub(super) async fn all_events(s: &TestServer, admin: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut start = 1;
    loop {
        let page = s
            .get(
                "portals/self/events",
                Some(admin),
                &[("start", &start.to_string()), ("num", "100")],
            )
            .await;
        let batch = page["events"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"));
        events.extend(batch.iter().cloned());
        if page["nextStart"] == -1 {
            return events;
        }
        start = page["nextStart"].as_u64().unwrap() as usize;
    }
}

pub(super) fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// Waits (polling, bounded) until an event of `kind` is listed.
pub(super) async fn eventually(
    s: &TestServer,
    admin: &str,
    kind: &str,
    within: Duration,
) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let page = s
            .get(
                "portals/self/events",
                Some(admin),
                &[("types", kind), ("num", "100")],
            )
            .await;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if !events.is_empty() {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} event within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The raw rows of the events table as text, read by another process (the test never opens
/// the server's SQLite file itself).
pub(super) fn raw_events_table(s: &TestServer) -> String {
    let output = match &s.database {
        keyportal_store::DatabaseUrl::Sqlite(path) => std::process::Command::new("sqlite3")
            .arg(path)
            .arg("SELECT * FROM events")
            .output()
            .expect("sqlite3 runs"),
        keyportal_store::DatabaseUrl::Postgres(url) => std::process::Command::new("psql")
            .arg(url)
            .args(["-At", "-c", "SELECT events::text FROM events"])
            .output()
            .expect("psql runs"),
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub(super) async fn register(
    s: &TestServer,
    token: &str,
    owner: &str,
    title: &str,
) -> (String, String, String) {
    let item = s
        .add_item(token, owner, title, &[("type", "Application")])
        .await;
    let app = s
        .post(
            "oauth2/registerApp",
            Some(token),
            &[
                ("itemId", &item),
                ("privileges", r#"["premium:user:geocode:temporary"]"#),
                ("httpReferrers", "[]"),
            ],
        )
        .await;
    let client_id = app["client_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{app}"))
        .to_string();
    let secret = app["client_secret"].as_str().unwrap().to_string();
    (item, client_id, secret)
}

pub(super) async fn mint(
    s: &TestServer,
    token: Option<&str>,
    client_id: &str,
    secret: &str,
    slot: &str,
    regenerate: bool,
) -> String {
    let mut form = vec![
        ("client_id", client_id),
        ("client_secret", secret),
        ("apiToken", slot),
    ];
    if regenerate {
        form.push(("regenerateApiToken", "true"));
    }
    let minted = s.post("oauth2/token", token, &form).await;
    minted["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{minted}"))
        .to_string()
}
