//! An item's page: the overview and, for developer credentials, the Settings with both key
//! slots and the credential's details.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::SlotState;
use keyportal_service::{AppView, ItemView};

use crate::html::{self, url_encode, Html};
use crate::keys::{slot_index, slot_number};
use crate::layout::{date, dl, item_tabs, notice, ItemTab};
use crate::request::{error_page, facts, message, page, session, Peer};
use crate::{Routes, St};

pub(crate) fn routes() -> Routes {
    Router::new().route("/home/item/{id}", get(item_page))
}

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
    let body = item_body(
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

/// What a slot's status reads.
pub(crate) fn slot_status(slot: &SlotState, now: i64) -> &'static str {
    if slot.is_usable(now) {
        "active"
    } else if slot.active && slot.key_hash.is_some() {
        "expired"
    } else {
        "inactive"
    }
}

pub(crate) fn item_body(
    item: &ItemView,
    app: Option<&AppView>,
    now: i64,
    done: Option<&str>,
) -> Html {
    let i = &item.item;
    let mut h = Html::new();
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <span>")
        .text(&i.title)
        .raw("</span></nav><div class=\"page-head\"><h1>")
        .text(&i.title)
        .raw("</h1><span class=\"badge\">")
        .text(&i.item_type)
        .raw("</span></div>");
    item_tabs(&mut h, &i.id, app.is_some(), ItemTab::Overview);
    notice(&mut h, done, "ok");
    h.raw("<section class=\"card\" aria-labelledby=\"overview\"><h2 id=\"overview\">Overview</h2>");
    if !i.snippet.is_empty() {
        h.raw("<p class=\"lead\">").text(&i.snippet).raw("</p>");
    }
    h.raw("<p>");
    if i.description.is_empty() {
        h.raw("<span class=\"muted\">No description.</span>");
    } else {
        h.text(&i.description);
    }
    h.raw("</p><dl class=\"facts\">");
    dl(&mut h, "Owner", &i.owner);
    dl(&mut h, "Type", &i.item_type);
    dl(&mut h, "Access", item.wire_access());
    dl(&mut h, "Created", &date(i.created));
    dl(&mut h, "Modified", &date(i.modified));
    dl(&mut h, "Item ID", &i.id);
    h.raw("<dt>Tags</dt><dd>");
    if i.tags.is_empty() {
        h.raw("<span class=\"muted\">None</span>");
    }
    for t in &i.tags {
        h.raw("<span class=\"tag\">").text(t).raw("</span> ");
    }
    h.raw("</dd></dl></section>");
    if let Some(app) = app {
        settings(&mut h, &i.id, app, now);
    }
    h
}

fn settings(h: &mut Html, item_id: &str, app: &AppView, now: i64) {
    h.raw("<section class=\"card\" aria-labelledby=\"settings\"><h2 id=\"settings\">Settings</h2>")
        .raw("<h3>API keys</h3><p class=\"hint\">A credential holds up to two API keys, each with its own expiration date, so you can rotate one while the other keeps working. Keys are shown only once, when they are generated.</p>")
        .raw("<div class=\"slots\">");
    for slot in KeySlot::ALL {
        let state = &app.app.slots[slot_index(slot)];
        let status = slot_status(state, now);
        let n = slot_number(slot);
        h.raw("<article class=\"slot\" aria-labelledby=\"slot")
            .raw(n)
            .raw("\"><div class=\"slot-head\"><h4 id=\"slot")
            .raw(n)
            .raw("\">")
            .raw(if slot == KeySlot::One {
                "Primary API key (1)"
            } else {
                "Secondary API key (2)"
            })
            .raw("</h4><span class=\"status ")
            .raw(status)
            .raw("\" data-testid=\"status-")
            .raw(n)
            .raw("\">")
            .raw(status)
            .raw("</span></div><dl class=\"facts\">");
        dl(h, "Key", state.key_hint.as_deref().unwrap_or("—"));
        dl(h, "Expires", &date(state.expiration));
        dl(h, "Created", &date(state.created));
        dl(h, "Last used", &date(state.last_used));
        h.raw("</dl><div class=\"actions\">");
        let base = format!("/home/item/{}/keys/{n}/", url_encode(item_id));
        if state.key_hash.is_some() {
            h.raw("<a class=\"button secondary\" href=\"")
                .text(&format!("{base}regenerate"))
                .raw("\">Regenerate API key</a><a class=\"button danger\" href=\"")
                .text(&format!("{base}invalidate"))
                .raw("\">Invalidate API key</a>");
        } else {
            h.raw("<a class=\"button\" href=\"")
                .text(&format!("{base}generate"))
                .raw("\">")
                .raw(if slot == KeySlot::Two {
                    "Generate a secondary API key"
                } else {
                    "Generate API key"
                })
                .raw("</a>");
        }
        h.raw("</div></article>");
    }
    h.raw("</div><h3>Credential details</h3><dl class=\"facts\">");
    dl(h, "Client ID", &app.app.client_id);
    dl(h, "App type", app.app.app_type.as_str());
    dl(
        h,
        "Referrers",
        &if app.app.http_referrers.is_empty() {
            "Any (no restriction)".to_string()
        } else {
            app.app.http_referrers.join(", ")
        },
    );
    h.raw("<dt>Privileges</dt><dd><ul class=\"plain\">");
    if app.app.privileges.is_empty() {
        h.raw("<li class=\"muted\">None</li>");
    }
    for p in &app.app.privileges {
        h.raw("<li><code>").text(p).raw("</code></li>");
    }
    h.raw("</ul></dd></dl></section>");
}
