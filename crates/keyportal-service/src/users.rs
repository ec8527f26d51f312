//! Members: creating them, reading profiles, changing role and user type, disabling, deleting.

use keyportal_domain::authz::Operation;
use keyportal_domain::events::{Event, EventType};
use keyportal_domain::ids::{new_hex_id, shorten, validate_username};
use keyportal_domain::password::validate_new_password;
use keyportal_domain::privilege::{names, PrivilegeSet};
use keyportal_domain::role::{built_in_role, built_in_roles, Role};
use keyportal_domain::user::{check_role_fits_user_type, effective_privileges, User, UserProfile};
use keyportal_domain::user_type::{UserType, ALL_USER_TYPES};
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::Portal;

/// What `createUser` (REST) and `keyportal user add` (CLI) take.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub profile: UserProfile,
    /// Role id or name; `org_user` when absent.
    pub role: Option<String>,
    /// User type id; `creatorUT` when absent.
    pub user_type: Option<String>,
}

/// A member as a caller may see them: the user, their role and effective privileges, and
/// whether private fields (email, privileges) may be shown.
#[derive(Debug, Clone)]
pub struct UserView {
    pub user: User,
    pub role: Role,
    pub privileges: PrivilegeSet,
    pub groups: Vec<crate::GroupView>,
    pub full_profile: bool,
}

fn user_not_found(username: &str) -> ServiceError {
    ServiceError::not_found(format!(
        "User '{}' does not exist or is inaccessible.",
        shorten(username)
    ))
}

impl Portal {
    /// Creates a member (administrators with `portal:admin:inviteUsers`, or the CLI).
    pub async fn create_user(&self, caller: &Caller, new: NewUser) -> ServiceResult<UserView> {
        caller.authorize(&Operation::CreateMember {
            granted: &PrivilegeSet::new(),
        })?;
        validate_username(&new.username)?;
        validate_new_password(&new.password)?;
        let profile = new.profile.normalized();
        profile.validate()?;
        let role = self
            .resolve_role(new.role.as_deref().unwrap_or("org_user"))
            .await?;
        let user_type = UserType::parse(new.user_type.as_deref().unwrap_or("creatorUT"))?;
        check_role_fits_user_type(&role, user_type)?;
        caller.authorize(&Operation::CreateMember {
            granted: &effective_privileges(&role, user_type, false),
        })?;
        // Unique ignoring case (the store's index enforces it too): `alice` and `Alice` would
        // be one person to everyone reading them.
        if let Some(existing) = self
            .store
            .find_username_ignoring_case(&new.username)
            .await?
        {
            return Err(DomainError::Conflict(format!(
                "A user named '{existing}' already exists."
            ))
            .into());
        }
        let org = self
            .store
            .get_org()
            .await?
            .ok_or_else(|| ServiceError::invalid("The portal has not been initialized yet."))?;
        let hash = self.hashing.hash(new.password).await?;
        let now = self.now();
        let user = User {
            id: new_hex_id(),
            username: new.username,
            org_id: org.id,
            full_name: profile.full_name,
            first_name: profile.first_name,
            last_name: profile.last_name,
            email: profile.email,
            description: profile.description,
            user_type,
            role_id: role.id.clone(),
            disabled: false,
            provider: "arcgis".to_string(),
            created: now,
            modified: now,
            last_login: -1,
        };
        let created = self
            .event(EventType::MemberCreated, caller)
            .member(&user.username)
            .detail("role", user.role_id.clone())
            .detail("userType", user.user_type.id());
        self.store
            .create_user_recorded(&user, &hash, std::slice::from_ref(&created))
            .await?;
        self.member_changed(&user.username).await?;
        Ok(self.view_of(user, role, true, Vec::new()))
    }

    pub(crate) fn view_of(
        &self,
        user: User,
        role: Role,
        full: bool,
        groups: Vec<crate::GroupView>,
    ) -> UserView {
        let privileges = effective_privileges(&role, user.user_type, user.disabled);
        UserView {
            user,
            role,
            privileges,
            groups,
            full_profile: full,
        }
    }

    /// A member's profile as `caller` may see it (the account itself and administrators see
    /// everything; other members see the public fields).
    pub async fn get_user(&self, caller: &Caller, username: &str) -> ServiceResult<UserView> {
        let user = self
            .store
            .get_user(username)
            .await?
            .ok_or_else(|| user_not_found(username))?;
        caller
            .authorize(&Operation::ViewMember {
                username: &user.username,
                org_id: &user.org_id,
            })
            .map_err(|_| user_not_found(username))?;
        let full = caller.allows(&Operation::ViewMemberDetails {
            username: &user.username,
            org_id: &user.org_id,
        });
        let role = self.role_by_id(&user.role_id).await?;
        let groups = if full {
            self.groups_of_user(caller, username).await?
        } else {
            Vec::new()
        };
        Ok(self.view_of(user, role, full, groups))
    }

    /// Members of the organization (administrators), ordered by username.
    pub async fn list_users(
        &self,
        caller: &Caller,
        start: usize,
        num: usize,
    ) -> ServiceResult<(Vec<UserView>, usize)> {
        caller.authorize(&Operation::ListMembers)?;
        let (users, total) = self.store.list_users(start, num).await?;
        let mut views = Vec::with_capacity(users.len());
        for user in users {
            let role = self.role_by_id(&user.role_id).await?;
            views.push(self.view_of(user, role, true, Vec::new()));
        }
        Ok((views, total))
    }

    /// A built-in role by id or name, or a custom role by id or name.
    pub async fn resolve_role(&self, name_or_id: &str) -> ServiceResult<Role> {
        if let Some(role) = built_in_role(name_or_id) {
            return Ok(role);
        }
        if let Some(role) = self.store.get_role(name_or_id.trim()).await? {
            return Ok(role);
        }
        let wanted = name_or_id.trim().to_lowercase();
        self.store
            .list_roles()
            .await?
            .into_iter()
            .find(|r| r.name.to_lowercase() == wanted)
            .ok_or_else(|| {
                DomainError::invalid_with(
                    format!("Unknown role '{}'.", shorten(name_or_id)),
                    vec!["Use org_admin, org_publisher, org_user, viewer, data editor, or the id of a custom role.".into()],
                )
                .into()
            })
    }

    async fn existing_user(&self, username: &str) -> ServiceResult<User> {
        self.store
            .get_user(username)
            .await?
            .ok_or_else(|| user_not_found(username))
    }

    /// What a member holds now: their role limited by their user type.
    async fn held_privileges(&self, user: &User) -> ServiceResult<PrivilegeSet> {
        let role = self.role_by_id(&user.role_id).await?;
        Ok(effective_privileges(&role, user.user_type, user.disabled))
    }

    /// Refuses changes that would leave the organization without an enabled administrator.
    async fn keep_an_administrator(&self, changing: &User, still_admin: bool) -> ServiceResult<()> {
        let was_admin = self
            .role_by_id(&changing.role_id)
            .await?
            .privileges
            .contains(names::ADMIN_MANAGE_ROLES)
            && !changing.disabled;
        if !was_admin || still_admin {
            return Ok(());
        }
        // The roles are few; the members many: ask the database for one other enabled member
        // whose role and user type together hold the privilege.
        let mut roles = built_in_roles();
        roles.extend(self.store.list_roles().await?);
        let pairs: Vec<(String, String)> = roles
            .iter()
            .flat_map(|role| {
                ALL_USER_TYPES
                    .iter()
                    .filter(|user_type| {
                        effective_privileges(role, **user_type, false)
                            .contains(names::ADMIN_MANAGE_ROLES)
                    })
                    .map(|user_type| (role.id.clone(), user_type.id().to_string()))
            })
            .collect();
        if self
            .store
            .enabled_user_holds(&pairs, &changing.username)
            .await?
        {
            return Ok(());
        }
        Err(DomainError::Conflict(
            "The organization needs at least one enabled administrator.".into(),
        )
        .into())
    }

    /// Changes a member's role (`portal:admin:changeUserRoles`).
    pub async fn set_user_role(
        &self,
        caller: &Caller,
        username: &str,
        role: &str,
    ) -> ServiceResult<()> {
        let nothing = PrivilegeSet::new();
        caller.authorize(&Operation::ChangeMemberRole {
            username,
            held: &nothing,
            granted: &nothing,
        })?;
        let mut user = self.existing_user(username).await?;
        let role = self.resolve_role(role).await?;
        check_role_fits_user_type(&role, user.user_type)?;
        caller.authorize(&Operation::ChangeMemberRole {
            username,
            held: &self.held_privileges(&user).await?,
            granted: &effective_privileges(&role, user.user_type, false),
        })?;
        self.keep_an_administrator(&user, role.privileges.contains(names::ADMIN_MANAGE_ROLES))
            .await?;
        let changed = self
            .event(EventType::MemberRoleChanged, caller)
            .member(username)
            .detail("from", user.role_id.clone())
            .detail("to", role.id.clone());
        user.role_id = role.id;
        user.modified = self.now();
        let events = if changed.details["from"] == changed.details["to"] {
            Vec::new()
        } else {
            vec![changed]
        };
        self.store.update_user_recorded(&user, &events).await?;
        self.member_changed(username).await
    }

    /// Changes members' user type (`portal:admin:manageLicenses`). All or nothing.
    pub async fn set_user_type(
        &self,
        caller: &Caller,
        usernames: &[String],
        user_type: &str,
    ) -> ServiceResult<()> {
        let nothing = PrivilegeSet::new();
        caller.authorize(&Operation::ChangeMemberUserType {
            username: "",
            held: &nothing,
            granted: &nothing,
        })?;
        if usernames.is_empty() {
            return Err(ServiceError::invalid(
                "'users' must name at least one user.",
            ));
        }
        let user_type = UserType::parse(user_type)?;
        let mut changed = Vec::with_capacity(usernames.len());
        for username in usernames {
            let mut user = self.existing_user(username).await?;
            let role = self.role_by_id(&user.role_id).await?;
            check_role_fits_user_type(&role, user_type)?;
            caller.authorize(&Operation::ChangeMemberUserType {
                username,
                held: &effective_privileges(&role, user.user_type, user.disabled),
                granted: &effective_privileges(&role, user_type, false),
            })?;
            let event = (user.user_type != user_type).then(|| {
                self.event(EventType::MemberUserTypeChanged, caller)
                    .member(username)
                    .detail("from", user.user_type.id())
                    .detail("to", user_type.id())
            });
            user.user_type = user_type;
            user.modified = self.now();
            changed.push((user, event));
        }
        for (user, event) in &changed {
            let events: &[Event] = event.as_slice();
            self.store.update_user_recorded(user, events).await?;
            self.member_changed(&user.username).await?;
        }
        Ok(())
    }

    /// Disables or enables a member (`portal:admin:disableUsers`). Disabling signs them out.
    pub async fn set_user_disabled(
        &self,
        caller: &Caller,
        username: &str,
        disabled: bool,
    ) -> ServiceResult<()> {
        let nothing = PrivilegeSet::new();
        let operation = |held| match disabled {
            true => Operation::DisableMember { username, held },
            false => Operation::EnableMember { username, held },
        };
        caller.authorize(&operation(&nothing))?;
        if disabled && caller.username() == Some(username) && caller.member().is_some() {
            return Err(ServiceError::invalid(
                "You cannot disable your own account.",
            ));
        }
        let mut user = self.existing_user(username).await?;
        caller.authorize(&operation(&self.held_privileges(&user).await?))?;
        if disabled {
            self.keep_an_administrator(&user, false).await?;
        }
        let event = (user.disabled != disabled).then(|| {
            let kind = if disabled {
                EventType::MemberDisabled
            } else {
                EventType::MemberEnabled
            };
            self.event(kind, caller).member(username)
        });
        user.disabled = disabled;
        user.modified = self.now();
        self.store
            .update_user_recorded(&user, event.as_slice())
            .await?;
        if disabled {
            self.store.delete_tokens_of_user(username).await?;
        }
        self.member_changed(username).await
    }

    /// Deletes a member who owns no items or groups (`portal:admin:deleteUsers`).
    pub async fn delete_user(&self, caller: &Caller, username: &str) -> ServiceResult<()> {
        let nothing = PrivilegeSet::new();
        caller.authorize(&Operation::DeleteMember {
            username,
            held: &nothing,
        })?;
        if caller.username() == Some(username) {
            return Err(ServiceError::invalid("You cannot delete your own account."));
        }
        let user = self.existing_user(username).await?;
        caller.authorize(&Operation::DeleteMember {
            username,
            held: &self.held_privileges(&user).await?,
        })?;
        let items = self.store.count_items_owned_by(username).await?;
        let groups = self.store.count_groups_owned_by(username).await?;
        if items > 0 || groups > 0 {
            return Err(DomainError::Conflict(format!(
                "User '{username}' owns {items} item(s) and {groups} group(s); delete or reassign them first."
            ))
            .into());
        }
        self.keep_an_administrator(&user, false).await?;
        let deleted = self
            .event(EventType::MemberDeleted, caller)
            .member(username);
        self.store
            .delete_user_recorded(username, std::slice::from_ref(&deleted))
            .await?;
        self.member_changed(username).await
    }

    /// Sets a new password (CLI, or the account itself later).
    pub async fn set_password(
        &self,
        caller: &Caller,
        username: &str,
        password: String,
    ) -> ServiceResult<()> {
        let user = self.existing_user(username).await?;
        caller.authorize(&Operation::SetPassword {
            username,
            held: &self.held_privileges(&user).await?,
        })?;
        validate_new_password(&password)?;
        let hash = self.hashing.hash(password).await?;
        self.store.set_password_hash(username, &hash).await?;
        self.store.delete_tokens_of_user(username).await?;
        Ok(())
    }
}
