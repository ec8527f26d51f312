//! What every page handler needs from a request: the peer, the request facts, the signed-in
//! session, and the answers (pages, redirects, error pages) rendered one way.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyportal_domain::time::{civil_from_days, days_from_civil, DAY_MS};
use keyportal_service::{Caller, RequestFacts, ServiceError};

use crate::html;
use crate::layout::{self, Layout};
use crate::session::{cookie, csrf_for, SESSION_COOKIE};
use crate::Web;

pub(crate) fn facts(headers: &HeaderMap, request_peer: Option<SocketAddr>) -> RequestFacts {
    let referer = headers
        .get(header::REFERER)
        .or_else(|| headers.get(header::ORIGIN))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    RequestFacts {
        referer,
        client_ip: request_peer.map(|p| p.ip().to_string()),
    }
}

/// The peer address the accept loop recorded (absent in tests that call the router directly).
pub(crate) struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
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

/// The session of the request, or the redirect to the sign-in page.
pub(crate) async fn session(
    web: &Web,
    headers: &HeaderMap,
    facts: &RequestFacts,
    here: &str,
) -> Result<Session, Response> {
    let to_signin = || redirect(&format!("/home/signin?next={}", html::url_encode(here)));
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

pub(crate) fn here(path: &str, query: &HashMap<String, String>) -> String {
    let mut pairs: Vec<(&String, &String)> = query.iter().collect();
    pairs.sort();
    let encoded: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", html::url_encode(k), html::url_encode(v)))
        .collect();
    if encoded.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", encoded.join("&"))
    }
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
