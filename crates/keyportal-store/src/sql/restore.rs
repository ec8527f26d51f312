//! `restore`: an archive's rows into an empty database, in one transaction — either all of it
//! is restored, verified and committed, or nothing is.
//!
//! Nothing in the archive is trusted: its tables must be ones this schema backs up, each once,
//! with exactly the target's columns; values are bound as parameters, never spliced into SQL.
//! The derived tables (search indexes, item counts) are rebuilt from the restored rows, and
//! every table's row count is compared with the archive's before the commit.

use std::collections::BTreeSet;
use std::io::Read;

use sqlx::{AnyConnection, Row};

use super::catalog::{self, BACKED_UP};
use super::{item_counts, record_index, search_index, Backend, SqlStore, SCHEMA_VERSION};
use crate::archive::{ArchiveReader, Cell, Column, ColumnKind, Entry};
use crate::{StoreError, StoreResult};

/// Bound parameters per INSERT (below SQLite's 32,766 and PostgreSQL's 65,535).
const MAX_PARAMETERS: usize = 8_000;

/// What a restore wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreSummary {
    pub tables: Vec<(String, u64)>,
    pub rows: u64,
}

/// The rows of one table waiting to be inserted together.
struct Batch {
    table: String,
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
    per_statement: usize,
    /// Rows of this table inserted so far.
    inserted: u64,
}

impl SqlStore {
    /// Refuses unless every backed-up table is empty, naming the first that is not.
    pub async fn ensure_empty(&self) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        ensure_empty(&mut conn, self.backend).await
    }

    /// Loads `archive` (whose header was already checked by the caller's verification pass)
    /// into this database; `progress` hears rows done.
    pub async fn restore<R: Read>(
        &self,
        mut archive: ArchiveReader<R>,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> StoreResult<RestoreSummary> {
        check_schema(archive.header().schema_version)?;
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            for statement in [
                "SET LOCAL statement_timeout = 0",
                "SET LOCAL lock_timeout = 0",
            ] {
                sqlx::query(statement).execute(&mut *tx).await?;
            }
        }
        ensure_empty(&mut tx, self.backend).await?;
        let present = catalog::tables(&mut tx, self.backend).await?;
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut summary = RestoreSummary {
            tables: Vec::new(),
            rows: 0,
        };
        let mut batch: Option<Batch> = None;
        loop {
            match archive.next_entry()? {
                Entry::Table(table) => {
                    if let Some(done) = batch.take() {
                        finish_table(&mut tx, done, &mut summary).await?;
                    }
                    let known =
                        BACKED_UP.contains(&table.table.as_str()) && present.contains(&table.table);
                    if !known || !seen.insert(table.table.clone()) {
                        return Err(StoreError::Archive(format!(
                            "the archive holds table {:?}, which this database does not restore \
                             (or holds it twice)",
                            table.table
                        )));
                    }
                    let target = catalog::columns(&mut tx, self.backend, &table.table).await?;
                    check_columns(&table.table, &table.columns, &target)?;
                    let per_statement = (MAX_PARAMETERS / table.columns.len()).max(1);
                    batch = Some(Batch {
                        table: table.table,
                        columns: table.columns,
                        rows: Vec::with_capacity(per_statement),
                        per_statement,
                        inserted: 0,
                    });
                }
                Entry::Row(cells) => {
                    let Some(open) = batch.as_mut() else {
                        return Err(StoreError::Archive("a row outside any table".into()));
                    };
                    open.rows.push(cells);
                    if open.rows.len() == open.per_statement {
                        insert(&mut tx, open).await?;
                        progress(summary.rows + open.inserted);
                    }
                }
                Entry::End(_) => break,
            }
        }
        if let Some(done) = batch.take() {
            finish_table(&mut tx, done, &mut summary).await?;
        }
        progress(summary.rows);
        search_index::rebuild(&mut tx).await?;
        record_index::rebuild(&mut tx).await?;
        item_counts::rebuild(&mut tx).await?;
        for (table, rows) in &summary.tables {
            let stored: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            if u64::try_from(stored).ok() != Some(*rows) {
                return Err(StoreError::Archive(format!(
                    "table {table} holds {stored} rows after the restore, not {rows}: nothing \
                     was restored"
                )));
            }
        }
        tx.commit().await?;
        if self.backend == Backend::Postgres {
            // Planner statistics for the freshly filled tables (outside any transaction).
            sqlx::query("ANALYZE").execute(&self.pool).await?;
        }
        Ok(summary)
    }
}

/// Archives from another schema version are refused with the way forward.
fn check_schema(archive: i64) -> StoreResult<()> {
    if archive == SCHEMA_VERSION {
        return Ok(());
    }
    Err(StoreError::Archive(if archive > SCHEMA_VERSION {
        format!(
            "the backup was made with schema {archive}, newer than this keyportal's \
             {SCHEMA_VERSION}: restore it with that release or a later one"
        )
    } else {
        format!(
            "the backup was made with schema {archive}, older than this keyportal's \
             {SCHEMA_VERSION}: restore it with the release that made it, then start this one \
             on the database to upgrade it"
        )
    }))
}

async fn ensure_empty(conn: &mut AnyConnection, backend: Backend) -> StoreResult<()> {
    let present = catalog::tables(&mut *conn, backend).await?;
    for table in BACKED_UP.iter().filter(|t| present.iter().any(|p| p == *t)) {
        let any = sqlx::query(&format!("SELECT 1 AS one FROM {table} LIMIT 1"))
            .fetch_optional(&mut *conn)
            .await?;
        if any.is_some() {
            return Err(StoreError::Conflict(format!(
                "the database is not empty (table {table} has rows): restore only into a new, \
                 empty database"
            )));
        }
    }
    Ok(())
}

/// The archive's columns must be the target's, as a set with the same kinds (the order may
/// differ between backends).
fn check_columns(table: &str, archive: &[Column], target: &[Column]) -> StoreResult<()> {
    let sorted = |columns: &[Column]| {
        let mut pairs: Vec<(String, ColumnKind)> =
            columns.iter().map(|c| (c.name.clone(), c.kind)).collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs
    };
    if sorted(archive) != sorted(target) {
        return Err(StoreError::Archive(format!(
            "the archive's columns of table {table} are not this database's"
        )));
    }
    for column in archive {
        catalog::identifier(&column.name)?;
    }
    Ok(())
}

async fn finish_table(
    conn: &mut AnyConnection,
    mut batch: Batch,
    summary: &mut RestoreSummary,
) -> StoreResult<()> {
    if !batch.rows.is_empty() {
        insert(conn, &mut batch).await?;
    }
    summary.rows += batch.inserted;
    summary.tables.push((batch.table, batch.inserted));
    Ok(())
}

/// Inserts the batch's rows in one statement and empties it.
async fn insert(conn: &mut AnyConnection, batch: &mut Batch) -> StoreResult<()> {
    let width = batch.columns.len();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        catalog::identifier(&batch.table)?,
        batch
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (r, _) in batch.rows.iter().enumerate() {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * width + c + 1));
        }
        sql.push(')');
    }
    let mut query = sqlx::query(&sql);
    for row in &batch.rows {
        for (cell, column) in row.iter().zip(&batch.columns) {
            query = match (cell, column.kind) {
                (Cell::Int(v), _) => query.bind(*v),
                (Cell::Text(v), _) => query.bind(v.as_str()),
                (Cell::Null, ColumnKind::Bigint) => query.bind(None::<i64>),
                (Cell::Null, ColumnKind::Text) => query.bind(None::<String>),
            };
        }
    }
    query.execute(&mut *conn).await.map_err(|e| {
        StoreError::Archive(format!(
            "the archive's rows of table {} cannot be stored ({}): nothing was restored",
            batch.table,
            StoreError::from(e)
        ))
    })?;
    batch.inserted += batch.rows.len() as u64;
    batch.rows.clear();
    Ok(())
}
