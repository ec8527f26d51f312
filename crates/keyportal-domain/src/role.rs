//! Roles: named privilege sets assigned to members. Five are built in (Administrator, Publisher,
//! User, Data Editor, Viewer); administrators may define custom roles.

use crate::error::DomainError;
use crate::ids::shorten;
use crate::privilege::{self, names, PrivilegeInfo, PrivilegeScope, PrivilegeSet, CATALOG};
use crate::text;

pub const ORG_ADMIN: &str = "org_admin";
pub const ORG_PUBLISHER: &str = "org_publisher";
pub const ORG_USER: &str = "org_user";
/// ArcGIS gives the Viewer and Data Editor roles these fixed role ids.
pub const VIEWER_ROLE_ID: &str = "iAAAAAAAAAAAAAAA";
pub const DATA_EDITOR_ROLE_ID: &str = "iBBBBBBBBBBBBBBB";

/// A role: built in, or custom (16-character id) with privileges chosen by an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: String,
    pub privileges: PrivilegeSet,
    pub built_in: bool,
    pub created: i64,
    pub modified: i64,
}

impl Role {
    /// The wire `role` of members with this role: the built-in role it is based on, derived
    /// from its privileges the way ArcGIS does for custom roles.
    pub fn base_role(&self) -> &'static str {
        match self.id.as_str() {
            ORG_ADMIN => ORG_ADMIN,
            ORG_PUBLISHER => ORG_PUBLISHER,
            ORG_USER | VIEWER_ROLE_ID | DATA_EDITOR_ROLE_ID => ORG_USER,
            _ if self.privileges.has_any_admin() => ORG_ADMIN,
            _ if self
                .privileges
                .iter()
                .any(|p| p.starts_with("portal:publisher:")) =>
            {
                ORG_PUBLISHER
            }
            _ => ORG_USER,
        }
    }

    /// The wire `roleId`: absent for the three classic roles, which clients rely on (REST JS
    /// treats a member as an administrator only when `role` is `org_admin` without `roleId`).
    pub fn wire_role_id(&self) -> Option<&str> {
        match self.id.as_str() {
            ORG_ADMIN | ORG_PUBLISHER | ORG_USER => None,
            other => Some(other),
        }
    }
}

fn catalog_where(keep: impl Fn(&PrivilegeInfo) -> bool) -> PrivilegeSet {
    CATALOG
        .iter()
        .filter(|info| keep(info))
        .map(|info| info.string)
        .collect()
}

fn is_location_service(info: &PrivilegeInfo) -> bool {
    info.category == "Location services"
}

const VIEWER_PRIVILEGES: &[&str] = &[
    names::VIEW_ORG_USERS,
    names::VIEW_ORG_GROUPS,
    names::VIEW_ORG_ITEMS,
    names::JOIN_GROUP,
    "portal:user:viewTracks",
];

/// The five built-in roles, with their privileges taken from the catalog.
pub fn built_in_roles() -> Vec<Role> {
    let admin = catalog_where(|_| true);
    let publisher = catalog_where(|info| !privilege::is_admin_privilege(info.string));
    let user = catalog_where(|info| {
        (info.string.starts_with("portal:user:")
            && info.string != names::GENERATE_API_TOKENS
            && info.string != names::ASSIGN_PRIVILEGES_TO_APPS)
            || info.string == "features:user:edit"
            || (is_location_service(info) && info.scope == PrivilegeScope::Standard)
    });
    let viewer: PrivilegeSet = VIEWER_PRIVILEGES.iter().copied().collect();
    let mut data_editor = viewer.clone();
    data_editor.insert("features:user:edit");

    let role = |id: &str, name: &str, description: &str, privileges: PrivilegeSet| Role {
        id: id.to_string(),
        name: name.to_string(),
        description: description.to_string(),
        privileges,
        built_in: true,
        created: 0,
        modified: 0,
    };
    vec![
        role(
            ORG_ADMIN,
            "Administrator",
            "Manages the organization: members, roles, content, groups and settings.",
            admin,
        ),
        role(
            ORG_PUBLISHER,
            "Publisher",
            "Creates and shares content, publishes services and creates developer credentials.",
            publisher,
        ),
        role(
            ORG_USER,
            "User",
            "Creates and shares content and groups; uses location services.",
            user,
        ),
        role(
            DATA_EDITOR_ROLE_ID,
            "Data Editor",
            "Views content and edits data in feature layers.",
            data_editor,
        ),
        role(
            VIEWER_ROLE_ID,
            "Viewer",
            "Views content and groups shared with them; joins groups.",
            viewer,
        ),
    ]
}

/// Finds a built-in role by id or by a name people type (`admin`, `publisher`, `user`,
/// `viewer`, `data editor`, case-insensitive).
pub fn built_in_role(name_or_id: &str) -> Option<Role> {
    let wanted = name_or_id.trim().to_ascii_lowercase();
    let id = match wanted.as_str() {
        "org_admin" | "admin" | "administrator" => ORG_ADMIN,
        "org_publisher" | "publisher" => ORG_PUBLISHER,
        "org_user" | "user" => ORG_USER,
        "viewer" => VIEWER_ROLE_ID,
        "data editor" | "data_editor" | "dataeditor" => DATA_EDITOR_ROLE_ID,
        _ => {
            return built_in_roles()
                .into_iter()
                .find(|r| r.id == name_or_id.trim())
        }
    };
    built_in_roles().into_iter().find(|r| r.id == id)
}

/// Validates a custom role definition: a name, and only catalog privileges.
pub fn validate_custom_role(
    name: &str,
    description: &str,
    privileges: &[String],
) -> Result<(), DomainError> {
    let name = name.trim();
    text::check_single_line("name", name)?;
    text::check_multi_line("description", description)?;
    if name.is_empty() || name.chars().count() > 128 {
        return Err(DomainError::invalid(
            "A role needs a name of 1 to 128 characters.",
        ));
    }
    if built_in_role(name).is_some() {
        return Err(DomainError::Conflict(format!(
            "'{}' is the name of a built-in role.",
            shorten(name)
        )));
    }
    if description.chars().count() > 1024 {
        return Err(DomainError::invalid(
            "A role description has at most 1024 characters.",
        ));
    }
    validate_catalog_privileges(privileges)
}

/// Every privilege must be in the catalog (item-access privileges belong to credentials, not roles).
pub fn validate_catalog_privileges(privileges: &[String]) -> Result<(), DomainError> {
    let unknown: Vec<String> = privileges
        .iter()
        .filter(|p| privilege::lookup(p).is_none())
        .map(|p| shorten(p))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(DomainError::invalid_with(
            "Unknown privileges.",
            unknown
                .into_iter()
                .map(|p| format!("'{p}' is not a privilege."))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roles_have_the_expected_powers() {
        let admin = built_in_role("org_admin").expect("admin role");
        let publisher = built_in_role("publisher").expect("publisher role");
        let user = built_in_role("org_user").expect("user role");
        let viewer = built_in_role("viewer").expect("viewer role");
        assert!(admin.privileges.contains(names::ADMIN_MANAGE_ROLES));
        assert!(admin.privileges.contains(names::GENERATE_API_TOKENS));
        assert!(publisher.privileges.contains(names::GENERATE_API_TOKENS));
        assert!(publisher
            .privileges
            .contains(names::ASSIGN_PRIVILEGES_TO_APPS));
        assert!(!publisher.privileges.has_any_admin());
        assert!(user.privileges.contains(names::CREATE_ITEM));
        assert!(!user.privileges.contains(names::GENERATE_API_TOKENS));
        assert!(!viewer.privileges.contains(names::CREATE_ITEM));
    }

    #[test]
    fn wire_role_of_built_ins_and_custom_roles() {
        let viewer = built_in_role("viewer").expect("viewer role");
        assert_eq!(viewer.base_role(), ORG_USER);
        assert_eq!(viewer.wire_role_id(), Some(VIEWER_ROLE_ID));
        let admin = built_in_role("org_admin").expect("admin role");
        assert_eq!(admin.wire_role_id(), None);
        let custom = Role {
            id: "abcdefghijklmnop".into(),
            name: "Key makers".into(),
            description: String::new(),
            privileges: [names::CREATE_ITEM, names::ADMIN_VIEW_USERS]
                .into_iter()
                .collect(),
            built_in: false,
            created: 0,
            modified: 0,
        };
        assert_eq!(custom.base_role(), ORG_ADMIN);
    }

    #[test]
    fn custom_roles_only_take_catalog_privileges() {
        assert!(validate_custom_role("Keys", "", &[names::CREATE_ITEM.into()]).is_ok());
        assert!(validate_custom_role("Keys", "", &["portal:user:fly".into()]).is_err());
        assert!(validate_custom_role("", "", &[]).is_err());
        assert!(validate_custom_role("viewer", "", &[]).is_err());
        assert!(validate_custom_role("Key\0s", "", &[]).is_err());
        assert!(validate_custom_role("Keys", "a\u{1}", &[]).is_err());
        assert!(validate_custom_role("Keys", "one\ntwo", &[]).is_ok());
    }
}
