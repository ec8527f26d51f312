//! `keyportal backup` and `keyportal restore` with real processes: a backup taken while
//! members keep writing, restored into the *other* backend, serves the same keys, items,
//! usage and client secrets; the refusals (a non-empty database, a missing or wrong server
//! key) change nothing.

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use keyportal_store::DatabaseUrl;
use serde_json::Value;

use crate::harness::{
    database_args, drop_pg_database, error_code, fresh_pg_database, keyportal_command, TestServer,
    REFERER,
};
use crate::on_both_backends;
use crate::process::Node;
use crate::shutdown::counted;

/// Runs the CLI with `args` (and `env`) off the async runtime.
async fn cli(args: Vec<String>, env: Vec<(String, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        keyportal_command()
            .args(&args)
            .envs(env)
            .output()
            .expect("run keyportal")
    })
    .await
    .expect("cli task")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&output.stdout));
    })
}

fn refused(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    assert!(output.stdout.is_empty());
}

/// An empty database of the other backend: `(data dir, database URL, PostgreSQL name)`.
async fn other_backend(
    source: &DatabaseUrl,
) -> Option<(tempfile::TempDir, String, Option<String>)> {
    let dir = tempfile::tempdir().unwrap();
    if source.is_postgres() {
        let url = format!("sqlite:{}", dir.path().join("restored.db").display());
        Some((dir, url, None))
    } else {
        let name = fresh_pg_database().await?;
        Some((
            dir,
            format!("postgres://postgres@127.0.0.1:5432/{name}"),
            Some(name),
        ))
    }
}

fn restore_args(file: &Path, dir: &Path, database: &str) -> Vec<String> {
    vec![
        "restore".into(),
        "--from".into(),
        file.display().to_string(),
        "--data-dir".into(),
        dir.display().to_string(),
        "--database".into(),
        database.into(),
        "--json".into(),
    ]
}

on_both_backends!(
    a_backup_under_writes_restores_into_the_other_backend,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        // API key credentials with a client secret, and a key used five times.
        let item = s
            .add_item(
                &admin,
                "admin",
                "Backed-up keys",
                &[("type", "Application")],
            )
            .await;
        let app = s
            .post(
                "oauth2/registerApp",
                Some(&admin),
                &[
                    ("itemId", &item),
                    ("privileges", "[\"premium:user:geocode\"]"),
                ],
            )
            .await;
        let client_id = app["client_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{app}"))
            .to_string();
        let secret = app["client_secret"].as_str().unwrap().to_string();
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
        let key = minted["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{minted}"))
            .to_string();
        for _ in 0..5 {
            let answer = s
                .client
                .get(format!("{}/verify?service=geocode", s.url))
                .header("X-Esri-Authorization", format!("Bearer {key}"))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200);
        }
        let waited = Instant::now();
        while counted(&s, &admin, &item, "geocode").await < 5 {
            assert!(
                waited.elapsed() < Duration::from_secs(15),
                "usage not written"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // Reports include counts still in memory; they are written every second.
        tokio::time::sleep(Duration::from_millis(2500)).await;

        // Members keep adding items while the backup runs.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (stop, client, url, admin) =
                (stop.clone(), s.client.clone(), s.url.clone(), admin.clone());
            tokio::spawn(async move {
                let mut added = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let answer: Value = client
                        .post(format!("{url}/sharing/rest/content/users/admin/addItem"))
                        .header("Referer", REFERER)
                        .form(&[
                            ("f", "json"),
                            ("token", &admin),
                            ("title", &format!("load {added}")),
                            ("type", "Web Map"),
                        ])
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    assert_eq!(answer["success"], true, "{answer}");
                    added += 1;
                }
                added
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let work = tempfile::tempdir().unwrap();
        let with_key = work.path().join("with-key.kpbackup");
        let mut args = vec![
            "backup".to_string(),
            "--to".into(),
            with_key.display().to_string(),
            "--include-secret-key".into(),
            "--json".into(),
        ];
        args.extend(database_args(&s));
        let backup = json_of(&cli(args.clone(), vec![]).await);
        stop.store(true, Ordering::Relaxed);
        let added = writer.await.unwrap();
        assert!(added > 0, "the writer ran during the backup");
        assert_eq!(backup["secretKeyIncluded"], true);
        assert_eq!(backup["schemaVersion"], keyportal_store::SCHEMA_VERSION);
        assert_eq!(
            backup["source"],
            if s.database.is_postgres() {
                "postgres"
            } else {
                "sqlite"
            }
        );
        let items_in_backup = backup["tables"]["items"].as_u64().unwrap();
        assert!(backup["tables"]["usage"].as_u64() >= Some(1), "{backup}");
        assert!(items_in_backup >= 2, "{backup}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&with_key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "only its owner reads a backup");
        }
        // An existing file is kept unless --force.
        refused(&cli(args, vec![]).await, "exists");

        // A second archive without the server key.
        let without_key = work.path().join("without-key.kpbackup");
        let mut args = vec![
            "backup".to_string(),
            "--to".into(),
            without_key.display().to_string(),
        ];
        args.extend(database_args(&s));
        let plain = cli(args, vec![]).await;
        assert!(plain.status.success());
        let text = String::from_utf8_lossy(&plain.stdout);
        assert!(text.contains("does NOT include the server key"), "{text}");

        let Some((dir, database, pg_name)) = other_backend(&s.database).await else {
            return;
        };
        // Without the key in the archive or on this node: refused, nothing written.
        let output = cli(restore_args(&without_key, dir.path(), &database), vec![]).await;
        refused(&output, "does not include the server key");
        // With another key: refused too.
        let other_key = String::from_utf8(
            keyportal_command()
                .args(["secret-key", "generate"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let output = cli(
            restore_args(&without_key, dir.path(), &database),
            vec![("KEYPORTAL_SECRET_KEY".into(), other_key.trim().into())],
        )
        .await;
        refused(&output, "sealed with another server key");

        // The archive with its key: restored, the key file written.
        let restored = json_of(&cli(restore_args(&with_key, dir.path(), &database), vec![]).await);
        assert_eq!(restored["rows"], backup["rows"], "{restored}");
        assert_eq!(restored["tables"], backup["tables"]);
        assert_eq!(restored["secretKeyWritten"], true);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("secret.key"))
                .unwrap()
                .trim(),
            std::fs::read_to_string(s.data_dir.path().join("secret.key"))
                .unwrap()
                .trim()
        );
        // Once restored, the database is not empty any more.
        let again = cli(restore_args(&with_key, dir.path(), &database), vec![]).await;
        refused(&again, "not empty");

        // A server on the restored database: the same key, items, usage and client secret.
        let node = Node::start(dir.path(), &database, None).await;
        let restored_server = TestServer::for_process(
            node.url.clone(),
            tempfile::tempdir().unwrap(),
            DatabaseUrl::parse(&database).unwrap(),
        );
        let me = restored_server
            .get_with_key("portals/self", &key, None)
            .await;
        assert_eq!(error_code(&me), 0, "the key works after the restore: {me}");
        let verdict = restored_server
            .client
            .get(format!("{}/verify?service=geocode", node.url))
            .header("X-Esri-Authorization", format!("Bearer {key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(verdict.status(), 200);
        let admin_there = restored_server.admin_token().await;
        let report = restored_server
            .get(
                &format!("content/users/admin/items/{item}/usage"),
                Some(&admin_there),
                &[("period", "last30days")],
            )
            .await;
        assert!(
            report["totals"]["geocode"].as_u64() >= Some(5),
            "{report} {backup}"
        );
        let found = restored_server
            .get(
                "search",
                Some(&admin_there),
                &[("q", "owner:admin"), ("num", "1")],
            )
            .await;
        assert_eq!(found["total"].as_u64(), Some(items_in_backup), "{found}");
        let title = restored_server
            .get(
                "search",
                Some(&admin_there),
                &[("q", "title:\"Backed-up keys\"")],
            )
            .await;
        assert_eq!(title["total"], 1, "the search index was rebuilt: {title}");
        // The audit trail came along: the credential's creation and its key.
        let events = restored_server
            .get(
                &format!("content/users/admin/items/{item}/events"),
                Some(&admin_there),
                &[("types", "credential.created,key.generated")],
            )
            .await;
        assert_eq!(events["total"], 2, "the events were restored: {events}");
        let token = restored_server
            .post(
                "oauth2/token",
                None,
                &[
                    ("client_id", &client_id),
                    ("client_secret", &secret),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await;
        assert!(
            token["access_token"].is_string(),
            "the client secret still opens: {token}"
        );
        drop(node);
        if let Some(name) = pg_name {
            drop_pg_database(name);
        }
    }
);

#[tokio::test]
async fn damaged_archives_and_missing_files_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("t.db").display());
    let missing = cli(
        restore_args(&dir.path().join("absent"), dir.path(), &database),
        vec![],
    )
    .await;
    refused(&missing, "cannot read");
    let junk = dir.path().join("junk.kpbackup");
    std::fs::write(&junk, b"not an archive").unwrap();
    let output = cli(restore_args(&junk, dir.path(), &database), vec![]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(!dir.path().join("t.db").exists(), "nothing was created");
    let backup = cli(
        vec![
            "backup".into(),
            "--to".into(),
            dir.path().join("b").display().to_string(),
            "--database".into(),
            database.clone(),
        ],
        vec![],
    )
    .await;
    refused(&backup, "there is no database");
}
