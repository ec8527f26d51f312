//! Authorization as one decision (design §2.11): a pure function of who calls (`Viewer`, with
//! its `CallerKind`), what they want to do (`Operation`) and the resource that operation
//! touches. Every service operation asks [`authorize`]; nothing else decides. The table test
//! in `tests.rs` enumerates every operation against every caller kind.

pub mod coverage;
mod grant;
mod operation;
mod rules;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use crate::error::DomainError;

pub use grant::check_grant;
pub use operation::{Operation, OperationKind};
pub use rules::{allows, authorize};

/// Who is calling, as far as authorization cares. An administrator is a `Member` whose
/// privileges include the `portal:admin:*` ones; the CLI operator is `System`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallerKind {
    #[default]
    Anonymous,
    Member,
    /// An API key with a personal-scope privilege: acts as its owner, within its privileges.
    PersonalKey,
    /// An API key with standard privileges only: an application, never its owner.
    AppKey,
    LegacyKey,
    /// A `client_credentials` token: an application.
    AppToken,
    System,
}

impl CallerKind {
    pub fn is_key(self) -> bool {
        matches!(
            self,
            CallerKind::PersonalKey
                | CallerKind::AppKey
                | CallerKind::LegacyKey
                | CallerKind::AppToken
        )
    }
}

/// What a refused operation touched, so a hidden resource is answered like a missing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Item,
    Group,
    Member,
}

/// Why an operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// Nobody is signed in and the operation needs someone (ArcGIS 499).
    SignInRequired,
    /// The caller may not even see the resource: answered exactly like a missing one.
    Hidden(Resource),
    /// The caller sees the resource but may not do this; `reason` says why in words a person
    /// understands, naming the missing privilege when one would allow it.
    Forbidden { reason: Cow<'static, str> },
}

impl Denial {
    pub fn missing(privilege: &str) -> Denial {
        Denial::Forbidden {
            reason: Cow::Owned(format!("The privilege '{privilege}' is required.")),
        }
    }

    pub fn because(reason: &'static str) -> Denial {
        Denial::Forbidden {
            reason: Cow::Borrowed(reason),
        }
    }
}

impl From<Denial> for DomainError {
    /// `SignInRequired` has no domain form; the service maps it to "token required" first.
    fn from(denial: Denial) -> DomainError {
        match denial {
            Denial::SignInRequired => DomainError::forbidden(),
            Denial::Hidden(Resource::Item) => DomainError::ItemNotFound,
            Denial::Hidden(Resource::Group) => {
                DomainError::NotFound("Group does not exist or is inaccessible.".into())
            }
            Denial::Hidden(Resource::Member) => {
                DomainError::NotFound("User does not exist or is inaccessible.".into())
            }
            Denial::Forbidden { reason } => DomainError::forbidden_because(reason),
        }
    }
}
