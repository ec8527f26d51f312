//! Who may see and change what: pure functions of the caller, the resource and its sharing.

use std::collections::BTreeSet;

use crate::authz::CallerKind;
use crate::group::{Group, GroupAccess};
use crate::item::{Item, ItemAccess};
use crate::privilege::{names, PrivilegeSet};

/// The caller as the visibility rules see it. Anonymous callers have no username and no org.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub kind: CallerKind,
    /// The member, or the owner a personal key acts as; `None` for everyone else.
    pub username: Option<String>,
    pub org_id: Option<String>,
    pub privileges: PrivilegeSet,
    /// Ids of the groups the caller belongs to.
    pub group_ids: BTreeSet<String>,
    /// Set when the caller is an API key: it reads non-public items only through item access.
    pub key_scope: Option<KeyScope>,
}

/// What an API key may read besides public items (design §2.9).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyScope {
    /// The credential's owner, who must still own a granted item.
    pub owner: String,
    /// Granted item ids, sorted.
    pub items: Vec<String>,
}

impl KeyScope {
    pub fn grants(&self, item: &Item) -> bool {
        item.owner == self.owner && self.items.binary_search(&item.id).is_ok()
    }
}

impl Viewer {
    pub fn anonymous() -> Viewer {
        Viewer::default()
    }

    pub fn has(&self, privilege: &str) -> bool {
        self.privileges.contains(privilege)
    }

    fn is(&self, username: &str) -> bool {
        self.username.as_deref() == Some(username)
    }

    fn in_org(&self, org_id: &str) -> bool {
        self.org_id.as_deref() == Some(org_id)
    }
}

/// Portal rules: public to all; org items to members of the org; group-shared items to group
/// members; everything to the owner and to administrators who may view all items.
pub fn can_view_item(viewer: &Viewer, item: &Item, item_groups: &[String]) -> bool {
    if let Some(scope) = &viewer.key_scope {
        return item.access == ItemAccess::Public || scope.grants(item);
    }
    item.access == ItemAccess::Public
        || viewer.is(&item.owner)
        || (viewer.in_org(&item.org_id) && viewer.has(names::ADMIN_VIEW_ITEMS))
        || (item.access == ItemAccess::Org && viewer.in_org(&item.org_id))
        || item_groups.iter().any(|g| viewer.group_ids.contains(g))
}

/// The items a viewer may see, as data a store can turn into a query: public items always,
/// and each `Some` / non-empty part besides. [`can_view_item`] holds for an item exactly when
/// it satisfies one of the parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisibleItems {
    /// Items this member owns.
    pub owner: Option<String>,
    /// Every item of this org (administrators who may view all items).
    pub whole_org: Option<String>,
    /// Items of this org shared with the org.
    pub org_shared: Option<String>,
    /// Items shared with any of these groups.
    pub groups: Vec<String>,
    /// An API key's granted items that its owner still owns.
    pub granted: Option<KeyScope>,
}

impl VisibleItems {
    pub fn of(viewer: &Viewer) -> VisibleItems {
        if let Some(scope) = &viewer.key_scope {
            return VisibleItems {
                granted: Some(scope.clone()),
                ..VisibleItems::default()
            };
        }
        VisibleItems {
            owner: viewer.username.clone(),
            whole_org: viewer
                .org_id
                .clone()
                .filter(|_| viewer.has(names::ADMIN_VIEW_ITEMS)),
            org_shared: viewer.org_id.clone(),
            groups: viewer.group_ids.iter().cloned().collect(),
            granted: None,
        }
    }
}

/// Owners with the create privilege, or administrators who may update any item.
pub fn can_update_item(viewer: &Viewer, item: &Item) -> bool {
    (viewer.is(&item.owner) && viewer.has(names::CREATE_ITEM))
        || (viewer.in_org(&item.org_id) && viewer.has(names::ADMIN_UPDATE_ITEMS))
}

/// Owners with the create privilege, or administrators who may delete any item.
pub fn can_delete_item(viewer: &Viewer, item: &Item) -> bool {
    (viewer.is(&item.owner) && viewer.has(names::CREATE_ITEM))
        || (viewer.in_org(&item.org_id) && viewer.has(names::ADMIN_DELETE_ITEMS))
}

/// Whether the caller may change an item's sharing to `target` (owners need the matching
/// share privilege; administrators the admin one).
pub fn can_share_item_to(viewer: &Viewer, item: &Item, target: ItemAccess) -> bool {
    let (own, admin) = match target {
        ItemAccess::Private => return can_update_item(viewer, item),
        ItemAccess::Org => (names::SHARE_TO_ORG, names::ADMIN_SHARE_TO_ORG),
        ItemAccess::Public => (names::SHARE_TO_PUBLIC, names::ADMIN_SHARE_TO_PUBLIC),
    };
    (viewer.is(&item.owner) && viewer.has(own))
        || (viewer.in_org(&item.org_id) && viewer.has(admin))
}

/// Whether the caller may share the item with groups at all (membership is checked per group).
pub fn can_share_item_with_groups(viewer: &Viewer, item: &Item) -> bool {
    (viewer.is(&item.owner) && viewer.has(names::SHARE_TO_GROUP))
        || (viewer.in_org(&item.org_id) && viewer.has(names::ADMIN_SHARE_TO_GROUP))
}

/// Public groups to all; org groups to org members; private groups to members; all groups of
/// the org to administrators who may view groups. A key sees past public groups only through a
/// privilege that covers groups (design §2.10).
pub fn can_view_group(viewer: &Viewer, group: &Group) -> bool {
    if viewer.kind.is_key() {
        return group.access == GroupAccess::Public
            || (viewer.in_org(&group.org_id)
                && (viewer.has(names::ADMIN_VIEW_GROUPS)
                    || (group.access == GroupAccess::Org && viewer.has(names::VIEW_ORG_GROUPS))));
    }
    group.access == GroupAccess::Public
        || viewer.group_ids.contains(&group.id)
        || (viewer.in_org(&group.org_id)
            && (group.access == GroupAccess::Org || viewer.has(names::ADMIN_VIEW_GROUPS)))
}

/// The groups a viewer may see, as data a store can turn into a query: public groups always,
/// and each `Some` / non-empty part besides. [`can_view_group`] holds for a group exactly when
/// it satisfies one of the parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisibleGroups {
    /// Groups the viewer belongs to (never for keys).
    pub member_of: Vec<String>,
    /// Every group of this org (administrators who may view groups).
    pub whole_org: Option<String>,
    /// The org-access groups of this org.
    pub org_shared: Option<String>,
}

impl VisibleGroups {
    pub fn of(viewer: &Viewer) -> VisibleGroups {
        let org = |privilege: Option<&str>| {
            viewer
                .org_id
                .clone()
                .filter(|_| privilege.is_none_or(|p| viewer.has(p)))
        };
        if viewer.kind.is_key() {
            return VisibleGroups {
                member_of: Vec::new(),
                whole_org: org(Some(names::ADMIN_VIEW_GROUPS)),
                org_shared: org(Some(names::VIEW_ORG_GROUPS)),
            };
        }
        VisibleGroups {
            member_of: viewer.group_ids.iter().cloned().collect(),
            whole_org: org(Some(names::ADMIN_VIEW_GROUPS)),
            org_shared: org(None),
        }
    }
}

/// The members a viewer may see, as data a store can turn into a query: [`can_view_user`]
/// holds for a member exactly when they satisfy one of the parts. There are no public
/// profiles, so an anonymous viewer sees nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisibleUsers {
    /// The viewer's own account (a member, or the owner a personal key acts as).
    pub myself: Option<String>,
    /// Every member of this org (callers who may view org users).
    pub org: Option<String>,
}

impl VisibleUsers {
    pub fn of(viewer: &Viewer) -> VisibleUsers {
        VisibleUsers {
            myself: viewer.username.clone(),
            org: viewer.org_id.clone().filter(|_| {
                viewer.has(names::VIEW_ORG_USERS) || viewer.has(names::ADMIN_VIEW_USERS)
            }),
        }
    }
}

/// Members see each other's profiles when they may view org users; admins see everyone.
pub fn can_view_user(viewer: &Viewer, username: &str, user_org: &str) -> bool {
    viewer.is(username)
        || (viewer.in_org(user_org)
            && (viewer.has(names::VIEW_ORG_USERS) || viewer.has(names::ADMIN_VIEW_USERS)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn item(access: ItemAccess) -> Item {
        Item {
            id: "1".repeat(32),
            owner: "owner".into(),
            org_id: "org1".into(),
            folder_id: None,
            title: "t".into(),
            item_type: "Web Map".into(),
            type_keywords: vec![],
            tags: vec![],
            description: String::new(),
            snippet: String::new(),
            url: String::new(),
            access,
            properties: None,
            extra: Map::new(),
            created: 0,
            modified: 0,
        }
    }

    fn viewer(name: &str, org: &str, privileges: &[&str], groups: &[&str]) -> Viewer {
        Viewer {
            kind: CallerKind::Member,
            username: Some(name.into()),
            org_id: Some(org.into()),
            privileges: privileges.iter().copied().collect(),
            group_ids: groups.iter().map(|g| g.to_string()).collect(),
            key_scope: None,
        }
    }

    #[test]
    fn keys_read_public_items_and_granted_items_their_owner_still_owns() {
        let it = item(ItemAccess::Org);
        let mut key = viewer("owner", "org1", &[names::VIEW_ORG_ITEMS], &[]);
        key.kind = CallerKind::PersonalKey;
        key.key_scope = Some(KeyScope {
            owner: "owner".into(),
            items: vec![],
        });
        assert!(
            !can_view_item(&key, &it, &[]),
            "org access alone is not enough for a key"
        );
        assert!(can_view_item(&key, &item(ItemAccess::Public), &[]));
        key.key_scope = Some(KeyScope {
            owner: "owner".into(),
            items: vec![it.id.clone()],
        });
        assert!(can_view_item(&key, &it, &[]));
        let mut reassigned = it.clone();
        reassigned.owner = "someone-else".into();
        assert!(!can_view_item(&key, &reassigned, &[]));
    }

    #[test]
    fn item_visibility_follows_portal_rules() {
        let member = viewer("m", "org1", &[names::VIEW_ORG_ITEMS], &["g1"]);
        let outsider = viewer("x", "org2", &[], &[]);
        let admin = viewer("a", "org1", &[names::ADMIN_VIEW_ITEMS], &[]);
        let private = item(ItemAccess::Private);
        assert!(!can_view_item(&member, &private, &[]));
        assert!(can_view_item(&member, &private, &["g1".into()]));
        assert!(can_view_item(&admin, &private, &[]));
        assert!(can_view_item(
            &viewer("owner", "org1", &[], &[]),
            &private,
            &[]
        ));
        let org = item(ItemAccess::Org);
        assert!(can_view_item(&member, &org, &[]));
        assert!(!can_view_item(&outsider, &org, &[]));
        assert!(!can_view_item(&Viewer::anonymous(), &org, &[]));
        assert!(can_view_item(
            &Viewer::anonymous(),
            &item(ItemAccess::Public),
            &[]
        ));
    }

    #[test]
    fn changing_items_needs_ownership_and_privilege() {
        let it = item(ItemAccess::Private);
        let owner = viewer(
            "owner",
            "org1",
            &[names::CREATE_ITEM, names::SHARE_TO_ORG],
            &[],
        );
        let owner_viewer_type = viewer("owner", "org1", &[], &[]);
        assert!(can_update_item(&owner, &it));
        assert!(!can_update_item(&owner_viewer_type, &it));
        assert!(can_share_item_to(&owner, &it, ItemAccess::Org));
        assert!(!can_share_item_to(&owner, &it, ItemAccess::Public));
        let other = viewer("m", "org1", &[names::CREATE_ITEM], &[]);
        assert!(!can_delete_item(&other, &it));
        let admin = viewer("a", "org1", &[names::ADMIN_DELETE_ITEMS], &[]);
        assert!(can_delete_item(&admin, &it));
        let foreign_admin = viewer("a", "org2", &[names::ADMIN_DELETE_ITEMS], &[]);
        assert!(!can_delete_item(&foreign_admin, &it));
    }
}
