//! Identifiers in the shapes ArcGIS uses: 32 lower-case hex characters for items, groups and
//! folders; 16 alphanumerics for organizations and custom roles. Parsing untrusted ids up front
//! keeps malformed input away from every store query.

use crate::error::DomainError;
use crate::secret::{random_alphanumeric, random_hex};

/// A fresh 32-hex identifier (items, groups, folders, users).
pub fn new_hex_id() -> String {
    random_hex::<16>()
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
