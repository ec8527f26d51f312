//! Signing in with a username and password (`generateToken`) and signing out (`revokeToken`).

use std::time::Duration;

use keyportal_domain::events::{Actor, ActorKind, Event, EventType};
use keyportal_domain::ids::MAX_USERNAME_LEN;
use keyportal_domain::referer_binding::check_binding;
use keyportal_domain::secret::{new_opaque_token, sha256_hex, SecretString};
use keyportal_domain::signin_guard::SigninVerdict;
use keyportal_domain::time::MINUTE_MS;
use keyportal_domain::token::{check_ip_binding, token_lifetime_ms, TokenBinding, UserToken};
use keyportal_domain::user::User;
use keyportal_domain::DomainError;

use crate::caller::RequestFacts;
use crate::error::{ServiceError, ServiceResult};
use crate::Portal;

/// The `client` parameter: what the token is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenClient {
    Referer(String),
    /// The address the request came from.
    RequestIp,
    Ip(String),
}

/// A freshly issued user token; the value is shown to the caller once and stored as a hash.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: SecretString,
    pub expires: i64,
    pub username: String,
}

/// A hash used to spend the same time on unknown usernames as on wrong passwords.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2cGdmb0/6Oq0kGAC4h2LN3TzZy0gi1m6n0v1+fA1oXE";

fn signin_refused(detail: impl Into<String>) -> ServiceError {
    DomainError::invalid_with("Unable to generate token.", vec![detail.into()]).into()
}

impl Portal {
    /// Checks the password and issues a user token bound as `client` asks.
    pub async fn generate_token(
        &self,
        username: &str,
        password: &str,
        client: TokenClient,
        expiration_minutes: Option<i64>,
        facts: &RequestFacts,
    ) -> ServiceResult<IssuedToken> {
        if username.is_empty() || password.is_empty() {
            return Err(signin_refused(
                "'username' and 'password' must be specified.",
            ));
        }
        let lifetime = token_lifetime_ms(expiration_minutes)?;
        let binding = match client {
            TokenClient::Referer(r) => {
                check_binding(&r)?;
                TokenBinding::Referer(r.trim().to_string())
            }
            TokenClient::Ip(ip) if ip.trim().is_empty() => {
                return Err(signin_refused("'ip' must be specified when client=ip."))
            }
            TokenClient::Ip(ip) => TokenBinding::Ip(check_ip_binding(&ip)?),
            TokenClient::RequestIp => match &facts.client_ip {
                Some(ip) => TokenBinding::Ip(ip.clone()),
                None => TokenBinding::None,
            },
        };
        let username = self.check_password(username, password, facts).await?;
        let now = self.now();
        let token = new_opaque_token();
        let stored = UserToken {
            hash: sha256_hex(token.expose()),
            username: username.clone(),
            created: now,
            expires: now + lifetime,
            binding,
        };
        self.store.insert_token(&stored).await?;
        self.store.set_last_login(&username, now).await?;
        Ok(IssuedToken {
            token,
            expires: stored.expires,
            username,
        })
    }

    /// Verifies a username and password under the sign-in guards; returns the username.
    /// Used by `generateToken`, the web sign-in page and the OAuth sign-in page alike.
    ///
    /// In order, each step cheaper than the next: an over-long username is refused before
    /// anything is recorded; a locked-out username or address is refused; the attempt is
    /// counted against both before the password is hashed (so a burst of concurrent attempts
    /// counts in full); the hash runs on the bounded Argon2 threads, and when they are busy
    /// the attempt is taken back and answered [`ServiceError::Busy`].
    pub async fn check_password(
        &self,
        username: &str,
        password: &str,
        facts: &RequestFacts,
    ) -> ServiceResult<String> {
        if username.len() > MAX_USERNAME_LEN {
            return Err(signin_refused(format!(
                "A username has at most {MAX_USERNAME_LEN} characters."
            )));
        }
        let now = self.now();
        let address = facts.client_ip.as_deref().unwrap_or_default();
        self.begin_attempt(username, address, now)?;
        let matches = match self.password_matches(username, password).await {
            Ok(matches) => matches,
            Err(error) => {
                // Busy or a storage failure: the attempt did not happen.
                self.end_attempt(username, address)?;
                return Err(error);
            }
        };
        let Some(user) = matches else {
            let now = self.now();
            let delay = {
                let mut users = self.username_guard.lock().map_err(poisoned)?;
                let mut addresses = self.address_guard.lock().map_err(poisoned)?;
                users
                    .fail_attempt(username, now)
                    .max(addresses.fail_attempt(address, now))
            };
            self.record_signin_failure(username, facts, "invalid username or password")
                .await?;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            return Err(signin_refused("Invalid username or password."));
        };
        self.username_guard
            .lock()
            .map_err(poisoned)?
            .record_success(username);
        self.address_guard
            .lock()
            .map_err(poisoned)?
            .end_attempt(address);
        if user.disabled {
            self.record_signin_failure(&user.username, facts, "account disabled")
                .await?;
            return Err(signin_refused(
                "This account has been disabled. Contact your administrator.",
            ));
        }
        let succeeded = Event::new(
            EventType::SigninSucceeded,
            &Actor {
                name: Some(user.username.clone()),
                kind: ActorKind::User,
                address: facts.address().map(|a| a.to_string()),
            },
            self.now(),
        )
        .member(&user.username);
        self.record(std::slice::from_ref(&succeeded)).await?;
        Ok(user.username)
    }

    /// Refuses a locked-out username or address, and answers "busy" while so many attempts
    /// are under way that, all failing, they would lock it out; otherwise counts the attempt
    /// as under way against both, before any password is hashed.
    fn begin_attempt(&self, username: &str, address: &str, now: i64) -> ServiceResult<()> {
        let mut users = self.username_guard.lock().map_err(poisoned)?;
        let mut addresses = self.address_guard.lock().map_err(poisoned)?;
        let refusal = match users.begin_attempt(username, now) {
            SigninVerdict::Allowed => match addresses.begin_attempt(address, now) {
                SigninVerdict::Allowed => return Ok(()),
                other => {
                    users.end_attempt(username);
                    other
                }
            },
            other => other,
        };
        match refusal {
            SigninVerdict::LockedOut { until } => {
                let minutes = ((until - now) + MINUTE_MS - 1) / MINUTE_MS;
                Err(signin_refused(format!(
                    "Too many failed sign-in attempts. Try again in {minutes} minute(s)."
                )))
            }
            SigninVerdict::Crowded | SigninVerdict::Allowed => Err(ServiceError::Busy),
        }
    }

    fn end_attempt(&self, username: &str, address: &str) -> ServiceResult<()> {
        self.username_guard
            .lock()
            .map_err(poisoned)?
            .end_attempt(username);
        self.address_guard
            .lock()
            .map_err(poisoned)?
            .end_attempt(address);
        Ok(())
    }

    /// The member when the password is theirs. Unknown usernames cost one hash too.
    async fn password_matches(
        &self,
        username: &str,
        password: &str,
    ) -> ServiceResult<Option<User>> {
        let stored = self.store.get_password_hash(username).await?;
        let user = self.store.get_user(username).await?;
        let hash = stored.as_deref().unwrap_or(DUMMY_HASH);
        let matches = self.hashing.verify(password, hash).await?;
        Ok(user.filter(|_| matches && stored.is_some()))
    }

    /// Signs a token out — a user token or an OAuth refresh token (REST JS sends the refresh
    /// token when it has one). Unknown tokens are already signed out, so this always succeeds.
    pub async fn revoke_user_token(&self, token: &str) -> ServiceResult<()> {
        if token.is_empty() || token.len() > 4096 {
            return Ok(());
        }
        let hash = sha256_hex(token);
        self.store.delete_refresh_token(&hash).await?;
        match self.store.delete_token(&hash).await {
            Ok(()) | Err(keyportal_store::StoreError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> ServiceError {
    ServiceError::Internal("sign-in guard lock poisoned".into())
}
