//! Group JSON (spec §4.4), with the caller's membership.

use keyportal_service::GroupView;
use serde_json::{json, Value};

pub fn group_json(view: &GroupView) -> Value {
    let group = &view.group;
    let mut value = json!({
        "id": group.id,
        "title": group.title,
        "isInvitationOnly": group.is_invitation_only,
        "owner": group.owner,
        "description": group.description,
        "snippet": group.snippet,
        "tags": group.tags,
        "typeKeywords": [],
        "phone": group.phone,
        "sortField": group.sort_field,
        "sortOrder": group.sort_order,
        "isViewOnly": group.is_view_only,
        "isOpenData": false,
        "featuredItemsId": null,
        "thumbnail": null,
        "created": group.created,
        "modified": group.modified,
        "access": group.access.as_str(),
        "capabilities": [],
        "isFav": false,
        "isReadOnly": false,
        "protected": false,
        "autoJoin": group.auto_join,
        "notificationsEnabled": false,
        "provider": null,
        "providerGroupName": null,
        "leavingDisallowed": false,
        "hiddenMembers": false,
        "displaySettings": { "itemTypes": "" },
        "orgId": group.org_id,
    });
    if let Some(username) = &view.caller_username {
        value["userMembership"] = json!({
            "username": username,
            "memberType": view.caller_membership.map(|m| m.as_str()).unwrap_or("none"),
            "applications": 0,
        });
    }
    value
}
