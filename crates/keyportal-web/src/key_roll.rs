//! *Roll key* (issue 14): on an active slot, a page that offers a grace — now, 1 hour,
//! 24 hours, 7 days, 30 days — then `Portal::roll_api_key` (the REST `rollApiKey`) and the new
//! key shown once, with when the old one stops.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::time::iso_date;
use keyportal_service::{AppView, ItemView, RollRequest};

use crate::html::{url_encode, Html};
use crate::keys::{key_result_body, slot_index, slot_number};
use crate::layout::{date_time, hidden_csrf, notice};
use crate::request::{credential_or_404, error_page, forbidden_csrf, message, page, Session};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St};

pub(crate) fn routes() -> Routes {
    Router::new().route("/home/item/{id}/roll/{slot}", get(roll_confirm).post(roll))
}

/// The grace choices: (form value in seconds, label).
pub(crate) const GRACES: [(&str, &str); 5] = [
    ("0", "Now — the current key stops at once"),
    ("3600", "In 1 hour"),
    ("86400", "In 24 hours"),
    ("604800", "In 7 days"),
    ("2592000", "In 30 days"),
];

fn other(slot: KeySlot) -> KeySlot {
    match slot {
        KeySlot::One => KeySlot::Two,
        KeySlot::Two => KeySlot::One,
    }
}

fn parse_slot(text: &str) -> Option<KeySlot> {
    text.parse::<u8>().ok().and_then(KeySlot::from_number)
}

fn confirm_body(
    csrf: &str,
    item: &ItemView,
    app: &AppView,
    slot: KeySlot,
    error: Option<&str>,
) -> Html {
    let state = &app.app.slots[slot_index(slot)];
    let mut h = Html::new();
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">")
        .text(&item.item.title)
        .raw("</a></nav><section class=\"card narrow\" aria-labelledby=\"confirm\"><h1 id=\"confirm\">Roll API key ")
        .raw(slot_number(slot))
        .raw("</h1>");
    notice(&mut h, error, "error");
    h.raw("<p>This generates a new key in slot ")
        .raw(slot_number(other(slot)))
        .raw(" of <strong>")
        .text(&item.item.title)
        .raw("</strong> and keeps API key ")
        .raw(slot_number(slot))
        .raw(" (<code>")
        .text(state.key_hint.as_deref().unwrap_or("—"))
        .raw("</code>) working for the time you choose, so your applications can move to the new key. The new key is shown <strong>once</strong>.</p><form method=\"post\" class=\"stack\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<fieldset><legend>When should the current key stop working?</legend>");
    for (at, (value, label)) in GRACES.iter().enumerate() {
        h.raw("<label class=\"choice\"><input type=\"radio\" name=\"grace\" value=\"")
            .raw(value)
            .raw("\"")
            .raw(if at == 2 { " checked" } else { "" })
            .raw("> ")
            .raw(label)
            .raw("</label>");
    }
    h.raw("</fieldset><p class=\"hint\">A current key never outlives its own expiration date (")
        .text(&iso_date(state.expiration))
        .raw("). The new key expires after the organization's default lifetime.</p><div class=\"actions\"><button type=\"submit\" class=\"button\">Roll key</button><a class=\"button secondary\" href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">Cancel</a></div></form></section>");
    h
}

async fn roll_confirm(
    State(web): St,
    session: Session,
    Path((id, slot)): Path<(String, String)>,
) -> Response {
    let Some(slot) = parse_slot(&slot) else {
        return error_page(
            Some(&session),
            StatusCode::NOT_FOUND,
            "There is no page here.",
        );
    };
    let (item, app) = match credential_or_404(&web, &session, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let body = confirm_body(&session.csrf, &item, &app, slot, None);
    page(StatusCode::OK, session.layout("Roll API key").render(body))
}

async fn roll(
    State(web): St,
    session: Session,
    Path((id, slot)): Path<(String, String)>,
    Form(form): Fields,
) -> Response {
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let Some(slot) = parse_slot(&slot) else {
        return error_page(
            Some(&session),
            StatusCode::NOT_FOUND,
            "There is no page here.",
        );
    };
    let (item, app) = match credential_or_404(&web, &session, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let grace = form
        .get("grace")
        .and_then(|g| GRACES.iter().find(|(value, _)| value == g))
        .and_then(|(value, _)| value.parse::<i64>().ok());
    let refuse = |text: &str| {
        let body = confirm_body(&session.csrf, &item, &app, slot, Some(text));
        page(
            StatusCode::BAD_REQUEST,
            session.layout("Roll API key").render(body),
        )
    };
    let Some(grace_seconds) = grace else {
        return refuse("Choose when the current key should stop working.");
    };
    let request = RollRequest {
        slot,
        grace_seconds,
        expiration: None,
    };
    match web.portal.roll_api_key(&session.caller, &id, request).await {
        Ok(rolled) => {
            let mut body = key_result_body(&item, rolled.slot, rolled.key.expose(), rolled.expires);
            let ends = if rolled.previous_expires <= web.portal.now() {
                "It has stopped working.".to_string()
            } else {
                format!(
                    "It keeps working until {}.",
                    date_time(rolled.previous_expires)
                )
            };
            body.raw("<p class=\"notice ok\" data-testid=\"previous-key\">API key ")
                .raw(slot_number(rolled.previous_slot))
                .raw(" was rolled. ")
                .text(&ends)
                .raw("</p>");
            page(
                StatusCode::OK,
                session.layout("Your new API key").render(body),
            )
        }
        Err(e) => refuse(&message(&e)),
    }
}
