//! Keeping the search index exact: an item's lowered key columns and its rows in
//! `item_terms` are written in the same transaction as the item itself.
//!
//! The rows come from the domain ([`term_rows`], [`item_keys`]), the one tokenizer the
//! matcher also uses. An item's rows are removed by recomputing them from the stored item and
//! deleting exactly those (the table has no index on `item_id`, which would double its size);
//! that is exact because every write of an item goes through this module. A change of the
//! tokenizer therefore needs a migration that rebuilds the index ([`rebuild`]).

use std::collections::BTreeMap;

use keyportal_domain::item::Item;
use keyportal_domain::search::items::{item_keys, term_rows, TermField};
use sqlx::AnyConnection;

use super::batches::for_each_batch;
use super::items::{item_from_row, COLUMNS};
use crate::StoreResult;

/// Rows per multi-row INSERT (four parameters each, far below every backend's limit).
const INSERT_CHUNK: usize = 200;
/// Terms per DELETE.
const DELETE_CHUNK: usize = 400;

/// Sets the key columns of freshly written items and adds their index rows. The items must
/// be stored and have no index rows yet (a new item, or one whose rows [`unindex_item`] just
/// removed). Bulk writers call this once per batch, inside their transaction.
pub(crate) async fn index_items(conn: &mut AnyConnection, items: &[Item]) -> StoreResult<()> {
    for item in items {
        let keys = item_keys(item);
        sqlx::query(
            "UPDATE items SET owner_key = $1, org_key = $2, title_key = $3, type_key = $4 \
             WHERE id = $5",
        )
        .bind(keys.owner_key)
        .bind(keys.org_key)
        .bind(keys.title_key)
        .bind(keys.type_key)
        .bind(&item.id)
        .execute(&mut *conn)
        .await?;
    }
    insert_terms(conn, items).await
}

/// Adds the index rows of items whose key columns were written with them (see
/// [`key_values`]).
pub(crate) async fn insert_terms(conn: &mut AnyConnection, items: &[Item]) -> StoreResult<()> {
    let rows = index_rows(items);
    for chunk in rows.chunks(INSERT_CHUNK) {
        let placeholders: Vec<String> = (0..chunk.len())
            .map(|k| {
                let n = 4 * k;
                format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4)
            })
            .collect();
        let sql = format!(
            "INSERT INTO item_terms (field, term, item_id, pos) VALUES {}",
            placeholders.join(", ")
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

/// The `item_terms` rows of the items, as bound: `(field, term, item_id, pos)`.
pub(crate) fn index_rows(items: &[Item]) -> Vec<(i64, String, &str, i64)> {
    items
        .iter()
        .flat_map(|item| {
            term_rows(item)
                .into_iter()
                .map(move |row| (row.field.code(), row.term, item.id.as_str(), row.pos))
        })
        .collect()
}

/// The key columns of an item, in the order `owner_key, org_key, title_key, type_key`, for
/// an INSERT that writes them with the item.
pub(crate) fn key_values(item: &Item) -> [String; 4] {
    let keys = item_keys(item);
    [keys.owner_key, keys.org_key, keys.title_key, keys.type_key]
}

/// Removes the index rows of `stored`, the item as it is stored now.
pub(crate) async fn unindex_item(conn: &mut AnyConnection, stored: &Item) -> StoreResult<()> {
    let mut terms: BTreeMap<TermField, Vec<String>> = BTreeMap::new();
    for row in term_rows(stored) {
        terms.entry(row.field).or_default().push(row.term);
    }
    for (field, mut values) in terms {
        values.sort();
        values.dedup();
        for chunk in values.chunks(DELETE_CHUNK) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|k| format!("${}", k + 3)).collect();
            let sql = format!(
                "DELETE FROM item_terms WHERE field = $1 AND item_id = $2 AND term IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(field.code()).bind(&stored.id);
            for term in chunk {
                query = query.bind(term.as_str());
            }
            query.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// The stored item with this id, read inside the writer's transaction after locking its row:
/// two writers of one item then take turns, and the second reads (and unindexes) what the first
/// wrote instead of the version both started from.
pub(crate) async fn stored_item(conn: &mut AnyConnection, id: &str) -> StoreResult<Option<Item>> {
    sqlx::query("UPDATE items SET modified = modified WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let sql = format!("SELECT {COLUMNS} FROM items WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(item_from_row).transpose()
}

/// Rebuilds the whole index from the items, a batch at a time (memory stays flat). Runs in
/// the caller's transaction: the migration that introduces or changes the index.
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<u64> {
    sqlx::query("DELETE FROM item_terms")
        .execute(&mut *conn)
        .await?;
    let sql = format!("SELECT {COLUMNS} FROM items WHERE id > $1 ORDER BY id LIMIT $2");
    for_each_batch(
        conn,
        &sql,
        item_from_row,
        |item| &item.id,
        async |conn, items| index_items(conn, items).await,
    )
    .await
}
