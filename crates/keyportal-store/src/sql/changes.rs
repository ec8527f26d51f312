//! The change feed: numbered notices that let every process sharing the database keep its
//! in-memory tables exact, plus PostgreSQL's NOTIFY/LISTEN to wake them without polling.
//!
//! Numbers are assigned as `MAX(seq) + 1` inside a write transaction that is serialized across
//! processes (SQLite: `BEGIN IMMEDIATE` holds the database write lock; PostgreSQL: an advisory
//! lock taken first). Seq `n` is therefore only ever assigned after `n - 1` has committed, so
//! a reader that has seen `n` will never later find a smaller number appear, which a
//! SERIAL column cannot promise (its values commit in any order).

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::Row;

use super::rows::{int, to_i64};
use super::{now_millis, scrub, DatabaseUrl, SqlStore, ACQUIRE_TIMEOUT};
use crate::{ChangeFeed, StoreError, StoreResult};

/// The NOTIFY channel; the payload is the new sequence number as text.
const CHANNEL: &str = "keyportal_changes";

/// Arbitrary constant naming the change feed's lock among PostgreSQL advisory locks (distinct
/// from the migration lock).
const PUBLISH_LOCK_KEY: i64 = 0x6b70_6368_6e67; // "kpchng"

#[async_trait]
impl ChangeFeed for SqlStore {
    async fn publish_change(&self, subject: &str) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        if self.is_postgres() {
            // Released at commit, after the new row is visible to the next holder's MAX(seq).
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PUBLISH_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(
            "INSERT INTO changes (seq, subject, published) \
             SELECT COALESCE(MAX(seq), 0) + 1, $1, $2 FROM changes RETURNING seq",
        )
        .bind(subject)
        .bind(now_millis())
        .fetch_one(&mut *tx)
        .await?;
        let seq = int(&row, "seq")?;
        if self.is_postgres() {
            // Delivered by PostgreSQL at commit only, so a woken listener finds the row.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(seq.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(seq)
    }

    async fn changes_since(&self, seq: i64, limit: usize) -> StoreResult<Vec<(i64, String)>> {
        let rows =
            sqlx::query("SELECT seq, subject FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(seq)
                .bind(to_i64(limit))
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|row| Ok((int(row, "seq")?, row.try_get::<String, _>("subject")?)))
            .collect()
    }

    async fn latest_change(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes")
            .fetch_one(self.pool())
            .await?;
        int(&row, "seq")
    }

    /// The newest notice always stays, even when it is older than `before`: numbering
    /// continues from it, so `latest_change` never goes back and a process that remembers a
    /// number never sees it reused.
    async fn prune_changes(&self, before: i64) -> StoreResult<u64> {
        let result = sqlx::query(
            "DELETE FROM changes \
             WHERE published < $1 AND seq < (SELECT MAX(seq) FROM changes)",
        )
        .bind(before)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected())
    }
}

/// Wakes its owner whenever a change notice is published on the PostgreSQL database, by any
/// process. Holds one dedicated connection of its own.
pub struct ChangeListener {
    listener: PgListener,
    url: DatabaseUrl,
}

impl std::fmt::Debug for ChangeListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeListener")
            .field("url", &self.url.redacted())
            .finish()
    }
}

/// Why a [`ChangeListener`] woke its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerWake {
    /// A notice was published.
    Notice,
    /// The connection was lost and has been re-established: notices sent meanwhile were not
    /// delivered, and writes made while the database was unreachable may have been left
    /// unannounced (committed, then the notice failed).
    Reconnected,
}

impl ChangeListener {
    /// Resolves when a notice has been published since the last call, or when the connection
    /// was lost and has been re-established. Either way the caller re-reads `changes_since`;
    /// a spurious wake-up costs only that read. An error means the database cannot be
    /// reached now; the next call tries to reconnect (each attempt bounded by the store's
    /// acquire timeout).
    pub async fn recv(&mut self) -> StoreResult<ListenerWake> {
        match self.listener.try_recv().await {
            Ok(Some(_notice)) => Ok(ListenerWake::Notice),
            Ok(None) => Ok(ListenerWake::Reconnected),
            Err(e) => Err(listen_error(&self.url, "wait for change notices", e)),
        }
    }
}

impl SqlStore {
    /// A listener for change notices on PostgreSQL; `None` on SQLite, where callers poll
    /// `changes_since` instead (SQLite has no notifications between processes).
    ///
    /// Listening starts before this returns. To miss nothing, open the listener first, then
    /// read the feed, then wait on [`ChangeListener::recv`].
    pub async fn listen_changes(&self) -> StoreResult<Option<ChangeListener>> {
        let DatabaseUrl::Postgres(raw) = &self.url else {
            return Ok(None);
        };
        // A pool of one connection of its own, used only to reconnect: with the database
        // down, each reconnection attempt gives up after the acquire timeout.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(raw)
            .await
            .map_err(|e| listen_error(&self.url, "connect", e))?;
        let mut listener = PgListener::connect_with(&pool)
            .await
            .map_err(|e| listen_error(&self.url, "connect", e))?;
        listener.ignore_pool_close_event(true);
        listener
            .listen(CHANNEL)
            .await
            .map_err(|e| listen_error(&self.url, "listen", e))?;
        Ok(Some(ChangeListener {
            listener,
            url: self.url.clone(),
        }))
    }
}

/// A listener failure, with the server named but never its password; `Unavailable` when
/// the database is out of reach.
fn listen_error(url: &DatabaseUrl, what: &str, error: sqlx::Error) -> StoreError {
    let message = match url {
        DatabaseUrl::Postgres(raw) => scrub(&error.to_string(), raw),
        DatabaseUrl::Sqlite(_) => error.to_string(),
    };
    let message = format!(
        "change listener on {}: cannot {what}: {message}",
        url.redacted()
    );
    match StoreError::from(error) {
        StoreError::Unavailable(_) => StoreError::Unavailable(message),
        _ => StoreError::Backend(message),
    }
}
