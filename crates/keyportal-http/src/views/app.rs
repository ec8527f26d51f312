//! Registered app JSON (spec §5.2), with keyportal's `apiKeys` extension: each slot's status,
//! dates and key hint (never the key).

use keyportal_domain::api_key::KeySlot;
use keyportal_service::AppView;
use serde_json::{json, Value};

pub fn app_json(view: &AppView) -> Value {
    let app = &view.app;
    let slot = |s: KeySlot| {
        let state = app.slot(s);
        json!({
            "slot": s.number(),
            "active": state.reads_active(view.now),
            "expirationDate": state.expiration,
            "created": state.created,
            "lastUsed": state.last_used,
            "keyHint": state.key_hint,
            "expired": state.active && state.expiration > 0 && view.now >= state.expiration,
        })
    };
    json!({
        "itemId": app.item_id,
        "client_id": app.client_id,
        "client_secret": view.client_secret.expose(),
        "appType": app.app_type.as_str(),
        "redirect_uris": app.redirect_uris,
        "registered": app.registered,
        "modified": app.modified,
        "apnsProdCert": null,
        "apnsSandboxCert": null,
        "gcmApiKey": null,
        "httpReferrers": app.http_referrers,
        "allowedAddresses": app.allowed_addresses,
        "privileges": app.privileges,
        "isBeta": false,
        "isPersonalAPIToken": app.is_personal,
        "customAppLoginShowTriage": false,
        "apiToken1Active": app.slot(KeySlot::One).reads_active(view.now),
        "apiToken2Active": app.slot(KeySlot::Two).reads_active(view.now),
        "apiKeys": [slot(KeySlot::One), slot(KeySlot::Two)],
    })
}
