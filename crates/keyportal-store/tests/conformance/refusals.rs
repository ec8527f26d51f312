//! Recent key refusals (migration 14): batches from several nodes, cut to the newest per item.

use keyportal_store::{RefusalStore, SqlStore, StoredRefusal};

fn refusal(item: &str, at: i64, node: &str, seq: i64) -> StoredRefusal {
    StoredRefusal {
        item_id: item.into(),
        at,
        node: node.into(),
        seq,
        slot: 1,
        reason: "referrer".into(),
        referer: "https://evil.example.com/ünïcode".into(),
        address: "2001:db8::1".into(),
        service: String::new(),
    }
}

/// Two nodes write the same item; reading merges them newest first, a repeat is ignored, each
/// write keeps only the newest `keep` rows of its items, and pruning deletes by time.
pub(crate) async fn refusals_merge_nodes_and_keep_only_the_newest(store: &SqlStore) {
    let item = "a".repeat(32);
    let other = "b".repeat(32);
    let first: Vec<StoredRefusal> = (0..4).map(|i| refusal(&item, 100 + i, "n1", i)).collect();
    store.add_refusals(&first, 5).await.expect("node 1");
    let mut second: Vec<StoredRefusal> = (0..3).map(|i| refusal(&item, 102 + i, "n2", i)).collect();
    second.push(refusal(&other, 50, "n2", 9));
    // A batch written twice (a retry after a failure that had in fact committed).
    second.push(first[0].clone());
    store.add_refusals(&second, 5).await.expect("node 2");
    let recent = store.recent_refusals(&item, 100).await.expect("read");
    let got: Vec<(i64, &str, i64)> = recent
        .iter()
        .map(|r| (r.at, r.node.as_str(), r.seq))
        .collect();
    // Seven written, the newest five kept: 104 n2, 103 n2, 103 n1, 102 n2, 102 n1.
    assert_eq!(
        got,
        vec![
            (104, "n2", 2),
            (103, "n2", 1),
            (103, "n1", 3),
            (102, "n2", 0),
            (102, "n1", 2)
        ]
    );
    assert_eq!(
        recent[0],
        refusal(&item, 104, "n2", 2),
        "every field reads back"
    );
    assert_eq!(
        store.recent_refusals(&item, 2).await.expect("limit").len(),
        2
    );
    assert_eq!(
        store
            .recent_refusals(&other, 100)
            .await
            .expect("other")
            .len(),
        1
    );
    assert!(store
        .recent_refusals("none", 100)
        .await
        .expect("none")
        .is_empty());
    store.add_refusals(&[], 5).await.expect("empty batch");
    assert_eq!(store.prune_refusals(103).await.expect("prune"), 3);
    assert_eq!(
        store.recent_refusals(&item, 100).await.expect("read").len(),
        3
    );
    assert!(store
        .recent_refusals(&other, 100)
        .await
        .expect("other")
        .is_empty());
}
