//! User tokens, stored by hash only (the hash is never logged).

use async_trait::async_trait;
use keyportal_domain::token::{TokenBinding, UserToken};
use sqlx::any::AnyRow;

use super::rows::{conflict_on_unique, corrupt, int, is_foreign_key_violation, require_row, text};
use super::SqlStore;
use crate::{StoreError, StoreResult, TokenStore};

const NONE: &str = "none";
const REFERER: &str = "referer";
const IP: &str = "ip";

/// The binding as `(binding_kind, binding_value)`.
fn binding_columns(binding: &TokenBinding) -> (&'static str, &str) {
    match binding {
        TokenBinding::None => (NONE, ""),
        TokenBinding::Referer(referer) => (REFERER, referer),
        TokenBinding::Ip(ip) => (IP, ip),
    }
}

fn token_from_row(row: &AnyRow) -> StoreResult<UserToken> {
    let kind = text(row, "binding_kind")?;
    let value = text(row, "binding_value")?;
    let binding = match kind.as_str() {
        NONE => TokenBinding::None,
        REFERER => TokenBinding::Referer(value),
        IP => TokenBinding::Ip(value),
        other => {
            return Err(corrupt(
                "tokens.binding_kind",
                &format!("unknown binding {other}"),
            ))
        }
    };
    Ok(UserToken {
        hash: text(row, "hash")?,
        username: text(row, "username")?,
        created: int(row, "created")?,
        expires: int(row, "expires")?,
        binding,
    })
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_token(&self, token: &UserToken) -> StoreResult<()> {
        let (kind, value) = binding_columns(&token.binding);
        sqlx::query(
            "INSERT INTO tokens (hash, username, created, expires, binding_kind, binding_value) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.hash)
        .bind(&token.username)
        .bind(token.created)
        .bind(token.expires)
        .bind(kind)
        .bind(value)
        .execute(self.pool())
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::Conflict(format!("there is no user named {}", token.username))
            } else {
                conflict_on_unique(e, || "this token is already stored".into())
            }
        })?;
        Ok(())
    }

    async fn get_token(&self, hash: &str) -> StoreResult<Option<UserToken>> {
        let row = sqlx::query(
            "SELECT hash, username, created, expires, binding_kind, binding_value \
             FROM tokens WHERE hash = $1",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn delete_token(&self, hash: &str) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM tokens WHERE hash = $1")
            .bind(hash)
            .execute(self.pool())
            .await?;
        require_row(result)
    }

    /// The member's user tokens, OAuth authorization codes and refresh tokens, together.
    async fn delete_tokens_of_user(&self, username: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for sql in [
            "DELETE FROM tokens WHERE username = $1",
            "DELETE FROM oauth_codes WHERE username = $1",
            "DELETE FROM oauth_refresh_tokens WHERE username = $1",
        ] {
            sqlx::query(sql).bind(username).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A token is expired from its `expires` instant on (as `UserToken::is_expired`).
    async fn purge_expired_tokens(&self, now: i64) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM tokens WHERE expires <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }
}
