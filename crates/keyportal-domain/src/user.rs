//! Members of the organization and what they may do.

use crate::error::DomainError;
use crate::ids::shorten;
use crate::privilege::PrivilegeSet;
use crate::role::{Role, ORG_ADMIN, ORG_PUBLISHER};
use crate::text::{self, Lines};
use crate::user_type::UserType;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// 32-hex id, stable across renames of other fields.
    pub id: String,
    /// Case-sensitive, unique.
    pub username: String,
    pub org_id: String,
    pub full_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub description: String,
    pub user_type: UserType,
    /// A built-in role id (`org_admin`, …, `iAAAAAAAAAAAAAAA`) or a custom role id.
    pub role_id: String,
    pub disabled: bool,
    /// `arcgis` for built-in accounts.
    pub provider: String,
    pub created: i64,
    pub modified: i64,
    /// `-1` until the first sign-in.
    pub last_login: i64,
}

/// Profile fields people may set; each is optional text with a length cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserProfile {
    pub full_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub description: String,
}

impl UserProfile {
    /// Fills a missing full name from first and last names (ArcGIS does the same).
    pub fn normalized(mut self) -> UserProfile {
        if self.full_name.trim().is_empty() {
            self.full_name = format!("{} {}", self.first_name.trim(), self.last_name.trim())
                .trim()
                .to_string();
        }
        self
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        let problems = [
            ("fullname", &self.full_name, 256),
            ("firstname", &self.first_name, 128),
            ("lastname", &self.last_name, 128),
            ("email", &self.email, 256),
            ("description", &self.description, 32_000),
        ]
        .into_iter()
        .filter(|(_, value, max)| value.chars().count() > *max)
        .map(|(name, _, max)| format!("'{name}' has more than {max} characters."))
        .chain(
            [
                ("fullname", &self.full_name, Lines::Single),
                ("firstname", &self.first_name, Lines::Single),
                ("lastname", &self.last_name, Lines::Single),
                ("email", &self.email, Lines::Single),
                ("description", &self.description, Lines::Multi),
            ]
            .into_iter()
            .filter_map(|(name, value, lines)| text::problem(name, value, lines)),
        )
        .collect::<Vec<_>>();
        if !problems.is_empty() {
            return Err(DomainError::invalid_with("Invalid user profile.", problems));
        }
        if !self.email.is_empty() && !looks_like_email(&self.email) {
            return Err(DomainError::invalid(format!(
                "'{}' is not an email address.",
                shorten(&self.email)
            )));
        }
        Ok(())
    }
}

fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// A member's privileges: the role's, limited by the user type. Disabled members have none.
pub fn effective_privileges(role: &Role, user_type: UserType, disabled: bool) -> PrivilegeSet {
    if disabled {
        return PrivilegeSet::new();
    }
    role.privileges.filtered(|p| user_type.allows(p))
}

/// Administrator and Publisher roles need a Creator (or higher) user type, as in ArcGIS.
pub fn check_role_fits_user_type(role: &Role, user_type: UserType) -> Result<(), DomainError> {
    let needs_creator = matches!(role.base_role(), ORG_ADMIN | ORG_PUBLISHER);
    if needs_creator && !user_type.is_creator_or_higher() {
        Err(DomainError::invalid_with(
            "The role is not compatible with the user type.",
            vec![format!(
                "The role '{}' needs a Creator or higher user type; the user type is {}.",
                role.name,
                user_type.label()
            )],
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privilege::names;
    use crate::role::built_in_role;

    #[test]
    fn user_type_limits_role() {
        let publisher = built_in_role("org_publisher").expect("role");
        let as_creator = effective_privileges(&publisher, UserType::Creator, false);
        assert!(as_creator.contains(names::GENERATE_API_TOKENS));
        let user = built_in_role("org_user").expect("role");
        let as_viewer = effective_privileges(&user, UserType::Viewer, false);
        assert!(!as_viewer.contains(names::CREATE_ITEM));
        assert!(as_viewer.contains(names::VIEW_ORG_ITEMS));
        assert!(effective_privileges(&publisher, UserType::Creator, true).is_empty());
    }

    #[test]
    fn admin_role_needs_creator_type() {
        let admin = built_in_role("org_admin").expect("role");
        assert!(check_role_fits_user_type(&admin, UserType::Creator).is_ok());
        assert!(check_role_fits_user_type(&admin, UserType::Viewer).is_err());
        let viewer = built_in_role("viewer").expect("role");
        assert!(check_role_fits_user_type(&viewer, UserType::Viewer).is_ok());
    }

    #[test]
    fn profile_validation() {
        let profile = UserProfile {
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            email: "jane@example.com".into(),
            ..Default::default()
        }
        .normalized();
        assert_eq!(profile.full_name, "Jane Doe");
        assert!(profile.validate().is_ok());
        let bad = UserProfile {
            email: "not-an-email".into(),
            ..Default::default()
        };
        assert!(bad.validate().is_err());
        let long = UserProfile {
            first_name: "x".repeat(500),
            ..Default::default()
        };
        assert!(long.validate().is_err());
    }

    #[test]
    fn profile_fields_refuse_control_characters() {
        for (profile, field) in [
            (
                UserProfile {
                    full_name: "J\0".into(),
                    ..Default::default()
                },
                "'fullname'",
            ),
            (
                UserProfile {
                    email: "j@x.com\u{1}".into(),
                    ..Default::default()
                },
                "'email'",
            ),
            (
                UserProfile {
                    description: "\u{1b}[2J".into(),
                    ..Default::default()
                },
                "'description'",
            ),
        ] {
            match profile.validate() {
                Err(DomainError::Invalid { details, .. }) => {
                    assert!(details.join(" ").contains(field), "{details:?}")
                }
                other => panic!("expected Invalid, got {other:?}"),
            }
        }
        let multi = UserProfile {
            description: "line\nline".into(),
            ..Default::default()
        };
        assert_eq!(multi.validate(), Ok(()));
    }
}
