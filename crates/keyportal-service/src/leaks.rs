//! Leaked keys: strings anyone reports (`oauth2/revokeLeakedKeys`) or GitHub's secret
//! scanning finds are looked up in the key table, and every API key or legacy key among them
//! is revoked at once — on this node directly, on the others through the change feed — with
//! a record of when and where it was found. The answer never depends on what was found.

use std::net::IpAddr;
use std::sync::Mutex;

use keyportal_domain::api_key::{key_hash, key_hint};
use keyportal_domain::authz::Operation;
use keyportal_domain::credential::SlotState;
use keyportal_domain::events::{Actor, ActorKind, Event, EventType};
use keyportal_domain::ids::parse_item_id;
use keyportal_domain::leak::{AddressQuota, KeyLeak};

use crate::caller::Caller;
use crate::credentials::app_subject;
use crate::error::{ServiceError, ServiceResult};
use crate::key_table::HeldKey;
use crate::legacy::legacy_subject;
use crate::Portal;

/// The `key.leaked` event of one revocation: reported by anyone (`public`), from `address`,
/// with the key's hint and where it was found — never the key.
fn leaked_event(found: &HeldKey, leak: &KeyLeak, address: Option<&str>) -> Event {
    let actor = Actor {
        name: None,
        kind: ActorKind::Public,
        address: address.map(str::to_string),
    };
    let mut event = Event::new(EventType::KeyLeaked, &actor, leak.revoked)
        .credential(&found.item_id, found.client_id.as_deref())
        .detail("source", leak.source.as_str())
        .detail("keyHint", leak.key_hint.as_str())
        .detail("legacy", found.slot.is_none());
    if let Some(slot) = found.slot {
        event = event.slot(slot.number());
    }
    event
}

/// How many leak records the item page shows.
const LEAKS_SHOWN: usize = 20;

/// The per-address allowance of public reports (60 an hour), per node.
#[derive(Debug)]
pub(crate) struct LeakReports {
    quota: Mutex<AddressQuota>,
}

impl Default for LeakReports {
    fn default() -> Self {
        LeakReports {
            quota: Mutex::new(AddressQuota::for_leak_reports()),
        }
    }
}

/// The quota's key for a client address: IPv4 addresses whole, IPv6 addresses by their /64
/// (one host usually holds a whole /64, so counting single addresses would not limit it).
fn quota_key(address: Option<&str>) -> String {
    match address.and_then(|a| a.parse::<IpAddr>().ok()) {
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Some(IpAddr::V4(v4)) => v4.to_string(),
        None => address.unwrap_or("unknown").to_string(),
    }
}

/// What the slot of a key revoked as leaked becomes: inactive, its date reset, as a slot
/// revoked with `revokeToken` (design §2.4).
fn revoked_slot() -> SlotState {
    SlotState::empty()
}

impl Portal {
    /// Counts one public report from `address` against its allowance (60 an hour), or
    /// refuses it with 429 (`ServiceError::TooManyRequests`).
    pub fn admit_leak_report(&self, address: Option<&str>, now: i64) -> ServiceResult<()> {
        let key = quota_key(address);
        let mut quota = self
            .leak_reports
            .quota
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        quota
            .admit(&key, now)
            .map_err(|refused| ServiceError::TooManyRequests {
                retry_after_ms: refused.retry_after_ms,
            })
    }

    /// Revokes every API key or legacy key among `keys` (reported as found at `source` by
    /// the client at `address`) at `now`, and records each revocation. Returns, for each
    /// string, whether it was a live key. Every string is hashed and looked up alike (no
    /// format check first), so the work before the writes is the same whatever was sent;
    /// only a live key adds its revocation. The one place a leak is acted on: each revocation
    /// writes its `key.leaked` event in its own transaction.
    pub async fn revoke_leaked_keys(
        &self,
        keys: &[String],
        source: &str,
        address: Option<&str>,
        now: i64,
    ) -> ServiceResult<Vec<bool>> {
        let digests: Vec<[u8; 32]> = keys.iter().map(|key| key_hash(key)).collect();
        let held = self.key_table.find_reported(&digests, now);
        let mut live = vec![false; keys.len()];
        for (i, found) in held.into_iter().enumerate() {
            let Some(found) = found else {
                continue;
            };
            // The same key twice in one report is revoked (and recorded) once.
            if let Some(first) = digests[..i].iter().position(|d| *d == digests[i]) {
                live[i] = live[first];
                continue;
            }
            let leak = KeyLeak {
                item_id: found.item_id.clone(),
                slot: found.slot,
                key_hint: key_hint(&keys[i]),
                revoked: now,
                source: source.to_string(),
            };
            let event = leaked_event(&found, &leak, address);
            let revoked = self
                .store
                .revoke_leaked_key_recorded(
                    &leak,
                    &hex::encode(digests[i]),
                    &revoked_slot(),
                    std::slice::from_ref(&event),
                )
                .await?;
            // Whether or not this node's table was behind the database, it follows it now,
            // and so do the other nodes.
            let subject = match found.slot {
                Some(_) => {
                    self.refresh_app(&found.item_id).await?;
                    app_subject(&found.item_id)
                }
                None => {
                    self.refresh_legacy(&found.item_id).await?;
                    legacy_subject(&found.item_id)
                }
            };
            if revoked {
                self.store.publish_change(&subject).await?;
                tracing::warn!(
                    item = %found.item_id,
                    slot = found.slot.map_or(0, |s| s.number()),
                    live = found.live,
                    from = address.unwrap_or("-"),
                    "key revoked as leaked"
                );
            }
            live[i] = revoked && found.live;
        }
        Ok(live)
    }

    /// The leak records of a credential or legacy key, newest first, for whoever manages it
    /// (an empty list for other items).
    pub async fn key_leaks(&self, caller: &Caller, item_id: &str) -> ServiceResult<Vec<KeyLeak>> {
        let id = parse_item_id(item_id)?;
        if let Some(stored) = self.store.get_app_by_item(&id).await? {
            self.manageable_app(caller, stored).await?;
        } else if self.store.get_legacy_key(&id).await?.is_some() {
            self.item_for(caller, &id, |item| Operation::ManageLegacyKey { item })
                .await?;
        } else {
            return Ok(Vec::new());
        }
        Ok(self.store.key_leaks_of(&id, LEAKS_SHOWN).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_counted_by_host_or_ipv6_network() {
        assert_eq!(quota_key(Some("192.0.2.7")), "192.0.2.7");
        assert_eq!(quota_key(Some("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(
            quota_key(Some("2001:db8:1:2:3:4:5:6")),
            quota_key(Some("2001:db8:1:2:ffff::1"))
        );
        assert_ne!(
            quota_key(Some("2001:db8:1:2::1")),
            quota_key(Some("2001:db8:1:3::1"))
        );
        assert_eq!(quota_key(None), "unknown");
    }
}
