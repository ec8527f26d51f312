//! Leaked keys: anyone may report strings found in public (a repository, a paste, a log), and
//! every one of them that is a live API key or legacy key is revoked at once. The rules here
//! are pure: reading a report (`report`), the per-address allowance of reports (`quota`), and
//! GitHub's secret scanning partner format and signatures (`github`).

pub mod github;
pub mod quota;
pub mod report;

use crate::api_key::KeySlot;
use crate::time::EpochMillis;

pub use quota::{AddressQuota, QuotaExceeded};
pub use report::{check_source, clean_source, parse_reported_keys, MAX_REPORTED_KEYS};

/// The record that a key was revoked because it was reported as leaked: what the item page
/// shows ("revoked as leaked on … found at …"). The key itself is never kept, only its hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLeak {
    /// The credential's (or legacy key's) item.
    pub item_id: String,
    /// The API key slot, or `None` for a legacy key.
    pub slot: Option<KeySlot>,
    /// The first and last characters of the key, as the slot showed them.
    pub key_hint: String,
    /// When the key was revoked (epoch ms).
    pub revoked: EpochMillis,
    /// Where the reporter found it (a URL or a few words); empty when they did not say.
    pub source: String,
}

/// Who made a report, for the record and the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reporter {
    /// `oauth2/revokeLeakedKeys`: anyone, unauthenticated.
    Public,
    /// GitHub's secret scanning, its signature verified.
    GitHub,
}
