//! OAuth 2.0 sign-in for applications: `oauth2/authorize` and its sign-in page, the sign-in
//! itself (`oauth2/signin`), and the `authorization_code`, `refresh_token` and
//! `exchange_refresh_token` grants of `oauth2/token`.
//!
//! The sign-in page carries an `oauth_state`: the checked authorization request (client,
//! redirect URI, response type, `state`, PKCE challenge, `expiration`) and its expiry, sealed
//! (ChaCha20-Poly1305) under the server key, so it cannot be altered and every node sharing the
//! key accepts it without storage. Codes and refresh tokens are CSPRNG values stored only as
//! SHA-256 hashes. The password is checked by [`Portal::check_password`], under the same
//! slow-down and lock-out as `generateToken`.

use keyportal_domain::credential::{AppRegistration, AppType};
use keyportal_domain::oauth::{
    access_token_lifetime_ms, implicit_token_lifetime_ms, redirect_allowed,
    refresh_token_lifetime_ms, seconds_until, AuthorizationCode, AuthorizeParams, CodeRedemption,
    OAuthError, OAuthErrorKind, RefreshToken, ResponseType, SigninContext,
    MAX_REFRESH_TOKEN_MINUTES,
};
use keyportal_domain::secret::{constant_time_eq, new_opaque_token, sha256_hex, SecretString};
use keyportal_domain::time::MINUTE_MS;
use keyportal_domain::token::{TokenBinding, UserToken};
use keyportal_domain::user::User;
use keyportal_domain::DomainError;

use crate::caller::RequestFacts;
use crate::error::ServiceError;
use crate::Portal;

/// Domain separation inside the sealed `oauth_state` (the server key also seals secrets).
const STATE_TAG: &str = "oauth_state:";
/// A sealed `oauth_state` longer than this was not made by keyportal.
const MAX_OAUTH_STATE_LEN: usize = 16 * 1024;

/// The client an OAuth request names.
enum OAuthClient {
    /// `pythonapi` / `arcgisonline`: public, redirecting only to the portal itself.
    BuiltIn(&'static str),
    Registered {
        app: Box<AppRegistration>,
        sealed_secret: String,
    },
}

/// What the sign-in page shows and posts back.
#[derive(Debug, Clone)]
pub struct SigninPage {
    /// Sealed; posted back with the credentials.
    pub oauth_state: String,
    pub client_id: String,
    /// The application's title (the item's title, or the built-in client's name).
    pub app_title: String,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    /// Minutes, as the authorization request asked.
    pub expiration: Option<i64>,
}

/// Why `oauth2/authorize` (or a posted sign-in page) cannot go on. The first two never
/// redirect anywhere: the HTTP layer shows a page on the portal.
#[derive(Debug)]
pub enum AuthorizeRefusal {
    /// No such client (`Error: Invalid client_id`).
    UnknownClient,
    /// The redirect URI is missing or not one of the client's (`Invalid redirect_uri`).
    RedirectNotAllowed,
    /// Any other malformed request.
    Invalid(DomainError),
    /// The posted `oauth_state` was altered, made by another key, or is too old.
    BadSigninState,
    Internal(ServiceError),
}

impl From<ServiceError> for AuthorizeRefusal {
    fn from(error: ServiceError) -> Self {
        AuthorizeRefusal::Internal(error)
    }
}

impl From<keyportal_store::StoreError> for AuthorizeRefusal {
    fn from(error: keyportal_store::StoreError) -> Self {
        AuthorizeRefusal::Internal(error.into())
    }
}

/// A successful sign-in: where the browser goes next.
#[derive(Debug)]
pub enum SigninOutcome {
    /// Implicit flow: redirect with the token in the fragment.
    Token {
        redirect_uri: String,
        access_token: SecretString,
        expires_in: i64,
        username: String,
        state: Option<String>,
    },
    /// Code flow: redirect with the code in the query, or show it when `redirect_uri` is the
    /// out-of-band URN.
    Code {
        redirect_uri: String,
        code: SecretString,
        state: Option<String>,
    },
}

/// A sign-in that did not succeed.
#[derive(Debug)]
pub enum SigninFailure {
    /// The page itself cannot be used any more.
    Refused(AuthorizeRefusal),
    /// Wrong credentials, locked out or disabled: the page again, with this message.
    Credentials { page: SigninPage, message: String },
}

impl From<AuthorizeRefusal> for SigninFailure {
    fn from(refusal: AuthorizeRefusal) -> Self {
        SigninFailure::Refused(refusal)
    }
}

/// Tokens issued by the token endpoint.
#[derive(Debug)]
pub struct OAuthTokens {
    pub access_token: SecretString,
    /// Seconds.
    pub expires_in: i64,
    pub username: String,
    pub refresh_token: Option<SecretString>,
    /// Seconds.
    pub refresh_token_expires_in: Option<i64>,
}

/// A refused or failed token request.
#[derive(Debug)]
pub enum OAuthFailure {
    Refused(OAuthError),
    Service(ServiceError),
}

impl From<OAuthError> for OAuthFailure {
    fn from(error: OAuthError) -> Self {
        OAuthFailure::Refused(error)
    }
}

impl From<ServiceError> for OAuthFailure {
    fn from(error: ServiceError) -> Self {
        OAuthFailure::Service(error)
    }
}

impl From<keyportal_store::StoreError> for OAuthFailure {
    fn from(error: keyportal_store::StoreError) -> Self {
        OAuthFailure::Service(error.into())
    }
}

impl From<DomainError> for OAuthFailure {
    fn from(error: DomainError) -> Self {
        let message = match &error {
            DomainError::Invalid { message, details } if !details.is_empty() => {
                format!("{message} {}", details.join(" "))
            }
            other => other.to_string(),
        };
        OAuthFailure::Refused(OAuthError::invalid_request(message))
    }
}

/// `grant_type=authorization_code` parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeGrant<'a> {
    pub client_id: Option<&'a str>,
    pub client_secret: Option<&'a str>,
    pub code: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    /// Minutes for the access token.
    pub expiration: Option<i64>,
}

/// `grant_type=refresh_token` and `exchange_refresh_token` parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefreshGrant<'a> {
    pub client_id: Option<&'a str>,
    pub client_secret: Option<&'a str>,
    pub refresh_token: Option<&'a str>,
    /// Required by `exchange_refresh_token`.
    pub redirect_uri: Option<&'a str>,
    /// Minutes for the access token.
    pub expiration: Option<i64>,
}

fn required<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, OAuthError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request(format!("'{name}' must be specified.")))
}

fn invalid_refresh_token() -> OAuthError {
    OAuthError::invalid_grant("Invalid refresh_token.")
}

fn invalid_code() -> OAuthError {
    OAuthError::invalid_grant("Invalid authorization code.")
}

impl Portal {
    async fn oauth_client(&self, client_id: &str) -> Result<Option<OAuthClient>, ServiceError> {
        if let Some(name) = keyportal_domain::oauth::BUILT_IN_CLIENTS
            .iter()
            .find(|c| **c == client_id)
        {
            return Ok(Some(OAuthClient::BuiltIn(name)));
        }
        if client_id.is_empty() || client_id.len() > keyportal_domain::oauth::MAX_CLIENT_ID_LEN {
            return Ok(None);
        }
        Ok(self
            .store
            .get_app_by_client_id(client_id)
            .await?
            .map(|stored| OAuthClient::Registered {
                app: Box::new(stored.app),
                sealed_secret: stored.sealed_secret,
            }))
    }

    /// The redirect URIs a client may use: a registered app's list, or for the built-in
    /// clients the portal's own site roots (`own_roots`: from the configured public URL, never
    /// from the request's `Host`).
    fn allowed_redirects(client: &OAuthClient, own_roots: &[String]) -> Vec<String> {
        match client {
            OAuthClient::BuiltIn(_) => own_roots.to_vec(),
            OAuthClient::Registered { app, .. } => app.redirect_uris.clone(),
        }
    }

    async fn client_title(&self, client: &OAuthClient) -> Result<String, ServiceError> {
        Ok(match client {
            OAuthClient::BuiltIn("pythonapi") => "ArcGIS API for Python".to_string(),
            OAuthClient::BuiltIn(name) => format!("ArcGIS ({name})"),
            OAuthClient::Registered { app, .. } => self
                .store
                .get_item(&app.item_id)
                .await?
                .map(|shared| shared.item.title)
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| app.client_id.clone()),
        })
    }

    /// The client and redirect URI of a request, checked in the order clients rely on:
    /// the client first, then its redirect URI.
    async fn checked_client(
        &self,
        client_id: Option<&str>,
        redirect_uri: Option<&str>,
        own_roots: &[String],
    ) -> Result<OAuthClient, AuthorizeRefusal> {
        let client = self
            .oauth_client(client_id.unwrap_or_default())
            .await?
            .ok_or(AuthorizeRefusal::UnknownClient)?;
        let allowed = Self::allowed_redirects(&client, own_roots);
        match redirect_uri {
            Some(uri) if redirect_allowed(&allowed, uri) => Ok(client),
            _ => Err(AuthorizeRefusal::RedirectNotAllowed),
        }
    }

    async fn signin_page(
        &self,
        client: &OAuthClient,
        context: &SigninContext,
        oauth_state: String,
    ) -> Result<SigninPage, ServiceError> {
        Ok(SigninPage {
            oauth_state,
            client_id: context.client_id.clone(),
            app_title: self.client_title(client).await?,
            redirect_uri: context.redirect_uri.clone(),
            response_type: context.response_type,
            expiration: context.expiration,
        })
    }

    /// `oauth2/authorize`: checks the client, its redirect URI (exactly) and the request, and
    /// returns the sign-in page to show. Nothing is stored.
    pub async fn oauth_authorize(
        &self,
        params: &AuthorizeParams<'_>,
        own_roots: &[String],
    ) -> Result<SigninPage, AuthorizeRefusal> {
        let client = self
            .checked_client(params.client_id, params.redirect_uri, own_roots)
            .await?;
        let context =
            SigninContext::from_params(params, self.now()).map_err(AuthorizeRefusal::Invalid)?;
        let json = serde_json::to_string(&context)
            .map_err(|e| ServiceError::Internal(format!("encoding the sign-in state: {e}")))?;
        let oauth_state = self.sealer.seal(&format!("{STATE_TAG}{json}"))?;
        Ok(self.signin_page(&client, &context, oauth_state).await?)
    }

    /// Opens a posted `oauth_state` and checks that it is still good at `now`.
    fn open_signin_state(&self, oauth_state: &str) -> Result<SigninContext, AuthorizeRefusal> {
        if oauth_state.is_empty() || oauth_state.len() > MAX_OAUTH_STATE_LEN {
            return Err(AuthorizeRefusal::BadSigninState);
        }
        let plain = self
            .sealer
            .open(oauth_state)
            .map_err(|_| AuthorizeRefusal::BadSigninState)?;
        let json = plain
            .expose()
            .strip_prefix(STATE_TAG)
            .ok_or(AuthorizeRefusal::BadSigninState)?;
        let context: SigninContext =
            serde_json::from_str(json).map_err(|_| AuthorizeRefusal::BadSigninState)?;
        if context.is_expired(self.now()) {
            return Err(AuthorizeRefusal::BadSigninState);
        }
        Ok(context)
    }

    /// `oauth2/signin`: checks the password (same guard and lock-out as `generateToken`) and
    /// issues an access token (implicit flow) or a single-use code (code flow). The client
    /// and its redirect URI are checked again: the app may have changed since the page was
    /// served.
    pub async fn oauth_signin(
        &self,
        oauth_state: &str,
        username: &str,
        password: &str,
        own_roots: &[String],
        facts: &RequestFacts,
    ) -> Result<SigninOutcome, SigninFailure> {
        let context = self.open_signin_state(oauth_state)?;
        let client = self
            .checked_client(
                Some(&context.client_id),
                Some(&context.redirect_uri),
                own_roots,
            )
            .await?;
        let page = |message: String, page: SigninPage| SigninFailure::Credentials { page, message };
        let this_page = self
            .signin_page(&client, &context, oauth_state.to_string())
            .await
            .map_err(AuthorizeRefusal::from)?;
        if username.is_empty() || password.is_empty() {
            return Err(page("Enter your username and password.".into(), this_page));
        }
        let username = match self.check_password(username, password, facts).await {
            Ok(username) => username,
            Err(ServiceError::Domain(DomainError::Invalid { message, details })) => {
                return Err(page(
                    details.into_iter().next().unwrap_or(message),
                    this_page,
                ))
            }
            Err(busy @ ServiceError::Busy) => return Err(page(busy.to_string(), this_page)),
            Err(other) => return Err(AuthorizeRefusal::Internal(other).into()),
        };
        let user = self
            .store
            .get_user(&username)
            .await
            .map_err(AuthorizeRefusal::from)?
            .ok_or_else(|| page("Invalid username or password.".into(), this_page.clone()))?;
        let now = self.now();
        self.store
            .set_last_login(&username, now)
            .await
            .map_err(AuthorizeRefusal::from)?;
        match context.response_type {
            ResponseType::Token => {
                let lifetime = implicit_token_lifetime_ms(context.expiration)
                    .map_err(AuthorizeRefusal::Invalid)?;
                let (access_token, expires_in) = self
                    .issue_oauth_user_token(&user.username, lifetime)
                    .await
                    .map_err(AuthorizeRefusal::from)?;
                Ok(SigninOutcome::Token {
                    redirect_uri: context.redirect_uri,
                    access_token,
                    expires_in,
                    username: user.username,
                    state: context.state,
                })
            }
            ResponseType::Code => {
                let code = new_opaque_token();
                let stored = AuthorizationCode::issue(
                    sha256_hex(code.expose()),
                    &context,
                    &user.username,
                    &user.id,
                    now,
                )
                .map_err(AuthorizeRefusal::Invalid)?;
                self.store
                    .insert_authorization_code(&stored)
                    .await
                    .map_err(AuthorizeRefusal::from)?;
                Ok(SigninOutcome::Code {
                    redirect_uri: context.redirect_uri,
                    code,
                    state: context.state,
                })
            }
        }
    }

    /// A user token like `generateToken`'s, bound to nothing (OAuth tokens travel with
    /// applications, not with one referer). Returns the token and its `expires_in` (seconds).
    async fn issue_oauth_user_token(
        &self,
        username: &str,
        lifetime_ms: i64,
    ) -> Result<(SecretString, i64), ServiceError> {
        let now = self.now();
        let token = new_opaque_token();
        let stored = UserToken {
            hash: sha256_hex(token.expose()),
            username: username.to_string(),
            created: now,
            expires: now + lifetime_ms,
            binding: TokenBinding::None,
        };
        self.store.insert_token(&stored).await?;
        Ok((token, seconds_until(stored.expires, now)))
    }

    async fn issue_refresh_token(
        &self,
        client_id: &str,
        user: &User,
        lifetime_ms: i64,
        replacing: Option<&str>,
    ) -> Result<(SecretString, i64), OAuthFailure> {
        let now = self.now();
        let value = new_opaque_token();
        let stored = RefreshToken {
            hash: sha256_hex(value.expose()),
            client_id: client_id.to_string(),
            username: user.username.clone(),
            user_id: user.id.clone(),
            created: now,
            expires: now + lifetime_ms,
        };
        match replacing {
            None => self.store.insert_refresh_token(&stored).await?,
            Some(old) => {
                if !self.store.replace_refresh_token(old, &stored).await? {
                    return Err(invalid_refresh_token().into());
                }
            }
        }
        Ok((value, seconds_until(stored.expires, now)))
    }

    /// The client of a token request: known, and authenticated by its secret when it sent
    /// one (or must: `server` apps are confidential). Public clients need no secret.
    async fn token_client(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
    ) -> Result<OAuthClient, OAuthFailure> {
        let client = self
            .oauth_client(client_id)
            .await?
            .ok_or_else(OAuthError::invalid_client)?;
        let secret = client_secret.filter(|s| !s.is_empty());
        match (&client, secret) {
            (OAuthClient::BuiltIn(_), None) => {}
            (OAuthClient::BuiltIn(_), Some(_)) => {
                return Err(OAuthError::new(
                    OAuthErrorKind::InvalidClient,
                    "Invalid client_secret: this client has none.",
                )
                .into())
            }
            (OAuthClient::Registered { app, .. }, None) => {
                if app.app_type == AppType::Server {
                    return Err(OAuthError::new(
                        OAuthErrorKind::InvalidClient,
                        "'client_secret' must be specified for a server application.",
                    )
                    .into());
                }
            }
            (OAuthClient::Registered { sealed_secret, .. }, Some(presented)) => {
                let stored = self.sealer.open(sealed_secret)?;
                if !constant_time_eq(stored.expose().as_bytes(), presented.as_bytes()) {
                    return Err(OAuthError::new(
                        OAuthErrorKind::InvalidClient,
                        "Invalid client_id or client_secret.",
                    )
                    .into());
                }
            }
        }
        Ok(client)
    }

    /// The member a code or refresh token was issued to, if they still may sign in: same
    /// account (id), not disabled.
    async fn grant_holder(&self, username: &str, user_id: &str) -> Result<User, OAuthFailure> {
        match self.store.get_user(username).await? {
            Some(user) if user.id == user_id && !user.disabled => Ok(user),
            _ => Err(OAuthError::invalid_grant(
                "The account this grant was issued to is disabled or no longer exists.",
            )
            .into()),
        }
    }

    /// `grant_type=authorization_code`: redeems a code once for an access token and a refresh
    /// token. Every check runs before the code is consumed, so a refused request (wrong
    /// verifier, wrong redirect URI) changes nothing.
    pub async fn oauth_redeem_code(
        &self,
        grant: &CodeGrant<'_>,
    ) -> Result<OAuthTokens, OAuthFailure> {
        let client_id = required(grant.client_id, "client_id")?;
        let code = required(grant.code, "code")?;
        let access_lifetime = access_token_lifetime_ms(grant.expiration)?;
        self.token_client(client_id, grant.client_secret).await?;
        let stored = self
            .store
            .get_authorization_code(&sha256_hex(code))
            .await?
            .ok_or_else(invalid_code)?;
        stored.check_redemption(
            &CodeRedemption {
                client_id,
                redirect_uri: grant.redirect_uri.filter(|r| !r.is_empty()),
                code_verifier: grant.code_verifier.filter(|v| !v.is_empty()),
            },
            self.now(),
        )?;
        let user = self.grant_holder(&stored.username, &stored.user_id).await?;
        if !self.store.consume_authorization_code(&stored.hash).await? {
            // Redeemed by a concurrent request a moment ago.
            return Err(invalid_code().into());
        }
        let refresh_minutes = stored.refresh_minutes.clamp(1, MAX_REFRESH_TOKEN_MINUTES);
        let (refresh, refresh_expires_in) = self
            .issue_refresh_token(client_id, &user, refresh_minutes * MINUTE_MS, None)
            .await?;
        let (access, expires_in) = self
            .issue_oauth_user_token(&user.username, access_lifetime)
            .await?;
        Ok(OAuthTokens {
            access_token: access,
            expires_in,
            username: user.username,
            refresh_token: Some(refresh),
            refresh_token_expires_in: Some(refresh_expires_in),
        })
    }

    /// The stored refresh token of a `refresh_token` / `exchange_refresh_token` request,
    /// usable by this client now, and its member.
    async fn usable_refresh_token(
        &self,
        grant: &RefreshGrant<'_>,
    ) -> Result<(RefreshToken, User), OAuthFailure> {
        let client_id = required(grant.client_id, "client_id")?;
        let value = required(grant.refresh_token, "refresh_token")?;
        self.token_client(client_id, grant.client_secret).await?;
        let stored = self
            .store
            .get_refresh_token(&sha256_hex(value))
            .await?
            .ok_or_else(invalid_refresh_token)?;
        stored.check_use(client_id, self.now())?;
        let user = self.grant_holder(&stored.username, &stored.user_id).await?;
        Ok((stored, user))
    }

    /// `grant_type=refresh_token`: a new access token; the refresh token stays valid.
    pub async fn oauth_refresh(
        &self,
        grant: &RefreshGrant<'_>,
    ) -> Result<OAuthTokens, OAuthFailure> {
        let access_lifetime = access_token_lifetime_ms(grant.expiration)?;
        let (_, user) = self.usable_refresh_token(grant).await?;
        let (access, expires_in) = self
            .issue_oauth_user_token(&user.username, access_lifetime)
            .await?;
        Ok(OAuthTokens {
            access_token: access,
            expires_in,
            username: user.username,
            refresh_token: None,
            refresh_token_expires_in: None,
        })
    }

    /// `grant_type=exchange_refresh_token`: a new access token and a new refresh token; the
    /// old refresh token is revoked (exchanged once, even by concurrent requests).
    pub async fn oauth_exchange_refresh_token(
        &self,
        grant: &RefreshGrant<'_>,
        own_roots: &[String],
    ) -> Result<OAuthTokens, OAuthFailure> {
        let access_lifetime = access_token_lifetime_ms(grant.expiration)?;
        let redirect_uri = required(grant.redirect_uri, "redirect_uri")?;
        let (stored, user) = self.usable_refresh_token(grant).await?;
        let client = self
            .oauth_client(&stored.client_id)
            .await?
            .ok_or_else(OAuthError::invalid_client)?;
        if !redirect_allowed(&Self::allowed_redirects(&client, own_roots), redirect_uri) {
            return Err(OAuthError::invalid_request("Invalid redirect_uri.").into());
        }
        let (refresh, refresh_expires_in) = self
            .issue_refresh_token(
                &stored.client_id,
                &user,
                refresh_token_lifetime_ms(None)?,
                Some(&stored.hash),
            )
            .await?;
        let (access, expires_in) = self
            .issue_oauth_user_token(&user.username, access_lifetime)
            .await?;
        Ok(OAuthTokens {
            access_token: access,
            expires_in,
            username: user.username,
            refresh_token: Some(refresh),
            refresh_token_expires_in: Some(refresh_expires_in),
        })
    }
}
