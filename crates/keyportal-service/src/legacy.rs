//! Legacy API keys (`AAPK…`): imported from a file as hashes (see `legacy_import`), shown as
//! `API Key` items, invalidated or retired, and migrated to API key credentials. They are
//! never created or edited over REST.

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::authz::Operation;
use keyportal_domain::credential::{MintedKey, APPLICATION_TYPE};
use keyportal_domain::events::EventType;
use keyportal_domain::ids::parse_item_id;
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::privilege::item_access_target;

use crate::caller::Caller;
use crate::credentials::RegisterApp;
use crate::error::{ServiceError, ServiceResult};
use crate::sync::LEGACY_RETIREMENT_SETTING;
use crate::Portal;

/// A page of legacy keys and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone)]
pub struct LegacyKeyPage {
    pub keys: Vec<LegacyKey>,
    pub next: Option<String>,
}

/// One key of an import file, as read (checked by the import before anything is stored).
#[derive(Debug, Clone)]
pub struct LegacyImport {
    pub key: String,
    pub owner: String,
    pub title: String,
    pub privileges: Vec<String>,
    pub http_referrers: Vec<String>,
    /// Where the entry starts in the import file, for messages.
    pub line: Option<usize>,
}

/// The item type ArcGIS gave legacy keys.
pub const LEGACY_ITEM_TYPE: &str = "API Key";

pub(crate) fn legacy_subject(item_id: &str) -> String {
    format!("legacy:{item_id}")
}

impl Portal {
    async fn manageable_legacy_key(
        &self,
        caller: &Caller,
        item_id: &str,
    ) -> ServiceResult<LegacyKey> {
        let shared = self
            .item_for(caller, item_id, |item| Operation::ManageLegacyKey { item })
            .await?;
        self.store
            .get_legacy_key(&shared.item.id)
            .await?
            .ok_or_else(|| ServiceError::invalid("Item is not a legacy API key."))
    }

    /// One page of the legacy keys the caller may list (the owner's own; every key for
    /// administrators), by item id after `after` (`""`: from the first), at most `limit` (1 to
    /// 10,000). The owner filter is in the query, so a page reads only its own rows whatever
    /// the number of keys, and a member's pages are full pages of their keys.
    pub async fn legacy_keys_page(
        &self,
        caller: &Caller,
        after: &str,
        limit: usize,
    ) -> ServiceResult<LegacyKeyPage> {
        caller.authorize(&Operation::ListCredentials)?;
        let limit = limit.clamp(1, 10_000);
        let owner = if caller.allows(&Operation::ListAllLegacyKeys) {
            None
        } else {
            match caller.username() {
                Some(name) => Some(name),
                // A caller acting as nobody owns no key.
                None => {
                    return Ok(LegacyKeyPage {
                        keys: Vec::new(),
                        next: None,
                    })
                }
            }
        };
        // One row more than the page says whether another page follows, so the last page is
        // never followed by an empty one.
        let mut keys = self
            .store
            .list_legacy_keys_after(owner, after, limit + 1)
            .await?;
        let next = if keys.len() > limit {
            keys.truncate(limit);
            keys.last().map(|last| last.item_id.clone())
        } else {
            None
        };
        Ok(LegacyKeyPage { keys, next })
    }

    /// Stops a legacy key at once (it cannot be re-enabled, as in ArcGIS).
    pub async fn invalidate_legacy_key(&self, caller: &Caller, item_id: &str) -> ServiceResult<()> {
        let mut key = self.manageable_legacy_key(caller, item_id).await?;
        let was_active = key.active;
        key.active = false;
        let mut events = Vec::new();
        if was_active {
            events.push(
                self.event(EventType::LegacyInvalidated, caller)
                    .credential(&key.item_id, None)
                    .member(&key.owner)
                    .detail("keyHint", key.key_hint.clone()),
            );
        }
        self.store.update_legacy_key_recorded(&key, &events).await?;
        self.refresh_legacy(&key.item_id).await?;
        self.store
            .publish_change(&legacy_subject(&key.item_id))
            .await?;
        Ok(())
    }

    /// Sets (or clears) the date after which every legacy key stops working.
    pub async fn set_legacy_retirement(
        &self,
        caller: &Caller,
        date: Option<i64>,
    ) -> ServiceResult<()> {
        caller.authorize(&Operation::ManageSecuritySettings)?;
        match date {
            Some(date) => {
                self.store
                    .set_setting(LEGACY_RETIREMENT_SETTING, &date.to_string())
                    .await?
            }
            None => match self.store.delete_setting(LEGACY_RETIREMENT_SETTING).await {
                Ok(()) | Err(keyportal_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            },
        }
        self.key_table.set_legacy_retirement(date);
        self.store.publish_change("settings").await?;
        Ok(())
    }

    pub fn legacy_retirement(&self) -> Option<i64> {
        self.key_table.legacy_retirement()
    }

    /// Removes a legacy key before its item is deleted.
    pub(crate) async fn destroy_legacy_key(&self, item_id: &str) -> ServiceResult<()> {
        if self.store.get_legacy_key(item_id).await?.is_none() {
            return Ok(());
        }
        self.store.delete_legacy_key(item_id).await?;
        self.refresh_legacy(item_id).await?;
        self.store.publish_change(&legacy_subject(item_id)).await?;
        Ok(())
    }

    /// Creates API key credentials with the legacy key's privileges, item access and
    /// referrers, and generates key 1 (returned once). The legacy key keeps working until it
    /// is invalidated or its item deleted, so applications can switch without downtime.
    pub async fn migrate_legacy_key(
        &self,
        caller: &Caller,
        item_id: &str,
    ) -> ServiceResult<(String, String, MintedKey)> {
        let id = parse_item_id(item_id)?;
        let key = self.manageable_legacy_key(caller, &id).await?;
        let owner = self
            .load_member(&key.owner)
            .await?
            .ok_or_else(|| ServiceError::invalid("The legacy key's owner no longer exists."))?;
        let as_owner = Caller::Member(Box::new(owner));
        let title = self
            .store
            .get_item(&id)
            .await?
            .map(|s| s.item.title)
            .unwrap_or_default();
        let changes = keyportal_domain::item::ItemChanges {
            title: Some(format!("{} (API key credentials)", title.trim())),
            item_type: Some(APPLICATION_TYPE.into()),
            tags: Some(vec!["migrated".into()]),
            snippet: Some("Migrated from a legacy API key".into()),
            ..Default::default()
        };
        let username = key.owner.clone();
        let view = self
            .add_item(&as_owner, &username, None, changes, None)
            .await?;
        let registered = self
            .register_app(
                &as_owner,
                RegisterApp {
                    item_id: view.item.id.clone(),
                    app_type: "multiple".into(),
                    redirect_uris: Vec::new(),
                    http_referrers: key.http_referrers.clone(),
                    allowed_addresses: Vec::new(),
                    privileges: key.privileges.clone(),
                    is_personal: None,
                },
            )
            .await;
        let registered = match registered {
            Ok(r) => r,
            Err(error) => {
                self.store.delete_item(&view.item.id).await?;
                return Err(error);
            }
        };
        let secret = registered.client_secret.expose().to_string();
        let minted = self
            .mint_api_key(
                &caller.actor(),
                &registered.app.client_id,
                &secret,
                KeySlot::One,
                None,
            )
            .await?;
        debug_assert!(
            key.privileges
                .iter()
                .filter(|p| item_access_target(p).is_some())
                .count()
                <= 100
        );
        Ok((view.item.id, registered.app.client_id, minted))
    }
}
