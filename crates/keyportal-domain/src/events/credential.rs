//! The events of a change to a registration, found by comparing it before and after: every
//! path that changes a credential (REST, web, CLI, key minting) records the same events.

use serde_json::{json, Value};

use super::{list_changes, Actor, Event, EventType};
use crate::credential::{AppRegistration, SlotState};
use crate::time::EpochMillis;

fn about(event: Event, app: &AppRegistration) -> Event {
    event
        .credential(&app.item_id, Some(&app.client_id))
        .member(&app.owner)
}

/// `credential.created` for a new registration.
pub fn credential_created(app: &AppRegistration, title: &str, actor: &Actor) -> Event {
    about(
        Event::new(EventType::CredentialCreated, actor, app.registered),
        app,
    )
    .detail("title", title)
    .detail("appType", app.app_type.as_str())
    .detail("privileges", app.privileges.clone())
    .detail("httpReferrers", app.http_referrers.clone())
}

/// `credential.deleted` (unregistered, or its item deleted).
pub fn credential_deleted(app: &AppRegistration, actor: &Actor, now: EpochMillis) -> Event {
    about(Event::new(EventType::CredentialDeleted, actor, now), app)
}

/// The hint of a slot's key, never the key.
fn hint(state: &SlotState) -> Value {
    state.key_hint.clone().map_or(Value::Null, Value::String)
}

/// Every event `before` → `after` amounts to, in the order they happened.
pub fn app_change_events(
    before: &AppRegistration,
    after: &AppRegistration,
    actor: &Actor,
    now: EpochMillis,
) -> Vec<Event> {
    let mut events = Vec::new();
    let privileges_changed = before.privileges != after.privileges;
    if privileges_changed {
        let (added, removed) = list_changes(&before.privileges, &after.privileges);
        events.push(
            about(
                Event::new(EventType::CredentialPrivilegesChanged, actor, now),
                after,
            )
            .detail("added", added)
            .detail("removed", removed),
        );
    }
    let mut changed: Vec<&str> = Vec::new();
    let mut details = serde_json::Map::new();
    if before.http_referrers != after.http_referrers {
        changed.push("httpReferrers");
        details.insert("httpReferrers".into(), json!(after.http_referrers));
    }
    if before.allowed_addresses != after.allowed_addresses {
        changed.push("allowedAddresses");
        details.insert("allowedAddresses".into(), json!(after.allowed_addresses));
    }
    if before.redirect_uris != after.redirect_uris {
        changed.push("redirectUris");
        details.insert("redirectUris".into(), json!(after.redirect_uris));
    }
    if before.app_type != after.app_type {
        changed.push("appType");
        details.insert("appType".into(), json!(after.app_type.as_str()));
    }
    let mut key_events = Vec::new();
    for (i, (b, a)) in before.slots.iter().zip(after.slots.iter()).enumerate() {
        let slot = if i == 0 { 1 } else { 2 };
        let new_key = a.key_hash.is_some() && a.key_hash != b.key_hash;
        let date_field = format!("apiToken{slot}ExpirationDate");
        if new_key {
            let kind = if b.key_hash.is_some() {
                EventType::KeyRegenerated
            } else {
                EventType::KeyGenerated
            };
            key_events.push(
                about(Event::new(kind, actor, now), after)
                    .slot(slot)
                    .detail("keyHint", hint(a))
                    .detail("expires", a.expiration),
            );
        } else {
            let revoked = b.key_hash.is_some() && a.key_hash.is_none() && a.expiration == -1;
            // A revoked slot's date is reset with it: that is the invalidation, not an edit.
            if b.expiration != a.expiration && !revoked {
                changed.push(if slot == 1 {
                    "apiToken1ExpirationDate"
                } else {
                    "apiToken2ExpirationDate"
                });
                details.insert(date_field, json!(a.expiration));
            }
            if b.key_hash.is_some() && a.key_hash.is_none() {
                let reason = if privileges_changed {
                    "privilegesChanged"
                } else if b.expiration != a.expiration && a.expiration != -1 {
                    "expirationChanged"
                } else {
                    "revoked"
                };
                key_events.push(
                    about(Event::new(EventType::KeyInvalidated, actor, now), after)
                        .slot(slot)
                        .detail("keyHint", hint(b))
                        .detail("reason", reason),
                );
            }
        }
    }
    if !changed.is_empty() {
        let mut event = about(Event::new(EventType::CredentialUpdated, actor, now), after)
            .detail("changed", changed);
        event.details.extend(details);
        events.push(event);
    }
    events.extend(key_events);
    events
}
