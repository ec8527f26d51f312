//! `rollApiKey` (issue 14): one-step rotation with a grace period, for the owner and
//! administrators. The whole operation is this one function — load, apply the domain's
//! `AppRegistration::roll`, store, update the key table, announce — so whatever else must
//! happen on a roll (an audit event) has one place to go.

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::check_may_create_api_keys;
use keyportal_domain::secret::SecretString;
use keyportal_domain::time::SECOND_MS;
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::credentials::not_registered;
use crate::error::ServiceResult;
use crate::Portal;

/// What `rollApiKey` asks.
#[derive(Debug, Clone, Copy)]
pub struct RollRequest {
    /// The slot whose key is being replaced.
    pub slot: KeySlot,
    /// How long the old key keeps working, in seconds (0 to 30 days).
    pub grace_seconds: i64,
    /// The new key's expiration date (epoch ms); `None`: the default lifetime.
    pub expiration: Option<i64>,
}

/// A roll's result: the new key, shown only here.
#[derive(Debug)]
pub struct RolledApiKey {
    pub key: SecretString,
    pub slot: KeySlot,
    pub expires: i64,
    pub previous_slot: KeySlot,
    pub previous_expires: i64,
}

impl Portal {
    /// Mints a new key into the other slot of the credential `item_id` and ends the old key
    /// after the grace; see `AppRegistration::roll` for the rules.
    pub async fn roll_api_key(
        &self,
        caller: &Caller,
        item_id: &str,
        request: RollRequest,
    ) -> ServiceResult<RolledApiKey> {
        let shared = self.visible_item(caller, item_id).await?;
        let stored = self
            .store
            .get_app_by_item(&shared.item.id)
            .await?
            .ok_or_else(not_registered)?;
        let (stored, mut item) = self.manageable_app(caller, stored).await?;
        let grace_ms = request
            .grace_seconds
            .checked_mul(SECOND_MS)
            .ok_or_else(|| DomainError::invalid("'grace' is too large: at most 30 days."))?;
        // The new key is a key the owner creates: the owner must still be allowed to.
        let owner = self
            .load_member(&stored.app.owner)
            .await?
            .filter(|m| !m.user.disabled)
            .ok_or_else(|| DomainError::forbidden_because("The credential's owner is disabled."))?;
        check_may_create_api_keys(owner.user.user_type, &owner.privileges)?;
        let now = self.now();
        let lifetime = self.settings.default_key_lifetime_ms;
        let (app, rolled) = self
            .change_app(&stored.app.item_id, &caller.actor(), |app| {
                Ok(app.roll(request.slot, grace_ms, request.expiration, now, lifetime)?)
            })
            .await?;
        if Self::mark_api_token_keyword(&mut item, &app) {
            item.modified = now;
            self.store.update_item(&item).await?;
        }
        Ok(RolledApiKey {
            key: rolled.minted.key,
            slot: rolled.minted.slot,
            expires: rolled.expires,
            previous_slot: rolled.previous_slot,
            previous_expires: rolled.previous_expires,
        })
    }
}
