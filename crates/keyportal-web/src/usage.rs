//! Usage pages: the Usage tab of a developer credential (`/home/item/{id}/usage`) and the
//! organization's usage for administrators (`/home/organization/usage`), each with a CSV
//! download. The numbers are the service's reports, the same as the REST API's (stored counts
//! plus those not yet flushed), so a page, its CSV and REST agree.

mod chart;
mod period;

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keyportal_domain::time::iso_date;
use keyportal_domain::usage::{start_of_day, validate_service_name, DayRange, UsageDay};
use keyportal_domain::DomainError;
use keyportal_service::{ServiceError, UsageReport, THROTTLED_SERVICE};

use self::chart::{timeline, Timeline};
use self::period::{options, range_text, Selection};
use crate::html::{url_encode, Html};
use crate::layout::{item_tabs, notice, org_tabs, ItemTab, OrgTab};
use crate::request::{error_page, message, page, Session};
use crate::{Routes, St, Web};

pub(crate) fn routes() -> Routes {
    Router::new()
        .route("/home/item/{id}/usage", get(item_usage))
        .route("/home/item/{id}/usage.csv", get(item_usage_csv))
        .route("/home/organization/usage", get(org_usage))
        .route("/home/organization/usage.csv", get(org_usage_csv))
}

/// The page status of a refusal.
fn status_of(error: &ServiceError) -> StatusCode {
    match error {
        ServiceError::Domain(DomainError::Invalid { .. }) => StatusCode::BAD_REQUEST,
        ServiceError::Domain(DomainError::ItemNotFound | DomainError::NotFound(_)) => {
            StatusCode::NOT_FOUND
        }
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::FORBIDDEN,
    }
}

/// A report, or why the asked period cannot be shown (the page then offers the selector again).
type Outcome = Result<UsageReport, String>;

/// Asks the service for the selected period; a refusal other than a bad period is an error
/// page.
async fn fetch<F, Fut>(web: &Web, selection: &Selection, ask: F) -> Result<Outcome, ServiceError>
where
    F: FnOnce(keyportal_domain::usage::ReportPeriod) -> Fut,
    Fut: std::future::Future<Output = Result<UsageReport, ServiceError>>,
{
    let period = match selection.period(web.portal.now(), web.portal.billing_cycle_start_day()) {
        Ok(period) => period,
        Err(problem) => return Ok(Err(problem)),
    };
    match ask(period).await {
        Ok(report) => Ok(Ok(report)),
        Err(e @ ServiceError::Domain(DomainError::Invalid { .. })) => Ok(Err(message(&e))),
        Err(e) => Err(e),
    }
}

fn item_base(id: &str) -> String {
    format!("/home/item/{}/usage", url_encode(id))
}

async fn item_usage(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let base = item_base(&id);
    let item = match web.portal.get_item(&session.caller, &id).await {
        Ok(item) => item,
        Err(e) => return error_page(Some(&session), status_of(&e), &message(&e)),
    };
    // Only developer credentials have usage; the owner and administrators may see it.
    let app = match web.portal.app_info(&session.caller, &id).await {
        Ok(app) => app,
        Err(ServiceError::Domain(DomainError::Invalid { .. })) => {
            return error_page(
                Some(&session),
                StatusCode::NOT_FOUND,
                "Usage is counted for developer credentials only; this item is not one.",
            )
        }
        Err(e) => return error_page(Some(&session), status_of(&e), &message(&e)),
    };
    let selection = Selection::from_query(&query);
    let caller = &session.caller;
    let outcome = match fetch(&web, &selection, |p| {
        web.portal.credential_usage(caller, &id, p)
    })
    .await
    {
        Ok(outcome) => outcome,
        Err(e) => return error_page(Some(&session), status_of(&e), &message(&e)),
    };

    let i = &item.item;
    let mut h = Html::new();
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"")
        .text(&format!("/home/item/{}", url_encode(&i.id)))
        .raw("\">")
        .text(&i.title)
        .raw("</a> › <span>Usage</span></nav><div class=\"page-head\"><h1>")
        .text(&i.title)
        .raw("</h1><span class=\"badge\">")
        .text(&i.item_type)
        .raw("</span></div>");
    item_tabs(&mut h, &i.id, true, ItemTab::Usage);
    h.raw("<p class=\"hint usage-intro\">Requests made with this credential's API keys (client ID <code>")
        .text(&app.app.client_id)
        .raw("</code>), by service and by day.</p>");
    let page_body = Page {
        web: &web,
        base: &base,
        selection: &selection,
        outcome: &outcome,
    };
    page_body.controls(&mut h);
    if let Ok(report) = &outcome {
        page_body.summary(&mut h, report);
        by_service(&mut h, report, true);
        page_body.daily(&mut h, report);
    }
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    page(
        status,
        session.layout(&format!("Usage · {}", i.title)).render(h),
    )
}

async fn item_usage_csv(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let item = match web.portal.get_item(&session.caller, &id).await {
        Ok(item) => item,
        Err(e) => return error_page(Some(&session), status_of(&e), &message(&e)),
    };
    let selection = Selection::from_query(&query);
    let caller = &session.caller;
    match fetch(&web, &selection, |p| {
        web.portal.credential_usage(caller, &id, p)
    })
    .await
    {
        Ok(Ok(report)) => csv(
            report.csv(),
            &format!("usage-{}", item.item.id),
            report.range,
        ),
        Ok(Err(problem)) => error_page(Some(&session), StatusCode::BAD_REQUEST, &problem),
        Err(e) => error_page(Some(&session), status_of(&e), &message(&e)),
    }
}

/// A CSV download named after what it holds and its dates.
fn csv(body: String, stem: &str, range: DayRange) -> Response {
    let name = format!(
        "{stem}-{}-to-{}.csv",
        iso_date(start_of_day(range.first)),
        iso_date(start_of_day(range.last))
    );
    // Only ids and dates go into the name; anything else would be refused here.
    let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

const ORG_BASE: &str = "/home/organization/usage";

/// The organization page is for administrators; others get a clear refusal.
fn admin_only(session: &Session) -> Option<Response> {
    (!session.is_admin()).then(|| {
        error_page(
            Some(session),
            StatusCode::FORBIDDEN,
            "Only administrators can see the organization's usage. Your own credentials' usage is on each credential's Usage tab.",
        )
    })
}

/// A credential as the organization's tables name it.
#[derive(Debug, Clone, Default)]
struct Named {
    title: String,
    owner: String,
    item_id: Option<String>,
}

/// Names for the usage keys in the report: client ids of credentials, item ids of legacy
/// keys. Only the keys the report holds are looked up, never every credential or legacy key.
async fn credential_names(
    web: &Web,
    session: &Session,
    report: &UsageReport,
) -> HashMap<String, Named> {
    let mut keys: Vec<String> = report.rows().map(|row| row.client_id.to_string()).collect();
    keys.sort_unstable();
    keys.dedup();
    let Ok(names) = web.portal.credential_names(&session.caller, &keys).await else {
        return HashMap::new();
    };
    names
        .into_iter()
        .map(|name| {
            (
                name.key,
                Named {
                    title: name.title,
                    owner: name.owner,
                    item_id: Some(name.item_id),
                },
            )
        })
        .collect()
}

async fn org_usage(
    State(web): St,
    session: Session,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = admin_only(&session) {
        return refused;
    }
    let selection = Selection::from_query(&query);
    let caller = &session.caller;
    let outcome = match fetch(&web, &selection, |p| web.portal.org_usage(caller, None, p)).await {
        Ok(outcome) => outcome,
        Err(e) => return error_page(Some(&session), status_of(&e), &message(&e)),
    };
    let names = match &outcome {
        Ok(report) => credential_names(&web, &session, report).await,
        Err(_) => HashMap::new(),
    };

    let mut h = Html::new();
    h.raw("<div class=\"page-head\"><h1>Organization</h1></div>");
    org_tabs(&mut h, OrgTab::Usage);
    h.raw("<p class=\"hint usage-intro\">Requests made with every credential's API keys in the organization, by credential, by service and by day.</p>");
    let page_body = Page {
        web: &web,
        base: ORG_BASE,
        selection: &selection,
        outcome: &outcome,
    };
    page_body.controls(&mut h);
    if let Ok(report) = &outcome {
        page_body.summary(&mut h, report);
        by_credential(&mut h, report, &names, &selection);
        by_service(&mut h, report, false);
        page_body.daily(&mut h, report);
    }
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    page(status, session.layout("Organization usage").render(h))
}

async fn org_usage_csv(
    State(web): St,
    session: Session,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = admin_only(&session) {
        return refused;
    }
    let selection = Selection::from_query(&query);
    let caller = &session.caller;
    match fetch(&web, &selection, |p| web.portal.org_usage(caller, None, p)).await {
        Ok(Ok(report)) => {
            let names = credential_names(&web, &session, &report).await;
            let body = report.csv_with_names(&|client| {
                names
                    .get(client)
                    .map(|n| (n.title.clone(), n.owner.clone()))
            });
            csv(body, "usage-organization", report.range)
        }
        Ok(Err(problem)) => error_page(Some(&session), StatusCode::BAD_REQUEST, &problem),
        Err(e) => error_page(Some(&session), status_of(&e), &message(&e)),
    }
}

/// What a service is called on the pages.
fn service_label(service: &str) -> &str {
    match service {
        "portal" => "portal (Sharing API)",
        THROTTLED_SERVICE => "Refused by limits",
        other => other,
    }
}

/// The parts both pages share.
struct Page<'a> {
    web: &'a Web,
    base: &'a str,
    selection: &'a Selection,
    outcome: &'a Outcome,
}

impl Page<'_> {
    /// The period selector (a plain GET form; portal.js only submits it on change).
    fn controls(&self, h: &mut Html) {
        let now = self.web.portal.now();
        let start_day = self.web.portal.billing_cycle_start_day();
        let sel = self.selection;
        // The date fields start at the shown range, so "Custom range" starts from it.
        let (from, to) = match self.outcome {
            Ok(report) if sel.choice != period::Choice::Custom => (
                iso_date(start_of_day(report.range.first)),
                iso_date(start_of_day(report.range.last)),
            ),
            _ => (sel.from.clone(), sel.to.clone()),
        };
        h.raw("<section class=\"card usage-controls\" aria-label=\"What to show\"><form method=\"get\" action=\"")
            .text(self.base)
            .raw("\" class=\"usage-filter\" data-usage-filter><div class=\"field period\"><label for=\"usage-period\">Period</label><select id=\"usage-period\" name=\"period\" data-autosubmit>");
        for (choice, label) in options(now, start_day) {
            h.raw("<option value=\"")
                .text(&choice.value())
                .raw("\"")
                .raw(if choice == sel.choice {
                    " selected"
                } else {
                    ""
                })
                .raw(">")
                .text(&label)
                .raw("</option>");
        }
        h.raw("</select></div><div class=\"field chart-service\"><label for=\"usage-service\">Chart</label><select id=\"usage-service\" name=\"service\" data-autosubmit><option value=\"\">All services</option>");
        let mut services: Vec<String> = match self.outcome {
            Ok(report) => report.by_service.keys().cloned().collect(),
            Err(_) => Vec::new(),
        };
        // Keep a chosen service in the list even when the new period has none of it.
        if !sel.service.is_empty()
            && !services.contains(&sel.service)
            && validate_service_name(&sel.service).is_ok()
        {
            services.push(sel.service.clone());
        }
        for service in &services {
            h.raw("<option value=\"")
                .text(service)
                .raw("\"")
                .raw(if *service == sel.service {
                    " selected"
                } else {
                    ""
                })
                .raw(">")
                .text(service_label(service))
                .raw("</option>");
        }
        h.raw("</select></div><fieldset class=\"field custom-range\" aria-describedby=\"usage-range-hint\"><legend>Custom range (UTC)</legend><div class=\"dates\"><div><label for=\"usage-from\">From</label><input type=\"date\" id=\"usage-from\" name=\"from\" value=\"")
            .text(&from)
            .raw("\"></div><div><label for=\"usage-to\">To</label><input type=\"date\" id=\"usage-to\" name=\"to\" value=\"")
            .text(&to)
            .raw("\"></div></div></fieldset><div class=\"field submit\"><button type=\"submit\" class=\"button\">Show</button></div><p class=\"hint range-hint\" id=\"usage-range-hint\">From and To apply when Period is “Custom range” (at most 366 days). Days are UTC days.</p></form>");
        if let Err(problem) = self.outcome {
            notice(h, Some(problem), "error");
        }
        h.raw("</section>");
    }

    /// Totals of the period and the CSV download.
    fn summary(&self, h: &mut Html, report: &UsageReport) {
        let requests: u64 = served(report).map(|(_, n)| n).sum();
        let throttled = report.totals.get(THROTTLED_SERVICE).copied().unwrap_or(0);
        let services = served(report).count();
        let today = keyportal_domain::usage::day_of(self.web.portal.now());
        h.raw("<section class=\"card\" aria-labelledby=\"usage-summary\"><div class=\"usage-head\"><div><h2 id=\"usage-summary\">Summary</h2><p class=\"period-text\" data-testid=\"usage-range\">")
            .text(&range_text(report.range))
            .raw(" <span class=\"muted\">(UTC)</span></p></div><a class=\"button secondary\" download href=\"")
            .text(&format!("{}.csv?{}", self.base, self.selection.period_query()))
            .raw("\">Download CSV</a></div><dl class=\"stats\"><div><dt>Requests</dt><dd data-testid=\"usage-total\">")
            .text(&requests.to_string())
            .raw("</dd></div><div><dt>Services</dt><dd>")
            .text(&services.to_string())
            .raw("</dd></div><div><dt>Refused by limits</dt><dd data-testid=\"usage-throttled\">")
            .text(&throttled.to_string())
            .raw("</dd></div><div><dt>Days</dt><dd>")
            .text(&report.range.days().to_string())
            .raw("</dd></div></dl>");
        if report.range.contains(today) {
            h.raw("<p class=\"hint usage-note\">Today's numbers grow until the day ends (UTC). New requests show here within seconds.</p>");
        }
        h.raw("</section>");
    }

    /// The per-day chart of the chosen series, with the numbers as a table.
    fn daily(&self, h: &mut Html, report: &UsageReport) {
        let service = self.selection.service.as_str();
        let subject = if service.is_empty() {
            "all services".to_string()
        } else {
            service_label(service).to_string()
        };
        let values = series(report, service);
        h.raw("<section class=\"card\" aria-labelledby=\"usage-daily\"><h2 id=\"usage-daily\">Requests per day · ")
            .text(&subject)
            .raw("</h2>");
        timeline(
            h,
            &Timeline {
                subject: &subject,
                range: report.range,
                values: &values,
                today: keyportal_domain::usage::day_of(self.web.portal.now()),
            },
        );
        h.raw("<details class=\"chart-data\"><summary>The numbers per day</summary>");
        let used: Vec<(UsageDay, u64)> = values
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (report.range.first + i as i64, *n))
            .collect();
        if used.is_empty() {
            h.raw("<p class=\"muted\">No requests on any day of this period.</p>");
        } else {
            h.raw("<table class=\"list compact\"><caption class=\"visually-hidden\">Requests per day</caption><thead><tr><th scope=\"col\">Date (UTC)</th><th scope=\"col\" class=\"num\">Requests</th></tr></thead><tbody>");
            for (day, n) in used {
                h.raw("<tr><td data-label=\"Date\">")
                    .text(&iso_date(start_of_day(day)))
                    .raw("</td><td class=\"num\" data-label=\"Requests\">")
                    .text(&n.to_string())
                    .raw("</td></tr>");
            }
            h.raw("</tbody></table><p class=\"hint\">Days without requests are left out.</p>");
        }
        h.raw("</details></section>");
    }
}

/// Totals of the services that answered (not the requests refused by limits).
fn served(report: &UsageReport) -> impl Iterator<Item = (&String, u64)> {
    report
        .totals
        .iter()
        .filter(|(s, _)| s.as_str() != THROTTLED_SERVICE)
        .map(|(s, n)| (s, *n))
}

/// One count per day of the report: a service's, or all answered requests' when `service` is
/// empty.
fn series(report: &UsageReport, service: &str) -> Vec<u64> {
    let days = usize::try_from(report.range.days()).unwrap_or(0);
    let mut values = vec![0u64; days];
    for (name, per_day) in &report.by_service {
        let wanted = if service.is_empty() {
            name != THROTTLED_SERVICE
        } else {
            name == service
        };
        if !wanted {
            continue;
        }
        for (day, n) in per_day {
            if let Some(v) = usize::try_from(day - report.range.first)
                .ok()
                .and_then(|i| values.get_mut(i))
            {
                *v += n;
            }
        }
    }
    values
}

fn number_cell(h: &mut Html, label: &'static str, n: u64) {
    h.raw("<td class=\"num\" data-label=\"")
        .raw(label)
        .raw("\">")
        .text(&n.to_string())
        .raw("</td>");
}

/// The table by service: requests per key slot (1, 2, and app tokens or legacy keys when
/// there are any) and in all; requests refused by limits on their own line.
fn by_service(h: &mut Html, report: &UsageReport, heading_is_main: bool) {
    // service → [slot 0, slot 1, slot 2]
    let mut table: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    for row in report.rows() {
        let slot = usize::from(row.slot.min(2));
        table.entry(row.service).or_default()[slot] += row.count;
    }
    let throttled = table.remove(THROTTLED_SERVICE);
    let other = table.values().any(|s| s[0] > 0) || throttled.is_some_and(|s| s[0] > 0);
    h.raw("<section class=\"card\" aria-labelledby=\"usage-services\"><h2 id=\"usage-services\">")
        .raw(if heading_is_main {
            "Requests by service"
        } else {
            "By service"
        })
        .raw("</h2>");
    if table.is_empty() && throttled.is_none() {
        h.raw("<p class=\"empty\">No requests in this period.</p></section>");
        return;
    }
    h.raw("<table class=\"list usage-table\" data-testid=\"by-service\"><thead><tr><th scope=\"col\">Service</th><th scope=\"col\" class=\"num\">API key 1</th><th scope=\"col\" class=\"num\">API key 2</th>");
    if other {
        h.raw("<th scope=\"col\" class=\"num\">Other tokens</th>");
    }
    h.raw("<th scope=\"col\" class=\"num\">Requests</th></tr></thead><tbody>");
    let mut sums = [0u64; 3];
    let row = |h: &mut Html, name: &str, counts: &[u64; 3]| {
        h.raw("<td data-label=\"Service\">")
            .text(service_label(name))
            .raw("</td>");
        number_cell(h, "API key 1", counts[1]);
        number_cell(h, "API key 2", counts[2]);
        if other {
            number_cell(h, "Other", counts[0]);
        }
        number_cell(h, "Requests", counts.iter().sum());
        h.raw("</tr>");
    };
    for (name, counts) in &table {
        for (sum, n) in sums.iter_mut().zip(counts) {
            *sum += n;
        }
        h.raw("<tr data-service=\"").text(name).raw("\">");
        row(h, name, counts);
    }
    h.raw("</tbody><tfoot><tr class=\"total\" data-service=\"\">");
    row(h, "Total", &sums);
    if let Some(counts) = throttled {
        h.raw("<tr class=\"throttled\" data-service=\"throttled\">");
        row(h, THROTTLED_SERVICE, &counts);
    }
    h.raw("</tfoot></table>");
    if throttled.is_some() {
        h.raw("<p class=\"hint\">Requests refused by the credential's rate limits or quotas are not in the total.</p>");
    }
    h.raw("</section>");
}

/// The organization's table by credential, busiest first.
fn by_credential(
    h: &mut Html,
    report: &UsageReport,
    names: &HashMap<String, Named>,
    selection: &Selection,
) {
    // client id → (requests, refused)
    let mut per: HashMap<&str, (u64, u64)> = HashMap::new();
    for row in report.rows() {
        let entry = per.entry(row.client_id).or_default();
        if row.service == THROTTLED_SERVICE {
            entry.1 += row.count;
        } else {
            entry.0 += row.count;
        }
    }
    let mut rows: Vec<(&str, (u64, u64))> = per.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    let refused = rows.iter().any(|(_, (_, r))| *r > 0);
    h.raw("<section class=\"card\" aria-labelledby=\"usage-credentials\"><h2 id=\"usage-credentials\">By credential</h2>");
    if rows.is_empty() {
        h.raw("<p class=\"empty\">No credential was used in this period.</p></section>");
        return;
    }
    h.raw("<table class=\"list usage-table\" data-testid=\"by-credential\"><thead><tr><th scope=\"col\">Credential</th><th scope=\"col\">Owner</th><th scope=\"col\">Client ID</th><th scope=\"col\" class=\"num\">Requests</th>");
    if refused {
        h.raw("<th scope=\"col\" class=\"num\">Refused by limits</th>");
    }
    h.raw("</tr></thead><tbody>");
    for (client, (requests, throttled)) in rows {
        let named = names.get(client).cloned().unwrap_or_else(|| Named {
            title: "Deleted credential".to_string(),
            owner: "—".to_string(),
            item_id: None,
        });
        h.raw("<tr data-client=\"")
            .text(client)
            .raw("\"><td data-label=\"Credential\">");
        match &named.item_id {
            Some(item) => {
                h.raw("<a href=\"")
                    .text(&format!("{}?{}", item_base(item), selection.period_query()))
                    .raw("\">")
                    .text(&named.title)
                    .raw("</a>");
            }
            None => {
                h.raw("<span class=\"muted\">")
                    .text(&named.title)
                    .raw("</span>");
            }
        }
        h.raw("</td><td data-label=\"Owner\">")
            .text(&named.owner)
            .raw("</td><td data-label=\"Client ID\"><code>")
            .text(client)
            .raw("</code></td>");
        number_cell(h, "Requests", requests);
        if refused {
            number_cell(h, "Refused", throttled);
        }
        h.raw("</tr>");
    }
    h.raw("</tbody></table></section>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::usage::UsageRow;

    fn report() -> UsageReport {
        let range = DayRange {
            first: 20_000,
            last: 20_002,
        };
        let rows = [
            UsageRow {
                day: 20_001,
                client_id: "c1".into(),
                slot: 1,
                service: "portal".into(),
                count: 7,
            },
            UsageRow {
                day: 20_002,
                client_id: "c1".into(),
                slot: 2,
                service: "geocode".into(),
                count: 3,
            },
            UsageRow {
                day: 20_002,
                client_id: "c1".into(),
                slot: 2,
                service: THROTTLED_SERVICE.into(),
                count: 4,
            },
        ];
        UsageReport::from_rows(range, rows.iter().map(UsageRow::borrowed))
    }

    #[test]
    fn series_leave_refused_requests_out_of_all_services() {
        let r = report();
        assert_eq!(series(&r, ""), vec![0, 7, 3]);
        assert_eq!(series(&r, "geocode"), vec![0, 0, 3]);
        assert_eq!(series(&r, THROTTLED_SERVICE), vec![0, 0, 4]);
        assert_eq!(series(&r, "nothing"), vec![0, 0, 0]);
    }

    #[test]
    fn the_service_table_has_slots_totals_and_refusals() {
        let mut h = Html::new();
        by_service(&mut h, &report(), true);
        let html = h.into_string();
        assert!(html.contains("<tr data-service=\"geocode\"><td data-label=\"Service\">geocode</td><td class=\"num\" data-label=\"API key 1\">0</td><td class=\"num\" data-label=\"API key 2\">3</td><td class=\"num\" data-label=\"Requests\">3</td></tr>"), "{html}");
        assert!(
            html.contains("data-label=\"Requests\">10</td>"),
            "total {html}"
        );
        assert!(html.contains("Refused by limits"));
        assert!(!html.contains("Other tokens"));
    }
}
