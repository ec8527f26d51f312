//! Several keyportal processes on one PostgreSQL database: a change made on one node reaches
//! the others' in-memory key tables through LISTEN/NOTIFY within a second.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{error_code, Backend, TestServer};

/// A second node: the real binary in its own process, on the same database and secret key.
pub(crate) struct SecondNode {
    child: Child,
    pub(crate) url: String,
    _dir: tempfile::TempDir,
}

impl Drop for SecondNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn second_node(first: &TestServer) -> SecondNode {
    let keyportal_store::DatabaseUrl::Postgres(database) = &first.database else {
        panic!("second nodes share PostgreSQL");
    };
    let secret =
        std::fs::read_to_string(first.data_dir.path().join("secret.key")).expect("secret key");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyportal"));
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("KEYPORTAL_")) {
        command.env_remove(name);
    }
    let child = command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            database,
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env("KEYPORTAL_SECRET_KEY", secret.trim())
        .env("KEYPORTAL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn second node");
    let node = SecondNode {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    let started = Instant::now();
    while first
        .client
        .get(format!("{}/health", node.url))
        .send()
        .await
        .map(|r| r.status().is_success())
        .ok()
        != Some(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "second node did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    node
}

pub(crate) async fn key_works(s: &TestServer, base: &str, key: &str) -> bool {
    let answer: Value = s
        .client
        .get(format!("{base}/sharing/rest/portals/self"))
        .query(&[("f", "json"), ("token", key)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    match error_code(&answer) {
        0 => true,
        498 => false,
        other => panic!("unexpected answer {other}: {answer}"),
    }
}

/// Polls until `key_works(...) == expected`, returning how long it took.
pub(crate) async fn until(s: &TestServer, base: &str, key: &str, expected: bool) -> Duration {
    let started = Instant::now();
    while key_works(s, base, key).await != expected {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "node at {base} never saw the change"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_changed_on_one_node_is_honoured_or_refused_by_another_within_a_second() {
    let Some(s) = TestServer::start(Backend::Postgres, false).await else {
        return;
    };
    let b = second_node(&s).await;
    let admin = s.admin_token().await;
    let item = s
        .add_item(&admin, "admin", "Keys", &[("type", "Application")])
        .await;
    let app = s
        .post(
            "oauth2/registerApp",
            Some(&admin),
            &[
                ("itemId", &item),
                ("privileges", r#"["premium:user:basemaps"]"#),
            ],
        )
        .await;
    let (client_id, secret) = (
        app["client_id"].as_str().unwrap().to_string(),
        app["client_secret"].as_str().unwrap().to_string(),
    );
    let minted = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("apiToken", "1"),
            ],
        )
        .await;
    let key = minted["access_token"].as_str().unwrap().to_string();
    assert!(key_works(&s, &s.url, &key).await);
    let appeared = until(&s, &b.url, &key, true).await;
    assert!(
        appeared < Duration::from_secs(1),
        "a new key reached the other node after {appeared:?}"
    );

    let revoked = s
        .post(
            "oauth2/revokeToken",
            None,
            &[
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("apiToken", "1"),
            ],
        )
        .await;
    assert_eq!(revoked, json!({ "success": true }));
    assert!(
        !key_works(&s, &s.url, &key).await,
        "refused at once on the node that revoked it"
    );
    let refused = until(&s, &b.url, &key, false).await;
    assert!(
        refused < Duration::from_secs(1),
        "the other node refused the key after {refused:?}"
    );
    eprintln!("propagation: new key {appeared:?}, revocation {refused:?}");

    // And the other way round: a key minted on B, invalidated by disabling its owner on A.
    let minted: Value = s
        .client
        .post(format!("{}/sharing/rest/oauth2/token", b.url))
        .form(&[
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("apiToken", "2"),
            ("f", "json"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key2 = minted["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{minted}"))
        .to_string();
    assert!(until(&s, &s.url, &key2, true).await < Duration::from_secs(1));
    let owner = s.member(&admin, "second", "org_admin", "creatorUT").await;
    s.post("community/users/admin/disable", Some(&owner), &[])
        .await;
    assert!(
        until(&s, &b.url, &key2, false).await < Duration::from_secs(1),
        "disabling the owner reached node B"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_counted_on_two_nodes_adds_up_exactly() {
    let Some(s) = TestServer::start(Backend::Postgres, false).await else {
        return;
    };
    let mut b = second_node(&s).await;
    let admin = s.admin_token().await;
    let item = s
        .add_item(&admin, "admin", "Shared keys", &[("type", "Application")])
        .await;
    let app = s
        .post(
            "oauth2/registerApp",
            Some(&admin),
            &[
                ("itemId", &item),
                ("privileges", r#"["premium:user:geocode:temporary"]"#),
            ],
        )
        .await;
    let minted = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", app["client_id"].as_str().unwrap()),
                ("client_secret", app["client_secret"].as_str().unwrap()),
                ("apiToken", "1"),
            ],
        )
        .await;
    let key = minted["access_token"].as_str().unwrap().to_string();
    until(&s, &b.url, &key, true).await;
    let hit = |base: String| {
        let client = s.client.clone();
        let key = key.clone();
        async move {
            for _ in 0..40 {
                let status = client
                    .get(format!("{base}/verify?service=geocode"))
                    .header("Authorization", format!("Bearer {key}"))
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(status, 200);
            }
        }
    };
    tokio::join!(hit(s.url.clone()), hit(b.url.clone()), hit(s.url.clone()));
    // Node B stops gracefully (SIGTERM) and flushes what it counted.
    let pid = b.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    while b.child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "node B did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = s
        .get(
            &format!("content/users/admin/items/{item}/usage"),
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(report["totals"]["geocode"], 120, "{report}");
}

/// Polls `url` with `token` on a node until it answers `expected`.
async fn until_status(s: &TestServer, url: &str, token: &str, expected: u16) {
    let started = Instant::now();
    loop {
        let status = s
            .client
            .get(url)
            .query(&[("token", token)])
            .header("Referer", crate::harness::REFERER)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == expected {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{url} answered {status}, never {expected}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxied_items_sharing_changed_on_one_node_is_followed_by_another() {
    let Some(s) = TestServer::start(Backend::Postgres, false).await else {
        return;
    };
    let b = second_node(&s).await;
    let up = crate::proxy::Upstream::start().await;
    let admin = s.admin_token().await;
    crate::proxy::allow_upstreams(&s, &admin, &["127.0.0.1"]).await;
    let item = crate::proxy::proxied_item(&s, &admin, "admin", &up.url, &[]).await;
    let ursula = s.member(&admin, "ursula", "org_user", "creatorUT").await;
    let on_b = format!("{}/sharing/servers/{item}/info", b.url);
    until_status(&s, &on_b, &ursula, 403).await;
    let shared = s
        .post(
            &format!("content/users/admin/items/{item}/share"),
            Some(&admin),
            &[("org", "true")],
        )
        .await;
    assert!(shared.get("error").is_none(), "{shared}");
    until_status(&s, &on_b, &ursula, 200).await;
    s.post(
        &format!("content/users/admin/items/{item}/share"),
        Some(&admin),
        &[("org", "false"), ("everyone", "false")],
    )
    .await;
    until_status(&s, &on_b, &ursula, 403).await;
    s.post(
        &format!("content/users/admin/items/{item}/delete"),
        Some(&admin),
        &[],
    )
    .await;
    until_status(&s, &on_b, &admin, 404).await;
}
