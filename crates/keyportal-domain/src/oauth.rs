//! OAuth 2.0 sign-in for applications (the "OAuth credentials" half of developer credentials):
//! the authorization-code flow with PKCE, the implicit flow, refresh tokens — as pure rules.
//!
//! Everything here is a function of its inputs and `now`: which redirect URIs a client may use
//! (exact string equality, plus the out-of-band URN), the PKCE check (RFC 7636), when codes,
//! refresh tokens and sign-in pages expire, and how long the tokens they yield live. The
//! service stores codes and refresh tokens by SHA-256 hash only; the values exist in clear
//! only in the answer that issues them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::credential::OUT_OF_BAND_REDIRECT;
use crate::error::DomainError;
use crate::ids::shorten;
use crate::secret::constant_time_eq;
use crate::time::{EpochMillis, MINUTE_MS, SECOND_MS};
use crate::token::MAX_TOKEN_MINUTES;

/// The redirect URI that shows the code on a portal page instead of redirecting.
pub const OUT_OF_BAND: &str = OUT_OF_BAND_REDIRECT;

/// Public clients every ArcGIS portal knows without registration: the ArcGIS API for Python
/// signs in as `pythonapi` (falling back to `arcgisonline`). They may only redirect to the
/// portal itself or out of band.
pub const BUILT_IN_CLIENTS: [&str; 2] = ["pythonapi", "arcgisonline"];

/// An authorization code is good for five minutes, once.
pub const CODE_LIFETIME_MS: EpochMillis = 5 * MINUTE_MS;
/// How long a sign-in page (its `oauth_state`) may be submitted after it was served.
pub const SIGNIN_STATE_LIFETIME_MS: EpochMillis = 30 * MINUTE_MS;
/// Access tokens of the implicit flow when `expiration` is absent: two hours.
pub const DEFAULT_IMPLICIT_TOKEN_MINUTES: i64 = 120;
/// Access tokens from a code or a refresh token when `expiration` is absent: 30 minutes.
pub const DEFAULT_ACCESS_TOKEN_MINUTES: i64 = 30;
/// Refresh tokens when the authorization request gave no `expiration`: two weeks.
pub const DEFAULT_REFRESH_TOKEN_MINUTES: i64 = 20_160;
/// The longest refresh token: two weeks, as the longest user token.
pub const MAX_REFRESH_TOKEN_MINUTES: i64 = 20_160;

/// Longest accepted `state`, `client_id` and redirect URI (longer input is refused, not cut).
pub const MAX_STATE_LEN: usize = 2048;
pub const MAX_CLIENT_ID_LEN: usize = 128;
pub const MAX_REDIRECT_URI_LEN: usize = 2048;

/// Whether `client_id` names a built-in public client.
pub fn is_built_in_client(client_id: &str) -> bool {
    BUILT_IN_CLIENTS.contains(&client_id)
}

/// Redirect URIs are compared exactly — no case folding, no trailing-slash or default-port
/// games — against the client's list; the out-of-band URN is always allowed because it never
/// leaves the portal.
pub fn redirect_allowed(allowed: &[String], presented: &str) -> bool {
    presented == OUT_OF_BAND || allowed.iter().any(|a| a == presented)
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// The RFC 6749 error codes keyportal answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorKind {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
}

impl OAuthErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorKind::InvalidRequest => "invalid_request",
            OAuthErrorKind::InvalidClient => "invalid_client",
            OAuthErrorKind::InvalidGrant => "invalid_grant",
            OAuthErrorKind::UnauthorizedClient => "unauthorized_client",
            OAuthErrorKind::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorKind::UnsupportedResponseType => "unsupported_response_type",
        }
    }
}

/// An OAuth refusal: the RFC 6749 `error`, the ArcGIS envelope `code` (400, or 498 for an
/// expired refresh token as ArcGIS answers) and a message safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub kind: OAuthErrorKind,
    pub code: u16,
    pub message: String,
}

impl OAuthError {
    pub fn new(kind: OAuthErrorKind, message: impl Into<String>) -> OAuthError {
        OAuthError {
            kind,
            code: 400,
            message: message.into(),
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> OAuthError {
        OAuthError::new(OAuthErrorKind::InvalidRequest, message)
    }

    pub fn invalid_grant(message: impl Into<String>) -> OAuthError {
        OAuthError::new(OAuthErrorKind::InvalidGrant, message)
    }

    pub fn invalid_client() -> OAuthError {
        OAuthError::new(OAuthErrorKind::InvalidClient, "Invalid client_id.")
    }

    /// What ArcGIS answers for an expired refresh token (spec §1.5).
    pub fn refresh_token_expired() -> OAuthError {
        OAuthError {
            kind: OAuthErrorKind::InvalidRequest,
            code: 498,
            message: "refresh_token expired".into(),
        }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for OAuthError {}

// ---------------------------------------------------------------------------------------------
// PKCE (RFC 7636)
// ---------------------------------------------------------------------------------------------

/// `code_challenge_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PkceMethod {
    S256,
    Plain,
}

impl PkceMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PkceMethod::S256 => "S256",
            PkceMethod::Plain => "plain",
        }
    }

    pub fn parse(value: &str) -> Result<PkceMethod, DomainError> {
        match value {
            "S256" => Ok(PkceMethod::S256),
            "plain" => Ok(PkceMethod::Plain),
            other => Err(DomainError::invalid_with(
                "Invalid code_challenge_method.",
                vec![format!("'{}' is not S256 or plain.", shorten(other))],
            )),
        }
    }
}

/// A code challenge and how to check a verifier against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PkceChallenge {
    pub method: PkceMethod,
    pub challenge: String,
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]` (verifiers and challenges alike).
pub fn is_pkce_text(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `BASE64URL(SHA256(ASCII(verifier)))` without padding: the S256 challenge of a verifier.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl PkceChallenge {
    /// The challenge of an authorization request: none without `code_challenge`; the method
    /// defaults to `plain` as RFC 7636 says. A method without a challenge is refused.
    pub fn parse(
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> Result<Option<PkceChallenge>, DomainError> {
        let Some(challenge) = challenge else {
            return match method {
                None => Ok(None),
                Some(_) => Err(DomainError::invalid(
                    "'code_challenge' must be specified with 'code_challenge_method'.",
                )),
            };
        };
        let method = method.map_or(Ok(PkceMethod::Plain), PkceMethod::parse)?;
        let well_formed = match method {
            // base64url of a 32-byte digest.
            PkceMethod::S256 => challenge.len() == 43 && URL_SAFE_NO_PAD.decode(challenge).is_ok(),
            PkceMethod::Plain => is_pkce_text(challenge),
        };
        if !well_formed {
            return Err(DomainError::invalid_with(
                "Invalid code_challenge.",
                vec![match method {
                    PkceMethod::S256 => "An S256 code_challenge is the 43-character base64url \
                                         SHA-256 of the code_verifier."
                        .to_string(),
                    PkceMethod::Plain => "A plain code_challenge is 43 to 128 characters of \
                                          A-Z, a-z, 0-9, '-', '.', '_', '~'."
                        .to_string(),
                }],
            ));
        }
        Ok(Some(PkceChallenge {
            method,
            challenge: challenge.to_string(),
        }))
    }

    /// Whether `verifier` answers this challenge (compared in constant time).
    pub fn verify(&self, verifier: &str) -> bool {
        if !is_pkce_text(verifier) {
            return false;
        }
        let expected = match self.method {
            PkceMethod::S256 => s256_challenge(verifier),
            PkceMethod::Plain => verifier.to_string(),
        };
        constant_time_eq(expected.as_bytes(), self.challenge.as_bytes())
    }
}

// ---------------------------------------------------------------------------------------------
// The authorization request and the sign-in page it leads to
// ---------------------------------------------------------------------------------------------

/// `response_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseType {
    /// Authorization code (with or without PKCE).
    Code,
    /// Implicit: the access token in the redirect's fragment.
    Token,
}

impl ResponseType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Code => "code",
            ResponseType::Token => "token",
        }
    }

    pub fn parse(value: &str) -> Result<ResponseType, DomainError> {
        match value {
            "code" => Ok(ResponseType::Code),
            "token" => Ok(ResponseType::Token),
            other => Err(DomainError::invalid_with(
                "Invalid response_type.",
                vec![format!("'{}' is not code or token.", shorten(other))],
            )),
        }
    }
}

/// A checked `oauth2/authorize` request — what its sign-in page is bound to. The service
/// seals it (with its expiry) into the page's `oauth_state`, so the page cannot be altered
/// to sign in for another client, redirect URI or challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninContext {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    /// Echoed verbatim to the client.
    pub state: Option<String>,
    /// Minutes: the access token's lifetime (implicit) or the refresh token's (code).
    pub expiration: Option<i64>,
    pub challenge: Option<PkceChallenge>,
    /// The page can be submitted until this instant.
    pub expires: EpochMillis,
}

/// The raw parameters of `oauth2/authorize` (absent = `None`).
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams<'a> {
    pub client_id: Option<&'a str>,
    pub response_type: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
    pub expiration: Option<i64>,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
}

impl SigninContext {
    /// Checks the shape of an authorization request (not yet the client or its redirect
    /// URIs, which need the store). `now` starts the page's lifetime.
    pub fn from_params(
        params: &AuthorizeParams<'_>,
        now: EpochMillis,
    ) -> Result<SigninContext, DomainError> {
        let client_id = params
            .client_id
            .filter(|c| !c.is_empty())
            .ok_or_else(|| DomainError::invalid("'client_id' must be specified."))?;
        if client_id.len() > MAX_CLIENT_ID_LEN {
            return Err(DomainError::invalid("Invalid client_id."));
        }
        let redirect_uri = params
            .redirect_uri
            .filter(|r| !r.is_empty())
            .ok_or_else(|| DomainError::invalid("'redirect_uri' must be specified."))?;
        if redirect_uri.len() > MAX_REDIRECT_URI_LEN {
            return Err(DomainError::invalid("Invalid redirect_uri."));
        }
        let response_type = ResponseType::parse(
            params
                .response_type
                .ok_or_else(|| DomainError::invalid("'response_type' must be specified."))?,
        )?;
        if response_type == ResponseType::Token && redirect_uri == OUT_OF_BAND {
            return Err(DomainError::invalid_with(
                "The implicit flow needs a redirect.",
                vec![format!(
                    "response_type=token cannot use {OUT_OF_BAND}; use response_type=code."
                )],
            ));
        }
        let state = params.state.filter(|s| !s.is_empty());
        if state.is_some_and(|s| s.len() > MAX_STATE_LEN) {
            return Err(DomainError::invalid(format!(
                "'state' must be at most {MAX_STATE_LEN} characters."
            )));
        }
        // Echoed into a redirect: the text rule of every field applies.
        crate::text::check_single_line("state", state.unwrap_or_default())?;
        if params.expiration.is_some_and(|m| m <= 0) {
            return Err(DomainError::invalid(
                "'expiration' must be a positive number of minutes.",
            ));
        }
        let challenge = PkceChallenge::parse(
            params.code_challenge.filter(|c| !c.is_empty()),
            params.code_challenge_method.filter(|m| !m.is_empty()),
        )?;
        if challenge.is_some() && response_type == ResponseType::Token {
            return Err(DomainError::invalid(
                "PKCE (code_challenge) applies to response_type=code only.",
            ));
        }
        Ok(SigninContext {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            response_type,
            state: state.map(str::to_string),
            expiration: params.expiration,
            challenge,
            expires: now + SIGNIN_STATE_LIFETIME_MS,
        })
    }

    pub fn is_expired(&self, now: EpochMillis) -> bool {
        now >= self.expires
    }
}

// ---------------------------------------------------------------------------------------------
// Lifetimes
// ---------------------------------------------------------------------------------------------

fn minutes(expiration: Option<i64>, default: i64, max: i64) -> Result<i64, DomainError> {
    match expiration {
        None => Ok(default),
        Some(m) if m <= 0 => Err(DomainError::invalid(
            "'expiration' must be a positive number of minutes.",
        )),
        Some(m) => Ok(m.min(max)),
    }
}

/// Lifetime (ms) of an implicit-flow access token for the authorize `expiration` (minutes).
pub fn implicit_token_lifetime_ms(expiration: Option<i64>) -> Result<EpochMillis, DomainError> {
    Ok(minutes(
        expiration,
        DEFAULT_IMPLICIT_TOKEN_MINUTES,
        MAX_TOKEN_MINUTES,
    )? * MINUTE_MS)
}

/// Lifetime (ms) of an access token from a code or refresh token for the token endpoint's
/// `expiration` (minutes).
pub fn access_token_lifetime_ms(expiration: Option<i64>) -> Result<EpochMillis, DomainError> {
    Ok(minutes(expiration, DEFAULT_ACCESS_TOKEN_MINUTES, MAX_TOKEN_MINUTES)? * MINUTE_MS)
}

/// Lifetime (ms) of a refresh token for the authorize `expiration` (minutes).
pub fn refresh_token_lifetime_ms(expiration: Option<i64>) -> Result<EpochMillis, DomainError> {
    Ok(minutes(
        expiration,
        DEFAULT_REFRESH_TOKEN_MINUTES,
        MAX_REFRESH_TOKEN_MINUTES,
    )? * MINUTE_MS)
}

/// Whole seconds from `now` until `expires` (never negative): `expires_in`.
pub fn seconds_until(expires: EpochMillis, now: EpochMillis) -> i64 {
    ((expires - now).max(0)) / SECOND_MS
}

// ---------------------------------------------------------------------------------------------
// Authorization codes and refresh tokens
// ---------------------------------------------------------------------------------------------

/// A stored authorization code (by hash), bound to the client, the redirect URI, the PKCE
/// challenge and the member who signed in (by id too, so a deleted and re-created username
/// cannot inherit it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub username: String,
    pub user_id: String,
    pub challenge: Option<PkceChallenge>,
    /// The refresh token's lifetime in minutes (from the authorization request).
    pub refresh_minutes: i64,
    pub created: EpochMillis,
    pub expires: EpochMillis,
}

/// What a client presents at the token endpoint with `grant_type=authorization_code`.
#[derive(Debug, Clone, Copy)]
pub struct CodeRedemption<'a> {
    pub client_id: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

impl AuthorizationCode {
    /// A code for a signed-in member, issued at `now` for `context`.
    pub fn issue(
        hash: String,
        context: &SigninContext,
        username: &str,
        user_id: &str,
        now: EpochMillis,
    ) -> Result<AuthorizationCode, DomainError> {
        let refresh_ms = refresh_token_lifetime_ms(context.expiration)?;
        Ok(AuthorizationCode {
            hash,
            client_id: context.client_id.clone(),
            redirect_uri: context.redirect_uri.clone(),
            username: username.to_string(),
            user_id: user_id.to_string(),
            challenge: context.challenge.clone(),
            refresh_minutes: refresh_ms / MINUTE_MS,
            created: now,
            expires: now + CODE_LIFETIME_MS,
        })
    }

    pub fn is_expired(&self, now: EpochMillis) -> bool {
        now >= self.expires
    }

    /// Whether the presented client, redirect URI and verifier redeem this code at `now`.
    /// Nothing is consumed here: the service deletes the code only after this passes.
    pub fn check_redemption(
        &self,
        presented: &CodeRedemption<'_>,
        now: EpochMillis,
    ) -> Result<(), OAuthError> {
        if self.is_expired(now) {
            return Err(OAuthError::invalid_grant(
                "The authorization code has expired.",
            ));
        }
        if presented.client_id != self.client_id {
            return Err(OAuthError::invalid_grant(
                "The authorization code was issued to another client.",
            ));
        }
        let Some(redirect_uri) = presented.redirect_uri else {
            return Err(OAuthError::invalid_request(
                "'redirect_uri' must be specified.",
            ));
        };
        if redirect_uri != self.redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the one the code was issued for.",
            ));
        }
        match (&self.challenge, presented.code_verifier) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(OAuthError::invalid_grant(
                "A code_verifier was given but the authorization request had no code_challenge.",
            )),
            (Some(_), None) => Err(OAuthError::invalid_request(
                "'code_verifier' must be specified.",
            )),
            (Some(challenge), Some(verifier)) if challenge.verify(verifier) => Ok(()),
            (Some(_), Some(_)) => Err(OAuthError::invalid_grant("Invalid code_verifier.")),
        }
    }
}

/// A stored refresh token (by hash), bound to its client and member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub hash: String,
    pub client_id: String,
    pub username: String,
    pub user_id: String,
    pub created: EpochMillis,
    pub expires: EpochMillis,
}

impl RefreshToken {
    pub fn is_expired(&self, now: EpochMillis) -> bool {
        now >= self.expires
    }

    /// Whether `client_id` may use this refresh token at `now`.
    pub fn check_use(&self, client_id: &str, now: EpochMillis) -> Result<(), OAuthError> {
        if client_id != self.client_id {
            return Err(OAuthError::invalid_grant("Invalid refresh_token."));
        }
        if self.is_expired(now) {
            return Err(OAuthError::refresh_token_expired());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
