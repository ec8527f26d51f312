//! Developer credentials over the service: registering an app on an `Application` item, its
//! registration info, updates, unregistering, and the two API key slots (dates, minting,
//! invalidating). Every change updates the in-memory key table and announces itself on the
//! change feed so other nodes follow.

use std::collections::HashMap;

use keyportal_domain::address::check_addresses;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::authz::Operation;
use keyportal_domain::credential::{
    any_personal, check_app_privileges, check_may_create_api_keys, check_redirect_uris,
    check_referrers, AppRegistration, AppType, MintedKey, SlotState, API_TOKEN_KEYWORD,
    APPLICATION_TYPE, OUT_OF_BAND_REDIRECT, REGISTERED_APP_KEYWORD,
};
use keyportal_domain::events::{app_change_events, credential_created, credential_deleted, Actor};
use keyportal_domain::ids::{new_short_id, parse_item_id, shorten};
use keyportal_domain::item::Item;
use keyportal_domain::privilege::{item_access_target, PrivilegeSet, NO_PRIVILEGES};
use keyportal_domain::secret::{constant_time_eq, random_hex, SecretString};
use keyportal_domain::DomainError;
use keyportal_store::StoredApp;

use crate::caller::{Caller, Member};
use crate::error::{ServiceError, ServiceResult};
use crate::Portal;

/// A registration as its owner (or an administrator) sees it.
#[derive(Debug, Clone)]
pub struct AppView {
    pub app: AppRegistration,
    /// Shown to the owner and administrators only; other callers never reach a view.
    pub client_secret: SecretString,
    /// For `apiTokenNActive`: an expired key reads inactive.
    pub now: i64,
}

/// The app behind a key, for `portals/self.appInfo` (design §2.10).
#[derive(Debug, Clone)]
pub struct KeyAppInfo {
    pub client_id: String,
    pub item_id: String,
    pub owner: String,
    pub org_id: String,
    pub title: String,
    /// The key's effective privileges (the credential's ∩ the owner's).
    pub privileges: Vec<String>,
}

/// `registerApp` parameters.
#[derive(Debug, Clone, Default)]
pub struct RegisterApp {
    pub item_id: String,
    pub app_type: String,
    pub redirect_uris: Vec<String>,
    pub http_referrers: Vec<String>,
    /// `allowedAddresses` (issue 14).
    pub allowed_addresses: Vec<String>,
    pub privileges: Vec<String>,
    pub is_personal: Option<bool>,
}

/// `oauth2/apps/{client_id}/update` parameters; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default)]
pub struct AppChanges {
    pub app_type: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub http_referrers: Option<Vec<String>>,
    /// `allowedAddresses`: like referrers, a change keeps the keys.
    pub allowed_addresses: Option<Vec<String>>,
    pub privileges: Option<Vec<String>>,
}

/// Slot dates sent with an item `update` (`apiToken1ExpirationDate`, `apiToken2ExpirationDate`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SlotDates {
    pub slot1: Option<i64>,
    pub slot2: Option<i64>,
}

impl SlotDates {
    pub fn is_empty(&self) -> bool {
        self.slot1.is_none() && self.slot2.is_none()
    }
}

pub(crate) fn not_registered() -> ServiceError {
    DomainError::invalid("Item is not a registered app.").into()
}

fn invalid_client() -> ServiceError {
    DomainError::invalid_with(
        "Invalid client_id or client_secret.",
        vec!["No registered application has this client_id and client_secret.".into()],
    )
    .into()
}

pub(crate) fn app_subject(item_id: &str) -> String {
    format!("app:{item_id}")
}

/// How often a change is retried when other writers keep changing the same app.
const MAX_APP_WRITE_ATTEMPTS: usize = 16;

impl Portal {
    /// Reads an app, applies `change` and stores the result if anything changed — retried
    /// from a fresh read when another request (or node) changed the app in between, so
    /// concurrent changes (REST JS mints both slots at once) never overwrite each other.
    /// Returns the app as stored and `change`'s result.
    pub(crate) async fn change_app<T>(
        &self,
        item_id: &str,
        actor: &Actor,
        mut change: impl FnMut(&mut AppRegistration) -> ServiceResult<T>,
    ) -> ServiceResult<(AppRegistration, T)> {
        for _ in 0..MAX_APP_WRITE_ATTEMPTS {
            let stored = self
                .store
                .get_app_by_item(item_id)
                .await?
                .ok_or_else(not_registered)?;
            let mut app = stored.app.clone();
            let outcome = change(&mut app)?;
            if app == stored.app {
                return Ok((app, outcome));
            }
            // What changed is recorded with the change, in its transaction.
            let events = app_change_events(&stored.app, &app, actor, self.now());
            match self.store.update_app_recorded(&app, &events).await {
                Ok(()) => {
                    app.revision += 1;
                    self.after_app_change(&app).await?;
                    return Ok((app, outcome));
                }
                Err(keyportal_store::StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Internal(format!(
            "the app of item {item_id} kept changing; gave up after {MAX_APP_WRITE_ATTEMPTS} attempts"
        )))
    }

    fn member_of(caller: &Caller) -> ServiceResult<&Member> {
        match caller {
            Caller::Member(m) => Ok(m),
            Caller::Anonymous => Err(ServiceError::TokenRequired),
            _ => Err(
                DomainError::forbidden_because("Only members manage developer credentials.").into(),
            ),
        }
    }

    /// The owner's items named by item-access privileges, for the rules to check.
    async fn item_access_items(
        &self,
        privileges: &[String],
    ) -> ServiceResult<HashMap<String, Item>> {
        let mut items = HashMap::new();
        for id in privileges.iter().filter_map(|p| item_access_target(p)) {
            let id = id.to_ascii_lowercase();
            if let Some(shared) = self.store.get_item(&id).await? {
                items.insert(id, shared.item);
            }
        }
        Ok(items)
    }

    /// Normalises item-access ids to lower case before the rules see them.
    fn normalise_privileges(privileges: &[String]) -> Vec<String> {
        privileges
            .iter()
            .map(|p| match item_access_target(p) {
                Some(id) => format!("portal:app:access:item:{}", id.to_ascii_lowercase()),
                None => p.trim().to_string(),
            })
            .collect()
    }

    /// Checks a privilege list for the credential's owner.
    async fn checked_privileges(
        &self,
        owner: &Member,
        privileges: &[String],
    ) -> ServiceResult<Vec<String>> {
        let normalised = Self::normalise_privileges(privileges);
        if !normalised.is_empty() {
            check_may_create_api_keys(owner.user.user_type, &owner.privileges)?;
        }
        let items = self.item_access_items(&normalised).await?;
        Ok(check_app_privileges(
            &normalised,
            &owner.user.username,
            &owner.privileges,
            &items,
        )?)
    }

    /// `registerApp`: the item's owner turns an `Application` item into developer credentials.
    pub async fn register_app(
        &self,
        caller: &Caller,
        request: RegisterApp,
    ) -> ServiceResult<AppView> {
        let id = parse_item_id(&request.item_id)?;
        let mut shared = self
            .item_for(caller, &id, |item| Operation::RegisterApp { item })
            .await?;
        let member = Self::member_of(caller)?;
        if shared.item.item_type != APPLICATION_TYPE {
            return Err(DomainError::invalid_with(
                "Only items of type Application can be registered.",
                vec![format!(
                    "The item's type is '{}'.",
                    shorten(&shared.item.item_type)
                )],
            )
            .into());
        }
        if self.store.get_app_by_item(&id).await?.is_some() {
            return Err(DomainError::invalid("The item is already registered as an app.").into());
        }
        let app_type = AppType::parse(if request.app_type.trim().is_empty() {
            "multiple"
        } else {
            &request.app_type
        })?;
        let privileges = self.checked_privileges(member, &request.privileges).await?;
        let http_referrers = check_referrers(&request.http_referrers)?;
        let allowed_addresses = check_addresses(&request.allowed_addresses)?;
        let mut redirect_uris = check_redirect_uris(&request.redirect_uris)?;
        if redirect_uris.is_empty() {
            redirect_uris.push(OUT_OF_BAND_REDIRECT.to_string());
        }
        let now = self.now();
        let app = AppRegistration {
            item_id: id.clone(),
            client_id: new_short_id(),
            owner: member.user.username.clone(),
            app_type,
            redirect_uris,
            http_referrers,
            allowed_addresses,
            is_personal: request.is_personal.unwrap_or(false) || any_personal(&privileges),
            privileges,
            registered: now,
            modified: now,
            slots: [SlotState::empty(), SlotState::empty()],
            revision: 0,
        };
        // 128 bits from the CSPRNG, in the 32-hex shape ArcGIS uses.
        let secret = SecretString::new(random_hex::<16>());
        let sealed = self.sealer.seal(secret.expose())?;
        let created = credential_created(&app, &shared.item.title, &caller.actor());
        self.store
            .create_app_recorded(&app, &sealed, std::slice::from_ref(&created))
            .await?;
        if !shared
            .item
            .type_keywords
            .iter()
            .any(|k| k == REGISTERED_APP_KEYWORD)
        {
            shared
                .item
                .type_keywords
                .push(REGISTERED_APP_KEYWORD.to_string());
            shared.item.modified = now;
            self.store.update_item(&shared.item).await?;
        }
        self.after_app_change(&app).await?;
        Ok(AppView {
            app,
            client_secret: secret,
            now,
        })
    }

    fn view(&self, stored: StoredApp) -> ServiceResult<AppView> {
        Ok(AppView {
            client_secret: self.sealer.open(&stored.sealed_secret)?,
            app: stored.app,
            now: self.now(),
        })
    }

    /// The owner and administrators who may update the item see the registration; someone
    /// else's only when they hold every privilege it carries (its secret mints keys). The
    /// operator at the command line (the system caller) manages every credential.
    pub(crate) async fn manageable_app(
        &self,
        caller: &Caller,
        stored: StoredApp,
    ) -> ServiceResult<(StoredApp, Item)> {
        if !matches!(caller, Caller::System { .. }) {
            Self::member_of(caller)?;
        }
        let shared = self
            .item_for(caller, &stored.app.item_id, |item| {
                Operation::ManageCredential {
                    item,
                    held: &NO_PRIVILEGES,
                    granted: &NO_PRIVILEGES,
                }
            })
            .await?;
        caller.authorize(&Operation::ManageCredential {
            item: &shared.item,
            held: &PrivilegeSet::without_item_access(&stored.app.privileges),
            granted: &NO_PRIVILEGES,
        })?;
        Ok((stored, shared.item))
    }

    /// `content/users/{u}/items/{id}/registeredAppInfo`.
    pub async fn app_info(&self, caller: &Caller, item_id: &str) -> ServiceResult<AppView> {
        let shared = self.visible_item(caller, item_id).await?;
        let stored = self
            .store
            .get_app_by_item(&shared.item.id)
            .await?
            .ok_or_else(not_registered)?;
        let (stored, _) = self.manageable_app(caller, stored).await?;
        self.view(stored)
    }

    async fn app_by_client_id(&self, client_id: &str) -> ServiceResult<StoredApp> {
        if client_id.is_empty() || client_id.len() > 64 {
            return Err(invalid_client());
        }
        self.store
            .get_app_by_client_id(client_id)
            .await?
            .ok_or_else(|| {
                ServiceError::not_found(format!(
                    "No registered app has client_id '{}'.",
                    shorten(client_id)
                ))
            })
    }

    /// `oauth2/apps/{client_id}`.
    pub async fn app_by_id(&self, caller: &Caller, client_id: &str) -> ServiceResult<AppView> {
        let stored = self.app_by_client_id(client_id).await?;
        let (stored, _) = self.manageable_app(caller, stored).await?;
        self.view(stored)
    }

    /// `oauth2/apps/{client_id}/update`. A changed privilege set deactivates both keys; a
    /// referrer-only or address-only change keeps them (design §2.6, issue 14).
    pub async fn update_app(
        &self,
        caller: &Caller,
        client_id: &str,
        changes: AppChanges,
    ) -> ServiceResult<AppView> {
        let stored = self.app_by_client_id(client_id).await?;
        let (stored, item) = self.manageable_app(caller, stored).await?;
        // Everything that needs the database is checked before the write loop.
        let app_type = changes
            .app_type
            .as_deref()
            .map(AppType::parse)
            .transpose()?;
        let redirect_uris = match &changes.redirect_uris {
            Some(uris) => {
                let mut uris = check_redirect_uris(uris)?;
                if uris.is_empty() {
                    uris.push(OUT_OF_BAND_REDIRECT.to_string());
                }
                Some(uris)
            }
            None => None,
        };
        let http_referrers = changes
            .http_referrers
            .as_deref()
            .map(check_referrers)
            .transpose()?;
        let allowed_addresses = changes
            .allowed_addresses
            .as_deref()
            .map(check_addresses)
            .transpose()?;
        let privileges = match &changes.privileges {
            Some(privileges) => {
                // The rules are those of the owner, whoever (owner or administrator) edits.
                let owner = self.load_member(&stored.app.owner).await?.ok_or_else(|| {
                    ServiceError::invalid("The credential's owner no longer exists.")
                })?;
                let checked = self.checked_privileges(&owner, privileges).await?;
                // ...and whoever edits grants only what they hold (design §2.12).
                caller.authorize(&Operation::ManageCredential {
                    item: &item,
                    held: &PrivilegeSet::without_item_access(&stored.app.privileges),
                    granted: &PrivilegeSet::without_item_access(&checked),
                })?;
                Some(checked)
            }
            None => None,
        };
        let now = self.now();
        let (app, privileges_changed) = self
            .change_app(&stored.app.item_id, &caller.actor(), |app| {
                if let Some(t) = app_type {
                    app.app_type = t;
                }
                if let Some(uris) = &redirect_uris {
                    app.redirect_uris = uris.clone();
                }
                if let Some(referrers) = &http_referrers {
                    app.http_referrers = referrers.clone();
                }
                if let Some(addresses) = &allowed_addresses {
                    app.allowed_addresses = addresses.clone();
                }
                Ok(match &privileges {
                    Some(p) => app.replace_privileges(p.clone(), now),
                    None => false,
                })
            })
            .await?;
        if privileges_changed {
            // App tokens carry the old privileges: they go with the keys.
            self.store.delete_app_tokens_of(&app.client_id).await?;
            self.after_app_change(&app).await?;
        }
        self.view(StoredApp {
            app,
            sealed_secret: stored.sealed_secret,
        })
    }

    /// `oauth2/apps/{client_id}/unregister`: the app, its secret and both keys are destroyed.
    pub async fn unregister_app(&self, caller: &Caller, client_id: &str) -> ServiceResult<String> {
        let stored = self.app_by_client_id(client_id).await?;
        let (stored, _) = self.manageable_app(caller, stored).await?;
        self.destroy_app(&stored.app.item_id, &caller.actor())
            .await?;
        if let Some(mut shared) = self.store.get_item(&stored.app.item_id).await? {
            shared
                .item
                .type_keywords
                .retain(|k| k != REGISTERED_APP_KEYWORD && k != API_TOKEN_KEYWORD);
            shared.item.modified = self.now();
            self.store.update_item(&shared.item).await?;
        }
        Ok(stored.app.item_id)
    }

    /// Removes an item's registration (unregister, or before deleting the item).
    pub(crate) async fn destroy_app(&self, item_id: &str, actor: &Actor) -> ServiceResult<()> {
        let Some(stored) = self.store.get_app_by_item(item_id).await? else {
            return Ok(());
        };
        let deleted = credential_deleted(&stored.app, actor, self.now());
        match self
            .store
            .delete_app_recorded(item_id, std::slice::from_ref(&deleted))
            .await
        {
            Ok(()) | Err(keyportal_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        self.refresh_app(item_id).await?;
        self.store.publish_change(&app_subject(item_id)).await?;
        Ok(())
    }

    /// Applies slot dates sent with an item update (design §2.6). Items that are not
    /// registered apps ignore them: the Python client sends one at `addItem` time. A new date
    /// deactivates a key, so it is managing the credential, whoever may update the item.
    pub(crate) async fn apply_slot_dates(
        &self,
        caller: &Caller,
        item: &mut Item,
        dates: SlotDates,
    ) -> ServiceResult<()> {
        if dates.is_empty() {
            return Ok(());
        }
        let Some(stored) = self.store.get_app_by_item(&item.id).await? else {
            return Ok(());
        };
        caller.authorize(&Operation::ManageCredential {
            item,
            held: &PrivilegeSet::without_item_access(&stored.app.privileges),
            granted: &NO_PRIVILEGES,
        })?;
        let now = self.now();
        let (app, ()) = self
            .change_app(&item.id, &caller.actor(), |app| {
                for (slot, date) in [(KeySlot::One, dates.slot1), (KeySlot::Two, dates.slot2)] {
                    if let Some(date) = date {
                        app.set_expiration(slot, date, now)?;
                    }
                }
                Ok(())
            })
            .await?;
        Self::mark_api_token_keyword(item, &app);
        Ok(())
    }

    /// Adds the `APIToken` keyword once the app has a dated slot or a key (design §2.5).
    pub(crate) fn mark_api_token_keyword(item: &mut Item, app: &AppRegistration) -> bool {
        if app.uses_api_keys() && !item.type_keywords.iter().any(|k| k == API_TOKEN_KEYWORD) {
            item.type_keywords.push(API_TOKEN_KEYWORD.to_string());
            true
        } else {
            false
        }
    }

    /// Authenticates an app by its secret (constant-time comparison).
    async fn authenticated_app(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> ServiceResult<StoredApp> {
        let stored = match self.app_by_client_id(client_id).await {
            Ok(stored) => stored,
            // A database that cannot answer says nothing about the client's credentials.
            Err(error @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => {
                return Err(error)
            }
            Err(_) => return Err(invalid_client()),
        };
        let secret = self.sealer.open(&stored.sealed_secret)?;
        if client_secret.is_empty()
            || !constant_time_eq(secret.expose().as_bytes(), client_secret.as_bytes())
        {
            return Err(invalid_client());
        }
        Ok(stored)
    }

    /// The registration of an app authenticated by its secret (for app tokens).
    pub(crate) async fn authenticated_app_for_token(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> ServiceResult<AppRegistration> {
        Ok(self.authenticated_app(client_id, client_secret).await?.app)
    }

    /// `oauth2/token` with `apiToken=N`: generates (or regenerates) slot N's key. The secret
    /// authenticates; the owner must still be allowed to create API keys.
    pub async fn mint_api_key(
        &self,
        actor: &Actor,
        client_id: &str,
        client_secret: &str,
        slot: KeySlot,
        regenerate: Option<bool>,
    ) -> ServiceResult<MintedKey> {
        let stored = self.authenticated_app(client_id, client_secret).await?;
        let owner = self
            .load_member(&stored.app.owner)
            .await?
            .filter(|m| !m.user.disabled)
            .ok_or_else(|| DomainError::forbidden_because("The credential's owner is disabled."))?;
        check_may_create_api_keys(owner.user.user_type, &owner.privileges)?;
        let now = self.now();
        let lifetime = self.settings.default_key_lifetime_ms;
        let (app, minted) = self
            .change_app(&stored.app.item_id, actor, |app| {
                Ok(app.mint(slot, regenerate, now, lifetime)?)
            })
            .await?;
        if let Some(mut shared) = self.store.get_item(&app.item_id).await? {
            if Self::mark_api_token_keyword(&mut shared.item, &app) {
                shared.item.modified = now;
                self.store.update_item(&shared.item).await?;
            }
        }
        Ok(minted)
    }

    /// `oauth2/revokeToken` with `apiToken=N`: slot N inactive, date reset, key dead at once.
    pub async fn revoke_api_key(
        &self,
        actor: &Actor,
        client_id: &str,
        client_secret: &str,
        slot: KeySlot,
    ) -> ServiceResult<()> {
        let stored = self.authenticated_app(client_id, client_secret).await?;
        let now = self.now();
        self.change_app(&stored.app.item_id, actor, |app| {
            app.revoke(slot, now);
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Describes the app behind the caller's key (`None` for other callers).
    pub async fn key_app_info(&self, caller: &Caller) -> ServiceResult<Option<KeyAppInfo>> {
        let Some(key) = caller.key() else {
            return Ok(None);
        };
        // The title is all that is not held in memory: while the database is out of reach the
        // key still describes itself (`portals/self` keeps answering), without its title.
        let title = match self.store.get_item(&key.grant.item_id()).await {
            Ok(item) => item.map(|s| s.item.title).unwrap_or_default(),
            Err(error) if error.is_unavailable() => String::new(),
            Err(error) => return Err(error.into()),
        };
        let mut privileges = key.effective_privileges().to_vec();
        privileges.extend(
            key.grant
                .item_access()
                .iter()
                .map(|id| format!("portal:app:access:item:{id}")),
        );
        Ok(Some(KeyAppInfo {
            client_id: key.grant.client_id().to_string(),
            item_id: key.grant.item_id(),
            owner: key.grant.owner().to_string(),
            org_id: key.owner.org_id.clone(),
            title,
            privileges,
        }))
    }

    /// Puts the app's current keys into this node's table and tells the other nodes.
    pub(crate) async fn after_app_change(&self, app: &AppRegistration) -> ServiceResult<()> {
        self.refresh_app(&app.item_id).await?;
        self.store
            .publish_change(&app_subject(&app.item_id))
            .await?;
        Ok(())
    }
}

/// One credential in an owner's or administrator's overview.
#[derive(Debug, Clone)]
pub struct CredentialSummary {
    pub title: String,
    pub app: AppRegistration,
}

impl Portal {
    /// Credentials the caller may manage: their own; every one for administrators and the CLI.
    pub async fn list_credentials(&self, caller: &Caller) -> ServiceResult<Vec<CredentialSummary>> {
        caller.authorize(&Operation::ListCredentials)?;
        let all = caller.allows(&Operation::ListAllCredentials);
        let apps: Vec<AppRegistration> = self
            .store
            .list_apps()
            .await?
            .into_iter()
            .filter(|app| {
                all || caller
                    .member()
                    .is_some_and(|m| m.user.username == app.owner)
            })
            .collect();
        // The titles in a few queries, not one per credential.
        let ids: Vec<String> = apps.iter().map(|app| app.item_id.clone()).collect();
        let mut titles: HashMap<String, String> =
            self.store.item_titles(&ids).await?.into_iter().collect();
        Ok(apps
            .into_iter()
            .map(|app| CredentialSummary {
                title: titles.remove(&app.item_id).unwrap_or_default(),
                app,
            })
            .collect())
    }

    /// One credential by item id or client id, for `keyportal credential show`.
    pub async fn find_credential(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<CredentialSummary> {
        self.list_credentials(caller)
            .await?
            .into_iter()
            .find(|c| c.app.item_id == id.to_ascii_lowercase() || c.app.client_id == id)
            .ok_or_else(|| {
                ServiceError::not_found(format!(
                    "No credential with item id or client id '{}'.",
                    shorten(id)
                ))
            })
    }
}
