//! Path parameters (`/community/users/{username}`, `/content/items/{id}`) for the Sharing
//! API. axum's own extractor answers a segment that is not UTF-8 once percent-decoded with a
//! plain-text `400 Invalid URL`; here every refusal is the ArcGIS envelope, like any other bad
//! input, and a segment holding a control character is refused by name before any handler
//! (or the store) sees it.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use keyportal_domain::text::check_single_line;
use keyportal_domain::DomainError;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Drop-in for `axum::extract::Path` on Sharing routes.
#[derive(Debug)]
pub struct Path<T>(pub T);

fn invalid_url() -> ApiError {
    DomainError::invalid_with(
        "Invalid URL.",
        vec!["A path segment is not valid percent-encoded UTF-8.".into()],
    )
    .into()
}

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| invalid_url())?;
        for (name, value) in &raw {
            check_single_line(name, value)?;
        }
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|_| invalid_url())?;
        Ok(Path(value))
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    use super::*;

    async fn answer(uri: &str) -> (StatusCode, serde_json::Value) {
        let app = Router::new().route(
            "/sharing/rest/community/users/{username}",
            get(|Path(name): Path<String>| async move { name }),
        );
        let response = app
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let json = serde_json::from_slice(&body)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&body).into()));
        (status, json)
    }

    #[tokio::test]
    async fn bad_segments_answer_the_arcgis_envelope() {
        let (status, json) = answer("/sharing/rest/community/users/%FF%FE").await;
        assert_eq!(status, StatusCode::OK, "Sharing errors are HTTP 200");
        assert_eq!(json["error"]["code"], 400, "{json}");
        assert_eq!(json["error"]["message"], "Invalid URL.");
        let (status, json) = answer("/sharing/rest/community/users/ad%00min").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json["error"]["code"], 400, "{json}");
        assert_eq!(json["error"]["message"], "Invalid value for 'username'.");
        let (status, json) = answer("/sharing/rest/community/users/caf%C3%A9").await;
        assert_eq!((status, json), (StatusCode::OK, "café".into()));
    }
}
