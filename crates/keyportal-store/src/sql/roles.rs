//! Custom roles (the built-in ones live in the domain).

use async_trait::async_trait;
use keyportal_domain::events::Event;
use keyportal_domain::role::Role;
use keyportal_domain::text::can_be_stored;
use sqlx::any::AnyRow;

use super::events::insert_events;
use super::rows::{
    conflict_on_unique, flag, flag_value, int, is_unique_violation, json_list, parse_json_list,
    require_row, text,
};
use super::SqlStore;
use crate::{RoleStore, StoreError, StoreResult};

const COLUMNS: &str = "id, name, description, privileges, built_in, created, modified";

fn role_from_row(row: &AnyRow) -> StoreResult<Role> {
    Ok(Role {
        id: text(row, "id")?,
        name: text(row, "name")?,
        description: text(row, "description")?,
        privileges: parse_json_list(row, "privileges")?.into_iter().collect(),
        built_in: flag(row, "built_in")?,
        created: int(row, "created")?,
        modified: int(row, "modified")?,
    })
}

/// Role names are unique ignoring case; the unique column holds this key.
fn name_key(name: &str) -> String {
    name.to_lowercase()
}

fn name_taken(role: &Role) -> String {
    format!("a role named {} already exists", role.name)
}

#[async_trait]
impl RoleStore for SqlStore {
    async fn create_role_recorded(&self, role: &Role, events: &[Event]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO roles (id, name, name_key, description, privileges, built_in, created, \
             modified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&role.id)
        .bind(&role.name)
        .bind(name_key(&role.name))
        .bind(&role.description)
        .bind(json_list(&role.privileges.to_vec())?)
        .bind(flag_value(role.built_in))
        .bind(role.created)
        .bind(role.modified)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {
                insert_events(&mut tx, events).await?;
                tx.commit().await?;
                Ok(())
            }
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                let id_taken = self.get_role(&role.id).await?.is_some();
                Err(StoreError::Conflict(if id_taken {
                    format!("a role with id {} already exists", role.id)
                } else {
                    name_taken(role)
                }))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn get_role(&self, id: &str) -> StoreResult<Option<Role>> {
        if !can_be_stored(id) {
            return Ok(None);
        }
        let sql = format!("SELECT {COLUMNS} FROM roles WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(role_from_row).transpose()
    }

    /// Ordered by name ignoring case (sorted here so both backends agree).
    async fn list_roles(&self) -> StoreResult<Vec<Role>> {
        let sql = format!("SELECT {COLUMNS} FROM roles");
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        let mut roles = rows
            .iter()
            .map(role_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        roles.sort_by(|a, b| (name_key(&a.name), &a.id).cmp(&(name_key(&b.name), &b.id)));
        Ok(roles)
    }

    async fn update_role_recorded(&self, role: &Role, events: &[Event]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query(
            "UPDATE roles SET name = $1, name_key = $2, description = $3, privileges = $4, \
             built_in = $5, created = $6, modified = $7 WHERE id = $8",
        )
        .bind(&role.name)
        .bind(name_key(&role.name))
        .bind(&role.description)
        .bind(json_list(&role.privileges.to_vec())?)
        .bind(flag_value(role.built_in))
        .bind(role.created)
        .bind(role.modified)
        .bind(&role.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, || name_taken(role)))?;
        require_row(result)?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_role_recorded(&self, id: &str, events: &[Event]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query("DELETE FROM roles WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        require_row(result)?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }
}
