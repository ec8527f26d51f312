//! Usage reports: stored and pending counts of a range of days merged per day, credential,
//! slot and service, and their one CSV form (the REST API, the CLI and the web portal share it).
//!
//! A month of a large organization is about a million counts (10,000 credentials × 3 services
//! × 30 days): the report holds each as 24 bytes with the names interned, builds nothing per
//! row while reading, and writes its CSV into one buffer.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use keyportal_domain::time::iso_date;
use keyportal_domain::usage::{start_of_day, DayRange, UsageDay, UsageRowRef};

/// One count, its names as indices into the report's sorted name lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    day: UsageDay,
    client: u32,
    slot: u8,
    service: u16,
    count: u64,
}

/// A usage report: counts per service and per day over a range of days.
#[derive(Debug, Clone)]
pub struct UsageReport {
    pub range: DayRange,
    /// `service → (day → count)`, only days with use.
    pub by_service: BTreeMap<String, BTreeMap<UsageDay, u64>>,
    /// `service → total`.
    pub totals: BTreeMap<String, u64>,
    /// Client ids and services, sorted, so index order is name order.
    clients: Vec<String>,
    services: Vec<String>,
    /// Sorted by (day, client id, slot, service), one per key.
    entries: Vec<Entry>,
}

/// Collects counts as they are read (stored and pending alike), interning the names.
#[derive(Debug, Default)]
pub(crate) struct ReportBuilder {
    clients: HashMap<String, usize>,
    services: HashMap<String, usize>,
    entries: Vec<Entry>,
}

fn intern(names: &mut HashMap<String, usize>, name: &str) -> usize {
    if let Some(&index) = names.get(name) {
        return index;
    }
    let index = names.len();
    names.insert(name.to_string(), index);
    index
}

/// Names in sorted order and, for each interned index, its place in that order.
fn sorted(names: HashMap<String, usize>) -> (Vec<String>, Vec<usize>) {
    let mut pairs: Vec<(String, usize)> = names.into_iter().collect();
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut place = vec![0; pairs.len()];
    for (rank, (_, index)) in pairs.iter().enumerate() {
        place[*index] = rank;
    }
    (pairs.into_iter().map(|(name, _)| name).collect(), place)
}

impl ReportBuilder {
    pub(crate) fn add(&mut self, row: UsageRowRef<'_>) {
        let client = u32::try_from(intern(&mut self.clients, row.client_id));
        let service = u16::try_from(intern(&mut self.services, row.service));
        // More than 4 billion credentials or 65,536 services in one report cannot be stored.
        let (Ok(client), Ok(service)) = (client, service) else {
            tracing::error!("usage report: too many distinct names; a count was left out");
            return;
        };
        self.entries.push(Entry {
            day: row.day,
            client,
            slot: row.slot,
            service,
            count: row.count,
        });
    }

    pub(crate) fn finish(self, range: DayRange) -> UsageReport {
        let (clients, client_place) = sorted(self.clients);
        let (services, service_place) = sorted(self.services);
        let mut entries = self.entries;
        for entry in &mut entries {
            // Places fit: there are no more names than indices.
            entry.client = u32::try_from(client_place[entry.client as usize]).unwrap_or(u32::MAX);
            entry.service =
                u16::try_from(service_place[usize::from(entry.service)]).unwrap_or(u16::MAX);
        }
        entries.sort_unstable();
        // Stored and pending counts of the same key are added together.
        entries.dedup_by(|later, kept| {
            let same = (later.day, later.client, later.slot, later.service)
                == (kept.day, kept.client, kept.slot, kept.service);
            if same {
                kept.count += later.count;
            }
            same
        });
        let mut per_service: Vec<BTreeMap<UsageDay, u64>> = vec![BTreeMap::new(); services.len()];
        for entry in &entries {
            *per_service[usize::from(entry.service)]
                .entry(entry.day)
                .or_insert(0) += entry.count;
        }
        let mut by_service = BTreeMap::new();
        let mut totals = BTreeMap::new();
        for (name, days) in services.iter().zip(per_service) {
            if !days.is_empty() {
                totals.insert(name.clone(), days.values().sum());
                by_service.insert(name.clone(), days);
            }
        }
        UsageReport {
            range,
            by_service,
            totals,
            clients,
            services,
            entries,
        }
    }
}

impl UsageReport {
    /// A report of these counts (tests and callers that have rows at hand).
    pub fn from_rows<'a>(
        range: DayRange,
        rows: impl IntoIterator<Item = UsageRowRef<'a>>,
    ) -> UsageReport {
        let mut builder = ReportBuilder::default();
        for row in rows {
            builder.add(row);
        }
        builder.finish(range)
    }

    /// `(day, client id, slot, service) → count`, in that order, one per key.
    pub fn rows(&self) -> impl Iterator<Item = UsageRowRef<'_>> + '_ {
        self.entries.iter().map(|e| UsageRowRef {
            day: e.day,
            client_id: &self.clients[e.client as usize],
            slot: e.slot,
            service: &self.services[usize::from(e.service)],
            count: e.count,
        })
    }

    /// How many (day, client id, slot, service) counts the report holds.
    pub fn row_count(&self) -> usize {
        self.entries.len()
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
    /// The lines of a CSV: each day's date and each name's field are spelled once, not once
    /// per line; `names` gives the fields that follow a client id (empty for none).
    fn csv_lines(&self, header: &str, names: &dyn Fn(&str) -> String) -> String {
        let clients: Vec<String> = self
            .clients
            .iter()
            .map(|c| csv_field(c) + &names(c))
            .collect();
        let services: Vec<String> = self.services.iter().map(|s| csv_field(s)).collect();
        // About 60 bytes a line: one allocation for most reports.
        let mut out = String::with_capacity(header.len() + self.entries.len() * 64);
        out.push_str(header);
        let mut date = (UsageDay::MIN, String::new());
        for e in &self.entries {
            if date.0 != e.day {
                date = (e.day, iso_date(start_of_day(e.day)));
            }
            // Writing into a String cannot fail.
            let _ = writeln!(
                out,
                "{},{},{},{},{}",
                date.1,
                clients[e.client as usize],
                e.slot,
                services[usize::from(e.service)],
                e.count
            );
        }
        out
    }

    /// `date,client_id,slot,service,count`: one line per day, credential, key slot and service.
    /// The one CSV of the REST API, the CLI and the web portal.
    pub fn csv(&self) -> String {
        self.csv_lines("date,client_id,slot,service,count\n", &|_| String::new())
    }

    /// The same lines with each credential's title and owner after its client id
    /// (`names` answers them for a client id; unknown ones stay empty).
    pub fn csv_with_names(&self, names: &dyn Fn(&str) -> Option<(String, String)>) -> String {
        self.csv_lines(
            "date,client_id,title,owner,slot,service,count\n",
            &|client| {
                let (title, owner) = names(client).unwrap_or_default();
                format!(",{},{}", csv_field(&title), csv_field(&owner))
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::usage::UsageRow;

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
        let rows = [
            row(20_001, 1, "portal", 2),
            row(20_000, 2, "geocode", 3),
            row(20_001, 1, "portal", 5),
        ];
        let report = UsageReport::from_rows(range, rows.iter().map(UsageRow::borrowed));
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
