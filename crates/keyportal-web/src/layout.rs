//! The frame around every page and the small pieces of markup the pages share. Only static
//! strings are markup; every value goes through `Html::text`.

use axum::http::StatusCode;
use keyportal_domain::time::iso_date;

use crate::html::Html;

/// The frame around every page.
pub(crate) struct Layout {
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

pub(crate) fn date(ms: i64) -> String {
    if ms > 0 {
        iso_date(ms)
    } else {
        "—".to_string()
    }
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
