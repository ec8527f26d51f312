//! Activity: a credential's events (`/home/item/{id}/activity`, its owner and administrators)
//! and the organization's (`/home/organization/activity`, administrators), newest first, with
//! the filters of the REST API and pages of 25.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_domain::events::{Event, EventFilter, EventType};
use keyportal_domain::time::{civil_from_days, DAY_MS};
use keyportal_domain::DomainError;
use keyportal_service::{EventPaging, ServiceError};

use crate::html::{url_encode, Html};
use crate::layout::{item_tabs, org_tabs, ItemTab, OrgTab};
use crate::paging::{pager_links, Pager};
use crate::request::{error_page, message, page, parse_date, Session};
use crate::{Routes, St};

const PER_PAGE: usize = 25;

pub(crate) fn routes() -> Routes {
    Router::new()
        .route("/home/item/{id}/activity", get(item_activity))
        .route("/home/organization/activity", get(org_activity))
}

fn status_of(error: &ServiceError) -> StatusCode {
    match error {
        ServiceError::Domain(DomainError::Invalid { .. }) => StatusCode::BAD_REQUEST,
        ServiceError::Domain(DomainError::ItemNotFound | DomainError::NotFound(_)) => {
            StatusCode::NOT_FOUND
        }
        ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::FORBIDDEN,
    }
}

/// The filters a page was asked for, as typed (kept in the form and the page links).
struct Asked<'a> {
    query: &'a HashMap<String, String>,
}

impl Asked<'_> {
    fn get(&self, name: &str) -> &str {
        self.query.get(name).map(|v| v.trim()).unwrap_or("")
    }

    /// The filter, or what is wrong with it.
    fn filter(&self, org: bool) -> Result<EventFilter, String> {
        let date = |name: &str, label: &str| -> Result<Option<i64>, String> {
            match self.get(name) {
                "" => Ok(None),
                text => parse_date(text)
                    .map(Some)
                    .ok_or_else(|| format!("Enter the {label} date as YYYY-MM-DD.")),
            }
        };
        let text = |name: &str| Some(self.get(name).to_string()).filter(|v| !v.is_empty());
        let mut filter = EventFilter {
            types: EventType::parse_list(self.get("type")).map_err(|e| e.to_string())?,
            // "From" is the start of that day, "to" its end (UTC).
            start_time: date("from", "first")?.map(|end_of_day| end_of_day + 1 - DAY_MS),
            end_time: date("to", "last")?,
            ..EventFilter::default()
        };
        if org {
            filter.actor = text("actor");
            filter.username = text("member");
            filter.item_id = text("item").map(|i| i.to_ascii_lowercase());
        }
        Ok(filter)
    }

    /// The query string of these filters with `page`.
    fn link(&self, base: &str, names: &[&str], page: usize) -> String {
        let mut link = format!("{base}?page={page}");
        for name in names {
            let value = self.get(name);
            if !value.is_empty() {
                link.push_str(&format!("&{name}={}", url_encode(value)));
            }
        }
        link
    }
}

/// `2026-12-08 09:15:02 UTC`.
fn time_text(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    let in_day = ms.rem_euclid(DAY_MS) / 1000;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    )
}

fn filters_form(h: &mut Html, action: &str, asked: &Asked<'_>, org: bool) {
    h.raw("<form class=\"filters activity-filters\" method=\"get\" action=\"")
        .text(action)
        .raw("\"><label>Event <select name=\"type\"><option value=\"\">Any event</option>");
    for t in EventType::ALL {
        h.raw("<option value=\"").text(t.as_str()).raw("\"");
        if asked.get("type") == t.as_str() {
            h.raw(" selected");
        }
        h.raw(">").text(t.as_str()).raw("</option>");
    }
    h.raw("</select></label>");
    if org {
        for (name, label) in [("actor", "By"), ("member", "Member"), ("item", "Item ID")] {
            h.raw("<label>")
                .text(label)
                .raw(" <input type=\"text\" name=\"")
                .text(name)
                .raw("\" value=\"")
                .text(asked.get(name))
                .raw("\"></label>");
        }
    }
    for (name, label) in [("from", "From"), ("to", "To")] {
        h.raw("<label>")
            .text(label)
            .raw(" <input type=\"date\" name=\"")
            .text(name)
            .raw("\" value=\"")
            .text(asked.get(name))
            .raw("\"></label>");
    }
    h.raw("<button type=\"submit\">Filter</button></form>");
}

fn events_table(h: &mut Html, events: &[Event], org: bool) {
    if events.is_empty() {
        h.raw("<p class=\"empty\">No events match.</p>");
        return;
    }
    h.raw("<table class=\"activity\"><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Event</th><th scope=\"col\">By</th><th scope=\"col\">Address</th>");
    if org {
        h.raw("<th scope=\"col\">About</th>");
    }
    h.raw("<th scope=\"col\">Details</th></tr></thead><tbody>");
    for e in events {
        h.raw("<tr><td>")
            .text(&time_text(e.time))
            .raw("</td><td><code>")
            .text(e.kind.as_str())
            .raw("</code>");
        if let Some(slot) = e.slot {
            h.raw(" <span class=\"muted\">")
                .text(&format!("key {slot}"))
                .raw("</span>");
        }
        h.raw("</td><td>")
            .text(e.actor.name.as_deref().unwrap_or("—"))
            .raw(" <span class=\"muted\">(")
            .text(e.actor.kind.as_str())
            .raw(")</span></td><td>")
            .text(e.actor.address.as_deref().unwrap_or("—"))
            .raw("</td>");
        if org {
            h.raw("<td>");
            if let Some(item) = &e.item_id {
                h.raw("<a href=\"/home/item/")
                    .text(&url_encode(item))
                    .raw("\">")
                    .text(&item[..item.len().min(8)])
                    .raw("…</a> ");
            }
            if let Some(user) = &e.username {
                h.text(user);
            }
            h.raw("</td>");
        }
        h.raw("<td class=\"details\">");
        for (name, value) in &e.details {
            let shown = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            h.raw("<span class=\"detail\"><span class=\"muted\">")
                .text(name)
                .raw("</span> ")
                .text(&shown)
                .raw("</span> ");
        }
        h.raw("</td></tr>");
    }
    h.raw("</tbody></table>");
}

async fn item_activity(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let item = match web.portal.get_item(&session.caller, &id).await {
        Ok(item) => item,
        Err(e) => return error_page(Some(&session), status_of(&e), &message(&e)),
    };
    let asked = Asked { query: &query };
    let pager = Pager::asked(query.get("page").map(String::as_str), PER_PAGE);
    let base = format!("/home/item/{}/activity", url_encode(&item.item.id));
    let (filter, problem) = match asked.filter(false) {
        Ok(filter) => (filter, None),
        Err(problem) => (EventFilter::default(), Some(problem)),
    };
    let paging = EventPaging {
        start: pager.offset() + 1,
        num: PER_PAGE,
    };
    let events = match web
        .portal
        .credential_events(&session.caller, &id, filter, paging)
        .await
    {
        Ok(events) => events,
        Err(e) => return error_page(Some(&session), status_of(&e), &message(&e)),
    };
    let i = &item.item;
    let mut h = Html::new();
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"")
        .text(&format!("/home/item/{}", url_encode(&i.id)))
        .raw("\">")
        .text(&i.title)
        .raw("</a> › <span>Activity</span></nav><div class=\"page-head\"><h1>")
        .text(&i.title)
        .raw("</h1><span class=\"badge\">")
        .text(&i.item_type)
        .raw("</span></div>");
    item_tabs(&mut h, &i.id, true, ItemTab::Activity);
    h.raw("<p class=\"hint\">Everything done to this credential and its keys: who, from where and when. Keys appear only as their hints.</p>");
    if let Some(problem) = &problem {
        h.raw("<p class=\"notice error\" role=\"alert\">")
            .text(problem)
            .raw("</p>");
    }
    filters_form(&mut h, &base, &asked, false);
    events_table(&mut h, &events.results, false);
    let pager = pager.with_total(events.total);
    pager_links(&mut h, &pager, events.results.len(), |p| {
        asked.link(&base, &["type", "from", "to"], p)
    });
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(status, session.layout("Activity").render(h))
}

async fn org_activity(
    State(web): St,
    session: Session,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let asked = Asked { query: &query };
    let pager = Pager::asked(query.get("page").map(String::as_str), PER_PAGE);
    let base = "/home/organization/activity";
    let (filter, problem) = match asked.filter(true) {
        Ok(filter) => (filter, None),
        Err(problem) => (EventFilter::default(), Some(problem)),
    };
    let paging = EventPaging {
        start: pager.offset() + 1,
        num: PER_PAGE,
    };
    let events = match web.portal.org_events(&session.caller, filter, paging).await {
        Ok(events) => events,
        Err(e) => return error_page(Some(&session), status_of(&e), &message(&e)),
    };
    let mut h = Html::new();
    h.raw("<div class=\"page-head\"><h1>Organization</h1></div>");
    org_tabs(&mut h, OrgTab::Activity);
    h.raw("<p class=\"hint\">The audit trail: credentials, keys, limits, members, roles, sign-ins and expiry warnings. Export it with <code>portals/self/events?f=csv</code> or follow it with <code>keyportal events --follow</code>.</p>");
    if let Some(problem) = &problem {
        h.raw("<p class=\"notice error\" role=\"alert\">")
            .text(problem)
            .raw("</p>");
    }
    filters_form(&mut h, base, &asked, true);
    events_table(&mut h, &events.results, true);
    let pager = pager.with_total(events.total);
    pager_links(&mut h, &pager, events.results.len(), |p| {
        asked.link(base, &["type", "actor", "member", "item", "from", "to"], p)
    });
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(status, session.layout("Activity").render(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_utc() {
        assert_eq!(time_text(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(time_text(DAY_MS + 3_723_000), "1970-01-02 01:02:03 UTC");
    }

    #[test]
    fn filters_come_from_the_form() {
        let query: HashMap<String, String> = [
            ("type", "key.generated"),
            ("from", "1970-01-02"),
            ("to", "1970-01-02"),
            ("actor", "ann"),
            ("item", "ABC"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let asked = Asked { query: &query };
        let filter = asked.filter(true).unwrap();
        assert_eq!(filter.types, vec![EventType::KeyGenerated]);
        assert_eq!(filter.start_time, Some(DAY_MS));
        assert_eq!(filter.end_time, Some(2 * DAY_MS - 1));
        assert_eq!(filter.actor.as_deref(), Some("ann"));
        assert_eq!(filter.item_id.as_deref(), Some("abc"));
        assert!(asked.filter(false).unwrap().actor.is_none());
        assert_eq!(
            asked.link("/x", &["type", "actor"], 2),
            "/x?page=2&type=key.generated&actor=ann"
        );
    }
}
