//! How `SqlStore::connect` behaves on each backend (not part of the shared suite).

use keyportal_domain::token::TokenBinding;
use keyportal_store::{DatabaseUrl, SqlStore, StoreError, TokenStore, UserStore};
use sqlx::Row;

use crate::fixtures::*;
use crate::{with_database, PostgresDb, SqliteDb};

#[tokio::test]
async fn sqlite_missing_directory_is_a_config_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = DatabaseUrl::Sqlite(dir.path().join("absent").join("keyportal.db"));
    match SqlStore::connect(&url).await {
        Err(StoreError::Config(message)) => {
            assert!(message.contains("does not exist"), "{message}");
            assert!(message.contains("absent"), "{message}");
        }
        other => panic!("expected a Config error, got {other:?}"),
    }
    assert!(!dir.path().join("absent").exists());
}

#[tokio::test]
async fn sqlite_path_that_cannot_be_opened_fails_fast_and_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let started = std::time::Instant::now();
    match SqlStore::connect(&DatabaseUrl::Sqlite(dir.path().to_path_buf())).await {
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("SQLite"), "{message}");
            assert!(
                message.contains(&dir.path().display().to_string()),
                "{message}"
            );
        }
        Ok(_) => panic!("a directory is not a database file"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn sqlite_file_is_created_with_wal_and_connection_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("dir with spaces?#").join("kp.db");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let url = DatabaseUrl::Sqlite(path.clone());
    let store = SqlStore::connect(&url).await.expect("open");
    assert!(path.exists(), "the database file is created");
    let mut conn = store.pool().acquire().await.expect("connection");
    let pragma = |name: &'static str| format!("PRAGMA {name}");
    let journal: String = sqlx::query(&pragma("journal_mode"))
        .fetch_one(&mut *conn)
        .await
        .expect("journal_mode")
        .try_get(0)
        .expect("text");
    assert_eq!(journal.to_ascii_lowercase(), "wal");
    for (name, expected) in [
        ("busy_timeout", 5000_i64),
        ("foreign_keys", 1),
        ("synchronous", 1),
    ] {
        let value: i64 = sqlx::query(&pragma(name))
            .fetch_one(&mut *conn)
            .await
            .expect("pragma")
            .try_get(0)
            .expect("int");
        assert_eq!(value, expected, "PRAGMA {name}");
    }
    drop(conn);
    store.pool().close().await;
}

#[tokio::test]
async fn sqlite_first_start_of_several_processes_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = DatabaseUrl::sqlite_in(dir.path());
    let opened = futures_join_all((0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { SqlStore::connect(&url).await })
    }))
    .await;
    for store in opened {
        let store = store.expect("task").expect("concurrent first start");
        assert_eq!(
            store.schema_version().await.expect("version"),
            SCHEMA_VERSION
        );
        store.pool().close().await;
    }
}

const CHILD_DB_ENV: &str = "KEYPORTAL_CONFORMANCE_CHILD_DB";
const CHILD_PREFIX_ENV: &str = "KEYPORTAL_CONFORMANCE_CHILD_PREFIX";
const CHILD_WRITES: usize = 20;

/// Real processes, as when the CLI adds users while the server runs: each child (this test
/// binary again) opens the same fresh file at the same moment, migrates and writes.
#[tokio::test]
async fn sqlite_several_processes_share_one_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shared.db");
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<std::process::Child> = ["p1", "p2", "p3"]
        .iter()
        .map(|prefix| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "connect::child_process_writer",
                    "--ignored",
                    "--quiet",
                ])
                .env(CHILD_DB_ENV, &path)
                .env(CHILD_PREFIX_ENV, prefix)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    let store = SqlStore::connect(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .expect("parent opens the file too");
    for n in 0..CHILD_WRITES {
        let mut u = user(&format!("parent_{n:02}"));
        u.id = hex_id(10_000 + n as u64);
        store.create_user(&u, "h").await.expect("parent write");
    }
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| child.wait_with_output().expect("child ran"))
            .collect::<Vec<_>>()
    })
    .await
    .expect("wait for children");
    for output in outputs {
        assert!(
            output.status.success(),
            "child failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("1 passed"),
            "the child test did not run: {stdout}"
        );
    }
    assert_eq!(
        store.list_users(0, 1).await.expect("count").1,
        4 * CHILD_WRITES
    );
    assert_eq!(
        store.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );
    store.pool().close().await;
}

#[tokio::test]
#[ignore = "run as a child process by sqlite_several_processes_share_one_file"]
async fn child_process_writer() {
    let (Some(path), Some(prefix)) = (
        std::env::var_os(CHILD_DB_ENV),
        std::env::var(CHILD_PREFIX_ENV).ok(),
    ) else {
        return;
    };
    let store = SqlStore::connect(&DatabaseUrl::Sqlite(path.into()))
        .await
        .expect("child opens the shared file");
    let base = u64::from(prefix.as_bytes()[1]) * 1_000;
    for n in 0..CHILD_WRITES {
        let name = format!("{prefix}_{n:02}");
        let mut u = user(&name);
        u.id = hex_id(base + n as u64);
        store.create_user(&u, "h").await.expect("child write");
        store
            .insert_token(&token(&format!("tok-{name}"), &name, 5, TokenBinding::None))
            .await
            .expect("child token");
        store.set_last_login(&name, 7).await.expect("child update");
        store.list_users(0, 10).await.expect("child read");
    }
    store.pool().close().await;
}

#[tokio::test]
async fn postgres_first_start_of_several_processes_at_once() {
    let Some(db) = PostgresDb::create("postgres_first_start_of_several_processes_at_once").await
    else {
        return;
    };
    let opened = futures_join_all((0..4).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { SqlStore::connect(&url).await })
    }))
    .await;
    let mut failures = Vec::new();
    for store in opened {
        match store.expect("task") {
            Ok(store) => {
                assert_eq!(
                    store.schema_version().await.expect("version"),
                    SCHEMA_VERSION
                );
                store.pool().close().await;
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    db.drop_database().await;
    assert!(
        failures.is_empty(),
        "concurrent first starts failed: {failures:?}"
    );
}

#[tokio::test]
async fn postgres_unreachable_server_is_a_clear_error_without_the_password() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let url = DatabaseUrl::parse("postgres://kp:hunter2secret@127.0.0.1:1/keyportal").expect("url");
    match SqlStore::connect(&url).await {
        Err(e @ (StoreError::Backend(_) | StoreError::Config(_))) => {
            let message = e.to_string();
            assert!(message.contains("PostgreSQL"), "{message}");
            assert!(message.contains("127.0.0.1:1"), "{message}");
            assert!(!message.contains("hunter2secret"), "{message}");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
}

/// The server holds the store as `Arc<dyn Store>`; SqlStore must fit.
#[tokio::test]
async fn sql_store_is_a_shareable_store() {
    let db = SqliteDb::new().await;
    let shared: std::sync::Arc<dyn keyportal_store::Store> = std::sync::Arc::new(db.store.clone());
    assert_eq!(shared.get_org().await.expect("get"), None);
    assert!(format!("{:?}", db.store).contains("sqlite"));
}

#[test]
fn test_database_urls_keep_options() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "kp_x"),
        "postgres://postgres@127.0.0.1:5432/kp_x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/test?sslmode=disable", "kp_x"),
        "postgres://u:p@h/kp_x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "kp_x"), "postgres://h/kp_x");
}

/// Awaits every handle in order (no `futures` dependency needed).
async fn futures_join_all<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let handles: Vec<_> = handles.collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await);
    }
    out
}
