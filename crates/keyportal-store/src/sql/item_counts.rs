//! How many items each member has in each folder (`item_counts`, migration 10), so an owner's
//! listing or `owner:` search knows its `total` without counting: at a million items an exact
//! `COUNT(*)` walks a million index entries (about 50 ms on SQLite, far more on PostgreSQL).
//!
//! Every item writer adjusts the counts in the item's own transaction: `insert_item` adds
//! one, `delete_item` removes one, `update_item` moves one when the owner or folder changes,
//! and a bulk write adds each batch's counts. Nothing else writes `items`, so the counts stay
//! exact; the store conformance suite compares them with the items after random writes.

use std::collections::BTreeMap;

use keyportal_domain::item::Item;
use sqlx::{Any, AnyConnection, Executor};

use super::rows::count;
use super::search_index::key_values;
use crate::StoreResult;

const ADD: &str = "INSERT INTO item_counts (owner, owner_key, folder_key, n) \
    VALUES ($1, $2, $3, $4) \
    ON CONFLICT (owner, folder_key) DO UPDATE SET n = item_counts.n + excluded.n";

/// Where an item is counted: its owner, lowered owner and folder ('' for the root).
type Place = (String, String, String);

fn place(item: &Item) -> Place {
    let [owner_key, ..] = key_values(item);
    (
        item.owner.clone(),
        owner_key,
        item.folder_id.clone().unwrap_or_default(),
    )
}

async fn add(
    conn: &mut AnyConnection,
    (owner, owner_key, folder): &Place,
    n: i64,
) -> StoreResult<()> {
    sqlx::query(ADD)
        .bind(owner.as_str())
        .bind(owner_key.as_str())
        .bind(folder.as_str())
        .bind(n)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Counts a new item.
pub(crate) async fn count_added(conn: &mut AnyConnection, item: &Item) -> StoreResult<()> {
    add(conn, &place(item), 1).await
}

/// Uncounts a deleted item (as it was stored).
pub(crate) async fn count_removed(conn: &mut AnyConnection, stored: &Item) -> StoreResult<()> {
    add(conn, &place(stored), -1).await
}

/// Moves an updated item's count when its owner or folder changed.
pub(crate) async fn count_moved(
    conn: &mut AnyConnection,
    stored: &Item,
    updated: &Item,
) -> StoreResult<()> {
    let (from, to) = (place(stored), place(updated));
    if from != to {
        add(conn, &from, -1).await?;
        add(conn, &to, 1).await?;
    }
    Ok(())
}

/// Counts a batch of new items: one statement per owner and folder, however many items.
pub(crate) async fn count_batch(conn: &mut AnyConnection, items: &[Item]) -> StoreResult<()> {
    let mut places: BTreeMap<Place, i64> = BTreeMap::new();
    for item in items {
        *places.entry(place(item)).or_default() += 1;
    }
    for (place, n) in &places {
        add(conn, place, *n).await?;
    }
    Ok(())
}

/// (`SUM` of BIGINT is NUMERIC on PostgreSQL, hence the cast.)
/// How many items the member whose lowered name is `owner_key` has, in all folders.
pub(crate) async fn owner_total<'c, E>(executor: E, owner_key: &str) -> StoreResult<usize>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM item_counts WHERE owner_key = $1",
    )
    .bind(owner_key)
    .fetch_one(executor)
    .await?;
    count(&row, "n")
}

/// How many items `owner` has in the folder (`None`: the root folder).
pub(crate) async fn folder_total<'c, E>(
    executor: E,
    owner: &str,
    folder_id: Option<&str>,
) -> StoreResult<usize>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM item_counts \
         WHERE owner = $1 AND folder_key = $2",
    )
    .bind(owner)
    .bind(folder_id.unwrap_or_default())
    .fetch_one(executor)
    .await?;
    count(&row, "n")
}

/// Counts every stored item afresh (restore fills `items` without the per-item writers).
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<()> {
    sqlx::query("DELETE FROM item_counts")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO item_counts (owner, owner_key, folder_key, n) \
         SELECT owner, MIN(owner_key), COALESCE(folder_id, ''), COUNT(*) FROM items \
         GROUP BY owner, COALESCE(folder_id, '')",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
