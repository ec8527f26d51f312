//! Passwords: Argon2id with a random salt, and the rules a new password must meet. Hashing is
//! deliberately slow and uses 19 MiB of working memory, so callers give it a [`HashMemory`]
//! they keep and reuse (the service runs a few hashing threads, each with its own): however
//! many sign-ins arrive, memory stays at threads × 19 MiB, allocated once.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::DomainError;

/// Working memory for Argon2, grown to the largest cost it has served and then reused.
#[derive(Default)]
pub struct HashMemory {
    blocks: Vec<Block>,
}

impl std::fmt::Debug for HashMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HashMemory({} KiB)", self.blocks.len())
    }
}

impl HashMemory {
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.blocks.len() < count {
            self.blocks.resize(count, Block::new());
        }
        &mut self.blocks[..count]
    }

    /// Bytes held (for tests and metrics).
    pub fn bytes(&self) -> usize {
        self.blocks.len() * Block::SIZE
    }
}

/// Runs Argon2 with `params` into an output of `len` bytes, in `memory`.
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    password: &str,
    salt: &[u8],
    len: usize,
    memory: &mut HashMemory,
) -> Option<Output> {
    let argon = Argon2::new(algorithm, version, params.clone());
    let blocks = memory.blocks(params.block_count());
    Output::init_with(len, |out| {
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut *blocks)
            .map_err(Into::into)
    })
    .ok()
}

/// A PHC-format Argon2id hash of `password` (default parameters: m=19 MiB, t=2, p=1).
pub fn hash_password(password: &str, memory: &mut HashMemory) -> Result<String, DomainError> {
    let failed = || DomainError::invalid("The password could not be hashed.");
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let params = Params::default();
    let output = compute(
        Algorithm::Argon2id,
        Version::V0x13,
        &params,
        password,
        &salt,
        Params::DEFAULT_OUTPUT_LEN,
        memory,
    )
    .ok_or_else(failed)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| failed())?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|_| failed())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// True when `password` matches the stored PHC hash (any Argon2 variant and parameters; the
/// comparison is constant-time).
pub fn verify_password(password: &str, stored_hash: &str, memory: &mut HashMemory) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    compute(
        algorithm,
        version,
        &params,
        password,
        salt,
        expected.len(),
        memory,
    )
    .is_some_and(|computed| computed == expected)
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
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let mut memory = HashMemory::default();
        let hash = hash_password("correct horse 1", &mut memory).expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse 1", &hash, &mut memory));
        assert!(!verify_password("correct horse 2", &hash, &mut memory));
        assert!(!verify_password("anything", "not a hash", &mut memory));
        assert!(!verify_password(
            "anything",
            "$argon2id$v=19$m=19456",
            &mut memory
        ));
        // One computation's worth of memory, kept for the next.
        assert_eq!(memory.bytes(), 19 * 1024 * 1024);
    }

    #[test]
    fn hashes_interoperate_with_the_argon2_crate() {
        let mut memory = HashMemory::default();
        // Ours, checked by the crate's own verifier.
        let ours = hash_password("s3cret-pass", &mut memory).expect("hash");
        let parsed = PasswordHash::new(&ours).expect("phc");
        assert!(Argon2::default()
            .verify_password(b"s3cret-pass", &parsed)
            .is_ok());
        // The crate's (as stored by earlier versions, and with other parameters), checked by ours.
        let small = Params::new(64, 1, 1, None).expect("params");
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        for argon in [
            Argon2::default(),
            Argon2::new(Algorithm::Argon2i, Version::V0x10, small),
        ] {
            let theirs = argon
                .hash_password(b"s3cret-pass", &salt)
                .expect("hash")
                .to_string();
            assert!(verify_password("s3cret-pass", &theirs, &mut memory));
            assert!(!verify_password("s3cret-pasS", &theirs, &mut memory));
        }
    }

    #[test]
    fn password_rules() {
        assert!(validate_new_password("abcdefg1").is_ok());
        assert!(validate_new_password("short1").is_err());
        assert!(validate_new_password("nodigitshere").is_err());
        assert!(validate_new_password("12345678").is_err());
    }
}
