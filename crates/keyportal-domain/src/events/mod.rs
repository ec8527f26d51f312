//! The audit trail: what happened to a credential, a member or a role, who did it, from where
//! and when (issue 12). An [`Event`] is a plain value; the service builds one for each change
//! and the store writes it in the transaction of that change. Events never hold a key, token,
//! password or client secret: a key appears at most as its hint.

mod credential;
mod csv;
mod expiry;
mod kind;
mod lease;

use serde_json::{json, Map, Value};

use crate::secret::random_hex;
use crate::time::EpochMillis;

pub use credential::{app_change_events, credential_created, credential_deleted};
pub use csv::events_csv;
pub use expiry::{
    due_notice, expiring_once_key, parse_lead_days, ExpiryNotice, DEFAULT_EXPIRY_WARNING_DAYS,
};
pub use kind::{ActorKind, EventType};
pub use lease::{Lease, LEASE_MS};

/// Who caused an event: a member (`user`), a key acting for its owner (`key`), an application
/// (`app`), the operator or the server itself (`system`), or anyone (`public`), with the
/// client address of the request when there was one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: Option<String>,
    pub kind: ActorKind,
    pub address: Option<String>,
}

impl Actor {
    /// The server itself (expiry checks) or the operator at the command line.
    pub fn system() -> Actor {
        Actor {
            name: None,
            kind: ActorKind::System,
            address: None,
        }
    }
}

/// One recorded event. `once` is a key no other event may share (a warning sent once per
/// key and lead time); it is stored but never shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub time: EpochMillis,
    pub kind: EventType,
    pub actor: Actor,
    pub item_id: Option<String>,
    pub client_id: Option<String>,
    pub slot: Option<u8>,
    pub username: Option<String>,
    pub details: Map<String, Value>,
    pub once: Option<String>,
}

/// A new event id: 12 hex digits of the time, then 20 random hex digits, so ids sort by time.
pub fn new_event_id(time: EpochMillis) -> String {
    let millis = u64::try_from(time.max(0)).unwrap_or(0) & 0xffff_ffff_ffff;
    format!("{millis:012x}{}", &random_hex::<10>())
}

impl Event {
    /// An event of `kind` by `actor` at `time`, with a fresh id and nothing else set.
    pub fn new(kind: EventType, actor: &Actor, time: EpochMillis) -> Event {
        Event {
            id: new_event_id(time),
            time,
            kind,
            actor: actor.clone(),
            item_id: None,
            client_id: None,
            slot: None,
            username: None,
            details: Map::new(),
            once: None,
        }
    }

    /// About a credential (its item and, when registered, its client id).
    pub fn credential(mut self, item_id: &str, client_id: Option<&str>) -> Event {
        self.item_id = Some(item_id.to_string());
        self.client_id = client_id.map(str::to_string);
        self
    }

    pub fn slot(mut self, slot: u8) -> Event {
        self.slot = Some(slot);
        self
    }

    /// The member concerned (the credential's owner, the member changed, the one signing in).
    pub fn member(mut self, username: &str) -> Event {
        self.username = Some(username.to_string());
        self
    }

    pub fn detail(mut self, name: &str, value: impl Into<Value>) -> Event {
        self.details.insert(name.to_string(), value.into());
        self
    }

    pub fn once(mut self, key: String) -> Event {
        self.once = Some(key);
        self
    }

    /// The wire shape (issue 12): fields that do not apply are `null`.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "time": self.time,
            "type": self.kind.as_str(),
            "actor": self.actor.name,
            "actorKind": self.actor.kind.as_str(),
            "address": self.actor.address,
            "itemId": self.item_id,
            "clientId": self.client_id,
            "slot": self.slot,
            "username": self.username,
            "details": Value::Object(self.details.clone()),
        })
    }
}

/// What to list: every condition given must hold; newest first, `offset` 0-based.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub item_id: Option<String>,
    pub types: Vec<EventType>,
    /// Inclusive bounds on `time` (epoch ms).
    pub start_time: Option<EpochMillis>,
    pub end_time: Option<EpochMillis>,
    pub actor: Option<String>,
    pub username: Option<String>,
}

/// What two lists differ by: `(added, removed)`, each in the order of its list.
pub fn list_changes(before: &[String], after: &[String]) -> (Vec<String>, Vec<String>) {
    let added = after
        .iter()
        .filter(|p| !before.contains(p))
        .cloned()
        .collect();
    let removed = before
        .iter()
        .filter(|p| !after.contains(p))
        .cloned()
        .collect();
    (added, removed)
}

#[cfg(test)]
mod tests;
