//! `keyportal events`: the organization's audit trail, oldest first, as a table or JSON
//! lines, optionally following new events as they are recorded.

use std::collections::HashSet;
use std::time::Duration;

use keyportal_domain::events::{Event, EventFilter, EventType};
use keyportal_domain::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use keyportal_service::{Caller, EventPaging, Portal, MAX_EVENT_PAGE};

use super::args::EventsArgs;
use super::dates::{format_ms, parse_date};
use super::user::{describe, open_portal};

/// Without `--since`, the newest events shown.
const DEFAULT_COUNT: usize = 50;
/// How far back each poll of `--follow` looks again, for events committed late with an
/// earlier time (another node's clock, a slow transaction).
const FOLLOW_OVERLAP_MS: i64 = 10_000;

/// `--since`: a date, a duration back from `now` (`30m`, `12h`, `7d`) or epoch ms.
fn parse_since(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    if text.contains('-') {
        return parse_date(text);
    }
    let unit = match text.chars().last() {
        Some('s') => 1_000,
        Some('m') => MINUTE_MS,
        Some('h') => HOUR_MS,
        Some('d') => DAY_MS,
        _ => {
            return text
                .parse::<i64>()
                .map_err(|_| format!("--since '{text}': use YYYY-MM-DD, 30m, 12h, 7d or epoch ms"))
        }
    };
    let amount: i64 = text[..text.len() - 1]
        .parse()
        .map_err(|_| format!("--since '{text}': use YYYY-MM-DD, 30m, 12h, 7d or epoch ms"))?;
    Ok(now - amount * unit)
}

fn types(args: &EventsArgs) -> Result<Vec<EventType>, String> {
    let mut all = Vec::new();
    for list in &args.types {
        for t in EventType::parse_list(list).map_err(|e| e.to_string())? {
            if !all.contains(&t) {
                all.push(t);
            }
        }
    }
    Ok(all)
}

/// Every event matching `filter`, newest first, at most `limit`.
async fn read(
    portal: &Portal,
    caller: &Caller,
    filter: &EventFilter,
    limit: usize,
) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    let mut start = 1;
    while events.len() < limit {
        let paging = EventPaging {
            start,
            num: MAX_EVENT_PAGE.min(limit - events.len()),
        };
        let page = portal
            .org_events(caller, filter.clone(), paging)
            .await
            .map_err(describe)?;
        start += page.results.len();
        let done = page.next_start < 0 || page.results.is_empty();
        events.extend(page.results);
        if done {
            break;
        }
    }
    Ok(events)
}

fn print(event: &Event, json: bool) {
    if json {
        println!("{}", event.to_json());
        return;
    }
    let slot = event.slot.map(|s| format!(" slot {s}")).unwrap_or_default();
    let about = match (&event.item_id, &event.username) {
        (Some(item), Some(user)) => format!("item {item}{slot} of {user}"),
        (Some(item), None) => format!("item {item}{slot}"),
        (None, Some(user)) => format!("member {user}"),
        (None, None) => String::new(),
    };
    println!(
        "{}  {:<30} {:<8} {:<20} {:<16} {}  {}",
        format_ms(event.time),
        event.kind.as_str(),
        event.actor.kind.as_str(),
        event.actor.name.as_deref().unwrap_or("-"),
        event.actor.address.as_deref().unwrap_or("-"),
        about,
        serde_json::Value::Object(event.details.clone())
    );
}

pub async fn run(args: EventsArgs) -> Result<(), String> {
    let (portal, caller) = open_portal(args.storage.clone()).await?;
    let now = portal.now();
    let mut filter = EventFilter {
        types: types(&args)?,
        ..EventFilter::default()
    };
    let limit = match &args.since {
        Some(since) => {
            filter.start_time = Some(parse_since(since, now)?);
            usize::MAX
        }
        None => DEFAULT_COUNT,
    };
    let mut events = read(&portal, &caller, &filter, limit).await?;
    events.reverse();
    let mut seen: HashSet<String> = HashSet::new();
    let mut newest = filter.start_time.unwrap_or(0);
    for event in &events {
        print(event, args.json);
        seen.insert(event.id.clone());
        newest = newest.max(event.time);
    }
    if !args.follow {
        return Ok(());
    }
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        filter.start_time = Some(newest - FOLLOW_OVERLAP_MS);
        let mut fresh = read(&portal, &caller, &filter, usize::MAX).await?;
        fresh.reverse();
        for event in fresh {
            if seen.insert(event.id.clone()) {
                newest = newest.max(event.time);
                print(&event, args.json);
            }
        }
        // Forget ids that the overlap will no longer return.
        let cutoff = newest - FOLLOW_OVERLAP_MS;
        seen.retain(|id| event_time_of(id).is_none_or(|t| t >= cutoff));
    }
}

/// The time an event id begins with (ids start with 12 hex digits of the time).
fn event_time_of(id: &str) -> Option<i64> {
    i64::from_str_radix(id.get(..12)?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_dates_durations_and_millis() {
        let now = 10 * DAY_MS;
        assert_eq!(parse_since("2d", now), Ok(8 * DAY_MS));
        assert_eq!(parse_since("90m", now), Ok(now - 90 * MINUTE_MS));
        assert_eq!(parse_since("12345", now), Ok(12345));
        assert_eq!(parse_since("1970-01-02", now), Ok(DAY_MS));
        assert!(parse_since("soon", now).is_err());
    }

    #[test]
    fn event_ids_carry_their_time() {
        let id = keyportal_domain::events::new_event_id(1_700_000_000_123);
        assert_eq!(event_time_of(&id), Some(1_700_000_000_123));
    }
}
