//! Folders in a member's content.

use async_trait::async_trait;
use keyportal_domain::item::Folder;
use sqlx::any::AnyRow;

use super::rows::{int, is_foreign_key_violation, is_unique_violation, text};
use super::SqlStore;
use crate::{FolderStore, StoreError, StoreResult};

fn folder_from_row(row: &AnyRow) -> StoreResult<Folder> {
    Ok(Folder {
        id: text(row, "id")?,
        owner: text(row, "owner")?,
        title: text(row, "title")?,
        created: int(row, "created")?,
    })
}

/// Titles are unique per owner ignoring case; the unique column holds this key.
fn title_key(title: &str) -> String {
    title.to_lowercase()
}

#[async_trait]
impl FolderStore for SqlStore {
    async fn create_folder(&self, folder: &Folder) -> StoreResult<()> {
        let inserted = sqlx::query(
            "INSERT INTO folders (id, owner, title, title_key, created) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&folder.id)
        .bind(&folder.owner)
        .bind(&folder.title)
        .bind(title_key(&folder.title))
        .bind(folder.created)
        .execute(self.pool())
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => {
                let id_taken = sqlx::query("SELECT id FROM folders WHERE id = $1")
                    .bind(&folder.id)
                    .fetch_optional(self.pool())
                    .await?
                    .is_some();
                Err(StoreError::Conflict(if id_taken {
                    format!("a folder with id {} already exists", folder.id)
                } else {
                    format!(
                        "{} already has a folder named {}",
                        folder.owner, folder.title
                    )
                }))
            }
            Err(e) if is_foreign_key_violation(&e) => Err(StoreError::Conflict(format!(
                "there is no user named {}",
                folder.owner
            ))),
            Err(e) => Err(e.into()),
        }
    }

    async fn get_folder(&self, owner: &str, id: &str) -> StoreResult<Option<Folder>> {
        let row = sqlx::query(
            "SELECT id, owner, title, created FROM folders WHERE owner = $1 AND id = $2",
        )
        .bind(owner)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(folder_from_row).transpose()
    }

    /// Oldest first (sorted here so both backends agree on ties).
    async fn list_folders(&self, owner: &str) -> StoreResult<Vec<Folder>> {
        let rows = sqlx::query("SELECT id, owner, title, created FROM folders WHERE owner = $1")
            .bind(owner)
            .fetch_all(self.pool())
            .await?;
        let mut folders = rows
            .iter()
            .map(folder_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        folders.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(folders)
    }

    async fn delete_folder(&self, owner: &str, id: &str) -> StoreResult<()> {
        // One statement, so no transaction is needed: it deletes only an empty folder.
        let result = sqlx::query(
            "DELETE FROM folders WHERE owner = $1 AND id = $2 \
             AND NOT EXISTS (SELECT 1 FROM items WHERE items.folder_id = $2)",
        )
        .bind(owner)
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(|e| {
            // An item moved in between the check and the delete.
            if is_foreign_key_violation(&e) {
                StoreError::Conflict(
                    "the folder is not empty; move or delete its items first".into(),
                )
            } else {
                e.into()
            }
        })?;
        if result.rows_affected() > 0 {
            return Ok(());
        }
        match self.get_folder(owner, id).await? {
            Some(folder) => Err(StoreError::Conflict(format!(
                "the folder {} is not empty; move or delete its items first",
                folder.title
            ))),
            None => Err(StoreError::NotFound),
        }
    }
}
