//! The pages' markup. Only static strings are markup; every value goes through `Html::text`.

use axum::http::StatusCode;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::SlotState;
use keyportal_domain::item::Folder;
use keyportal_domain::time::iso_date;
use keyportal_service::{AppView, ItemView};

use crate::html::{url_encode, Html};
use crate::{slot_index, slot_number};

/// The frame around every page.
pub struct Layout {
    pub title: String,
    /// (username, CSRF token) when signed in.
    pub user: Option<(String, String)>,
}

impl Layout {
    pub fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            user: None,
        }
    }

    pub fn render(&self, body: Html) -> String {
        let mut h = Html::new();
        h.raw("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .raw("<title>")
            .text(&self.title)
            .raw(" · keyportal</title>")
            .raw("<link rel=\"stylesheet\" href=\"/home/static/portal.css\">")
            .raw("<script src=\"/home/static/portal.js\" defer></script>")
            .raw("</head><body><a class=\"skip\" href=\"#main\">Skip to content</a>")
            .raw("<header class=\"top\"><div class=\"bar\"><a class=\"brand\" href=\"/home/content\">")
            .raw("<span class=\"logo\" aria-hidden=\"true\">⬡</span> keyportal</a>");
        if let Some((username, csrf)) = &self.user {
            h.raw("<nav aria-label=\"Main\"><a href=\"/home/content\">My content</a></nav>")
                .raw("<div class=\"who\"><span class=\"user\" title=\"Signed in\">")
                .text(username)
                .raw("</span><form method=\"post\" action=\"/home/signout\" class=\"inline\">")
                .raw("<input type=\"hidden\" name=\"csrf\" value=\"")
                .text(csrf)
                .raw("\"><button type=\"submit\" class=\"link\">Sign out</button></form></div>");
        }
        h.raw("</div></header><main id=\"main\" tabindex=\"-1\">")
            .append(body)
            .raw("</main><footer class=\"foot\"><p>keyportal · ArcGIS-compatible API keys</p></footer></body></html>");
        h.into_string()
    }
}

fn date(ms: i64) -> String {
    if ms > 0 {
        iso_date(ms)
    } else {
        "—".to_string()
    }
}

fn notice(h: &mut Html, text: Option<&str>, class: &'static str) {
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        h.raw("<div class=\"notice ")
            .raw(class)
            .raw("\" role=\"")
            .raw(if class == "error" { "alert" } else { "status" })
            .raw("\">")
            .text(text)
            .raw("</div>");
    }
}

fn hidden_csrf(h: &mut Html, csrf: &str) {
    h.raw("<input type=\"hidden\" name=\"csrf\" value=\"")
        .text(csrf)
        .raw("\">");
}

pub fn error_body(status: StatusCode, text: &str) -> Html {
    let mut h = Html::new();
    h.raw("<section class=\"card narrow\"><h1>")
        .text(status.canonical_reason().unwrap_or("Error"))
        .raw("</h1><p>")
        .text(text)
        .raw("</p><p><a class=\"button secondary\" href=\"/home/content\">Go to My content</a></p></section>");
    h
}

pub fn signin_body(
    portal_name: &str,
    csrf: &str,
    next: &str,
    error: Option<&str>,
    username: &str,
) -> Html {
    let mut h = Html::new();
    h.raw("<section class=\"card narrow signin\" aria-labelledby=\"signin-title\">")
        .raw("<h1 id=\"signin-title\">Sign in to ")
        .text(portal_name)
        .raw("</h1>");
    notice(&mut h, error, "error");
    h.raw("<form method=\"post\" action=\"/home/signin\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<input type=\"hidden\" name=\"next\" value=\"")
        .text(next)
        .raw("\"><label for=\"username\">Username</label>")
        .raw("<input id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus value=\"")
        .text(username)
        .raw("\"><label for=\"password\">Password</label>")
        .raw("<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>")
        .raw("<button type=\"submit\" class=\"button wide\">Sign in</button></form>")
        .raw("<p class=\"hint\">Use your organization account. After repeated failed attempts, sign-in is paused for a few minutes.</p></section>");
    h
}

pub struct ContentQuery {
    pub folder: Option<String>,
    pub q: String,
    pub sort: &'static str,
    pub notice: Option<String>,
}

fn content_link(folder: Option<&str>, q: &str, sort: &str) -> String {
    let mut parts = Vec::new();
    if let Some(f) = folder {
        parts.push(format!("folder={}", url_encode(f)));
    }
    if !q.is_empty() {
        parts.push(format!("q={}", url_encode(q)));
    }
    parts.push(format!("sort={}", url_encode(sort)));
    format!("/home/content?{}", parts.join("&"))
}

pub fn content_body(
    csrf: &str,
    view: &ContentQuery,
    folders: &[Folder],
    current: Option<&Folder>,
    items: &[ItemView],
    error: Option<&str>,
) -> Html {
    let mut h = Html::new();
    h.raw("<div class=\"page-head\"><h1>My content</h1></div>");
    notice(&mut h, view.notice.as_deref(), "ok");
    notice(&mut h, error, "error");
    h.raw(
        "<div class=\"content-layout\"><aside class=\"folders\" aria-labelledby=\"folders-title\">",
    )
    .raw("<h2 id=\"folders-title\">Folders</h2><ul class=\"folder-list\">")
    .raw("<li><a href=\"/home/content\"")
    .raw(if view.folder.is_none() {
        " aria-current=\"page\""
    } else {
        ""
    })
    .raw(">All my content</a></li>");
    for f in folders {
        let selected = view.folder.as_deref() == Some(f.id.as_str());
        h.raw("<li><a href=\"")
            .text(&content_link(Some(&f.id), "", view.sort))
            .raw("\"")
            .raw(if selected {
                " aria-current=\"page\""
            } else {
                ""
            })
            .raw(">")
            .text(&f.title)
            .raw("</a></li>");
    }
    h.raw("</ul><form method=\"post\" action=\"/home/folders\" class=\"stack\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<label for=\"folder-title\">New folder</label><div class=\"row\">")
        .raw("<input id=\"folder-title\" name=\"title\" required maxlength=\"255\" placeholder=\"Folder name\">")
        .raw("<button type=\"submit\" class=\"button secondary\">Create folder</button></div></form></aside>");

    h.raw("<section class=\"items\" aria-labelledby=\"items-title\"><h2 id=\"items-title\">");
    match current {
        Some(f) => h.text(&f.title),
        None => h.raw("All my content"),
    };
    h.raw("</h2><form method=\"get\" action=\"/home/content\" class=\"search\" role=\"search\">");
    if let Some(f) = &view.folder {
        h.raw("<input type=\"hidden\" name=\"folder\" value=\"")
            .text(f)
            .raw("\">");
    }
    h.raw("<input type=\"hidden\" name=\"sort\" value=\"")
        .text(view.sort)
        .raw("\"><label for=\"q\" class=\"visually-hidden\">Search my content</label>")
        .raw(
            "<input id=\"q\" name=\"q\" type=\"search\" placeholder=\"Search my content\" value=\"",
        )
        .text(&view.q)
        .raw("\"><button type=\"submit\" class=\"button secondary\">Search</button></form>");
    h.raw("<p class=\"sort\">Sort by: ");
    for (key, label) in [
        ("title", "Title"),
        ("modified", "Date modified"),
        ("type", "Type"),
    ] {
        h.raw("<a href=\"")
            .text(&content_link(view.folder.as_deref(), &view.q, key))
            .raw("\"")
            .raw(if view.sort == key {
                " aria-current=\"true\" class=\"on\""
            } else {
                ""
            })
            .raw(">")
            .text(label)
            .raw("</a> ");
    }
    h.raw("</p>");
    if items.is_empty() {
        h.raw("<p class=\"empty\">")
            .raw(if view.q.is_empty() {
                "No items here yet."
            } else {
                "No items match your search."
            })
            .raw("</p>");
    } else {
        h.raw("<table class=\"list\"><caption class=\"visually-hidden\">Items</caption><thead><tr>")
            .raw("<th scope=\"col\">Title</th><th scope=\"col\">Type</th><th scope=\"col\">Access</th><th scope=\"col\">Modified</th></tr></thead><tbody>");
        for i in items {
            h.raw("<tr><td data-label=\"Title\"><a href=\"/home/item/")
                .text(&url_encode(&i.item.id))
                .raw("\">")
                .text(&i.item.title)
                .raw("</a></td><td data-label=\"Type\">")
                .text(&i.item.item_type)
                .raw("</td><td data-label=\"Access\"><span class=\"badge\">")
                .text(i.wire_access())
                .raw("</span></td><td data-label=\"Modified\">")
                .text(&date(i.item.modified))
                .raw("</td></tr>");
        }
        h.raw("</tbody></table>");
    }
    h.raw("</section></div>");
    h
}

/// What a slot's status reads.
pub fn slot_status(slot: &SlotState, now: i64) -> &'static str {
    if slot.is_usable(now) {
        "active"
    } else if slot.active && slot.key_hash.is_some() {
        "expired"
    } else {
        "inactive"
    }
}

fn dl(h: &mut Html, term: &'static str, value: &str) {
    h.raw("<dt>")
        .raw(term)
        .raw("</dt><dd>")
        .text(value)
        .raw("</dd>");
}

pub fn item_body(item: &ItemView, app: Option<&AppView>, now: i64, done: Option<&str>) -> Html {
    let i = &item.item;
    let mut h = Html::new();
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <span>")
        .text(&i.title)
        .raw("</span></nav><div class=\"page-head\"><h1>")
        .text(&i.title)
        .raw("</h1><span class=\"badge\">")
        .text(&i.item_type)
        .raw("</span></div>");
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
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
pub fn confirm_body(
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

pub fn key_result_body(item: &ItemView, slot: KeySlot, key: &str, expires: i64) -> Html {
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
