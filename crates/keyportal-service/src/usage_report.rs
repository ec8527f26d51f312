//! Usage reports: stored and pending counts of a range of days merged per service and day,
//! and their one CSV form (the REST API, the CLI and the web portal share it).

use std::collections::BTreeMap;

use keyportal_domain::time::iso_date;
use keyportal_domain::usage::{start_of_day, DayRange, UsageDay, UsageRow};

/// A usage report: counts per service and per day over a range of days.
#[derive(Debug, Clone)]
pub struct UsageReport {
    pub range: DayRange,
    /// `service → (day → count)`, only days with use.
    pub by_service: BTreeMap<String, BTreeMap<UsageDay, u64>>,
    /// `service → total`.
    pub totals: BTreeMap<String, u64>,
    /// `(day, client id, slot, service) → count` for exports.
    pub rows: Vec<UsageRow>,
}

impl UsageReport {
    pub(crate) fn from_rows(range: DayRange, mut rows: Vec<UsageRow>) -> UsageReport {
        // Stored and pending counts of the same key are added together.
        let mut merged: BTreeMap<(UsageDay, String, u8, String), u64> = BTreeMap::new();
        for row in rows.drain(..) {
            *merged
                .entry((row.day, row.client_id, row.slot, row.service))
                .or_insert(0) += row.count;
        }
        let rows: Vec<UsageRow> = merged
            .into_iter()
            .map(|((day, client_id, slot, service), count)| UsageRow {
                day,
                client_id,
                slot,
                service,
                count,
            })
            .collect();
        let mut by_service: BTreeMap<String, BTreeMap<UsageDay, u64>> = BTreeMap::new();
        let mut totals = BTreeMap::new();
        for row in &rows {
            *by_service
                .entry(row.service.clone())
                .or_default()
                .entry(row.day)
                .or_insert(0) += row.count;
            *totals.entry(row.service.clone()).or_insert(0) += row.count;
        }
        UsageReport {
            range,
            by_service,
            totals,
            rows,
        }
    }
}

/// One CSV field. Quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-`,
/// `@`, tab or carriage return gets a `'` first, so a spreadsheet shows it instead of running
/// it as a formula (titles are free text).
pub fn csv_field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

impl UsageReport {
    /// `date,client_id,slot,service,count`: one line per day, credential, key slot and service.
    /// The one CSV of the REST API, the CLI and the web portal.
    pub fn csv(&self) -> String {
        let mut out = String::from("date,client_id,slot,service,count\n");
        for row in &self.rows {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                iso_date(start_of_day(row.day)),
                csv_field(&row.client_id),
                row.slot,
                csv_field(&row.service),
                row.count
            ));
        }
        out
    }

    /// The same lines with each credential's title and owner after its client id
    /// (`names` answers them for a client id; unknown ones stay empty).
    pub fn csv_with_names(&self, names: &dyn Fn(&str) -> Option<(String, String)>) -> String {
        let mut out = String::from("date,client_id,title,owner,slot,service,count\n");
        for row in &self.rows {
            let (title, owner) = names(&row.client_id).unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                iso_date(start_of_day(row.day)),
                csv_field(&row.client_id),
                csv_field(&title),
                csv_field(&owner),
                row.slot,
                csv_field(&row.service),
                row.count
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_guarded_against_formulas() {
        assert_eq!(csv_field("portal"), "portal");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for lead in ["+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(csv_field(lead).starts_with('\''), "{lead}");
        }
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn csv_has_one_line_per_day_credential_slot_and_service() {
        let row = |day, slot, service: &str, count| UsageRow {
            day,
            client_id: "cid".into(),
            slot,
            service: service.into(),
            count,
        };
        let range = DayRange {
            first: 20_000,
            last: 20_001,
        };
        let report = UsageReport::from_rows(
            range,
            vec![
                row(20_001, 1, "portal", 2),
                row(20_000, 2, "geocode", 3),
                row(20_001, 1, "portal", 5),
            ],
        );
        assert_eq!(
            report.csv(),
            "date,client_id,slot,service,count\n\
             2024-10-04,cid,2,geocode,3\n\
             2024-10-05,cid,1,portal,7\n"
        );
        let named = report.csv_with_names(&|c| {
            (c == "cid").then(|| ("=cmd|' /C calc'!A0".to_string(), "ann".to_string()))
        });
        assert_eq!(
            named.lines().nth(1),
            Some("2024-10-04,cid,'=cmd|' /C calc'!A0,ann,2,geocode,3")
        );
    }
}
