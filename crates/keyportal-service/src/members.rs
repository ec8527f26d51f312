//! The organization's member list for administrators (web portal, CLI): searched, filtered
//! and paged by the database, and the number of members holding each role.

use std::collections::HashMap;

use keyportal_domain::authz::Operation;
use keyportal_domain::role::Role;
use keyportal_domain::user::effective_privileges;
use keyportal_domain::user_type::UserType;
use keyportal_store::MemberFilter;

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::users::UserView;
use crate::Portal;

/// Which members to list: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberQuery {
    /// Part of the username, full name or email, ignoring case (empty: any).
    pub text: String,
    pub role_id: Option<String>,
    pub user_type: Option<UserType>,
    /// `Some(true)`: disabled members only; `Some(false)`: enabled ones only.
    pub disabled: Option<bool>,
}

/// One page of members and how many match in all.
#[derive(Debug, Clone)]
pub struct MemberPage {
    pub members: Vec<UserView>,
    pub total: usize,
}

impl Portal {
    /// Members matching `query`, ordered by username, from 0-based `start` (at most 500).
    pub async fn search_members(
        &self,
        caller: &Caller,
        query: &MemberQuery,
        start: usize,
        num: usize,
    ) -> ServiceResult<MemberPage> {
        caller.authorize(&Operation::ListMembers)?;
        let text = query.text.trim();
        let filter = MemberFilter {
            text: (!text.is_empty()).then_some(text),
            role_id: query.role_id.as_deref(),
            user_type: query.user_type,
            disabled: query.disabled,
        };
        let (users, total) = self
            .store
            .list_members(&filter, start, num.min(500))
            .await?;
        // A page holds a handful of roles: each is read once.
        let mut roles: HashMap<String, Role> = HashMap::new();
        let mut members = Vec::with_capacity(users.len());
        for user in users {
            let role = match roles.get(&user.role_id) {
                Some(role) => role.clone(),
                None => {
                    let role = self.role_by_id(&user.role_id).await?;
                    roles.insert(user.role_id.clone(), role.clone());
                    role
                }
            };
            members.push(UserView {
                privileges: effective_privileges(&role, user.user_type, user.disabled),
                role,
                user,
                groups: Vec::new(),
                full_profile: true,
            });
        }
        Ok(MemberPage { members, total })
    }

    /// How many members hold each role, by role id (roles nobody holds are absent).
    pub async fn count_members_by_role(
        &self,
        caller: &Caller,
    ) -> ServiceResult<HashMap<String, usize>> {
        caller.authorize(&Operation::ListMembers)?;
        Ok(self
            .store
            .count_users_by_role()
            .await?
            .into_iter()
            .collect())
    }
}
