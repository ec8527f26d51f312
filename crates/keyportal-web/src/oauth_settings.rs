//! Managing OAuth credentials from their item page: editing the redirect URIs (matched
//! exactly at sign-in) and revealing the client secret to the owner, behind a POST so it never
//! lands in a URL, a history entry or a log line.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use keyportal_service::{AppChanges, AppView, ItemView};

use crate::html::{self, url_encode, Html};
use crate::layout::{hidden_csrf, notice};
use crate::request::{credential_or_404, forbidden_csrf, message, page, redirect, Session};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St, Web};

pub(crate) fn routes() -> Routes {
    Router::new()
        .route(
            "/home/item/{id}/redirects",
            get(redirects_page).post(save_redirects),
        )
        .route("/home/item/{id}/secret", get(secret_page).post(show_secret))
}

/// The session, the item and its registration, or the page that says why not.
async fn load(
    web: &Web,
    session: Session,
    id: &str,
) -> Result<(Session, ItemView, AppView), Response> {
    let (item, app) = credential_or_404(web, &session, id).await?;
    Ok((session, item, app))
}

fn crumbs(h: &mut Html, item: &ItemView) {
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">")
        .text(&item.item.title)
        .raw("</a></nav>");
}

async fn redirects_page(State(web): St, session: Session, Path(id): Path<String>) -> Response {
    match load(&web, session, &id).await {
        Ok((session, item, app)) => {
            let text = app.app.redirect_uris.join("\n");
            render_redirects(&session, &item, &text, None, StatusCode::OK)
        }
        Err(response) => response,
    }
}

async fn save_redirects(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    Form(form): Fields,
) -> Response {
    let (session, item, app) = match load(&web, session, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let text = form
        .get("redirect_uris")
        .map(String::as_str)
        .unwrap_or_default();
    let uris: Vec<String> = text
        .split(['\n', ',', ' '])
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .collect();
    let changes = AppChanges {
        redirect_uris: Some(uris),
        ..AppChanges::default()
    };
    match web
        .portal
        .update_app(&session.caller, &app.app.client_id, changes)
        .await
    {
        Ok(_) => redirect(&format!(
            "/home/item/{}?notice={}",
            html::url_encode(&id),
            html::url_encode("Redirect URIs saved.")
        )),
        Err(e) => render_redirects(
            &session,
            &item,
            text,
            Some(&message(&e)),
            StatusCode::BAD_REQUEST,
        ),
    }
}

fn render_redirects(
    session: &Session,
    item: &ItemView,
    text: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut h = Html::new();
    crumbs(&mut h, item);
    h.raw("<section class=\"card narrow\" aria-labelledby=\"redirects\"><h1 id=\"redirects\">Redirect URIs</h1>");
    notice(&mut h, error, "error");
    h.raw("<form method=\"post\" class=\"stack\">");
    hidden_csrf(&mut h, &session.csrf);
    h.raw("<label for=\"redirect_uris\">Redirect URIs <span class=\"muted\">(one per line)</span></label>")
        .raw("<textarea id=\"redirect_uris\" name=\"redirect_uris\" rows=\"5\" spellcheck=\"false\" aria-describedby=\"redirect-hint\">")
        .text(text)
        .raw("</textarea><p id=\"redirect-hint\" class=\"hint\">Sign-in results go only to an address that matches one of these exactly. Removing an address makes sign-ins that use it fail at once.</p>")
        .raw("<div class=\"actions\"><button type=\"submit\" class=\"button\">Save redirect URIs</button><a class=\"button secondary\" href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">Cancel</a></div></form></section>");
    page(status, session.layout("Redirect URIs").render(h))
}

async fn secret_page(State(web): St, session: Session, Path(id): Path<String>) -> Response {
    let (session, item, _) = match load(&web, session, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let mut h = Html::new();
    crumbs(&mut h, &item);
    h.raw("<section class=\"card narrow\" aria-labelledby=\"secret\"><h1 id=\"secret\">Client secret</h1>")
        .raw("<p>The client secret lets a server application exchange codes and get app tokens in the name of these credentials. Show it only where nobody is looking over your shoulder, and never put it in a browser or mobile application.</p>")
        .raw("<form method=\"post\" class=\"stack\">");
    hidden_csrf(&mut h, &session.csrf);
    h.raw("<div class=\"actions\"><button type=\"submit\" class=\"button\">Show client secret</button><a class=\"button secondary\" href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">Cancel</a></div></form></section>");
    page(StatusCode::OK, session.layout("Client secret").render(h))
}

async fn show_secret(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    Form(form): Fields,
) -> Response {
    let (session, item, app) = match load(&web, session, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let mut h = Html::new();
    crumbs(&mut h, &item);
    h.raw("<section class=\"card narrow\" aria-labelledby=\"secret\"><h1 id=\"secret\">Client secret</h1>")
        .raw("<label for=\"client-id\">Client ID</label><input id=\"client-id\" class=\"key\" readonly spellcheck=\"false\" value=\"")
        .text(&app.app.client_id)
        .raw("\"><label for=\"client-secret\">Client secret</label><div class=\"row\"><input id=\"client-secret\" class=\"key\" readonly spellcheck=\"false\" autocomplete=\"off\" value=\"")
        .text(app.client_secret.expose())
        .raw("\"><button type=\"button\" class=\"button\" data-copy=\"client-secret\">Copy</button></div><p class=\"hint\" data-copy-status aria-live=\"polite\"></p>")
        .raw("<p><a class=\"button secondary\" href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">Done — back to the item</a></p></section>");
    page(StatusCode::OK, session.layout("Client secret").render(h))
}
