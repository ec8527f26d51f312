//! `backup`: every stored row, read in one consistent snapshot while the server keeps
//! running, written as an archive (see `crate::archive`).
//!
//! SQLite: one read transaction under WAL sees the database as of its first read, whatever is
//! written meanwhile. PostgreSQL: one `REPEATABLE READ READ ONLY` transaction, the same. Rows are
//! streamed from the database into the archive, so memory stays flat at any size.

use std::borrow::Cow;
use std::io::Write;

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::catalog::{self, BACKED_UP};
use super::{Backend, SqlStore};
use crate::archive::FORMAT_VERSION;
use crate::archive::{ArchiveWriter, Cell, Column, ColumnKind, Header, TableHeader, Trailer};
use crate::StoreResult;

/// What the archive's header says beyond what the database knows.
#[derive(Debug, Clone, Copy)]
pub struct BackupOptions<'a> {
    pub keyportal_version: &'a str,
    /// When the backup starts, epoch milliseconds.
    pub created: i64,
    /// The sealing key, only when the operator asked for it to be included.
    pub secret_key: Option<&'a str>,
}

/// What a finished backup holds.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupSummary {
    pub schema_version: i64,
    pub tables: Vec<(String, u64)>,
    pub trailer: Trailer,
}

impl SqlStore {
    /// Writes a consistent snapshot of every backed-up table into `out`; `progress` hears rows
    /// done and rows in all. Returns `out` (to be synced) and what was written.
    pub async fn backup<W: Write>(
        &self,
        out: W,
        options: BackupOptions<'_>,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> StoreResult<(W, BackupSummary)> {
        let mut tx = self.begin_snapshot().await?;
        // The first read fixes the snapshot; everything below sees the same moment.
        let schema_version: i64 =
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
                .fetch_one(&mut *tx)
                .await?
                .try_get("v")?;
        let present = catalog::tables(&mut tx, self.backend).await?;
        catalog::check_known(&present)?;
        let mut plan: Vec<(String, Vec<Column>, u64)> = Vec::new();
        for table in BACKED_UP.iter().filter(|t| present.iter().any(|p| p == *t)) {
            let columns = catalog::columns(&mut tx, self.backend, table).await?;
            let rows: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            plan.push((table.to_string(), columns, u64::try_from(rows).unwrap_or(0)));
        }
        let total: u64 = plan.iter().map(|(_, _, rows)| rows).sum();
        let header = Header {
            keyportal_backup: FORMAT_VERSION,
            schema_version,
            keyportal_version: options.keyportal_version.to_string(),
            created: options.created,
            source: self.backend_name().to_string(),
            secret_key: options.secret_key.map(str::to_string),
        };
        let mut writer = ArchiveWriter::new(out, &header)?;
        let mut done = 0u64;
        progress(done, total);
        for (table, columns, rows) in &plan {
            writer.table(&TableHeader {
                table: table.clone(),
                columns: columns.clone(),
                rows: *rows,
            })?;
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            let sql = format!("SELECT {} FROM {table}", names.join(", "));
            let mut stream = sqlx::query(&sql).fetch(&mut *tx);
            let mut cells = Vec::with_capacity(columns.len());
            while let Some(row) = stream.try_next().await? {
                read_cells(&row, columns, &mut cells)?;
                writer.row(&cells)?;
                done += 1;
                if done.is_multiple_of(5_000) {
                    progress(done, total);
                }
            }
        }
        progress(done, total);
        tx.rollback().await?;
        let (out, trailer) = writer.finish()?;
        let summary = BackupSummary {
            schema_version,
            tables: plan.into_iter().map(|(t, _, rows)| (t, rows)).collect(),
            trailer,
        };
        Ok((out, summary))
    }

    /// A read-only transaction that sees one moment of the database throughout, however long
    /// it runs.
    async fn begin_snapshot(&self) -> StoreResult<Transaction<'static, Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin().await?),
            Backend::Postgres => {
                let mut tx = self
                    .pool
                    .begin_with(Cow::Borrowed(
                        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                    ))
                    .await?;
                // A large table takes longer to stream than the session's statement timeout.
                sqlx::query("SET LOCAL statement_timeout = 0")
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }
}

/// One row's values in column order.
fn read_cells(row: &AnyRow, columns: &[Column], cells: &mut Vec<Cell>) -> StoreResult<()> {
    cells.clear();
    for (i, column) in columns.iter().enumerate() {
        let cell = match column.kind {
            ColumnKind::Bigint => row.try_get::<Option<i64>, _>(i)?.map(Cell::Int),
            ColumnKind::Text => row.try_get::<Option<String>, _>(i)?.map(Cell::Text),
        };
        cells.push(cell.unwrap_or(Cell::Null));
    }
    Ok(())
}
