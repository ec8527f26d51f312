//! Identifiers in the shapes ArcGIS uses: 32 lower-case hex characters for items, groups and
//! folders; 16 alphanumerics for organizations and custom roles. Parsing untrusted ids up front
//! keeps malformed input away from every store query.

use crate::error::DomainError;
use crate::secret::{random_alphanumeric, random_bytes, random_hex};

/// A fresh 32-hex identifier (items, groups, folders, users).
pub fn new_hex_id() -> String {
    random_hex::<16>()
}

/// 32-hex identifiers for a run of `count` new items that increase along the run: the `k`-th
/// is `start + k·2⁶⁴ + r` with `start` and every `r` (64 bits) drawn fresh, so each id is as
/// hard to guess as 64 random bits plus a random start, yet a bulk write of the run appends to
/// every index keyed by id instead of writing all over it (the idea of UUIDv7 and ULIDs).
#[derive(Debug, Clone, Copy)]
pub struct AscendingIds {
    start: u128,
}

impl AscendingIds {
    /// A run of `count` ids, placed at random where all of them fit.
    pub fn new(count: u64) -> AscendingIds {
        let span = (u128::from(count) + 1).saturating_mul(1 << 64);
        let room = u128::MAX.saturating_sub(span).max(1);
        let start = u128::from_le_bytes(random_bytes::<16>()) % room;
        AscendingIds { start }
    }

    /// The `k`-th id of the run (`k` < the run's `count`).
    pub fn id(&self, k: u64) -> String {
        let low = u128::from(u64::from_le_bytes(random_bytes::<8>()));
        format!("{:032x}", self.start + (u128::from(k) << 64) + low)
    }
}

/// A fresh 16-character alphanumeric identifier (organizations, custom roles).
pub fn new_short_id() -> String {
    random_alphanumeric(16)
}

/// True for exactly 32 hex digits (either case; ArcGIS ids are lower case).
pub fn is_hex_id(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Validates an item id from the wire, normalising it to lower case.
pub fn parse_item_id(value: &str) -> Result<String, DomainError> {
    if is_hex_id(value) {
        Ok(value.to_ascii_lowercase())
    } else {
        // A malformed id can never name an item: answer as for an unknown one.
        Err(DomainError::ItemNotFound)
    }
}

/// Validates a group or folder id from the wire.
pub fn parse_hex_id(value: &str, what: &str) -> Result<String, DomainError> {
    if is_hex_id(value) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(DomainError::invalid(format!(
            "Invalid {what} id '{}'.",
            shorten(value)
        )))
    }
}

/// The longest username (ASCII only, so also its length in bytes).
pub const MAX_USERNAME_LEN: usize = 128;

/// Usernames: 3–128 characters of letters, digits and `_ . @ -`, case-sensitive.
pub fn validate_username(value: &str) -> Result<(), DomainError> {
    let ok_len = (3..=MAX_USERNAME_LEN).contains(&value.chars().count());
    let ok_chars = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(DomainError::invalid_with(
            "Invalid username.",
            vec![
                "A username has 3 to 128 characters: letters, digits, '_', '.', '@' or '-'.".into(),
            ],
        ))
    }
}

/// Cuts untrusted text before echoing it in an error message.
pub fn shorten(value: &str) -> String {
    const MAX: usize = 64;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        let mut cut: String = value.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascending_ids_increase_along_a_run_and_differ_between_runs() {
        for count in [1_u64, 3, 1_000_000, u64::MAX] {
            let run = AscendingIds::new(count);
            let ids: Vec<String> = (0..3.min(count)).map(|k| run.id(k)).collect();
            assert!(ids
                .iter()
                .all(|id| is_hex_id(id) && id == &id.to_lowercase()));
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        }
        let run = AscendingIds::new(1_000_000);
        assert!(run.id(999_998) < run.id(999_999));
        assert_ne!(run.id(0), run.id(0), "the low 64 bits are drawn per id");
        assert_ne!(AscendingIds::new(10).id(0), AscendingIds::new(10).id(0));
    }

    #[test]
    fn hex_ids_are_32_lower_hex() {
        let id = new_hex_id();
        assert!(is_hex_id(&id));
        assert_eq!(id, id.to_ascii_lowercase());
    }

    #[test]
    fn malformed_item_ids_are_not_found() {
        assert_eq!(parse_item_id("abc"), Err(DomainError::ItemNotFound));
        assert_eq!(
            parse_item_id("' OR 1=1 --aaaaaaaaaaaaaaaaaaaaaaa"),
            Err(DomainError::ItemNotFound)
        );
        assert_eq!(
            parse_item_id("DA7720EFF87C4F5B9504F526AD6F0C6E").as_deref(),
            Ok("da7720eff87c4f5b9504f526ad6f0c6e")
        );
    }

    #[test]
    fn usernames_are_validated() {
        assert!(validate_username("jdoe").is_ok());
        assert!(validate_username("j.doe@example.com").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username("a b c").is_err());
        assert!(validate_username("robert'); DROP TABLE users;--").is_err());
    }

    #[test]
    fn shorten_caps_echoed_input() {
        let long = "x".repeat(500);
        assert_eq!(shorten(&long).chars().count(), 65);
        assert_eq!(shorten("short"), "short");
    }
}
