//! The proxy allow-list page (design §2.13): the upstream hosts proxied items and location
//! services may reach, the enabled proxies the list refuses, and forms to add and remove
//! entries. The service decides who may (`portal:admin:manageSecurity`); every form carries
//! the CSRF token.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use keyportal_domain::proxy::allow_list::{classify, AllowEntry};
use keyportal_domain::proxy::ProxyTarget;
use keyportal_service::AllowListView;

use super::{status_of, Admin};
use crate::html::{url_encode, Html};
use crate::layout::{hidden_csrf, notice, org_tabs, OrgTab};
use crate::request::{error_page, forbidden_csrf, message, page, redirect, Session};
use crate::session::csrf_ok;
use crate::{Routes, St, Web};

pub(crate) const ALLOW_LIST: &str = "/home/organization/proxy-allow-list";
const REMOVE: &str = "/home/organization/proxy-allow-list/remove";

pub(super) fn routes() -> Routes {
    Router::new()
        .route(ALLOW_LIST, get(show).post(add))
        .route(REMOVE, post(remove))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Entries typed one per line (commas and spaces separate too).
fn typed_entries(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

async fn show(
    State(web): St,
    Admin(session): Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let ok = query.get("notice").map(String::as_str);
    render(&web, &session, ok, None, "", StatusCode::OK).await
}

/// The page, or the service's refusal to show it.
async fn render(
    web: &Web,
    session: &Session,
    ok: Option<&str>,
    error: Option<&str>,
    typed: &str,
    status: StatusCode,
) -> Response {
    match web.portal.proxy_allow_list(&session.caller).await {
        Ok(view) => page(
            status,
            session.layout("Proxy allow-list").render(allow_list_body(
                &session.csrf,
                &view,
                ok,
                error,
                typed,
            )),
        ),
        Err(e) => error_page(Some(session), status_of(&e), &message(&e)),
    }
}

async fn add(
    State(web): St,
    Admin(session): Admin,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !csrf_ok(&session.csrf, field(&fields, "csrf")) {
        return forbidden_csrf(Some(&session));
    }
    let typed = field(&fields, "entries").unwrap_or_default();
    let entries = typed_entries(typed);
    if entries.is_empty() {
        let text = "Type at least one entry to add.";
        return render(
            &web,
            &session,
            None,
            Some(text),
            typed,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    match web
        .portal
        .change_proxy_allow_list(&session.caller, &entries, &[])
        .await
    {
        Ok(_) => redirect(&format!(
            "{ALLOW_LIST}?notice={}",
            url_encode(if entries.len() == 1 {
                "The entry was added."
            } else {
                "The entries were added."
            })
        )),
        Err(e) => {
            let text = format!("Nothing was added: {}", message(&e));
            render(&web, &session, None, Some(&text), typed, status_of(&e)).await
        }
    }
}

async fn remove(
    State(web): St,
    Admin(session): Admin,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !csrf_ok(&session.csrf, field(&fields, "csrf")) {
        return forbidden_csrf(Some(&session));
    }
    let entry = field(&fields, "entry").unwrap_or_default().to_string();
    match web
        .portal
        .change_proxy_allow_list(&session.caller, &[], std::slice::from_ref(&entry))
        .await
    {
        Ok(_) => redirect(&format!(
            "{ALLOW_LIST}?notice={}",
            url_encode(&format!("\u{201c}{entry}\u{201d} was removed."))
        )),
        Err(e) => {
            let text = format!("Nothing was removed: {}", message(&e));
            render(&web, &session, None, Some(&text), "", status_of(&e)).await
        }
    }
}

/// What an entry allows, in words.
fn kind(entry: &str) -> String {
    match AllowEntry::parse(entry) {
        Ok(AllowEntry::Host { wildcard: true, .. }) => "Host name and every name under it".into(),
        Ok(AllowEntry::Host { .. }) => "Host name".into(),
        Ok(AllowEntry::Address { ip, .. }) => format!("Address ({})", classify(ip).label()),
        Ok(AllowEntry::Block(_)) => "Address block".into(),
        Err(_) => String::new(),
    }
}

pub(crate) fn allow_list_body(
    csrf: &str,
    view: &AllowListView,
    ok: Option<&str>,
    error: Option<&str>,
    typed: &str,
) -> Html {
    let mut h = Html::new();
    h.raw("<div class=\"org\"><div class=\"page-head\"><h1>Organization</h1></div>");
    org_tabs(&mut h, OrgTab::ProxyAllowList);
    notice(&mut h, ok, "ok");
    notice(&mut h, error, "error");
    h.raw("<section class=\"org-panel\" aria-labelledby=\"allow-title\"><h2 id=\"allow-title\">Proxy allow-list</h2>")
        .raw("<p class=\"hint\">Proxied items and location services forward only to the hosts listed here. Loopback, link-local (such as the cloud metadata address 169.254.169.254), private and unique-local addresses are reached only when an address or block below names them \u{2014} also when a listed host name resolves to one. Redirects from an upstream go back to the caller; the portal never follows them.</p>");
    if !view.refused.is_empty() {
        h.raw("<div class=\"notice warn\"><p>These enabled proxies forward to hosts the list does not allow, so their requests are refused:</p><ul>");
        for refused in &view.refused {
            h.raw("<li>");
            match &refused.target {
                ProxyTarget::Item(id) => {
                    h.raw("item <a href=\"")
                        .text(&format!("/home/item/{}", url_encode(id)))
                        .raw("\">")
                        .text(id)
                        .raw("</a>");
                }
                ProxyTarget::Service(name) => {
                    h.raw("location service <code>").text(name).raw("</code>");
                }
            }
            h.raw(": <code>")
                .text(&refused.host)
                .raw("</code> (port ")
                .text(&refused.port.to_string())
                .raw(")</li>");
        }
        h.raw("</ul></div>");
    }
    if view.entries.is_empty() {
        h.raw("<p class=\"empty\">The list is empty: no proxy can reach any upstream.</p>");
    } else {
        h.raw("<table class=\"list\"><caption class=\"visually-hidden\">Allowed upstreams</caption><thead><tr>")
            .raw("<th scope=\"col\">Entry</th><th scope=\"col\">Allows</th><th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>");
        for entry in &view.entries {
            h.raw("<tr><td data-label=\"Entry\"><code>")
                .text(entry)
                .raw("</code></td><td data-label=\"Allows\">")
                .text(&kind(entry))
                .raw("</td><td data-label=\"Actions\" class=\"org-actions\"><form method=\"post\" class=\"inline\" action=\"")
                .raw(REMOVE)
                .raw("\">");
            hidden_csrf(&mut h, csrf);
            h.raw("<input type=\"hidden\" name=\"entry\" value=\"")
                .text(entry)
                .raw("\"><button type=\"submit\" class=\"button secondary\">Remove<span class=\"visually-hidden\"> ")
                .text(entry)
                .raw("</span></button></form></td></tr>");
        }
        h.raw("</tbody></table>");
    }
    h.raw("</section>");

    h.raw("<section class=\"org-panel\" aria-labelledby=\"add-title\"><h2 id=\"add-title\">Add entries</h2><form method=\"post\" action=\"")
        .raw(ALLOW_LIST)
        .raw("\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<label for=\"entries\">Entries, one per line</label><textarea id=\"entries\" name=\"entries\" rows=\"4\" spellcheck=\"false\" autocomplete=\"off\" aria-describedby=\"entries-hint\">")
        .text(typed)
        .raw("</textarea><p id=\"entries-hint\" class=\"hint\">Host names (<code>gis.example.com</code>, <code>*.example.com</code> for a domain and every name under it, <code>gis.example.com:8443</code> for one port), addresses (<code>203.0.113.7</code>, <code>127.0.0.1:8080</code>, <code>[fd00::7]:443</code>) or blocks (<code>10.0.0.0/8</code>).</p>")
        .raw("<div class=\"actions\"><button type=\"submit\" class=\"button\">Add</button></div></form></section></div>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_service::RefusedUpstream;

    #[test]
    fn typed_entries_split_on_lines_commas_and_spaces() {
        assert_eq!(
            typed_entries(" a.example.com\r\n10.0.0.0/8, [::1]:80 \n\n"),
            ["a.example.com", "10.0.0.0/8", "[::1]:80"]
        );
    }

    #[test]
    fn the_page_escapes_and_names_what_is_refused() {
        let view = AllowListView {
            entries: vec!["127.0.0.1:8080".into(), "*.example.com".into()],
            refused: vec![RefusedUpstream {
                target: ProxyTarget::Service("geocode".into()),
                host: "geo.internal".into(),
                port: 443,
            }],
        };
        let html = allow_list_body("c", &view, None, None, "<b>").into_string();
        assert!(html.contains("Address (loopback)"));
        assert!(html.contains("Host name and every name under it"));
        assert!(html.contains(
            "location service <code>geocode</code>: <code>geo.internal</code> (port 443)"
        ));
        assert!(html.contains("&lt;b&gt;") && !html.contains("<b>"));
        assert_eq!(html.matches("name=\"csrf\"").count(), 3);
    }
}
