//! Time is a parameter of every rule: callers pass `now` as epoch milliseconds.

/// Milliseconds since the Unix epoch, the unit the ArcGIS wire format uses for every date.
pub type EpochMillis = i64;

pub const SECOND_MS: EpochMillis = 1_000;
pub const MINUTE_MS: EpochMillis = 60 * SECOND_MS;
pub const HOUR_MS: EpochMillis = 60 * MINUTE_MS;
pub const DAY_MS: EpochMillis = 24 * HOUR_MS;

/// The proleptic Gregorian date `(year, month, day)` of a day number (days since 1970-01-01).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The day number (days since 1970-01-01) of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// `YYYY-MM-DD` (UTC) of an instant.
pub fn iso_date(ms: EpochMillis) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        for n in [-800_000, -1, 0, 1, 19_000, 20_415, 2_900_000] {
            let (y, m, d) = civil_from_days(n);
            assert_eq!(days_from_civil(y, m, d), n);
        }
        assert_eq!(iso_date(1_782_777_600_000), "2026-06-30");
        assert_eq!(iso_date(-1), "1969-12-31");
    }
}
