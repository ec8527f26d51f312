//! The storage layer's one error type. Backend details are logged, never shown to callers.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule or a precondition of the store was violated.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached or is not answering in time (stopped, restarting,
    /// overloaded, locked): worth retrying shortly. The text is for logs only.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database refused or failed; the text is for logs only.
    #[error("database error: {0}")]
    Backend(String),
    /// The configuration names a database the store cannot use.
    #[error("{0}")]
    Config(String),
    /// A backup archive is unreadable, damaged, or does not fit this database; the text says
    /// what and where (never a stored value).
    #[error("{0}")]
    Archive(String),
}

impl StoreError {
    /// Whether this failure means the database is out of reach (rather than a bad statement).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// SQLSTATEs (PostgreSQL) and result codes (SQLite) that mean "not now" rather than "never":
/// a lost or refused connection, a server shutting down or starting, too many connections, a
/// statement or lock wait cut short by our timeouts, a database locked by another writer.
fn is_transient(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || matches!(
            code,
            "57P01" // admin_shutdown
            | "57P02" // crash_shutdown
            | "57P03" // cannot_connect_now (starting up, shutting down)
            | "53300" // too_many_connections
            | "57014" // query_canceled (statement_timeout)
            | "55P03" // lock_not_available (lock_timeout)
            | "5" // SQLITE_BUSY
            | "6" // SQLITE_LOCKED
            | "261" // SQLITE_BUSY_RECOVERY
            | "517" // SQLITE_BUSY_SNAPSHOT
            | "773" // SQLITE_BUSY_TIMEOUT
        )
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict("already exists".into())
            }
            sqlx::Error::Database(db) if db.code().as_deref().is_some_and(is_transient) => {
                StoreError::Unavailable(error.to_string())
            }
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
            _ => StoreError::Backend(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_and_timeouts_are_unavailable() {
        for error in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ] {
            assert!(StoreError::from(error).is_unavailable());
        }
        assert!(matches!(
            StoreError::from(sqlx::Error::RowNotFound),
            StoreError::NotFound
        ));
        assert!(matches!(
            StoreError::from(sqlx::Error::Protocol("bad".into())),
            StoreError::Backend(_)
        ));
    }

    #[test]
    fn transient_codes_are_told_from_real_failures() {
        for code in [
            "08006", "08001", "57P01", "57P03", "57014", "55P03", "5", "517",
        ] {
            assert!(is_transient(code), "{code}");
        }
        // Syntax error, undefined table, unique violation, SQLite constraint and generic error.
        for code in ["42601", "42P01", "23505", "19", "1", "2067"] {
            assert!(!is_transient(code), "{code}");
        }
    }
}
