//! Passwords: Argon2id with a random salt, and the rules a new password must meet. Hashing is
//! deliberately slow, so callers in async code run it on a blocking thread.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::DomainError;

/// A PHC-format Argon2id hash of `password`.
pub fn hash_password(password: &str) -> Result<String, DomainError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| DomainError::invalid("The password could not be hashed."))
}

/// True when `password` matches the stored PHC hash (constant-time inside argon2).
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A password has 8–256 characters with at least one letter and one digit.
pub fn validate_new_password(password: &str) -> Result<(), DomainError> {
    let len = password.chars().count();
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if (8..=256).contains(&len) && has_letter && has_digit {
        Ok(())
    } else {
        Err(DomainError::invalid_with(
            "The password does not meet the requirements.",
            vec![
                "A password has 8 to 256 characters, with at least one letter and one number."
                    .into(),
            ],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let hash = hash_password("correct horse 1").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse 1", &hash));
        assert!(!verify_password("correct horse 2", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn password_rules() {
        assert!(validate_new_password("abcdefg1").is_ok());
        assert!(validate_new_password("short1").is_err());
        assert!(validate_new_password("nodigitshere").is_err());
        assert!(validate_new_password("12345678").is_err());
    }
}
