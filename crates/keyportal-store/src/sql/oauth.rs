//! OAuth authorization codes and refresh tokens, stored by hash only (never logged).

use async_trait::async_trait;
use keyportal_domain::oauth::{AuthorizationCode, PkceChallenge, PkceMethod, RefreshToken};
use sqlx::any::AnyRow;

use super::rows::{conflict_on_unique, corrupt, int, opt_text, text};
use super::SqlStore;
use crate::{OAuthStore, StoreResult};

fn code_from_row(row: &AnyRow) -> StoreResult<AuthorizationCode> {
    let challenge = match (
        opt_text(row, "code_challenge")?,
        opt_text(row, "code_challenge_method")?,
    ) {
        (None, None) => None,
        (Some(challenge), Some(method)) => Some(PkceChallenge {
            method: PkceMethod::parse(&method)
                .map_err(|e| corrupt("oauth_codes.code_challenge_method", &e.to_string()))?,
            challenge,
        }),
        _ => {
            return Err(corrupt(
                "oauth_codes.code_challenge",
                "a challenge without a method or a method without a challenge",
            ))
        }
    };
    Ok(AuthorizationCode {
        hash: text(row, "hash")?,
        client_id: text(row, "client_id")?,
        redirect_uri: text(row, "redirect_uri")?,
        username: text(row, "username")?,
        user_id: text(row, "user_id")?,
        challenge,
        refresh_minutes: int(row, "refresh_minutes")?,
        created: int(row, "created")?,
        expires: int(row, "expires")?,
    })
}

fn refresh_from_row(row: &AnyRow) -> StoreResult<RefreshToken> {
    Ok(RefreshToken {
        hash: text(row, "hash")?,
        client_id: text(row, "client_id")?,
        username: text(row, "username")?,
        user_id: text(row, "user_id")?,
        created: int(row, "created")?,
        expires: int(row, "expires")?,
    })
}

const INSERT_REFRESH: &str = "INSERT INTO oauth_refresh_tokens \
                              (hash, client_id, username, user_id, created, expires) \
                              VALUES ($1, $2, $3, $4, $5, $6)";

fn insert_refresh(
    token: &RefreshToken,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(INSERT_REFRESH)
        .bind(&token.hash)
        .bind(&token.client_id)
        .bind(&token.username)
        .bind(&token.user_id)
        .bind(token.created)
        .bind(token.expires)
}

#[async_trait]
impl OAuthStore for SqlStore {
    async fn insert_authorization_code(&self, code: &AuthorizationCode) -> StoreResult<()> {
        let (challenge, method) = match &code.challenge {
            Some(c) => (Some(c.challenge.as_str()), Some(c.method.as_str())),
            None => (None, None),
        };
        sqlx::query(
            "INSERT INTO oauth_codes (hash, client_id, redirect_uri, username, user_id, \
             code_challenge, code_challenge_method, refresh_minutes, created, expires) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&code.hash)
        .bind(&code.client_id)
        .bind(&code.redirect_uri)
        .bind(&code.username)
        .bind(&code.user_id)
        .bind(challenge)
        .bind(method)
        .bind(code.refresh_minutes)
        .bind(code.created)
        .bind(code.expires)
        .execute(self.pool())
        .await
        .map_err(|e| {
            conflict_on_unique(e, || "this authorization code is already stored".into())
        })?;
        Ok(())
    }

    async fn get_authorization_code(&self, hash: &str) -> StoreResult<Option<AuthorizationCode>> {
        let row = sqlx::query(
            "SELECT hash, client_id, redirect_uri, username, user_id, code_challenge, \
             code_challenge_method, refresh_minutes, created, expires \
             FROM oauth_codes WHERE hash = $1",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(code_from_row).transpose()
    }

    /// One DELETE: of two concurrent callers, the database lets exactly one affect the row.
    async fn consume_authorization_code(&self, hash: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM oauth_codes WHERE hash = $1")
            .bind(hash)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn insert_refresh_token(&self, token: &RefreshToken) -> StoreResult<()> {
        insert_refresh(token)
            .execute(self.pool())
            .await
            .map_err(|e| conflict_on_unique(e, || "this refresh token is already stored".into()))?;
        Ok(())
    }

    async fn get_refresh_token(&self, hash: &str) -> StoreResult<Option<RefreshToken>> {
        let row = sqlx::query(
            "SELECT hash, client_id, username, user_id, created, expires \
             FROM oauth_refresh_tokens WHERE hash = $1",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(refresh_from_row).transpose()
    }

    async fn delete_refresh_token(&self, hash: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM oauth_refresh_tokens WHERE hash = $1")
            .bind(hash)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn replace_refresh_token(&self, old_hash: &str, new: &RefreshToken) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM oauth_refresh_tokens WHERE hash = $1")
            .bind(old_hash)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_refresh(new)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, || "this refresh token is already stored".into()))?;
        tx.commit().await?;
        Ok(true)
    }

    /// Expired from the `expires` instant on, as the domain's `is_expired` says.
    async fn purge_expired_oauth(&self, now: i64) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut purged = 0;
        for sql in [
            "DELETE FROM oauth_codes WHERE expires <= $1",
            "DELETE FROM oauth_refresh_tokens WHERE expires <= $1",
        ] {
            purged += sqlx::query(sql)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(purged)
    }
}
