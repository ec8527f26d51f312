//! The one place errors become ArcGIS envelopes. Sharing API errors are HTTP 200 with
//! `{"error":{"code","messageCode"?,"message","details"}}` (spec §1.5); internal causes are
//! logged and never shown.

use axum::response::{IntoResponse, Response};
use keyportal_domain::DomainError;
use keyportal_service::ServiceError;
use serde_json::{json, Value};

use super::reply::json_response;

#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        ApiError(error)
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        ApiError(ServiceError::Domain(error))
    }
}

fn envelope(code: u16, message_code: Option<&str>, message: &str, details: &[String]) -> Value {
    let mut error = json!({ "code": code, "message": message, "details": details });
    if let Some(mc) = message_code {
        error["messageCode"] = json!(mc);
    }
    json!({ "error": error })
}

impl ApiError {
    /// The envelope for this error (the mapping pinned by the tests below).
    pub fn to_envelope(&self) -> Value {
        error_envelope(&self.0)
    }
}

/// The ArcGIS error envelope for a service error.
pub fn error_envelope(error: &ServiceError) -> Value {
    match error {
        ServiceError::Domain(DomainError::Invalid { message, details }) => {
            envelope(400, None, message, details)
        }
        ServiceError::Domain(e @ DomainError::ItemNotFound) => {
            envelope(400, Some("CONT_0001"), &e.to_string(), &[])
        }
        ServiceError::Domain(DomainError::NotFound(message)) => envelope(400, None, message, &[]),
        ServiceError::Domain(e @ DomainError::Forbidden { details }) => {
            envelope(403, Some("GWM_0003"), &e.to_string(), details)
        }
        ServiceError::Domain(DomainError::Conflict(message)) => envelope(409, None, message, &[]),
        ServiceError::InvalidToken => {
            envelope(498, None, "Invalid token.", &["Invalid token.".to_string()])
        }
        ServiceError::TokenRequired => envelope(
            499,
            Some("GWM_0003"),
            "Token Required",
            &["Token Required".to_string()],
        ),
        ServiceError::RateLimited(limited) => envelope(
            429,
            None,
            "Rate limit exceeded.",
            &[
                format!(
                    "The credential's limit '{}' was reached.",
                    limited.reason.as_str()
                ),
                format!(
                    "Retry after {} seconds.",
                    (limited.retry_after_ms + 999) / 1000
                ),
            ],
        ),
        ServiceError::TooManyRequests { retry_after_ms } => envelope(
            429,
            None,
            "Too many requests from this address; try again later.",
            &[format!(
                "Retry after {} seconds.",
                (retry_after_ms + 999) / 1000
            )],
        ),
        ServiceError::Busy => envelope(
            429,
            None,
            "The server is busy; try again in a moment.",
            &["Too many passwords are being checked at once.".to_string()],
        ),
        ServiceError::Unavailable(_) => envelope(
            503,
            None,
            "The database is unavailable; try again shortly.",
            &[],
        ),
        ServiceError::Internal(_) => envelope(
            500,
            None,
            "An internal error occurred. The server log has the details.",
            &[],
        ),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self.0 {
            ServiceError::Internal(cause) => {
                tracing::error!(%cause, "internal error answering a request")
            }
            ServiceError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable answering a request")
            }
            _ => {}
        }
        json_response(&self.to_envelope(), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(error: ServiceError) -> (u64, Option<String>) {
        let v = ApiError(error).to_envelope();
        (
            v["error"]["code"].as_u64().unwrap_or_default(),
            v["error"]["messageCode"].as_str().map(str::to_string),
        )
    }

    #[test]
    fn every_error_kind_has_its_arcgis_code() {
        assert_eq!(code_of(DomainError::invalid("x").into()), (400, None));
        assert_eq!(
            code_of(DomainError::ItemNotFound.into()),
            (400, Some("CONT_0001".into()))
        );
        assert_eq!(
            code_of(DomainError::forbidden().into()),
            (403, Some("GWM_0003".into()))
        );
        assert_eq!(
            code_of(DomainError::Conflict("c".into()).into()),
            (409, None)
        );
        assert_eq!(code_of(ServiceError::InvalidToken), (498, None));
        assert_eq!(code_of(ServiceError::Busy), (429, None));
        assert_eq!(
            code_of(ServiceError::TooManyRequests {
                retry_after_ms: 1_500
            }),
            (429, None)
        );
        assert_eq!(
            code_of(ServiceError::TokenRequired),
            (499, Some("GWM_0003".into()))
        );
        assert_eq!(
            code_of(ServiceError::Internal("secret db detail".into())),
            (500, None)
        );
        assert_eq!(
            code_of(ServiceError::Unavailable("pool timed out".into())),
            (503, None)
        );
    }

    #[test]
    fn internal_details_never_reach_the_caller() {
        let v = ApiError(ServiceError::Internal("password=hunter2".into())).to_envelope();
        assert!(!v.to_string().contains("hunter2"));
        let v = ApiError(ServiceError::Unavailable(
            "connection to postgres://kp:hunter2@db refused".into(),
        ))
        .to_envelope();
        assert!(!v.to_string().contains("hunter2"));
        assert_eq!(
            v["error"]["message"],
            "The database is unavailable; try again shortly."
        );
    }

    #[test]
    fn envelope_has_message_and_details() {
        let v = ApiError(
            DomainError::invalid_with(
                "Unable to generate token.",
                vec!["Invalid username or password.".into()],
            )
            .into(),
        )
        .to_envelope();
        assert_eq!(v["error"]["message"], "Unable to generate token.");
        assert_eq!(v["error"]["details"][0], "Invalid username or password.");
    }
}
