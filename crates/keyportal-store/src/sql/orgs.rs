//! The deployment's organization (one row at most).

use async_trait::async_trait;
use keyportal_domain::org::Org;

use super::rows::{conflict_on_unique, int, text};
use super::SqlStore;
use crate::{OrgStore, StoreResult};

#[async_trait]
impl OrgStore for SqlStore {
    async fn get_org(&self) -> StoreResult<Option<Org>> {
        let row = sqlx::query("SELECT id, name, created FROM orgs")
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| {
            Ok(Org {
                id: text(&row, "id")?,
                name: text(&row, "name")?,
                created: int(&row, "created")?,
            })
        })
        .transpose()
    }

    async fn create_org(&self, org: &Org) -> StoreResult<()> {
        sqlx::query("INSERT INTO orgs (id, name, created) VALUES ($1, $2, $3)")
            .bind(&org.id)
            .bind(&org.name)
            .bind(org.created)
            .execute(self.pool())
            .await
            .map_err(|e| {
                conflict_on_unique(e, || "the organization has already been created".into())
            })?;
        Ok(())
    }
}
