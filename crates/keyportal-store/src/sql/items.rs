//! Items and their shares with groups.

use std::collections::HashMap;

use async_trait::async_trait;
use keyportal_domain::events::Event;
use keyportal_domain::item::{Item, ItemAccess};
use serde_json::Value;
use sqlx::any::AnyRow;

use super::by_ids::rows_where_in;
use super::events::insert_events;
use super::item_counts::{count_added, count_moved, count_removed};
use super::rows::{
    corrupt, count, int, is_foreign_key_violation, is_unique_violation, json_list, object_json,
    opt_text, parse_json, parse_json_list, require_row, text, to_json,
};
use super::search_index::{insert_terms, key_values, stored_item, unindex_item};
use super::SqlStore;
use crate::{FolderListing, ItemPage, ItemSearch, ItemStore, SharedItem, StoreError, StoreResult};

pub(super) const COLUMNS: &str =
    "id, owner, org_id, folder_id, title, item_type, type_keywords, tags, \
                       description, snippet, url, access, properties, extra, created, modified";

pub(super) fn item_from_row(row: &AnyRow) -> StoreResult<Item> {
    let access = text(row, "access")?;
    let properties = match opt_text(row, "properties")? {
        Some(raw) => Some(
            serde_json::from_str::<Value>(&raw)
                .map_err(|e| corrupt("items.properties", &e.to_string()))?,
        ),
        None => None,
    };
    let extra = match parse_json(row, "extra")? {
        Value::Object(map) => map,
        _ => return Err(corrupt("items.extra", "not a JSON object")),
    };
    Ok(Item {
        id: text(row, "id")?,
        owner: text(row, "owner")?,
        org_id: text(row, "org_id")?,
        folder_id: opt_text(row, "folder_id")?,
        title: text(row, "title")?,
        item_type: text(row, "item_type")?,
        type_keywords: parse_json_list(row, "type_keywords")?,
        tags: parse_json_list(row, "tags")?,
        description: text(row, "description")?,
        snippet: text(row, "snippet")?,
        url: text(row, "url")?,
        access: ItemAccess::parse(&access)
            .map_err(|_| corrupt("items.access", &format!("unknown access {access}")))?,
        properties,
        extra,
        created: int(row, "created")?,
        modified: int(row, "modified")?,
    })
}

/// The JSON columns of an item: `(type_keywords, tags, properties, extra)`.
pub(super) fn json_columns(item: &Item) -> StoreResult<(String, String, Option<String>, String)> {
    Ok((
        json_list(&item.type_keywords)?,
        json_list(&item.tags)?,
        item.properties.as_ref().map(to_json).transpose()?,
        object_json(&item.extra)?,
    ))
}

/// Pairs items with their shares (`(item_id, group_id)` rows); group ids sorted.
pub(super) fn attach_shares(
    items: Vec<Item>,
    share_rows: &[AnyRow],
) -> StoreResult<Vec<SharedItem>> {
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for row in share_rows {
        groups
            .entry(text(row, "item_id")?)
            .or_default()
            .push(text(row, "group_id")?);
    }
    Ok(items
        .into_iter()
        .map(|item| {
            let mut group_ids = groups.remove(&item.id).unwrap_or_default();
            group_ids.sort();
            SharedItem { item, group_ids }
        })
        .collect())
}

/// A dangling owner or folder reference, in words.
pub(super) fn missing_reference(item: &Item) -> StoreError {
    StoreError::Conflict(match &item.folder_id {
        Some(folder) => format!("there is no user {} with a folder {folder}", item.owner),
        None => format!("there is no user named {}", item.owner),
    })
}

#[async_trait]
impl ItemStore for SqlStore {
    async fn insert_item(&self, item: &Item) -> StoreResult<()> {
        let (type_keywords, tags, properties, extra) = json_columns(item)?;
        let [owner_key, org_key, title_key, type_key] = key_values(item);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO items (id, owner, org_id, folder_id, title, item_type, type_keywords, \
             tags, description, snippet, url, access, properties, extra, created, modified, \
             owner_key, org_key, title_key, type_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        )
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
        .bind(type_key)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("an item with id {} already exists", item.id))
            } else if is_foreign_key_violation(&e) {
                missing_reference(item)
            } else {
                e.into()
            }
        })?;
        insert_terms(&mut tx, std::slice::from_ref(item)).await?;
        count_added(&mut tx, item).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_item(&self, id: &str) -> StoreResult<Option<SharedItem>> {
        let sql = format!("SELECT {COLUMNS} FROM items WHERE id = $1");
        let Some(row) = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let shares = sqlx::query("SELECT item_id, group_id FROM shares WHERE item_id = $1")
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        Ok(attach_shares(vec![item_from_row(&row)?], &shares)?.pop())
    }

    async fn update_item_recorded(&self, item: &Item, events: &[Event]) -> StoreResult<()> {
        let (type_keywords, tags, properties, extra) = json_columns(item)?;
        let [owner_key, org_key, title_key, type_key] = key_values(item);
        let mut tx = self.begin_write().await?;
        let Some(stored) = stored_item(&mut tx, &item.id).await? else {
            return Err(StoreError::NotFound);
        };
        unindex_item(&mut tx, &stored).await?;
        let result = sqlx::query(
            "UPDATE items SET owner = $1, org_id = $2, folder_id = $3, title = $4, \
             item_type = $5, type_keywords = $6, tags = $7, description = $8, snippet = $9, \
             url = $10, access = $11, properties = $12, extra = $13, created = $14, \
             modified = $15, owner_key = $16, org_key = $17, title_key = $18, type_key = $19 \
             WHERE id = $20",
        )
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
        .bind(type_key)
        .bind(&item.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                missing_reference(item)
            } else {
                e.into()
            }
        })?;
        require_row(result)?;
        insert_terms(&mut tx, std::slice::from_ref(item)).await?;
        count_moved(&mut tx, &stored, item).await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_item_recorded(&self, id: &str, events: &[Event]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let Some(stored) = stored_item(&mut tx, id).await? else {
            return Err(StoreError::NotFound);
        };
        unindex_item(&mut tx, &stored).await?;
        sqlx::query("DELETE FROM shares WHERE item_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let result = sqlx::query("DELETE FROM items WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        require_row(result)?;
        count_removed(&mut tx, &stored).await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn search_items(&self, search: &ItemSearch<'_>) -> StoreResult<ItemPage> {
        self.search_items_page(search).await
    }

    async fn list_items_in_folder(&self, listing: &FolderListing<'_>) -> StoreResult<ItemPage> {
        self.folder_page(listing).await
    }

    async fn count_items_owned_by(&self, owner: &str) -> StoreResult<usize> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM items WHERE owner = $1")
            .bind(owner)
            .fetch_one(self.pool())
            .await?;
        count(&row, "n")
    }

    /// `NotFound` when the item or the group does not exist.
    async fn item_titles(&self, ids: &[String]) -> StoreResult<Vec<(String, String)>> {
        let rows = rows_where_in(self, "SELECT id, title FROM items WHERE", "id", ids).await?;
        rows.iter()
            .map(|row| Ok((text(row, "id")?, text(row, "title")?)))
            .collect()
    }

    async fn share_item_with_group(&self, item_id: &str, group_id: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO shares (item_id, group_id) VALUES ($1, $2) \
             ON CONFLICT (item_id, group_id) DO NOTHING",
        )
        .bind(item_id)
        .bind(group_id)
        .execute(self.pool())
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::NotFound
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    async fn unshare_item_from_group(&self, item_id: &str, group_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM shares WHERE item_id = $1 AND group_id = $2")
            .bind(item_id)
            .bind(group_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
