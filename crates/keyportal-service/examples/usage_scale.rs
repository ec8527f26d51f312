//! Usage at scale: a year of daily usage for 10,000 credentials × 3 services (about 11 million
//! rows), then the organization's report for a month and its CSV, and a flush of today's
//! counts into the full table.
//!
//!     cargo run --release -p keyportal-service --example usage_scale -- sqlite:/tmp/u.db seed
//!     cargo run --release -p keyportal-service --example usage_scale -- sqlite:/tmp/u.db
//!     ... -- postgres://postgres@127.0.0.1:5432/usage_scale [seed]
//!
//! `seed` (or `seed-only`) fills the usage table first (one INSERT … SELECT, so it takes a minute or two, not
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

/// CPU seconds this process has used (user + system), from /proc: the machine may be shared,
/// so wall time alone can mislead.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime 13th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Wall and CPU time since a mark.
struct Mark(Instant, f64);

fn mark() -> Mark {
    Mark(Instant::now(), cpu_seconds())
}

fn seconds(since: Mark) -> String {
    format!(
        "{:.3} s (CPU {:.2} s)",
        since.0.elapsed().as_secs_f64(),
        cpu_seconds() - since.1
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: usage_scale DATABASE_URL [seed]")?;
    let mode = args.next().unwrap_or_default();
    let seed = mode.starts_with("seed");
    let store = SqlStore::connect(&DatabaseUrl::parse(&url)?).await?;
    let portal = Portal::new(
        Arc::new(store.clone()),
        Arc::new(SystemClock),
        PortalSettings::default(),
        Sealer::new([7u8; 32]),
    );
    portal
        .bootstrap("Usage scale", Some("Scale-1-password".into()))
        .await?;
    let caller = portal.system_caller().await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let today = day_of(now);
    if seed {
        let started = mark();
        let mut conn = store.pool().acquire().await?;
        if store.backend_name() == "postgres" {
            // The store's sessions stop statements after 5 s; this one takes minutes.
            sqlx::query("SET statement_timeout = 0")
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(&seed_sql(today)).execute(&mut *conn).await?;
        drop(conn);
        println!(
            "seeded {} rows in {}",
            CREDENTIALS * 3 * DAYS,
            seconds(started)
        );
        if mode == "seed-only" {
            return Ok(());
        }
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
        let started = mark();
        let mut rows = 0u64;
        store
            .scan_usage(None, today - 29, today, &mut |_| rows += 1)
            .await?;
        println!("#{round} scan alone: {rows} rows in {}", seconds(started));
        if std::env::var_os("PROBE").is_some() {
            use futures_util::TryStreamExt;
            for sql in [
                "SELECT count FROM usage WHERE day >= $1 AND day <= $2",
                "SELECT day, client_id, slot, service, count FROM usage WHERE day >= $1 AND day <= $2",
                "SELECT client_id, SUM(count) FROM usage WHERE day >= $1 AND day <= $2 GROUP BY client_id",
            ] {
                let started = mark();
                let mut stream = sqlx::query(sql).bind(today - 29).bind(today).fetch(store.pool());
                let mut n = 0;
                while stream.try_next().await?.is_some() {
                    n += 1;
                }
                println!("  probe {n} rows in {}: {sql}", seconds(started));
            }
        }
        let started = mark();
        let report = portal.org_usage(&caller, None, month).await?;
        let report_time = seconds(started);
        let started = mark();
        let csv = report.csv();
        println!(
            "#{round} organization report, 30 days: {} rows, {} services in {report_time}; \
             CSV {} MB in {}",
            report.row_count(),
            report.totals.len(),
            csv.len() / 1_000_000,
            seconds(started)
        );
        let started = mark();
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
    // of today), then a day nobody wrote yet (inserts at the end of the date order); three
    // times each, the middle figure counts (the machine may be shared).
    for (what, offset) in [("existing rows", 0), ("new day", 1)] {
        let mut times = Vec::new();
        for round in 0..3 {
            let day = today + offset * (1 + round);
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
            let started = mark();
            store.add_usage(&batch).await?;
            times.push(seconds(started));
        }
        println!(
            "flush of {} counts ({what}): {}",
            CREDENTIALS * 3,
            times.join(", ")
        );
    }
    sqlx::query("DELETE FROM usage WHERE day > $1")
        .bind(today)
        .execute(store.pool())
        .await?;
    Ok(())
}
