//! Expiry warnings: `key.expiring` once per lead time as a key's date comes near, and
//! `key.expired` once when it passes. The background task runs [`Portal::check_expiry`] at
//! start and every minute on each node; a lease in the settings lets one node at a time do
//! the work, and each notice's `once` key keeps it single even if two nodes overlap.

use keyportal_domain::authz::Operation;
use keyportal_domain::credential::AppRegistration;
use keyportal_domain::events::{
    due_notice, expiring_once_key, parse_lead_days, Actor, Event, EventType, ExpiryNotice, Lease,
    DEFAULT_EXPIRY_WARNING_DAYS,
};
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::Portal;

/// The organization's lead times (days), as stored by `eventSettings`.
pub const EXPIRY_WARNING_SETTING: &str = "expiry_warning_days";
/// Which node runs the expiry check, until when.
const EXPIRY_LEASE_SETTING: &str = "expiry_check_lease";

/// A key slot worth checking, with the `once` keys of the notices it may already have.
struct Candidate<'a> {
    app: &'a AppRegistration,
    slot: u8,
    keys: Vec<(u32, String)>,
    expired_key: String,
}

impl Portal {
    /// The lead times in force: the stored ones, or 30, 7 and 1 days.
    pub async fn expiry_warning_days(&self) -> ServiceResult<Vec<u32>> {
        Ok(
            match self.store.get_setting(EXPIRY_WARNING_SETTING).await? {
                Some(text) => parse_lead_days(&text).unwrap_or_else(|_| default_days()),
                None => default_days(),
            },
        )
    }

    /// `GET portals/self/eventSettings` (administrators).
    pub async fn event_settings(&self, caller: &Caller) -> ServiceResult<Vec<u32>> {
        caller.authorize(&Operation::ViewOrgEvents)?;
        self.expiry_warning_days().await
    }

    /// `POST portals/self/eventSettings` with `expiryWarningDays` (administrators).
    pub async fn set_expiry_warning_days(
        &self,
        caller: &Caller,
        text: &str,
    ) -> ServiceResult<Vec<u32>> {
        caller.authorize(&Operation::ManageSecuritySettings)?;
        let days = parse_lead_days(text)?;
        let stored = serde_json::to_string(&days)
            .map_err(|e| DomainError::invalid(format!("expiryWarningDays: {e}")))?;
        self.store
            .set_setting(EXPIRY_WARNING_SETTING, &stored)
            .await?;
        Ok(days)
    }

    /// Runs the expiry check if this node holds (or can take) the lease; `None` when another
    /// node holds it. Returns the notices recorded.
    pub async fn check_expiry(&self, node: &str) -> ServiceResult<Option<usize>> {
        let now = self.now();
        let current = self.store.get_setting(EXPIRY_LEASE_SETTING).await?;
        if !Lease::may_take(current.as_deref(), node, now) {
            return Ok(None);
        }
        let lease = Lease::taken_by(node, now).to_text();
        if !self
            .store
            .replace_setting(EXPIRY_LEASE_SETTING, current.as_deref(), &lease)
            .await?
        {
            return Ok(None);
        }
        Ok(Some(self.record_expiry_notices().await?))
    }

    /// The check itself: every active key slot with a date gets the notice it is due.
    pub async fn record_expiry_notices(&self) -> ServiceResult<usize> {
        let now = self.now();
        let leads = self.expiry_warning_days().await?;
        let apps = self.store.list_apps().await?;
        let mut candidates = Vec::new();
        for app in &apps {
            for (i, state) in app.slots.iter().enumerate() {
                let slot = if i == 0 { 1 } else { 2 };
                if !state.active || state.key_hash.is_none() || state.expiration <= 0 {
                    continue;
                }
                // Worth a look only when some notice could be due at all.
                if due_notice(state.expiration, now, &leads, &[], false).is_none() {
                    continue;
                }
                candidates.push(Candidate {
                    app,
                    slot,
                    keys: leads
                        .iter()
                        .map(|lead| {
                            (
                                *lead,
                                expiring_once_key(&app.item_id, slot, state.created, *lead),
                            )
                        })
                        .collect(),
                    expired_key: ExpiryNotice::Expired.once_key(&app.item_id, slot, state.created),
                });
            }
        }
        if candidates.is_empty() {
            return Ok(0);
        }
        let wanted: Vec<String> = candidates
            .iter()
            .flat_map(|c| {
                c.keys
                    .iter()
                    .map(|(_, k)| k.clone())
                    .chain(std::iter::once(c.expired_key.clone()))
            })
            .collect();
        let recorded: std::collections::HashSet<String> = self
            .store
            .once_keys_recorded(&wanted)
            .await?
            .into_iter()
            .collect();
        let mut events = Vec::new();
        for c in &candidates {
            let state = &c.app.slots[usize::from(c.slot - 1)];
            let warned: Vec<u32> = c
                .keys
                .iter()
                .filter(|(_, k)| recorded.contains(k))
                .map(|(lead, _)| *lead)
                .collect();
            let expired = recorded.contains(&c.expired_key);
            if let Some(notice) = due_notice(state.expiration, now, &leads, &warned, expired) {
                events.push(notice_event(c, notice, now));
            }
        }
        Ok(self.record(&events).await?.len())
    }
}

/// A working key that expires soon, for the web portal's warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringKey {
    pub item_id: String,
    pub slot: u8,
    pub expires: i64,
}

/// The working keys of `app` that expire within `within` ms of `now`.
pub fn expiring_keys(app: &AppRegistration, now: i64, within: i64) -> Vec<ExpiringKey> {
    app.slots
        .iter()
        .zip([1u8, 2])
        .filter(|(state, _)| {
            state.is_usable(now) && state.expiration > 0 && state.expiration - now <= within
        })
        .map(|(state, slot)| ExpiringKey {
            item_id: app.item_id.clone(),
            slot,
            expires: state.expiration,
        })
        .collect()
}

impl Portal {
    /// The working keys of these items (credentials the caller manages) that expire within
    /// `within` ms: My content's warnings, a few reads for a page of items.
    pub async fn expiring_keys_of(
        &self,
        caller: &Caller,
        items: &[crate::ItemView],
        within: i64,
    ) -> ServiceResult<Vec<ExpiringKey>> {
        let now = self.now();
        let mut found = Vec::new();
        for view in items.iter().filter(|v| {
            v.item.item_type == keyportal_domain::credential::APPLICATION_TYPE
                && v.item
                    .type_keywords
                    .iter()
                    .any(|k| k == keyportal_domain::credential::API_TOKEN_KEYWORD)
        }) {
            let Some(stored) = self.store.get_app_by_item(&view.item.id).await? else {
                continue;
            };
            let manages = caller.allows(&Operation::ManageCredential {
                item: &view.item,
                held: &keyportal_domain::privilege::NO_PRIVILEGES,
                granted: &keyportal_domain::privilege::NO_PRIVILEGES,
            });
            if manages {
                found.extend(expiring_keys(&stored.app, now, within));
            }
        }
        Ok(found)
    }
}

fn default_days() -> Vec<u32> {
    DEFAULT_EXPIRY_WARNING_DAYS.to_vec()
}

fn notice_event(c: &Candidate<'_>, notice: ExpiryNotice, now: i64) -> Event {
    let state = &c.app.slots[usize::from(c.slot - 1)];
    let (kind, days_left) = match notice {
        ExpiryNotice::Expiring { days_left, .. } => (EventType::KeyExpiring, days_left),
        ExpiryNotice::Expired => (EventType::KeyExpired, 0),
    };
    let mut event = Event::new(kind, &Actor::system(), now)
        .credential(&c.app.item_id, Some(&c.app.client_id))
        .slot(c.slot)
        .member(&c.app.owner)
        .detail("expires", state.expiration)
        .detail("daysLeft", days_left)
        .detail(
            "keyHint",
            state
                .key_hint
                .clone()
                .map_or(serde_json::Value::Null, serde_json::Value::String),
        )
        .once(notice.once_key(&c.app.item_id, c.slot, state.created));
    if let ExpiryNotice::Expiring { lead_days, .. } = notice {
        event = event.detail("leadDays", lead_days);
    }
    event
}
