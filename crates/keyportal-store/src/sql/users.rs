//! Members of the organization, with their password hashes.

use async_trait::async_trait;
use keyportal_domain::events::Event;
use keyportal_domain::text::can_be_stored;
use keyportal_domain::user::User;
use keyportal_domain::user_type::UserType;
use sqlx::any::AnyRow;

use super::events::insert_events;
use super::record_index::{index_user, unindex_user};
use super::rows::{
    corrupt, count, flag, flag_value, int, is_foreign_key_violation, is_unique_violation,
    require_row, text, to_i64,
};
use super::SqlStore;
use crate::{MemberFilter, StoreError, StoreResult, UserPage, UserSearch, UserStore};

pub(super) const COLUMNS: &str = "id, username, org_id, full_name, first_name, last_name, email, \
                       description, user_type, role_id, disabled, provider, created, modified, \
                       last_login";

pub(super) fn user_from_row(row: &AnyRow) -> StoreResult<User> {
    let user_type = text(row, "user_type")?;
    Ok(User {
        id: text(row, "id")?,
        username: text(row, "username")?,
        org_id: text(row, "org_id")?,
        full_name: text(row, "full_name")?,
        first_name: text(row, "first_name")?,
        last_name: text(row, "last_name")?,
        email: text(row, "email")?,
        description: text(row, "description")?,
        user_type: UserType::parse(&user_type)
            .map_err(|_| corrupt("users.user_type", &format!("unknown user type {user_type}")))?,
        role_id: text(row, "role_id")?,
        disabled: flag(row, "disabled")?,
        provider: text(row, "provider")?,
        created: int(row, "created")?,
        modified: int(row, "modified")?,
        last_login: int(row, "last_login")?,
    })
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user_recorded(
        &self,
        user: &User,
        password_hash: &str,
        events: &[Event],
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, username, org_id, full_name, first_name, last_name, email, \
             description, user_type, role_id, disabled, provider, password_hash, created, \
             modified, last_login) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.org_id)
        .bind(&user.full_name)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(&user.email)
        .bind(&user.description)
        .bind(user.user_type.id())
        .bind(&user.role_id)
        .bind(flag_value(user.disabled))
        .bind(&user.provider)
        .bind(password_hash)
        .bind(user.created)
        .bind(user.modified)
        .bind(user.last_login)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {
                index_user(&mut tx, user).await?;
                insert_events(&mut tx, events).await?;
                tx.commit().await?;
                Ok(())
            }
            Err(e) if is_unique_violation(&e) => {
                // The lookup below must not wait for this transaction's write lock.
                tx.rollback().await?;
                // Say which rule was broken: the backends name constraints differently.
                let taken = self.find_username_ignoring_case(&user.username).await?;
                Err(StoreError::Conflict(match taken {
                    Some(existing) => format!("a user named {existing} already exists"),
                    None => format!("a user with id {} already exists", user.id),
                }))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn get_user(&self, username: &str) -> StoreResult<Option<User>> {
        if !can_be_stored(username) {
            return Ok(None);
        }
        let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
        let row = sqlx::query(&sql)
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn find_username_ignoring_case(&self, username: &str) -> StoreResult<Option<String>> {
        if !can_be_stored(username) {
            return Ok(None);
        }
        // Served by the unique index on lower(username) (migration 7).
        let row = sqlx::query("SELECT username FROM users WHERE lower(username) = lower($1)")
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| text(&row, "username")).transpose()
    }

    async fn get_password_hash(&self, username: &str) -> StoreResult<Option<String>> {
        if !can_be_stored(username) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT password_hash FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| text(&row, "password_hash")).transpose()
    }

    async fn list_users(&self, start: usize, num: usize) -> StoreResult<(Vec<User>, usize)> {
        let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username LIMIT $1 OFFSET $2");
        let rows = sqlx::query(&sql)
            .bind(to_i64(num))
            .bind(to_i64(start))
            .fetch_all(self.pool())
            .await?;
        let users = rows
            .iter()
            .map(user_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let total = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(self.pool())
            .await?;
        Ok((users, count(&total, "n")?))
    }

    async fn users_after(&self, after: &str, limit: usize) -> StoreResult<Vec<User>> {
        let sql =
            format!("SELECT {COLUMNS} FROM users WHERE username > $1 ORDER BY username LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(to_i64(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn search_users(&self, search: &UserSearch<'_>) -> StoreResult<UserPage> {
        self.search_users_page(search).await
    }

    async fn enabled_user_holds(
        &self,
        pairs: &[(String, String)],
        except: &str,
    ) -> StoreResult<bool> {
        if pairs.is_empty() {
            return Ok(false);
        }
        let held: Vec<String> = (0..pairs.len())
            .map(|k| format!("(role_id = ${} AND user_type = ${})", 2 * k + 2, 2 * k + 3))
            .collect();
        let sql = format!(
            "SELECT username FROM users WHERE disabled = 0 AND username <> $1 AND ({}) LIMIT 1",
            held.join(" OR ")
        );
        let mut query = sqlx::query(&sql).bind(except);
        for (role_id, user_type) in pairs {
            query = query.bind(role_id.as_str()).bind(user_type.as_str());
        }
        Ok(query.fetch_optional(self.pool()).await?.is_some())
    }

    async fn update_user_recorded(&self, user: &User, events: &[Event]) -> StoreResult<()> {
        // The id is stable for the life of the account, so it is not rewritten.
        let mut tx = self.begin_write().await?;
        let result = sqlx::query(
            "UPDATE users SET org_id = $1, full_name = $2, first_name = $3, last_name = $4, \
             email = $5, description = $6, user_type = $7, role_id = $8, disabled = $9, \
             provider = $10, created = $11, modified = $12, last_login = $13 \
             WHERE username = $14",
        )
        .bind(&user.org_id)
        .bind(&user.full_name)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(&user.email)
        .bind(&user.description)
        .bind(user.user_type.id())
        .bind(&user.role_id)
        .bind(flag_value(user.disabled))
        .bind(&user.provider)
        .bind(user.created)
        .bind(user.modified)
        .bind(user.last_login)
        .bind(&user.username)
        .execute(&mut *tx)
        .await?;
        require_row(result)?;
        index_user(&mut tx, user).await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password_hash(&self, username: &str, password_hash: &str) -> StoreResult<()> {
        let result = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
            .bind(password_hash)
            .bind(username)
            .execute(self.pool())
            .await?;
        require_row(result)
    }

    async fn set_last_login(&self, username: &str, when: i64) -> StoreResult<()> {
        let result = sqlx::query("UPDATE users SET last_login = $1 WHERE username = $2")
            .bind(when)
            .bind(username)
            .execute(self.pool())
            .await?;
        require_row(result)
    }

    async fn delete_user_recorded(&self, username: &str, events: &[Event]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for sql in [
            "DELETE FROM tokens WHERE username = $1",
            "DELETE FROM memberships WHERE username = $1",
            "DELETE FROM folders WHERE owner = $1",
        ] {
            sqlx::query(sql)
                .bind(username)
                .execute(&mut *tx)
                .await
                .map_err(|e| still_owns(e, username))?;
        }
        unindex_user(&mut tx, username).await?;
        let result = sqlx::query("DELETE FROM users WHERE username = $1")
            .bind(username)
            .execute(&mut *tx)
            .await
            .map_err(|e| still_owns(e, username))?;
        require_row(result)?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn count_users_with_role(&self, role_id: &str) -> StoreResult<usize> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role_id = $1")
            .bind(role_id)
            .fetch_one(self.pool())
            .await?;
        count(&row, "n")
    }

    async fn list_members(
        &self,
        filter: &MemberFilter<'_>,
        start: usize,
        num: usize,
    ) -> StoreResult<(Vec<User>, usize)> {
        self.members_page(filter, start, num).await
    }

    async fn count_users_by_role(&self) -> StoreResult<Vec<(String, usize)>> {
        self.role_counts().await
    }
}

/// Items (also inside the user's folders) or groups still reference the user.
fn still_owns(error: sqlx::Error, username: &str) -> StoreError {
    if is_foreign_key_violation(&error) {
        StoreError::Conflict(format!(
            "the user {username} still owns items or groups; transfer or delete them first"
        ))
    } else {
        error.into()
    }
}
