//! Organization-wide settings: named text values.

use async_trait::async_trait;

use super::rows::text;
use super::SqlStore;
use crate::{SettingsStore, StoreResult};

#[async_trait]
impl SettingsStore for SqlStore {
    async fn get_setting(&self, name: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(|row| text(row, "value")).transpose()
    }

    /// One statement (an upsert), so two processes setting the same name at once cannot
    /// collide on the primary key.
    async fn set_setting(&self, name: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Idempotent: deleting means "back to the default", which an absent setting already is.
    async fn delete_setting(&self, name: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM settings WHERE name = $1")
            .bind(name)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
