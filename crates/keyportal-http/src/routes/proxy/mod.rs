//! Proxied services.
//!
//! Settings (Sharing API routes, ArcGIS envelope):
//! - `content/users/{owner}/items/{id}/proxy`: GET shows an item's proxy settings, POST changes
//!   them (`enabled`, `upstreamHeaders`, `upstreamQuery`, `allowedReferrers`,
//!   `rateLimitPerKey`, `timeoutSeconds`, `maxBodyBytes`); the upstream is the item's `url`;
//! - `portals/self/locationServices`: the configured location services;
//! - `portals/self/locationServices/{name}`: GET shows one, POST creates or changes it (`url`,
//!   `privilege` and the fields above); `…/{name}/delete` removes it;
//! - `portals/self/proxyAllowList` and `…/update`: the upstream hosts proxies may reach
//!   (`allow_list.rs`).
//!
//! Credentials are shown by name only, never by value.
//!
//! Forwarding (real HTTP statuses, `{"error":{"code","message"}}`):
//! `/sharing/servers/{itemId}/…` and `/services/{name}/…`, every method. The token comes from
//! `token` (query, or a small urlencoded form body), `X-Esri-Authorization` or
//! `Authorization: Bearer`; the body is streamed, never buffered (small forms aside), and so is
//! the answer. 401 no or invalid token, 403 not allowed (or the upstream is not on the
//! allow-list, `upstream.rs`), 404 not proxied, 413 body too large,
//! 429 rate-limited (`Retry-After`), 502 upstream unreachable, 504 upstream silent too long.

mod allow_list;
mod forward;
mod request;
mod settings;
mod streams;
mod upstream;

use axum::routing::{any, get, post};
use axum::{Extension, Router};

use super::get_or_post;
use crate::AppState;
use allow_list::{show_allow_list, update_allow_list};
use forward::{forward_item, forward_service};
use settings::{
    delete_location_service, list_location_services, set_item_proxy, set_location_service,
    show_item_proxy, show_location_service,
};
use upstream::Upstream;

pub fn routes(r: &str) -> Router<AppState> {
    Router::new()
        .route(
            &format!("{r}/content/users/{{owner}}/items/{{id}}/proxy"),
            get(show_item_proxy).post(set_item_proxy),
        )
        .route(
            &format!("{r}/portals/self/locationServices"),
            get_or_post(list_location_services),
        )
        .route(
            &format!("{r}/portals/self/locationServices/{{name}}"),
            get(show_location_service).post(set_location_service),
        )
        .route(
            &format!("{r}/portals/self/locationServices/{{name}}/delete"),
            post(delete_location_service),
        )
        .route(
            &format!("{r}/portals/self/proxyAllowList"),
            get_or_post(show_allow_list),
        )
        .route(
            &format!("{r}/portals/self/proxyAllowList/update"),
            post(update_allow_list),
        )
        .route("/sharing/servers/{id}", any(forward_item))
        .route("/sharing/servers/{id}/{*rest}", any(forward_item))
        .route("/services/{name}", any(forward_service))
        .route("/services/{name}/{*rest}", any(forward_service))
        .layer(Extension(Upstream::new()))
}
