//! The streaming load of legacy keys at start, in two parts: the store's scan alone, then the
//! scan into a key table, with wall and CPU time (the machine may be shared).
//!
//!     cargo run --release -p keyportal-service --example key_table_load -- sqlite:DATA_DIR/keyportal.db

use std::time::Instant;

use keyportal_service::key_table::KeyTable;
use keyportal_store::{DatabaseUrl, LegacyKeyStore, SqlStore};

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
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

fn rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: key_table_load DATABASE_URL")?;
    let store = SqlStore::connect(&DatabaseUrl::parse(&url)?).await?;
    for round in 1..=2 {
        let (wall, cpu) = (Instant::now(), cpu_seconds());
        let mut n = 0u64;
        store.scan_active_legacy_keys(&mut |_| n += 1).await?;
        println!(
            "#{round} scan alone: {n} keys in {:.2} s (CPU {:.2} s)",
            wall.elapsed().as_secs_f64(),
            cpu_seconds() - cpu
        );
        let table = KeyTable::new();
        let (wall, cpu) = (Instant::now(), cpu_seconds());
        store
            .scan_active_legacy_keys(&mut |key| table.put_legacy_grant(key))
            .await?;
        println!(
            "#{round} scan into the table: {} keys in {:.2} s (CPU {:.2} s), RSS {} MB",
            table.len(),
            wall.elapsed().as_secs_f64(),
            cpu_seconds() - cpu,
            rss_mb()
        );
    }
    Ok(())
}
