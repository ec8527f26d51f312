//! User JSON (spec §4.2). Private fields only for the account itself and administrators.

use keyportal_service::UserView;
use serde_json::{json, Value};

use super::group::group_json;

pub fn user_json(view: &UserView) -> Value {
    let user = &view.user;
    let mut value = json!({
        "username": user.username,
        "id": user.id,
        "fullName": user.full_name,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "description": user.description,
        "orgId": user.org_id,
        "role": view.role.base_role(),
        "userLicenseTypeId": user.user_type.id(),
        "userType": "arcgisonly",
        "level": if user.user_type.is_creator_or_higher() { "2" } else { "1" },
        "disabled": user.disabled,
        "access": "org",
        "created": user.created,
        "modified": user.modified,
        "provider": user.provider,
        "tags": [],
        "culture": "en",
        "region": null,
        "units": "metric",
        "thumbnail": null,
        "idpUsername": null,
        "categories": [],
    });
    if let Some(role_id) = view.role.wire_role_id() {
        value["roleId"] = json!(role_id);
    }
    if view.full_profile {
        value["email"] = json!(user.email);
        value["privileges"] = json!(view.privileges.to_vec());
        value["lastLogin"] = json!(user.last_login);
        value["mfaEnabled"] = json!(false);
        value["storageUsage"] = json!(0);
        value["storageQuota"] = json!(-1);
        value["availableCredits"] = json!(-1);
        value["assignedCredits"] = json!(-1);
        value["emailStatus"] = json!("verified");
        value["favGroupId"] = Value::Null;
        value["groups"] = Value::Array(view.groups.iter().map(group_json).collect());
    }
    value
}
