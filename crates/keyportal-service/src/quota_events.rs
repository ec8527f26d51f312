//! `quota.reached`: noted when a request is refused for a day or month quota, once per
//! credential and period. The refusal path only hashes what it would record (no allocation)
//! to skip repeats on this node; the event is queued and written with the next usage flush,
//! under a `once` key so that several nodes reaching the same quota record it once.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use keyportal_domain::events::{Actor, ActorKind, Event, EventType};
use keyportal_domain::rate_limit::LimitReason;

use crate::error::ServiceResult;
use crate::key_table::Resolved;
use crate::Portal;

/// At most this many periods are remembered per node (then forgotten at once: the `once`
/// key still keeps the event single).
const MAX_NOTED: usize = 10_000;

/// Quota events waiting for the next flush, and what this node has already queued.
#[derive(Default)]
pub(crate) struct QuotaNotices {
    noted: Mutex<HashSet<u64>>,
    pending: Mutex<Vec<Event>>,
}

impl Portal {
    /// Called on a refusal for `reason` in the period that starts on day `period` (a day, or
    /// the billing cycle's first day).
    pub(crate) fn note_quota_reached(
        &self,
        key: &Resolved,
        reason: LimitReason,
        period: i64,
        now: i64,
    ) {
        if reason == LimitReason::PerSecond {
            return;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (key.grant.client_id(), reason.as_str(), period).hash(&mut hasher);
        let fingerprint = hasher.finish();
        {
            let mut noted = self.quota.noted.lock().unwrap_or_else(|p| p.into_inner());
            if noted.len() >= MAX_NOTED {
                noted.clear();
            }
            if !noted.insert(fingerprint) {
                return;
            }
        }
        let actor = Actor {
            name: Some(key.grant.owner().to_string()),
            kind: ActorKind::Key,
            address: key.address.map(|a| a.to_string()),
        };
        let client_id = key.grant.client_id();
        let mut event = Event::new(EventType::QuotaReached, &actor, now)
            .credential(&key.grant.item_id(), Some(client_id))
            .member(key.grant.owner())
            .detail("quota", reason.as_str())
            .detail("periodStartDay", period)
            .once(format!(
                "quota.reached:{client_id}:{}:{period}",
                reason.as_str()
            ));
        let slot = key.grant.kind.slot_number();
        if slot > 0 {
            event = event.slot(slot);
        }
        self.quota
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(event);
    }

    /// Writes the queued quota events (with the usage flush); kept for the next flush when
    /// the write fails.
    pub(crate) async fn flush_quota_events(&self) -> ServiceResult<usize> {
        let events =
            std::mem::take(&mut *self.quota.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if events.is_empty() {
            return Ok(0);
        }
        match self.record(&events).await {
            Ok(written) => Ok(written.len()),
            Err(error) => {
                self.quota
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(events);
                Err(error)
            }
        }
    }
}
