//! Editing a credential's HTTP referrers from its item page: a referrer change keeps both API
//! keys working (referrers are checked on each request), through `Portal::update_app`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_service::AppChanges;

use crate::credential_edit::{form_start, head, item_url, load, show, Credential, Edit};
use crate::html::{url_encode, Html};
use crate::layout::notice;
use crate::pickers::{referrer_help, split_referrers, FormList};
use crate::request::{forbidden_csrf, message, redirect, Session};
use crate::session::csrf_ok;
use crate::{Routes, St};

pub(crate) fn routes() -> Routes {
    Router::new().route(
        "/home/item/{id}/edit/referrers",
        get(referrers_get).post(referrers_post),
    )
}

fn referrers_form(c: &Credential, text: &str, error: Option<&str>) -> Html {
    let mut h = Html::new();
    head(&mut h, &c.item, Edit::Referrers);
    form_start(&mut h, c, Edit::Referrers);
    h.raw("<h1 id=\"edit-title\">Edit referrers</h1><p>Referrers restrict where the credential's API keys can be used from. Changing them keeps both keys working; from now on, requests must come from a matching address.</p>");
    notice(&mut h, error, "error");
    h.raw("<label for=\"referrers\">Referrers</label><textarea id=\"referrers\" name=\"referrers\" rows=\"5\" spellcheck=\"false\" autocomplete=\"off\" placeholder=\"https://*.example.com\" aria-describedby=\"referrers-hint\"")
        .raw(if error.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        })
        .raw(">")
        .text(text)
        .raw("</textarea>");
    referrer_help(&mut h);
    h.raw("<div class=\"wizard-nav\"><button type=\"submit\" name=\"go\" value=\"save\" class=\"button\">Save referrers</button><a class=\"cancel\" href=\"")
        .text(&item_url(&c.item))
        .raw("\">Cancel</a></div></form>");
    h
}

async fn referrers_get(State(web): St, session: Session, Path(id): Path<String>) -> Response {
    let c = match load(&web, session, &id).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let text = c.app.app.http_referrers.join("\n");
    let body = referrers_form(&c, &text, None);
    show(&c, StatusCode::OK, Edit::Referrers, body)
}

async fn referrers_post(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let c = match load(&web, session, &id).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let form = FormList::parse(&body);
    if !csrf_ok(&c.session.csrf, form.get("csrf")) {
        return forbidden_csrf(Some(&c.session));
    }
    let text = form.text("referrers");
    let changes = AppChanges {
        http_referrers: Some(split_referrers(&text)),
        ..AppChanges::default()
    };
    match web
        .portal
        .update_app(&c.session.caller, &c.app.app.client_id, changes)
        .await
    {
        Ok(view) => redirect(&format!(
            "{}?notice={}",
            item_url(&c.item),
            url_encode(if view.app.http_referrers.is_empty() {
                "Referrers saved: the API keys work from anywhere. The keys were not changed."
            } else {
                "Referrers saved. The API keys keep working from the addresses you listed."
            })
        )),
        Err(e) => {
            let body = referrers_form(&c, &text, Some(&message(&e)));
            show(&c, StatusCode::BAD_REQUEST, Edit::Referrers, body)
        }
    }
}
