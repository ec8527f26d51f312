//! Sharing items with everyone, the organization and groups.

use keyportal_domain::authz::{allows, Operation};
use keyportal_domain::ids::is_hex_id;
use keyportal_domain::item::ItemAccess;

use crate::caller::Caller;
use crate::error::ServiceResult;
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
        let mut shared = self
            .item_for(caller, id, |item| Operation::ControlSharing { item })
            .await?;
        if let Some(target) = request.target_access() {
            if target != shared.item.access {
                caller.authorize(&Operation::ShareItemAccess {
                    item: &shared.item,
                    target,
                })?;
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
        let Some(group) = self.store.get_group(&group_id.to_ascii_lowercase()).await? else {
            return Ok(false);
        };
        let membership = caller.member().and_then(|m| m.membership(&group.id));
        Ok(caller.allows(&Operation::ShareItemToGroup {
            item,
            group: &group,
            membership,
        }))
    }

    /// `unshare`: removes group shares. The owner and administrators may remove any; members
    /// the shares they could have made.
    pub async fn unshare_item(
        &self,
        caller: &Caller,
        id: &str,
        groups: Vec<String>,
    ) -> ServiceResult<ShareOutcome> {
        let shared = self
            .item_for(caller, id, |item| Operation::UnshareItem { item })
            .await?;
        let controls_item = caller.allows(&Operation::ControlSharing { item: &shared.item });
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
                if allows(&viewer, &Operation::ViewGroup { group: &group }) {
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
