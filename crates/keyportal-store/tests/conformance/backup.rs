//! Backup and restore: an archive of one backend restored into the other holds every row, the
//! derived tables are rebuilt, and a snapshot taken under write load is consistent.

use std::collections::BTreeMap;

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::{AppToken, SlotState};
use keyportal_domain::events::{Actor, Event, EventType};
use keyportal_domain::leak::KeyLeak;
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::oauth::{AuthorizationCode, RefreshToken};
use keyportal_domain::org::Org;
use keyportal_domain::proxy::{ProxySettings, ProxyTarget};
use keyportal_domain::token::TokenBinding;
use keyportal_domain::usage::UsageRow;
use keyportal_store::archive::{self, ArchiveReader, ArchiveWriter, Cell, Entry, Header};
use keyportal_store::{
    AppStore, BackupOptions, BulkStore, EventStore, FolderStore, ItemStore, LeakStore,
    LegacyKeyStore, OAuthStore, OrgStore, ProxyStore, RefusalStore, RoleStore, SettingsStore,
    SqlStore, StoreError, StoredProxy, StoredRefusal, TokenStore, UsageStore, BACKED_UP, DERIVED,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use sqlx::Row;

use crate::credentials::full_app;
use crate::fixtures::*;
use crate::record_world::build_world;
use crate::{PostgresDb, SqliteDb};

const OWNER: &str = "appowner";

/// A database with rows in every backed-up table.
async fn fill_every_table(store: &SqlStore) {
    store
        .create_org(&Org {
            id: "AbCdEfGh12345678".into(),
            name: "Städtische Werke".into(),
            created: 1_700_000_000_000,
        })
        .await
        .expect("org");
    let world = build_world(store, &mut StdRng::seed_from_u64(11)).await;
    add_user(store, OWNER).await;
    store
        .create_role(&role("r1", "Key makers", &["portal:user:createItem"]))
        .await
        .expect("role");
    store
        .insert_token(&token(
            &"c3".repeat(32),
            OWNER,
            i64::MAX / 2,
            TokenBinding::Referer("https://app.example.com".into()),
        ))
        .await
        .expect("token");
    store
        .create_folder(&folder(900, OWNER, "Keys – ü", 5))
        .await
        .expect("folder");
    for n in 1..=6 {
        let folder_id = (n % 2 == 0).then(|| hex_id(900));
        store
            .insert_item(&item(n, OWNER, folder_id, n as i64))
            .await
            .expect("item");
    }
    store
        .share_item_with_group(&hex_id(1), &world.groups[0].id)
        .await
        .expect("share");
    store
        .create_app(&full_app(1, "clientAAAAAAAAAA"), "v1.sealed-secret")
        .await
        .expect("app");
    // Key 1 of the app (full_app's slot 1 holds "ab…") reported as leaked.
    let leak = KeyLeak {
        item_id: hex_id(1),
        slot: Some(KeySlot::One),
        key_hint: "AAPTxy…a1b2".into(),
        revoked: 1_765_000_000_000,
        source: "https://github.com/example/leak".into(),
    };
    assert!(store
        .revoke_leaked_key(&leak, &"ab".repeat(32), &SlotState::empty())
        .await
        .expect("leak"));
    let event = Event::new(EventType::KeyLeaked, &Actor::system(), 1_765_000_000_000)
        .credential(&hex_id(1), Some("clientAAAAAAAAAA"))
        .slot(1)
        .detail("source", "https://github.com/example/leak");
    store.append_events(&[event]).await.expect("event");
    store
        .add_refusals(
            &[StoredRefusal {
                item_id: hex_id(1),
                at: 1_765_000_000_500,
                node: "node-a".into(),
                seq: 1,
                slot: 2,
                reason: "address".into(),
                referer: "https://evil.example.com".into(),
                address: "203.0.113.9".into(),
                service: "geocode".into(),
            }],
            100,
        )
        .await
        .expect("refusal");
    store
        .insert_app_token(&AppToken {
            hash: "d4".repeat(32),
            client_id: "clientAAAAAAAAAA".into(),
            created: 1,
            expires: i64::MAX / 2,
        })
        .await
        .expect("app token");
    store
        .insert_legacy_key(&LegacyKey {
            item_id: hex_id(2),
            owner: OWNER.into(),
            key_hash: "e5".repeat(32),
            key_hint: "AAPK12…wxyz".into(),
            privileges: vec!["premium:user:geocode".into()],
            http_referrers: vec!["https://ä.example.com/*".into()],
            active: true,
            created: 7,
            last_used: -1,
        })
        .await
        .expect("legacy key");
    store
        .set_setting("legacy.retire", "1800000000000")
        .await
        .expect("setting");
    store
        .add_usage(&[UsageRow {
            day: 20_000,
            client_id: "clientAAAAAAAAAA".into(),
            slot: 1,
            service: "geocode".into(),
            count: 42,
        }])
        .await
        .expect("usage");
    store
        .insert_authorization_code(&AuthorizationCode {
            hash: "f6".repeat(32),
            client_id: "clientAAAAAAAAAA".into(),
            redirect_uri: "https://app.example.com/cb".into(),
            username: OWNER.into(),
            user_id: "id".into(),
            challenge: None,
            refresh_minutes: 60,
            created: 1,
            expires: i64::MAX / 2,
        })
        .await
        .expect("code");
    store
        .insert_refresh_token(&RefreshToken {
            hash: "a7".repeat(32),
            client_id: "clientAAAAAAAAAA".into(),
            username: OWNER.into(),
            user_id: "id".into(),
            created: 1,
            expires: i64::MAX / 2,
        })
        .await
        .expect("refresh token");
    store
        .put_proxy(&StoredProxy {
            settings: ProxySettings {
                url: "https://tiles.example.com/MapServer".into(),
                ..ProxySettings::new(ProxyTarget::Item(hex_id(3)), 9)
            },
            sealed_secrets: Some("v1.c2VhbGVk".into()),
        })
        .await
        .expect("proxy");
}

async fn backup_bytes(store: &SqlStore) -> Vec<u8> {
    let options = BackupOptions {
        keyportal_version: "test",
        created: 1_765_000_000_000,
        secret_key: None,
    };
    let (bytes, _) = store
        .backup(Vec::new(), options, &mut |_, _| {})
        .await
        .expect("backup");
    bytes
}

/// A table's column names (sorted) and its rows with their values in that order, sorted.
type Table = (Vec<String>, Vec<Vec<Cell>>);

/// Each table as the archive holds it, in a form that does not depend on the backend's column
/// order or row order.
fn tables_of(bytes: &[u8]) -> BTreeMap<String, Table> {
    let mut reader = ArchiveReader::new(bytes).expect("open");
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let mut current = String::new();
    let mut order: Vec<usize> = Vec::new();
    loop {
        match reader.next_entry().expect("entry") {
            Entry::Table(t) => {
                let mut names: Vec<(String, usize)> = t
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.name.clone(), i))
                    .collect();
                names.sort();
                order = names.iter().map(|(_, i)| *i).collect();
                current = t.table.clone();
                tables.insert(
                    t.table,
                    (names.into_iter().map(|(n, _)| n).collect(), Vec::new()),
                );
            }
            Entry::Row(cells) => {
                let row = order.iter().map(|i| cells[*i].clone()).collect();
                tables.get_mut(&current).expect("table").1.push(row);
            }
            Entry::End(_) => break,
        }
    }
    for (_, rows) in tables.values_mut() {
        rows.sort_by_key(|r| format!("{r:?}"));
    }
    tables
}

/// The values of one column of a table.
fn column<'a>(tables: &'a BTreeMap<String, Table>, table: &str, name: &str) -> Vec<&'a Cell> {
    let (names, rows) = &tables[table];
    let i = names.iter().position(|n| n == name).expect("column");
    rows.iter().map(|r| &r[i]).collect()
}

async fn derived_counts(store: &SqlStore) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for table in ["item_terms", "group_terms", "user_terms", "item_counts"] {
        let n: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(store.pool())
            .await
            .expect("count")
            .get("n");
        out.push((table.to_string(), n));
    }
    let counts =
        sqlx::query("SELECT owner, folder_key, n FROM item_counts ORDER BY owner, folder_key")
            .fetch_all(store.pool())
            .await
            .expect("counts");
    for row in counts {
        out.push((
            format!(
                "{}/{}",
                row.get::<String, _>("owner"),
                row.get::<String, _>("folder_key")
            ),
            row.get::<i64, _>("n"),
        ));
    }
    out
}

/// Runs `check` with an empty store of the other backend (`None` when PostgreSQL is out of
/// reach outside CI, said loudly by `PostgresDb::create`).
async fn with_other_backend<F>(store: &SqlStore, test: &str, check: F)
where
    F: AsyncFnOnce(&SqlStore),
{
    if store.backend_name() == "postgres" {
        let db = SqliteDb::new().await;
        check(&db.store).await;
        db.store.pool().close().await;
    } else {
        let Some(db) = PostgresDb::create(test).await else {
            return;
        };
        let target = PostgresDb::connect(&db.url).await;
        check(&target).await;
        target.pool().close().await;
        db.drop_database().await;
    }
}

pub(crate) async fn backups_restore_into_the_other_backend_row_for_row(store: &SqlStore) {
    // Every table is either carried or rebuilt, and both lists name only real tables.
    let sql = match store.backend_name() {
        "sqlite" => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema()"
        }
    };
    let present: Vec<String> = sqlx::query(sql)
        .fetch_all(store.pool())
        .await
        .expect("tables")
        .iter()
        .map(|r| r.get::<String, _>("name"))
        .collect();
    let mut listed: Vec<&str> = BACKED_UP.iter().chain(DERIVED).copied().collect();
    listed.sort();
    let mut present_sorted: Vec<&str> = present.iter().map(String::as_str).collect();
    present_sorted.sort();
    assert_eq!(
        present_sorted, listed,
        "BACKED_UP and DERIVED name every table"
    );

    fill_every_table(store).await;
    let bytes = backup_bytes(store).await;
    let source = tables_of(&bytes);
    for table in BACKED_UP {
        assert!(
            source.get(*table).is_some_and(|(_, rows)| !rows.is_empty()),
            "fill_every_table must put a row in {table}"
        );
    }
    let summary = archive::verify(ArchiveReader::new(bytes.as_slice()).expect("open"), |_| {})
        .expect("verify");
    assert_eq!(summary.header.schema_version, SCHEMA_VERSION);
    assert_eq!(summary.header.source, store.backend_name());
    assert_eq!(summary.sealed_samples, vec!["v1.sealed-secret".to_string()]);
    let expected_derived = derived_counts(store).await;

    with_other_backend(
        store,
        "backups_restore_into_the_other_backend",
        async |target| {
            let restored = target
                .restore(
                    ArchiveReader::new(bytes.as_slice()).expect("open"),
                    &mut |_| {},
                )
                .await
                .expect("restore");
            assert_eq!(restored.rows, summary.rows);
            let again = tables_of(&backup_bytes(target).await);
            assert_eq!(again, source, "every row comes back, value for value");
            assert_eq!(derived_counts(target).await, expected_derived);
            assert_eq!(
                target
                    .get_item(&hex_id(1))
                    .await
                    .expect("get")
                    .expect("item")
                    .group_ids,
                vec![hex_id(700)]
            );

            // A second restore finds the database not empty and changes nothing.
            let refused = target
                .restore(
                    ArchiveReader::new(bytes.as_slice()).expect("open"),
                    &mut |_| {},
                )
                .await;
            assert!(
                matches!(&refused, Err(StoreError::Conflict(m)) if m.contains("not empty")),
                "{refused:?}"
            );
            assert!(matches!(
                target.ensure_empty().await,
                Err(StoreError::Conflict(_))
            ));
            assert_eq!(tables_of(&backup_bytes(target).await), source);
        },
    )
    .await;
}

pub(crate) async fn damaged_or_foreign_archives_restore_nothing(store: &SqlStore) {
    let source = SqliteDb::new().await;
    fill_every_table(&source.store).await;
    let bytes = backup_bytes(&source.store).await;
    source.store.pool().close().await;

    // The same archive cut short: refused at its end, inside the one transaction.
    let cut = &bytes[..bytes.len() * 2 / 3];
    let error = match ArchiveReader::new(cut) {
        Ok(reader) => store.restore(reader, &mut |_| {}).await.expect_err("cut"),
        Err(error) => error,
    };
    assert!(matches!(error, StoreError::Archive(_)), "{error:?}");
    store.ensure_empty().await.expect("nothing restored");

    // Another schema version, and a table this schema does not restore.
    let header = |schema_version| Header {
        keyportal_backup: archive::FORMAT_VERSION,
        schema_version,
        keyportal_version: "x".into(),
        created: 0,
        source: "sqlite".into(),
        secret_key: None,
    };
    for version in [SCHEMA_VERSION - 1, SCHEMA_VERSION + 1] {
        let writer = ArchiveWriter::new(Vec::new(), &header(version)).expect("writer");
        let (other, _) = writer.finish().expect("finish");
        let error = store
            .restore(
                ArchiveReader::new(other.as_slice()).expect("open"),
                &mut |_| {},
            )
            .await
            .expect_err("schema");
        assert!(
            error.to_string().contains(&format!("schema {version}")),
            "{error}"
        );
    }
    for table in ["schema_migrations", "item_terms", "users; DROP TABLE users"] {
        let mut writer = ArchiveWriter::new(Vec::new(), &header(SCHEMA_VERSION)).expect("w");
        writer
            .table(&archive::TableHeader {
                table: table.into(),
                columns: vec![archive::Column {
                    name: "version".into(),
                    kind: archive::ColumnKind::Bigint,
                }],
                rows: 0,
            })
            .expect("table");
        let (foreign, _) = writer.finish().expect("finish");
        let error = store
            .restore(
                ArchiveReader::new(foreign.as_slice()).expect("open"),
                &mut |_| {},
            )
            .await
            .expect_err("foreign table");
        assert!(error.to_string().contains("does not restore"), "{error}");
    }
    store.ensure_empty().await.expect("still empty");
}

pub(crate) async fn a_backup_under_write_load_is_one_consistent_moment(store: &SqlStore) {
    add_user(store, OWNER).await;
    let mut bulk = store.begin_bulk().await.expect("bulk");
    let seeded: Vec<_> = (1..=3_000)
        .map(|n| item(n, OWNER, None, n as i64))
        .collect();
    bulk.insert_items(&seeded).await.expect("seed");
    bulk.commit().await.expect("commit");

    // A writer adds an item and then its app, one after the other, all along.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 10_000u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                store
                    .insert_item(&item(n, OWNER, None, n as i64))
                    .await
                    .expect("item");
                store
                    .create_app(&full_app(n, &format!("client{n:011}")), "v1.s")
                    .await
                    .expect("app");
                n += 1;
            }
            n - 10_000
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let bytes = backup_bytes(store).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.expect("writer");
    let tables = tables_of(&bytes);
    let items = column(&tables, "items", "id");
    let apps = column(&tables, "apps", "item_id");
    assert!(written > 0 && apps.len() as u64 <= written);
    assert!(
        (items.len() as u64) <= 3_000 + written,
        "the snapshot holds only what was written"
    );
    // Every app's item is in the same snapshot, and every item the writer added but possibly
    // the last has its app: the archive is one moment, not tables read at different times.
    let item_ids: std::collections::BTreeSet<&Cell> = items.iter().copied().collect();
    assert!(
        apps.iter().all(|id| item_ids.contains(id)),
        "an app without its item"
    );
    assert!(
        items.len() - 3_000 - apps.len() <= 1,
        "{} items, {} apps",
        items.len(),
        apps.len()
    );
    // And it restores into the other backend, whose foreign keys would refuse an app whose
    // item is missing.
    with_other_backend(store, "a_backup_under_write_load", async |target| {
        let restored = target
            .restore(
                ArchiveReader::new(bytes.as_slice()).expect("open"),
                &mut |_| {},
            )
            .await
            .expect("restore");
        assert_eq!(restored.rows, (items.len() + apps.len() + 1) as u64);
    })
    .await;
}
