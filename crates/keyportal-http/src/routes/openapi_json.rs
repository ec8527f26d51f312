//! `GET /openapi.json`: the OpenAPI 3.1 document (`crate::openapi`), open to anyone and to
//! browsers on other origins, like the rest of the public API.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

pub async fn serve() -> Response {
    (
        [
            (CONTENT_TYPE, "application/json"),
            // The document changes only with the binary.
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        crate::openapi::document_bytes(),
    )
        .into_response()
}
