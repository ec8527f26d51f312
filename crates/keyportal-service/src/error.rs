//! The service layer's one error type: a domain refusal, an authentication failure, or a
//! storage failure (whose details go to the log, never to the caller).

use keyportal_domain::DomainError;
use keyportal_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The token is unknown, expired, revoked, or used from where it may not be (498).
    #[error("Invalid token.")]
    InvalidToken,
    /// The operation needs a signed-in caller and none was given (499).
    #[error("Token Required")]
    TokenRequired,
    /// A rate limit or quota of the key's credential refused the request (429).
    #[error("Rate limit exceeded ({}).", .0.reason.as_str())]
    RateLimited(keyportal_domain::rate_limit::Limited),
    /// Too many requests from one client address (leak reports: 60 an hour); retry after
    /// `retry_after_ms` (429).
    #[error("Too many requests from this address; try again later.")]
    TooManyRequests { retry_after_ms: i64 },
    /// Too much password hashing is running and waiting; the caller should retry (429).
    #[error("The server is busy; try again in a moment.")]
    Busy,
    /// The database cannot be reached right now (stopped, restarting, not answering in
    /// time); nothing was decided and the request can be repeated. The cause is for logs only.
    #[error("The database is unavailable; try again shortly.")]
    Unavailable(String),
    /// Storage failed; the message is for logs only.
    #[error("storage failure: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => ServiceError::Domain(DomainError::Conflict(message)),
            StoreError::NotFound => {
                ServiceError::Domain(DomainError::NotFound("The resource does not exist.".into()))
            }
            StoreError::Unavailable(cause) => ServiceError::Unavailable(cause),
            StoreError::Backend(message)
            | StoreError::Config(message)
            | StoreError::Archive(message) => ServiceError::Internal(message),
        }
    }
}

impl ServiceError {
    pub fn invalid(message: impl Into<String>) -> ServiceError {
        ServiceError::Domain(DomainError::invalid(message))
    }

    pub fn forbidden() -> ServiceError {
        ServiceError::Domain(DomainError::forbidden())
    }

    pub fn not_found(message: impl Into<String>) -> ServiceError {
        ServiceError::Domain(DomainError::NotFound(message.into()))
    }
}
