//! The domain's one error type. The wire layer maps each variant to the ArcGIS envelope in
//! exactly one place; messages here are safe to show to the caller.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// Input that can never be accepted (missing field, wrong type, too long, bad id).
    #[error("{message}")]
    Invalid {
        message: String,
        details: Vec<String>,
    },
    /// The item does not exist or the caller may not see it (ArcGIS does not distinguish).
    #[error("Item does not exist or is inaccessible.")]
    ItemNotFound,
    /// Any other resource (user, group, folder, role) that does not exist or is hidden.
    #[error("{0}")]
    NotFound(String),
    /// Authenticated, but the operation needs something the caller lacks.
    #[error("You do not have permissions to access this resource or perform this operation.")]
    Forbidden { details: Vec<String> },
    /// The operation conflicts with existing state (duplicate username, folder title, ...).
    #[error("{0}")]
    Conflict(String),
}

impl DomainError {
    pub fn invalid(message: impl Into<String>) -> Self {
        DomainError::Invalid {
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn invalid_with(message: impl Into<String>, details: Vec<String>) -> Self {
        DomainError::Invalid {
            message: message.into(),
            details,
        }
    }

    pub fn forbidden() -> Self {
        DomainError::Forbidden {
            details: Vec::new(),
        }
    }

    /// Forbidden, naming what is missing (for example a privilege string).
    pub fn forbidden_because(detail: impl Into<String>) -> Self {
        DomainError::Forbidden {
            details: vec![detail.into()],
        }
    }
}
