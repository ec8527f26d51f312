//! Item search and folder listings, filtered, counted, sorted and paged in the database.
//!
//! Each page is two statements: a `COUNT(*)` for the total (or, for a whole owner or folder,
//! the kept counts of `item_counts.rs`) and the ids of the page (`ORDER BY … LIMIT …
//! OFFSET …`, which the indexes serve without reading item rows); then only the page's items
//! are read. Memory does not depend on how many items match.

use std::collections::HashMap;

use keyportal_domain::search::items::ItemSort;
use keyportal_domain::search::plan::{ItemPlan, KeyColumn};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

use super::item_counts::{folder_total, owner_total};
use super::items::{attach_shares, item_from_row, COLUMNS};
use super::rows::{count, text, to_i64};
use super::search_sql::{order_by, Arg, Sql};
use super::SqlStore;
use crate::{FolderListing, ItemPage, ItemSearch, SharedItem, StoreResult};

pub(super) fn bind_all<'q>(
    mut query: Query<'q, Any, AnyArguments<'q>>,
    args: &'q [Arg],
) -> Query<'q, Any, AnyArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Text(value) => query.bind(value.as_str()),
            Arg::Int(value) => query.bind(*value),
        };
    }
    query
}

impl SqlStore {
    pub(super) async fn search_items_page(&self, search: &ItemSearch<'_>) -> StoreResult<ItemPage> {
        let mut sql = Sql::default();
        let mut conditions = vec![sql.plan(search.plan)];
        let known = match (search.visible, whole_owner(search.plan)) {
            (None, Some(owner_key)) => Some(owner_total(self.pool(), owner_key).await?),
            _ => None,
        };
        if let Some(visible) = search.visible {
            conditions.push(sql.visible(visible));
        }
        let window = (search.offset, search.limit);
        self.page(sql, &conditions, search.sort, window, known)
            .await
    }

    pub(super) async fn folder_page(&self, listing: &FolderListing<'_>) -> StoreResult<ItemPage> {
        let mut sql = Sql::default();
        let owner = sql.arg(Arg::Text(listing.owner.to_string()));
        let mut conditions = vec![format!("i.owner = {owner}")];
        conditions.push(match listing.folder_id {
            Some(folder) => format!("i.folder_id = {}", sql.arg(Arg::Text(folder.to_string()))),
            // `folder_id = NULL` is never true in SQL.
            None => "i.folder_id IS NULL".to_string(),
        });
        let known = match listing.visible {
            Some(visible) => {
                conditions.push(sql.visible(visible));
                None
            }
            None => Some(folder_total(self.pool(), listing.owner, listing.folder_id).await?),
        };
        // Oldest first.
        let sort = ItemSort {
            descending: false,
            ..ItemSort::NEWEST_FIRST
        };
        self.page(
            sql,
            &conditions,
            sort,
            (listing.offset, listing.limit),
            known,
        )
        .await
    }

    async fn page(
        &self,
        mut sql: Sql,
        conditions: &[String],
        sort: ItemSort,
        (offset, limit): (usize, usize),
        known_total: Option<usize>,
    ) -> StoreResult<ItemPage> {
        let filter = conditions.join(" AND ");
        let total = match known_total {
            Some(total) => total,
            None => {
                let count_sql = format!("SELECT COUNT(*) AS n FROM items i WHERE {filter}");
                let row = bind_all(sqlx::query(&count_sql), &sql.args)
                    .fetch_one(self.pool())
                    .await?;
                count(&row, "n")?
            }
        };
        if limit == 0 || offset >= total {
            return Ok(ItemPage {
                items: Vec::new(),
                total,
            });
        }
        let limit_arg = sql.arg(Arg::Int(to_i64(limit)));
        let offset_arg = sql.arg(Arg::Int(to_i64(offset)));
        let page_sql = format!(
            "SELECT i.id FROM items i WHERE {filter} ORDER BY {} LIMIT {limit_arg} \
             OFFSET {offset_arg}",
            order_by(sort)
        );
        let rows = bind_all(sqlx::query(&page_sql), &sql.args)
            .fetch_all(self.pool())
            .await?;
        let ids = rows
            .iter()
            .map(|row| text(row, "id"))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(ItemPage {
            items: self.items_by_ids(&ids).await?,
            total,
        })
    }

    /// The items with these ids, in this order (ids that vanished meanwhile are skipped).
    async fn items_by_ids(&self, ids: &[String]) -> StoreResult<Vec<SharedItem>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        let list = sql.list(ids);
        let items_sql = format!("SELECT {COLUMNS} FROM items WHERE id IN ({list})");
        let shares_sql = format!("SELECT item_id, group_id FROM shares WHERE item_id IN ({list})");
        let rows = bind_all(sqlx::query(&items_sql), &sql.args)
            .fetch_all(self.pool())
            .await?;
        let shares = bind_all(sqlx::query(&shares_sql), &sql.args)
            .fetch_all(self.pool())
            .await?;
        let items = rows
            .iter()
            .map(item_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let mut by_id: HashMap<String, SharedItem> = attach_shares(items, &shares)?
            .into_iter()
            .map(|shared| (shared.item.id.clone(), shared))
            .collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }
}

/// The lowered owner of a plan that is exactly `owner:<name>`: all of that member's items,
/// whose number `item_counts` keeps.
fn whole_owner(plan: &ItemPlan) -> Option<&str> {
    match plan {
        ItemPlan::Column {
            column: KeyColumn::OwnerKey,
            text,
            prefix: false,
        } => Some(text),
        _ => None,
    }
}
