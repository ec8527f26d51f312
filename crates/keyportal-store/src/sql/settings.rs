//! Organization-wide settings: named text values.

use async_trait::async_trait;

use keyportal_domain::events::Event;

use super::events::insert_events;
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
    async fn set_setting_recorded(
        &self,
        name: &str,
        value: &str,
        events: &[Event],
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *tx)
        .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Idempotent: deleting means "back to the default", which an absent setting already is.
    async fn delete_setting_recorded(&self, name: &str, events: &[Event]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM settings WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replace_setting(
        &self,
        name: &str,
        expected: Option<&str>,
        value: &str,
    ) -> StoreResult<bool> {
        let result = match expected {
            Some(expected) => {
                sqlx::query("UPDATE settings SET value = $3 WHERE name = $1 AND value = $2")
                    .bind(name)
                    .bind(expected)
                    .bind(value)
                    .execute(self.pool())
                    .await?
            }
            None => sqlx::query(
                "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(value)
            .execute(self.pool())
            .await?,
        };
        Ok(result.rows_affected() == 1)
    }
}
