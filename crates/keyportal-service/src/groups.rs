//! Groups: create, read, update, delete, membership (search and content: `group_search.rs`).

use keyportal_domain::authz::{allows, authorize, Denial, Operation};
use keyportal_domain::group::{Group, GroupAccess, GroupChanges, MemberType};
use keyportal_domain::ids::{new_hex_id, parse_hex_id, shorten};
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::Portal;

/// A group as a caller sees it, with the caller's membership.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub group: Group,
    pub caller_membership: Option<MemberType>,
    pub caller_username: Option<String>,
}

/// The outcome of `addUsers` / `removeUsers`.
#[derive(Debug, Clone, Default)]
pub struct NewGroupMembers {
    /// Usernames that could not be added or removed.
    pub not_done: Vec<String>,
}

pub(crate) fn group_not_found() -> ServiceError {
    ServiceError::not_found("Group does not exist or is inaccessible.")
}

impl Portal {
    pub(crate) fn view_group(&self, caller: &Caller, group: Group) -> GroupView {
        let caller_membership = caller.member().and_then(|m| m.membership(&group.id));
        GroupView {
            group,
            caller_membership,
            caller_username: caller.username().map(str::to_string),
        }
    }

    pub async fn create_group(
        &self,
        caller: &Caller,
        changes: GroupChanges,
    ) -> ServiceResult<GroupView> {
        caller.authorize(&Operation::CreateGroup {
            access: changes.access.unwrap_or(GroupAccess::Private),
        })?;
        let member = caller
            .member()
            .ok_or_else(|| ServiceError::invalid("Groups are created by members."))?;
        changes.validate(true)?;
        let now = self.now();
        let mut group = Group {
            id: new_hex_id(),
            owner: member.user.username.clone(),
            org_id: member.user.org_id.clone(),
            title: String::new(),
            access: GroupAccess::Private,
            tags: Vec::new(),
            description: String::new(),
            snippet: String::new(),
            phone: String::new(),
            sort_field: "title".into(),
            sort_order: "asc".into(),
            is_invitation_only: false,
            is_view_only: false,
            auto_join: false,
            created: now,
            modified: now,
        };
        changes.apply_to(&mut group, now);
        self.store.create_group(&group).await?;
        Ok(GroupView {
            group,
            caller_membership: Some(MemberType::Owner),
            caller_username: Some(member.user.username.clone()),
        })
    }

    pub(crate) async fn visible_group(&self, caller: &Caller, id: &str) -> ServiceResult<Group> {
        let id = parse_hex_id(id, "group").map_err(|_| group_not_found())?;
        let group = self
            .store
            .get_group(&id)
            .await?
            .ok_or_else(group_not_found)?;
        caller.authorize(&Operation::ViewGroup { group: &group })?;
        Ok(group)
    }

    /// The group for an operation on it: sign-in first, then a group the caller cannot see
    /// answered as missing, then the operation itself.
    async fn group_for(
        &self,
        caller: &Caller,
        id: &str,
        operation: impl for<'a> Fn(&'a Group, Option<MemberType>) -> Operation<'a>,
    ) -> ServiceResult<Group> {
        let id = parse_hex_id(id, "group").map_err(|_| group_not_found())?;
        let group = self
            .store
            .get_group(&id)
            .await?
            .ok_or_else(group_not_found)?;
        let membership = caller.member().and_then(|m| m.membership(&group.id));
        let viewer = caller.viewer();
        let decision = authorize(&viewer, &operation(&group, membership));
        if decision == Err(Denial::SignInRequired) {
            return Err(ServiceError::TokenRequired);
        }
        authorize(&viewer, &Operation::ViewGroup { group: &group })?;
        decision?;
        Ok(group)
    }

    pub async fn get_group(&self, caller: &Caller, id: &str) -> ServiceResult<GroupView> {
        let group = self.visible_group(caller, id).await?;
        Ok(self.view_group(caller, group))
    }

    pub async fn update_group(
        &self,
        caller: &Caller,
        id: &str,
        changes: GroupChanges,
    ) -> ServiceResult<GroupView> {
        let mut group = self
            .group_for(caller, id, |group, membership| Operation::UpdateGroup {
                group,
                membership,
                new_access: changes.access.filter(|a| *a != group.access),
            })
            .await?;
        changes.validate(false)?;
        changes.apply_to(&mut group, self.now());
        self.store.update_group(&group).await?;
        Ok(self.view_group(caller, group))
    }

    /// Only the owner or an administrator deletes a group (group managers may not).
    pub async fn delete_group(&self, caller: &Caller, id: &str) -> ServiceResult<String> {
        let group = self
            .group_for(caller, id, |group, _| Operation::DeleteGroup { group })
            .await?;
        self.store.delete_group(&group.id).await?;
        self.proxied_items_changed().await?;
        Ok(group.id)
    }

    /// `addUsers`: adds members (`users`) and managers (`admins`) of the organization.
    pub async fn add_group_users(
        &self,
        caller: &Caller,
        id: &str,
        users: &[String],
        admins: &[String],
    ) -> ServiceResult<NewGroupMembers> {
        let group = self
            .group_for(caller, id, |group, membership| {
                Operation::ManageGroupMembers { group, membership }
            })
            .await?;
        let mut outcome = NewGroupMembers::default();
        let wanted = users
            .iter()
            .map(|u| (u, MemberType::Member))
            .chain(admins.iter().map(|u| (u, MemberType::Admin)));
        for (username, member_type) in wanted {
            let user = self.store.get_user(username).await?;
            match user {
                Some(user) if user.org_id == group.org_id && user.username != group.owner => {
                    self.store
                        .set_membership(&group.id, &user.username, member_type)
                        .await?;
                }
                _ => outcome.not_done.push(username.clone()),
            }
        }
        Ok(outcome)
    }

    /// `removeUsers`: the owner cannot be removed.
    pub async fn remove_group_users(
        &self,
        caller: &Caller,
        id: &str,
        users: &[String],
    ) -> ServiceResult<NewGroupMembers> {
        let group = self
            .group_for(caller, id, |group, membership| {
                Operation::ManageGroupMembers { group, membership }
            })
            .await?;
        let members = self.store.members_of(&group.id).await?;
        let mut outcome = NewGroupMembers::default();
        for username in users {
            let is_member = members
                .iter()
                .any(|(u, t)| u == username && *t != MemberType::Owner);
            if is_member {
                self.store.remove_membership(&group.id, username).await?;
            } else {
                outcome.not_done.push(username.clone());
            }
        }
        Ok(outcome)
    }

    /// `join`: open groups the caller can see, with `portal:user:joinGroup`.
    pub async fn join_group(&self, caller: &Caller, id: &str) -> ServiceResult<String> {
        let group = self
            .group_for(caller, id, |group, _| Operation::JoinGroup { group })
            .await?;
        let member = caller
            .member()
            .ok_or_else(|| ServiceError::invalid("Only members join groups."))?;
        if member.membership(&group.id).is_some() {
            return Ok(group.id);
        }
        if group.is_invitation_only {
            return Err(DomainError::forbidden_because(
                "This group only admits members by invitation.",
            )
            .into());
        }
        self.store
            .set_membership(&group.id, &member.user.username, MemberType::Member)
            .await?;
        Ok(group.id)
    }

    /// `leave`: any member but the owner.
    pub async fn leave_group(&self, caller: &Caller, id: &str) -> ServiceResult<String> {
        let group = self
            .group_for(caller, id, |group, _| Operation::LeaveGroup { group })
            .await?;
        let member = caller
            .member()
            .ok_or_else(|| ServiceError::invalid("Only members leave groups."))?;
        match member.membership(&group.id) {
            None => Err(ServiceError::invalid(format!(
                "'{}' is not a member of this group.",
                shorten(&member.user.username)
            ))),
            Some(MemberType::Owner) => {
                Err(ServiceError::invalid("The owner cannot leave the group."))
            }
            Some(_) => {
                self.store
                    .remove_membership(&group.id, &member.user.username)
                    .await?;
                Ok(group.id)
            }
        }
    }

    /// `groups/{id}/users`: the owner, managers and members.
    pub async fn group_members(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<Vec<(String, MemberType)>> {
        let group = self
            .group_for(caller, id, |group, _| Operation::ListGroupMembers { group })
            .await?;
        Ok(self.store.members_of(&group.id).await?)
    }

    /// The groups a member belongs to, as `caller` may see them (for the user JSON).
    pub async fn groups_of_user(
        &self,
        caller: &Caller,
        username: &str,
    ) -> ServiceResult<Vec<GroupView>> {
        let viewer = caller.viewer();
        let mut views = Vec::new();
        for (group_id, member_type) in self.store.memberships_of(username).await? {
            if let Some(group) = self.store.get_group(&group_id).await? {
                // A member sees the groups they belong to; others what they may view.
                if allows(&viewer, &Operation::ViewGroup { group: &group }) {
                    views.push(GroupView {
                        group,
                        caller_membership: Some(member_type),
                        caller_username: Some(username.to_string()),
                    });
                }
            }
        }
        Ok(views)
    }
}
