//! The in-memory key table: every API key, app token and legacy key the deployment honours,
//! by SHA-256, with what it may do. Checking a key reads only this table — no database, no
//! allocation — and every write that changes a credential, an owner or a role updates it
//! (on this node directly, on the others through the change feed).
//!
//! Sized for a million keys: a grant is one allocation, what keys share is interned
//! (`intern`), and the sets hold one pointer per key (docs/ARCHITECTURE.md, "The key table").

mod decide;
mod grant;
mod intern;
mod refusals;
mod reported;
mod updates;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};

use keyportal_domain::api_key::{is_legacy_key, key_hash, parse_api_key, KeyFormatError};
use keyportal_domain::privilege::PrivilegeSet;
use keyportal_store::KeyUse;

use decide::decide;
pub use decide::KeyRequest;
use grant::{ByDigest, ByItem};
pub use grant::{CompactId, Grant, GrantKind};
use intern::Profiles;
pub use refusals::{
    Refusal, RefusalFacts, RefusalLog, MAX_CREDENTIALS, MAX_REFERER_BYTES, REFUSALS_PER_CREDENTIAL,
};
pub use reported::HeldKey;

/// Keys are SHA-256 digests, already uniform: their first eight bytes are a perfect hash.
#[derive(Default)]
pub struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().take(8) {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
}

type DigestHash = BuildHasherDefault<DigestHasher>;

/// What the table knows of a credential's owner, so a demotion applies at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerState {
    pub org_id: String,
    pub privileges: PrivilegeSet,
    pub disabled: bool,
}

/// Why a key was refused, machine-readable (the verify endpoint reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    Malformed(KeyFormatError),
    /// Not a key this deployment knows (never issued, regenerated away, invalidated, deleted).
    Unknown,
    Expired,
    /// The key is restricted to referrers and the request matched none.
    Referrer,
    /// The key is restricted to addresses and the request came from none of them.
    Address,
    /// The owner is disabled or no longer exists.
    OwnerInactive,
    /// A legacy key after the organization's retirement date.
    Retired,
}

impl Denial {
    pub fn reason(self) -> &'static str {
        match self {
            Denial::Malformed(_) => "malformed",
            Denial::Unknown => "unknown",
            Denial::Expired => "expired",
            Denial::Referrer => "referrer",
            Denial::Address => "address",
            Denial::OwnerInactive => "owner_inactive",
            Denial::Retired => "retired",
        }
    }
}

/// A key that passed: the grant and its owner's current state.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub grant: Arc<Grant>,
    pub owner: Arc<OwnerState>,
    /// The client address of the request that presented the key (set by
    /// `Portal::authenticate`, for the events the request causes).
    pub address: Option<std::net::IpAddr>,
}

impl Resolved {
    /// Effective privileges = the credential's ∩ the owner's current ones (design §2.9).
    pub fn allows(&self, privilege: &str) -> bool {
        self.grant.privileges().contains(privilege) && self.owner.privileges.contains(privilege)
    }

    /// Whether the key's item access names the item.
    pub fn grants_item(&self, item_id: &str) -> bool {
        self.grant
            .item_access()
            .binary_search_by(|probe| probe.as_str().cmp(item_id))
            .is_ok()
    }

    /// The effective privilege set (for callers that need all of it, e.g. `community/self`).
    pub fn effective_privileges(&self) -> PrivilegeSet {
        self.grant.privileges().intersection(&self.owner.privileges)
    }
}

#[derive(Default)]
struct TableState {
    /// Every key and token, found by its digest.
    grants: hashbrown::HashSet<ByDigest, DigestHash>,
    /// Legacy keys by item id (one key per item), to replace or drop one.
    legacy_items: hashbrown::HashSet<ByItem, foldhash::fast::RandomState>,
    /// Digests of each credential item's keys and tokens, to replace or drop them together.
    app_items: HashMap<String, Vec<[u8; 32]>>,
    owners: HashMap<String, Arc<OwnerState>>,
    profiles: Profiles,
    legacy_retirement: Option<i64>,
}

#[derive(Default)]
pub struct KeyTable {
    state: RwLock<TableState>,
    /// API key grants used since the last `take_key_uses`, each once: the flush visits these,
    /// not the whole table (which may hold a million keys).
    used: Mutex<Vec<Arc<Grant>>>,
    /// API keys past their expiry date at the last housekeeping scan: counting them at every
    /// scrape would hold the table's lock over a million keys.
    expired_keys: std::sync::atomic::AtomicUsize,
    /// Each credential's recent refusals on this node.
    refusals: RefusalLog,
}

/// How many keys the table holds, by state (the `keyportal_keys` gauge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyStates {
    /// Held and honoured (less the expired ones the last housekeeping found).
    pub active: usize,
    /// API keys past their expiry date, as of the last housekeeping (every 10 minutes).
    pub expired: usize,
    /// Legacy keys after the organization's retirement date.
    pub retired: usize,
}

fn digest_from_hex(hex_hash: &str) -> Option<[u8; 32]> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(hex_hash, &mut digest).ok()?;
    Some(digest)
}

impl KeyTable {
    pub fn new() -> KeyTable {
        KeyTable::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, TableState> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, TableState> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Decides whether `token` is a key this deployment honours, from `referer` at `now`, for
    /// a request whose address is unknown (a key restricted to addresses is then refused).
    pub fn resolve(
        &self,
        token: &str,
        referer: Option<&str>,
        now: i64,
    ) -> Result<Resolved, Denial> {
        self.check(
            token,
            &KeyRequest {
                referer,
                ..KeyRequest::default()
            },
            now,
        )
    }

    /// Decides whether `token` is a key this deployment honours for `request` at `now`.
    /// `Err(Unknown)` for strings that are not keys at all (user tokens are not in here). A
    /// refusal of a known key is noted in the credential's recent refusals.
    pub fn check(
        &self,
        token: &str,
        request: &KeyRequest<'_>,
        now: i64,
    ) -> Result<Resolved, Denial> {
        // Only the digest of a key this deployment minted is in the table, and such a key has a
        // valid checksum: the checksum's own SHA-256 is needed only to say why a key is refused.
        let digest = key_hash(token);
        let state = self.read();
        let Some(ByDigest(grant)) = state.grants.get(&digest) else {
            if token.starts_with("AAPT") {
                parse_api_key(token).map_err(Denial::Malformed)?;
            }
            return Err(Denial::Unknown);
        };
        let owner = match decide(&state, grant, request, now) {
            Ok(owner) => owner,
            Err(denial) => {
                // Noted after the table's lock is released (writers never wait on it).
                let grant = Arc::clone(grant);
                drop(state);
                self.refusals
                    .record(&grant, denial.reason(), &request.facts(), now);
                return Err(denial);
            }
        };
        // SeqCst (free on x86 for these): a use the flush's unlisting misses is one whose
        // `last_used` the flush reads.
        grant.last_used.fetch_max(now, Ordering::SeqCst);
        if matches!(grant.kind, GrantKind::ApiKey(_))
            && !grant.listed.load(Ordering::SeqCst)
            && !grant.listed.swap(true, Ordering::SeqCst)
        {
            self.used
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Arc::clone(grant));
        }
        Ok(Resolved {
            grant: Arc::clone(grant),
            owner: Arc::clone(owner),
            address: None,
        })
    }

    /// The decision [`KeyTable::check`] would make for the key whose SHA-256 is `digest`,
    /// without noting a use or a refusal (`checkAccess`). `Err(Unknown)` when the table does
    /// not hold it.
    pub fn check_digest(
        &self,
        digest: &[u8; 32],
        request: &KeyRequest<'_>,
        now: i64,
    ) -> Result<Resolved, Denial> {
        let state = self.read();
        let ByDigest(grant) = state.grants.get(digest).ok_or(Denial::Unknown)?;
        let owner = decide(&state, grant, request, now)?;
        Ok(Resolved {
            grant: Arc::clone(grant),
            owner: Arc::clone(owner),
            address: request.address,
        })
    }

    /// Each credential's recent refusals on this node.
    pub fn refusals(&self) -> &RefusalLog {
        &self.refusals
    }

    /// True when the string has the shape of an API key or a legacy key (so a failed lookup
    /// is final and no user-token lookup is needed).
    pub fn looks_like_key(token: &str) -> bool {
        token.starts_with("AAPT") || is_legacy_key(token)
    }

    /// Sets (or, with `None`, forgets) an owner's current state.
    pub fn put_owner(&self, username: &str, owner: Option<OwnerState>) {
        let mut state = self.write();
        match owner {
            Some(owner) => {
                state.owners.insert(username.to_string(), Arc::new(owner));
            }
            None => {
                state.owners.remove(username);
            }
        }
    }

    pub fn set_legacy_retirement(&self, date: Option<i64>) {
        self.write().legacy_retirement = date;
    }

    pub fn legacy_retirement(&self) -> Option<i64> {
        self.read().legacy_retirement
    }

    /// Empties the table.
    pub fn clear(&self) {
        *self.write() = TableState::default();
    }

    /// Takes over everything `other` holds in one step: a full reload under traffic never
    /// shows a half-loaded table. Uses of the replaced grants stay listed for the next
    /// `take_key_uses`.
    pub fn replace_with(&self, other: KeyTable) {
        let state = other
            .state
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *self.write() = state;
    }

    /// Number of keys and tokens held.
    pub fn len(&self) -> usize {
        self.read().grants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys held by state, without visiting them.
    pub fn key_states(&self, now: i64) -> KeyStates {
        let state = self.read();
        let retired = if state.legacy_retirement.is_some_and(|date| now >= date) {
            state.legacy_items.len()
        } else {
            0
        };
        let expired = self.expired_keys.load(Ordering::Relaxed);
        KeyStates {
            active: state.grants.len().saturating_sub(retired + expired),
            expired,
            retired,
        }
    }

    /// Number of distinct profiles (owner, privileges, referrers) the keys share.
    pub fn profile_count(&self) -> usize {
        self.read().profiles.len()
    }

    /// Slot uses since the previous call, for the batched `last_used` write.
    pub fn take_key_uses(&self) -> Vec<KeyUse> {
        let used = std::mem::take(&mut *self.used.lock().unwrap_or_else(|p| p.into_inner()));
        let mut uses = Vec::with_capacity(used.len());
        for grant in used {
            // Unlisted before reading `last_used`: a use from now on lists the grant again.
            grant.listed.store(false, Ordering::SeqCst);
            let GrantKind::ApiKey(slot) = grant.kind else {
                continue;
            };
            let last = grant.last_used.load(Ordering::SeqCst);
            if last > grant.flushed.swap(last, Ordering::Relaxed) {
                uses.push(KeyUse {
                    client_id: grant.client_id().to_string(),
                    slot: slot.number(),
                    when: last,
                });
            }
        }
        uses
    }
}
