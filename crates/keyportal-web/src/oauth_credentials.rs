//! Creating OAuth credentials in the portal: an application item with redirect URIs, for
//! signing users in. The item is created and registered through the same `Portal` calls as
//! `addItem` + `oauth2/registerApp`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use keyportal_domain::credential::check_redirect_uris;
use keyportal_domain::item::{Folder, ItemChanges};
use keyportal_service::{Caller, Portal, RegisterApp, ServiceError};

use crate::html::{self, Html};
use crate::layout::{hidden_csrf, notice};
use crate::request::{forbidden_csrf, message, page, redirect, Session};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St};

const PATH: &str = "/home/new/oauth-credentials";

/// The application types a person chooses from, with what each means.
const APP_TYPES: &[(&str, &str)] = &[
    ("multiple", "Any (browser, native and server applications)"),
    ("browser", "Browser (single-page web application)"),
    ("native", "Native (desktop or mobile application)"),
    ("server", "Server (web application with a back end)"),
];

pub(crate) fn routes() -> Routes {
    Router::new().route(PATH, get(form_page).post(create))
}

/// What the person typed, kept when the form comes back with an error.
#[derive(Default)]
struct Draft {
    title: String,
    redirect_uris: String,
    app_type: String,
    folder: String,
    tags: String,
    description: String,
}

impl Draft {
    fn from_form(form: &HashMap<String, String>) -> Draft {
        let field = |name: &str| {
            form.get(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        Draft {
            title: field("title"),
            redirect_uris: field("redirect_uris"),
            app_type: field("app_type"),
            folder: field("folder"),
            tags: field("tags"),
            description: field("description"),
        }
    }

    /// One URI per line (commas also separate, as people paste lists).
    fn uris(&self) -> Vec<String> {
        self.redirect_uris
            .split(['\n', ',', ' '])
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn tags(&self) -> Vec<String> {
        self.tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    }
}

async fn folders(portal: &Portal, caller: &Caller, username: &str) -> Vec<Folder> {
    portal
        .list_content(caller, username, None, 1, 1)
        .await
        .map(|p| p.folders)
        .unwrap_or_default()
}

async fn form_page(State(web): St, session: Session) -> Response {
    let folders = folders(&web.portal, &session.caller, &session.username).await;
    render(&session, &Draft::default(), &folders, None, StatusCode::OK)
}

async fn create(State(web): St, session: Session, Form(form): Fields) -> Response {
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let draft = Draft::from_form(&form);
    let portal = &web.portal;
    let folders = folders(portal, &session.caller, &session.username).await;
    let refuse = |text: String| {
        render(
            &session,
            &draft,
            &folders,
            Some(&text),
            StatusCode::BAD_REQUEST,
        )
    };
    if draft.title.is_empty() {
        return refuse("Enter a title.".to_string());
    }
    let uris = draft.uris();
    if uris.is_empty() {
        return refuse(
            "Enter at least one redirect URI: the address your application receives the sign-in result at."
                .to_string(),
        );
    }
    // Checked before the item exists, so a bad URI leaves nothing behind.
    if let Err(e) = check_redirect_uris(&uris) {
        return refuse(message(&ServiceError::from(e)));
    }
    let app_type = if APP_TYPES.iter().any(|(t, _)| *t == draft.app_type) {
        draft.app_type.clone()
    } else {
        "multiple".to_string()
    };
    let changes = ItemChanges {
        title: Some(draft.title.clone()),
        item_type: Some("Application".to_string()),
        tags: Some(draft.tags()),
        description: Some(draft.description.clone()),
        ..ItemChanges::default()
    };
    let folder = Some(draft.folder.as_str()).filter(|f| !f.is_empty());
    let item = match portal
        .add_item(&session.caller, &session.username, folder, changes, None)
        .await
    {
        Ok(item) => item,
        Err(e) => return refuse(message(&e)),
    };
    let registration = RegisterApp {
        item_id: item.item.id.clone(),
        app_type,
        redirect_uris: uris,
        http_referrers: Vec::new(),
        privileges: Vec::new(),
        is_personal: None,
        allowed_addresses: Vec::new(),
    };
    if let Err(e) = portal.register_app(&session.caller, registration).await {
        // Don't leave an unregistered item behind for a form the person will submit again.
        if let Err(cleanup) = portal.delete_item(&session.caller, &item.item.id).await {
            tracing::warn!(error = %cleanup, "removing the item of a failed registration");
        }
        return refuse(message(&e));
    }
    redirect(&format!(
        "/home/item/{}?notice={}",
        html::url_encode(&item.item.id),
        html::url_encode(
            "OAuth credentials created. Give your application the client ID below; it signs users in with these redirect URIs."
        )
    ))
}

fn render(
    session: &Session,
    draft: &Draft,
    folders: &[Folder],
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut h = Html::new();
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"/home/new\">New item</a> › <span>OAuth credentials</span></nav>")
        .raw("<section class=\"card narrow\" aria-labelledby=\"oauth-title\"><h1 id=\"oauth-title\">New OAuth credentials</h1>")
        .raw("<p>OAuth credentials let an application sign users in with their own accounts (OAuth 2.0 authorization code with PKCE, or the implicit flow). After sign-in the application acts with the <em>user's</em> privileges; no API key is involved.</p>");
    notice(&mut h, error, "error");
    h.raw("<form method=\"post\" action=\"/home/new/oauth-credentials\" class=\"stack\">");
    hidden_csrf(&mut h, &session.csrf);
    h.raw("<label for=\"title\">Title</label><input id=\"title\" name=\"title\" required maxlength=\"250\" value=\"")
        .text(&draft.title)
        .raw("\"><label for=\"redirect_uris\">Redirect URIs <span class=\"muted\">(one per line)</span></label>")
        .raw("<textarea id=\"redirect_uris\" name=\"redirect_uris\" rows=\"4\" required aria-describedby=\"redirect-hint\" spellcheck=\"false\">")
        .text(&draft.redirect_uris)
        .raw("</textarea><p id=\"redirect-hint\" class=\"hint\">Sign-in results are sent only to an address that matches one of these exactly, for example <code>https://app.example.com/callback</code> or <code>http://localhost:8080/callback</code> while developing.</p>")
        .raw("<label for=\"app_type\">Application type</label><select id=\"app_type\" name=\"app_type\">");
    for (value, label) in APP_TYPES {
        h.raw("<option value=\"").raw(value).raw("\"");
        if draft.app_type == *value {
            h.raw(" selected");
        }
        h.raw(">").raw(label).raw("</option>");
    }
    h.raw("</select><label for=\"folder\">Folder</label><select id=\"folder\" name=\"folder\"><option value=\"\">My content (root folder)</option>");
    for f in folders {
        h.raw("<option value=\"").text(&f.id).raw("\"");
        if draft.folder == f.id {
            h.raw(" selected");
        }
        h.raw(">").text(&f.title).raw("</option>");
    }
    h.raw("</select><label for=\"tags\">Tags <span class=\"muted\">(comma-separated)</span></label><input id=\"tags\" name=\"tags\" value=\"")
        .text(&draft.tags)
        .raw("\"><label for=\"description\">Description</label><textarea id=\"description\" name=\"description\" rows=\"3\">")
        .text(&draft.description)
        .raw("</textarea><div class=\"actions\"><button type=\"submit\" class=\"button\">Create OAuth credentials</button>")
        .raw("<a class=\"button secondary\" href=\"/home/new\">Cancel</a></div></form></section>");
    page(status, session.layout("New OAuth credentials").render(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_split_on_lines_commas_and_spaces() {
        let draft = Draft {
            redirect_uris:
                "https://a.example/cb\r\n\nhttps://b.example/cb, http://localhost:8080/x"
                    .to_string(),
            ..Draft::default()
        };
        assert_eq!(
            draft.uris(),
            vec![
                "https://a.example/cb",
                "https://b.example/cb",
                "http://localhost:8080/x"
            ]
        );
    }

    #[test]
    fn tags_drop_blanks() {
        let draft = Draft {
            tags: " sign-in, ,web ".to_string(),
            ..Draft::default()
        };
        assert_eq!(draft.tags(), vec!["sign-in", "web"]);
    }
}
