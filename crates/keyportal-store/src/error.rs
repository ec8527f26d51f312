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
    /// The database refused or failed; the text is for logs only.
    #[error("database error: {0}")]
    Backend(String),
    /// The configuration names a database the store cannot use.
    #[error("{0}")]
    Config(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict("already exists".into())
            }
            sqlx::Error::RowNotFound => StoreError::NotFound,
            _ => StoreError::Backend(error.to_string()),
        }
    }
}
