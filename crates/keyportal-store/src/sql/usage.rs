//! Usage counts. Each flush is one transaction of upserts that add to the stored counts, so
//! several nodes flushing the same (day, client, slot, service) at once add up exactly.

use async_trait::async_trait;
use keyportal_domain::text::can_be_stored;
use keyportal_domain::usage::{UsageRow, UsageRowRef};
use sqlx::any::AnyRow;

use super::rows::{int, text};
use super::SqlStore;
use crate::{StoreError, StoreResult, UsageStore};

/// `excluded` names the row that failed to insert, in SQLite and PostgreSQL alike.
const ADD: &str = "INSERT INTO usage (day, client_id, slot, service, count) \
                   VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (day, client_id, slot, service) \
                   DO UPDATE SET count = usage.count + excluded.count";

pub(super) fn slot_of(slot: i64) -> StoreResult<u8> {
    u8::try_from(slot).map_err(|_| StoreError::Backend(format!("usage.slot {slot} out of range")))
}

pub(super) fn count_of(count: i64) -> StoreResult<u64> {
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

    async fn scan_usage(
        &self,
        client_id: Option<&str>,
        first: i64,
        last: i64,
        visit: &mut (dyn for<'r> FnMut(UsageRowRef<'r>) + Send),
    ) -> StoreResult<u64> {
        super::usage_scan::scan(self, client_id, first, last, visit).await
    }
}
