//! Usage counts. Each flush is one transaction of upserts that add to the stored counts, so
//! several nodes flushing the same (day, client, slot, service) at once add up exactly.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use keyportal_domain::text::can_be_stored;
use keyportal_domain::usage::{UsageRow, UsageRowRef};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::rows::{int, text};
use super::SqlStore;
use crate::{StoreError, StoreResult, UsageStore};

/// `excluded` names the row that failed to insert, in SQLite and PostgreSQL alike.
const ADD: &str = "INSERT INTO usage (day, client_id, slot, service, count) \
                   VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (day, client_id, slot, service) \
                   DO UPDATE SET count = usage.count + excluded.count";

fn slot_of(slot: i64) -> StoreResult<u8> {
    u8::try_from(slot).map_err(|_| StoreError::Backend(format!("usage.slot {slot} out of range")))
}

fn count_of(count: i64) -> StoreResult<u64> {
    u64::try_from(count).map_err(|_| StoreError::Backend(format!("usage.count {count} negative")))
}

fn row_from(row: &AnyRow) -> StoreResult<UsageRow> {
    Ok(UsageRow {
        day: int(row, "day")?,
        client_id: text(row, "client_id")?,
        slot: slot_of(int(row, "slot")?)?,
        service: text(row, "service")?,
        count: count_of(int(row, "count")?)?,
    })
}

#[async_trait]
impl UsageStore for SqlStore {
    async fn add_usage(&self, rows: &[UsageRow]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for row in rows {
            let count = i64::try_from(row.count)
                .map_err(|_| StoreError::Conflict("a usage count does not fit 63 bits".into()))?;
            sqlx::query(ADD)
                .bind(row.day)
                .bind(&row.client_id)
                .bind(i64::from(row.slot))
                .bind(&row.service)
                .bind(count)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn usage_between(
        &self,
        client_id: Option<&str>,
        first: i64,
        last: i64,
    ) -> StoreResult<Vec<UsageRow>> {
        let rows = match client_id {
            // No stored client id holds NUL (PostgreSQL could not even compare it).
            Some(client_id) if !can_be_stored(client_id) => Vec::new(),
            Some(client_id) => {
                sqlx::query(
                    "SELECT day, client_id, slot, service, count FROM usage \
                     WHERE client_id = $1 AND day >= $2 AND day <= $3 \
                     ORDER BY day, client_id, slot, service",
                )
                .bind(client_id)
                .bind(first)
                .bind(last)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT day, client_id, slot, service, count FROM usage \
                     WHERE day >= $1 AND day <= $2 ORDER BY day, client_id, slot, service",
                )
                .bind(first)
                .bind(last)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(row_from).collect()
    }

    /// The day range is the leading column of the primary key and of `usage_day_rows`
    /// (migration 9), which also holds the count: the scan reads one index range, no table
    /// rows. Columns are read by position, names borrowed from the row.
    async fn scan_usage(
        &self,
        client_id: Option<&str>,
        first: i64,
        last: i64,
        visit: &mut (dyn for<'r> FnMut(UsageRowRef<'r>) + Send),
    ) -> StoreResult<u64> {
        let query = match client_id {
            Some(client_id) if !can_be_stored(client_id) => return Ok(0),
            Some(client_id) => sqlx::query(
                "SELECT day, client_id, slot, service, count FROM usage \
                 WHERE client_id = $1 AND day >= $2 AND day <= $3",
            )
            .bind(client_id.to_string())
            .bind(first)
            .bind(last),
            None => sqlx::query(
                "SELECT day, client_id, slot, service, count FROM usage \
                 WHERE day >= $1 AND day <= $2",
            )
            .bind(first)
            .bind(last),
        };
        let mut rows = query.fetch(self.pool());
        let mut seen = 0u64;
        while let Some(row) = rows.try_next().await? {
            visit(UsageRowRef {
                day: row.try_get(0)?,
                client_id: row.try_get(1)?,
                slot: slot_of(row.try_get(2)?)?,
                service: row.try_get(3)?,
                count: count_of(row.try_get(4)?)?,
            });
            seen += 1;
        }
        Ok(seen)
    }
}
