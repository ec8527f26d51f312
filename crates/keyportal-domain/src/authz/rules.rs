//! The decision itself: one `match` over every operation.
//!
//! Two principles shape every arm (design §2.9–§2.12):
//! - a key acts within its privileges: "is the caller the owner?" never suffices on its own
//!   for a key, app keys and app tokens never act as the owner, and a key reads non-public
//!   content only through its item access;
//! - nobody grants a privilege they do not hold, nor changes a member or role that holds
//!   privileges they do not hold.

use super::grant::{check_grant, check_not_above};
use super::{CallerKind, Denial, Operation, Resource};
use crate::group::{Group, GroupAccess, MemberType};
use crate::item::ItemAccess;
use crate::privilege::names;
use crate::visibility::{
    can_delete_item, can_share_item_to, can_share_item_with_groups, can_update_item,
    can_view_group, can_view_item, can_view_user, Viewer,
};

/// Whether `viewer` may perform `operation`; the denial says why.
pub fn authorize(viewer: &Viewer, operation: &Operation<'_>) -> Result<(), Denial> {
    use Operation as Op;
    match *operation {
        Op::SignIn | Op::DescribePortal | Op::Search => Ok(()),

        Op::ViewItem { item, groups } => ok_or(
            can_view_item(viewer, item, groups),
            Denial::Hidden(Resource::Item),
        ),
        Op::ListContent { .. } | Op::UnshareItem { .. } | Op::ViewSettings => signed_in(viewer),
        Op::ViewAllContent { owner, org_id } => {
            signed_in(viewer)?;
            let all = viewer.kind == CallerKind::System
                || (viewer.kind == CallerKind::Member
                    && (viewer.username.as_deref() == Some(owner)
                        || (in_org(viewer, org_id) && viewer.has(names::ADMIN_VIEW_ITEMS))));
            ok_or(
                all,
                Denial::because("Only the owner and administrators see all of a member's content."),
            )
        }
        Op::LearnMemberExists { username } => {
            let covered = !viewer.kind.is_key()
                || viewer
                    .key_scope
                    .as_ref()
                    .is_some_and(|s| s.owner == username)
                || viewer.has(names::VIEW_ORG_USERS)
                || viewer.has(names::ADMIN_VIEW_USERS);
            ok_or(covered, Denial::Hidden(Resource::Member))
        }
        Op::AddItem { owner } | Op::ManageFolders { owner } => {
            signed_in(viewer)?;
            need(viewer, names::CREATE_ITEM)?;
            ok_or(
                viewer.kind == CallerKind::System || acts_as(viewer, owner),
                Denial::because("Items and folders can only be added to your own content."),
            )
        }
        Op::UpdateItem { item } => {
            signed_in(viewer)?;
            ok_or(
                can_update_item(viewer, item),
                owner_or_admin(
                    viewer,
                    &item.owner,
                    names::CREATE_ITEM,
                    names::ADMIN_UPDATE_ITEMS,
                ),
            )
        }
        Op::DeleteItem { item } => {
            signed_in(viewer)?;
            ok_or(
                can_delete_item(viewer, item),
                owner_or_admin(
                    viewer,
                    &item.owner,
                    names::CREATE_ITEM,
                    names::ADMIN_DELETE_ITEMS,
                ),
            )
        }
        Op::ControlSharing { item } => {
            signed_in(viewer)?;
            let allowed = can_update_item(viewer, item)
                || (in_org(viewer, &item.org_id) && viewer.has(names::ADMIN_SHARE_TO_GROUP));
            ok_or(
                allowed,
                owner_or_admin(
                    viewer,
                    &item.owner,
                    names::CREATE_ITEM,
                    names::ADMIN_SHARE_TO_GROUP,
                ),
            )
        }
        Op::ShareItemAccess { item, target } => {
            signed_in(viewer)?;
            let (own, admin) = match target {
                ItemAccess::Private => (names::CREATE_ITEM, names::ADMIN_UPDATE_ITEMS),
                ItemAccess::Org => (names::SHARE_TO_ORG, names::ADMIN_SHARE_TO_ORG),
                ItemAccess::Public => (names::SHARE_TO_PUBLIC, names::ADMIN_SHARE_TO_PUBLIC),
            };
            ok_or(
                can_share_item_to(viewer, item, target),
                owner_or_admin(viewer, &item.owner, own, admin),
            )
        }
        Op::ShareItemToGroup {
            item,
            group,
            membership,
        } => {
            signed_in(viewer)?;
            if !can_share_item_with_groups(viewer, item) {
                return Err(owner_or_admin(
                    viewer,
                    &item.owner,
                    names::SHARE_TO_GROUP,
                    names::ADMIN_SHARE_TO_GROUP,
                ));
            }
            let admin = in_org(viewer, &group.org_id) && viewer.has(names::ADMIN_SHARE_TO_GROUP);
            let allowed = match membership {
                // In view-only groups only owners and managers contribute content.
                Some(t) if group.is_view_only => t >= MemberType::Admin || admin,
                Some(_) => true,
                None => admin,
            };
            ok_or(
                allowed,
                Denial::because("You can share only with groups you belong to."),
            )
        }

        Op::CreateGroup { access } => {
            signed_in(viewer)?;
            members_only(viewer, "Groups are created by members, not with API keys.")?;
            need(viewer, names::CREATE_GROUP)?;
            group_access_privilege(viewer, access)
        }
        Op::ViewGroup { group } => ok_or(
            can_view_group(viewer, group),
            Denial::Hidden(Resource::Group),
        ),
        Op::UpdateGroup {
            group,
            membership,
            new_access,
        } => {
            signed_in(viewer)?;
            let allowed = manages_group(viewer, group, membership)
                || (in_org(viewer, &group.org_id) && viewer.has(names::ADMIN_UPDATE_GROUPS));
            ok_or(
                allowed,
                group_denial(viewer, group, names::ADMIN_UPDATE_GROUPS),
            )?;
            match new_access {
                Some(access) => group_access_privilege(viewer, access),
                None => Ok(()),
            }
        }
        Op::DeleteGroup { group } => {
            signed_in(viewer)?;
            // Group managers may not delete: only the owner and administrators.
            let allowed = viewer.kind == CallerKind::System
                || owns_group(viewer, group)
                || (in_org(viewer, &group.org_id) && viewer.has(names::ADMIN_DELETE_GROUPS));
            ok_or(
                allowed,
                group_denial(viewer, group, names::ADMIN_DELETE_GROUPS),
            )
        }
        Op::ManageGroupMembers { group, membership } => {
            signed_in(viewer)?;
            let allowed = manages_group(viewer, group, membership)
                || (in_org(viewer, &group.org_id) && viewer.has(names::ADMIN_ASSIGN_TO_GROUPS));
            ok_or(
                allowed,
                group_denial(viewer, group, names::ADMIN_ASSIGN_TO_GROUPS),
            )
        }
        Op::ListGroupMembers { .. } => {
            signed_in(viewer)?;
            // Member lists name people: a key needs a privilege that covers members.
            let covered = !viewer.kind.is_key()
                || viewer.has(names::VIEW_ORG_USERS)
                || viewer.has(names::ADMIN_VIEW_USERS);
            ok_or(covered, Denial::missing(names::VIEW_ORG_USERS))
        }
        Op::JoinGroup { .. } => {
            signed_in(viewer)?;
            members_only(viewer, "Only members join groups.")?;
            need(viewer, names::JOIN_GROUP)
        }
        Op::LeaveGroup { .. } => {
            signed_in(viewer)?;
            members_only(viewer, "Only members leave groups.")
        }

        Op::ViewMember { username, org_id } => ok_or(
            can_view_user(viewer, username, org_id),
            Denial::Hidden(Resource::Member),
        ),
        Op::ViewMemberDetails { username, org_id } => {
            let allowed = viewer.kind == CallerKind::System
                || acts_as(viewer, username)
                || (in_org(viewer, org_id) && viewer.has(names::ADMIN_VIEW_USERS));
            ok_or(allowed, Denial::missing(names::ADMIN_VIEW_USERS))
        }
        Op::ListMembers => admin_need(viewer, names::ADMIN_VIEW_USERS),
        Op::CreateMember { granted } => {
            admin_need(viewer, names::ADMIN_INVITE_USERS)?;
            check_grant(&viewer.privileges, granted)
        }
        Op::ChangeMemberRole { held, granted, .. } => {
            admin_need(viewer, names::ADMIN_CHANGE_USER_ROLES)?;
            check_not_above(&viewer.privileges, held)?;
            check_grant(&viewer.privileges, granted)
        }
        Op::ChangeMemberUserType { held, granted, .. } => {
            admin_need(viewer, names::ADMIN_MANAGE_LICENSES)?;
            check_not_above(&viewer.privileges, held)?;
            check_grant(&viewer.privileges, granted)
        }
        Op::DisableMember { held, .. } | Op::EnableMember { held, .. } => {
            admin_need(viewer, names::ADMIN_DISABLE_USERS)?;
            check_not_above(&viewer.privileges, held)
        }
        Op::DeleteMember { held, .. } => {
            admin_need(viewer, names::ADMIN_DELETE_USERS)?;
            check_not_above(&viewer.privileges, held)
        }
        Op::SetPassword { username, held } => {
            signed_in(viewer)?;
            members_only(viewer, "API keys cannot change passwords.")?;
            if viewer.kind == CallerKind::System || acts_as(viewer, username) {
                return Ok(());
            }
            need(viewer, names::ADMIN_UPDATE_USERS)?;
            check_not_above(&viewer.privileges, held)
        }

        Op::ViewRoles => {
            signed_in(viewer)?;
            ok_or(
                viewer.has(names::ADMIN_VIEW_USERS) || viewer.has(names::ADMIN_MANAGE_ROLES),
                Denial::missing(names::ADMIN_VIEW_USERS),
            )
        }
        Op::CreateRole { privileges } => {
            admin_need(viewer, names::ADMIN_MANAGE_ROLES)?;
            check_grant(&viewer.privileges, privileges)
        }
        Op::ChangeRolePrivileges {
            current,
            privileges,
        } => {
            admin_need(viewer, names::ADMIN_MANAGE_ROLES)?;
            check_not_above(&viewer.privileges, current)?;
            check_grant(&viewer.privileges, privileges)
        }
        Op::RenameRole { privileges } | Op::DeleteRole { privileges } => {
            admin_need(viewer, names::ADMIN_MANAGE_ROLES)?;
            check_not_above(&viewer.privileges, privileges)
        }

        Op::RegisterApp { item } => {
            signed_in(viewer)?;
            members_only(viewer, "API keys cannot register apps.")?;
            if viewer.kind != CallerKind::Member
                || viewer.username.as_deref() != Some(item.owner.as_str())
            {
                return Err(Denial::because(
                    "Only the item's owner can register it as an app.",
                ));
            }
            ok_or(
                can_update_item(viewer, item),
                Denial::missing(names::CREATE_ITEM),
            )
        }
        Op::ManageCredential {
            item,
            held,
            granted,
        } => {
            manage_credential_item(viewer, item)?;
            if viewer.kind == CallerKind::System {
                return Ok(());
            }
            // The client secret mints keys acting with everything the credential carries:
            // someone else's credential is managed only by a caller who holds all of it.
            if !acts_as(viewer, &item.owner) {
                check_not_above(&viewer.privileges, held)?;
            }
            check_grant(&viewer.privileges, granted)
        }
        Op::ManageLegacyKey { item } => manage_credential_item(viewer, item),
        Op::ListCredentials => {
            signed_in(viewer)?;
            members_only(viewer, "API keys cannot list credentials.")
        }
        Op::ListAllCredentials | Op::ListAllLegacyKeys => {
            signed_in(viewer)?;
            members_only(viewer, "API keys cannot list credentials.")?;
            need(viewer, names::ADMIN_VIEW_ITEMS)
        }
        Op::ImportLegacyKeys => ok_or(
            viewer.kind == CallerKind::System,
            Denial::because("Legacy keys are imported from the command line."),
        ),
        Op::ViewOrgUsage => {
            signed_in(viewer)?;
            members_only(viewer, "API keys cannot read the organization's usage.")?;
            ok_or(
                viewer.has(names::ADMIN_VIEW_ITEMS) || viewer.has(names::ADMIN_VIEW_USERS),
                Denial::missing(names::ADMIN_VIEW_ITEMS),
            )
        }
        Op::ViewCredentialEvents { item } => manage_credential_item(viewer, item),
        Op::ViewOrgEvents => {
            signed_in(viewer)?;
            members_only(viewer, "API keys cannot read the organization's events.")?;
            need(viewer, names::ADMIN_VIEW_ITEMS)
        }
        Op::ManageSecuritySettings => admin_need(viewer, names::ADMIN_MANAGE_SECURITY),
        Op::ManageLocationServices => admin_need(viewer, names::ADMIN_MANAGE_UTILITY_SERVICES),
        Op::ManageProxyAllowList => {
            signed_in(viewer)?;
            members_only(viewer, "API keys cannot manage the proxy allow-list.")?;
            need(viewer, names::ADMIN_MANAGE_SECURITY)
        }
        Op::Administer => {
            signed_in(viewer)?;
            ok_or(
                viewer.has(names::ADMIN_VIEW_USERS) || viewer.has(names::ADMIN_MANAGE_ROLES),
                Denial::missing(names::ADMIN_VIEW_USERS),
            )
        }
    }
}

/// `authorize` as a yes/no, for decisions that choose what to show rather than refuse.
pub fn allows(viewer: &Viewer, operation: &Operation<'_>) -> bool {
    authorize(viewer, operation).is_ok()
}

fn ok_or(allowed: bool, denial: Denial) -> Result<(), Denial> {
    if allowed {
        Ok(())
    } else {
        Err(denial)
    }
}

fn signed_in(viewer: &Viewer) -> Result<(), Denial> {
    ok_or(viewer.kind != CallerKind::Anonymous, Denial::SignInRequired)
}

fn need(viewer: &Viewer, privilege: &'static str) -> Result<(), Denial> {
    ok_or(viewer.has(privilege), Denial::missing(privilege))
}

fn admin_need(viewer: &Viewer, privilege: &'static str) -> Result<(), Denial> {
    signed_in(viewer)?;
    need(viewer, privilege)
}

fn members_only(viewer: &Viewer, reason: &'static str) -> Result<(), Denial> {
    ok_or(!viewer.kind.is_key(), Denial::because(reason))
}

/// The account itself: a signed-in member, or a personal key acting as its owner. App keys,
/// app tokens and legacy keys never act as anyone.
fn acts_as(viewer: &Viewer, username: &str) -> bool {
    matches!(viewer.kind, CallerKind::Member | CallerKind::PersonalKey)
        && viewer.username.as_deref() == Some(username)
}

fn in_org(viewer: &Viewer, org_id: &str) -> bool {
    viewer.org_id.as_deref() == Some(org_id)
}

/// The group's owner: the member, or their personal key when it holds `createGroup`.
fn owns_group(viewer: &Viewer, group: &Group) -> bool {
    match viewer.kind {
        CallerKind::Member => viewer.username.as_deref() == Some(group.owner.as_str()),
        CallerKind::PersonalKey => {
            viewer.username.as_deref() == Some(group.owner.as_str())
                && viewer.has(names::CREATE_GROUP)
        }
        _ => false,
    }
}

fn manages_group(viewer: &Viewer, group: &Group, membership: Option<MemberType>) -> bool {
    viewer.kind == CallerKind::System
        || owns_group(viewer, group)
        || (viewer.kind == CallerKind::Member && membership.is_some_and(MemberType::can_manage))
}

fn group_denial(viewer: &Viewer, group: &Group, admin: &'static str) -> Denial {
    if acts_as(viewer, &group.owner) {
        Denial::missing(names::CREATE_GROUP)
    } else {
        Denial::missing(admin)
    }
}

fn group_access_privilege(viewer: &Viewer, access: GroupAccess) -> Result<(), Denial> {
    match access {
        GroupAccess::Private => Ok(()),
        GroupAccess::Org => need(viewer, names::SHARE_GROUP_TO_ORG),
        GroupAccess::Public => need(viewer, names::SHARE_GROUP_TO_PUBLIC),
    }
}

/// The owner, or an administrator who may update the item; never a key.
fn manage_credential_item(viewer: &Viewer, item: &crate::item::Item) -> Result<(), Denial> {
    signed_in(viewer)?;
    members_only(viewer, "API keys cannot manage credentials.")?;
    let allowed = viewer.kind == CallerKind::System || can_update_item(viewer, item);
    ok_or(
        allowed,
        owner_or_admin(
            viewer,
            &item.owner,
            names::CREATE_ITEM,
            names::ADMIN_UPDATE_ITEMS,
        ),
    )
}

/// Names the privilege that would have allowed it: the owner's own, or the administrator's.
fn owner_or_admin(viewer: &Viewer, owner: &str, own: &'static str, admin: &'static str) -> Denial {
    if acts_as(viewer, owner) {
        Denial::missing(own)
    } else {
        Denial::missing(admin)
    }
}
