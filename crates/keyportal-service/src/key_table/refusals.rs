//! Recent refusals (issue 14): for each credential, the last [`REFUSALS_PER_CREDENTIAL`]
//! requests its keys were refused — time, slot, reason, referer, address, service; never the
//! key — so an owner sees at once that a key is sent from a site or an address it does not
//! allow, or still used after its grace.
//!
//! Bounded whatever the traffic: at most [`MAX_CREDENTIALS`] credentials are tracked (the one
//! refused longest ago gives way), each ring holds 100 entries, and a referer or service is
//! cut to a fixed length; a full ring reuses its oldest entry's buffers, so a steady stream
//! of refusals allocates nothing. Lock-light: refusals are spread over 16 shards by item id,
//! each a short critical section that copies a few hundred bytes; allowed requests never
//! come here. Each node's entries reach the others through the `key_refusals` table, written
//! in batches by the background task (`Portal::flush_refusals`).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::grant::{CompactId, Grant};

/// Entries kept per credential (on each node, and in the shared table).
pub const REFUSALS_PER_CREDENTIAL: usize = 100;
const SHARDS: usize = 16;
const CREDENTIALS_PER_SHARD: usize = 64;
/// Credentials tracked at once on a node.
pub const MAX_CREDENTIALS: usize = SHARDS * CREDENTIALS_PER_SHARD;
/// Longest referer and service kept (bytes, cut at a character boundary).
pub const MAX_REFERER_BYTES: usize = 200;
pub const MAX_SERVICE_BYTES: usize = 64;

/// What the refused request carried.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefusalFacts<'a> {
    pub referer: Option<&'a str>,
    pub address: Option<IpAddr>,
    pub service: Option<&'a str>,
}

/// One refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub at: i64,
    /// This node's sequence number of the refusal.
    pub seq: u64,
    /// 1 or 2 for API keys, 0 for app tokens and legacy keys.
    pub slot: u8,
    pub reason: &'static str,
    /// Empty when absent.
    pub referer: String,
    pub address: Option<IpAddr>,
    /// Empty when absent.
    pub service: String,
}

#[derive(Default)]
struct Ring {
    entries: VecDeque<Refusal>,
    /// The newest entry's time (eviction picks the stalest credential).
    newest: i64,
    /// Entries with a larger `seq` are not yet in the shared table.
    flushed: u64,
}

#[derive(Default)]
struct Shard {
    rings: HashMap<CompactId, Ring>,
}

/// Every credential's recent refusals on this node.
pub struct RefusalLog {
    shards: [Mutex<Shard>; SHARDS],
    seq: AtomicU64,
    /// Names this process among the nodes writing the shared table (random per start).
    node: String,
}

impl Default for RefusalLog {
    fn default() -> Self {
        RefusalLog {
            shards: std::array::from_fn(|_| Mutex::new(Shard::default())),
            seq: AtomicU64::new(0),
            node: keyportal_domain::secret::random_hex::<8>(),
        }
    }
}

fn shard_of(item: &CompactId) -> usize {
    let byte = match item {
        CompactId::Hex(bytes) => bytes[15],
        CompactId::Text(text) => text.bytes().fold(0u8, |h, b| h.rotate_left(3) ^ b),
    };
    usize::from(byte) % SHARDS
}

/// Replaces `into` with `text` cut to `max` bytes, reusing its buffer.
fn copy_cut(into: &mut String, text: Option<&str>, max: usize) {
    into.clear();
    let text = text.unwrap_or_default();
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    into.push_str(&text[..end]);
}

impl RefusalLog {
    /// This node's name in the shared table.
    pub fn node(&self) -> &str {
        &self.node
    }

    fn shard(&self, item: &CompactId) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[shard_of(item)]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes a refused request of `grant`'s credential.
    pub fn record(&self, grant: &Grant, reason: &'static str, facts: &RefusalFacts<'_>, now: i64) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let mut shard = self.shard(&grant.item);
        if !shard.rings.contains_key(&grant.item) && shard.rings.len() >= CREDENTIALS_PER_SHARD {
            let stalest = shard
                .rings
                .iter()
                .min_by_key(|(_, ring)| ring.newest)
                .map(|(id, _)| id.clone());
            if let Some(id) = stalest {
                shard.rings.remove(&id);
            }
        }
        let ring = shard.rings.entry(grant.item.clone()).or_default();
        let mut entry = if ring.entries.len() >= REFUSALS_PER_CREDENTIAL {
            ring.entries.pop_front().unwrap_or_else(empty_entry)
        } else {
            empty_entry()
        };
        entry.at = now;
        entry.seq = seq;
        entry.slot = grant.kind.slot_number();
        entry.reason = reason;
        copy_cut(&mut entry.referer, facts.referer, MAX_REFERER_BYTES);
        entry.address = facts.address;
        copy_cut(&mut entry.service, facts.service, MAX_SERVICE_BYTES);
        ring.entries.push_back(entry);
        ring.newest = ring.newest.max(now);
    }

    /// The credential's refusals on this node, newest first.
    pub fn recent(&self, item_id: &str) -> Vec<Refusal> {
        let item = CompactId::new(item_id);
        let shard = self.shard(&item);
        shard
            .rings
            .get(&item)
            .map(|ring| ring.entries.iter().rev().cloned().collect())
            .unwrap_or_default()
    }

    /// Entries not yet written to the shared table, by item id; they count as written from
    /// now on (see [`RefusalLog::unflush`] when the write fails).
    pub fn take_unflushed(&self) -> Vec<(String, Refusal)> {
        let mut out = Vec::new();
        for shard in &self.shards {
            let mut shard = shard
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (item, ring) in shard.rings.iter_mut() {
                let mut newest = ring.flushed;
                for entry in ring.entries.iter().filter(|e| e.seq > ring.flushed) {
                    out.push((item.to_string(), entry.clone()));
                    newest = newest.max(entry.seq);
                }
                ring.flushed = newest;
            }
        }
        out
    }

    /// Marks a batch whose write failed as unwritten again (the next flush retries it, as far
    /// as the rings still hold it).
    pub fn unflush(&self, batch: &[(String, Refusal)]) {
        for (item, entry) in batch {
            let item = CompactId::new(item);
            let mut shard = self.shard(&item);
            if let Some(ring) = shard.rings.get_mut(&item) {
                ring.flushed = ring.flushed.min(entry.seq.saturating_sub(1));
            }
        }
    }

    /// Credentials tracked now.
    pub fn tracked(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).rings.len())
            .sum()
    }
}

fn empty_entry() -> Refusal {
    Refusal {
        at: 0,
        seq: 0,
        slot: 0,
        reason: "",
        referer: String::new(),
        address: None,
        service: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::key_table::grant::{GrantKind, Profile};
    use keyportal_domain::api_key::KeySlot;
    use keyportal_domain::privilege::PrivilegeSet;

    fn grant(n: u32) -> Grant {
        let profile = Arc::new(Profile {
            owner: Arc::from("ann"),
            privileges: PrivilegeSet::without_item_access(&[]),
            item_access: vec![],
            referrers: vec![],
            addresses: vec![],
            personal: false,
        });
        Grant::new(
            [0u8; 32],
            CompactId::new(&format!("{n:032x}")),
            GrantKind::ApiKey(KeySlot::Two),
            profile,
            i64::MAX,
            -1,
        )
    }

    #[test]
    fn each_credential_keeps_its_last_hundred_newest_first() {
        let log = RefusalLog::default();
        let g = grant(1);
        let long = "x".repeat(1000);
        for i in 0..250 {
            let facts = RefusalFacts {
                referer: Some(&long),
                address: Some("203.0.113.9".parse().unwrap()),
                service: Some("geocode"),
            };
            log.record(&g, "referrer", &facts, i);
        }
        let recent = log.recent(&format!("{:032x}", 1));
        assert_eq!(recent.len(), REFUSALS_PER_CREDENTIAL);
        assert_eq!(recent[0].at, 249);
        assert_eq!(recent[99].at, 150);
        assert_eq!(recent[0].slot, 2);
        assert_eq!(recent[0].referer.len(), MAX_REFERER_BYTES);
        assert_eq!(recent[0].service, "geocode");
        assert!(log.recent(&format!("{:032x}", 2)).is_empty());
    }

    #[test]
    fn the_number_of_credentials_is_bounded() {
        let log = RefusalLog::default();
        for n in 0..(MAX_CREDENTIALS as u32 * 3) {
            log.record(&grant(n), "expired", &RefusalFacts::default(), i64::from(n));
        }
        assert!(log.tracked() <= MAX_CREDENTIALS, "{}", log.tracked());
        // The newest credential is kept.
        let newest = MAX_CREDENTIALS as u32 * 3 - 1;
        assert_eq!(log.recent(&format!("{newest:032x}")).len(), 1);
    }

    #[test]
    fn unflushed_entries_are_taken_once_and_again_after_a_failed_write() {
        let log = RefusalLog::default();
        let g = grant(7);
        log.record(&g, "address", &RefusalFacts::default(), 1);
        log.record(&g, "address", &RefusalFacts::default(), 2);
        let batch = log.take_unflushed();
        assert_eq!(batch.len(), 2);
        assert!(log.take_unflushed().is_empty());
        log.unflush(&batch);
        log.record(&g, "address", &RefusalFacts::default(), 3);
        assert_eq!(log.take_unflushed().len(), 3);
    }

    #[test]
    fn cutting_respects_character_boundaries() {
        let mut out = String::new();
        copy_cut(&mut out, Some("ééé"), 3);
        assert_eq!(out, "é");
        copy_cut(&mut out, None, 3);
        assert_eq!(out, "");
    }
}
