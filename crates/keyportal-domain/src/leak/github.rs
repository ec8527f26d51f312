//! GitHub's secret scanning partner program: GitHub posts the tokens it found in public
//! repositories as a JSON array of `{"token","type","url","source"}`, signed with ECDSA P-256
//! over SHA-256 of the raw body (DER signature, base64, in `Github-Public-Key-Signature`) with
//! the key named by `Github-Public-Key-Identifier`. GitHub publishes its keys as
//! `{"public_keys":[{"key_identifier","key":"<PEM>","is_current"}]}`; the operator saves that
//! document in a file keyportal reads at start.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;
use thiserror::Error;

use crate::error::DomainError;
use crate::leak::report::MAX_REPORTED_KEYS;
use crate::secret::SecretString;

/// The longest signature header read (a DER P-256 signature is at most 72 bytes).
const MAX_SIGNATURE_CHARS: usize = 200;

/// Why a request is not accepted as GitHub's: answered 401, and nothing is revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("The Github-Public-Key-Identifier or Github-Public-Key-Signature header is missing.")]
    Missing,
    #[error("The Github-Public-Key-Identifier names no key this portal trusts.")]
    UnknownKey,
    #[error("The Github-Public-Key-Signature is not a base64 DER ECDSA signature.")]
    Malformed,
    #[error("The signature does not match the body.")]
    Mismatch,
}

/// One key of GitHub's published document.
#[derive(Debug, Clone)]
struct TrustedKey {
    id: String,
    key: VerifyingKey,
    current: bool,
}

/// The public keys signatures are checked against.
#[derive(Debug, Clone)]
pub struct ScanningKeys {
    keys: Vec<TrustedKey>,
}

#[derive(Deserialize)]
struct Document {
    public_keys: Vec<DocumentKey>,
}

#[derive(Deserialize)]
struct DocumentKey {
    key_identifier: String,
    key: String,
    #[serde(default)]
    is_current: bool,
}

impl ScanningKeys {
    /// Reads GitHub's document. Every key must be a P-256 public key in PEM (SPKI); an empty
    /// list is refused, since it would refuse every report. The message names the key.
    pub fn from_document(json: &str) -> Result<ScanningKeys, String> {
        let document: Document = serde_json::from_str(json).map_err(|e| {
            format!("not a key document {{\"public_keys\":[{{\"key_identifier\",\"key\",\"is_current\"}}]}}: {e}")
        })?;
        if document.public_keys.is_empty() {
            return Err("the document lists no public key".into());
        }
        let mut keys = Vec::with_capacity(document.public_keys.len());
        for entry in document.public_keys {
            let key = VerifyingKey::from_public_key_pem(entry.key.trim()).map_err(|_| {
                format!(
                    "key '{}' is not an ECDSA P-256 public key in PEM",
                    crate::ids::shorten(&entry.key_identifier)
                )
            })?;
            keys.push(TrustedKey {
                id: entry.key_identifier,
                key,
                current: entry.is_current,
            });
        }
        Ok(ScanningKeys { keys })
    }

    /// How many keys are trusted, and how many of them GitHub marks current.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.keys.len(),
            self.keys.iter().filter(|k| k.current).count(),
        )
    }

    /// Checks the headers' signature over the raw `body`.
    pub fn verify(
        &self,
        key_identifier: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let (Some(id), Some(signature)) = (key_identifier, signature) else {
            return Err(SignatureError::Missing);
        };
        let (id, signature) = (id.trim(), signature.trim());
        if id.is_empty() || signature.is_empty() {
            return Err(SignatureError::Missing);
        }
        let trusted = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or(SignatureError::UnknownKey)?;
        if signature.len() > MAX_SIGNATURE_CHARS {
            return Err(SignatureError::Malformed);
        }
        let der = STANDARD
            .decode(signature)
            .map_err(|_| SignatureError::Malformed)?;
        let signature = Signature::from_der(&der).map_err(|_| SignatureError::Malformed)?;
        trusted
            .key
            .verify(body, &signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// One token GitHub found.
#[derive(Debug, Clone)]
pub struct FoundToken {
    pub token: SecretString,
    /// The token type GitHub matched (the pattern's name), echoed in the answer.
    pub token_type: String,
    /// Where it was found (a URL of the commit, issue or gist).
    pub url: String,
    /// What GitHub scanned (`content`, `commit`, `issue`, …).
    pub source: String,
}

#[derive(Deserialize)]
struct Entry {
    token: String,
    #[serde(default, rename = "type")]
    token_type: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    source: String,
}

/// Reads GitHub's body (after its signature was verified): a JSON array of at most
/// [`MAX_REPORTED_KEYS`] entries, each with a `token` string.
pub fn parse_report(body: &[u8]) -> Result<Vec<FoundToken>, DomainError> {
    let entries: Vec<Entry> = serde_json::from_slice(body).map_err(|_| {
        DomainError::invalid_with(
            "The body is not GitHub's secret scanning report.",
            vec!["Expected a JSON array of {\"token\",\"type\",\"url\",\"source\"}.".into()],
        )
    })?;
    if entries.len() > MAX_REPORTED_KEYS {
        return Err(DomainError::invalid_with(
            "Too many tokens in one report.",
            vec![format!(
                "Send at most {MAX_REPORTED_KEYS} tokens per request."
            )],
        ));
    }
    Ok(entries
        .into_iter()
        .map(|e| FoundToken {
            token: SecretString::new(e.token),
            token_type: e.token_type,
            url: e.url,
            source: e.source,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::SigningKey;
    use p256::pkcs8::{EncodePublicKey, LineEnding};

    fn key_pair() -> (SigningKey, String) {
        let signing = SigningKey::random(&mut rand::rngs::OsRng);
        let pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        (signing, pem)
    }

    fn document(entries: &[(&str, &str, bool)]) -> String {
        let keys: Vec<serde_json::Value> = entries
            .iter()
            .map(|(id, pem, current)| {
                serde_json::json!({"key_identifier": id, "key": pem, "is_current": current})
            })
            .collect();
        serde_json::json!({ "public_keys": keys }).to_string()
    }

    fn sign(key: &SigningKey, body: &[u8]) -> String {
        let signature: Signature = key.sign(body);
        STANDARD.encode(signature.to_der().as_bytes())
    }

    #[test]
    fn a_signature_by_a_listed_key_is_accepted_and_nothing_else() {
        let (old, old_pem) = key_pair();
        let (new, new_pem) = key_pair();
        let keys = ScanningKeys::from_document(&document(&[
            ("old", &old_pem, false),
            ("new", &new_pem, true),
        ]))
        .unwrap();
        assert_eq!(keys.counts(), (2, 1));
        let body = br#"[{"token":"AAPTx","type":"keyportal_api_key","url":"https://x","source":"content"}]"#;
        assert_eq!(
            keys.verify(Some("new"), Some(&sign(&new, body)), body),
            Ok(())
        );
        // A key no longer current still verifies what it signed.
        assert_eq!(
            keys.verify(Some("old"), Some(&sign(&old, body)), body),
            Ok(())
        );
        // The other key's signature, a changed body, unknown or missing headers: refused.
        assert_eq!(
            keys.verify(Some("new"), Some(&sign(&old, body)), body),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            keys.verify(Some("new"), Some(&sign(&new, body)), b"[]"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            keys.verify(Some("other"), Some(&sign(&new, body)), body),
            Err(SignatureError::UnknownKey)
        );
        assert_eq!(
            keys.verify(None, Some("x"), body),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            keys.verify(Some("new"), None, body),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            keys.verify(Some(" "), Some("x"), body),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            keys.verify(Some("new"), Some("not base64!"), body),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            keys.verify(Some("new"), Some("AAAA"), body),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            keys.verify(Some("new"), Some(&"A".repeat(400)), body),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn bad_documents_are_refused_with_a_reason() {
        assert!(ScanningKeys::from_document("{}").is_err());
        assert!(ScanningKeys::from_document(r#"{"public_keys":[]}"#)
            .unwrap_err()
            .contains("no public key"));
        let error = ScanningKeys::from_document(&document(&[(
            "k1",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            true,
        )]))
        .unwrap_err();
        assert!(error.contains("'k1'"), "{error}");
    }

    #[test]
    fn reports_are_read_leniently_but_bounded() {
        let found = parse_report(
            br#"[{"token":"AAPTabc","type":"keyportal_api_key","url":"https://github.com/o/r/blob/x/a.js","source":"content","extra":1},{"token":"t2"}]"#,
        )
        .unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].token.expose(), "AAPTabc");
        assert_eq!(found[0].token_type, "keyportal_api_key");
        assert_eq!(found[0].url, "https://github.com/o/r/blob/x/a.js");
        assert_eq!(found[1].url, "");
        assert!(parse_report(b"{}").is_err());
        assert!(parse_report(br#"[{"type":"x"}]"#).is_err());
        let many = serde_json::json!(vec![
            serde_json::json!({"token":"t"});
            MAX_REPORTED_KEYS + 1
        ]);
        assert!(parse_report(many.to_string().as_bytes()).is_err());
    }
}
