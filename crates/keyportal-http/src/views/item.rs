//! Item JSON (spec §4.3) and folder JSON.

use keyportal_domain::item::Folder;
use keyportal_service::ItemView;
use serde_json::{json, Value};

/// The full item object clients read from `content/items/{id}`, search and listings.
pub fn item_json(view: &ItemView) -> Value {
    let item = &view.item;
    let extra = |name: &str, default: Value| item.extra.get(name).cloned().unwrap_or(default);
    let mut value = json!({
        "id": item.id,
        "owner": item.owner,
        "orgId": item.org_id,
        "created": item.created,
        "modified": item.modified,
        "guid": null,
        "name": extra("name", Value::Null),
        "title": item.title,
        "type": item.item_type,
        "typeKeywords": item.type_keywords,
        "description": item.description,
        "snippet": item.snippet,
        "tags": item.tags,
        "thumbnail": null,
        "documentation": extra("documentation", Value::Null),
        "extent": extra("extent", json!([])),
        "categories": extra("categories", json!([])),
        "spatialReference": extra("spatialReference", Value::Null),
        "accessInformation": extra("accessInformation", Value::Null),
        "licenseInfo": extra("licenseInfo", Value::Null),
        "culture": extra("culture", json!("en-us")),
        "properties": item.properties,
        "advancedSettings": null,
        "url": if item.url.is_empty() { Value::Null } else { json!(item.url) },
        "proxyFilter": extra("proxyFilter", Value::Null),
        "access": view.wire_access(),
        "size": -1,
        "subInfo": 0,
        "appCategories": extra("appCategories", json!([])),
        "industries": extra("industries", json!([])),
        "languages": extra("languages", json!([])),
        "largeThumbnail": null,
        "banner": null,
        "screenshots": [],
        "listed": extra("listed", json!(false)),
        "ownerFolder": item.folder_id,
        "protected": false,
        "commentsEnabled": extra("commentsEnabled", json!(false)),
        "numComments": 0,
        "numRatings": 0,
        "avgRating": 0,
        "numViews": 0,
        "scoreCompleteness": 0,
        "groupDesignations": null,
        "lastViewed": -1,
    });
    if let Some(control) = view.item_control {
        value["itemControl"] = json!(control);
    }
    if let Some([slot1, slot2]) = view.slot_dates {
        value["apiToken1ExpirationDate"] = json!(slot1);
        value["apiToken2ExpirationDate"] = json!(slot2);
        value["tokenExpirationDate"] = json!(-1);
    }
    value
}

pub fn folder_json(folder: &Folder) -> Value {
    json!({
        "username": folder.owner,
        "id": folder.id,
        "title": folder.title,
        "created": folder.created,
    })
}
