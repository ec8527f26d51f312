//! Keys revoked as leaked (`key_leaks`, migration 15): the revocation and its record are one
//! transaction, and the revocation applies only if the reported key is still the one stored,
//! so a key regenerated meanwhile is never touched.

use async_trait::async_trait;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::SlotState;
use keyportal_domain::events::Event;
use keyportal_domain::leak::KeyLeak;
use sqlx::any::AnyRow;

use super::events::insert_events;
use super::rows::{corrupt, flag_value, int, text, to_i64};
use super::SqlStore;
use crate::{LeakStore, StoreResult};

fn slot_column(slot: Option<KeySlot>) -> i64 {
    slot.map_or(0, |s| i64::from(s.number()))
}

fn leak_from_row(row: &AnyRow) -> StoreResult<KeyLeak> {
    let slot = match int(row, "slot")? {
        0 => None,
        n => Some(
            u8::try_from(n)
                .ok()
                .and_then(KeySlot::from_number)
                .ok_or_else(|| corrupt("key_leaks.slot", "not 0, 1 or 2"))?,
        ),
    };
    Ok(KeyLeak {
        item_id: text(row, "item_id")?,
        slot,
        key_hint: text(row, "key_hint")?,
        revoked: int(row, "revoked")?,
        source: text(row, "source")?,
    })
}

#[async_trait]
impl LeakStore for SqlStore {
    async fn revoke_leaked_key(
        &self,
        leak: &KeyLeak,
        key_hash: &str,
        revoked_slot: &SlotState,
    ) -> StoreResult<bool> {
        self.revoke_leaked_key_recorded(leak, key_hash, revoked_slot, &[])
            .await
    }

    async fn revoke_leaked_key_recorded(
        &self,
        leak: &KeyLeak,
        key_hash: &str,
        revoked_slot: &SlotState,
        events: &[Event],
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let result = match leak.slot {
            Some(slot) => {
                // Column names come from the slot number (1 or 2), never from input.
                let n = slot.number();
                let sql = format!(
                    "UPDATE apps SET slot{n}_expiration = $1, slot{n}_active = $2, \
                     slot{n}_key_hash = $3, slot{n}_key_hint = $4, slot{n}_created = $5, \
                     slot{n}_last_used = $6, modified = $7, revision = revision + 1 \
                     WHERE item_id = $8 AND slot{n}_key_hash = $9"
                );
                sqlx::query(&sql)
                    .bind(revoked_slot.expiration)
                    .bind(flag_value(revoked_slot.active))
                    .bind(revoked_slot.key_hash.as_deref())
                    .bind(revoked_slot.key_hint.as_deref())
                    .bind(revoked_slot.created)
                    .bind(revoked_slot.last_used)
                    .bind(leak.revoked)
                    .bind(&leak.item_id)
                    .bind(key_hash)
                    .execute(&mut *tx)
                    .await?
            }
            None => {
                sqlx::query(
                    "UPDATE legacy_keys SET active = 0 \
                     WHERE item_id = $1 AND key_hash = $2 AND active = 1",
                )
                .bind(&leak.item_id)
                .bind(key_hash)
                .execute(&mut *tx)
                .await?
            }
        };
        if result.rows_affected() != 1 {
            // Nothing changed: dropping the transaction rolls it back.
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO key_leaks (item_id, slot, key_hint, revoked, source) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&leak.item_id)
        .bind(slot_column(leak.slot))
        .bind(&leak.key_hint)
        .bind(leak.revoked)
        .bind(&leak.source)
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn key_leaks_of(&self, item_id: &str, limit: usize) -> StoreResult<Vec<KeyLeak>> {
        let rows = sqlx::query(
            "SELECT item_id, slot, key_hint, revoked, source FROM key_leaks \
             WHERE item_id = $1 ORDER BY revoked DESC, slot LIMIT $2",
        )
        .bind(item_id)
        .bind(to_i64(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(leak_from_row).collect()
    }
}
