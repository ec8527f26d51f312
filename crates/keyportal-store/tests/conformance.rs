//! The store conformance suite: one set of tests, run against SQLite and PostgreSQL.
//!
//! Each `async fn` of the suite (in `conformance/<resource>.rs`) takes a freshly migrated
//! [`SqlStore`]; the `conformance!` macro below turns every one of them into `sqlite::<name>` (a
//! temporary directory per test) and `postgres::<name>` (a fresh database per test, dropped
//! afterwards). `conformance/connect.rs` holds the few tests of backend-specific behaviour.
//!
//! PostgreSQL is reached at `postgres://postgres@127.0.0.1:5432/test` unless
//! `KEYPORTAL_TEST_POSTGRES_URL` names another server. When it cannot be reached the PostgreSQL
//! tests fail if `CI` is set and otherwise print a loud SKIPPING line and pass.

use keyportal_store::{DatabaseUrl, SqlStore};
use sqlx::{Connection, Executor};

#[path = "conformance/backup.rs"]
mod backup;
#[path = "conformance/bulk.rs"]
mod bulk;
#[path = "conformance/changes.rs"]
mod changes;
#[path = "conformance/connect.rs"]
mod connect;
#[path = "conformance/credentials.rs"]
mod credentials;
#[path = "conformance/events.rs"]
mod events;
#[path = "conformance/fixtures.rs"]
mod fixtures;
#[path = "conformance/folders.rs"]
mod folders;
#[path = "conformance/groups.rs"]
mod groups;
#[path = "conformance/items.rs"]
mod items;
#[path = "conformance/leaks.rs"]
mod leaks;
#[path = "conformance/legacy_scan.rs"]
mod legacy_scan;
#[path = "conformance/long_words.rs"]
mod long_words;
#[path = "conformance/members.rs"]
mod members;
#[path = "conformance/names.rs"]
mod names;
#[path = "conformance/oauth.rs"]
mod oauth;
#[path = "conformance/proxy.rs"]
mod proxy;
#[path = "conformance/record_search.rs"]
mod record_search;
#[path = "conformance/record_world.rs"]
mod record_world;
#[path = "conformance/refusals.rs"]
mod refusals;
#[path = "conformance/roles.rs"]
mod roles;
#[path = "conformance/schema.rs"]
mod schema;
#[path = "conformance/search.rs"]
mod search;
#[path = "conformance/tokens.rs"]
mod tokens;
#[path = "conformance/usage.rs"]
mod usage;
#[path = "conformance/users.rs"]
mod users;

use backup::*;
use bulk::*;
use changes::*;
use credentials::*;
use events::*;
use folders::*;
use groups::*;
use items::*;
use leaks::*;
use legacy_scan::*;
use long_words::*;
use members::*;
use names::*;
use oauth::*;
use proxy::*;
use record_search::*;
use refusals::*;
use roles::*;
use schema::*;
use search::*;
use tokens::*;
use usage::*;
use users::*;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A store on a new SQLite file in its own temporary directory.
struct SqliteDb {
    store: SqlStore,
    _dir: tempfile::TempDir,
}

impl SqliteDb {
    async fn new() -> SqliteDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
            .await
            .expect("open sqlite store");
        assert_eq!(store.backend_name(), "sqlite");
        SqliteDb { store, _dir: dir }
    }
}

/// A fresh PostgreSQL database, created for one test.
struct PostgresDb {
    admin_url: String,
    name: String,
    url: DatabaseUrl,
}

fn admin_url() -> String {
    std::env::var("KEYPORTAL_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

/// `postgres://…/db?opts` with the database name replaced.
fn with_database(url: &str, database: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let query = url[path_start..]
        .find('?')
        .map_or("", |i| &url[path_start + i..]);
    format!("{}/{database}{query}", &url[..path_start])
}

impl PostgresDb {
    /// Creates the database, or returns `None` (after saying so loudly) when PostgreSQL is
    /// unreachable outside CI. In CI an unreachable server fails the test.
    async fn create(test: &str) -> Option<PostgresDb> {
        let admin_url = admin_url();
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(e) => {
                let shown = DatabaseUrl::Postgres(admin_url.clone()).redacted();
                if std::env::var_os("CI").is_some() {
                    panic!("PostgreSQL at {shown} is unreachable and CI is set: {e}");
                }
                eprintln!(
                    "SKIPPING postgres conformance test {test}: PostgreSQL at {shown} is \
                     unreachable ({e}); set KEYPORTAL_TEST_POSTGRES_URL or start PostgreSQL"
                );
                return None;
            }
        };
        let name = format!("kp_conf_{:016x}", rand::random::<u64>());
        // A locale-aware collation (as production databases usually have) so that the suite
        // catches any ordering that silently depends on the database's locale.
        let with_locale = format!(
            "CREATE DATABASE {name} LOCALE_PROVIDER icu ICU_LOCALE 'en-US' TEMPLATE template0"
        );
        if let Err(e) = admin.execute(with_locale.as_str()).await {
            eprintln!("note: no ICU en-US collation for {name} ({e}); using the server default");
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create test database");
        }
        let _ = admin.close().await;
        let url = DatabaseUrl::parse(&with_database(&admin_url, &name)).expect("test url");
        Some(PostgresDb {
            admin_url,
            name,
            url,
        })
    }

    async fn connect(url: &DatabaseUrl) -> SqlStore {
        let store = SqlStore::connect(url).await.expect("open postgres store");
        assert_eq!(store.backend_name(), "postgres");
        store
    }

    /// Best effort: a leftover database is reported, not fatal.
    async fn drop_database(self) {
        let dropped = async {
            let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
            admin
                .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
                .await?;
            admin.close().await
        }
        .await;
        if let Err(e) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// Re-raises a test's panic after cleanup.
fn propagate(outcome: Result<(), tokio::task::JoinError>) {
    match outcome {
        Ok(()) => {}
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("test task failed: {e}"),
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::SqliteDb::new().await;
                    crate::$name(&db.store).await;
                    db.store.pool().close().await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::PostgresDb::create(stringify!($name)).await else {
                        return;
                    };
                    // Run in a task so that the database is dropped even when the test panics.
                    let url = db.url.clone();
                    let outcome = tokio::spawn(async move {
                        let store = crate::PostgresDb::connect(&url).await;
                        crate::$name(&store).await;
                        store.pool().close().await;
                    })
                    .await;
                    db.drop_database().await;
                    crate::propagate(outcome);
                }
            )*
        }
    };
}

conformance!(
    placeholders_are_numbered_dollars,
    org_is_created_once,
    user_round_trips_every_field,
    user_conflicts_name_what_collided,
    usernames_are_unique_ignoring_case,
    migration_7_refuses_case_duplicates_and_names_them,
    user_updates_and_missing_users,
    list_users_pages_in_byte_order_with_total,
    users_are_counted_by_role,
    members_are_filtered_and_paged_in_the_database,
    members_are_counted_per_role_in_one_query,
    delete_user_removes_tokens_folders_and_memberships,
    delete_user_refuses_while_they_own_content,
    roles_round_trip_and_names_are_unique_ignoring_case,
    tokens_round_trip_and_expired_ones_are_purged,
    folders_are_per_owner_with_unique_titles,
    non_empty_folders_cannot_be_deleted,
    items_round_trip_every_field,
    items_list_by_folder_oldest_first,
    item_updates_and_conflicts,
    shares_are_idempotent_and_die_with_the_item,
    groups_round_trip_with_owner_membership,
    memberships_change_and_list_owner_first,
    delete_group_removes_memberships_and_shares,
    migrations_are_idempotent_across_connections,
    two_stores_on_one_database_write_concurrently,
    apps_round_trip_every_field,
    app_conflicts_and_missing_items,
    app_updates_replace_every_field_but_the_secret,
    stale_app_updates_are_refused,
    delete_app_removes_its_tokens_and_frees_the_item,
    key_uses_only_raise_last_used,
    app_tokens_are_listed_until_they_expire,
    legacy_keys_round_trip_update_and_delete,
    legacy_key_scan_streams_active_keys_with_their_lists,
    settings_are_set_replaced_and_deleted,
    change_feed_orders_limits_and_prunes,
    change_numbers_are_unique_across_concurrent_publishers,
    listeners_wake_on_publishes_from_other_stores,
    credentials_migration_upgrades_a_version_1_database,
    usage_adds_up_and_reads_by_range,
    refusals_merge_nodes_and_keep_only_the_newest,
    concurrent_flushes_add_up_exactly,
    usage_scans_a_range_of_days_exactly,
    oauth_codes_round_trip_and_are_single_use,
    concurrent_code_redemptions_have_one_winner,
    refresh_tokens_round_trip_replace_once_and_revoke,
    expired_oauth_grants_are_purged,
    signing_a_member_out_everywhere_removes_their_oauth_grants,
    proxies_round_trip_replace_and_delete,
    proxy_settings_need_their_item_and_go_with_it,
    settings_are_replaced_only_from_the_expected_value,
    search_in_the_database_equals_the_in_memory_oracle,
    concurrent_updates_of_one_item_keep_its_index_exact,
    bulk_writes_round_trip_and_show_only_once_committed,
    a_bulk_write_is_all_or_nothing,
    legacy_keys_are_found_by_hash_and_by_import_time,
    item_counts_migration_counts_existing_items,
    group_and_member_search_equals_the_in_memory_oracle,
    members_are_read_by_username_pages_and_holders_found,
    legacy_keys_are_listed_page_by_page,
    long_words_are_saved_and_found_by_prefix,
    migration_12_cuts_long_terms_stored_before,
    names_are_read_for_a_list_of_ids,
    backups_restore_into_the_other_backend_row_for_row,
    damaged_or_foreign_archives_restore_nothing,
    a_backup_under_write_load_is_one_consistent_moment,
    leaked_api_keys_are_revoked_and_recorded_once,
    leaked_legacy_keys_are_deactivated_and_recorded,
    migration_15_adds_the_leak_records,
    events_round_trip_every_field,
    events_commit_and_roll_back_with_their_change,
    once_keys_record_a_notice_once,
    events_are_filtered_and_paged_newest_first,
    old_events_are_pruned,
);
