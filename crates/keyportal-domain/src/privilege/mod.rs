//! The ArcGIS privilege catalog as product data, and privilege sets.
//!
//! A privilege is a string such as `portal:user:createItem`. The catalog (`catalog.rs`) lists
//! every privilege keyportal knows with its category, label, description and scope; item access
//! is the open-ended family `portal:app:access:item:<itemId>`.

mod catalog;

use std::collections::BTreeSet;

use crate::ids::is_hex_id;

pub use catalog::CATALOG;

/// Standard privileges may be used by public applications; personal ones act on behalf of the
/// account that holds them (design §2.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrivilegeScope {
    Standard,
    Personal,
}

/// One entry of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PrivilegeInfo {
    /// The wire string, e.g. `portal:user:createItem`.
    pub string: &'static str,
    /// A grouping for people: "Location services", "General", "Administrative: members", ...
    pub category: &'static str,
    /// A short human label, e.g. "Create, update and delete content".
    pub label: &'static str,
    /// One or two sentences on what the privilege allows.
    pub description: &'static str,
    pub scope: PrivilegeScope,
}

/// Prefix of the item-access privileges (`portal:app:access:item:<itemId>`).
pub const ITEM_ACCESS_PREFIX: &str = "portal:app:access:item:";

/// Privilege strings the server itself checks, named once so a typo cannot hide.
pub mod names {
    pub const VIEW_ORG_USERS: &str = "portal:user:viewOrgUsers";
    pub const VIEW_ORG_GROUPS: &str = "portal:user:viewOrgGroups";
    pub const VIEW_ORG_ITEMS: &str = "portal:user:viewOrgItems";
    pub const CREATE_GROUP: &str = "portal:user:createGroup";
    pub const JOIN_GROUP: &str = "portal:user:joinGroup";
    pub const CREATE_ITEM: &str = "portal:user:createItem";
    pub const SHARE_TO_GROUP: &str = "portal:user:shareToGroup";
    pub const SHARE_TO_ORG: &str = "portal:user:shareToOrg";
    pub const SHARE_TO_PUBLIC: &str = "portal:user:shareToPublic";
    pub const SHARE_GROUP_TO_ORG: &str = "portal:user:shareGroupToOrg";
    pub const SHARE_GROUP_TO_PUBLIC: &str = "portal:user:shareGroupToPublic";
    pub const GENERATE_API_TOKENS: &str = "portal:user:generateApiTokens";
    pub const ASSIGN_PRIVILEGES_TO_APPS: &str = "portal:user:assignPrivilegesToApps";

    pub const ADMIN_VIEW_USERS: &str = "portal:admin:viewUsers";
    pub const ADMIN_UPDATE_USERS: &str = "portal:admin:updateUsers";
    pub const ADMIN_DELETE_USERS: &str = "portal:admin:deleteUsers";
    pub const ADMIN_INVITE_USERS: &str = "portal:admin:inviteUsers";
    pub const ADMIN_DISABLE_USERS: &str = "portal:admin:disableUsers";
    pub const ADMIN_CHANGE_USER_ROLES: &str = "portal:admin:changeUserRoles";
    pub const ADMIN_MANAGE_LICENSES: &str = "portal:admin:manageLicenses";
    pub const ADMIN_MANAGE_ROLES: &str = "portal:admin:manageRoles";
    pub const ADMIN_VIEW_GROUPS: &str = "portal:admin:viewGroups";
    pub const ADMIN_UPDATE_GROUPS: &str = "portal:admin:updateGroups";
    pub const ADMIN_DELETE_GROUPS: &str = "portal:admin:deleteGroups";
    pub const ADMIN_ASSIGN_TO_GROUPS: &str = "portal:admin:assignToGroups";
    pub const ADMIN_VIEW_ITEMS: &str = "portal:admin:viewItems";
    pub const ADMIN_UPDATE_ITEMS: &str = "portal:admin:updateItems";
    pub const ADMIN_DELETE_ITEMS: &str = "portal:admin:deleteItems";
    pub const ADMIN_SHARE_TO_GROUP: &str = "portal:admin:shareToGroup";
    pub const ADMIN_SHARE_TO_ORG: &str = "portal:admin:shareToOrg";
    pub const ADMIN_SHARE_TO_PUBLIC: &str = "portal:admin:shareToPublic";
    pub const ADMIN_MANAGE_SECURITY: &str = "portal:admin:manageSecurity";
    pub const ADMIN_MANAGE_UTILITY_SERVICES: &str = "portal:admin:manageUtilityServices";
}

/// The catalog entry for `privilege`, if it is a catalog privilege.
pub fn lookup(privilege: &str) -> Option<&'static PrivilegeInfo> {
    CATALOG.iter().find(|info| info.string == privilege)
}

/// The item id of an item-access privilege (`portal:app:access:item:<id>`).
pub fn item_access_target(privilege: &str) -> Option<&str> {
    privilege
        .strip_prefix(ITEM_ACCESS_PREFIX)
        .filter(|id| is_hex_id(id))
}

/// True for catalog privileges and well-formed item-access privileges.
pub fn is_known(privilege: &str) -> bool {
    lookup(privilege).is_some() || item_access_target(privilege).is_some()
}

/// True when the privilege belongs to the administrative family (`…:admin:…`).
pub fn is_admin_privilege(privilege: &str) -> bool {
    privilege.contains(":admin:")
}

/// A set of privilege strings, ordered so that it serializes deterministically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivilegeSet(BTreeSet<String>);

/// The empty set, for operations that grant or carry nothing.
pub static NO_PRIVILEGES: PrivilegeSet = PrivilegeSet::new();

impl PrivilegeSet {
    pub const fn new() -> Self {
        PrivilegeSet(BTreeSet::new())
    }

    /// The catalog privileges of a credential's list, without its item-access entries
    /// (`portal:app:access:item:<id>`), which nobody "holds".
    pub fn without_item_access(privileges: &[String]) -> PrivilegeSet {
        privileges
            .iter()
            .filter(|p| item_access_target(p).is_none())
            .map(String::as_str)
            .collect()
    }

    pub fn contains(&self, privilege: &str) -> bool {
        self.0.contains(privilege)
    }

    pub fn insert(&mut self, privilege: impl Into<String>) {
        self.0.insert(privilege.into());
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The privileges present in both sets.
    pub fn intersection(&self, other: &PrivilegeSet) -> PrivilegeSet {
        PrivilegeSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// Keeps only the privileges for which `keep` is true.
    pub fn filtered(&self, keep: impl Fn(&str) -> bool) -> PrivilegeSet {
        PrivilegeSet(self.0.iter().filter(|p| keep(p)).cloned().collect())
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    /// True when any privilege is administrative (how the Python client decides "admin").
    pub fn has_any_admin(&self) -> bool {
        self.0.iter().any(|p| is_admin_privilege(p))
    }
}

impl<S: Into<String>> FromIterator<S> for PrivilegeSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        PrivilegeSet(iter.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_strings_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for info in CATALOG {
            assert!(seen.insert(info.string), "duplicate {}", info.string);
            assert!(info.string.split(':').count() >= 3, "{}", info.string);
            assert!(!info.label.is_empty() && !info.description.is_empty());
            assert!(!info.category.is_empty());
        }
        assert!(
            CATALOG.len() >= 100,
            "catalog has {} entries",
            CATALOG.len()
        );
    }

    #[test]
    fn server_checked_privileges_are_in_the_catalog() {
        for p in [
            names::CREATE_ITEM,
            names::SHARE_TO_PUBLIC,
            names::GENERATE_API_TOKENS,
            names::ASSIGN_PRIVILEGES_TO_APPS,
            names::ADMIN_MANAGE_ROLES,
            names::ADMIN_VIEW_ITEMS,
            names::ADMIN_SHARE_TO_PUBLIC,
        ] {
            assert!(lookup(p).is_some(), "{p} missing from catalog");
        }
    }

    #[test]
    fn item_access_privileges_need_a_hex_id() {
        let ok = format!("{ITEM_ACCESS_PREFIX}da7720eff87c4f5b9504f526ad6f0c6e");
        assert!(is_known(&ok));
        assert_eq!(
            item_access_target(&ok),
            Some("da7720eff87c4f5b9504f526ad6f0c6e")
        );
        assert!(!is_known("portal:app:access:item:nope"));
        assert!(!is_known("portal:user:notAThing"));
    }

    #[test]
    fn intersection_keeps_common_privileges() {
        let a: PrivilegeSet = ["a:b:c", "a:b:d"].into_iter().collect();
        let b: PrivilegeSet = ["a:b:d", "a:b:e"].into_iter().collect();
        assert_eq!(a.intersection(&b).to_vec(), vec!["a:b:d".to_string()]);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn catalog_subset() -> impl Strategy<Value = PrivilegeSet> {
            proptest::collection::vec(0..CATALOG.len(), 0..40)
                .prop_map(|idx| idx.into_iter().map(|i| CATALOG[i].string).collect())
        }

        proptest! {
            /// A key's effective privileges: exactly those held by both the credential and
            /// its owner (design §2.9).
            #[test]
            fn intersection_holds_exactly_the_common_privileges(a in catalog_subset(), b in catalog_subset()) {
                let both = a.intersection(&b);
                for info in CATALOG {
                    let p = info.string;
                    prop_assert_eq!(both.contains(p), a.contains(p) && b.contains(p));
                }
                prop_assert_eq!(&both, &b.intersection(&a));
                prop_assert!(both.len() <= a.len().min(b.len()));
            }

            /// Narrowing the owner can only narrow what a key may do.
            #[test]
            fn narrowing_the_owner_never_widens_a_key(key in catalog_subset(), owner in catalog_subset(), drop in catalog_subset()) {
                let narrowed = owner.filtered(|p| !drop.contains(p));
                let before = key.intersection(&owner);
                let after = key.intersection(&narrowed);
                for p in after.iter() {
                    prop_assert!(before.contains(p));
                }
            }
        }
    }
}
