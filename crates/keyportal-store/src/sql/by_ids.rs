//! Reading rows by a list of keys: a page's worth of names, never a whole table.

use keyportal_domain::text::can_be_stored;
use sqlx::any::AnyRow;

use super::items_bulk::placeholders;
use super::SqlStore;
use crate::StoreResult;

/// Keys per `IN (…)` list (well under every backend's limit on parameters).
const KEYS_PER_QUERY: usize = 500;

/// The rows of `{select} {column} IN (…)` for these keys, a few hundred keys a query, in no
/// particular order. `select` ends with `WHERE` (or `WHERE … AND`). A key no column could hold
/// (PostgreSQL refuses NUL in text) names no row and is left out of the query.
pub(super) async fn rows_where_in(
    store: &SqlStore,
    select: &str,
    column: &str,
    keys: &[String],
) -> StoreResult<Vec<AnyRow>> {
    let keys: Vec<&String> = keys.iter().filter(|key| can_be_stored(key)).collect();
    let mut rows = Vec::new();
    for chunk in keys.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "{select} {column} IN ({})",
            placeholders(store.is_postgres(), 1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for key in chunk {
            query = query.bind(key.as_str());
        }
        rows.extend(query.fetch_all(store.pool()).await?);
    }
    Ok(rows)
}
