//! Organization pages for administrators: members (the list in `org/members.rs`, adding in
//! `org/new_member.rs`, one member in `org/member.rs`), roles (`org/roles.rs`)
//! and the proxy allow-list (`org/proxy_allow_list.rs`), plus what they share: the
//! administrator check, how a refusal maps to a status, and how user types and roles fit
//! together.

mod member;
mod members;
mod new_member;
mod proxy_allow_list;
mod roles;

use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use keyportal_domain::privilege::PrivilegeInfo;
use keyportal_domain::role::Role;
use keyportal_domain::user::check_role_fits_user_type;
use keyportal_domain::user_type::UserType;
use keyportal_domain::DomainError;
use keyportal_service::ServiceError;

use crate::request::{error_page, Session};
use crate::{Routes, Web};

pub(crate) fn routes() -> Routes {
    Router::new()
        .merge(members::routes())
        .merge(new_member::routes())
        .merge(member::routes())
        .merge(roles::routes())
        .merge(proxy_allow_list::routes())
}

const NOT_ADMIN: &str = "Only administrators of the organization can see its members and roles. \
Ask an administrator if you need access.";

/// An administrator's session: handlers that take it answer others with the sign-in redirect
/// or the 403 page.
pub(crate) struct Admin(pub Session);

impl axum::extract::FromRequestParts<std::sync::Arc<Web>> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        web: &std::sync::Arc<Web>,
    ) -> Result<Admin, Response> {
        let session = Session::from_request_parts(parts, web).await?;
        if session.is_admin() {
            Ok(Admin(session))
        } else {
            Err(error_page(Some(&session), StatusCode::FORBIDDEN, NOT_ADMIN))
        }
    }
}

/// The HTTP status of a page that shows a refusal of the service.
fn status_of(error: &ServiceError) -> StatusCode {
    match error {
        ServiceError::Domain(DomainError::Invalid { .. }) => StatusCode::BAD_REQUEST,
        ServiceError::Domain(DomainError::Conflict(_)) => StatusCode::CONFLICT,
        ServiceError::Domain(DomainError::Forbidden { .. }) => StatusCode::FORBIDDEN,
        ServiceError::Domain(DomainError::NotFound(_) | DomainError::ItemNotFound) => {
            StatusCode::NOT_FOUND
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Whether the role (administrator or publisher powers) needs a Creator or higher user type:
/// asked of the domain rule itself, so the pages never disagree with the service.
fn needs_creator(role: &Role) -> bool {
    check_role_fits_user_type(role, UserType::Viewer).is_err()
}

/// What a user type lets its members do, to follow "can".
fn user_type_summary(user_type: UserType) -> &'static str {
    match user_type {
        UserType::Viewer => "view content and groups, but create nothing",
        UserType::Contributor | UserType::FieldWorker => {
            "create and share content and edit data, but not publish, administer or create API keys"
        }
        _ => "use everything their role allows, including API keys and administration",
    }
}

/// The lowest user type that may hold a privilege, for the role editor's badges.
fn lowest_user_type(info: &PrivilegeInfo) -> UserType {
    if UserType::Viewer.allows(info.string) {
        UserType::Viewer
    } else if UserType::Contributor.allows(info.string) {
        UserType::Contributor
    } else {
        UserType::Creator
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::privilege::names;
    use keyportal_domain::role::{built_in_role, built_in_roles};

    #[test]
    fn administrator_and_publisher_need_creators() {
        let needing: Vec<String> = built_in_roles()
            .into_iter()
            .filter(needs_creator)
            .map(|r| r.id)
            .collect();
        assert_eq!(needing, ["org_admin", "org_publisher"]);
        let user = built_in_role("org_user").expect("role");
        assert!(!needs_creator(&user));
    }

    #[test]
    fn privileges_name_the_lowest_user_type() {
        let info = |s| keyportal_domain::privilege::lookup(s).expect("catalog");
        assert_eq!(
            lowest_user_type(info(names::VIEW_ORG_ITEMS)),
            UserType::Viewer
        );
        assert_eq!(
            lowest_user_type(info(names::CREATE_ITEM)),
            UserType::Contributor
        );
        assert_eq!(
            lowest_user_type(info(names::GENERATE_API_TOKENS)),
            UserType::Creator
        );
    }

    #[test]
    fn refusals_map_to_statuses() {
        assert_eq!(
            status_of(&ServiceError::invalid("no")),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status_of(&DomainError::Conflict("in use".into()).into()),
            StatusCode::CONFLICT
        );
        assert_eq!(status_of(&ServiceError::forbidden()), StatusCode::FORBIDDEN);
    }
}
