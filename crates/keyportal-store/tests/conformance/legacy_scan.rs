//! The streaming read of active legacy keys the key table is loaded from at start.

use keyportal_domain::legacy_key::LegacyKey;
use keyportal_store::{LegacyKeyGrant, LegacyKeyStore, SqlStore};

use crate::credentials::add_items;
use crate::fixtures::*;

fn key(n: u64, privileges: &[&str], referrers: &[&str], active: bool) -> LegacyKey {
    LegacyKey {
        item_id: hex_id(n),
        owner: "appowner".into(),
        key_hash: format!("{n:064x}"),
        key_hint: "AAPK12…wxyz".into(),
        privileges: privileges.iter().map(|p| p.to_string()).collect(),
        http_referrers: referrers.iter().map(|r| r.to_string()).collect(),
        active,
        created: 100 + n as i64,
        last_used: 7_000 + n as i64,
    }
}

async fn scan(store: &SqlStore) -> Vec<LegacyKeyGrant> {
    let mut seen = Vec::new();
    let count = store
        .scan_active_legacy_keys(&mut |entry| seen.push(entry.clone()))
        .await
        .expect("scan");
    assert_eq!(count, seen.len() as u64);
    seen.sort_by(|a, b| a.item_id.cmp(&b.item_id));
    seen
}

pub(crate) async fn legacy_key_scan_streams_active_keys_with_their_lists(store: &SqlStore) {
    assert_eq!(scan(store).await, vec![]);
    add_items(store, 5).await;
    let geocode = ["premium:user:geocode"];
    let keys = [
        key(1, &geocode, &[], true),
        // Same lists as the one before (the scan reuses what it parsed): still its own.
        key(2, &geocode, &[], true),
        key(
            3,
            &["premium:user:basemaps"],
            &["https://ä.example.com/*"],
            true,
        ),
        key(4, &geocode, &["https://x.example/"], false),
        key(5, &[], &[], true),
    ];
    for k in &keys {
        store.insert_legacy_key(k).await.expect("insert");
    }
    let expected: Vec<LegacyKeyGrant> = keys
        .iter()
        .filter(|k| k.active)
        .map(|k| LegacyKeyGrant {
            item_id: k.item_id.clone(),
            key_hash: k.key_hash.clone(),
            owner: k.owner.clone(),
            privileges: k.privileges.clone(),
            http_referrers: k.http_referrers.clone(),
            last_used: k.last_used,
        })
        .collect();
    assert_eq!(scan(store).await, expected, "inactive keys are left out");
}
