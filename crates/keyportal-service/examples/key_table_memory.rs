//! Bytes per key of the in-memory key table: builds N legacy keys (the shape of an import:
//! one owner, one privilege list, no referrers) and M credentials with one API key each, and
//! reports the growth of the process's resident memory (the crate forbids `unsafe`, so no
//! counting allocator: RSS is also the figure that matters, allocator overhead included).
//!
//!     cargo run --release -p keyportal-service --example key_table_memory -- 1000000 10000

use std::time::Instant;

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::{
    AppRegistration, AppType, SlotState, DEFAULT_KEY_LIFETIME_MS, OUT_OF_BAND_REDIRECT,
};
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::secret::sha256_hex;
use keyportal_service::key_table::{KeyTable, OwnerState};

const NOW: i64 = 1_750_000_000_000;

fn rss_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn legacy(n: usize) -> LegacyKey {
    LegacyKey {
        item_id: format!("{:032x}", n as u128 * 0x9e37_79b9_7f4a_7c15),
        owner: "admin".into(),
        key_hash: sha256_hex(&format!("AAPK-bench-{n}")),
        key_hint: "AAPKabcd…wxyz".into(),
        privileges: vec!["premium:user:geocode:temporary".into()],
        http_referrers: vec![],
        active: true,
        created: NOW,
        last_used: -1,
    }
}

fn credential(n: usize) -> AppRegistration {
    let mut app = AppRegistration {
        item_id: format!("{:032x}", (n as u128 + 1) << 64),
        client_id: format!("client{n:010}"),
        owner: format!("owner{}", n % 100),
        app_type: AppType::Multiple,
        redirect_uris: vec![OUT_OF_BAND_REDIRECT.into()],
        http_referrers: vec!["https://*.example.com".into()],
        allowed_addresses: vec![],
        privileges: vec![
            "premium:user:basemaps".into(),
            "premium:user:geocode:temporary".into(),
        ],
        is_personal: false,
        registered: NOW,
        modified: NOW,
        slots: [SlotState::empty(), SlotState::empty()],
        revision: 0,
    };
    let _ = app.mint(KeySlot::One, None, NOW, DEFAULT_KEY_LIFETIME_MS);
    app
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n_legacy: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let n_apps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let table = KeyTable::new();
    for owner in std::iter::once("admin".to_string()).chain((0..100).map(|i| format!("owner{i}"))) {
        table.put_owner(
            &owner,
            Some(OwnerState {
                org_id: "org".into(),
                privileges: ["premium:user:basemaps", "premium:user:geocode:temporary"]
                    .into_iter()
                    .collect(),
                disabled: false,
            }),
        );
    }
    let rss0 = rss_bytes();
    let started = Instant::now();
    for n in 0..n_legacy {
        // Built one at a time, as the streaming load does: only the table stays.
        table.put_legacy(&legacy(n));
    }
    let legacy_time = started.elapsed();
    let rss1 = rss_bytes();
    for n in 0..n_apps {
        table.put_app(&credential(n), &[]);
    }
    let rss2 = rss_bytes();
    let per = |bytes: i64, n: usize| bytes as f64 / n.max(1) as f64;
    println!("keys in table: {}", table.len());
    println!(
        "legacy keys: {n_legacy}: RSS {:.0} B/key, built in {:.2} s",
        per(rss1 - rss0, n_legacy),
        legacy_time.as_secs_f64()
    );
    println!(
        "credentials: {n_apps} (one API key each): RSS {:.0} B/key",
        per(rss2 - rss1, n_apps)
    );
    println!(
        "process RSS {:.0} MB (table {:.0} MB)",
        rss2 as f64 / 1e6,
        (rss2 - rss0) as f64 / 1e6
    );
}
