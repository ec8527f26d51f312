//! Successful answers: JSON, indented for `f=pjson`.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

#[derive(Debug)]
pub struct Reply {
    value: Value,
    pretty: bool,
}

impl Reply {
    pub fn new(value: Value, pretty: bool) -> Reply {
        Reply { value, pretty }
    }
}

pub(crate) fn json_response(value: &Value, pretty: bool) -> Response {
    let body = if pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    }
    .unwrap_or_else(|_| b"{}".to_vec());
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
            // Answers carry private data and tokens: never cache them.
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        json_response(&self.value, self.pretty)
    }
}
