//! Usage counts: batched adds that sum exactly, also from concurrent writers.

use keyportal_domain::usage::UsageRow;
use keyportal_store::{SqlStore, UsageStore};

fn row(day: i64, client: &str, slot: u8, service: &str, count: u64) -> UsageRow {
    UsageRow {
        day,
        client_id: client.into(),
        slot,
        service: service.into(),
        count,
    }
}

pub(crate) async fn usage_adds_up_and_reads_by_range(store: &SqlStore) {
    store
        .add_usage(&[
            row(100, "a", 1, "geocode", 5),
            row(100, "a", 2, "geocode", 1),
            row(101, "b", 1, "portal", 7),
        ])
        .await
        .expect("add");
    store
        .add_usage(&[
            row(100, "a", 1, "geocode", 3),
            row(102, "a", 1, "basemaps", 2),
        ])
        .await
        .expect("add again");
    store.add_usage(&[]).await.expect("an empty batch is fine");
    let a = store
        .usage_between(Some("a"), 100, 101)
        .await
        .expect("read");
    assert_eq!(
        a,
        vec![
            row(100, "a", 1, "geocode", 8),
            row(100, "a", 2, "geocode", 1)
        ]
    );
    let all = store.usage_between(None, 0, 1000).await.expect("read all");
    assert_eq!(all.len(), 4);
    assert_eq!(all.iter().map(|r| r.count).sum::<u64>(), 18);
    assert!(store
        .usage_between(Some("a"), 103, 200)
        .await
        .expect("read")
        .is_empty());
}

pub(crate) async fn concurrent_flushes_add_up_exactly(store: &SqlStore) {
    let mut tasks = Vec::new();
    for writer in 0..4u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                store
                    .add_usage(&[
                        row(7, "shared", 1, "geocode", writer + 1),
                        row(7, "shared", 2, "portal", 1),
                    ])
                    .await
                    .expect("add");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let rows = store
        .usage_between(Some("shared"), 7, 7)
        .await
        .expect("read");
    assert_eq!(
        rows,
        vec![
            row(7, "shared", 1, "geocode", 25 * (1 + 2 + 3 + 4)),
            row(7, "shared", 2, "portal", 100)
        ]
    );
}

async fn scanned(
    store: &SqlStore,
    client_id: Option<&str>,
    first: i64,
    last: i64,
) -> Vec<UsageRow> {
    let mut rows = Vec::new();
    let seen = store
        .scan_usage(client_id, first, last, &mut |r| {
            rows.push(UsageRow {
                day: r.day,
                client_id: r.client_id.to_string(),
                slot: r.slot,
                service: r.service.to_string(),
                count: r.count,
            })
        })
        .await
        .expect("scan");
    assert_eq!(seen, rows.len() as u64);
    rows.sort();
    rows
}

/// The report read: every row of a range of days (packed per day in the database), or one
/// client's; a name holding the packing's separators is still read exactly.
pub(crate) async fn usage_scans_a_range_of_days_exactly(store: &SqlStore) {
    let mut stored = vec![
        row(200, "a", 1, "geocode", 5),
        row(200, "a", 2, "geocode", 1),
        row(200, "b", 0, "portal", 7),
        row(201, "b", 1, "basemaps", 2),
        row(203, "a", 1, "geocode", 4),
        row(199, "a", 1, "geocode", 100),
    ];
    store.add_usage(&stored).await.expect("add");
    stored.sort();
    assert_eq!(scanned(store, None, 200, 203).await, stored[1..].to_vec());
    assert_eq!(
        scanned(store, Some("a"), 200, 203).await,
        vec![
            row(200, "a", 1, "geocode", 5),
            row(200, "a", 2, "geocode", 1),
            row(203, "a", 1, "geocode", 4),
        ]
    );
    assert!(scanned(store, None, 300, 400).await.is_empty());
    assert!(scanned(store, Some("a\0"), 0, 400).await.is_empty());
    // Names keyportal never writes, holding the record and field separators of the packing.
    let odd = [
        row(202, "x\u{1e}y", 1, "geocode", 3),
        row(202, "z", 1, "geo\u{1f}code", 9),
        row(202, "plain", 1, "portal", 1),
    ];
    store.add_usage(&odd).await.expect("add");
    let mut expected = odd.to_vec();
    expected.sort();
    assert_eq!(scanned(store, None, 202, 202).await, expected);
}
