//! Recent key refusals (issue 14): each node writes what its in-memory rings gathered, in one
//! transaction, and every item written is cut back to its newest rows, so the table holds at
//! most about `keep` rows per credential whatever the traffic. Portable SQL: the cut is a
//! `DELETE … WHERE at < (the keep-th newest time)`, which deletes nothing while an item has
//! fewer rows (the subquery is then NULL).

use std::collections::BTreeSet;

use async_trait::async_trait;
use sqlx::any::AnyRow;

use super::rows::{int, text};
use super::SqlStore;
use crate::{RefusalStore, StoreError, StoreResult, StoredRefusal};

const INSERT: &str = "INSERT INTO key_refusals \
    (item_id, at, node, seq, slot, reason, referer, address, service) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
    ON CONFLICT (item_id, at, node, seq) DO NOTHING";

const CUT: &str = "DELETE FROM key_refusals WHERE item_id = $1 AND at < \
    (SELECT at FROM key_refusals WHERE item_id = $1 ORDER BY at DESC LIMIT 1 OFFSET $2)";

const COLUMNS: &str = "item_id, at, node, seq, slot, reason, referer, address, service";

fn refusal_from(row: &AnyRow) -> StoreResult<StoredRefusal> {
    let slot = int(row, "slot")?;
    Ok(StoredRefusal {
        item_id: text(row, "item_id")?,
        at: int(row, "at")?,
        node: text(row, "node")?,
        seq: int(row, "seq")?,
        slot: u8::try_from(slot)
            .map_err(|_| StoreError::Backend(format!("key_refusals.slot {slot} out of range")))?,
        reason: text(row, "reason")?,
        referer: text(row, "referer")?,
        address: text(row, "address")?,
        service: text(row, "service")?,
    })
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl RefusalStore for SqlStore {
    async fn add_refusals(&self, refusals: &[StoredRefusal], keep: usize) -> StoreResult<()> {
        if refusals.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let mut items = BTreeSet::new();
        for r in refusals {
            sqlx::query(INSERT)
                .bind(&r.item_id)
                .bind(r.at)
                .bind(&r.node)
                .bind(r.seq)
                .bind(i64::from(r.slot))
                .bind(&r.reason)
                .bind(&r.referer)
                .bind(&r.address)
                .bind(&r.service)
                .execute(&mut *tx)
                .await?;
            items.insert(r.item_id.as_str());
        }
        for item in items {
            sqlx::query(CUT)
                .bind(item)
                .bind(as_i64(keep.saturating_sub(1)))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn recent_refusals(
        &self,
        item_id: &str,
        limit: usize,
    ) -> StoreResult<Vec<StoredRefusal>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM key_refusals WHERE item_id = $1 \
             ORDER BY at DESC, node DESC, seq DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(item_id)
            .bind(as_i64(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(refusal_from).collect()
    }

    async fn prune_refusals(&self, before: i64) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM key_refusals WHERE at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }
}
