//! Custom roles (`portal:admin:manageRoles`).

use keyportal_domain::authz::Operation;
use keyportal_domain::events::{list_changes, EventType};
use keyportal_domain::ids::{new_short_id, shorten};
use keyportal_domain::privilege::PrivilegeSet;
use keyportal_domain::role::{
    built_in_roles, validate_catalog_privileges, validate_custom_role, Role,
};
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::Portal;

fn role_not_found(id: &str) -> ServiceError {
    ServiceError::not_found(format!("Role '{}' does not exist.", shorten(id)))
}

impl Portal {
    pub async fn create_role(
        &self,
        caller: &Caller,
        name: &str,
        description: &str,
        privileges: Vec<String>,
    ) -> ServiceResult<Role> {
        validate_custom_role(name, description, &privileges)?;
        let granted: PrivilegeSet = privileges.iter().map(String::as_str).collect();
        caller.authorize(&Operation::CreateRole {
            privileges: &granted,
        })?;
        let wanted = name.trim().to_lowercase();
        if self
            .store
            .list_roles()
            .await?
            .iter()
            .any(|r| r.name.to_lowercase() == wanted)
        {
            return Err(DomainError::Conflict(format!(
                "A role named '{}' already exists.",
                name.trim()
            ))
            .into());
        }
        let now = self.now();
        let role = Role {
            id: new_short_id(),
            name: name.trim().to_string(),
            description: description.to_string(),
            privileges: privileges.into_iter().collect(),
            built_in: false,
            created: now,
            modified: now,
        };
        let created = self
            .event(EventType::RoleCreated, caller)
            .detail("roleId", role.id.clone())
            .detail("name", role.name.clone())
            .detail("privileges", role.privileges.to_vec());
        self.store
            .create_role_recorded(&role, std::slice::from_ref(&created))
            .await?;
        Ok(role)
    }

    /// Built-in roles first, then custom roles by name. Members who may see the organization's
    /// members may list roles; only administrators change them.
    pub async fn list_roles(&self, caller: &Caller) -> ServiceResult<Vec<Role>> {
        caller.authorize(&Operation::ViewRoles)?;
        let mut custom = self.store.list_roles().await?;
        custom.sort_by_key(|r| r.name.to_lowercase());
        let mut roles = built_in_roles();
        roles.extend(custom);
        Ok(roles)
    }

    pub async fn get_role(&self, caller: &Caller, id: &str) -> ServiceResult<Role> {
        caller.authorize(&Operation::ViewRoles)?;
        if let Some(role) = built_in_roles().into_iter().find(|r| r.id == id) {
            return Ok(role);
        }
        self.store
            .get_role(id)
            .await?
            .ok_or_else(|| role_not_found(id))
    }

    async fn custom_role(&self, id: &str) -> ServiceResult<Role> {
        if built_in_roles().iter().any(|r| r.id == id) {
            return Err(ServiceError::invalid(
                "Built-in roles cannot be changed or deleted.",
            ));
        }
        self.store
            .get_role(id)
            .await?
            .ok_or_else(|| role_not_found(id))
    }

    /// Replaces a custom role's privileges; members holding it are affected at once.
    pub async fn set_role_privileges(
        &self,
        caller: &Caller,
        id: &str,
        privileges: Vec<String>,
    ) -> ServiceResult<Role> {
        let nothing = PrivilegeSet::new();
        caller.authorize(&Operation::ChangeRolePrivileges {
            current: &nothing,
            privileges: &nothing,
        })?;
        validate_catalog_privileges(&privileges)?;
        let mut role = self.custom_role(id).await?;
        let privileges = privileges.into_iter().collect::<PrivilegeSet>();
        caller.authorize(&Operation::ChangeRolePrivileges {
            current: &role.privileges,
            privileges: &privileges,
        })?;
        let (added, removed) = list_changes(&role.privileges.to_vec(), &privileges.to_vec());
        let changed = self
            .event(EventType::RoleChanged, caller)
            .detail("roleId", role.id.clone())
            .detail("name", role.name.clone())
            .detail("added", added)
            .detail("removed", removed);
        role.privileges = privileges;
        role.modified = self.now();
        self.store
            .update_role_recorded(&role, std::slice::from_ref(&changed))
            .await?;
        self.roles_changed().await?;
        Ok(role)
    }

    /// Renames a custom role or changes its description.
    pub async fn update_role(
        &self,
        caller: &Caller,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
    ) -> ServiceResult<Role> {
        caller.authorize(&Operation::RenameRole {
            privileges: &PrivilegeSet::new(),
        })?;
        let mut role = self.custom_role(id).await?;
        caller.authorize(&Operation::RenameRole {
            privileges: &role.privileges,
        })?;
        let new_name = name.unwrap_or(&role.name).trim().to_string();
        let new_description = description.unwrap_or(&role.description).to_string();
        validate_custom_role(&new_name, &new_description, &role.privileges.to_vec())?;
        let wanted = new_name.to_lowercase();
        if self
            .store
            .list_roles()
            .await?
            .iter()
            .any(|r| r.id != role.id && r.name.to_lowercase() == wanted)
        {
            return Err(DomainError::Conflict(format!(
                "A role named '{new_name}' already exists."
            ))
            .into());
        }
        let changed = self
            .event(EventType::RoleChanged, caller)
            .detail("roleId", role.id.clone())
            .detail("name", new_name.clone())
            .detail("previousName", role.name.clone())
            .detail("description", new_description.clone());
        role.name = new_name;
        role.description = new_description;
        role.modified = self.now();
        self.store
            .update_role_recorded(&role, std::slice::from_ref(&changed))
            .await?;
        Ok(role)
    }

    /// Deletes a custom role no member holds.
    pub async fn delete_role(&self, caller: &Caller, id: &str) -> ServiceResult<()> {
        caller.authorize(&Operation::DeleteRole {
            privileges: &PrivilegeSet::new(),
        })?;
        let role = self.custom_role(id).await?;
        caller.authorize(&Operation::DeleteRole {
            privileges: &role.privileges,
        })?;
        let holders = self.store.count_users_with_role(&role.id).await?;
        if holders > 0 {
            return Err(DomainError::Conflict(format!(
                "The role '{}' is assigned to {holders} member(s); give them another role first.",
                role.name
            ))
            .into());
        }
        let deleted = self
            .event(EventType::RoleDeleted, caller)
            .detail("roleId", role.id.clone())
            .detail("name", role.name.clone());
        self.store
            .delete_role_recorded(&role.id, std::slice::from_ref(&deleted))
            .await?;
        Ok(())
    }
}
