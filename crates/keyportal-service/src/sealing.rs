//! Sealing secrets the protocol must hand back later (an app's `client_secret` is returned by
//! `registeredAppInfo`), so they cannot be stored as hashes: they are encrypted with
//! ChaCha20-Poly1305 under a server key that never enters the database.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use keyportal_domain::secret::{random_bytes, SecretString};

use crate::error::{ServiceError, ServiceResult};

const VERSION: &str = "v1";

/// The server's sealing key. Nodes sharing one database must share it
/// (`KEYPORTAL_SECRET_KEY`, or the same `secret.key` file).
#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key redacted>)")
    }
}

impl Sealer {
    pub fn new(key: [u8; 32]) -> Sealer {
        Sealer {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        }
    }

    /// A fresh random key, base64url-encoded (what `secret.key` holds).
    pub fn generate_key_text() -> String {
        URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    }

    /// Reads a key from its base64url text.
    pub fn from_key_text(text: &str) -> Result<Sealer, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| "the secret key is not base64url text".to_string())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be 32 bytes".to_string())?;
        Ok(Sealer::new(key))
    }

    /// `v1.<nonce+ciphertext, base64url>`.
    pub fn seal(&self, plaintext: &str) -> ServiceResult<String> {
        let nonce_bytes = random_bytes::<12>();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce_bytes), plaintext.as_bytes())
            .map_err(|_| ServiceError::Internal("sealing failed".into()))?;
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(out)))
    }

    pub fn open(&self, sealed: &str) -> ServiceResult<SecretString> {
        let wrong = || {
            ServiceError::Internal(
                "a sealed secret cannot be opened: is this node's secret key the one that sealed it?".into(),
            )
        };
        let body = sealed
            .strip_prefix(VERSION)
            .and_then(|rest| rest.strip_prefix('.'))
            .ok_or_else(wrong)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| wrong())?;
        if bytes.len() < 12 {
            return Err(wrong());
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| wrong())?;
        String::from_utf8(plain)
            .map(SecretString::new)
            .map_err(|_| wrong())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let key = Sealer::generate_key_text();
        let sealer = Sealer::from_key_text(&key).expect("key");
        let sealed = sealer
            .seal("9304ce3ace33400aa606b57b19b574ae")
            .expect("seal");
        assert!(!sealed.contains("9304ce3a"));
        assert_eq!(
            sealer.open(&sealed).expect("open").expose(),
            "9304ce3ace33400aa606b57b19b574ae"
        );
        assert_ne!(
            sealed,
            sealer
                .seal("9304ce3ace33400aa606b57b19b574ae")
                .expect("seal"),
            "fresh nonce"
        );
        let other = Sealer::from_key_text(&Sealer::generate_key_text()).expect("key");
        assert!(other.open(&sealed).is_err());
        assert!(sealer.open("v1.garbage").is_err());
        assert!(Sealer::from_key_text("short").is_err());
    }
}
