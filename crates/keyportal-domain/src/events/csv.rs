//! Events as CSV (`portals/self/events?f=csv`): one line per event, RFC 4180 quoting, the
//! details as their JSON text.

use super::Event;
use crate::time::EpochMillis;

const HEADER: &str =
    "id,time,type,actor,actorKind,address,itemId,clientId,slot,username,details\r\n";

fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) || value.starts_with(['=', '+', '-', '@']) {
        out.push('"');
        // A leading formula character is neutralised for spreadsheets by a quote inside.
        if value.starts_with(['=', '+', '-', '@']) {
            out.push('\'');
        }
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn time_text(ms: EpochMillis) -> String {
    ms.to_string()
}

/// The CSV document of `events`, header first.
pub fn events_csv(events: &[Event]) -> String {
    let mut out = String::from(HEADER);
    for event in events {
        let slot = event.slot.map(|s| s.to_string()).unwrap_or_default();
        let details = serde_json::Value::Object(event.details.clone()).to_string();
        let columns: [&str; 11] = [
            &event.id,
            &time_text(event.time),
            event.kind.as_str(),
            event.actor.name.as_deref().unwrap_or(""),
            event.actor.kind.as_str(),
            event.actor.address.as_deref().unwrap_or(""),
            event.item_id.as_deref().unwrap_or(""),
            event.client_id.as_deref().unwrap_or(""),
            &slot,
            event.username.as_deref().unwrap_or(""),
            &details,
        ];
        for (i, value) in columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, value);
        }
        out.push_str("\r\n");
    }
    out
}
