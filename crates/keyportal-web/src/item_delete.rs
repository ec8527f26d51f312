//! Deleting an item from its page: a confirmation that says what stops working, then the
//! same `delete_item` as `content/users/{u}/items/{id}/delete` (which also removes a
//! credential's registration and so its keys).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};

use crate::html::{self, url_encode, Html};
use crate::layout::{hidden_csrf, notice};
use crate::request::{forbidden_csrf, item_or_404, message, page, redirect, Session};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St};
use keyportal_service::ItemView;

pub(crate) fn routes() -> Routes {
    Router::new().route("/home/item/{id}/delete", get(confirm).post(delete))
}

async fn confirm(State(web): St, session: Session, Path(id): Path<String>) -> Response {
    let item = match item_or_404(&web, &session, &id).await {
        Ok(item) => item,
        Err(response) => return response,
    };
    let registered = web.portal.app_info(&session.caller, &id).await.is_ok();
    render(&session, &item, registered, None, StatusCode::OK)
}

async fn delete(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    Form(form): Fields,
) -> Response {
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let item = match item_or_404(&web, &session, &id).await {
        Ok(item) => item,
        Err(response) => return response,
    };
    let registered = web.portal.app_info(&session.caller, &id).await.is_ok();
    match web.portal.delete_item(&session.caller, &id).await {
        Ok(_) => redirect(&format!(
            "/home/content?notice={}",
            html::url_encode(&format!("\u{201c}{}\u{201d} was deleted.", item.item.title))
        )),
        Err(e) => render(
            &session,
            &item,
            registered,
            Some(&message(&e)),
            StatusCode::BAD_REQUEST,
        ),
    }
}

fn render(
    session: &Session,
    item: &ItemView,
    registered: bool,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let id = url_encode(&item.item.id);
    let mut h = Html::new();
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"/home/item/")
        .text(&id)
        .raw("\">")
        .text(&item.item.title)
        .raw("</a></nav><section class=\"card narrow\" aria-labelledby=\"delete\"><h1 id=\"delete\">Delete ")
        .text(&item.item.title)
        .raw("?</h1>");
    notice(&mut h, error, "error");
    h.raw("<p>")
        .raw(if registered {
            "This deletes the developer credentials and their registration. <strong>Every API key, app token and sign-in of applications using them stops working immediately.</strong> This cannot be undone."
        } else {
            "This deletes the item and its sharing. This cannot be undone."
        })
        .raw("</p><form method=\"post\" class=\"stack\">");
    hidden_csrf(&mut h, &session.csrf);
    h.raw("<div class=\"actions\"><button type=\"submit\" class=\"button danger\">Delete</button><a class=\"button secondary\" href=\"/home/item/")
        .text(&id)
        .raw("\">Cancel</a></div></form></section>");
    page(status, session.layout("Delete item").render(h))
}
