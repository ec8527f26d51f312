//! Sharing items with everyone, the organization and groups.

use keyportal_domain::group::MemberType;
use keyportal_domain::ids::is_hex_id;
use keyportal_domain::item::ItemAccess;
use keyportal_domain::privilege::names;
use keyportal_domain::visibility::{
    can_share_item_to, can_share_item_with_groups, can_update_item,
};
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::Portal;

/// The `share` parameters: `everyone`, `org` and the groups to add.
#[derive(Debug, Clone, Default)]
pub struct ShareRequest {
    pub everyone: Option<bool>,
    pub org: Option<bool>,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ShareOutcome {
    pub item_id: String,
    /// Groups the item could not be shared with (or unshared from).
    pub not_done: Vec<String>,
}

impl ShareRequest {
    /// The access level the request asks for, or `None` to leave it unchanged.
    fn target_access(&self) -> Option<ItemAccess> {
        match (self.everyone, self.org) {
            (Some(true), _) => Some(ItemAccess::Public),
            (_, Some(true)) => Some(ItemAccess::Org),
            (Some(false), _) | (_, Some(false)) => Some(ItemAccess::Private),
            (None, None) => None,
        }
    }
}

impl Portal {
    /// `share`: sets the access level and adds group shares. Groups the caller cannot share to
    /// are reported in `not_done` rather than failing the whole call (as ArcGIS does).
    pub async fn share_item(
        &self,
        caller: &Caller,
        id: &str,
        request: ShareRequest,
    ) -> ServiceResult<ShareOutcome> {
        caller.require_signed_in()?;
        let mut shared = self.visible_item(caller, id).await?;
        let viewer = caller.viewer();
        if !can_update_item(&viewer, &shared.item) && !viewer.has(names::ADMIN_SHARE_TO_GROUP) {
            return Err(ServiceError::forbidden());
        }
        if let Some(target) = request.target_access() {
            if target != shared.item.access {
                if !can_share_item_to(&viewer, &shared.item, target) {
                    let privilege = match target {
                        ItemAccess::Public => names::SHARE_TO_PUBLIC,
                        ItemAccess::Org => names::SHARE_TO_ORG,
                        ItemAccess::Private => names::CREATE_ITEM,
                    };
                    return Err(DomainError::forbidden_because(format!(
                        "The privilege '{privilege}' is required."
                    ))
                    .into());
                }
                shared.item.access = target;
                shared.item.modified = self.now();
                self.store.update_item(&shared.item).await?;
            }
        }
        let mut not_done = Vec::new();
        for group_id in &request.groups {
            if self
                .may_share_to_group(caller, &shared.item, group_id)
                .await?
            {
                self.store
                    .share_item_with_group(&shared.item.id, &group_id.to_ascii_lowercase())
                    .await?;
            } else {
                not_done.push(group_id.clone());
            }
        }
        self.item_changed(&shared.item.id).await?;
        Ok(ShareOutcome {
            item_id: shared.item.id,
            not_done,
        })
    }

    async fn may_share_to_group(
        &self,
        caller: &Caller,
        item: &keyportal_domain::item::Item,
        group_id: &str,
    ) -> ServiceResult<bool> {
        if !is_hex_id(group_id) {
            return Ok(false);
        }
        let viewer = caller.viewer();
        if !can_share_item_with_groups(&viewer, item) {
            return Ok(false);
        }
        let Some(group) = self.store.get_group(&group_id.to_ascii_lowercase()).await? else {
            return Ok(false);
        };
        let admin = matches!(caller, Caller::System { .. })
            || (viewer.org_id.as_deref() == Some(&group.org_id)
                && viewer.has(names::ADMIN_SHARE_TO_GROUP));
        let membership = caller.member().and_then(|m| m.membership(&group.id));
        Ok(match membership {
            // In view-only groups only owners and managers contribute content.
            Some(t) if group.is_view_only => t >= MemberType::Admin || admin,
            Some(_) => true,
            None => admin,
        })
    }

    /// `unshare`: removes group shares. The owner and administrators may remove any; members
    /// the shares they could have made.
    pub async fn unshare_item(
        &self,
        caller: &Caller,
        id: &str,
        groups: Vec<String>,
    ) -> ServiceResult<ShareOutcome> {
        caller.require_signed_in()?;
        let shared = self.visible_item(caller, id).await?;
        let viewer = caller.viewer();
        let controls_item =
            can_update_item(&viewer, &shared.item) || viewer.has(names::ADMIN_SHARE_TO_GROUP);
        let mut not_done = Vec::new();
        for group_id in &groups {
            let lower = group_id.to_ascii_lowercase();
            let allowed = is_hex_id(group_id)
                && (controls_item
                    || self
                        .may_share_to_group(caller, &shared.item, group_id)
                        .await?);
            if allowed {
                self.store
                    .unshare_item_from_group(&shared.item.id, &lower)
                    .await?;
            } else {
                not_done.push(group_id.clone());
            }
        }
        self.item_changed(&shared.item.id).await?;
        Ok(ShareOutcome {
            item_id: shared.item.id,
            not_done,
        })
    }
}

impl Portal {
    /// `content/items/{id}/groups`: the groups the item is shared with that the caller can
    /// see, with the caller's membership in each.
    pub async fn item_groups(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<Vec<crate::GroupView>> {
        let shared = self.visible_item(caller, id).await?;
        let viewer = caller.viewer();
        let mut groups = Vec::with_capacity(shared.group_ids.len());
        for group_id in &shared.group_ids {
            if let Some(group) = self.store.get_group(group_id).await? {
                if keyportal_domain::visibility::can_view_group(&viewer, &group) {
                    groups.push(crate::GroupView {
                        caller_membership: caller.member().and_then(|m| m.membership(&group.id)),
                        caller_username: caller.username().map(str::to_string),
                        group,
                    });
                }
            }
        }
        Ok(groups)
    }
}
