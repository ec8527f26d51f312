//! What the database itself says about keyportal's tables, for backup and restore: which
//! tables exist and their columns, read from the backend's catalog so that a column added by a
//! migration is carried without anyone listing it here.
//!
//! Tables, though, are listed: [`BACKED_UP`] in an order where every table comes after the
//! tables it references (restore inserts in that order), [`DERIVED`] for those restore rebuilds
//! instead. A table in neither list stops a backup — a new migration's table must be placed in
//! one of them, and the store conformance suite checks that every table is.

use sqlx::{AnyConnection, Row};

use super::Backend;
use crate::archive::{Column, ColumnKind};
use crate::{StoreError, StoreResult};

/// The tables whose rows a backup holds, parents before children.
pub const BACKED_UP: &[&str] = &[
    "orgs",
    "users",
    "roles",
    "tokens",
    "folders",
    "items",
    "groups",
    "memberships",
    "shares",
    "apps",
    "app_tokens",
    "legacy_keys",
    "settings",
    "oauth_codes",
    "oauth_refresh_tokens",
    "usage",
    "proxies",
    "key_leaks",
    "events",
    "key_refusals",
];

/// Tables computed from the others (rebuilt by restore), the change feed (which a restored
/// database starts afresh) and the migrations' own record.
pub const DERIVED: &[&str] = &[
    "item_terms",
    "group_terms",
    "user_terms",
    "item_counts",
    "changes",
    "schema_migrations",
];

/// The names of every table in the database (keyportal's schema only).
pub(super) async fn tables(conn: &mut AnyConnection, backend: Backend) -> StoreResult<Vec<String>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY name"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| row.try_get::<String, _>("name").map_err(StoreError::from))
        .collect()
}

/// Every table must be known, so nothing is silently left out of a backup.
pub(super) fn check_known(tables: &[String]) -> StoreResult<()> {
    match tables
        .iter()
        .find(|t| !BACKED_UP.contains(&t.as_str()) && !DERIVED.contains(&t.as_str()))
    {
        Some(unknown) => Err(StoreError::Archive(format!(
            "table {unknown} is not known to backup (list it in sql/catalog.rs)"
        ))),
        None => Ok(()),
    }
}

/// A table's columns in their stored order, with their kinds.
pub(super) async fn columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> StoreResult<Vec<Column>> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT CAST(column_name AS TEXT) AS name, CAST(data_type AS TEXT) AS type \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(&mut *conn).await?;
    let mut columns = Vec::with_capacity(rows.len());
    for row in &rows {
        let name: String = row.try_get("name")?;
        let declared: String = row.try_get("type")?;
        let kind = match declared.to_ascii_lowercase().as_str() {
            "text" => ColumnKind::Text,
            "bigint" | "integer" => ColumnKind::Bigint,
            other => {
                return Err(StoreError::Archive(format!(
                    "column {table}.{name} has type {other}, which backup does not carry"
                )))
            }
        };
        columns.push(Column { name, kind });
    }
    Ok(columns)
}

/// Table and column names come from the catalog, but they are still quoted into SQL text:
/// refuse anything but plain identifiers.
pub(super) fn identifier(name: &str) -> StoreResult<&str> {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plain {
        Ok(name)
    } else {
        Err(StoreError::Archive(format!(
            "{name:?} is not a table or column name keyportal uses"
        )))
    }
}
