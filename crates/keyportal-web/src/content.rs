//! My content: the member's items and folders, search, sort and pages, and creating folders.
//! The database filters, sorts and pages (`Portal::search_items`): a page reads one page.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use keyportal_domain::item::Folder;
use keyportal_domain::search::parse;
use keyportal_service::{ExpiringKey, ItemView, SearchRequest, ServiceError, SortOrder};

use crate::html::{self, url_encode, Html};
use crate::layout::{date, hidden_csrf, notice};
use crate::paging::{pager_links, Pager};
use crate::request::{forbidden_csrf, message, page, redirect, Session};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St};

/// Keys expiring within this time are flagged (issue 12: a week).
pub(crate) const EXPIRY_WARNING_MS: i64 = 7 * keyportal_domain::time::DAY_MS;

/// "Key 1 expires 2026-12-14".
pub(crate) fn expiry_text(slot: u8, expires: i64) -> String {
    format!(
        "Key {slot} expires {}",
        keyportal_domain::time::iso_date(expires)
    )
}

pub(crate) fn routes() -> Routes {
    Router::new()
        .route("/home/content", get(content))
        .route("/home/folders", post(create_folder))
}

/// Items on one page of My content.
pub(crate) const CONTENT_PER_PAGE: usize = 20;

/// What My content can be sorted by: (query value, label, `sortField`, newest or Z first by
/// default).
const SORTS: [(&str, &str, &str, bool); 4] = [
    ("title", "Title", "title", false),
    ("type", "Type", "type", false),
    ("created", "Date created", "created", true),
    ("modified", "Date modified", "modified", true),
];

async fn content(
    State(web): St,
    session: Session,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let view = ContentQuery::from_query(&query);
    let portal = &web.portal;
    let mut error = None;
    let folders = match portal
        .list_content(&session.caller, &session.username, None, 1, 1)
        .await
    {
        Ok(listing) => listing.folders,
        Err(e) => {
            error = Some(message(&e));
            Vec::new()
        }
    };
    let current = view
        .folder
        .as_ref()
        .and_then(|id| folders.iter().find(|f| &f.id == id));
    let mut pager = view.pager;
    let mut items = Vec::new();
    // The typed query must stand on its own, so it cannot close the parentheses around it and
    // reach beyond the member's items.
    let typed = if view.q.is_empty() {
        Ok(())
    } else {
        parse(&view.q).map(|_| ())
    };
    if view.folder.is_some() && current.is_none() {
        error
            .get_or_insert_with(|| "This folder does not exist (it may have been deleted).".into());
    } else if let Err(e) = typed {
        error = Some(message(&ServiceError::Domain(e)));
    } else if error.is_none() {
        // Filtered, sorted and paged by the database: the page is all that is read.
        let request = SearchRequest {
            q: view.search_query(&session.username),
            start: pager.offset() + 1,
            num: CONTENT_PER_PAGE,
            sort_field: Some(view.sort_field().to_string()),
            sort_order: if view.descending {
                SortOrder::Desc
            } else {
                SortOrder::Asc
            },
        };
        match portal.search_items(&session.caller, &request).await {
            Ok(found) => {
                pager = pager.with_total(found.total);
                items = found.results;
            }
            Err(e) => error = Some(message(&e)),
        }
    }
    let expiring = portal
        .expiring_keys_of(&session.caller, &items, EXPIRY_WARNING_MS)
        .await
        .unwrap_or_default();
    let listing = Listing {
        folders: &folders,
        current,
        items: &items,
        pager,
        expiring: &expiring,
    };
    let body = content_body(&session.csrf, &view, &listing, error.as_deref());
    page(StatusCode::OK, session.layout("My content").render(body))
}

async fn create_folder(State(web): St, session: Session, Form(form): Fields) -> Response {
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let title = form.get("title").map(String::as_str).unwrap_or_default();
    match web
        .portal
        .create_folder(&session.caller, &session.username, title)
        .await
    {
        Ok(folder) => redirect(&format!(
            "/home/content?folder={}&notice={}",
            html::url_encode(&folder.id),
            html::url_encode(&format!("Folder \u{201c}{}\u{201d} created.", folder.title))
        )),
        Err(e) => redirect(&format!(
            "/home/content?notice={}",
            html::url_encode(&format!("The folder was not created: {}", message(&e)))
        )),
    }
}

pub(crate) struct ContentQuery {
    pub folder: Option<String>,
    pub q: String,
    /// One of [`SORTS`]' query values.
    pub sort: &'static str,
    pub descending: bool,
    pub pager: Pager,
    pub notice: Option<String>,
}

impl ContentQuery {
    pub fn from_query(query: &HashMap<String, String>) -> ContentQuery {
        let asked = query.get("sort").map(String::as_str).unwrap_or_default();
        let (sort, descending) = SORTS
            .iter()
            .find(|(key, ..)| *key == asked)
            .map_or(("modified", true), |(key, _, _, newest)| (*key, *newest));
        let descending = match query.get("order").map(String::as_str) {
            Some("asc") => false,
            Some("desc") => true,
            _ => descending,
        };
        ContentQuery {
            folder: query.get("folder").cloned().filter(|f| !f.is_empty()),
            q: query
                .get("q")
                .map(|q| q.trim().to_string())
                .unwrap_or_default(),
            sort,
            descending,
            pager: Pager::asked(query.get("page").map(String::as_str), CONTENT_PER_PAGE),
            notice: query.get("notice").cloned(),
        }
    }

    fn sort_field(&self) -> &'static str {
        SORTS
            .iter()
            .find(|(key, ..)| *key == self.sort)
            .map_or("modified", |(_, _, field, _)| *field)
    }

    /// The search the page runs: the member's items, in the folder (a checked folder id), matching
    /// what they typed (the search language, as in `search`).
    pub fn search_query(&self, username: &str) -> String {
        let mut q = format!("owner:\"{username}\"");
        if let Some(folder) = &self.folder {
            q.push_str(&format!(" AND ownerfolder:{folder}"));
        }
        if !self.q.is_empty() {
            q.push_str(&format!(" AND ({})", self.q));
        }
        q
    }

    /// This page's address with another sort, order or page; folder and search kept.
    fn link(&self, sort: &str, descending: bool, page: usize) -> String {
        let mut parts = Vec::new();
        if let Some(f) = &self.folder {
            parts.push(format!("folder={}", url_encode(f)));
        }
        if !self.q.is_empty() {
            parts.push(format!("q={}", url_encode(&self.q)));
        }
        parts.push(format!("sort={}", url_encode(sort)));
        parts.push(format!("order={}", if descending { "desc" } else { "asc" }));
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        format!("/home/content?{}", parts.join("&"))
    }
}

/// What the page lists: the member's folders, the one open, and a page of items.
pub(crate) struct Listing<'a> {
    pub folders: &'a [Folder],
    pub current: Option<&'a Folder>,
    pub items: &'a [ItemView],
    pub pager: Pager,
    /// Keys of the listed credentials that expire within a week.
    pub expiring: &'a [ExpiringKey],
}

pub(crate) fn content_body(
    csrf: &str,
    view: &ContentQuery,
    listing: &Listing,
    error: Option<&str>,
) -> Html {
    let (folders, current, items) = (listing.folders, listing.current, listing.items);
    let mut h = Html::new();
    h.raw("<div class=\"page-head\"><h1>My content</h1><a class=\"button head-action\" href=\"/home/new\">New item</a></div>");
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
        let in_folder = ContentQuery {
            folder: Some(f.id.clone()),
            q: String::new(),
            notice: None,
            ..*view
        };
        h.raw("<li><a href=\"")
            .text(&in_folder.link(view.sort, view.descending, 1))
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
        .raw("\"><input type=\"hidden\" name=\"order\" value=\"")
        .raw(if view.descending { "desc" } else { "asc" })
        .raw("\"><label for=\"q\" class=\"visually-hidden\">Search my content</label>")
        .raw(
            "<input id=\"q\" name=\"q\" type=\"search\" placeholder=\"Search my content\" value=\"",
        )
        .text(&view.q)
        .raw("\"><button type=\"submit\" class=\"button secondary\">Search</button></form>");
    sort_bar(&mut h, view);
    h.raw("<p class=\"hint\" data-total>")
        .text(&match listing.pager.total {
            1 => "1 item".to_string(),
            n => format!("{n} items"),
        })
        .raw("</p>");
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
            .raw("<th scope=\"col\">Title</th><th scope=\"col\">Type</th><th scope=\"col\">Access</th><th scope=\"col\">Created</th><th scope=\"col\">Modified</th></tr></thead><tbody>");
        for i in items {
            h.raw("<tr><td data-label=\"Title\"><a href=\"/home/item/")
                .text(&url_encode(&i.item.id))
                .raw("\">")
                .text(&i.item.title)
                .raw("</a>");
            for key in listing.expiring.iter().filter(|k| k.item_id == i.item.id) {
                h.raw(" <span class=\"badge warn\" data-testid=\"expiring\">")
                    .text(&expiry_text(key.slot, key.expires))
                    .raw("</span>");
            }
            h.raw("</td><td data-label=\"Type\">")
                .text(&i.item.item_type)
                .raw("</td><td data-label=\"Access\"><span class=\"badge\">")
                .text(i.wire_access())
                .raw("</span></td><td data-label=\"Created\">")
                .text(&date(i.item.created))
                .raw("</td><td data-label=\"Modified\">")
                .text(&date(i.item.modified))
                .raw("</td></tr>");
        }
        h.raw("</tbody></table>");
    }
    pager_links(&mut h, &listing.pager, items.len(), |page| {
        view.link(view.sort, view.descending, page)
    });
    h.raw("</section></div>");
    h
}

/// "Sort by" links (each in its usual order) and the two orders of the current sort.
fn sort_bar(h: &mut Html, view: &ContentQuery) {
    h.raw("<p class=\"sort\">Sort by: ");
    for (key, label, _, newest_first) in SORTS {
        h.raw("<a href=\"")
            .text(&view.link(key, newest_first, 1))
            .raw("\"")
            .raw(if view.sort == key {
                " aria-current=\"true\" class=\"on\""
            } else {
                ""
            })
            .raw(">")
            .raw(label)
            .raw("</a> ");
    }
    h.raw("<span class=\"order\">Order: ");
    for (descending, label) in [(false, "Ascending"), (true, "Descending")] {
        h.raw("<a href=\"")
            .text(&view.link(view.sort, descending, 1))
            .raw("\"")
            .raw(if view.descending == descending {
                " aria-current=\"true\" class=\"on\""
            } else {
                ""
            })
            .raw(">")
            .raw(label)
            .raw("</a> ");
    }
    h.raw("</span></p>");
}
