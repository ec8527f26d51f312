//! The web portal: server-rendered pages under `/home` (sign-in, My content, the credentials
//! wizard, item pages with API key settings, usage, organization administration). Every page
//! calls the same `Portal` methods as the REST API, so the same rules apply. Assets are
//! embedded in the binary.

mod activity;
mod content;
mod credential_addresses;
mod credential_edit;
mod credential_referrers;
mod html;
mod item;
mod item_delete;
mod item_picker;
mod key_access;
mod key_roll;
mod keys;
mod layout;
mod leak_notice;
mod new_item;
mod oauth_credentials;
mod oauth_settings;
pub mod operations;
mod org;
mod paging;
mod pickers;
mod request;
mod session;
mod signin;
mod usage;
mod wizard;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use keyportal_service::Portal;

pub use html::{escape, Html};
pub use session::{csrf_for, safe_next};

/// One stylesheet for every page, assembled from one file per part of the portal.
const CSS: &str = concat!(
    include_str!("../assets/css/base.css"),
    include_str!("../assets/css/wizard.css"),
    include_str!("../assets/css/org.css"),
    include_str!("../assets/css/usage.css"),
);
const JS: &str = include_str!("../assets/portal.js");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What every page handler shares.
pub(crate) struct Web {
    pub portal: Arc<Portal>,
    pub https: bool,
    /// Credentials created by the wizard lately, against a repeated "Create".
    pub drafts: wizard::DraftLedger,
}

pub(crate) type St = State<Arc<Web>>;
pub(crate) type Fields = Form<HashMap<String, String>>;
/// The routes of one part of the portal, merged by [`router`].
pub(crate) type Routes = Router<Arc<Web>>;

/// The portal's pages, to be merged into the application router.
pub fn router(portal: Arc<Portal>, https: bool) -> Router {
    let state = Arc::new(Web {
        portal,
        https,
        drafts: wizard::DraftLedger::default(),
    });
    Router::new()
        .route("/home", get(home))
        .route("/home/static/portal.css", get(css))
        .route("/home/static/portal.js", get(js))
        .merge(signin::routes())
        .merge(content::routes())
        .merge(item::routes())
        .merge(item_delete::routes())
        .merge(keys::routes())
        .merge(new_item::routes())
        .merge(wizard::routes())
        .merge(credential_edit::routes())
        .merge(credential_referrers::routes())
        .merge(credential_addresses::routes())
        .merge(key_roll::routes())
        .merge(key_access::routes())
        .merge(oauth_credentials::routes())
        .merge(oauth_settings::routes())
        .merge(usage::routes())
        .merge(activity::routes())
        .merge(org::routes())
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Strict headers on every answer of the portal's pages.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn home() -> Response {
    request::redirect("/home/content")
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}
