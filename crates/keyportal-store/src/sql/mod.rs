//! [`SqlStore`]: the one store implementation, for SQLite and PostgreSQL alike.
//!
//! Every statement is written once in the SQL both backends understand (`$N` placeholders,
//! TEXT and BIGINT columns, JSON as text) and runs through `sqlx::AnyPool`. The only
//! per-backend code is here (connection settings), in `migrate.rs` (locking) and in
//! `changes.rs` (locking, NOTIFY and LISTEN).

mod apps;
mod batches;
mod by_ids;
mod catalog;
mod changes;
mod events;
mod folders;
mod groups;
mod item_counts;
mod item_search;
mod items;
mod items_bulk;
mod key_leaks;
mod legacy_keys;
mod legacy_scan;
mod long_terms;
mod migrate;
mod oauth;
mod orgs;
mod proxy;
mod record_index;
mod record_search;
mod record_sql;
mod refusals;
mod restore;
mod roles;
mod rows;
mod search_index;
mod search_sql;
mod settings;
mod snapshot;
mod tokens;
mod url;
mod usage;
mod usage_scan;
mod user_listing;
mod users;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};

use crate::{StoreError, StoreResult};

pub use catalog::{BACKED_UP, DERIVED};
pub use changes::{ChangeListener, ListenerWake};
pub use migrate::SCHEMA_VERSION;
pub use restore::RestoreSummary;
pub use snapshot::{BackupOptions, BackupSummary};
pub use url::DatabaseUrl;

/// SQLite connections per process: readers run in parallel under WAL, writers take turns.
const SQLITE_MAX_CONNECTIONS: u32 = 8;
const POSTGRES_MAX_CONNECTIONS: u32 = 16;
/// How long a caller waits for a pooled connection (including opening one) before the store
/// reports the database unavailable. With PostgreSQL stopped every new connection is refused
/// at once and the pool retries until this runs out, so it bounds how long a write waits.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// The first, direct connection to PostgreSQL at start (a host that drops packets would
/// otherwise keep it waiting for the kernel's SYN retries, minutes).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Set on every PostgreSQL connection: no statement (or lock wait) runs longer than this, so a
/// request never waits on a stuck database longer than the acquire timeout plus this.
/// Migrations lift it for their own transaction.
const POSTGRES_SESSION: &[&str] = &["SET statement_timeout = 5000", "SET lock_timeout = 4000"];

/// Set on every SQLite connection: WAL so readers never block the writer, a busy timeout so
/// another process (the CLI next to the server) holding the write lock makes us wait instead
/// of fail, enforced foreign keys, and the durability level WAL is designed for.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The store over a pool of SQLite or PostgreSQL connections. Cheap to clone.
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    url: DatabaseUrl,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend_name())
            .field("url", &self.url.redacted())
            .finish()
    }
}

impl SqlStore {
    /// Opens the database, bringing its schema up to date.
    pub async fn connect(url: &DatabaseUrl) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let (pool, backend) = match url {
            DatabaseUrl::Sqlite(path) => (open_sqlite(path).await?, Backend::Sqlite),
            DatabaseUrl::Postgres(raw) => (open_postgres(raw, url).await?, Backend::Postgres),
        };
        let store = SqlStore {
            pool,
            backend,
            url: url.clone(),
        };
        migrate::run(&store).await?;
        tracing::debug!(database = %url.redacted(), "store ready");
        Ok(store)
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The connection pool, for features beyond the store traits (e.g. LISTEN/NOTIFY).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The database this store was opened on (print it with `redacted()`).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The highest schema migration applied to the database.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        migrate::current_version(self).await
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so that the busy timeout applies, instead of failing at once when a
    /// read inside the transaction is later upgraded while another process writes.
    pub(crate) async fn begin_write(&self) -> StoreResult<Transaction<'static, Any>> {
        let tx = match self.backend {
            Backend::Sqlite => {
                self.pool
                    .begin_with(Cow::Borrowed("BEGIN IMMEDIATE"))
                    .await?
            }
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }
}

/// The wall clock in epoch milliseconds, for the few times the store stamps rows itself
/// (migrations, change notices) instead of taking `now` from the caller.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn open_sqlite(path: &Path) -> StoreResult<AnyPool> {
    let absolute = absolute_path(path)?;
    let parent = absolute.parent().unwrap_or(Path::new("/"));
    if !parent.is_dir() {
        return Err(StoreError::Config(format!(
            "cannot open the SQLite database {}: the directory {} does not exist",
            absolute.display(),
            parent.display()
        )));
    }
    let Some(path_text) = absolute.to_str() else {
        return Err(StoreError::Config(format!(
            "the SQLite path {} is not valid UTF-8",
            absolute.display()
        )));
    };
    // `mode=rwc` creates the file when missing; the path is percent-encoded so that spaces,
    // `?` or `#` in directory names survive the URL round trip.
    let url = format!("sqlite://{}?mode=rwc", percent_encode_path(path_text));
    let options: AnyConnectOptions = url.parse().map_err(|e: sqlx::Error| {
        StoreError::Config(format!(
            "cannot open the SQLite database {}: {e}",
            absolute.display()
        ))
    })?;
    AnyPoolOptions::new()
        .max_connections(SQLITE_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                for pragma in SQLITE_PRAGMAS {
                    conn.execute(*pragma).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| {
            StoreError::Backend(format!(
                "cannot open the SQLite database {}: {e}",
                absolute.display()
            ))
        })
}

async fn open_postgres(raw: &str, url: &DatabaseUrl) -> StoreResult<AnyPool> {
    let options: AnyConnectOptions = raw.parse().map_err(|e: sqlx::Error| {
        StoreError::Config(format!(
            "invalid PostgreSQL URL {}: {}",
            url.redacted(),
            scrub(&e.to_string(), raw)
        ))
    })?;
    let unreachable = |e: sqlx::Error| {
        StoreError::Backend(format!(
            "cannot connect to PostgreSQL at {}: {}",
            url.redacted(),
            scrub(&e.to_string(), raw)
        ))
    };
    // One direct attempt first: the pool would retry a refused connection until its acquire
    // timeout, leaving an operator with a typo staring at a silent terminal.
    let first = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect_with(&options))
        .await
        .map_err(|_| {
            StoreError::Backend(format!(
                "cannot connect to PostgreSQL at {}: no answer within {} s",
                url.redacted(),
                CONNECT_TIMEOUT.as_secs()
            ))
        })?;
    first
        .map_err(unreachable)?
        .close()
        .await
        .map_err(unreachable)?;
    AnyPoolOptions::new()
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                for statement in POSTGRES_SESSION {
                    conn.execute(*statement).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(unreachable)
}

/// Drivers may echo parts of the URL in their errors; never let the password through.
fn scrub(message: &str, raw_url: &str) -> String {
    match postgres_password(raw_url) {
        Some(password) if !password.is_empty() => message.replace(password, "***"),
        _ => message.to_string(),
    }
}

fn postgres_password(raw_url: &str) -> Option<&str> {
    let rest = &raw_url[raw_url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    userinfo.split_once(':').map(|(_, password)| password)
}

fn absolute_path(path: &Path) -> StoreResult<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| {
        StoreError::Config(format!(
            "cannot resolve the SQLite path {}: {e}",
            path.display()
        ))
    })?;
    Ok(cwd.join(path))
}

/// Percent-encodes everything but unreserved characters and `/`.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(
            percent_encode_path("/tmp/my dir/a?b#c/ü.db"),
            "/tmp/my%20dir/a%3Fb%23c/%C3%BC.db"
        );
    }

    #[test]
    fn passwords_are_scrubbed_from_driver_errors() {
        let raw = "postgres://kp:pa55@db/kp";
        assert_eq!(postgres_password(raw), Some("pa55"));
        assert_eq!(scrub("auth failed for pa55", raw), "auth failed for ***");
        assert_eq!(postgres_password("postgres://kp@db/kp"), None);
    }
}
