//! Generating, regenerating and invalidating a credential's API keys: a confirmation page
//! that says what will happen, then the action through the same rules as the REST API, and
//! the new key shown once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::item::ItemChanges;
use keyportal_domain::time::iso_date;
use keyportal_service::{AppView, ItemView, SlotDates};

use crate::html::{self, url_encode, Html};
use crate::layout::{date, hidden_csrf, notice};
use crate::request::{
    credential_or_404, error_page, forbidden_csrf, message, page, parse_date, redirect, Session,
};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St};

pub(crate) fn routes() -> Routes {
    Router::new().route(
        "/home/item/{id}/keys/{slot}/{action}",
        get(key_confirm).post(key_action),
    )
}

fn parse_slot(slot: &str) -> Option<KeySlot> {
    match slot {
        "1" => Some(KeySlot::One),
        "2" => Some(KeySlot::Two),
        _ => None,
    }
}

async fn key_confirm(
    State(web): St,
    session: Session,
    Path((id, slot, action)): Path<(String, String, String)>,
) -> Response {
    let (Some(slot), Some(action)) = (parse_slot(&slot), KeyAction::parse(&action)) else {
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
    let body = confirm_body(
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
    session: Session,
    Path((id, slot, action)): Path<(String, String, String)>,
    Form(form): Fields,
) -> Response {
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
    let (item, app) = match credential_or_404(&web, &session, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let refuse = |text: String| {
        let body = confirm_body(
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
        return match portal.revoke_api_key(&session.caller.actor(), &client_id, &secret, slot).await {
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
        .mint_api_key(
            &session.caller.actor(),
            &client_id,
            &secret,
            slot,
            Some(regenerate),
        )
        .await
    {
        Ok(minted) => {
            let expires = portal
                .app_info(&session.caller, &id)
                .await
                .map(|a| a.app.slots[slot_index(slot)].expiration)
                .unwrap_or(-1);
            let body = key_result_body(&item, slot, minted.key.expose(), expires);
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyAction {
    Generate,
    Regenerate,
    Invalidate,
}

impl KeyAction {
    pub fn parse(text: &str) -> Option<KeyAction> {
        match text {
            "generate" => Some(KeyAction::Generate),
            "regenerate" => Some(KeyAction::Regenerate),
            "invalidate" => Some(KeyAction::Invalidate),
            _ => None,
        }
    }

    pub fn title(self, slot: KeySlot) -> &'static str {
        match (self, slot) {
            (KeyAction::Generate, KeySlot::Two) => "Generate a secondary API key",
            (KeyAction::Generate, KeySlot::One) => "Generate API key",
            (KeyAction::Regenerate, _) => "Regenerate API key",
            (KeyAction::Invalidate, _) => "Invalidate API key",
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn confirm_body(
    csrf: &str,
    item: &ItemView,
    app: &AppView,
    slot: KeySlot,
    action: KeyAction,
    now: i64,
    default_lifetime_ms: i64,
    error: Option<&str>,
) -> Html {
    let state = &app.app.slots[slot_index(slot)];
    let n = slot_number(slot);
    let mut h = Html::new();
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">")
        .text(&item.item.title)
        .raw("</a></nav><section class=\"card narrow\" aria-labelledby=\"confirm\"><h1 id=\"confirm\">")
        .raw(action.title(slot))
        .raw("</h1>");
    notice(&mut h, error, "error");
    match action {
        KeyAction::Generate => {
            h.raw("<p>This generates API key ").raw(n).raw(" for <strong>").text(&item.item.title)
                .raw("</strong>. The key will be shown <strong>once</strong>, on the next page: copy it and keep it somewhere safe.</p>");
        }
        KeyAction::Regenerate => {
            h.raw("<p>This replaces API key ").raw(n).raw(" (<code>")
                .text(state.key_hint.as_deref().unwrap_or("—"))
                .raw("</code>) of <strong>").text(&item.item.title)
                .raw("</strong> with a new key. <strong>The current key stops working immediately</strong>; applications using it must be given the new key.</p>");
        }
        KeyAction::Invalidate => {
            h.raw("<p>This invalidates API key ").raw(n).raw(" (<code>")
                .text(state.key_hint.as_deref().unwrap_or("—"))
                .raw("</code>) of <strong>").text(&item.item.title)
                .raw("</strong>. <strong>It stops working immediately</strong> and its expiration date is cleared. You can generate a new key in this slot later.</p>");
        }
    }
    h.raw("<form method=\"post\" class=\"stack\">");
    hidden_csrf(&mut h, csrf);
    if action != KeyAction::Invalidate {
        let current = if state.expiration > now {
            format!(
                "The current expiration date is {}.",
                iso_date(state.expiration)
            )
        } else {
            format!(
                "Without a date, the key expires on {} (the organization's default lifetime).",
                iso_date(now + default_lifetime_ms)
            )
        };
        h.raw("<label for=\"expiration\">Expiration date <span class=\"muted\">(optional, at most one year ahead)</span></label>")
            .raw("<input id=\"expiration\" name=\"expiration\" type=\"date\" min=\"")
            .text(&iso_date(now + keyportal_domain::time::DAY_MS))
            .raw("\" max=\"")
            .text(&iso_date(now + 365 * keyportal_domain::time::DAY_MS))
            .raw("\" aria-describedby=\"expiration-hint\"><p id=\"expiration-hint\" class=\"hint\">")
            .text(&current)
            .raw(" A new date replaces the current one.</p>");
    }
    h.raw("<div class=\"actions\"><button type=\"submit\" class=\"button")
        .raw(if action == KeyAction::Invalidate {
            " danger"
        } else {
            ""
        })
        .raw("\">")
        .raw(action.title(slot))
        .raw("</button><a class=\"button secondary\" href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">Cancel</a></div></form></section>");
    h
}

pub(crate) fn key_result_body(item: &ItemView, slot: KeySlot, key: &str, expires: i64) -> Html {
    let mut h = Html::new();
    h.raw("<section class=\"card narrow\" aria-labelledby=\"newkey\"><h1 id=\"newkey\">Your new API key</h1>")
        .raw("<div class=\"notice warn\" role=\"alert\"><strong>Copy this key now. You will not see it again.</strong> keyportal keeps only a fingerprint of it; if you lose it, regenerate the key.</div>")
        .raw("<label for=\"api-key\">API key ")
        .raw(slot_number(slot))
        .raw(" of ")
        .text(&item.item.title)
        .raw("</label><div class=\"row\"><input id=\"api-key\" class=\"key\" readonly spellcheck=\"false\" autocomplete=\"off\" value=\"")
        .text(key)
        .raw("\"><button type=\"button\" class=\"button\" data-copy=\"api-key\">Copy</button></div>")
        .raw("<p class=\"hint\" data-copy-status aria-live=\"polite\"></p><p>Expires: <strong>")
        .text(&date(expires))
        .raw("</strong></p><p><a class=\"button secondary\" href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">Done — back to the item</a></p></section>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_parse() {
        assert_eq!(parse_slot("1"), Some(KeySlot::One));
        assert_eq!(parse_slot("2"), Some(KeySlot::Two));
        assert_eq!(parse_slot("3"), None);
    }
}
