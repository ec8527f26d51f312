//! Settings and the change feed that carries writes to other processes.

use std::collections::BTreeSet;
use std::time::Duration;

use keyportal_store::{ChangeFeed, SettingsStore, SqlStore};

use crate::credentials::now_ms;

pub(crate) async fn settings_are_set_replaced_and_deleted(store: &SqlStore) {
    assert_eq!(
        store.get_setting("legacyKeyRetirement").await.expect("get"),
        None
    );
    store
        .set_setting("legacyKeyRetirement", "1735689600000")
        .await
        .expect("set");
    store.set_setting("motd", "Grüße 👋").await.expect("set");
    assert_eq!(
        store.get_setting("legacyKeyRetirement").await.expect("get"),
        Some("1735689600000".into())
    );
    store
        .set_setting("legacyKeyRetirement", "")
        .await
        .expect("replace");
    assert_eq!(
        store.get_setting("legacyKeyRetirement").await.expect("get"),
        Some(String::new())
    );
    assert_eq!(
        store.get_setting("motd").await.expect("get"),
        Some("Grüße 👋".into())
    );
    // Names are exact.
    assert_eq!(store.get_setting("MOTD").await.expect("get"), None);

    store
        .delete_setting("legacyKeyRetirement")
        .await
        .expect("delete");
    assert_eq!(
        store.get_setting("legacyKeyRetirement").await.expect("get"),
        None
    );
    store
        .delete_setting("legacyKeyRetirement")
        .await
        .expect("deleting an absent setting is fine");
    assert_eq!(
        store.get_setting("motd").await.expect("get"),
        Some("Grüße 👋".into())
    );
}

// ---------------------------------------------------------------------------------------------
// Change feed
// ---------------------------------------------------------------------------------------------

pub(crate) async fn change_feed_orders_limits_and_prunes(store: &SqlStore) {
    assert_eq!(store.latest_change().await.expect("latest"), 0);
    assert!(store.changes_since(0, 10).await.expect("since").is_empty());
    assert_eq!(store.prune_changes(i64::MAX).await.expect("prune"), 0);

    let subjects = ["app:0123", "user:jdoe", "role:r1", "settings", "user:ünï"];
    let before = now_ms();
    let mut seqs = Vec::new();
    for subject in subjects {
        seqs.push(store.publish_change(subject).await.expect("publish"));
    }
    let after = now_ms();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    assert_eq!(store.latest_change().await.expect("latest"), 5);

    let all: Vec<(i64, String)> = seqs
        .iter()
        .zip(subjects)
        .map(|(seq, subject)| (*seq, subject.to_string()))
        .collect();
    assert_eq!(store.changes_since(0, 100).await.expect("since"), all);
    assert_eq!(store.changes_since(0, 2).await.expect("since"), all[..2]);
    assert_eq!(store.changes_since(2, 2).await.expect("since"), all[2..4]);
    assert_eq!(store.changes_since(3, 100).await.expect("since"), all[3..]);
    assert!(store.changes_since(5, 100).await.expect("since").is_empty());
    assert!(store.changes_since(0, 0).await.expect("since").is_empty());

    // Published at the wall clock (epoch ms).
    let stamps: Vec<i64> = sqlx::query_scalar("SELECT published FROM changes ORDER BY seq")
        .fetch_all(store.pool())
        .await
        .expect("stamps");
    assert!(
        stamps.iter().all(|t| (before..=after).contains(t)),
        "{stamps:?}"
    );

    // Back-date the first three notices to prune them by age.
    sqlx::query("UPDATE changes SET published = seq * 100 WHERE seq <= 3")
        .execute(store.pool())
        .await
        .expect("back-date");
    assert_eq!(store.prune_changes(100).await.expect("prune"), 0);
    assert_eq!(store.prune_changes(201).await.expect("prune"), 2);
    assert_eq!(store.changes_since(0, 100).await.expect("since"), all[2..]);

    // Pruning everything keeps the newest notice, so numbering never restarts.
    assert_eq!(store.prune_changes(i64::MAX).await.expect("prune"), 2);
    assert_eq!(store.changes_since(0, 100).await.expect("since"), all[4..]);
    assert_eq!(store.latest_change().await.expect("latest"), 5);
    assert_eq!(store.publish_change("app:next").await.expect("publish"), 6);
    assert_eq!(
        store.changes_since(5, 100).await.expect("since"),
        vec![(6, "app:next".to_string())]
    );
}

const PUBLISHERS: usize = 4;
const PUBLISHES_EACH: usize = 25;

/// Several nodes (two stores on one database) and several tasks each publish at once: every
/// number is distinct, each publisher sees its own numbers increase, and the feed holds
/// exactly 1..=100 in order.
pub(crate) async fn change_numbers_are_unique_across_concurrent_publishers(store: &SqlStore) {
    let second = SqlStore::connect(store.url()).await.expect("second store");
    let mut tasks = Vec::new();
    for publisher in 0..PUBLISHERS {
        let node = if publisher % 2 == 0 {
            store.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::with_capacity(PUBLISHES_EACH);
            for n in 0..PUBLISHES_EACH {
                let subject = format!("user:p{publisher}_{n:02}");
                seqs.push(node.publish_change(&subject).await.expect("publish"));
            }
            seqs
        }));
    }
    let mut all = BTreeSet::new();
    for task in tasks {
        let seqs = task.await.expect("publisher task");
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        all.extend(seqs);
    }
    let total = (PUBLISHERS * PUBLISHES_EACH) as i64;
    assert_eq!(all, (1..=total).collect::<BTreeSet<i64>>());
    assert_eq!(second.latest_change().await.expect("latest"), total);
    let feed = store.changes_since(0, 1_000).await.expect("since");
    assert_eq!(
        feed.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>()
    );
    let subjects: BTreeSet<&str> = feed.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(subjects.len(), PUBLISHERS * PUBLISHES_EACH);
    second.pool().close().await;
}

/// On PostgreSQL a publish on one node wakes a listener opened by another node; SQLite has no
/// listener (callers poll).
pub(crate) async fn listeners_wake_on_publishes_from_other_stores(store: &SqlStore) {
    let Some(mut listener) = store.listen_changes().await.expect("listen") else {
        assert_eq!(store.backend_name(), "sqlite");
        return;
    };
    assert_eq!(store.backend_name(), "postgres");
    assert!(!format!("{listener:?}").is_empty());
    let publisher = SqlStore::connect(store.url()).await.expect("second node");

    // Nothing is pending before the first publish.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), listener.recv())
            .await
            .is_err(),
        "no notice was published yet"
    );
    for expected in 1..=3 {
        let seq = publisher
            .publish_change("app:woken")
            .await
            .expect("publish");
        assert_eq!(seq, expected);
        tokio::time::timeout(Duration::from_secs(1), listener.recv())
            .await
            .expect("woken within a second")
            .expect("notice");
        // The row is visible once the notice arrives (NOTIFY is delivered at commit).
        assert_eq!(store.latest_change().await.expect("latest"), seq);
    }

    // A second listener of the same node hears the same notices.
    let mut other = store
        .listen_changes()
        .await
        .expect("listen")
        .expect("postgres listener");
    store.publish_change("settings").await.expect("publish");
    for l in [&mut listener, &mut other] {
        tokio::time::timeout(Duration::from_secs(1), l.recv())
            .await
            .expect("woken within a second")
            .expect("notice");
    }
    publisher.pool().close().await;
}
