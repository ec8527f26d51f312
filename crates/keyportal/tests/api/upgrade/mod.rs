//! Tested upgrades: databases made by earlier releases (`tests/upgrade/fixtures/schema-N/`,
//! written by `tests/upgrade/make_fixture.sh` with that release's binary) are opened by the
//! current binary, on SQLite and PostgreSQL. The migrations must apply and everything the
//! fixture recorded must still be there and still work: members sign in, items, folders and
//! groups read and search as before, the API key and the legacy keys pass `/verify` (and a wrong
//! referrer is still refused), the OAuth app's sealed client secret still unseals with the
//! fixture's server key, and usage reports show the fixture's counts.
//!
//! Every `schema-N` directory is tested, so a fixture added for a new schema is picked up
//! without touching this file.

mod content;
mod keys;

use std::path::{Path, PathBuf};
use std::process::Command;

use keyportal_store::SCHEMA_VERSION;
use serde_json::Value;
use sqlx::{Connection, Row};

use crate::harness::{drop_pg_database, fresh_pg_database, TestServer};
use crate::process::Node;

const DAY_MS: i64 = 86_400_000;

/// One fixture directory and its `fixture.json`.
struct Fixture {
    dir: PathBuf,
    json: Value,
}

impl Fixture {
    fn schema(&self) -> i64 {
        self.json["schema"].as_i64().expect("fixture schema")
    }
}

/// Every fixture in the repository, oldest schema first.
fn fixtures() -> Vec<Fixture> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/upgrade/fixtures");
    let mut fixtures: Vec<Fixture> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("fixture.json").is_file())
        .map(|dir| {
            let text = std::fs::read_to_string(dir.join("fixture.json")).unwrap();
            Fixture {
                json: serde_json::from_str(&text).unwrap(),
                dir,
            }
        })
        .collect();
    fixtures.sort_by_key(Fixture::schema);
    assert!(!fixtures.is_empty(), "no fixture under {}", root.display());
    fixtures
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The fixture's API key was dated at most a year after the fixture was made; the calendar
/// moves on, the fixture does not. Its expiration is moved 30 days ahead of today in the copy,
/// before the new binary opens it (the fixture's own schema, which never changes), so that the
/// key check does not start failing a year from now for a reason that has nothing to do with
/// upgrades.
fn keep_key_alive_statement(part: &Value, expires: i64) -> String {
    let client = part["apiKey"]["clientId"].as_str().unwrap();
    assert!(client.chars().all(|c| c.is_ascii_alphanumeric()));
    format!("UPDATE apps SET slot1_expiration = {expires} WHERE client_id = '{client}'")
}

/// Runs `statement` (`SELECT`: reads one number) on the database a separate process serves,
/// never this process's own server (closing a SQLite file here would drop that server's locks).
async fn on_database(database: &str, statement: &str) -> i64 {
    let select = statement.starts_with("SELECT");
    let outcome = if let Some(path) = database.strip_prefix("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        let query = sqlx::query(statement);
        if select {
            query
                .fetch_one(&mut conn)
                .await
                .map(|row| row.get::<i64, _>(0))
        } else {
            query.execute(&mut conn).await.map(|_| 0)
        }
    } else {
        let mut conn = sqlx::PgConnection::connect(database).await.unwrap();
        let query = sqlx::query(statement);
        if select {
            query
                .fetch_one(&mut conn)
                .await
                .map(|row| row.get::<i64, _>(0))
        } else {
            query.execute(&mut conn).await.map(|_| 0)
        }
    };
    outcome.unwrap_or_else(|e| panic!("{statement}: {e}"))
}

/// Starts the current binary on `database` (data and server key in `data_dir`) and checks
/// everything the fixture's `part` (its `sqlite` or `postgres` section) recorded.
async fn upgrade_and_check(
    fixture: &Fixture,
    part: &Value,
    data_dir: tempfile::TempDir,
    database: &str,
) {
    let schema = fixture.schema();
    assert!(
        on_database(database, "SELECT MAX(version) FROM schema_migrations").await == schema,
        "the fixture is at schema {schema} before the upgrade"
    );
    let expires = now_ms() + 30 * DAY_MS;
    on_database(database, &keep_key_alive_statement(part, expires)).await;

    let node = Node::start(data_dir.path(), database, None).await;
    assert_eq!(
        on_database(database, "SELECT MAX(version) FROM schema_migrations").await,
        SCHEMA_VERSION,
        "the migrations after schema {schema} applied"
    );
    // Every row the fixture holds is still there (counted before any request of this test).
    for (table, expected) in part["rows"].as_object().unwrap() {
        let found = on_database(database, &format!("SELECT COUNT(*) FROM {table}")).await;
        assert_eq!(
            Some(found),
            expected.as_i64(),
            "rows in {table} after the upgrade from schema {schema}"
        );
    }
    let ready = reqwest::get(format!("{}/ready", node.url)).await.unwrap();
    assert_eq!(ready.status(), 200, "/ready after the upgrade");

    let s = TestServer::for_process(
        node.url.clone(),
        data_dir,
        keyportal_store::DatabaseUrl::parse(database).unwrap(),
    );
    // Usage first: the key checks below add today's counts.
    keys::usage_reports_show_the_fixture_counts(&s, fixture, part).await;
    content::members_sign_in_and_read_as_before(&s, fixture, part).await;
    content::items_folders_and_listings_read_as_before(&s, fixture, part).await;
    content::groups_read_and_search_as_before(&s, fixture, part).await;
    keys::api_key_still_decides(&s, fixture, part, expires).await;
    keys::legacy_keys_still_decide(&s, fixture, part).await;
    keys::oauth_app_still_mints_tokens(&s, fixture, part).await;
    keys::settings_survive(&s, fixture, part).await;
    drop(node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_fixtures_upgrade_to_the_current_schema() {
    for fixture in fixtures() {
        let data_dir = tempfile::tempdir().unwrap();
        for file in ["keyportal.db", "secret.key"] {
            std::fs::copy(
                fixture.dir.join("sqlite").join(file),
                data_dir.path().join(file),
            )
            .unwrap();
        }
        let database = format!("sqlite:{}", data_dir.path().join("keyportal.db").display());
        upgrade_and_check(&fixture, &fixture.json["sqlite"], data_dir, &database).await;
    }
}

/// psql, or `None` (loudly) outside CI when it is not installed; in CI its absence fails.
fn psql_available() -> bool {
    match Command::new("psql").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("psql is missing in CI: the PostgreSQL upgrade fixtures cannot be loaded");
            }
            eprintln!("SKIPPING PostgreSQL upgrade test: psql is not installed");
            false
        }
    }
}

/// Drops the fixture's database when the test ends, however it ends.
struct LoadedDatabase(String);

impl Drop for LoadedDatabase {
    fn drop(&mut self) {
        drop_pg_database(std::mem::take(&mut self.0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_fixtures_upgrade_to_the_current_schema() {
    if !psql_available() {
        return;
    }
    for fixture in fixtures() {
        let Some(name) = fresh_pg_database().await else {
            return;
        };
        let _cleanup = LoadedDatabase(name.clone());
        let database = format!("postgres://postgres@127.0.0.1:5432/{name}");
        let loaded = Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-X", "-d", &database, "-f"])
            .arg(fixture.dir.join("postgres.sql"))
            .output()
            .unwrap();
        assert!(
            loaded.status.success(),
            "loading {}: {}",
            fixture.dir.display(),
            String::from_utf8_lossy(&loaded.stderr)
        );
        // The same server key as the SQLite fixture: it sealed the PostgreSQL fixture's secrets.
        let data_dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            fixture.dir.join("sqlite/secret.key"),
            data_dir.path().join("secret.key"),
        )
        .unwrap();
        upgrade_and_check(&fixture, &fixture.json["postgres"], data_dir, &database).await;
    }
}
