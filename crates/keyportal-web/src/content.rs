//! My content: the member's items and folders, search, sort, and creating folders.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use keyportal_domain::item::Folder;
use keyportal_service::ItemView;

use crate::html::{self, url_encode, Html};
use crate::layout::{date, hidden_csrf, notice};
use crate::request::{forbidden_csrf, message, page, redirect, Session};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St};

pub(crate) fn routes() -> Routes {
    Router::new()
        .route("/home/content", get(content))
        .route("/home/folders", post(create_folder))
}

async fn content(
    State(web): St,
    session: Session,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let view = ContentQuery {
        folder: query.get("folder").cloned().filter(|f| !f.is_empty()),
        q: query
            .get("q")
            .map(|q| q.trim().to_string())
            .unwrap_or_default(),
        sort: match query.get("sort").map(String::as_str) {
            Some("title") => "title",
            Some("type") => "type",
            _ => "modified",
        },
        notice: query.get("notice").cloned(),
    };
    let listing = web
        .portal
        .list_content(
            &session.caller,
            &session.username,
            view.folder.as_deref(),
            1,
            100,
        )
        .await;
    let (folders, current, mut items, mut error) = match listing {
        Ok(page) => (page.folders, page.current_folder, page.items, None),
        Err(e) => (Vec::new(), None, Vec::new(), Some(message(&e))),
    };
    // The root listing gives the folders; inside a folder, list them for navigation too.
    let folders = if folders.is_empty() {
        web.portal
            .list_content(&session.caller, &session.username, None, 1, 1)
            .await
            .map(|p| p.folders)
            .unwrap_or_default()
    } else {
        folders
    };
    if !view.q.is_empty() {
        let request = keyportal_service::SearchRequest {
            q: format!("owner:\"{}\" AND ({})", session.username, view.q),
            start: 1,
            num: 100,
            sort_field: None,
            sort_order: keyportal_service::SortOrder::Asc,
        };
        match web.portal.search_items(&session.caller, &request).await {
            Ok(found) => {
                items = found
                    .results
                    .into_iter()
                    .filter(|i| match &view.folder {
                        Some(f) => i.item.folder_id.as_deref() == Some(f.as_str()),
                        None => true,
                    })
                    .collect()
            }
            Err(e) => {
                items = Vec::new();
                error = Some(message(&e));
            }
        }
    }
    match view.sort {
        "title" => items.sort_by_key(|i| i.item.title.to_lowercase()),
        "type" => items.sort_by(|a, b| {
            (a.item.item_type.as_str(), a.item.title.to_lowercase())
                .cmp(&(b.item.item_type.as_str(), b.item.title.to_lowercase()))
        }),
        _ => items.sort_by_key(|i| std::cmp::Reverse(i.item.modified)),
    }
    let body = content_body(
        &session.csrf,
        &view,
        &folders,
        current.as_ref(),
        &items,
        error.as_deref(),
    );
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

pub(crate) fn content_body(
    csrf: &str,
    view: &ContentQuery,
    folders: &[Folder],
    current: Option<&Folder>,
    items: &[ItemView],
    error: Option<&str>,
) -> Html {
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
