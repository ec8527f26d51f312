//! Registered apps (developer credentials with their two API key slots) and app tokens.
//!
//! Keys are stored only as hex SHA-256 plus a hint, app tokens only by hash, and the client
//! secret arrives sealed by the service; none of them is ever logged or put in an error.

use async_trait::async_trait;
use keyportal_domain::credential::{AppRegistration, AppToken, AppType, SlotState};
use keyportal_domain::events::Event;
use keyportal_domain::text::can_be_stored;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::Any;

use super::by_ids::rows_where_in;
use super::events::insert_events;
use super::rows::{
    conflict_on_unique, corrupt, flag, flag_value, int, is_foreign_key_violation,
    is_unique_violation, json_list, opt_text, parse_json_list, require_row, text,
};
use super::SqlStore;
use crate::{AppStore, KeyUse, StoreError, StoreResult, StoredApp};

const COLUMNS: &str = "item_id, client_id, sealed_secret, owner, app_type, redirect_uris, \
                       http_referrers, privileges, is_personal, registered, modified, \
                       slot1_expiration, slot1_active, slot1_key_hash, slot1_key_hint, \
                       slot1_created, slot1_last_used, \
                       slot2_expiration, slot2_active, slot2_key_hash, slot2_key_hint, \
                       slot2_created, slot2_last_used, revision, allowed_addresses";

/// Raises a slot's `last_used`, never lowering it. A use older than the slot's current key
/// (`created`) was made with the key that key replaced: recording it would show the new key
/// as used before it existed, so it is skipped too. The column name cannot be a bind
/// parameter, hence one statement per slot.
const RAISE_SLOT1: &str = "UPDATE apps SET slot1_last_used = $1 \
                           WHERE client_id = $2 AND slot1_last_used < $1 AND slot1_created <= $1";
const RAISE_SLOT2: &str = "UPDATE apps SET slot2_last_used = $1 \
                           WHERE client_id = $2 AND slot2_last_used < $1 AND slot2_created <= $1";

type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

fn slot_from_row(row: &AnyRow, prefix: &str) -> StoreResult<SlotState> {
    let column = |field: &str| format!("{prefix}_{field}");
    Ok(SlotState {
        expiration: int(row, &column("expiration"))?,
        active: flag(row, &column("active"))?,
        key_hash: opt_text(row, &column("key_hash"))?,
        key_hint: opt_text(row, &column("key_hint"))?,
        created: int(row, &column("created"))?,
        last_used: int(row, &column("last_used"))?,
    })
}

fn app_from_row(row: &AnyRow) -> StoreResult<AppRegistration> {
    let app_type = text(row, "app_type")?;
    Ok(AppRegistration {
        item_id: text(row, "item_id")?,
        client_id: text(row, "client_id")?,
        owner: text(row, "owner")?,
        app_type: AppType::parse(&app_type)
            .map_err(|_| corrupt("apps.app_type", &format!("unknown app type {app_type}")))?,
        redirect_uris: parse_json_list(row, "redirect_uris")?,
        http_referrers: parse_json_list(row, "http_referrers")?,
        allowed_addresses: parse_json_list(row, "allowed_addresses")?,
        privileges: parse_json_list(row, "privileges")?,
        is_personal: flag(row, "is_personal")?,
        registered: int(row, "registered")?,
        modified: int(row, "modified")?,
        slots: [slot_from_row(row, "slot1")?, slot_from_row(row, "slot2")?],
        revision: int(row, "revision")?,
    })
}

fn stored_app_from_row(row: &AnyRow) -> StoreResult<StoredApp> {
    Ok(StoredApp {
        app: app_from_row(row)?,
        sealed_secret: text(row, "sealed_secret")?,
    })
}

fn token_from_row(row: &AnyRow) -> StoreResult<AppToken> {
    Ok(AppToken {
        hash: text(row, "hash")?,
        client_id: text(row, "client_id")?,
        created: int(row, "created")?,
        expires: int(row, "expires")?,
    })
}

/// The JSON list columns: `(redirect_uris, http_referrers, privileges)`.
fn json_columns(app: &AppRegistration) -> StoreResult<(String, String, String)> {
    Ok((
        json_list(&app.redirect_uris)?,
        json_list(&app.http_referrers)?,
        json_list(&app.privileges)?,
    ))
}

/// Binds the six columns of a slot, in the order of `COLUMNS`.
fn bind_slot<'q>(query: AnyQuery<'q>, slot: &'q SlotState) -> AnyQuery<'q> {
    query
        .bind(slot.expiration)
        .bind(flag_value(slot.active))
        .bind(slot.key_hash.as_deref())
        .bind(slot.key_hint.as_deref())
        .bind(slot.created)
        .bind(slot.last_used)
}

impl SqlStore {
    /// After a unique violation on `apps`: says whether the item or the client id collided.
    async fn registration_conflict(&self, app: &AppRegistration) -> StoreResult<StoreError> {
        let registered = sqlx::query("SELECT item_id FROM apps WHERE item_id = $1")
            .bind(&app.item_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(StoreError::Conflict(if registered.is_some() {
            format!("item {} is already registered as an app", app.item_id)
        } else {
            format!("the client id {} is taken", app.client_id)
        }))
    }

    async fn fetch_app(&self, column: &str, value: &str) -> StoreResult<Option<StoredApp>> {
        let sql = format!("SELECT {COLUMNS} FROM apps WHERE {column} = $1");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(stored_app_from_row).transpose()
    }
}

#[async_trait]
impl AppStore for SqlStore {
    async fn create_app_recorded(
        &self,
        app: &AppRegistration,
        sealed_secret: &str,
        events: &[Event],
    ) -> StoreResult<()> {
        let (redirect_uris, http_referrers, privileges) = json_columns(app)?;
        let sql = format!(
            "INSERT INTO apps ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
        );
        let addresses = json_list(&app.allowed_addresses)?;
        let query = sqlx::query(&sql)
            .bind(&app.item_id)
            .bind(&app.client_id)
            .bind(sealed_secret)
            .bind(&app.owner)
            .bind(app.app_type.as_str())
            .bind(redirect_uris)
            .bind(http_referrers)
            .bind(privileges)
            .bind(flag_value(app.is_personal))
            .bind(app.registered)
            .bind(app.modified);
        let query = bind_slot(bind_slot(query, &app.slots[0]), &app.slots[1])
            .bind(app.revision)
            .bind(addresses);
        let mut tx = self.begin_write().await?;
        match query.execute(&mut *tx).await {
            Ok(_) => {
                insert_events(&mut tx, events).await?;
                tx.commit().await?;
                Ok(())
            }
            Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound),
            Err(e) if is_unique_violation(&e) => {
                // The lookup below must not wait for this transaction's write lock.
                tx.rollback().await?;
                Err(self.registration_conflict(app).await?)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn get_app_by_item(&self, item_id: &str) -> StoreResult<Option<StoredApp>> {
        self.fetch_app("item_id", item_id).await
    }

    async fn get_app_by_client_id(&self, client_id: &str) -> StoreResult<Option<StoredApp>> {
        if !can_be_stored(client_id) {
            return Ok(None);
        }
        self.fetch_app("client_id", client_id).await
    }

    /// `NotFound` when the item has no app; `Conflict` when the new client id is taken.
    async fn update_app_recorded(
        &self,
        app: &AppRegistration,
        events: &[Event],
    ) -> StoreResult<()> {
        let (redirect_uris, http_referrers, privileges) = json_columns(app)?;
        let addresses = json_list(&app.allowed_addresses)?;
        let mut tx = self.begin_write().await?;
        let query = sqlx::query(
            "UPDATE apps SET client_id = $1, owner = $2, app_type = $3, redirect_uris = $4, \
             http_referrers = $5, privileges = $6, is_personal = $7, registered = $8, \
             modified = $9, \
             slot1_expiration = $10, slot1_active = $11, slot1_key_hash = $12, \
             slot1_key_hint = $13, slot1_created = $14, slot1_last_used = $15, \
             slot2_expiration = $16, slot2_active = $17, slot2_key_hash = $18, \
             slot2_key_hint = $19, slot2_created = $20, slot2_last_used = $21, \
             revision = $22, allowed_addresses = $25 \
             WHERE item_id = $23 AND revision = $24",
        )
        .bind(&app.client_id)
        .bind(&app.owner)
        .bind(app.app_type.as_str())
        .bind(redirect_uris)
        .bind(http_referrers)
        .bind(privileges)
        .bind(flag_value(app.is_personal))
        .bind(app.registered)
        .bind(app.modified);
        let result = bind_slot(bind_slot(query, &app.slots[0]), &app.slots[1])
            .bind(app.revision + 1)
            .bind(&app.item_id)
            .bind(app.revision)
            .bind(addresses)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                conflict_on_unique(e, || format!("the client id {} is taken", app.client_id))
            })?;
        if result.rows_affected() == 1 {
            insert_events(&mut tx, events).await?;
            tx.commit().await?;
            return Ok(());
        }
        tx.rollback().await?;
        // Nothing matched: either the app is gone, or someone else changed it first.
        match self.fetch_app("item_id", &app.item_id).await? {
            Some(_) => Err(StoreError::Conflict(format!(
                "the app of item {} changed concurrently (revision {} is stale)",
                app.item_id, app.revision
            ))),
            None => Err(StoreError::NotFound),
        }
    }

    /// `NotFound` when the item has no app.
    async fn delete_app_recorded(&self, item_id: &str, events: &[Event]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "DELETE FROM app_tokens \
             WHERE client_id IN (SELECT client_id FROM apps WHERE item_id = $1)",
        )
        .bind(item_id)
        .execute(&mut *tx)
        .await?;
        let result = sqlx::query("DELETE FROM apps WHERE item_id = $1")
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
        require_row(result)?;
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Oldest registration first.
    async fn list_apps(&self) -> StoreResult<Vec<AppRegistration>> {
        let sql = format!("SELECT {COLUMNS} FROM apps ORDER BY registered, item_id");
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        rows.iter().map(app_from_row).collect()
    }

    async fn apps_by_client_ids(&self, client_ids: &[String]) -> StoreResult<Vec<AppRegistration>> {
        let select = format!("SELECT {COLUMNS} FROM apps WHERE");
        let rows = rows_where_in(self, &select, "client_id", client_ids).await?;
        rows.iter().map(app_from_row).collect()
    }

    /// The whole batch is checked before anything is written: a slot other than 1 or 2 is a
    /// caller bug and fails the batch with `Conflict`, leaving every slot untouched.
    async fn record_key_uses(&self, uses: &[KeyUse]) -> StoreResult<()> {
        if let Some(bad) = uses.iter().find(|u| !matches!(u.slot, 1 | 2)) {
            return Err(StoreError::Conflict(format!(
                "a key use of client {} names slot {}; slots are 1 and 2",
                bad.client_id, bad.slot
            )));
        }
        if uses.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for key_use in uses {
            let sql = if key_use.slot == 1 {
                RAISE_SLOT1
            } else {
                RAISE_SLOT2
            };
            // No row changed means an unknown client id, a later use already recorded or a
            // use of a replaced key: all skipped by design.
            sqlx::query(sql)
                .bind(key_use.when)
                .bind(&key_use.client_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `Conflict` when a token with the same hash is stored. The client id is not checked:
    /// tokens of an unknown app authenticate nothing.
    async fn insert_app_token(&self, token: &AppToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO app_tokens (hash, client_id, created, expires) VALUES ($1, $2, $3, $4)",
        )
        .bind(&token.hash)
        .bind(&token.client_id)
        .bind(token.created)
        .bind(token.expires)
        .execute(self.pool())
        .await
        .map_err(|e| conflict_on_unique(e, || "this app token is already stored".into()))?;
        Ok(())
    }

    /// A token is expired from its `expires` instant on, like user tokens.
    async fn list_app_tokens(&self, now: i64) -> StoreResult<Vec<AppToken>> {
        let rows = sqlx::query(
            "SELECT hash, client_id, created, expires FROM app_tokens \
             WHERE expires > $1 ORDER BY created, hash",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Idempotent: an app without tokens is fine.
    async fn delete_app_tokens_of(&self, client_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM app_tokens WHERE client_id = $1")
            .bind(client_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
