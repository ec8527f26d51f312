//! "Would this pass?" and recent refusals on a credential's item page (issue 14): the *Test
//! access* form (its answer page asks `Portal::check_access`, the `/verify` decision with a
//! sentence a person understands) and the *Recent refusals* section (`Portal::key_refusals`,
//! every node's, never a key).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_domain::api_key::KeySlot;
use keyportal_service::{AccessAnswer, AccessQuestion, ItemView, StoredRefusal};

use crate::html::{url_encode, Html};
use crate::layout::{date_time, notice};
use crate::request::{credential_or_404, message, page, Session};
use crate::{Routes, St};

pub(crate) fn routes() -> Routes {
    Router::new().route("/home/item/{id}/test-access", get(test_access))
}

/// The form's fields, as typed.
#[derive(Default)]
pub(crate) struct Asked {
    slot: String,
    referer: String,
    address: String,
    service: String,
}

impl Asked {
    fn from(query: &HashMap<String, String>) -> Asked {
        let get = |name: &str| {
            query
                .get(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        Asked {
            slot: get("slot"),
            referer: get("referer"),
            address: get("address"),
            service: get("service"),
        }
    }
}

/// The *Test access* form (on the item page and its answer page).
pub(crate) fn test_access_form(h: &mut Html, item_id: &str, asked: Option<&Asked>) {
    let empty = Asked::default();
    let a = asked.unwrap_or(&empty);
    h.raw("<form method=\"get\" action=\"/home/item/")
        .text(&url_encode(item_id))
        .raw("/test-access\" class=\"stack test-access\" aria-labelledby=\"test-access\"><h3 id=\"test-access\">Test access</h3><p class=\"hint\">Would a request like this pass? The same decision as the key check, without a key and without counting anything.</p><label for=\"ta-slot\">Key</label><select id=\"ta-slot\" name=\"slot\">");
    for (value, label) in [("1", "API key 1"), ("2", "API key 2")] {
        h.raw("<option value=\"")
            .raw(value)
            .raw("\"")
            .raw(if a.slot == value { " selected" } else { "" })
            .raw(">")
            .raw(label)
            .raw("</option>");
    }
    h.raw("</select>");
    for (id, name, label, value, placeholder) in [
        (
            "ta-referer",
            "referer",
            "Referer",
            &a.referer,
            "https://app.example.com/page",
        ),
        (
            "ta-address",
            "address",
            "Client address",
            &a.address,
            "203.0.113.7",
        ),
        ("ta-service", "service", "Service", &a.service, "geocode"),
    ] {
        h.raw("<label for=\"")
            .raw(id)
            .raw("\">")
            .raw(label)
            .raw(" <span class=\"muted\">(optional)</span></label><input id=\"")
            .raw(id)
            .raw("\" name=\"")
            .raw(name)
            .raw("\" spellcheck=\"false\" autocomplete=\"off\" placeholder=\"")
            .raw(placeholder)
            .raw("\" value=\"")
            .text(value)
            .raw("\">");
    }
    h.raw("<div class=\"actions\"><button type=\"submit\" class=\"button secondary\">Test access</button></div></form>");
}

fn some(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

fn answer_notice(h: &mut Html, answer: &AccessAnswer) {
    h.raw("<div class=\"notice ")
        .raw(if answer.allowed { "ok" } else { "error" })
        .raw("\" role=\"status\" data-testid=\"access-answer\"><strong>")
        .raw(if answer.allowed {
            "Allowed."
        } else {
            "Refused."
        })
        .raw("</strong> ")
        .text(&answer.message);
    if let Some(reason) = answer.reason {
        h.raw(" <span class=\"muted\">(reason: <code>")
            .raw(reason)
            .raw("</code>)</span>");
    }
    h.raw("</div>");
}

async fn test_access(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (item, _) = match credential_or_404(&web, &session, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let asked = Asked::from(&query);
    let slot = if asked.slot == "2" {
        KeySlot::Two
    } else {
        KeySlot::One
    };
    let question = AccessQuestion {
        referer: some(&asked.referer),
        address: some(&asked.address),
        service: some(&asked.service),
        ..AccessQuestion::default()
    };
    let mut h = Html::new();
    crumbs(&mut h, &item);
    h.raw("<section class=\"card narrow\" aria-labelledby=\"test-access\">");
    let status = match web
        .portal
        .check_access(&session.caller, &item.item.id, slot, &question)
        .await
    {
        Ok(answer) => {
            answer_notice(&mut h, &answer);
            StatusCode::OK
        }
        Err(e) => {
            notice(&mut h, Some(&message(&e)), "error");
            StatusCode::BAD_REQUEST
        }
    };
    test_access_form(&mut h, &item.item.id, Some(&asked));
    h.raw("<p><a class=\"button secondary\" href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">Back to the item</a></p></section>");
    page(status, session.layout("Test access").render(h))
}

fn crumbs(h: &mut Html, item: &ItemView) {
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">")
        .text(&item.item.title)
        .raw("</a> › <span>Test access</span></nav>");
}

/// What a refusal reason means, in a few words.
fn reason_label(reason: &str) -> &'static str {
    match reason {
        "referrer" => "Referrer not allowed",
        "address" => "Address not allowed",
        "expired" => "Key expired",
        "owner_inactive" => "Owner disabled",
        "retired" => "Legacy keys retired",
        "service" => "Service not allowed",
        "privilege" => "Privilege missing",
        "item" => "Item not granted",
        _ => "Refused",
    }
}

/// The *Recent refusals* section: the last refused requests, newest first.
pub(crate) fn refusals_section(h: &mut Html, refusals: &[StoredRefusal]) {
    h.raw("<section class=\"card\" aria-labelledby=\"refusals\"><h2 id=\"refusals\">Recent refusals</h2><p class=\"hint\">The last requests this credential's keys were refused (up to 100, from every server). The keys themselves are never recorded.</p>");
    if refusals.is_empty() {
        h.raw("<p class=\"muted\" data-testid=\"no-refusals\">No refused requests.</p></section>");
        return;
    }
    h.raw("<div class=\"table-wrap\"><table class=\"list\" data-testid=\"refusals\"><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Key</th><th scope=\"col\">Why</th><th scope=\"col\">Referer</th><th scope=\"col\">Address</th><th scope=\"col\">Service</th></tr></thead><tbody>");
    let dash = |text: &str| {
        if text.is_empty() {
            "—".to_string()
        } else {
            text.to_string()
        }
    };
    for r in refusals {
        h.raw("<tr><td>")
            .text(&date_time(r.at))
            .raw("</td><td>")
            .text(&if r.slot == 0 {
                "—".to_string()
            } else {
                r.slot.to_string()
            })
            .raw("</td><td>")
            .raw(reason_label(&r.reason))
            .raw(" <code>")
            .text(&r.reason)
            .raw("</code></td><td class=\"wrap\">")
            .text(&dash(&r.referer))
            .raw("</td><td>")
            .text(&dash(&r.address))
            .raw("</td><td>")
            .text(&dash(&r.service))
            .raw("</td></tr>");
    }
    h.raw("</tbody></table></div></section>");
}
