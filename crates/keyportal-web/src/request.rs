//! What every page handler needs from a request: the peer, the request facts, the signed-in
//! session, and the answers (pages, redirects, error pages) rendered one way.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyportal_domain::time::{civil_from_days, days_from_civil, DAY_MS};
use keyportal_service::{Caller, ClientAddress, RequestFacts, ServiceError};

use crate::html;
use crate::layout::{self, Layout};
use crate::session::{cookie, csrf_for, SESSION_COOKIE};
use crate::Web;

pub(crate) fn facts(headers: &HeaderMap, client: Option<IpAddr>) -> RequestFacts {
    let referer = headers
        .get(header::REFERER)
        .or_else(|| headers.get(header::ORIGIN))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    RequestFacts {
        referer,
        client_ip: client.map(|ip| ip.to_string()),
    }
}

/// The client's address: the one the server's client-address layer resolved (the peer, or
/// behind `--trusted-proxies` the forwarded one), else the peer the accept loop recorded
/// (absent in tests that call the router directly).
pub(crate) struct Peer(pub Option<IpAddr>);

fn client_of(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions.get::<ClientAddress>().map(|c| c.0).or_else(|| {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    })
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(client_of(&parts.extensions)))
    }
}

pub(crate) fn page(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// A signed-in member's session.
pub(crate) struct Session {
    pub caller: Caller,
    pub username: String,
    pub token: String,
    pub csrf: String,
}

impl Session {
    pub fn layout(&self, title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            user: Some((self.username.clone(), self.csrf.clone())),
            admin: self.is_admin(),
        }
    }

    /// Whether the member may see the organization pages.
    pub fn is_admin(&self) -> bool {
        self.caller
            .member()
            .is_some_and(|m| m.has("portal:admin:viewUsers"))
    }
}

/// Handlers take a `Session` to require a signed-in member: without one the request is sent to
/// the sign-in page, which comes back here afterwards (for a form post: to the page the form
/// was on).
impl axum::extract::FromRequestParts<std::sync::Arc<Web>> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        web: &std::sync::Arc<Web>,
    ) -> Result<Session, Response> {
        let facts = facts(&parts.headers, client_of(&parts.extensions));
        let here = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default()
        } else {
            referer_path(&parts.headers).unwrap_or_default()
        };
        session(web, &parts.headers, &facts, &here).await
    }
}

/// The path and query of the `Referer` (the page a form was posted from); `safe_next` later
/// keeps only pages of the portal.
fn referer_path(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let after_scheme = referer.split_once("://")?.1;
    let path = &after_scheme[after_scheme.find('/')?..];
    Some(path.to_string())
}

/// The session of the request, or the redirect to the sign-in page.
async fn session(
    web: &Web,
    headers: &HeaderMap,
    facts: &RequestFacts,
    here: &str,
) -> Result<Session, Response> {
    let next = crate::session::safe_next(Some(here));
    let to_signin = || redirect(&format!("/home/signin?next={}", html::url_encode(&next)));
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(to_signin());
    };
    match web.portal.authenticate(Some(&token), facts).await {
        Ok(caller) => match caller.member().map(|m| m.user.username.clone()) {
            Some(username) => Ok(Session {
                caller,
                username,
                csrf: csrf_for(&token),
                token,
            }),
            None => Err(to_signin()),
        },
        Err(_) => Err(to_signin()),
    }
}

/// The item a page is about, or the 404 page that says why not.
pub(crate) async fn item_or_404(
    web: &Web,
    session: &Session,
    id: &str,
) -> Result<keyportal_service::ItemView, Response> {
    web.portal
        .get_item(&session.caller, id)
        .await
        .map_err(|e| error_page(Some(session), StatusCode::NOT_FOUND, &message(&e)))
}

/// A credential's item and registration, or the 404 page that says why not.
pub(crate) async fn credential_or_404(
    web: &Web,
    session: &Session,
    id: &str,
) -> Result<(keyportal_service::ItemView, keyportal_service::AppView), Response> {
    let item = item_or_404(web, session, id).await?;
    let app = web
        .portal
        .app_info(&session.caller, id)
        .await
        .map_err(|e| error_page(Some(session), StatusCode::NOT_FOUND, &message(&e)))?;
    Ok((item, app))
}

/// What a person reads about a refusal (never internal details).
pub(crate) fn message(error: &ServiceError) -> String {
    use keyportal_domain::DomainError;
    match error {
        ServiceError::Domain(DomainError::Invalid { message, details }) => {
            if details.is_empty() {
                message.clone()
            } else {
                details.join(" ")
            }
        }
        ServiceError::Domain(DomainError::Forbidden { details }) if !details.is_empty() => {
            format!("{} {}", error, details.join(" "))
        }
        ServiceError::Internal(cause) => {
            tracing::warn!(%cause, "web page failed");
            "Something went wrong. Try again.".to_string()
        }
        other => other.to_string(),
    }
}

pub(crate) fn error_page(session: Option<&Session>, status: StatusCode, text: &str) -> Response {
    let layout = match session {
        Some(s) => s.layout("Error"),
        None => Layout::anonymous("Error"),
    };
    page(status, layout.render(layout::error_body(status, text)))
}

pub(crate) fn forbidden_csrf(session: Option<&Session>) -> Response {
    error_page(
        session,
        StatusCode::FORBIDDEN,
        "This form has expired or did not come from this portal. Go back, reload the page and try again.",
    )
}

/// `YYYY-MM-DD` → the end of that day (UTC), in epoch ms.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // Reject dates like 2026-02-31 that the arithmetic would roll over.
    if civil_from_days(days) != (y, m, d) {
        return None;
    }
    Some(days * DAY_MS + DAY_MS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_to_the_end_of_the_day() {
        assert_eq!(parse_date("1970-01-01"), Some(DAY_MS - 1));
        assert_eq!(
            parse_date("2026-06-30"),
            Some(1_782_777_600_000 + DAY_MS - 1)
        );
        assert_eq!(parse_date("2026-02-31"), None);
        assert_eq!(parse_date("tomorrow"), None);
        assert_eq!(parse_date("2026-13-01"), None);
    }
}
