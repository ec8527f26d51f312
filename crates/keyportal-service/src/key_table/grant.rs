//! One key's grant, laid out small: a million of them must fit in a few hundred megabytes.
//! What many keys share (owner, privileges, item access, referrers) lives once in an interned
//! [`Profile`]; the grant itself is one allocation holding the digest, the item id as 16 bytes,
//! the times and the counters.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::{Arc, OnceLock};

use keyportal_domain::address::AddressPattern;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::privilege::PrivilegeSet;
use keyportal_domain::referrer::ReferrerPattern;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    ApiKey(KeySlot),
    AppToken,
    Legacy,
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

/// An id as the table keeps it: item ids are 32 lower-case hex digits, held as their 16 bytes;
/// anything else (never minted here, but the store does not forbid it) as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CompactId {
    Hex([u8; 16]),
    Text(Box<str>),
}

impl CompactId {
    pub fn new(id: &str) -> CompactId {
        let lower_hex = id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let mut bytes = [0u8; 16];
        if lower_hex && hex::decode_to_slice(id, &mut bytes).is_ok() {
            CompactId::Hex(bytes)
        } else {
            CompactId::Text(id.into())
        }
    }

    /// The id as text, spelled into `buf` when held as bytes (no allocation).
    pub fn spell<'a>(&'a self, buf: &'a mut [u8; 32]) -> &'a str {
        match self {
            CompactId::Hex(bytes) => {
                // Cannot fail: the buffer is exactly twice the bytes, and hex is ASCII.
                if hex::encode_to_slice(bytes, &mut buf[..]).is_err() {
                    return "";
                }
                std::str::from_utf8(&buf[..]).unwrap_or_default()
            }
            CompactId::Text(text) => text,
        }
    }
}

impl fmt::Display for CompactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spell(&mut [0u8; 32]))
    }
}

/// What keys share: interned per distinct value, so a million imported keys of one owner with
/// one privilege list hold one profile between them.
#[derive(Debug)]
pub struct Profile {
    pub(super) owner: Arc<str>,
    /// Catalog privileges of the credential.
    pub(super) privileges: PrivilegeSet,
    /// Item ids of `portal:app:access:item:*` grants, sorted.
    pub(super) item_access: Vec<String>,
    pub(super) referrers: Vec<ReferrerPattern>,
    /// Addresses and blocks the key may be used from (empty: anywhere).
    pub(super) addresses: Vec<AddressPattern>,
    /// Acts as its owner (design §2.10).
    pub(super) personal: bool,
}

/// What one key may do.
#[derive(Debug)]
pub struct Grant {
    pub(super) digest: [u8; 32],
    pub(super) item: CompactId,
    /// The client id usage is counted under (legacy keys: their item id). Credentials set it
    /// when built; a legacy key spells its item id out on first use, once, not per request.
    pub(super) usage_key: OnceLock<Arc<str>>,
    pub(super) profile: Arc<Profile>,
    /// Epoch ms; `i64::MAX` for legacy keys (retirement is checked separately).
    pub(super) expires: i64,
    pub(super) last_used: AtomicI64,
    pub(super) flushed: AtomicI64,
    pub kind: GrantKind,
    /// Whether the grant is in the table's list of keys used since the last flush.
    pub(super) listed: AtomicBool,
}

impl Grant {
    pub(super) fn new(
        digest: [u8; 32],
        item: CompactId,
        kind: GrantKind,
        profile: Arc<Profile>,
        expires: i64,
        last_used: i64,
    ) -> Grant {
        Grant {
            digest,
            item,
            usage_key: OnceLock::new(),
            profile,
            expires,
            last_used: AtomicI64::new(last_used),
            flushed: AtomicI64::new(last_used),
            kind,
            listed: AtomicBool::new(false),
        }
    }

    pub(super) fn with_usage_key(self, key: Arc<str>) -> Grant {
        let _ = self.usage_key.set(key);
        self
    }

    /// The client id, shared with usage counters (no allocation per request).
    pub fn usage_key(&self) -> &Arc<str> {
        self.usage_key
            .get_or_init(|| Arc::from(self.item.to_string().as_str()))
    }

    /// The app's client id (legacy keys: their item id).
    pub fn client_id(&self) -> &str {
        self.usage_key()
    }

    pub fn item_id(&self) -> String {
        self.item.to_string()
    }

    /// The item id without allocating (for the verify answer).
    pub fn item(&self) -> &CompactId {
        &self.item
    }

    pub fn owner(&self) -> &str {
        &self.profile.owner
    }

    pub fn privileges(&self) -> &PrivilegeSet {
        &self.profile.privileges
    }

    /// Item ids of the key's item access grants, sorted.
    pub fn item_access(&self) -> &[String] {
        &self.profile.item_access
    }

    pub fn referrers(&self) -> &[ReferrerPattern] {
        &self.profile.referrers
    }

    pub fn addresses(&self) -> &[AddressPattern] {
        &self.profile.addresses
    }

    pub fn personal(&self) -> bool {
        self.profile.personal
    }

    /// Epoch ms; `i64::MAX` for legacy keys.
    pub fn expires(&self) -> i64 {
        self.expires
    }
}

/// A grant in the digest set: hashed and compared by its digest, so the set is found by a
/// `[u8; 32]` and holds one pointer per key (the digest is in the grant).
#[derive(Debug, Clone)]
pub(super) struct ByDigest(pub(super) Arc<Grant>);

impl Hash for ByDigest {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.digest.hash(state);
    }
}

impl PartialEq for ByDigest {
    fn eq(&self, other: &Self) -> bool {
        self.0.digest == other.0.digest
    }
}

impl Eq for ByDigest {}

impl Borrow<[u8; 32]> for ByDigest {
    fn borrow(&self) -> &[u8; 32] {
        &self.0.digest
    }
}

/// A legacy key in the item set: hashed and compared by its item id (one key per item).
#[derive(Debug, Clone)]
pub(super) struct ByItem(pub(super) Arc<Grant>);

impl Hash for ByItem {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.item.hash(state);
    }
}

impl PartialEq for ByItem {
    fn eq(&self, other: &Self) -> bool {
        self.0.item == other.0.item
    }
}

impl Eq for ByItem {}

impl Borrow<CompactId> for ByItem {
    fn borrow(&self) -> &CompactId {
        &self.0.item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_item_ids_are_held_as_bytes_and_spelled_back_exactly() {
        let id = "0123456789abcdef0123456789abcdef";
        assert!(matches!(CompactId::new(id), CompactId::Hex(_)));
        assert_eq!(CompactId::new(id).to_string(), id);
        // Upper case would not spell back the same: kept as text.
        let upper = "0123456789ABCDEF0123456789ABCDEF";
        assert_eq!(CompactId::new(upper), CompactId::Text(upper.into()));
        assert_eq!(CompactId::new("short").to_string(), "short");
    }

    #[test]
    fn a_grant_is_small() {
        // One allocation per key: digest, id, usage key, profile pointer, times, counters.
        assert!(
            std::mem::size_of::<Grant>() <= 128,
            "{}",
            std::mem::size_of::<Grant>()
        );
        assert_eq!(std::mem::size_of::<ByDigest>(), 8);
    }
}
