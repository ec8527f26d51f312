//! Shared encoding and decoding between domain values and portable column types, and the
//! mapping of database errors to [`StoreError`]s with messages that say what collided.

use serde_json::{Map, Value};
use sqlx::any::{AnyQueryResult, AnyRow};
use sqlx::Row;

use crate::{StoreError, StoreResult};

/// Reads a text column.
pub(super) fn text(row: &AnyRow, column: &str) -> StoreResult<String> {
    Ok(row.try_get::<String, _>(column)?)
}

/// Reads a nullable text column.
pub(super) fn opt_text(row: &AnyRow, column: &str) -> StoreResult<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(column)?)
}

/// Reads a BIGINT column.
pub(super) fn int(row: &AnyRow, column: &str) -> StoreResult<i64> {
    Ok(row.try_get::<i64, _>(column)?)
}

/// Reads a BIGINT 0/1 column as a boolean (booleans are not portable through the Any driver).
pub(super) fn flag(row: &AnyRow, column: &str) -> StoreResult<bool> {
    Ok(int(row, column)? != 0)
}

/// The stored form of a boolean.
pub(super) fn flag_value(value: bool) -> i64 {
    i64::from(value)
}

/// Reads a `COUNT(*)` (or other non-negative integer) as a `usize`.
pub(super) fn count(row: &AnyRow, column: &str) -> StoreResult<usize> {
    let n = int(row, column)?;
    usize::try_from(n).map_err(|_| corrupt(column, "a negative count"))
}

/// Serializes a list (tags, typeKeywords, privileges) as JSON text.
pub(super) fn json_list(values: &[String]) -> StoreResult<String> {
    serde_json::to_string(values).map_err(encode_error)
}

/// Parses a JSON text list.
pub(super) fn parse_json_list(row: &AnyRow, column: &str) -> StoreResult<Vec<String>> {
    let raw = text(row, column)?;
    serde_json::from_str(&raw).map_err(|e| corrupt(column, &e.to_string()))
}

/// Serializes a JSON value as text.
pub(super) fn to_json(value: &Value) -> StoreResult<String> {
    serde_json::to_string(value).map_err(encode_error)
}

/// Serializes a JSON object as text.
pub(super) fn object_json(value: &Map<String, Value>) -> StoreResult<String> {
    serde_json::to_string(value).map_err(encode_error)
}

fn encode_error(error: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("cannot encode JSON for storage: {error}"))
}

/// Parses a JSON text column.
pub(super) fn parse_json(row: &AnyRow, column: &str) -> StoreResult<Value> {
    let raw = text(row, column)?;
    serde_json::from_str(&raw).map_err(|e| corrupt(column, &e.to_string()))
}

/// A stored value that the domain does not accept: the database was edited by hand or by a
/// newer keyportal.
pub(super) fn corrupt(column: &str, problem: &str) -> StoreError {
    StoreError::Backend(format!(
        "unreadable stored value in column {column}: {problem}"
    ))
}

/// `usize` from the traits as a BIGINT bind value.
pub(super) fn to_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(super) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub(super) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

/// A unique violation becomes `Conflict(message)`; anything else maps as usual.
pub(super) fn conflict_on_unique(
    error: sqlx::Error,
    message: impl FnOnce() -> String,
) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::Conflict(message())
    } else {
        error.into()
    }
}

/// `NotFound` when an UPDATE or DELETE touched no row.
pub(super) fn require_row(result: AnyQueryResult) -> StoreResult<()> {
    if result.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
