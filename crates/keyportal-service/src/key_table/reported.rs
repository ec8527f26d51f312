//! Looking up strings reported as leaked: which of them are API keys or legacy keys the table
//! holds. Every digest costs one lookup, found or not, under one read lock for the batch.

use keyportal_domain::api_key::KeySlot;

use super::{ByDigest, GrantKind, KeyTable};

/// A reported string that is a key the table holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldKey {
    pub item_id: String,
    /// The app's client id (`None` for a legacy key).
    pub client_id: Option<String>,
    /// The API key's slot, or `None` for a legacy key.
    pub slot: Option<KeySlot>,
    /// Whether it authenticated at the time of the report (not expired, not retired).
    pub live: bool,
}

impl KeyTable {
    /// For each digest, the API key or legacy key it belongs to (app tokens are short-lived
    /// and not reported), whatever its state: an expired or disabled owner's key is revoked
    /// too, since it was published.
    pub fn find_reported(&self, digests: &[[u8; 32]], now: i64) -> Vec<Option<HeldKey>> {
        let state = self.read();
        let retired = state.legacy_retirement.is_some_and(|date| now >= date);
        digests
            .iter()
            .map(|digest| {
                let ByDigest(grant) = state.grants.get(digest)?;
                let (slot, live) = match grant.kind {
                    GrantKind::ApiKey(slot) => (Some(slot), now < grant.expires),
                    GrantKind::Legacy => (None, !retired),
                    GrantKind::AppToken => return None,
                };
                Some(HeldKey {
                    item_id: grant.item_id(),
                    client_id: slot.map(|_| grant.client_id().to_string()),
                    slot,
                    live,
                })
            })
            .collect()
    }
}
