//! The routes of keyportal, one file per resource.

mod admin;
mod apps;
mod content;
mod events;
mod groups;
mod health;
mod items;
mod key_controls;
mod leaks;
mod legacy;
mod oauth;
mod openapi_json;
pub mod operations;
mod portal;
mod proxy;
mod roles;
mod root;
mod search;
mod secret_scanning;
mod sharing;
mod tokens;
mod usage;
mod users;
pub mod verify;

use axum::routing::{get, post, MethodRouter};
use axum::Router;

use crate::AppState;

/// Every Sharing API resource answers GET and POST alike (spec §1.1).
fn get_or_post<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState> + Clone,
    T: 'static,
{
    get(handler.clone()).post(handler)
}

/// Every route but `/verify`, which `crate::app` adds outside the CORS layer.
pub fn router() -> Router<AppState> {
    const R: &str = "/sharing/rest";
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/openapi.json", get(openapi_json::serve))
        .route(R, get_or_post(root::root))
        .route(&format!("{R}/info"), get_or_post(root::info))
        .route("/sharing/info", get_or_post(root::info))
        .route(
            &format!("{R}/generateToken"),
            get_or_post(tokens::generate_token),
        )
        .route(
            &format!("{R}/oauth2/revokeToken"),
            get_or_post(tokens::revoke_token),
        )
        .route(
            &format!("{R}/oauth2/token"),
            get_or_post(tokens::oauth_token),
        )
        // Keys travel in the body only: a query string ends up in other servers' logs.
        .route(
            &format!("{R}/oauth2/revokeLeakedKeys"),
            post(leaks::revoke_leaked_keys),
        )
        .route("/secret-scanning/github", post(secret_scanning::github))
        .merge(apps::routes(R))
        .merge(key_controls::routes(R))
        .merge(legacy::routes(R))
        .merge(oauth::routes(R))
        .merge(usage::routes(R))
        .merge(events::routes(R))
        .merge(proxy::routes(R))
        .merge(portal::routes(R))
        .merge(users::routes(R))
        .merge(roles::routes(R))
        .merge(items::routes(R))
        .merge(content::routes(R))
        .merge(sharing::routes(R))
        .merge(search::routes(R))
        .merge(groups::routes(R))
        .merge(admin::routes())
}
