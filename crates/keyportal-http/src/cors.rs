//! Cross-origin access for browser applications calling the Sharing API from other origins
//! (REST JS in a web page). Tokens travel in parameters or headers, never in cookies, so no
//! credentials are allowed. `/verify` is for servers, not browsers: it gets no CORS at all,
//! whichever path answers it (the connection front, or hyper after a hand-over).

use std::time::Duration;

use axum::http::{header, HeaderName, Method};
use tower_http::cors::{Any, CorsLayer};

pub fn layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-esri-authorization"),
            HeaderName::from_static("x-requested-with"),
        ])
        .max_age(Duration::from_secs(3600))
}
