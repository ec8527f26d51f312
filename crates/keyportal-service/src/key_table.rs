//! The in-memory key table: every API key, app token and legacy key the deployment honours,
//! by SHA-256, with what it may do. Checking a key reads only this table — no database, no
//! allocation — and every write that changes a credential, an owner or a role updates it
//! (on this node directly, on the others through the change feed).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use keyportal_domain::api_key::{is_legacy_key, key_hash, parse_api_key, KeyFormatError, KeySlot};
use keyportal_domain::credential::{AppRegistration, AppToken};
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::privilege::{item_access_target, PrivilegeSet};
use keyportal_domain::referrer::{matches_any, ReferrerPattern};
use keyportal_store::KeyUse;

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

type DigestMap<V> = HashMap<[u8; 32], V, BuildHasherDefault<DigestHasher>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    ApiKey(KeySlot),
    AppToken,
    Legacy,
}

/// What one key may do.
#[derive(Debug)]
pub struct Grant {
    pub kind: GrantKind,
    /// The app's client id (legacy keys: their item id).
    pub client_id: String,
    pub item_id: String,
    pub owner: String,
    /// Epoch ms; `i64::MAX` for legacy keys (retirement is checked separately).
    pub expires: i64,
    pub referrers: Vec<ReferrerPattern>,
    /// Catalog privileges of the credential.
    pub privileges: PrivilegeSet,
    /// Item ids of `portal:app:access:item:*` grants, sorted.
    pub item_access: Vec<String>,
    /// Acts as its owner (design §2.10).
    pub personal: bool,
    /// The client id, shared cheaply with usage counters (no allocation per request).
    pub usage_key: Arc<str>,
    last_used: AtomicI64,
    flushed: AtomicI64,
    /// Whether the grant is in the table's list of keys used since the last flush.
    listed: AtomicBool,
}

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
    /// The owner is disabled or no longer exists.
    OwnerInactive,
    /// A legacy key after the organization's retirement date.
    Retired,
}

impl GrantKind {
    /// The slot number usage is counted under: 1 or 2 for API keys, 0 otherwise.
    pub fn slot_number(self) -> u8 {
        match self {
            GrantKind::ApiKey(slot) => slot.number(),
            GrantKind::AppToken | GrantKind::Legacy => 0,
        }
    }
}

impl Denial {
    pub fn reason(self) -> &'static str {
        match self {
            Denial::Malformed(_) => "malformed",
            Denial::Unknown => "unknown",
            Denial::Expired => "expired",
            Denial::Referrer => "referrer",
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
}

impl Resolved {
    /// Effective privileges = the credential's ∩ the owner's current ones (design §2.9).
    pub fn allows(&self, privilege: &str) -> bool {
        self.grant.privileges.contains(privilege) && self.owner.privileges.contains(privilege)
    }

    /// Whether the key's item access names the item.
    pub fn grants_item(&self, item_id: &str) -> bool {
        self.grant
            .item_access
            .binary_search_by(|probe| probe.as_str().cmp(item_id))
            .is_ok()
    }

    /// The effective privilege set (for callers that need all of it, e.g. `community/self`).
    pub fn effective_privileges(&self) -> PrivilegeSet {
        self.grant.privileges.intersection(&self.owner.privileges)
    }
}

#[derive(Default)]
struct TableState {
    grants: DigestMap<Arc<Grant>>,
    /// Every digest belonging to a credential item, to replace or drop them together.
    by_item: HashMap<String, Vec<[u8; 32]>>,
    owners: HashMap<String, Arc<OwnerState>>,
    legacy_retirement: Option<i64>,
}

#[derive(Default)]
pub struct KeyTable {
    state: RwLock<TableState>,
    /// API key grants used since the last `take_key_uses`, each once: the flush visits these,
    /// not the whole table (which may hold a hundred thousand keys).
    used: Mutex<Vec<Arc<Grant>>>,
}

fn digest_from_hex(hex_hash: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(hex_hash).ok()?;
    bytes.try_into().ok()
}

fn split_privileges(privileges: &[String]) -> (PrivilegeSet, Vec<String>) {
    let catalog = privileges
        .iter()
        .filter(|p| item_access_target(p).is_none())
        .map(String::as_str)
        .collect();
    let mut items: Vec<String> = privileges
        .iter()
        .filter_map(|p| item_access_target(p))
        .map(str::to_string)
        .collect();
    items.sort();
    items.dedup();
    (catalog, items)
}

fn parse_referrers(patterns: &[String]) -> Vec<ReferrerPattern> {
    // Stored patterns were validated when saved; one that no longer parses is dropped and
    // logged rather than silently widening access: with no parsable pattern the key
    // would be unrestricted, so an unparsable list keeps a pattern nothing matches.
    let parsed: Vec<ReferrerPattern> = patterns
        .iter()
        .filter_map(|p| match ReferrerPattern::parse(p) {
            Ok(pattern) => Some(pattern),
            Err(error) => {
                tracing::error!(%error, "stored referrer pattern no longer parses");
                None
            }
        })
        .collect();
    if parsed.is_empty() && !patterns.is_empty() {
        ReferrerPattern::parse("https://invalid.invalid")
            .into_iter()
            .collect()
    } else {
        parsed
    }
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

    /// Decides whether `token` is a key this deployment honours, from `referer` at `now`.
    /// `Err(Unknown)` for strings that are not keys at all (user tokens are not in here).
    pub fn resolve(
        &self,
        token: &str,
        referer: Option<&str>,
        now: i64,
    ) -> Result<Resolved, Denial> {
        // Only the digest of a key this deployment minted is in the table, and such a key has a
        // valid checksum: the checksum's own SHA-256 is needed only to say why a key is refused.
        let digest = key_hash(token);
        let state = self.read();
        let Some(grant) = state.grants.get(&digest) else {
            if token.starts_with("AAPT") {
                parse_api_key(token).map_err(Denial::Malformed)?;
            }
            return Err(Denial::Unknown);
        };
        if grant.kind == GrantKind::Legacy {
            if state.legacy_retirement.is_some_and(|date| now >= date) {
                return Err(Denial::Retired);
            }
        } else if now >= grant.expires {
            return Err(Denial::Expired);
        }
        if !matches_any(&grant.referrers, referer) {
            return Err(Denial::Referrer);
        }
        let owner = state
            .owners
            .get(&grant.owner)
            .ok_or(Denial::OwnerInactive)?;
        if owner.disabled {
            return Err(Denial::OwnerInactive);
        }
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
        })
    }

    /// True when the string has the shape of an API key or a legacy key (so a failed lookup
    /// is final and no user-token lookup is needed).
    pub fn looks_like_key(token: &str) -> bool {
        token.starts_with("AAPT") || is_legacy_key(token)
    }

    /// Replaces everything the table holds for a credential item with its current slots and
    /// app tokens. Keys of inactive or expired slots are simply absent.
    pub fn put_app(&self, app: &AppRegistration, app_tokens: &[AppToken]) {
        let (privileges, item_access) = split_privileges(&app.privileges);
        let referrers = parse_referrers(&app.http_referrers);
        let grant = |kind: GrantKind, expires: i64, last_used: i64| Grant {
            kind,
            client_id: app.client_id.clone(),
            item_id: app.item_id.clone(),
            owner: app.owner.clone(),
            expires,
            referrers: referrers.clone(),
            privileges: privileges.clone(),
            item_access: item_access.clone(),
            personal: app.is_personal,
            usage_key: Arc::from(app.client_id.as_str()),
            last_used: AtomicI64::new(last_used),
            flushed: AtomicI64::new(last_used),
            listed: AtomicBool::new(false),
        };
        let mut entries: Vec<([u8; 32], Grant)> = Vec::new();
        for (slot, state) in [KeySlot::One, KeySlot::Two]
            .into_iter()
            .zip(app.slots.iter())
        {
            if let (true, Some(digest)) = (
                state.active,
                state.key_hash.as_deref().and_then(digest_from_hex),
            ) {
                entries.push((
                    digest,
                    grant(GrantKind::ApiKey(slot), state.expiration, state.last_used),
                ));
            }
        }
        for token in app_tokens.iter().filter(|t| t.client_id == app.client_id) {
            if let Some(digest) = digest_from_hex(&token.hash) {
                entries.push((digest, grant(GrantKind::AppToken, token.expires, -1)));
            }
        }
        let mut state = self.write();
        Self::drop_item(&mut state, &app.item_id);
        let digests: Vec<[u8; 32]> = entries.iter().map(|(d, _)| *d).collect();
        for (digest, grant) in entries {
            state.grants.insert(digest, Arc::new(grant));
        }
        state.by_item.insert(app.item_id.clone(), digests);
    }

    pub fn put_legacy(&self, key: &LegacyKey) {
        let Some(digest) = digest_from_hex(&key.key_hash) else {
            return;
        };
        let (privileges, item_access) = split_privileges(&key.privileges);
        let mut state = self.write();
        Self::drop_item(&mut state, &key.item_id);
        if key.active {
            state.grants.insert(
                digest,
                Arc::new(Grant {
                    kind: GrantKind::Legacy,
                    client_id: key.item_id.clone(),
                    item_id: key.item_id.clone(),
                    owner: key.owner.clone(),
                    expires: i64::MAX,
                    referrers: parse_referrers(&key.http_referrers),
                    privileges,
                    item_access,
                    personal: false,
                    usage_key: Arc::from(key.item_id.as_str()),
                    last_used: AtomicI64::new(key.last_used),
                    flushed: AtomicI64::new(key.last_used),
                    listed: AtomicBool::new(false),
                }),
            );
            state.by_item.insert(key.item_id.clone(), vec![digest]);
        }
    }

    /// Forgets every key of a credential or legacy item.
    pub fn remove_item(&self, item_id: &str) {
        let mut state = self.write();
        Self::drop_item(&mut state, item_id);
    }

    fn drop_item(state: &mut TableState, item_id: &str) {
        if let Some(digests) = state.by_item.remove(item_id) {
            for digest in digests {
                state.grants.remove(&digest);
            }
        }
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

    /// Forgets app tokens that have expired (keys stay: their slots say why they fail).
    pub fn drop_expired_app_tokens(&self, now: i64) -> usize {
        let mut state = self.write();
        let expired: Vec<[u8; 32]> = state
            .grants
            .iter()
            .filter(|(_, g)| g.kind == GrantKind::AppToken && now >= g.expires)
            .map(|(digest, _)| *digest)
            .collect();
        for digest in &expired {
            state.grants.remove(digest);
        }
        for digests in state.by_item.values_mut() {
            digests.retain(|d| !expired.contains(d));
        }
        expired.len()
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
                    client_id: grant.client_id.clone(),
                    slot: slot.number(),
                    when: last,
                });
            }
        }
        uses
    }
}
