//! Writing the key table: a credential's keys and tokens, a legacy key, an item's removal,
//! housekeeping. Each replaces what the table held for the item in one step under the lock.

use std::sync::Arc;

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::{AppRegistration, AppToken};
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_store::LegacyKeyGrant;

use super::grant::{ByDigest, ByItem, CompactId, Grant, GrantKind};
use super::{digest_from_hex, KeyTable, TableState};

impl KeyTable {
    /// Replaces everything the table holds for a credential item with its current slots and
    /// app tokens. Keys of inactive or expired slots are simply absent.
    pub fn put_app(&self, app: &AppRegistration, app_tokens: &[AppToken]) {
        let mut state = self.write();
        let profile = state.profiles.intern(
            &app.owner,
            &app.privileges,
            &app.http_referrers,
            &app.allowed_addresses,
            app.is_personal,
        );
        let usage_key: Arc<str> = Arc::from(app.client_id.as_str());
        let item = CompactId::new(&app.item_id);
        let grant = |digest, kind, expires, last_used| {
            Grant::new(
                digest,
                item.clone(),
                kind,
                Arc::clone(&profile),
                expires,
                last_used,
            )
            .with_usage_key(Arc::clone(&usage_key))
        };
        let mut entries: Vec<Grant> = Vec::new();
        for (slot, slot_state) in [KeySlot::One, KeySlot::Two]
            .into_iter()
            .zip(app.slots.iter())
        {
            if let (true, Some(digest)) = (
                slot_state.active,
                slot_state.key_hash.as_deref().and_then(digest_from_hex),
            ) {
                entries.push(grant(
                    digest,
                    GrantKind::ApiKey(slot),
                    slot_state.expiration,
                    slot_state.last_used,
                ));
            }
        }
        for token in app_tokens.iter().filter(|t| t.client_id == app.client_id) {
            if let Some(digest) = digest_from_hex(&token.hash) {
                entries.push(grant(digest, GrantKind::AppToken, token.expires, -1));
            }
        }
        drop_item(&mut state, &app.item_id);
        let digests: Vec<[u8; 32]> = entries.iter().map(|g| g.digest).collect();
        for grant in entries {
            state.grants.replace(ByDigest(Arc::new(grant)));
        }
        state.app_items.insert(app.item_id.clone(), digests);
    }

    /// Replaces what the table holds for a legacy key's item.
    pub fn put_legacy(&self, key: &LegacyKey) {
        let mut state = self.write();
        drop_item(&mut state, &key.item_id);
        if key.active {
            insert_legacy(
                &mut state,
                &key.item_id,
                &key.key_hash,
                &key.owner,
                &key.privileges,
                &key.http_referrers,
                key.last_used,
            );
        }
    }

    /// Adds an active legacy key as the streaming load at start reads it.
    pub fn put_legacy_grant(&self, key: &LegacyKeyGrant) {
        let mut state = self.write();
        drop_item(&mut state, &key.item_id);
        insert_legacy(
            &mut state,
            &key.item_id,
            &key.key_hash,
            &key.owner,
            &key.privileges,
            &key.http_referrers,
            key.last_used,
        );
    }

    /// Forgets every key of a credential or legacy item.
    pub fn remove_item(&self, item_id: &str) {
        let mut state = self.write();
        drop_item(&mut state, item_id);
    }

    /// Forgets app tokens that have expired (keys stay: their slots say why they fail), and
    /// shared profiles no key uses any more; notes how many API keys have expired.
    pub fn drop_expired_app_tokens(&self, now: i64) -> usize {
        let mut state = self.write();
        let mut expired: Vec<[u8; 32]> = Vec::new();
        let mut expired_keys = 0;
        for ByDigest(grant) in state.grants.iter().filter(|ByDigest(g)| now >= g.expires) {
            match grant.kind {
                GrantKind::AppToken => expired.push(grant.digest),
                GrantKind::ApiKey(_) => expired_keys += 1,
                GrantKind::Legacy => {}
            }
        }
        self.expired_keys
            .store(expired_keys, std::sync::atomic::Ordering::Relaxed);
        for digest in &expired {
            state.grants.remove(digest);
        }
        if !expired.is_empty() {
            for digests in state.app_items.values_mut() {
                digests.retain(|d| !expired.contains(d));
            }
        }
        state.profiles.prune();
        expired.len()
    }
}

fn insert_legacy(
    state: &mut TableState,
    item_id: &str,
    key_hash: &str,
    owner: &str,
    privileges: &[String],
    referrers: &[String],
    last_used: i64,
) {
    let Some(digest) = digest_from_hex(key_hash) else {
        return;
    };
    let profile = state
        .profiles
        .intern(owner, privileges, referrers, &[], false);
    let grant = Arc::new(Grant::new(
        digest,
        CompactId::new(item_id),
        GrantKind::Legacy,
        profile,
        i64::MAX,
        last_used,
    ));
    state.grants.replace(ByDigest(Arc::clone(&grant)));
    state.legacy_items.replace(ByItem(grant));
}

fn drop_item(state: &mut TableState, item_id: &str) {
    if let Some(digests) = state.app_items.remove(item_id) {
        for digest in digests {
            state.grants.remove(&digest);
        }
    }
    if let Some(ByItem(grant)) = state.legacy_items.take(&CompactId::new(item_id)) {
        // Only if the digest still names this grant (a key cannot move, but be exact).
        if state
            .grants
            .get(&grant.digest)
            .is_some_and(|ByDigest(held)| Arc::ptr_eq(held, &grant))
        {
            state.grants.remove(&grant.digest);
        }
    }
}
