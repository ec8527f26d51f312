//! Usage at scale: a year of daily usage for 10,000 credentials × 3 services (about 11 million
//! rows), then the organization's report for a month and its CSV, and a flush of today's
//! counts into the full table.
//!
//!     cargo run --release -p keyportal-service --example usage_scale -- sqlite:/tmp/u.db seed
//!     cargo run --release -p keyportal-service --example usage_scale -- sqlite:/tmp/u.db
//!     ... -- postgres://postgres@127.0.0.1:5432/usage_scale [seed]
//!
//! `seed` fills the usage table first (one INSERT … SELECT, so it takes a minute or two, not
//! the hours of one flush per day); the database must be empty or hold only this data.

use std::sync::Arc;
use std::time::Instant;

use keyportal_domain::usage::{day_of, start_of_day, ReportPeriod, UsageRow};
use keyportal_service::{Portal, PortalSettings, Sealer, SystemClock};
use keyportal_store::{DatabaseUrl, SqlStore, UsageStore};

const CREDENTIALS: i64 = 10_000;
const DAYS: i64 = 365;

/// The year as one statement both backends run: days × credentials × services.
fn seed_sql(today: i64) -> String {
    format!(
        "WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < {last_day}), \
         c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < {last_credential}), \
         s(name, k) AS (SELECT 'geocode', 1 UNION ALL SELECT 'basemaps', 2 \
                        UNION ALL SELECT 'portal', 3) \
         INSERT INTO usage (day, client_id, slot, service, count) \
         SELECT {first} + d.n, 'C' || CAST(1000000000000000 + c.n AS TEXT), 1, s.name, \
                1 + (c.n * 7 + d.n * 13 + s.k * 101) % 1000 \
         FROM d, c, s",
        last_day = DAYS - 1,
        last_credential = CREDENTIALS - 1,
        first = today - (DAYS - 1),
    )
}

fn seconds(since: Instant) -> String {
    format!("{:.3} s", since.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: usage_scale DATABASE_URL [seed]")?;
    let seed = args.next().as_deref() == Some("seed");
    let store = SqlStore::connect(&DatabaseUrl::parse(&url)?).await?;
    let portal = Portal::new(
        Arc::new(store.clone()),
        Arc::new(SystemClock),
        PortalSettings::default(),
        Sealer::new([7u8; 32]),
    );
    portal.bootstrap("Usage scale", Some("Scale-1-password".into())).await?;
    let caller = portal.system_caller().await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let today = day_of(now);
    if seed {
        let started = Instant::now();
        sqlx::query(&seed_sql(today)).execute(store.pool()).await?;
        println!("seeded {} rows in {}", CREDENTIALS * 3 * DAYS, seconds(started));
    }
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM usage")
        .fetch_one(store.pool())
        .await?;
    println!("{} usage rows ({})", rows, store.backend_name());

    for round in 1..=3 {
        let month = ReportPeriod::Custom {
            from: start_of_day(today - 29),
            to: start_of_day(today),
        };
        let started = Instant::now();
        let report = portal.org_usage(&caller, None, month).await?;
        let report_time = seconds(started);
        let started = Instant::now();
        let csv = report.csv();
        println!(
            "#{round} organization report, 30 days: {} rows, {} services in {report_time}; \
             CSV {} MB in {}",
            report.row_count(),
            report.totals.len(),
            csv.len() / 1_000_000,
            seconds(started)
        );
        let started = Instant::now();
        let one = portal
            .org_usage(&caller, Some("C1000000000004242"), month)
            .await?;
        println!(
            "#{round} one credential, 30 days: {} rows in {}",
            one.row_count(),
            seconds(started)
        );
    }

    // Today's flush: every credential used every service once more (upserts onto the rows
    // of today), then a day nobody wrote yet (inserts at the end of the date order).
    for (what, day) in [("existing rows", today), ("new day", today + 1)] {
        let batch: Vec<UsageRow> = (0..CREDENTIALS)
            .flat_map(|c| {
                ["geocode", "basemaps", "portal"].map(|service| UsageRow {
                    day,
                    client_id: format!("C{}", 1_000_000_000_000_000 + c),
                    slot: 1,
                    service: service.into(),
                    count: 1,
                })
            })
            .collect();
        let started = Instant::now();
        store.add_usage(&batch).await?;
        println!("flush of {} counts ({what}) in {}", batch.len(), seconds(started));
    }
    sqlx::query("DELETE FROM usage WHERE day > $1")
        .bind(today)
        .execute(store.pool())
        .await?;
    Ok(())
}
