//! Editing a credential's allowed addresses from its item page (issue 14): like referrers, an
//! address change keeps both API keys working (addresses are checked on each request, on
//! every node at once), through `Portal::update_app`.

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
use crate::pickers::{address_help, split_referrers, FormList};
use crate::request::{forbidden_csrf, message, redirect, Session};
use crate::session::csrf_ok;
use crate::{Routes, St};

pub(crate) fn routes() -> Routes {
    Router::new().route(
        "/home/item/{id}/edit/addresses",
        get(addresses_get).post(addresses_post),
    )
}

fn addresses_form(c: &Credential, text: &str, error: Option<&str>) -> Html {
    let mut h = Html::new();
    head(&mut h, &c.item, Edit::Addresses);
    form_start(&mut h, c, Edit::Addresses);
    h.raw("<h1 id=\"edit-title\">Edit addresses</h1><p>Allowed addresses restrict which clients can use the credential's API keys — the right restriction for keys used from servers, where a referrer means nothing. Changing them keeps both keys working.</p>");
    notice(&mut h, error, "error");
    h.raw("<label for=\"addresses\">Allowed addresses</label><textarea id=\"addresses\" name=\"addresses\" rows=\"5\" spellcheck=\"false\" autocomplete=\"off\" placeholder=\"203.0.113.0/24\" aria-describedby=\"addresses-hint\"")
        .raw(if error.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        })
        .raw(">")
        .text(text)
        .raw("</textarea>");
    address_help(&mut h);
    h.raw("<div class=\"wizard-nav\"><button type=\"submit\" name=\"go\" value=\"save\" class=\"button\">Save addresses</button><a class=\"cancel\" href=\"")
        .text(&item_url(&c.item))
        .raw("\">Cancel</a></div></form>");
    h
}

async fn addresses_get(State(web): St, session: Session, Path(id): Path<String>) -> Response {
    let c = match load(&web, session, &id).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let text = c.app.app.allowed_addresses.join("\n");
    let body = addresses_form(&c, &text, None);
    show(&c, StatusCode::OK, Edit::Addresses, body)
}

async fn addresses_post(
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
    let text = form.text("addresses");
    let changes = AppChanges {
        allowed_addresses: Some(split_referrers(&text)),
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
            url_encode(if view.app.allowed_addresses.is_empty() {
                "Addresses saved: the API keys work from any address. The keys were not changed."
            } else {
                "Addresses saved. The API keys now work only from the addresses you listed; the keys were not changed."
            })
        )),
        Err(e) => {
            let body = addresses_form(&c, &text, Some(&message(&e)));
            show(&c, StatusCode::BAD_REQUEST, Edit::Addresses, body)
        }
    }
}
