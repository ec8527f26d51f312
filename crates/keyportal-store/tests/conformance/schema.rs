//! Placeholders, migrations and concurrent writers: the machinery under every trait.

use keyportal_domain::search::items::ItemSort;
use keyportal_domain::search::parse;
use keyportal_domain::token::TokenBinding;
use keyportal_store::{
    AppStore, ChangeFeed, FolderListing, FolderStore, GroupStore, ItemSearch, ItemStore, SqlStore,
    TokenStore, UserStore,
};
use sqlx::Row;

use crate::credentials::{add_items, app};
use crate::fixtures::*;
use crate::propagate;

/// Every statement uses `$N`; SQLite must bind them by number, in any order and reused.
pub(crate) async fn placeholders_are_numbered_dollars(store: &SqlStore) {
    let row = sqlx::query(
        "SELECT CAST($2 AS TEXT) AS second, CAST($1 AS TEXT) AS first, \
         CAST($3 AS BIGINT) AS third, CAST($1 AS TEXT) AS again",
    )
    .bind("one")
    .bind("two")
    .bind(3_i64)
    .fetch_one(store.pool())
    .await
    .expect("query with $N placeholders");
    assert_eq!(row.try_get::<String, _>("first").expect("first"), "one");
    assert_eq!(row.try_get::<String, _>("second").expect("second"), "two");
    assert_eq!(row.try_get::<i64, _>("third").expect("third"), 3);
    assert_eq!(row.try_get::<String, _>("again").expect("again"), "one");
    let null = sqlx::query("SELECT CAST($1 AS TEXT) AS missing")
        .bind(None::<String>)
        .fetch_one(store.pool())
        .await
        .expect("null bind");
    assert_eq!(
        null.try_get::<Option<String>, _>("missing")
            .expect("decode"),
        None
    );
}

pub(crate) async fn migrations_are_idempotent_across_connections(store: &SqlStore) {
    assert_eq!(
        store.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );
    add_user(store, "sam").await;
    let (a, b) = tokio::join!(
        SqlStore::connect(store.url()),
        SqlStore::connect(store.url())
    );
    let (a, b) = (a.expect("second connection"), b.expect("third connection"));
    for other in [&a, &b] {
        assert_eq!(
            other.schema_version().await.expect("version"),
            SCHEMA_VERSION
        );
        assert!(other.get_user("sam").await.expect("get").is_some());
    }
    a.pool().close().await;
    b.pool().close().await;
    let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("versions");
    let versions: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>("version")).collect();
    assert_eq!(
        versions, APPLIED_VERSIONS,
        "each migration applied exactly once"
    );
}

/// Another process (the CLI) writing while the server writes: nobody sees "database is locked".
pub(crate) async fn two_stores_on_one_database_write_concurrently(store: &SqlStore) {
    let second = SqlStore::connect(store.url()).await.expect("second store");
    let mut tasks = Vec::new();
    for (which, s) in [store.clone(), second.clone()].into_iter().enumerate() {
        for n in 0..12 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let name = format!("writer{which}_{n:02}");
                let mut u = user(&name);
                u.id = hex_id((which * 100 + n) as u64);
                s.create_user(&u, "h").await.expect("create user");
                s.insert_token(&token(&format!("tok-{name}"), &name, 5, TokenBinding::None))
                    .await
                    .expect("token");
                s.create_group(&group((which * 100 + n) as u64, &name, 1))
                    .await
                    .expect("group");
                s.set_last_login(&name, 42).await.expect("last login");
                s.list_users(0, 5).await.expect("read");
            }));
        }
    }
    for task in tasks {
        propagate(task.await);
    }
    assert_eq!(store.list_users(0, 1).await.expect("count").1, 24);
    assert_eq!(second.purge_expired_tokens(10).await.expect("purge"), 24);
    assert_eq!(store.list_groups().await.expect("groups").len(), 24);
    second.pool().close().await;
}

/// A database at schema version 1 (before credentials) is brought up to date on connect.
pub(crate) async fn credentials_migration_upgrades_a_version_1_database(store: &SqlStore) {
    add_items(store, 1).await;
    for statement in UNDO_MIGRATION_15
        .iter()
        .chain(UNDO_MIGRATION_14)
        .chain(UNDO_MIGRATION_13)
        .chain(UNDO_MIGRATION_12)
        .chain(UNDO_MIGRATION_11)
        .chain(UNDO_MIGRATION_10)
        .chain(UNDO_MIGRATION_9)
        .chain(UNDO_MIGRATION_8)
        .chain(&[
            "DROP INDEX users_username_lower",
            "DELETE FROM schema_migrations WHERE version = 7",
            "DROP TABLE proxies",
            "DELETE FROM schema_migrations WHERE version = 5",
            "DROP TABLE usage",
            "DELETE FROM schema_migrations WHERE version = 4",
            "DROP TABLE oauth_codes",
            "DROP TABLE oauth_refresh_tokens",
            "DELETE FROM schema_migrations WHERE version = 3",
            "DROP TABLE apps",
            "DROP TABLE app_tokens",
            "DROP TABLE legacy_keys",
            "DROP TABLE settings",
            "DROP TABLE changes",
            "DELETE FROM schema_migrations WHERE version = 2",
        ])
    {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .expect("downgrade to version 1");
    }
    assert_eq!(store.schema_version().await.expect("version"), 1);
    let upgraded = SqlStore::connect(store.url()).await.expect("upgrade");
    assert_eq!(
        upgraded.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );
    upgraded
        .create_app(&app(1, "clientAfterUpgrade"), "s")
        .await
        .expect("apps usable");
    assert_eq!(upgraded.publish_change("app:x").await.expect("publish"), 1);
    assert!(store.get_item(&hex_id(1)).await.expect("get").is_some());
    // Migration 8 indexed the item that was already there.
    let plan = parse("Item").and_then(|q| q.item_plan()).expect("plan");
    let found = upgraded
        .search_items(&ItemSearch {
            plan: &plan,
            visible: None,
            sort: ItemSort::NEWEST_FIRST,
            offset: 0,
            limit: 10,
        })
        .await
        .expect("search after upgrade");
    assert_eq!(found.total, 1);
    upgraded.pool().close().await;
}

/// Migration 10 counts the items that exist when it runs, per owner and folder.
pub(crate) async fn item_counts_migration_counts_existing_items(store: &SqlStore) {
    add_user(store, "Dana").await;
    let f = folder(90, "Dana", "Maps", 1);
    store.create_folder(&f).await.expect("folder");
    for n in 1..=5u64 {
        let folder_id = (n > 3).then(|| f.id.clone());
        store
            .insert_item(&item(n, "Dana", folder_id, n as i64))
            .await
            .expect("item");
    }
    for statement in UNDO_MIGRATION_10 {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .expect("back to before migration 10");
    }
    let upgraded = SqlStore::connect(store.url()).await.expect("upgrade");
    for (folder_id, expected) in [(None, 3), (Some(f.id.as_str()), 2)] {
        let page = upgraded
            .list_items_in_folder(&FolderListing {
                owner: "Dana",
                folder_id,
                visible: None,
                offset: 0,
                limit: 1,
            })
            .await
            .expect("folder page");
        assert_eq!(page.total, expected, "{folder_id:?}");
    }
    let plan = parse("owner:dana")
        .expect("query")
        .item_plan()
        .expect("plan");
    let page = upgraded
        .search_items(&ItemSearch {
            plan: &plan,
            visible: None,
            sort: ItemSort::NEWEST_FIRST,
            offset: 0,
            limit: 1,
        })
        .await
        .expect("search");
    assert_eq!(page.total, 5);
    upgraded.pool().close().await;
}
