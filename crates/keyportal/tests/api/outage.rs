//! A database restart under traffic, two nodes: the PostgreSQL cluster (a private one, see
//! `private_pg.rs`) is stopped and started again while both nodes serve key checks and
//! key-authenticated reads. Keys keep answering from memory, writes fail fast with a clear
//! error, and once the database is back writes succeed and reach the other node.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyportal_store::DatabaseUrl;
use serde_json::Value;

use crate::harness::{error_code, TestServer};
use crate::private_pg::PrivatePg;
use crate::process::Node;

const UNAVAILABLE: &str = "The database is unavailable; try again shortly.";

/// Registers API key credentials and mints key 1: `(client id, client secret, key)`.
pub async fn credential(s: &TestServer, admin: &str, base: &str) -> (String, String, String) {
    let item = s
        .add_item(admin, "admin", "Keys", &[("type", "Application")])
        .await;
    let app = s
        .post(
            "oauth2/registerApp",
            Some(admin),
            &[
                ("itemId", &item),
                ("privileges", r#"["premium:user:geocode:temporary"]"#),
            ],
        )
        .await;
    let client_id = app["client_id"].as_str().expect("client id").to_string();
    let secret = app["client_secret"].as_str().expect("secret").to_string();
    let key = mint(s, base, &client_id, &secret, "1").await;
    (client_id, secret, key)
}

pub async fn form(s: &TestServer, base: &str, path: &str, fields: &[(&str, &str)]) -> Value {
    let mut fields = fields.to_vec();
    fields.push(("f", "json"));
    s.client
        .post(format!("{base}/sharing/rest/{path}"))
        .form(&fields)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

pub async fn mint(s: &TestServer, base: &str, client_id: &str, secret: &str, slot: &str) -> String {
    let minted = form(
        s,
        base,
        "oauth2/token",
        &[
            ("client_id", client_id),
            ("client_secret", secret),
            ("apiToken", slot),
        ],
    )
    .await;
    minted["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{minted}"))
        .to_string()
}

pub async fn revoke(s: &TestServer, base: &str, client_id: &str, secret: &str) -> Value {
    form(
        s,
        base,
        "oauth2/revokeToken",
        &[
            ("client_id", client_id),
            ("client_secret", secret),
            ("apiToken", "1"),
        ],
    )
    .await
}

pub async fn verify_status(client: &reqwest::Client, base: &str, key: &str) -> Result<u16, String> {
    client
        .get(format!("{base}/verify?service=geocode"))
        .header("Authorization", format!("Bearer {key}"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

async fn ready_status(client: &reqwest::Client, base: &str) -> u16 {
    client
        .get(format!("{base}/ready"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Polls `/verify` on `base` until it answers `expected` (a change reaching a node).
async fn until_verify(s: &TestServer, base: &str, key: &str, expected: u16) {
    let started = Instant::now();
    loop {
        if verify_status(&s.client, base, key).await == Ok(expected) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{base} never answered {expected} for the key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the traffic saw.
#[derive(Default)]
struct Seen {
    verify_ok: AtomicU64,
    reads_ok: AtomicU64,
    /// Answers during the outage (between stop and start).
    during_outage: AtomicU64,
    failures: Mutex<Vec<String>>,
}

/// Sends `/verify` and `portals/self` with `key` to `base` until `stop`.
async fn traffic(
    client: reqwest::Client,
    base: String,
    key: String,
    client_id: String,
    stop: Arc<AtomicBool>,
    outage: Arc<AtomicBool>,
    seen: Arc<Seen>,
) {
    let fail = |what: String| seen.failures.lock().unwrap().push(what);
    while !stop.load(Ordering::SeqCst) {
        match verify_status(&client, &base, &key).await {
            Ok(200) => {
                seen.verify_ok.fetch_add(1, Ordering::SeqCst);
            }
            other => fail(format!("{base}/verify answered {other:?}")),
        }
        let started = Instant::now();
        let read: Result<Value, _> = async {
            client
                .get(format!("{base}/sharing/rest/portals/self"))
                .query(&[("f", "json"), ("token", key.as_str())])
                .send()
                .await?
                .json()
                .await
        }
        .await;
        match read {
            Ok(answer) if answer["appInfo"]["appId"] == client_id.as_str() => {
                seen.reads_ok.fetch_add(1, Ordering::SeqCst);
            }
            other => fail(format!("{base} portals/self with the key: {other:?}")),
        }
        if started.elapsed() > Duration::from_secs(5) {
            fail(format!("{base} portals/self took {:?}", started.elapsed()));
        }
        if outage.load(Ordering::SeqCst) {
            seen.during_outage.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_under_traffic_is_ridden_out_by_two_nodes() {
    let Some(pg) = PrivatePg::start() else {
        return;
    };
    let database = pg.url();
    let dir_a = tempfile::tempdir().unwrap();
    let a = Node::start(dir_a.path(), &database, None).await;
    let dir_b = tempfile::tempdir().unwrap();
    let b = Node::start(dir_b.path(), &database, Some(&a.secret_key())).await;
    let s = TestServer::for_process(a.url.clone(), dir_a, DatabaseUrl::parse(&database).unwrap());
    let admin = s.admin_token().await;
    let (client_id, _, key) = credential(&s, &admin, &a.url).await;
    let (doomed_id, doomed_secret, doomed) = credential(&s, &admin, &a.url).await;
    until_verify(&s, &b.url, &key, 200).await;
    until_verify(&s, &b.url, &doomed, 200).await;

    let stop = Arc::new(AtomicBool::new(false));
    let outage = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Seen::default());
    let mut tasks = Vec::new();
    for base in [&a.url, &b.url, &a.url, &b.url] {
        tasks.push(tokio::spawn(traffic(
            s.client.clone(),
            base.clone(),
            key.clone(),
            client_id.clone(),
            stop.clone(),
            outage.clone(),
            seen.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    tokio::task::block_in_place(|| pg.stop());
    outage.store(true, Ordering::SeqCst);

    // A write answers the clear error, within 5 s, on either node.
    for base in [&a.url, &b.url] {
        let started = Instant::now();
        let refused = revoke(&s, base, &doomed_id, &doomed_secret).await;
        let took = started.elapsed();
        assert_eq!(error_code(&refused), 503, "{refused}");
        assert_eq!(refused["error"]["message"], UNAVAILABLE, "{refused}");
        assert!(took < Duration::from_secs(5), "the write took {took:?}");
        eprintln!("outage: revokeToken on {base} answered 503 after {took:?}");
        let started = Instant::now();
        let item = s
            .client
            .post(format!("{base}/sharing/rest/content/users/admin/addItem"))
            .header("Referer", crate::harness::REFERER)
            .form(&[
                ("title", "During the outage"),
                ("type", "Web Map"),
                ("f", "json"),
                ("token", admin.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(error_code(&item), 503, "{item}");
        assert_eq!(item["error"]["message"], UNAVAILABLE);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            !item.to_string().contains("127.0.0.1"),
            "no backend text: {item}"
        );
    }
    // The refused revocation changed nothing.
    assert_eq!(verify_status(&s.client, &b.url, &doomed).await, Ok(200));
    // Not ready while the database is away (alive all the same: key checks answer).
    for base in [&a.url, &b.url] {
        assert_eq!(ready_status(&s.client, base).await, 503, "{base}/ready");
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    tokio::task::block_in_place(|| pg.start_again());
    outage.store(false, Ordering::SeqCst);

    // Writes succeed again (the pools reconnect by themselves) …
    let started = Instant::now();
    loop {
        let answer = revoke(&s, &a.url, &doomed_id, &doomed_secret).await;
        if answer["success"] == true {
            break;
        }
        assert_eq!(error_code(&answer), 503, "{answer}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "writes did not come back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // … and reach the other node: the key revoked on A during recovery is refused on B, a key
    // minted on B is honoured on A.
    until_verify(&s, &b.url, &doomed, 401).await;
    assert_eq!(verify_status(&s.client, &a.url, &doomed).await, Ok(401));
    let fresh = mint(&s, &b.url, &doomed_id, &doomed_secret, "2").await;
    until_verify(&s, &a.url, &fresh, 200).await;
    for base in [&a.url, &b.url] {
        assert_eq!(ready_status(&s.client, base).await, 200, "{base}/ready");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    let failures = seen.failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let during = seen.during_outage.load(Ordering::SeqCst);
    assert!(
        during >= 4,
        "traffic ran during the outage ({during} rounds)"
    );
    eprintln!(
        "outage: {} verify and {} key reads answered, {during} rounds during the outage",
        seen.verify_ok.load(Ordering::SeqCst),
        seen.reads_ok.load(Ordering::SeqCst)
    );
    drop(b);
}
