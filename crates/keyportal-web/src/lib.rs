//! The web portal: server-rendered pages under `/home` (sign-in, My content, item pages with
//! API key settings). Every page calls the same `Portal` methods as the REST API, so the
//! same rules apply. Assets are embedded in the binary.

mod html;
mod pages;
mod session;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::item::ItemChanges;
use keyportal_domain::secret::random_hex;
use keyportal_domain::time::{days_from_civil, DAY_MS};
use keyportal_service::{Caller, Portal, RequestFacts, ServiceError, SlotDates, TokenClient};

pub use html::{escape, Html};
pub use session::{csrf_for, safe_next};

use pages::{KeyAction, Layout};
use session::{cookie, csrf_ok, set_cookie, SESSION_COOKIE, SESSION_MINUTES, SIGNIN_CSRF_COOKIE};

const CSS: &str = include_str!("../assets/portal.css");
const JS: &str = include_str!("../assets/portal.js");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct Web {
    portal: Arc<Portal>,
    https: bool,
}

type St = State<Arc<Web>>;
type Fields = Form<HashMap<String, String>>;

/// The portal's pages, to be merged into the application router.
pub fn router(portal: Arc<Portal>, https: bool) -> Router {
    let state = Arc::new(Web { portal, https });
    Router::new()
        .route("/home", get(home))
        .route("/home/signin", get(signin_page).post(signin))
        .route("/home/signout", post(signout))
        .route("/home/content", get(content))
        .route("/home/folders", post(create_folder))
        .route("/home/item/{id}", get(item_page))
        .route(
            "/home/item/{id}/keys/{slot}/{action}",
            get(key_confirm).post(key_action),
        )
        .route("/home/static/portal.css", get(css))
        .route("/home/static/portal.js", get(js))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Strict headers on every answer of the portal's pages.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn facts(headers: &HeaderMap, request_peer: Option<SocketAddr>) -> RequestFacts {
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
struct Peer(Option<SocketAddr>);

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

fn page(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// A signed-in member's session.
struct Session {
    caller: Caller,
    username: String,
    token: String,
    csrf: String,
}

impl Session {
    fn layout(&self, title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            user: Some((self.username.clone(), self.csrf.clone())),
        }
    }
}

/// The session of the request, or the redirect to the sign-in page.
async fn session(
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
fn message(error: &ServiceError) -> String {
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

fn error_page(session: Option<&Session>, status: StatusCode, text: &str) -> Response {
    let layout = match session {
        Some(s) => s.layout("Error"),
        None => Layout::anonymous("Error"),
    };
    page(status, layout.render(pages::error_body(status, text)))
}

fn forbidden_csrf(session: Option<&Session>) -> Response {
    error_page(
        session,
        StatusCode::FORBIDDEN,
        "This form has expired or did not come from this portal. Go back, reload the page and try again.",
    )
}

async fn home() -> Response {
    redirect("/home/content")
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}

// ------------------------------------------------------------------ sign in / sign out

async fn signin_page(
    State(web): St,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    signin_form(
        &web,
        &headers,
        query.get("next").map(String::as_str),
        None,
        "",
        StatusCode::OK,
    )
}

fn signin_form(
    web: &Web,
    headers: &HeaderMap,
    next: Option<&str>,
    error: Option<&str>,
    username: &str,
    status: StatusCode,
) -> Response {
    let csrf = cookie(headers, SIGNIN_CSRF_COOKIE).unwrap_or_else(random_hex::<16>);
    let next = safe_next(next);
    let body = pages::signin_body(
        &web.portal.settings().portal_name,
        &csrf,
        &next,
        error,
        username,
    );
    let mut response = page(status, Layout::anonymous("Sign in").render(body));
    if let Ok(value) = HeaderValue::from_str(&set_cookie(
        SIGNIN_CSRF_COOKIE,
        &csrf,
        3600,
        "Strict",
        web.https,
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn signin(
    State(web): St,
    Peer(connect): Peer,
    headers: HeaderMap,
    Form(form): Fields,
) -> Response {
    let expected = cookie(&headers, SIGNIN_CSRF_COOKIE).unwrap_or_default();
    if !csrf_ok(&expected, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(None);
    }
    let facts = facts(&headers, connect);
    let username = form.get("username").map(|u| u.trim()).unwrap_or_default();
    let password = form.get("password").map(String::as_str).unwrap_or_default();
    let next = form.get("next").map(String::as_str);
    match web
        .portal
        .generate_token(
            username,
            password,
            TokenClient::RequestIp,
            Some(SESSION_MINUTES),
            &facts,
        )
        .await
    {
        Ok(issued) => {
            let mut response = redirect(&safe_next(next));
            let cookie = set_cookie(
                SESSION_COOKIE,
                issued.token.expose(),
                SESSION_MINUTES * 60,
                "Lax",
                web.https,
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => signin_form(
            &web,
            &headers,
            next,
            Some(&message(&error)),
            username,
            StatusCode::OK,
        ),
    }
}

async fn signout(
    State(web): St,
    Peer(connect): Peer,
    headers: HeaderMap,
    Form(form): Fields,
) -> Response {
    let facts = facts(&headers, connect);
    let session = match session(&web, &headers, &facts, "/home/content").await {
        Ok(s) => s,
        Err(to_signin) => return to_signin,
    };
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    if let Err(error) = web.portal.revoke_user_token(&session.token).await {
        return error_page(
            Some(&session),
            StatusCode::INTERNAL_SERVER_ERROR,
            &message(&error),
        );
    }
    let mut response = redirect("/home/signin");
    if let Ok(value) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, "Lax", web.https)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

// ------------------------------------------------------------------ my content

fn here(path: &str, query: &HashMap<String, String>) -> String {
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

async fn content(
    State(web): St,
    Peer(connect): Peer,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let facts = facts(&headers, connect);
    let session = match session(&web, &headers, &facts, &here("/home/content", &query)).await {
        Ok(s) => s,
        Err(to_signin) => return to_signin,
    };
    let view = pages::ContentQuery {
        folder: query.get("folder").cloned().filter(|f| !f.is_empty()),
        q: query
            .get("q")
            .map(|q| q.trim().to_string())
            .unwrap_or_default(),
        sort: match query.get("sort").map(String::as_str) {
            Some("title") => "title",
            Some("type") => "type",
            _ => "modified",
        },
        notice: query.get("notice").cloned(),
    };
    let listing = web
        .portal
        .list_content(
            &session.caller,
            &session.username,
            view.folder.as_deref(),
            1,
            100,
        )
        .await;
    let (folders, current, mut items, mut error) = match listing {
        Ok(page) => (page.folders, page.current_folder, page.items, None),
        Err(e) => (Vec::new(), None, Vec::new(), Some(message(&e))),
    };
    // The root listing gives the folders; inside a folder, list them for navigation too.
    let folders = if folders.is_empty() {
        web.portal
            .list_content(&session.caller, &session.username, None, 1, 1)
            .await
            .map(|p| p.folders)
            .unwrap_or_default()
    } else {
        folders
    };
    if !view.q.is_empty() {
        let request = keyportal_service::SearchRequest {
            q: format!("owner:\"{}\" AND ({})", session.username, view.q),
            start: 1,
            num: 100,
            sort_field: None,
            sort_order: keyportal_service::SortOrder::Asc,
        };
        match web.portal.search_items(&session.caller, &request).await {
            Ok(found) => {
                items = found
                    .results
                    .into_iter()
                    .filter(|i| match &view.folder {
                        Some(f) => i.item.folder_id.as_deref() == Some(f.as_str()),
                        None => true,
                    })
                    .collect()
            }
            Err(e) => {
                items = Vec::new();
                error = Some(message(&e));
            }
        }
    }
    match view.sort {
        "title" => items.sort_by_key(|i| i.item.title.to_lowercase()),
        "type" => items.sort_by(|a, b| {
            (a.item.item_type.as_str(), a.item.title.to_lowercase())
                .cmp(&(b.item.item_type.as_str(), b.item.title.to_lowercase()))
        }),
        _ => items.sort_by_key(|i| std::cmp::Reverse(i.item.modified)),
    }
    let body = pages::content_body(
        &session.csrf,
        &view,
        &folders,
        current.as_ref(),
        &items,
        error.as_deref(),
    );
    page(StatusCode::OK, session.layout("My content").render(body))
}

async fn create_folder(
    State(web): St,
    Peer(connect): Peer,
    headers: HeaderMap,
    Form(form): Fields,
) -> Response {
    let facts = facts(&headers, connect);
    let session = match session(&web, &headers, &facts, "/home/content").await {
        Ok(s) => s,
        Err(to_signin) => return to_signin,
    };
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let title = form.get("title").map(String::as_str).unwrap_or_default();
    match web
        .portal
        .create_folder(&session.caller, &session.username, title)
        .await
    {
        Ok(folder) => redirect(&format!(
            "/home/content?folder={}&notice={}",
            html::url_encode(&folder.id),
            html::url_encode(&format!("Folder \u{201c}{}\u{201d} created.", folder.title))
        )),
        Err(e) => redirect(&format!(
            "/home/content?notice={}",
            html::url_encode(&format!("The folder was not created: {}", message(&e)))
        )),
    }
}

// ------------------------------------------------------------------ item page and keys

async fn item_page(
    State(web): St,
    Peer(connect): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let facts = facts(&headers, connect);
    let path = format!("/home/item/{}", html::url_encode(&id));
    let session = match session(&web, &headers, &facts, &path).await {
        Ok(s) => s,
        Err(to_signin) => return to_signin,
    };
    let item = match web.portal.get_item(&session.caller, &id).await {
        Ok(item) => item,
        Err(e) => return error_page(Some(&session), StatusCode::NOT_FOUND, &message(&e)),
    };
    let app = web.portal.app_info(&session.caller, &id).await.ok();
    let body = pages::item_body(
        &item,
        app.as_ref(),
        web.portal.now(),
        query.get("notice").map(String::as_str),
    );
    page(
        StatusCode::OK,
        session.layout(&item.item.title).render(body),
    )
}

fn parse_slot(slot: &str) -> Option<KeySlot> {
    match slot {
        "1" => Some(KeySlot::One),
        "2" => Some(KeySlot::Two),
        _ => None,
    }
}

/// `YYYY-MM-DD` → the end of that day (UTC), in epoch ms.
fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // Reject dates like 2026-02-31 that the arithmetic would roll over.
    if keyportal_domain::time::civil_from_days(days) != (y, m, d) {
        return None;
    }
    Some(days * DAY_MS + DAY_MS - 1)
}

async fn key_confirm(
    State(web): St,
    Peer(connect): Peer,
    headers: HeaderMap,
    Path((id, slot, action)): Path<(String, String, String)>,
) -> Response {
    let facts = facts(&headers, connect);
    let path = format!(
        "/home/item/{}/keys/{}/{}",
        html::url_encode(&id),
        html::url_encode(&slot),
        html::url_encode(&action)
    );
    let session = match session(&web, &headers, &facts, &path).await {
        Ok(s) => s,
        Err(to_signin) => return to_signin,
    };
    let (Some(slot), Some(action)) = (parse_slot(&slot), KeyAction::parse(&action)) else {
        return error_page(
            Some(&session),
            StatusCode::NOT_FOUND,
            "There is no page here.",
        );
    };
    let item = match web.portal.get_item(&session.caller, &id).await {
        Ok(item) => item,
        Err(e) => return error_page(Some(&session), StatusCode::NOT_FOUND, &message(&e)),
    };
    let app = match web.portal.app_info(&session.caller, &id).await {
        Ok(app) => app,
        Err(e) => return error_page(Some(&session), StatusCode::NOT_FOUND, &message(&e)),
    };
    let body = pages::confirm_body(
        &session.csrf,
        &item,
        &app,
        slot,
        action,
        web.portal.now(),
        web.portal.settings().default_key_lifetime_ms,
        None,
    );
    page(
        StatusCode::OK,
        session.layout(action.title(slot)).render(body),
    )
}

async fn key_action(
    State(web): St,
    Peer(connect): Peer,
    headers: HeaderMap,
    Path((id, slot, action)): Path<(String, String, String)>,
    Form(form): Fields,
) -> Response {
    let facts = facts(&headers, connect);
    let session = match session(
        &web,
        &headers,
        &facts,
        &format!("/home/item/{}", html::url_encode(&id)),
    )
    .await
    {
        Ok(s) => s,
        Err(to_signin) => return to_signin,
    };
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let (Some(slot), Some(action)) = (parse_slot(&slot), KeyAction::parse(&action)) else {
        return error_page(
            Some(&session),
            StatusCode::NOT_FOUND,
            "There is no page here.",
        );
    };
    let portal = &web.portal;
    let item = match portal.get_item(&session.caller, &id).await {
        Ok(item) => item,
        Err(e) => return error_page(Some(&session), StatusCode::NOT_FOUND, &message(&e)),
    };
    let app = match portal.app_info(&session.caller, &id).await {
        Ok(app) => app,
        Err(e) => return error_page(Some(&session), StatusCode::NOT_FOUND, &message(&e)),
    };
    let refuse = |text: String| {
        let body = pages::confirm_body(
            &session.csrf,
            &item,
            &app,
            slot,
            action,
            portal.now(),
            portal.settings().default_key_lifetime_ms,
            Some(&text),
        );
        page(
            StatusCode::BAD_REQUEST,
            session.layout(action.title(slot)).render(body),
        )
    };
    let client_id = app.app.client_id.clone();
    let secret = app.client_secret.expose().to_string();
    if action == KeyAction::Invalidate {
        return match portal.revoke_api_key(&client_id, &secret, slot).await {
            Ok(()) => redirect(&format!(
                "/home/item/{}?notice={}",
                html::url_encode(&id),
                html::url_encode(&format!(
                    "API key {} was invalidated. Applications using it can no longer access content and services.",
                    slot_number(slot)
                ))
            )),
            Err(e) => refuse(message(&e)),
        };
    }
    let date = form.get("expiration").map(|d| d.trim()).unwrap_or_default();
    if !date.is_empty() {
        let Some(ms) = parse_date(date) else {
            return refuse("Enter the expiration date as YYYY-MM-DD.".to_string());
        };
        let dates = match slot {
            KeySlot::One => SlotDates {
                slot1: Some(ms),
                slot2: None,
            },
            KeySlot::Two => SlotDates {
                slot1: None,
                slot2: Some(ms),
            },
        };
        if let Err(e) = portal
            .update_item(&session.caller, &id, ItemChanges::default(), dates)
            .await
        {
            return refuse(message(&e));
        }
    }
    let regenerate = action == KeyAction::Regenerate;
    match portal
        .mint_api_key(&client_id, &secret, slot, Some(regenerate))
        .await
    {
        Ok(minted) => {
            let expires = portal
                .app_info(&session.caller, &id)
                .await
                .map(|a| a.app.slots[slot_index(slot)].expiration)
                .unwrap_or(-1);
            let body = pages::key_result_body(&item, slot, minted.key.expose(), expires);
            page(
                StatusCode::OK,
                session.layout("Your new API key").render(body),
            )
        }
        Err(e) => refuse(message(&e)),
    }
}

pub(crate) fn slot_index(slot: KeySlot) -> usize {
    match slot {
        KeySlot::One => 0,
        KeySlot::Two => 1,
    }
}

pub(crate) fn slot_number(slot: KeySlot) -> &'static str {
    match slot {
        KeySlot::One => "1",
        KeySlot::Two => "2",
    }
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

    #[test]
    fn slots_parse() {
        assert_eq!(parse_slot("1"), Some(KeySlot::One));
        assert_eq!(parse_slot("2"), Some(KeySlot::Two));
        assert_eq!(parse_slot("3"), None);
    }
}
