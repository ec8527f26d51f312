//! The period a usage page shows, read from its query string. The names are the REST API's
//! `period` values (so a page and its CSV ask the service exactly what REST would), plus
//! `billingCycle-N` for older cycles and dates for a custom range.

use std::collections::HashMap;

use keyportal_domain::time::{civil_from_days, DAY_MS};
use keyportal_domain::usage::{start_of_day, DayRange, ReportPeriod, UsageDay};

use crate::html::url_encode;
use crate::request::parse_date;

/// How many billing cycles the selector offers, the current one included.
const CYCLES: u8 = 4;

/// One entry of the period selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    /// The billing cycle `n` cycles back (0 = current, 1 = previous).
    Cycle(u8),
    Last30,
    Last60,
    Custom,
}

impl Choice {
    pub fn value(self) -> String {
        match self {
            Choice::Cycle(0) => "billingCycle".into(),
            Choice::Cycle(1) => "previousBillingCycle".into(),
            Choice::Cycle(n) => format!("billingCycle-{n}"),
            Choice::Last30 => "last30days".into(),
            Choice::Last60 => "last60days".into(),
            Choice::Custom => "custom".into(),
        }
    }

    fn parse(text: &str) -> Option<Choice> {
        let lower = text.trim().to_ascii_lowercase();
        match lower.as_str() {
            "" | "billingcycle" => Some(Choice::Cycle(0)),
            "previousbillingcycle" => Some(Choice::Cycle(1)),
            "last30days" => Some(Choice::Last30),
            "last60days" => Some(Choice::Last60),
            "custom" => Some(Choice::Custom),
            other => other
                .strip_prefix("billingcycle-")
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| *n < CYCLES)
                .map(Choice::Cycle),
        }
    }
}

/// What the page was asked to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    pub choice: Choice,
    /// The custom range as typed (`YYYY-MM-DD`); used only with [`Choice::Custom`].
    pub from: String,
    pub to: String,
    /// The chart's series: a service name, or empty for all services.
    pub service: String,
    /// Why the query was not understood, if it was not.
    pub problem: Option<String>,
}

fn field(query: &HashMap<String, String>, name: &str) -> String {
    query
        .get(name)
        .map(|v| v.trim().chars().take(64).collect())
        .unwrap_or_default()
}

impl Selection {
    pub fn from_query(query: &HashMap<String, String>) -> Selection {
        let asked = field(query, "period");
        let (choice, problem) = match Choice::parse(&asked) {
            Some(choice) => (choice, None),
            None => (
                Choice::Cycle(0),
                Some("Unknown period: choose one from the list.".to_string()),
            ),
        };
        Selection {
            choice,
            from: field(query, "from"),
            to: field(query, "to"),
            service: field(query, "service"),
            problem,
        }
    }

    /// The period to ask the service for.
    pub fn period(&self, now: i64, start_day: u8) -> Result<ReportPeriod, String> {
        if let Some(problem) = &self.problem {
            return Err(problem.clone());
        }
        match self.choice {
            Choice::Cycle(0) => Ok(ReportPeriod::BillingCycle),
            Choice::Cycle(1) => Ok(ReportPeriod::PreviousBillingCycle),
            Choice::Cycle(n) => {
                let range = cycle_range(now, start_day, n).map_err(|e| e.to_string())?;
                Ok(ReportPeriod::Custom {
                    from: start_of_day(range.first),
                    to: start_of_day(range.last) + DAY_MS - 1,
                })
            }
            Choice::Last30 => Ok(ReportPeriod::Last30Days),
            Choice::Last60 => Ok(ReportPeriod::Last60Days),
            Choice::Custom => {
                let (Some(from), Some(to)) = (parse_date(&self.from), parse_date(&self.to)) else {
                    return Err(
                        "For a custom range, give a start and an end date (YYYY-MM-DD).".into(),
                    );
                };
                Ok(ReportPeriod::Custom { from, to })
            }
        }
    }

    /// The query string that asks for the same period (for the CSV link and other pages).
    pub fn period_query(&self) -> String {
        let mut query = format!("period={}", url_encode(&self.choice.value()));
        if self.choice == Choice::Custom {
            query.push_str(&format!(
                "&from={}&to={}",
                url_encode(&self.from),
                url_encode(&self.to)
            ));
        }
        query
    }
}

/// The billing cycle `back` cycles before the current one.
fn cycle_range(
    now: i64,
    start_day: u8,
    back: u8,
) -> Result<DayRange, keyportal_domain::DomainError> {
    let mut range = ReportPeriod::BillingCycle.range(now, start_day)?;
    for _ in 0..back {
        range = ReportPeriod::PreviousBillingCycle.range(start_of_day(range.first), start_day)?;
    }
    Ok(range)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Nov 3`.
pub(crate) fn short_date(day: UsageDay) -> String {
    let (_, m, d) = civil_from_days(day);
    let month = usize::try_from(m - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("");
    format!("{month} {d}")
}

/// `Nov 3, 2026`.
pub(crate) fn long_date(day: UsageDay) -> String {
    let (y, _, _) = civil_from_days(day);
    format!("{}, {y}", short_date(day))
}

/// `Nov 1 – Nov 23, 2026` (the year once when both ends share it).
pub(crate) fn range_text(range: DayRange) -> String {
    if range.first == range.last {
        long_date(range.first)
    } else if civil_from_days(range.first).0 == civil_from_days(range.last).0 {
        format!("{} – {}", short_date(range.first), long_date(range.last))
    } else {
        format!("{} – {}", long_date(range.first), long_date(range.last))
    }
}

/// The selector's entries with what they read (dates included, so older cycles are clear).
pub(crate) fn options(now: i64, start_day: u8) -> Vec<(Choice, String)> {
    let mut out = Vec::new();
    for n in 0..CYCLES {
        let Ok(range) = cycle_range(now, start_day, n) else {
            continue;
        };
        let name = match n {
            0 => "Current billing cycle",
            1 => "Previous billing cycle",
            _ => "Billing cycle",
        };
        out.push((Choice::Cycle(n), format!("{name} ({})", range_text(range))));
    }
    out.push((Choice::Last30, "Last 30 days".into()));
    out.push((Choice::Last60, "Last 60 days".into()));
    out.push((Choice::Custom, "Custom range".into()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::time::days_from_civil;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn periods_use_the_rest_names_and_older_cycles_become_custom_ranges() {
        let now = start_of_day(days_from_civil(2026, 11, 23)) + 5_000;
        let pick = |p: &str| Selection::from_query(&query(&[("period", p)])).period(now, 1);
        assert_eq!(pick(""), Ok(ReportPeriod::BillingCycle));
        assert_eq!(
            pick("previousBillingCycle"),
            Ok(ReportPeriod::PreviousBillingCycle)
        );
        assert_eq!(pick("LAST30DAYS"), Ok(ReportPeriod::Last30Days));
        assert_eq!(pick("last60days"), Ok(ReportPeriod::Last60Days));
        assert_eq!(
            pick("billingCycle-2"),
            Ok(ReportPeriod::Custom {
                from: start_of_day(days_from_civil(2026, 9, 1)),
                to: start_of_day(days_from_civil(2026, 9, 30)) + DAY_MS - 1,
            })
        );
        assert!(pick("billingCycle-9").is_err());
        assert!(pick("yesterday").is_err());
    }

    #[test]
    fn custom_ranges_need_both_dates() {
        let now = start_of_day(days_from_civil(2026, 11, 23));
        let custom = Selection::from_query(&query(&[
            ("period", "custom"),
            ("from", "2026-11-01"),
            ("to", "2026-11-03"),
        ]));
        let Ok(ReportPeriod::Custom { from, to }) = custom.period(now, 1) else {
            panic!("custom period");
        };
        assert_eq!(
            ReportPeriod::Custom { from, to }
                .range(now, 1)
                .ok()
                .map(|r| r.days()),
            Some(3)
        );
        assert_eq!(
            custom.period_query(),
            "period=custom&from=2026-11-01&to=2026-11-03"
        );
        let half = Selection::from_query(&query(&[("period", "custom"), ("from", "2026-11-01")]));
        assert!(half.period(now, 1).is_err());
    }

    #[test]
    fn options_name_the_dates_of_each_cycle() {
        let now = start_of_day(days_from_civil(2026, 1, 10));
        let options = options(now, 15);
        assert_eq!(
            options[0].1,
            "Current billing cycle (Dec 15, 2025 – Jan 10, 2026)"
        );
        assert_eq!(
            options[1].1,
            "Previous billing cycle (Nov 15 – Dec 14, 2025)"
        );
        assert_eq!(options[3].0.value(), "billingCycle-3");
        assert_eq!(options.len(), 7);
    }
}
