//! Schema migrations, embedded in the binary and recorded in `schema_migrations`.
//!
//! Each migration runs in its own transaction that first inserts its version row: a second
//! process starting at the same moment blocks on that row and then sees it taken, so it skips
//! the migration instead of applying it twice. On PostgreSQL an advisory lock additionally
//! serializes the whole step (including creating `schema_migrations` itself, which PostgreSQL
//! cannot do concurrently even with `IF NOT EXISTS`).

use sqlx::{Any, Row, Transaction};

use super::rows::is_unique_violation;
use super::{long_terms, record_index, search_index};
use super::{now_millis, SqlStore};
use crate::{StoreError, StoreResult};

/// One schema change. `sql` is portable; `postgres_only` and `sqlite_only` hold the rare
/// statements one backend needs (run after `sql`); `precondition` checks the data the change
/// needs before it runs; `then` fills what SQL alone cannot, in the same transaction.
struct Migration {
    version: i64,
    sql: &'static str,
    postgres_only: &'static [&'static str],
    sqlite_only: &'static [&'static str],
    precondition: Option<Precondition>,
    then: Option<Fill>,
}

/// Data a migration computes in the application.
#[derive(Debug, Clone, Copy)]
enum Fill {
    /// The search index and key columns of every existing item.
    SearchIndex,
    /// The search indexes and key columns of every existing group and member.
    RecordIndex,
    /// Index rows holding a term longer than the limit, cut as the domain now cuts them.
    LongTerms,
}

/// The search index: one row per word of an item's text fields and per whole value of its
/// lists (see `search_index.rs`), keyed for lookups by term and for phrases by position.
const ITEM_TERMS_SQLITE: &str = "CREATE TABLE item_terms (field BIGINT NOT NULL, \
    term TEXT NOT NULL, item_id TEXT NOT NULL, pos BIGINT NOT NULL, \
    PRIMARY KEY (field, term, item_id, pos)) WITHOUT ROWID";
const ITEM_TERMS_POSTGRES: &str = r#"CREATE TABLE item_terms (field BIGINT NOT NULL,
    term TEXT COLLATE "C" NOT NULL, item_id TEXT NOT NULL, pos BIGINT NOT NULL,
    PRIMARY KEY (field, term, item_id, pos))"#;

/// The group and member search indexes (see `record_index.rs`), like `item_terms`; each also
/// has an index by group or username, so that a record's rows are deleted without recomputing
/// them (groups and members are few next to items).
const RECORD_TERMS_SQLITE: &[&str] = &[
    "CREATE TABLE group_terms (field BIGINT NOT NULL, term TEXT NOT NULL, \
     group_id TEXT NOT NULL, pos BIGINT NOT NULL, \
     PRIMARY KEY (field, term, group_id, pos)) WITHOUT ROWID",
    "CREATE INDEX group_terms_group ON group_terms (group_id)",
    "CREATE TABLE user_terms (field BIGINT NOT NULL, term TEXT NOT NULL, \
     username TEXT NOT NULL, pos BIGINT NOT NULL, \
     PRIMARY KEY (field, term, username, pos)) WITHOUT ROWID",
    "CREATE INDEX user_terms_user ON user_terms (username)",
];
const RECORD_TERMS_POSTGRES: &[&str] = &[
    r#"CREATE TABLE group_terms (field BIGINT NOT NULL, term TEXT COLLATE "C" NOT NULL,
    group_id TEXT COLLATE "C" NOT NULL, pos BIGINT NOT NULL,
    PRIMARY KEY (field, term, group_id, pos))"#,
    "CREATE INDEX group_terms_group ON group_terms (group_id)",
    r#"CREATE TABLE user_terms (field BIGINT NOT NULL, term TEXT COLLATE "C" NOT NULL,
    username TEXT COLLATE "C" NOT NULL, pos BIGINT NOT NULL,
    PRIMARY KEY (field, term, username, pos))"#,
    "CREATE INDEX user_terms_user ON user_terms (username)",
    // Sorting compares bytes, like SQLite and Rust, not the locale.
    r#"ALTER TABLE groups ALTER COLUMN id TYPE TEXT COLLATE "C""#,
    r#"ALTER TABLE groups ALTER COLUMN owner TYPE TEXT COLLATE "C""#,
    r#"ALTER TABLE groups ALTER COLUMN title_key TYPE TEXT COLLATE "C""#,
    r#"ALTER TABLE users ALTER COLUMN full_name_key TYPE TEXT COLLATE "C""#,
];

/// What existing data must satisfy before a migration can run.
#[derive(Debug, Clone, Copy)]
enum Precondition {
    /// No two usernames differ only by case (the unique index of migration 7).
    UsernamesUniqueIgnoringCase,
}

/// Every migration in order. Never edit a released one: add the next.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../../migrations/0001_init.sql"),
        // SQLite compares text byte by byte; PostgreSQL uses the database's locale, which would
        // order usernames differently (and ignore punctuation). "C" makes list_users agree.
        postgres_only: &[r#"ALTER TABLE users ALTER COLUMN username TYPE TEXT COLLATE "C""#],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
    Migration {
        version: 2,
        sql: include_str!("../../migrations/0002_credentials.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
    Migration {
        version: 3,
        sql: include_str!("../../migrations/0003_oauth.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
    Migration {
        version: 4,
        sql: include_str!("../../migrations/0004_usage.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
    Migration {
        version: 5,
        sql: include_str!("../../migrations/0005_proxy.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
    // Versions need not be contiguous: each missing one is applied, in order.
    Migration {
        version: 7,
        sql: include_str!("../../migrations/0007_usernames_unique_ignoring_case.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: Some(Precondition::UsernamesUniqueIgnoringCase),
        then: None,
    },
    Migration {
        version: 8,
        sql: include_str!("../../migrations/0008_search_index.sql"),
        // Sorting and prefix ranges compare bytes, like SQLite and Rust, not the locale.
        postgres_only: &[
            ITEM_TERMS_POSTGRES,
            r#"ALTER TABLE items ALTER COLUMN owner TYPE TEXT COLLATE "C""#,
            r#"ALTER TABLE items ALTER COLUMN id TYPE TEXT COLLATE "C""#,
            r#"ALTER TABLE items ALTER COLUMN owner_key TYPE TEXT COLLATE "C""#,
            r#"ALTER TABLE items ALTER COLUMN org_key TYPE TEXT COLLATE "C""#,
            r#"ALTER TABLE items ALTER COLUMN title_key TYPE TEXT COLLATE "C""#,
            r#"ALTER TABLE items ALTER COLUMN type_key TYPE TEXT COLLATE "C""#,
        ],
        sqlite_only: &[ITEM_TERMS_SQLITE],
        precondition: None,
        then: Some(Fill::SearchIndex),
    },
    Migration {
        version: 9,
        sql: include_str!("../../migrations/0009_usage_indexes.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
    Migration {
        version: 10,
        sql: include_str!("../../migrations/0010_item_counts.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
    Migration {
        version: 11,
        sql: include_str!("../../migrations/0011_record_search.sql"),
        postgres_only: RECORD_TERMS_POSTGRES,
        sqlite_only: RECORD_TERMS_SQLITE,
        precondition: None,
        then: Some(Fill::RecordIndex),
    },
    Migration {
        version: 12,
        sql: include_str!("../../migrations/0012_long_terms_and_legacy_owner.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: Some(Fill::LongTerms),
    },
    Migration {
        version: 13,
        sql: include_str!("../../migrations/0013_events.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
    Migration {
        version: 14,
        sql: include_str!("../../migrations/0014_key_controls.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
    Migration {
        version: 15,
        sql: include_str!("../../migrations/0015_key_leaks.sql"),
        postgres_only: &[],
        sqlite_only: &[],
        precondition: None,
        then: None,
    },
];

/// The schema version this build migrates to (the last migration's).
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Arbitrary constant naming keyportal's migration lock among PostgreSQL advisory locks.
const ADVISORY_LOCK_KEY: i64 = 0x6b70_6d69_6772; // "kpmigr"

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
                            version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)";

/// Brings the schema up to date; a no-op when it already is.
pub(super) async fn run(store: &SqlStore) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    lock(store, &mut tx).await?;
    sqlx::query(CREATE_TABLE).execute(&mut *tx).await?;
    tx.commit().await?;

    let applied = applied_versions(store).await?;
    for migration in MIGRATIONS {
        if !applied.contains(&migration.version) {
            apply(store, migration).await?;
        }
    }
    Ok(())
}

/// The highest applied version (0 for an empty database).
pub(super) async fn current_version(store: &SqlStore) -> StoreResult<i64> {
    Ok(applied_versions(store)
        .await?
        .into_iter()
        .max()
        .unwrap_or(0))
}

async fn applied_versions(store: &SqlStore) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|row| row.try_get::<i64, _>("version").map_err(StoreError::from))
        .collect()
}

async fn apply(store: &SqlStore, migration: &Migration) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    lock(store, &mut tx).await?;
    let claimed = sqlx::query("INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)")
        .bind(migration.version)
        .bind(now_millis())
        .execute(&mut *tx)
        .await;
    match claimed {
        Ok(_) => {}
        // Another process applied it between our read and our insert.
        Err(e) if is_unique_violation(&e) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    if let Some(precondition) = migration.precondition {
        check(precondition, migration.version, &mut tx).await?;
    }
    let extra = if store.is_postgres() {
        migration.postgres_only
    } else {
        migration.sqlite_only
    };
    let extra = extra.iter().map(|statement| statement.to_string());
    for statement in statements(migration.sql).chain(extra) {
        sqlx::query(&statement)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::Backend(format!(
                    "schema migration {} failed: {e}",
                    migration.version
                ))
            })?;
    }
    match migration.then {
        Some(Fill::SearchIndex) => {
            let items = search_index::rebuild(&mut tx).await?;
            tracing::info!(items, "search index built");
        }
        Some(Fill::RecordIndex) => {
            let (groups, users) = record_index::rebuild(&mut tx).await?;
            tracing::info!(groups, users, "group and member search indexes built");
        }
        Some(Fill::LongTerms) => {
            let rows = long_terms::truncate_stored(&mut tx).await?;
            tracing::info!(rows, "long search terms truncated");
        }
        None => {}
    }
    tx.commit().await?;
    tracing::info!(version = migration.version, "applied schema migration");
    Ok(())
}

/// Refuses to migrate (and so to start) when existing data breaks `precondition`, naming what
/// must be fixed: nothing is changed, and the message says how to go on.
async fn check(
    precondition: Precondition,
    version: i64,
    tx: &mut Transaction<'static, Any>,
) -> StoreResult<()> {
    match precondition {
        Precondition::UsernamesUniqueIgnoringCase => {
            let rows = sqlx::query(
                "SELECT username FROM users WHERE lower(username) IN \
                 (SELECT lower(username) FROM users GROUP BY lower(username) \
                 HAVING COUNT(*) > 1) ORDER BY lower(username), username",
            )
            .fetch_all(&mut **tx)
            .await?;
            let names = rows
                .iter()
                .map(|row| row.try_get::<String, _>("username"))
                .collect::<Result<Vec<_>, _>>()?;
            if names.is_empty() {
                return Ok(());
            }
            Err(StoreError::Config(duplicate_usernames_message(
                version, &names,
            )))
        }
    }
}

/// `names` sorted by their lower-case form: groups of accounts that differ only by case.
fn duplicate_usernames_message(version: i64, names: &[String]) -> String {
    let mut groups: Vec<Vec<&str>> = Vec::new();
    for name in names {
        match groups.last_mut() {
            Some(group) if group[0].eq_ignore_ascii_case(name) => group.push(name),
            _ => groups.push(vec![name]),
        }
    }
    let listed: Vec<String> = groups.iter().map(|g| g.join(", ")).collect();
    format!(
        "schema migration {version} makes usernames unique ignoring case, but these accounts \
         differ only by case: {}. Keep one account of each group (move the others' items and \
         groups to it, then delete them in the database), and start keyportal again; nothing \
         was changed.",
        listed.join("; ")
    )
}

/// On PostgreSQL, waits for other keyportal processes migrating the same database, however
/// long they take (the session's statement and lock timeouts are lifted for this transaction).
async fn lock(store: &SqlStore, tx: &mut Transaction<'static, Any>) -> StoreResult<()> {
    if store.is_postgres() {
        for statement in [
            "SET LOCAL statement_timeout = 0",
            "SET LOCAL lock_timeout = 0",
        ] {
            sqlx::query(statement).execute(&mut **tx).await?;
        }
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ADVISORY_LOCK_KEY)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The statements of a migration file: whole-line `--` comments dropped, then split at `;`.
fn statements(sql: &str) -> impl Iterator<Item = String> {
    let code: Vec<&str> = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect();
    code.join("\n")
        .split(';')
        .map(|statement| statement.trim().to_string())
        .filter(|statement| !statement.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(versions.first(), Some(&1));
    }

    #[test]
    fn duplicate_usernames_are_named_by_group() {
        let names: Vec<String> = ["Alice", "alice", "BOB", "bob", "Bob"]
            .iter()
            .map(|n| n.to_string())
            .collect();
        let message = duplicate_usernames_message(7, &names);
        assert!(
            message.contains("differ only by case: Alice, alice; BOB, bob, Bob."),
            "{message}"
        );
        assert!(message.contains("nothing was changed"));
    }

    #[test]
    fn comments_are_dropped_before_splitting() {
        let sql = "-- head; with a semicolon\nCREATE TABLE a (x TEXT);\n\n-- c\n;\n\
                   CREATE INDEX i ON a (x);\n-- tail\n";
        let parts: Vec<String> = statements(sql).collect();
        assert_eq!(
            parts,
            ["CREATE TABLE a (x TEXT)", "CREATE INDEX i ON a (x)"]
        );
    }

    #[test]
    fn migrations_use_only_portable_ddl() {
        for migration in MIGRATIONS {
            let sql: String = migration
                .sql
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
                .to_ascii_uppercase();
            for word in [
                "SERIAL",
                "AUTOINCREMENT",
                "BOOLEAN",
                "JSONB",
                "TIMESTAMP",
                "BLOB",
                "BYTEA",
            ] {
                assert!(
                    !sql.contains(word),
                    "{word} in migration {} is not portable",
                    migration.version
                );
            }
        }
        assert!(statements(MIGRATIONS[0].sql).count() > 10);
        assert_eq!(statements(MIGRATIONS[1].sql).count(), 8);
    }
}
