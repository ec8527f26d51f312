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
