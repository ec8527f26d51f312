//! OAuth 2.0 sign-in for applications: `oauth2/authorize` (the sign-in page), the form's
//! `/sharing/oauth2/signin`, and the user grants of `oauth2/token` (`authorization_code`,
//! `refresh_token`, `exchange_refresh_token`), which `tokens::oauth_token` hands over here.

mod pages;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, REFERRER_POLICY};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use keyportal_domain::oauth::{AuthorizeParams, OAuthError, OUT_OF_BAND};
use keyportal_service::oauth::{
    CodeGrant, OAuthFailure, OAuthTokens, RefreshGrant, SigninFailure, SigninOutcome,
};
use serde_json::{json, Value};

use super::get_or_post;
use crate::wire::{ApiError, ApiResult, ArcgisRequest};
use crate::AppState;

pub fn routes(root: &str) -> Router<AppState> {
    Router::new()
        .route(&format!("{root}/oauth2/authorize"), get_or_post(authorize))
        .route("/sharing/oauth2/authorize", get_or_post(authorize))
        .route(pages::SIGNIN_PATH, post(signin))
        .route(pages::STYLESHEET_PATH, get(stylesheet))
}

/// The portal's own site roots: where the built-in clients (`pythonapi`, `arcgisonline`) may
/// redirect. They come from the configured public URL (`--public-url`, by default the address
/// the server listens on), never from the request: a client choosing its `Host` header must not
/// choose where a signed-in user's token is sent.
pub(crate) fn portal_roots(public_url: &str) -> Vec<String> {
    let (https, authority) = match public_url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => (true, rest),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => (false, rest),
        _ => return Vec::new(),
    };
    own_roots(Some(authority.trim_end_matches('/')), https)
}

/// The site roots of a portal at `host` (`host[:port]`): `https://<host>` always (the ArcGIS
/// API for Python only speaks HTTPS), `http://<host>` when served over plain HTTP, each also
/// with its default port written out or left out. A host that is not a plain host[:port]
/// yields none.
fn own_roots(host: Option<&str>, https: bool) -> Vec<String> {
    let Some(host) = host.map(str::trim).filter(|h| {
        !h.is_empty()
            && h.len() <= 261
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    }) else {
        return Vec::new();
    };
    // Split off an explicit port (`[::1]:7080`, `example.com:443`; a bare IPv6 has none).
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!name.contains(':') || (name.starts_with('[') && name.ends_with(']'))) =>
        {
            (name, Some(port))
        }
        _ => (host, None),
    };
    let mut schemes = vec![("https", "443")];
    if !https {
        schemes.push(("http", "80"));
    }
    let mut roots = Vec::new();
    for (scheme, default_port) in schemes {
        roots.push(format!("{scheme}://{host}"));
        match port {
            None => roots.push(format!("{scheme}://{name}:{default_port}")),
            Some(p) if p == default_port => roots.push(format!("{scheme}://{name}")),
            Some(_) => {}
        }
    }
    roots
}

fn portal_name(state: &AppState) -> &str {
    &state.portal.settings().portal_name
}

/// `oauth2/authorize`: the sign-in page, or a page saying why not. Never redirects.
async fn authorize(State(state): State<AppState>, request: ArcgisRequest) -> Response {
    let p = &request.params;
    let params = AuthorizeParams {
        client_id: p.text("client_id"),
        response_type: p.text("response_type"),
        // Compared exactly as sent (no trimming): redirect URIs match by string equality.
        redirect_uri: p.raw("redirect_uri"),
        state: p.raw("state"),
        // A value that is not a number is refused like a non-positive one.
        expiration: p.i64("expiration").unwrap_or(Some(0)),
        code_challenge: p.text("code_challenge"),
        code_challenge_method: p.text("code_challenge_method"),
    };
    let roots = portal_roots(&state.public_url);
    match state.portal.oauth_authorize(&params, &roots).await {
        Ok(page) => pages::signin(portal_name(&state), &page, None),
        Err(refusal) => pages::refusal(portal_name(&state), &refusal),
    }
}

/// Percent-encodes what may not appear in a `Location` header (non-ASCII, controls, spaces).
fn header_safe(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    for byte in uri.bytes() {
        if byte.is_ascii_graphic() {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn redirect(location: String) -> Response {
    match HeaderValue::from_str(&header_safe(&location)) {
        Ok(value) => (
            StatusCode::FOUND,
            [
                (LOCATION, value),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            ],
        )
            .into_response(),
        Err(_) => {
            tracing::error!("a redirect URI could not be written as a Location header");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /sharing/oauth2/signin`: the sign-in form's target.
async fn signin(State(state): State<AppState>, request: ArcgisRequest) -> Response {
    let p = &request.params;
    let oauth_state = p.text("oauth_state").unwrap_or_default();
    let username = p.str("username").unwrap_or_default();
    let password = p.str("password").unwrap_or_default();
    let roots = portal_roots(&state.public_url);
    let outcome = state
        .portal
        .oauth_signin(oauth_state, username, password, &roots, &request.facts)
        .await;
    match outcome {
        Ok(SigninOutcome::Token {
            redirect_uri,
            access_token,
            expires_in,
            username,
            state: client_state,
        }) => {
            let mut fragment = form_urlencoded::Serializer::new(String::new());
            fragment
                .append_pair("access_token", access_token.expose())
                .append_pair("expires_in", &expires_in.to_string())
                .append_pair("username", &username)
                .append_pair("ssl", if state.https { "true" } else { "false" });
            if let Some(s) = &client_state {
                fragment.append_pair("state", s);
            }
            redirect(format!("{redirect_uri}#{}", fragment.finish()))
        }
        Ok(SigninOutcome::Code {
            redirect_uri, code, ..
        }) if redirect_uri == OUT_OF_BAND => pages::out_of_band(portal_name(&state), code.expose()),
        Ok(SigninOutcome::Code {
            redirect_uri,
            code,
            state: client_state,
        }) => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("code", code.expose());
            if let Some(s) = &client_state {
                query.append_pair("state", s);
            }
            let separator = if redirect_uri.contains('?') { '&' } else { '?' };
            redirect(format!("{redirect_uri}{separator}{}", query.finish()))
        }
        Err(SigninFailure::Credentials { page, message }) => {
            pages::signin(portal_name(&state), &page, Some((&message, username)))
        }
        Err(SigninFailure::Refused(refusal)) => pages::refusal(portal_name(&state), &refusal),
    }
}

async fn stylesheet() -> Response {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        pages::STYLESHEET,
    )
        .into_response()
}

/// An OAuth refusal in the ArcGIS envelope with the OAuth fields (spec §1.5), e.g.
/// `{"error":{"code":498,"error":"invalid_request","error_description":"refresh_token expired",
/// "message":"refresh_token expired","details":[]}}`.
fn oauth_envelope(error: &OAuthError) -> Value {
    json!({
        "error": {
            "code": error.code,
            "error": error.kind.as_str(),
            "error_description": error.message,
            "message": error.message,
            "details": [],
        }
    })
}

fn tokens_json(tokens: OAuthTokens, ssl: Option<bool>) -> Value {
    let mut answer = json!({
        "access_token": tokens.access_token.expose(),
        "expires_in": tokens.expires_in,
        "username": tokens.username,
    });
    if let Some(ssl) = ssl {
        answer["ssl"] = json!(ssl);
    }
    if let Some(refresh) = &tokens.refresh_token {
        answer["refresh_token"] = json!(refresh.expose());
    }
    if let Some(seconds) = tokens.refresh_token_expires_in {
        answer["refresh_token_expires_in"] = json!(seconds);
    }
    answer
}

/// The user grants of `oauth2/token`; `None` for other grant types (the caller handles them).
pub(super) async fn token_grant(
    state: &AppState,
    request: &ArcgisRequest,
    grant_type: &str,
) -> Option<ApiResult> {
    let p = &request.params;
    let expiration = match p.i64("expiration") {
        Ok(minutes) => minutes,
        Err(e) => {
            return Some(Ok(super::tokens::oauth_error(
                request,
                ApiError::from(e),
                "invalid_request",
            )))
        }
    };
    let refresh = RefreshGrant {
        client_id: p.text("client_id"),
        client_secret: p.text("client_secret"),
        refresh_token: p.text("refresh_token"),
        redirect_uri: p.raw("redirect_uri"),
        expiration,
    };
    let outcome = match grant_type {
        "authorization_code" => state
            .portal
            .oauth_redeem_code(&CodeGrant {
                client_id: p.text("client_id"),
                client_secret: p.text("client_secret"),
                code: p.text("code"),
                redirect_uri: p.raw("redirect_uri"),
                code_verifier: p.text("code_verifier"),
                expiration,
            })
            .await
            .map(|t| tokens_json(t, Some(state.https))),
        "refresh_token" => state
            .portal
            .oauth_refresh(&refresh)
            .await
            .map(|t| tokens_json(t, None)),
        "exchange_refresh_token" => {
            let roots = portal_roots(&state.public_url);
            state
                .portal
                .oauth_exchange_refresh_token(&refresh, &roots)
                .await
                .map(|t| tokens_json(t, Some(state.https)))
        }
        _ => return None,
    };
    Some(Ok(match outcome {
        Ok(answer) => request.reply(answer),
        Err(OAuthFailure::Refused(error)) => request.reply(oauth_envelope(&error)),
        Err(OAuthFailure::Service(error)) => {
            if let keyportal_service::ServiceError::Internal(cause) = &error {
                tracing::error!(%cause, "internal error at oauth2/token");
            }
            super::tokens::oauth_error(request, error.into(), "server_error")
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_roots_cover_the_default_port_both_ways() {
        assert_eq!(
            own_roots(Some("127.0.0.1:7443"), true),
            ["https://127.0.0.1:7443"]
        );
        assert_eq!(
            own_roots(Some("portal.example.com"), true),
            [
                "https://portal.example.com",
                "https://portal.example.com:443"
            ]
        );
        assert_eq!(
            own_roots(Some("portal.example.com:443"), true),
            [
                "https://portal.example.com:443",
                "https://portal.example.com"
            ]
        );
        assert_eq!(
            own_roots(Some("localhost:7080"), false),
            ["https://localhost:7080", "http://localhost:7080"]
        );
        assert_eq!(own_roots(Some("[::1]:7443"), true), ["https://[::1]:7443"]);
        assert_eq!(
            own_roots(Some("[::1]"), true),
            ["https://[::1]", "https://[::1]:443"]
        );
        assert!(own_roots(None, true).is_empty());
        assert!(own_roots(Some("evil.com/x"), true).is_empty());
        assert!(own_roots(Some("a@b"), true).is_empty());
        assert!(own_roots(Some(""), true).is_empty());
    }

    #[test]
    fn portal_roots_come_from_the_configured_url() {
        assert_eq!(
            portal_roots("https://portal.example.com/"),
            [
                "https://portal.example.com",
                "https://portal.example.com:443"
            ]
        );
        assert_eq!(
            portal_roots("http://127.0.0.1:7080"),
            ["https://127.0.0.1:7080", "http://127.0.0.1:7080"]
        );
        assert!(portal_roots("portal.example.com").is_empty());
        assert!(portal_roots("ftp://portal.example.com").is_empty());
        assert!(portal_roots("https://a@b").is_empty());
    }

    #[test]
    fn locations_are_header_safe() {
        assert_eq!(
            header_safe("https://app.example.com/cb/ä?x=a b"),
            "https://app.example.com/cb/%C3%A4?x=a%20b"
        );
    }

    #[test]
    fn expired_refresh_tokens_answer_as_arcgis() {
        assert_eq!(
            oauth_envelope(&OAuthError::refresh_token_expired()),
            json!({"error":{"code":498,"error":"invalid_request",
                "error_description":"refresh_token expired",
                "message":"refresh_token expired","details":[]}})
        );
    }
}
