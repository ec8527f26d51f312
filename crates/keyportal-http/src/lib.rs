#![recursion_limit = "256"]
//! keyportal's HTTP layer. `wire` holds everything about the ArcGIS wire format (lenient
//! parameter decoding, token extraction, the error envelope, `f=json|pjson`); `routes` holds
//! one file per resource; `views` turns service results into the JSON shapes clients read;
//! `fast_verify` is the connection front that answers nginx's `GET /verify` before hyper.

pub mod client_address;
mod cors;
pub mod fast_verify;
pub mod http_metrics;
pub mod openapi;
pub mod request_id;
pub mod request_log;
pub mod routes;
pub mod views;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use keyportal_service::Portal;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub portal: Arc<Portal>,
    /// Whether the server is reached over HTTPS (for absolute URLs and `ssl` fields).
    pub https: bool,
    /// The portal's public site root (`https://portal.example.com`): where the built-in
    /// sign-in clients may redirect. Configured, never taken from a request.
    pub public_url: String,
}

/// The whole application: used by `keyportal serve` and by the tests alike. Every route but
/// `/verify` answers browsers' cross-origin requests (`cors`).
pub fn app(state: AppState) -> Router {
    routes::router()
        .layer(cors::layer())
        .merge(routes::verify::routes())
        .with_state(state)
}
