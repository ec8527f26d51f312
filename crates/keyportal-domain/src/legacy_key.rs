//! Legacy API keys (`AAPK…`): imported as hashes, usable until the organization retires them,
//! never created or edited (ArcGIS stopped that in June 2024).

use crate::time::EpochMillis;

/// An imported legacy key. The key itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyKey {
    /// The `API Key` item that represents the key in the owner's content.
    pub item_id: String,
    pub owner: String,
    /// Hex SHA-256 of the key.
    pub key_hash: String,
    pub key_hint: String,
    /// Catalog privileges and `portal:app:access:item:<id>` grants, sorted.
    pub privileges: Vec<String>,
    /// Normalised referrer patterns.
    pub http_referrers: Vec<String>,
    /// False once invalidated (by its owner or an administrator).
    pub active: bool,
    pub created: EpochMillis,
    pub last_used: EpochMillis,
}

impl LegacyKey {
    /// Whether the key authenticates at `now`, given the organization's retirement date
    /// (`None` = not retired yet).
    pub fn is_usable(&self, now: EpochMillis, retirement: Option<EpochMillis>) -> bool {
        self.active && retirement.is_none_or(|date| now < date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_keys_stop_at_retirement_or_invalidation() {
        let mut key = LegacyKey {
            item_id: "1".repeat(32),
            owner: "jdoe".into(),
            key_hash: "h".into(),
            key_hint: "AAPK1234…abcd".into(),
            privileges: vec![],
            http_referrers: vec![],
            active: true,
            created: 0,
            last_used: -1,
        };
        assert!(key.is_usable(100, None));
        assert!(key.is_usable(99, Some(100)));
        assert!(!key.is_usable(100, Some(100)));
        key.active = false;
        assert!(!key.is_usable(0, None));
    }
}
