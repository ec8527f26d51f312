//! GitHub's secret scanning partner endpoint: the signature is checked against the public
//! keys the operator configured, then every token found is revoked as a leaked key (its
//! `url` as the source) and GitHub is told which ones were live keys.

use std::sync::Arc;

use keyportal_domain::leak::clean_source;
use keyportal_domain::leak::github::{parse_report, ScanningKeys, SignatureError};
use keyportal_domain::secret::sha256_hex;

use crate::error::ServiceError;
use crate::Portal;

/// GitHub's answer for one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenVerdict {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    pub token_type: String,
    /// Whether the token was a live key (now revoked).
    pub true_positive: bool,
}

/// Why a report from GitHub was not acted on.
#[derive(Debug)]
pub enum ScanningRefusal {
    /// No `--secret-scanning-keys` file was given.
    NotConfigured,
    /// Missing or bad signature: nothing was read or revoked.
    Signature(SignatureError),
    /// A signed body that is not a report, or a failure while revoking.
    Failed(ServiceError),
}

impl Portal {
    /// Trusts `keys` (GitHub's published document, read by the binary) from now on.
    pub fn set_secret_scanning_keys(&self, keys: Option<ScanningKeys>) {
        *self
            .secret_scanning
            .write()
            .unwrap_or_else(|p| p.into_inner()) = keys.map(Arc::new);
    }

    fn secret_scanning_keys(&self) -> Option<Arc<ScanningKeys>> {
        self.secret_scanning
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `POST /secret-scanning/github`: verifies the signature over the raw `body`, then
    /// revokes each token found (see [`Portal::revoke_leaked_keys`]).
    pub async fn github_secret_scanning(
        &self,
        key_identifier: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        address: Option<&str>,
    ) -> Result<Vec<TokenVerdict>, ScanningRefusal> {
        let keys = self
            .secret_scanning_keys()
            .ok_or(ScanningRefusal::NotConfigured)?;
        keys.verify(key_identifier, signature, body)
            .map_err(ScanningRefusal::Signature)?;
        let found = parse_report(body).map_err(|e| ScanningRefusal::Failed(e.into()))?;
        let now = self.now();
        let mut verdicts = Vec::with_capacity(found.len());
        for token in found {
            let source = match clean_source(&token.url) {
                url if url.is_empty() => {
                    format!("GitHub secret scanning ({})", clean_source(&token.source))
                }
                url => url,
            };
            let live = self
                .revoke_leaked_keys(&[token.token.expose().to_string()], &source, address, now)
                .await
                .map_err(ScanningRefusal::Failed)?;
            verdicts.push(TokenVerdict {
                token_hash: sha256_hex(token.token.expose()),
                token_type: token.token_type,
                true_positive: live.first().copied().unwrap_or(false),
            });
        }
        Ok(verdicts)
    }
}
