//! Calendar dates for people at the command line (UTC), without a date library.

use keyportal_domain::time::{civil_from_days, days_from_civil};

/// `YYYY-MM-DD` → epoch milliseconds at 00:00 UTC.
pub fn parse_date(text: &str) -> Result<i64, String> {
    let bad = || format!("'{text}' is not a date like 2026-06-30");
    let mut parts = text.trim().split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let (year, month, day): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    if civil_from_days(days) != (year, month, day) {
        return Err(bad());
    }
    Ok(days * 86_400_000)
}

/// Epoch milliseconds → `YYYY-MM-DD HH:MM UTC`; `-1` (unset) → `—`.
pub fn format_ms(ms: i64) -> String {
    if ms < 0 {
        return "—".to_string();
    }
    let days = ms.div_euclid(86_400_000);
    let minutes = ms.rem_euclid(86_400_000) / 60_000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(parse_date("2026-06-30"), Ok(1_782_777_600_000));
        assert_eq!(
            format_ms(1_782_777_600_000 + 90 * 60_000),
            "2026-06-30 01:30 UTC"
        );
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("30/06/2026").is_err());
        assert_eq!(format_ms(-1), "—");
    }
}
