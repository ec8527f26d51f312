//! App tokens: `oauth2/token` with `grant_type=client_credentials` and no `apiToken`. They
//! carry the app's privileges (like a key) for a short time and live in the key table.

use keyportal_domain::credential::AppToken;
use keyportal_domain::secret::{new_opaque_token, sha256_hex, SecretString};
use keyportal_domain::time::MINUTE_MS;
use keyportal_domain::DomainError;

use crate::credentials::app_subject;
use crate::error::ServiceResult;
use crate::Portal;

/// Default and longest lifetimes, in minutes (spec §3.2: 120 by default, at most two weeks).
pub const DEFAULT_APP_TOKEN_MINUTES: i64 = 120;
pub const MAX_APP_TOKEN_MINUTES: i64 = 20_160;

#[derive(Debug)]
pub struct IssuedAppToken {
    pub token: SecretString,
    /// Seconds.
    pub expires_in: i64,
}

impl Portal {
    pub async fn issue_app_token(
        &self,
        client_id: &str,
        client_secret: &str,
        expiration_minutes: Option<i64>,
    ) -> ServiceResult<IssuedAppToken> {
        let minutes = match expiration_minutes {
            None => DEFAULT_APP_TOKEN_MINUTES,
            Some(m) if m <= 0 => {
                return Err(DomainError::invalid(
                    "'expiration' must be a positive number of minutes.",
                )
                .into())
            }
            Some(m) => m.min(MAX_APP_TOKEN_MINUTES),
        };
        let stored = self
            .authenticated_app_for_token(client_id, client_secret)
            .await?;
        let now = self.now();
        let token = new_opaque_token();
        let record = AppToken {
            hash: sha256_hex(token.expose()),
            client_id: stored.client_id.clone(),
            created: now,
            expires: now + minutes * MINUTE_MS,
        };
        self.store.insert_app_token(&record).await?;
        self.refresh_app(&stored.item_id).await?;
        self.store
            .publish_change(&app_subject(&stored.item_id))
            .await?;
        Ok(IssuedAppToken {
            token,
            expires_in: minutes * 60,
        })
    }
}
