//! Usage reports: per credential (keyportal's route, JSON or CSV) and the ArcGIS organization
//! usage resource `portals/{orgId}/usage` (spec §9).

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Router;
use keyportal_domain::time::DAY_MS;
use keyportal_domain::usage::{start_of_day, ReportPeriod};
use keyportal_domain::DomainError;
use keyportal_service::UsageReport;
use serde_json::{json, Value};

use super::get_or_post;
use super::portal::authenticate;
use crate::wire::{ApiError, ArcgisRequest, Params, Path};
use crate::AppState;

pub fn routes(r: &str) -> Router<AppState> {
    Router::new()
        .route(
            &format!("{r}/content/users/{{owner}}/items/{{id}}/usage"),
            get_or_post(credential_usage),
        )
        .route(
            &format!("{r}/portals/{{org}}/usage"),
            get_or_post(org_usage),
        )
        .route(
            &format!("{r}/content/users/{{owner}}/items/{{id}}/limits"),
            get_or_post(limits),
        )
        .route(
            &format!("{r}/portals/self/usageSettings"),
            get_or_post(usage_settings),
        )
}

/// `portals/self/usageSettings`: `billingCycleStartDay` (1–28) sets the day monthly billing
/// cycles start (administrators); without it, shows the setting.
async fn usage_settings(
    State(state): State<AppState>,
    request: ArcgisRequest,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &request).await?;
    if let Some(day) = request.params.i64("billingCycleStartDay")? {
        let day = u8::try_from(day).map_err(|_| {
            DomainError::invalid("A billing cycle starts on day 1 to 28 of a month.")
        })?;
        state.portal.set_billing_start_day(&caller, day).await?;
    } else {
        caller.authorize(&keyportal_domain::authz::Operation::ViewSettings)?;
    }
    Ok(request
        .reply(json!({ "billingCycleStartDay": state.portal.billing_cycle_start_day() }))
        .into_response())
}

/// `period`: `billingCycle` (default), `previousBillingCycle`, `last30days`, `last60days`, or
/// `custom` with `startTime`/`endTime` (epoch ms). `startTime` and `endTime` alone mean custom.
fn period_param(p: &Params) -> Result<ReportPeriod, DomainError> {
    let start = p.i64("startTime")?;
    let end = p.i64("endTime")?;
    match p.text("period").map(str::to_ascii_lowercase).as_deref() {
        None | Some("1d") if start.is_some() || end.is_some() => custom(start, end),
        None | Some("billingcycle") => Ok(ReportPeriod::BillingCycle),
        Some("previousbillingcycle") => Ok(ReportPeriod::PreviousBillingCycle),
        Some("last30days") => Ok(ReportPeriod::Last30Days),
        Some("last60days") => Ok(ReportPeriod::Last60Days),
        Some("custom") => custom(start, end),
        Some(other) => Err(DomainError::invalid(format!(
            "Unknown period '{}': use billingCycle, previousBillingCycle, last30days, last60days or custom.",
            keyportal_domain::ids::shorten(other)
        ))),
    }
}

fn custom(start: Option<i64>, end: Option<i64>) -> Result<ReportPeriod, DomainError> {
    match (start, end) {
        (Some(from), Some(to)) => Ok(ReportPeriod::Custom { from, to }),
        _ => Err(DomainError::invalid(
            "A custom period needs 'startTime' and 'endTime' (epoch ms).",
        )),
    }
}

fn report_json(report: &UsageReport) -> Value {
    json!({
        "startTime": start_of_day(report.range.first),
        "endTime": start_of_day(report.range.last) + DAY_MS - 1,
        "totals": report.totals,
        "services": report.by_service.iter().map(|(service, days)| json!({
            "service": service,
            "total": report.totals.get(service).copied().unwrap_or(0),
            "days": days.iter().map(|(day, n)| json!([start_of_day(*day), n])).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "note": "Today's numbers grow until the day ends (UTC).",
    })
}

fn csv_response(body: String, name: &str) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

async fn credential_usage(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &request).await?;
    let item = state.portal.get_item(&caller, &id).await?;
    state.portal.check_url_owner(&item.item.owner, &owner)?;
    let period = period_param(&request.params)?;
    let report = state.portal.credential_usage(&caller, &id, period).await?;
    if request
        .params
        .text("f")
        .is_some_and(|f| f.eq_ignore_ascii_case("csv"))
    {
        return Ok(csv_response(
            report.csv(),
            &format!("usage-{}.csv", item.item.id),
        ));
    }
    let mut value = report_json(&report);
    value["itemId"] = json!(item.item.id);
    Ok(request.reply(value).into_response())
}

/// ArcGIS shape: `{"startTime","endTime","period":"1d","data":[{"etype","stype","appId","num":[["<ms>","<n>"],…]}]}`,
/// grouped by service (`stype`) and credential (`appId` = client id); filters `appId`, `stype`.
async fn org_usage(
    State(state): State<AppState>,
    Path(org): Path<String>,
    request: ArcgisRequest,
) -> Result<Response, ApiError> {
    state.portal.check_org_id(&org).await?;
    let caller = authenticate(&state, &request).await?;
    let p = &request.params;
    let period = period_param(p)?;
    let app_id = p.text("appId");
    let report = state.portal.org_usage(&caller, app_id, period).await?;
    if p.text("f").is_some_and(|f| f.eq_ignore_ascii_case("csv")) {
        return Ok(csv_response(report.csv(), "usage.csv"));
    }
    let stype = p.text("stype");
    // Borrowed names: a month of a large organization is a million rows.
    let mut series: std::collections::BTreeMap<(&str, &str), Vec<(i64, u64)>> = Default::default();
    for row in report
        .rows()
        .filter(|r| stype.is_none_or(|s| s == r.service))
    {
        let entry = series.entry((row.service, row.client_id)).or_default();
        match entry.last_mut() {
            Some((day, n)) if *day == row.day => *n += row.count,
            _ => entry.push((row.day, row.count)),
        }
    }
    let data: Vec<Value> = series
        .into_iter()
        .map(|((service, client), days)| {
            json!({
                "etype": "svcusg",
                "stype": service,
                "appId": client,
                "num": days.iter().map(|(day, n)| json!([start_of_day(*day).to_string(), n.to_string()])).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(request
        .reply(json!({
            "startTime": start_of_day(report.range.first),
            "endTime": start_of_day(report.range.last) + DAY_MS - 1,
            "period": "1d",
            "data": data,
        }))
        .into_response())
}

/// A limit parameter: a positive number, or blank / `-1` for none.
fn limit_param(p: &Params, name: &str) -> Result<Option<u64>, DomainError> {
    match p.i64(name)? {
        None => Ok(None),
        Some(v) if v < 0 => Ok(None),
        Some(v) => Ok(Some(v as u64)),
    }
}

/// `…/items/{id}/limits`: GET shows the credential's limits; with any of `perSecond`,
/// `perDay`, `perMonth` it replaces them (blank or `-1` = unlimited).
async fn limits(
    State(state): State<AppState>,
    Path((owner, id)): Path<(String, String)>,
    request: ArcgisRequest,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &request).await?;
    let item = state.portal.get_item(&caller, &id).await?;
    state.portal.check_url_owner(&item.item.owner, &owner)?;
    let p = &request.params;
    let changing = ["perSecond", "perDay", "perMonth"]
        .iter()
        .any(|n| p.str(n).is_some());
    let limits = if changing {
        let per_second = match limit_param(p, "perSecond")? {
            Some(v) => Some(
                u32::try_from(v).map_err(|_| DomainError::invalid("'perSecond' is too large."))?,
            ),
            None => None,
        };
        let limits = keyportal_domain::rate_limit::Limits {
            per_second,
            per_day: limit_param(p, "perDay")?,
            per_month: limit_param(p, "perMonth")?,
        };
        state
            .portal
            .set_credential_limits(&caller, &id, limits)
            .await?
    } else {
        state.portal.credential_limits(&caller, &id).await?
    };
    Ok(request
        .reply(json!({
            "itemId": item.item.id,
            "perSecond": limits.per_second,
            "perDay": limits.per_day,
            "perMonth": limits.per_month,
        }))
        .into_response())
}
