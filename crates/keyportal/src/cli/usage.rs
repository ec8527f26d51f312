//! `keyportal usage`: the same reports as the REST API, for one credential or the whole
//! organization, as a table or CSV.

use keyportal_domain::usage::{start_of_day, ReportPeriod};

use super::args::UsageArgs;
use super::dates::{format_ms, parse_date};
use super::user::{describe, open_portal};

fn period(args: &UsageArgs) -> Result<ReportPeriod, String> {
    match (args.period.as_str(), &args.from, &args.to) {
        (_, Some(from), Some(to)) => Ok(ReportPeriod::Custom {
            from: parse_date(from)?,
            to: parse_date(to)?,
        }),
        (_, Some(_), None) | (_, None, Some(_)) => Err("give both --from and --to".into()),
        ("billing-cycle", None, None) => Ok(ReportPeriod::BillingCycle),
        ("previous-billing-cycle", None, None) => Ok(ReportPeriod::PreviousBillingCycle),
        ("last-30-days", None, None) => Ok(ReportPeriod::Last30Days),
        ("last-60-days", None, None) => Ok(ReportPeriod::Last60Days),
        (other, None, None) => Err(format!(
            "unknown period '{other}': billing-cycle, previous-billing-cycle, last-30-days, last-60-days (or --from/--to)"
        )),
    }
}

pub async fn run(args: UsageArgs) -> Result<(), String> {
    let period = period(&args)?;
    let (portal, caller) = open_portal(args.storage.clone()).await?;
    let client_id = match &args.credential {
        Some(id) => Some(
            portal
                .find_credential(&caller, id)
                .await
                .map_err(describe)?
                .app
                .client_id,
        ),
        None => None,
    };
    let report = portal
        .org_usage(&caller, client_id.as_deref(), period)
        .await
        .map_err(describe)?;
    if args.csv {
        print!("{}", report.csv());
        return Ok(());
    }
    println!(
        "usage from {} to {} (today's numbers grow until the day ends, UTC)",
        &format_ms(start_of_day(report.range.first))[..10],
        &format_ms(start_of_day(report.range.last))[..10]
    );
    println!("{:<32} {:>12}", "SERVICE", "REQUESTS");
    for (service, total) in &report.totals {
        println!("{service:<32} {total:>12}");
    }
    if report.totals.is_empty() {
        println!("(no use)");
    }
    Ok(())
}
