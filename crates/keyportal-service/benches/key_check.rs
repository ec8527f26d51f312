//! The in-memory key check — resolve + referrer + privilege + item access — with 1,000 and
//! 1,000,000 keys in the table. Target (issue 3): under 1 µs per check, flat in table size.
//!
//!     cargo bench -p keyportal-service --bench key_check

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::{
    AppRegistration, AppType, SlotState, DEFAULT_KEY_LIFETIME_MS, OUT_OF_BAND_REDIRECT,
};
use keyportal_service::key_table::{KeyTable, OwnerState};

const NOW: i64 = 1_750_000_000_000;
const ITEM: &str = "0123456789abcdef0123456789abcdef";

fn credential(n: usize, referrers: Vec<String>) -> AppRegistration {
    AppRegistration {
        item_id: format!("{n:032x}"),
        client_id: format!("client{n:010}"),
        owner: "owner".into(),
        app_type: AppType::Multiple,
        redirect_uris: vec![OUT_OF_BAND_REDIRECT.into()],
        http_referrers: referrers,
        allowed_addresses: vec![],
        privileges: vec![
            "premium:user:basemaps".into(),
            "premium:user:geocode:temporary".into(),
            format!("portal:app:access:item:{ITEM}"),
        ],
        is_personal: false,
        registered: NOW,
        modified: NOW,
        slots: [SlotState::empty(), SlotState::empty()],
        revision: 0,
    }
}

/// A table with `n` credentials (one key each); returns the table, one referrer-restricted key
/// and a sample of 4,096 other keys spread over the table (for cache-cold lookups).
fn table_with(n: usize) -> (KeyTable, String, Vec<String>) {
    let table = KeyTable::new();
    table.put_owner(
        "owner",
        Some(OwnerState {
            org_id: "org".into(),
            privileges: ["premium:user:basemaps", "premium:user:geocode:temporary"]
                .into_iter()
                .collect(),
            disabled: false,
        }),
    );
    let mut measured = String::new();
    let mut sample = Vec::with_capacity(4096);
    let stride = (n / 4096).max(1);
    for i in 0..n {
        let referrers = if i == n / 2 {
            vec![
                "https://*.example.com".into(),
                "https://app.test.org/maps".into(),
            ]
        } else {
            vec![]
        };
        let mut app = credential(i, referrers);
        let minted = app
            .mint(KeySlot::One, None, NOW, DEFAULT_KEY_LIFETIME_MS)
            .expect("mint");
        if i == n / 2 {
            measured = minted.key.expose().to_string();
        } else if i % stride == 0 && sample.len() < 4096 {
            sample.push(minted.key.expose().to_string());
        }
        table.put_app(&app, &[]);
    }
    (table, measured, sample)
}

fn key_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("key_check");
    for n in [1_000usize, 1_000_000] {
        let (table, key, sample) = table_with(n);
        group.bench_with_input(
            BenchmarkId::new("resolve+referrer+privilege+item", n),
            &n,
            |b, _| {
                b.iter(|| {
                    let resolved = table
                        .resolve(
                            black_box(&key),
                            black_box(Some("https://maps.dev.example.com/app?x=1")),
                            NOW,
                        )
                        .expect("allowed");
                    black_box(
                        resolved.allows(black_box("premium:user:geocode:temporary"))
                            && resolved.grants_item(black_box(ITEM)),
                    )
                })
            },
        );
        // A different key each time, spread over the whole table: the lookup misses the CPU
        // caches as real traffic would.
        let mut next = 0usize;
        group.bench_with_input(BenchmarkId::new("rotating_keys", n), &n, |b, _| {
            b.iter(|| {
                next = (next + 1) % sample.len();
                let resolved = table
                    .resolve(black_box(&sample[next]), None, NOW)
                    .expect("allowed");
                black_box(resolved.allows(black_box("premium:user:basemaps")))
            })
        });
        group.bench_with_input(BenchmarkId::new("refused_wrong_referrer", n), &n, |b, _| {
            b.iter(|| {
                black_box(
                    table
                        .resolve(
                            black_box(&key),
                            black_box(Some("https://evil.example.net/")),
                            NOW,
                        )
                        .is_err(),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, key_check);
criterion_main!(benches);
