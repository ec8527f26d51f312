//! The audit trail: events appended in the transaction of the change they record (the write
//! methods' `*_recorded` forms call [`insert_events`]), or on their own for acts that change
//! nothing else (sign-ins, quotas, expiry warnings). No statement here updates an event;
//! only retention deletes old ones.

use async_trait::async_trait;
use keyportal_domain::events::{Actor, ActorKind, Event, EventFilter, EventType};
use keyportal_domain::text::can_be_stored;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, Row, Transaction};

use super::by_ids::rows_where_in;
use super::rows::{corrupt, count, int, object_json, opt_text, parse_json, text, to_i64};
use super::SqlStore;
use crate::{EventPage, EventStore, StoreResult};

const COLUMNS: &str = "id, event_time, event_type, actor, actor_kind, address, item_id, \
                       client_id, slot, username, details";

/// An event whose `once` key is already taken is skipped (`DO NOTHING`), so a notice that
/// several nodes or several checks try to record is recorded once.
const INSERT: &str = "INSERT INTO events (id, event_time, event_type, actor, actor_kind, \
                      address, item_id, client_id, slot, username, details, once_key) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                      ON CONFLICT (once_key) DO NOTHING";

/// Writes `events` in `tx`; returns the ids actually written (those whose `once` key was
/// free).
pub(super) async fn insert_events(
    tx: &mut Transaction<'static, Any>,
    events: &[Event],
) -> StoreResult<Vec<String>> {
    let mut written = Vec::with_capacity(events.len());
    for event in events {
        let result = sqlx::query(INSERT)
            .bind(&event.id)
            .bind(event.time)
            .bind(event.kind.as_str())
            .bind(event.actor.name.as_deref())
            .bind(event.actor.kind.as_str())
            .bind(event.actor.address.as_deref())
            .bind(event.item_id.as_deref())
            .bind(event.client_id.as_deref())
            .bind(event.slot.map(i64::from))
            .bind(event.username.as_deref())
            .bind(object_json(&event.details)?)
            .bind(event.once.as_deref())
            .execute(&mut **tx)
            .await?;
        if result.rows_affected() == 1 {
            written.push(event.id.clone());
        }
    }
    Ok(written)
}

fn event_from_row(row: &AnyRow) -> StoreResult<Event> {
    let kind_name = text(row, "event_type")?;
    let kind = EventType::parse(&kind_name)
        .ok_or_else(|| corrupt("events.event_type", &format!("unknown type {kind_name}")))?;
    let actor_kind = text(row, "actor_kind")?;
    let details = match parse_json(row, "details")? {
        serde_json::Value::Object(map) => map,
        _ => return Err(corrupt("events.details", "not a JSON object")),
    };
    let slot: Option<i64> = row
        .try_get::<Option<i64>, _>("slot")
        .map_err(|e| corrupt("events.slot", &e.to_string()))?;
    Ok(Event {
        id: text(row, "id")?,
        time: int(row, "event_time")?,
        kind,
        actor: Actor {
            name: opt_text(row, "actor")?,
            kind: ActorKind::parse(&actor_kind).ok_or_else(|| {
                corrupt("events.actor_kind", &format!("unknown kind {actor_kind}"))
            })?,
            address: opt_text(row, "address")?,
        },
        item_id: opt_text(row, "item_id")?,
        client_id: opt_text(row, "client_id")?,
        slot: slot.and_then(|s| u8::try_from(s).ok()),
        username: opt_text(row, "username")?,
        details,
        once: None,
    })
}

/// A value bound to a filter's placeholder.
enum Bind {
    Text(String),
    Int(i64),
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, AnyArguments<'q>>;

fn bind_all<'q>(mut query: AnyQuery<'q>, binds: &'q [Bind]) -> AnyQuery<'q> {
    for bind in binds {
        query = match bind {
            Bind::Text(value) => query.bind(value.as_str()),
            Bind::Int(value) => query.bind(*value),
        };
    }
    query
}

/// The `WHERE` clause of a filter and its values (placeholders from `$1`); `None` when a
/// value could not be stored at all, so nothing matches.
fn conditions(filter: &EventFilter) -> Option<(String, Vec<Bind>)> {
    let mut clauses: Vec<String> = Vec::new();
    let mut binds = Vec::new();
    let texts = [
        ("item_id", &filter.item_id),
        ("actor", &filter.actor),
        ("username", &filter.username),
    ];
    for (column, value) in texts {
        if let Some(value) = value {
            if !can_be_stored(value) {
                return None;
            }
            binds.push(Bind::Text(value.clone()));
            clauses.push(format!("{column} = ${}", binds.len()));
        }
    }
    if let Some(start) = filter.start_time {
        binds.push(Bind::Int(start));
        clauses.push(format!("event_time >= ${}", binds.len()));
    }
    if let Some(end) = filter.end_time {
        binds.push(Bind::Int(end));
        clauses.push(format!("event_time <= ${}", binds.len()));
    }
    if !filter.types.is_empty() {
        let mut list = Vec::new();
        for t in &filter.types {
            binds.push(Bind::Text(t.as_str().to_string()));
            list.push(format!("${}", binds.len()));
        }
        clauses.push(format!("event_type IN ({})", list.join(", ")));
    }
    let clause = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    Some((clause, binds))
}

#[async_trait]
impl EventStore for SqlStore {
    async fn append_events(&self, events: &[Event]) -> StoreResult<Vec<String>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let written = insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(written)
    }

    async fn list_events(
        &self,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> StoreResult<EventPage> {
        let Some((clause, mut binds)) = conditions(filter) else {
            return Ok(EventPage::default());
        };
        let count_sql = format!("SELECT COUNT(*) AS n FROM events{clause}");
        let total = count(
            &bind_all(sqlx::query(&count_sql), &binds)
                .fetch_one(self.pool())
                .await?,
            "n",
        )?;
        let n = binds.len();
        let page_sql = format!(
            "SELECT {COLUMNS} FROM events{clause} ORDER BY event_time DESC, id DESC \
             LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        binds.push(Bind::Int(to_i64(limit)));
        binds.push(Bind::Int(to_i64(offset)));
        let rows = bind_all(sqlx::query(&page_sql), &binds)
            .fetch_all(self.pool())
            .await?;
        let events = rows
            .iter()
            .map(event_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(EventPage { events, total })
    }

    async fn once_keys_recorded(&self, keys: &[String]) -> StoreResult<Vec<String>> {
        let rows =
            rows_where_in(self, "SELECT once_key FROM events WHERE", "once_key", keys).await?;
        rows.iter().map(|row| text(row, "once_key")).collect()
    }

    async fn prune_events(&self, before: i64) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM events WHERE event_time < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }
}
