//! An item's page: the overview and, for developer credentials, the Settings with both key
//! slots and the credential's details.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::{SlotState, API_TOKEN_KEYWORD, OUT_OF_BAND_REDIRECT};
use keyportal_domain::leak::KeyLeak;
use keyportal_domain::privilege::{self, ITEM_ACCESS_PREFIX};
use keyportal_service::{AppView, ItemView, StoredRefusal};

use crate::html::{url_encode, Html};
use crate::key_access::{refusals_section, test_access_form};
use crate::keys::{slot_index, slot_number};
use crate::layout::{date, dl, item_tabs, notice, ItemTab};
use crate::leak_notice::leak_notices;
use crate::request::{item_or_404, page, Session};
use crate::{Routes, St};

pub(crate) fn routes() -> Routes {
    Router::new().route("/home/item/{id}", get(item_page))
}

async fn item_page(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let item = match item_or_404(&web, &session, &id).await {
        Ok(item) => item,
        Err(response) => return response,
    };
    let app = web.portal.app_info(&session.caller, &id).await.ok();
    // Only those who manage the key see where it leaked; others get an empty list.
    let leaks = web
        .portal
        .key_leaks(&session.caller, &id)
        .await
        .unwrap_or_default();
    // Only API key credentials have refusals to show (read from every node).
    let refusals = match &app {
        Some(a) if CredentialKind::of(&item, a) == CredentialKind::ApiKey => web
            .portal
            .key_refusals(&session.caller, &id)
            .await
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let body = item_body(
        &item,
        app.as_ref(),
        &leaks,
        &refusals,
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
    leaks: &[KeyLeak],
    refusals: &[StoredRefusal],
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
    let keyed = app.is_some_and(|a| CredentialKind::of(item, a) == CredentialKind::ApiKey);
    item_tabs(&mut h, &i.id, keyed, ItemTab::Overview);
    notice(&mut h, done, "ok");
    leak_notices(&mut h, leaks);
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
        settings(&mut h, item, app, now);
        if CredentialKind::of(item, app) == CredentialKind::ApiKey {
            refusals_section(&mut h, refusals);
        }
    }
    if item.item_control.is_some() {
        h.raw("<section class=\"card danger-zone\" aria-labelledby=\"delete-title\"><h2 id=\"delete-title\">Delete</h2><p>")
            .raw(if app.is_some() {
                "Deleting these credentials deletes the item and its registration: every API key and sign-in of its applications stops working at once."
            } else {
                "Deleting the item removes it and its sharing for good."
            })
            .raw("</p><a class=\"button danger\" href=\"/home/item/")
            .text(&url_encode(&i.id))
            .raw("/delete\">Delete…</a></section>");
    }
    h
}

/// What kind of developer credentials a registered app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialKind {
    /// Uses the two key slots.
    ApiKey,
    /// Signs users in through redirect URIs; no keys.
    OAuth,
}

impl CredentialKind {
    /// API key credentials carry the `APIToken` keyword once a slot was dated or a key minted;
    /// a registration that never did and has real redirect URIs is for signing users in.
    pub(crate) fn of(item: &ItemView, app: &AppView) -> CredentialKind {
        let keyed = item
            .item
            .type_keywords
            .iter()
            .any(|k| k == API_TOKEN_KEYWORD);
        let redirects = app
            .app
            .redirect_uris
            .iter()
            .any(|u| u != OUT_OF_BAND_REDIRECT);
        if !keyed && redirects {
            CredentialKind::OAuth
        } else {
            CredentialKind::ApiKey
        }
    }
}

fn settings(h: &mut Html, item: &ItemView, app: &AppView, now: i64) {
    let item_id = &item.item.id;
    let kind = CredentialKind::of(item, app);
    h.raw("<section class=\"card\" aria-labelledby=\"settings\"><h2 id=\"settings\">Settings</h2><p class=\"credential-kind\">")
        .raw(match kind {
            CredentialKind::ApiKey => "<strong>API key credentials</strong> — applications send an API key with every request and act with the privileges and item access below.",
            CredentialKind::OAuth => "<strong>OAuth credentials</strong> — applications sign users in and act with each user's own privileges.",
        })
        .raw("</p>");
    match kind {
        CredentialKind::ApiKey => api_key_settings(h, item_id, app, now),
        CredentialKind::OAuth => oauth_settings(h, item_id, app),
    }
    h.raw("</section>");
}

fn oauth_settings(h: &mut Html, item_id: &str, app: &AppView) {
    let base = format!("/home/item/{}", url_encode(item_id));
    h.raw("<dl class=\"facts\">");
    dl(h, "Client ID", &app.app.client_id);
    dl(h, "App type", app.app.app_type.as_str());
    h.raw("<dt>Redirect URIs</dt><dd><ul class=\"plain\" data-testid=\"redirect-uris\">");
    for uri in &app.app.redirect_uris {
        h.raw("<li><code>").text(uri).raw("</code></li>");
    }
    h.raw("</ul></dd></dl><div class=\"actions\"><a class=\"button secondary\" href=\"")
        .text(&format!("{base}/redirects"))
        .raw("\">Edit redirect URIs</a><a class=\"button secondary\" href=\"")
        .text(&format!("{base}/secret"))
        .raw("\">Show client secret</a></div><p class=\"hint\">Sign-in starts at <code>/sharing/rest/oauth2/authorize?client_id=")
        .text(&app.app.client_id)
        .raw("&amp;response_type=code&amp;redirect_uri=…&amp;code_challenge=…&amp;code_challenge_method=S256</code>.</p>");
}

fn api_key_settings(h: &mut Html, item_id: &str, app: &AppView, now: i64) {
    for key in keyportal_service::expiring_keys(&app.app, now, crate::content::EXPIRY_WARNING_MS) {
        h.raw("<p class=\"notice warn\" role=\"status\" data-testid=\"expiry-warning\">")
            .text(&crate::content::expiry_text(key.slot, key.expires))
            .raw(": applications using it stop working then. Regenerate it, or generate the other key and switch to it, before that date.</p>");
    }
    h.raw("<h3>API keys</h3><p class=\"hint\">A credential holds up to two API keys, each with its own expiration date, so you can rotate one while the other keeps working. Keys are shown only once, when they are generated.</p>")
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
        if status == "active" {
            h.raw("<a class=\"button\" href=\"/home/item/")
                .text(&url_encode(item_id))
                .raw("/roll/")
                .raw(n)
                .raw("\">Roll key</a>");
        }
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
    dl(
        h,
        "Allowed addresses",
        &if app.app.allowed_addresses.is_empty() {
            "Any (no restriction)".to_string()
        } else {
            app.app.allowed_addresses.join(", ")
        },
    );
    let (items, privileges): (Vec<&String>, Vec<&String>) = app
        .app
        .privileges
        .iter()
        .partition(|p| p.starts_with(ITEM_ACCESS_PREFIX));
    h.raw("<dt>Privileges</dt><dd><ul class=\"plain\" data-testid=\"privileges\">");
    if privileges.is_empty() {
        h.raw("<li class=\"muted\">None</li>");
    }
    for p in privileges {
        let label = privilege::lookup(p).map(|entry| entry.label).unwrap_or("");
        h.raw("<li><code>").text(p).raw("</code>");
        if !label.is_empty() {
            h.raw(" <span class=\"muted\">").text(label).raw("</span>");
        }
        h.raw("</li>");
    }
    h.raw("</ul></dd><dt>Item access</dt><dd><ul class=\"plain\" data-testid=\"item-access\">");
    if items.is_empty() {
        h.raw("<li class=\"muted\">No items (public items only)</li>");
    }
    for p in items {
        let id = &p[ITEM_ACCESS_PREFIX.len()..];
        h.raw("<li><a href=\"/home/item/")
            .text(&url_encode(id))
            .raw("\"><code>")
            .text(id)
            .raw("</code></a></li>");
    }
    let base = format!("/home/item/{}/edit", url_encode(item_id));
    h.raw("</ul></dd></dl><div class=\"actions\"><a class=\"button secondary\" href=\"")
        .text(&format!("{base}/privileges"))
        .raw("\">Edit privileges</a><a class=\"button secondary\" href=\"")
        .text(&format!("{base}/item-access"))
        .raw("\">Edit item access</a><a class=\"button secondary\" href=\"")
        .text(&format!("{base}/referrers"))
        .raw("\">Edit referrers</a><a class=\"button secondary\" href=\"")
        .text(&format!("{base}/addresses"))
        .raw("\">Edit addresses</a></div><p class=\"hint\">Changing privileges or item access invalidates both API keys; changing referrers or addresses does not.</p>");
    test_access_form(h, item_id, None);
}
