//! Imported legacy API keys, stored by hex SHA-256 only (the hash is never logged or put in
//! an error message).

use async_trait::async_trait;
use keyportal_domain::events::Event;
use keyportal_domain::legacy_key::LegacyKey;
use sqlx::any::AnyRow;

use super::by_ids::rows_where_in;
use super::events::insert_events;
use super::items_bulk::placeholders;
use super::rows::{
    conflict_on_unique, flag, flag_value, int, is_foreign_key_violation, json_list,
    parse_json_list, require_row, text, to_i64,
};
use super::SqlStore;
use crate::{LegacyKeyGrant, LegacyKeyStore, StoreError, StoreResult};

/// Hashes looked up per statement (well under every backend's limit on parameters).
const HASHES_PER_QUERY: usize = 500;

pub(super) const COLUMNS: &str =
    "item_id, key_hash, owner, key_hint, privileges, http_referrers, active, \
                       created, last_used";

fn key_from_row(row: &AnyRow) -> StoreResult<LegacyKey> {
    Ok(LegacyKey {
        item_id: text(row, "item_id")?,
        owner: text(row, "owner")?,
        key_hash: text(row, "key_hash")?,
        key_hint: text(row, "key_hint")?,
        privileges: parse_json_list(row, "privileges")?,
        http_referrers: parse_json_list(row, "http_referrers")?,
        active: flag(row, "active")?,
        created: int(row, "created")?,
        last_used: int(row, "last_used")?,
    })
}

/// A unique violation names no column portably, and either one may collide; the message
/// names both without echoing the hash.
fn duplicate(key: &LegacyKey) -> String {
    format!(
        "a legacy key for item {} or with the same key already exists",
        key.item_id
    )
}

#[async_trait]
impl LegacyKeyStore for SqlStore {
    /// Also `NotFound` when the item does not exist (as `create_app`).
    async fn insert_legacy_key(&self, key: &LegacyKey) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO legacy_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        sqlx::query(&sql)
            .bind(&key.item_id)
            .bind(&key.key_hash)
            .bind(&key.owner)
            .bind(&key.key_hint)
            .bind(json_list(&key.privileges)?)
            .bind(json_list(&key.http_referrers)?)
            .bind(flag_value(key.active))
            .bind(key.created)
            .bind(key.last_used)
            .execute(self.pool())
            .await
            .map_err(|e| {
                if is_foreign_key_violation(&e) {
                    StoreError::NotFound
                } else {
                    conflict_on_unique(e, || duplicate(key))
                }
            })?;
        Ok(())
    }

    async fn get_legacy_key(&self, item_id: &str) -> StoreResult<Option<LegacyKey>> {
        let sql = format!("SELECT {COLUMNS} FROM legacy_keys WHERE item_id = $1");
        let row = sqlx::query(&sql)
            .bind(item_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(key_from_row).transpose()
    }

    /// Along the primary key, or for one owner along `legacy_keys_owner (owner, item_id)`
    /// (migration 12), so a page reads only its rows however many keys there are.
    async fn list_legacy_keys_after(
        &self,
        owner: Option<&str>,
        after: &str,
        limit: usize,
    ) -> StoreResult<Vec<LegacyKey>> {
        let rows = match owner {
            None => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM legacy_keys WHERE item_id > $1 ORDER BY item_id \
                     LIMIT $2"
                );
                sqlx::query(&sql)
                    .bind(after)
                    .bind(to_i64(limit))
                    .fetch_all(self.pool())
                    .await?
            }
            Some(owner) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM legacy_keys WHERE owner = $1 AND item_id > $2 \
                     ORDER BY owner, item_id LIMIT $3"
                );
                sqlx::query(&sql)
                    .bind(owner)
                    .bind(after)
                    .bind(to_i64(limit))
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(key_from_row).collect()
    }

    async fn legacy_keys_by_ids(&self, item_ids: &[String]) -> StoreResult<Vec<LegacyKey>> {
        let select = format!("SELECT {COLUMNS} FROM legacy_keys WHERE");
        let rows = rows_where_in(self, &select, "item_id", item_ids).await?;
        rows.iter().map(key_from_row).collect()
    }

    async fn scan_active_legacy_keys(
        &self,
        visit: &mut (dyn for<'e> FnMut(&'e LegacyKeyGrant) + Send),
    ) -> StoreResult<u64> {
        super::legacy_scan::scan(self, visit).await
    }

    /// `NotFound` when the item has no legacy key; `Conflict` when the new hash belongs to
    /// another key.
    async fn update_legacy_key_recorded(
        &self,
        key: &LegacyKey,
        events: &[Event],
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query(
            "UPDATE legacy_keys SET key_hash = $1, owner = $2, key_hint = $3, privileges = $4, \
             http_referrers = $5, active = $6, created = $7, last_used = $8 WHERE item_id = $9",
        )
        .bind(&key.key_hash)
        .bind(&key.owner)
        .bind(&key.key_hint)
        .bind(json_list(&key.privileges)?)
        .bind(json_list(&key.http_referrers)?)
        .bind(flag_value(key.active))
        .bind(key.created)
        .bind(key.last_used)
        .bind(&key.item_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, || duplicate(key)))?;
        require_row(result)?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `NotFound` when the item has no legacy key.
    async fn delete_legacy_key(&self, item_id: &str) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM legacy_keys WHERE item_id = $1")
            .bind(item_id)
            .execute(self.pool())
            .await?;
        require_row(result)
    }

    async fn legacy_hashes_stored(&self, hashes: &[String]) -> StoreResult<Vec<String>> {
        let mut found = Vec::new();
        for chunk in hashes.chunks(HASHES_PER_QUERY) {
            let sql = format!(
                "SELECT key_hash FROM legacy_keys WHERE key_hash IN ({})",
                placeholders(self.is_postgres(), 1, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for hash in chunk {
                query = query.bind(hash);
            }
            for row in query.fetch_all(self.pool()).await? {
                found.push(text(&row, "key_hash")?);
            }
        }
        Ok(found)
    }

    /// Walks the primary key from `after`, so the pages of one import together read the
    /// table once, without an index on `created`.
    async fn legacy_keys_created_at(
        &self,
        created: i64,
        after: &str,
        limit: usize,
    ) -> StoreResult<Vec<LegacyKey>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM legacy_keys WHERE item_id > $1 AND created = $2 \
             ORDER BY item_id LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(created)
            .bind(to_i64(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(key_from_row).collect()
    }
}
