//! Usage of API keys: counts per credential, slot, service and UTC day, and the date ranges
//! reports cover (billing cycles, last 30/60 days, custom). Pure: `now` is a parameter.

use crate::error::DomainError;
use crate::ids::shorten;
use crate::time::{civil_from_days as civil, days_from_civil as day_number, EpochMillis, DAY_MS};

/// Days since the Unix epoch (UTC): the unit usage is counted in.
pub type UsageDay = i64;

pub fn day_of(ms: EpochMillis) -> UsageDay {
    ms.div_euclid(DAY_MS)
}

pub fn start_of_day(day: UsageDay) -> EpochMillis {
    day * DAY_MS
}

/// Service names are short identifiers: `portal`, `geocode`, `basemaps`, an item id…
pub fn validate_service_name(name: &str) -> Result<(), DomainError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid_with(
            format!("Invalid service name '{}'.", shorten(name)),
            vec!["A service name has 1 to 64 letters, digits, '-', '_', '.' or ':'.".into()],
        ))
    }
}

/// One stored count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageRow {
    pub day: UsageDay,
    pub client_id: String,
    /// 1 or 2 for API keys, 0 for app tokens and legacy keys.
    pub slot: u8,
    pub service: String,
    pub count: u64,
}

/// One count as read, borrowing its names (reports read a month of a large organization
/// without building a string per row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageRowRef<'a> {
    pub day: UsageDay,
    pub client_id: &'a str,
    /// 1 or 2 for API keys, 0 for app tokens and legacy keys.
    pub slot: u8,
    pub service: &'a str,
    pub count: u64,
}

impl UsageRow {
    pub fn borrowed(&self) -> UsageRowRef<'_> {
        UsageRowRef {
            day: self.day,
            client_id: &self.client_id,
            slot: self.slot,
            service: &self.service,
            count: self.count,
        }
    }
}

/// The days a report covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: UsageDay,
    pub last: UsageDay,
}

impl DayRange {
    pub fn days(&self) -> i64 {
        self.last - self.first + 1
    }

    pub fn contains(&self, day: UsageDay) -> bool {
        (self.first..=self.last).contains(&day)
    }
}

/// The periods a report can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPeriod {
    /// The current monthly billing cycle, starting on `start_day` (1–28) of a month.
    BillingCycle,
    /// The previous full billing cycle.
    PreviousBillingCycle,
    Last30Days,
    Last60Days,
    /// A custom range of at most 366 days.
    Custom {
        from: EpochMillis,
        to: EpochMillis,
    },
}

/// Longest custom range.
pub const MAX_REPORT_DAYS: i64 = 366;

/// The first day of the billing cycle containing `today`.
fn cycle_start(today: UsageDay, start_day: u8) -> UsageDay {
    let start_day = i64::from(start_day.clamp(1, 28));
    let (y, m, d) = civil(today);
    if d >= start_day {
        day_number(y, m, start_day)
    } else if m == 1 {
        day_number(y - 1, 12, start_day)
    } else {
        day_number(y, m - 1, start_day)
    }
}

impl ReportPeriod {
    /// The days the period covers at `now`. The current cycle and "last N days" end today
    /// (whose numbers may still grow).
    pub fn range(self, now: EpochMillis, billing_start_day: u8) -> Result<DayRange, DomainError> {
        let today = day_of(now);
        match self {
            ReportPeriod::BillingCycle => Ok(DayRange {
                first: cycle_start(today, billing_start_day),
                last: today,
            }),
            ReportPeriod::PreviousBillingCycle => {
                let this = cycle_start(today, billing_start_day);
                Ok(DayRange {
                    first: cycle_start(this - 1, billing_start_day),
                    last: this - 1,
                })
            }
            ReportPeriod::Last30Days => Ok(DayRange {
                first: today - 29,
                last: today,
            }),
            ReportPeriod::Last60Days => Ok(DayRange {
                first: today - 59,
                last: today,
            }),
            ReportPeriod::Custom { from, to } => {
                let range = DayRange {
                    first: day_of(from),
                    last: day_of(to),
                };
                if range.last < range.first {
                    return Err(DomainError::invalid(
                        "The report's end is before its start.",
                    ));
                }
                if range.days() > MAX_REPORT_DAYS {
                    return Err(DomainError::invalid(format!(
                        "A custom report covers at most {MAX_REPORT_DAYS} days."
                    )));
                }
                Ok(range)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i64, m: i64, d: i64) -> UsageDay {
        day_number(y, m, d)
    }

    #[test]
    fn days_and_civil_dates_round_trip() {
        for n in [-800_000, -1, 0, 1, 19_000, 20_000, 2_900_000] {
            let (y, m, d) = civil(n);
            assert_eq!(day_number(y, m, d), n);
        }
        assert_eq!(day(1970, 1, 1), 0);
        assert_eq!(day_of(DAY_MS - 1), 0);
        assert_eq!(day_of(-1), -1);
    }

    #[test]
    fn billing_cycles_start_on_the_configured_day() {
        let now = start_of_day(day(2026, 11, 23)) + 5_000;
        let cycle = ReportPeriod::BillingCycle.range(now, 1).expect("range");
        assert_eq!(
            cycle,
            DayRange {
                first: day(2026, 11, 1),
                last: day(2026, 11, 23)
            }
        );
        let mid = ReportPeriod::BillingCycle.range(now, 25).expect("range");
        assert_eq!(mid.first, day(2026, 10, 25));
        let january = ReportPeriod::BillingCycle
            .range(start_of_day(day(2027, 1, 3)), 15)
            .expect("range");
        assert_eq!(january.first, day(2026, 12, 15));
        let previous = ReportPeriod::PreviousBillingCycle
            .range(now, 1)
            .expect("range");
        assert_eq!(
            previous,
            DayRange {
                first: day(2026, 10, 1),
                last: day(2026, 10, 31)
            }
        );
    }

    #[test]
    fn last_n_days_include_today_and_custom_ranges_are_bounded() {
        let now = start_of_day(day(2026, 11, 23));
        assert_eq!(
            ReportPeriod::Last30Days.range(now, 1).expect("r").days(),
            30
        );
        assert_eq!(
            ReportPeriod::Last60Days.range(now, 1).expect("r").last,
            day(2026, 11, 23)
        );
        let custom = ReportPeriod::Custom {
            from: now - 10 * DAY_MS,
            to: now,
        };
        assert_eq!(custom.range(now, 1).expect("r").days(), 11);
        assert!(ReportPeriod::Custom {
            from: now,
            to: now - DAY_MS
        }
        .range(now, 1)
        .is_err());
        assert!(ReportPeriod::Custom {
            from: now - 400 * DAY_MS,
            to: now
        }
        .range(now, 1)
        .is_err());
    }

    #[test]
    fn service_names_are_checked() {
        assert!(validate_service_name("geocode").is_ok());
        assert!(validate_service_name("premium:user:basemaps").is_ok());
        assert!(validate_service_name("").is_err());
        assert!(validate_service_name("a b").is_err());
        assert!(validate_service_name(&"x".repeat(65)).is_err());
    }
}
