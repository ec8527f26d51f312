//! Bulk writes: many items and legacy keys per statement, all in one transaction (the legacy
//! import of a million keys). This is the one place items are inserted in bulk, so whatever
//! must accompany every inserted item (an index row, say) is written from here.

use async_trait::async_trait;
use keyportal_domain::events::Event;
use keyportal_domain::item::Item;
use keyportal_domain::legacy_key::LegacyKey;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};

use super::item_counts::count_batch;
use super::items::json_columns;
use super::rows::{flag_value, is_foreign_key_violation, is_unique_violation, json_list};
use super::search_index::{index_rows, key_values};
use super::SqlStore;
use crate::{BulkStore, BulkWrite, StoreError, StoreResult};

/// The item's columns and its search key columns (`search_index::key_values`).
const ITEM_COLUMNS: &str = "id, owner, org_id, folder_id, title, item_type, type_keywords, tags, \
                            description, snippet, url, access, properties, extra, created, modified, \
                            owner_key, org_key, title_key, type_key";
const ITEM_PARAMS: usize = 20;
const TERM_PARAMS: usize = 4;
/// Search index rows per INSERT (8,000 parameters).
const TERMS_PER_STATEMENT: usize = 2_000;
const KEY_PARAMS: usize = 9;
/// Rows per INSERT: 10,000 parameters for items, under SQLite's 32,766 and PostgreSQL's 65,535.
/// Every full batch has the same text, so each connection prepares it once.
const ROWS_PER_STATEMENT: usize = 500;
/// SQLite's page cache while a bulk write runs (KiB, as `cache_size` takes it when negative).
/// The default 2 MB cannot hold the pages of the random-order indexes (item ids, key hashes),
/// so every insert would spill and re-read pages: 1,500 keys/s instead of tens of thousands.
/// Memory is only taken as pages are read; 1,000,000 keys use about 170 MB of index pages.
const SQLITE_BULK_CACHE: &str = "PRAGMA cache_size = -262144";
/// SQLite's default, restored before the commit (pages spilled then are written anyway).
const SQLITE_DEFAULT_CACHE: &str = "PRAGMA cache_size = -2000";

/// Placeholders for `count` values: `$1, $2, …` on PostgreSQL, `?, ?, …` on SQLite. SQLite
/// looks a named parameter (`$1`) up by a linear scan when it prepares and when it binds, so a
/// statement of thousands of them costs quadratic time (half a second for 8,000); anonymous
/// ones cost nothing. The only per-backend SQL of the store's bulk writes.
pub(super) fn placeholders(numbered: bool, first: usize, count: usize) -> String {
    let mut out = String::with_capacity(count * 6);
    for n in first..first + count {
        if n > first {
            out.push_str(", ");
        }
        if numbered {
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push('?');
        }
    }
    out
}

/// `INSERT INTO table (columns) VALUES (…), (…), …` for `rows` rows of `params` values.
fn insert_sql(numbered: bool, table: &str, columns: &str, params: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&placeholders(numbered, 1 + row * params, params));
        sql.push(')');
    }
    sql
}

/// Inserts the items in statements of [`ROWS_PER_STATEMENT`] rows on `conn` (a transaction's),
/// with their search index rows and counts.
/// `numbered`: PostgreSQL's `$N` placeholders (see [`placeholders`]).
async fn insert_items_batch(
    conn: &mut AnyConnection,
    numbered: bool,
    items: &[Item],
) -> StoreResult<()> {
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_sql(numbered, "items", ITEM_COLUMNS, ITEM_PARAMS, chunk.len());
        let mut query = sqlx::query(&sql);
        for item in chunk {
            let (type_keywords, tags, properties, extra) = json_columns(item)?;
            let [owner_key, org_key, title_key, type_key] = key_values(item);
            query = query
                .bind(&item.id)
                .bind(&item.owner)
                .bind(&item.org_id)
                .bind(item.folder_id.as_deref())
                .bind(&item.title)
                .bind(&item.item_type)
                .bind(type_keywords)
                .bind(tags)
                .bind(&item.description)
                .bind(&item.snippet)
                .bind(&item.url)
                .bind(item.access.as_str())
                .bind(properties)
                .bind(extra)
                .bind(item.created)
                .bind(item.modified)
                .bind(owner_key)
                .bind(org_key)
                .bind(title_key)
                .bind(type_key);
        }
        query.execute(&mut *conn).await.map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("an item with one of these ids already exists".into())
            } else if is_foreign_key_violation(&e) {
                StoreError::Conflict("an owner or folder of these items does not exist".into())
            } else {
                e.into()
            }
        })?;
    }
    insert_terms_batch(conn, numbered, items).await?;
    count_batch(conn, items).await
}

/// The items' search index rows (`search_index`), many per statement, with the same
/// placeholders as the items (anonymous on SQLite: see [`placeholders`]). Sorted by the
/// index's key first: with ids that increase through a bulk write (`AscendingIds`) each term's
/// rows then go to the end of that term's run of the B-tree, a few hot pages instead of
/// pages all over a table of millions of rows.
async fn insert_terms_batch(
    conn: &mut AnyConnection,
    numbered: bool,
    items: &[Item],
) -> StoreResult<()> {
    let mut rows = index_rows(items);
    rows.sort_unstable();
    for chunk in rows.chunks(TERMS_PER_STATEMENT) {
        let sql = insert_sql(
            numbered,
            "item_terms",
            "field, term, item_id, pos",
            TERM_PARAMS,
            chunk.len(),
        );
        let mut query = sqlx::query(&sql);
        for (field, term, item_id, pos) in chunk {
            query = query
                .bind(*field)
                .bind(term.as_str())
                .bind(*item_id)
                .bind(*pos);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts the legacy keys in statements of [`ROWS_PER_STATEMENT`] rows on `conn`.
pub(crate) async fn insert_legacy_keys_batch(
    conn: &mut AnyConnection,
    numbered: bool,
    keys: &[LegacyKey],
) -> StoreResult<()> {
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_sql(
            numbered,
            "legacy_keys",
            super::legacy_keys::COLUMNS,
            KEY_PARAMS,
            chunk.len(),
        );
        let mut query = sqlx::query(&sql);
        for key in chunk {
            query = query
                .bind(&key.item_id)
                .bind(&key.key_hash)
                .bind(&key.owner)
                .bind(&key.key_hint)
                .bind(json_list(&key.privileges)?)
                .bind(json_list(&key.http_referrers)?)
                .bind(flag_value(key.active))
                .bind(key.created)
                .bind(key.last_used);
        }
        // The hash is never named: a message must not help guess which key collided.
        query.execute(&mut *conn).await.map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(
                    "a legacy key with one of these keys or items already exists".into(),
                )
            } else if is_foreign_key_violation(&e) {
                StoreError::Conflict("an item of these legacy keys does not exist".into())
            } else {
                e.into()
            }
        })?;
    }
    Ok(())
}

/// After a bulk write PostgreSQL has neither statistics nor a visibility map for the new rows:
/// it would plan listings blind and read the table for every "index-only" scan (a count or a
/// deep page over a million items took seconds). VACUUM cannot run inside a transaction.
const VACUUM_POSTGRES: &str = "VACUUM (ANALYZE) items, item_terms, item_counts, legacy_keys";

/// A bulk write in progress: one transaction, rolled back when dropped uncommitted.
struct SqlBulkWrite {
    tx: Transaction<'static, Any>,
    pool: AnyPool,
    sqlite: bool,
}

#[async_trait]
impl BulkWrite for SqlBulkWrite {
    async fn insert_items(&mut self, items: &[Item]) -> StoreResult<()> {
        insert_items_batch(&mut self.tx, !self.sqlite, items).await
    }

    async fn insert_legacy_keys(&mut self, keys: &[LegacyKey]) -> StoreResult<()> {
        insert_legacy_keys_batch(&mut self.tx, !self.sqlite, keys).await
    }

    async fn insert_events(&mut self, events: &[Event]) -> StoreResult<()> {
        super::events::insert_events(&mut self.tx, events).await?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        if self.sqlite {
            sqlx::query(SQLITE_DEFAULT_CACHE)
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        if !self.sqlite {
            let started = std::time::Instant::now();
            sqlx::query(VACUUM_POSTGRES).execute(&self.pool).await?;
            tracing::info!(
                ms = started.elapsed().as_millis() as u64,
                "bulk write vacuumed"
            );
        }
        Ok(())
    }
}

#[async_trait]
impl BulkStore for SqlStore {
    async fn begin_bulk(&self) -> StoreResult<Box<dyn BulkWrite>> {
        let mut tx = self.begin_write().await?;
        let sqlite = !self.is_postgres();
        if sqlite {
            sqlx::query(SQLITE_BULK_CACHE).execute(&mut *tx).await?;
        }
        Ok(Box::new(SqlBulkWrite {
            tx,
            pool: self.pool().clone(),
            sqlite,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_value_of_every_row() {
        assert_eq!(
            insert_sql(true, "t", "a, b", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert_sql(false, "t", "a, b", 2, 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(placeholders(true, 3, 2), "$3, $4");
    }
}
