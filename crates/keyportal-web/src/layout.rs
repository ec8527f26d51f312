//! The frame around every page and the small pieces of markup the pages share. Only static
//! strings are markup; every value goes through `Html::text`.

use axum::http::StatusCode;
use keyportal_domain::time::iso_date;

use crate::html::{url_encode, Html};

/// The frame around every page.
pub(crate) struct Layout {
    pub title: String,
    /// (username, CSRF token) when signed in.
    pub user: Option<(String, String)>,
    /// Whether to offer the organization pages (administrators).
    pub admin: bool,
}

impl Layout {
    pub fn anonymous(title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            user: None,
            admin: false,
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
            h.raw("<nav aria-label=\"Main\"><a href=\"/home/content\">My content</a>");
            if self.admin {
                h.raw("<a href=\"/home/organization\">Organization</a>");
            }
            h.raw("</nav>")
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

pub(crate) fn date(ms: i64) -> String {
    if ms > 0 {
        iso_date(ms)
    } else {
        "—".to_string()
    }
}

/// A moment as `YYYY-MM-DD HH:MM:SS UTC`.
pub(crate) fn date_time(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        iso_date(ms),
        seconds.div_euclid(3600).rem_euclid(24),
        seconds.div_euclid(60).rem_euclid(60),
        seconds.rem_euclid(60)
    )
}

pub(crate) fn notice(h: &mut Html, text: Option<&str>, class: &'static str) {
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

pub(crate) fn hidden_csrf(h: &mut Html, csrf: &str) {
    h.raw("<input type=\"hidden\" name=\"csrf\" value=\"")
        .text(csrf)
        .raw("\">");
}

pub(crate) fn dl(h: &mut Html, term: &'static str, value: &str) {
    h.raw("<dt>")
        .raw(term)
        .raw("</dt><dd>")
        .text(value)
        .raw("</dd>");
}

pub(crate) fn error_body(status: StatusCode, text: &str) -> Html {
    let mut h = Html::new();
    h.raw("<section class=\"card narrow\"><h1>")
        .text(status.canonical_reason().unwrap_or("Error"))
        .raw("</h1><p>")
        .text(text)
        .raw("</p><p><a class=\"button secondary\" href=\"/home/content\">Go to My content</a></p></section>");
    h
}

/// The tabs of an item's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemTab {
    Overview,
    Usage,
    Activity,
}

/// The tab bar of an item's page: Overview (with Settings) and, for credentials, Usage and
/// Activity.
pub(crate) fn item_tabs(h: &mut Html, item_id: &str, credential: bool, current: ItemTab) {
    let base = format!("/home/item/{}", url_encode(item_id));
    h.raw("<nav class=\"tabs\" aria-label=\"Item\">");
    tab(h, &base, "Overview", current == ItemTab::Overview);
    if credential {
        tab(
            h,
            &format!("{base}/usage"),
            "Usage",
            current == ItemTab::Usage,
        );
        tab(
            h,
            &format!("{base}/activity"),
            "Activity",
            current == ItemTab::Activity,
        );
    }
    h.raw("</nav>");
}

/// The tabs of the organization pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrgTab {
    Members,
    Roles,
    Usage,
    Activity,
    ProxyAllowList,
}

/// The tab bar of the organization pages (administrators).
pub(crate) fn org_tabs(h: &mut Html, current: OrgTab) {
    h.raw("<nav class=\"tabs\" aria-label=\"Organization\">");
    tab(
        h,
        "/home/organization",
        "Members",
        current == OrgTab::Members,
    );
    tab(
        h,
        "/home/organization/roles",
        "Roles",
        current == OrgTab::Roles,
    );
    tab(
        h,
        "/home/organization/usage",
        "Usage",
        current == OrgTab::Usage,
    );
    tab(
        h,
        "/home/organization/activity",
        "Activity",
        current == OrgTab::Activity,
    );
    tab(
        h,
        "/home/organization/proxy-allow-list",
        "Proxy allow-list",
        current == OrgTab::ProxyAllowList,
    );
    h.raw("</nav>");
}

fn tab(h: &mut Html, href: &str, label: &'static str, current: bool) {
    h.raw("<a href=\"")
        .text(href)
        .raw("\"")
        .raw(if current {
            " aria-current=\"page\""
        } else {
            ""
        })
        .raw(">")
        .raw(label)
        .raw("</a>");
}
