//! Keys revoked as leaked (schema version 15): the revocation and its record together, only
//! while the reported key is still the one stored.

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::SlotState;
use keyportal_domain::leak::KeyLeak;
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_store::{AppStore, ItemStore, LeakStore, LegacyKeyStore, SqlStore};

use crate::credentials::{add_items, app};
use crate::fixtures::*;

fn live_slot(hash: &str, hint: &str) -> SlotState {
    SlotState {
        expiration: 9_000_000,
        active: true,
        key_hash: Some(hash.into()),
        key_hint: Some(hint.into()),
        created: 100,
        last_used: 200,
    }
}

fn leak(n: u64, slot: Option<KeySlot>, revoked: i64, source: &str) -> KeyLeak {
    KeyLeak {
        item_id: hex_id(n),
        slot,
        key_hint: "AAPTab…wxyz".into(),
        revoked,
        source: source.into(),
    }
}

/// An API key slot is revoked only while it holds the reported key, and the record says when
/// and where; the other slot and a second report of the same key change nothing.
pub(crate) async fn leaked_api_keys_are_revoked_and_recorded_once(store: &SqlStore) {
    add_items(store, 2).await;
    let mut registration = app(1, "leakClient1");
    registration.slots = [
        live_slot(&"a1".repeat(32), "AAPTa1…0001"),
        live_slot(&"b2".repeat(32), "AAPTb2…0002"),
    ];
    store
        .create_app(&registration, "sealed")
        .await
        .expect("app");
    let revoked = SlotState::empty();
    let found_at = "https://github.com/o/r/blob/main/app.js#L3 — «copié»";

    // The wrong hash for the slot: nothing happens.
    assert!(!store
        .revoke_leaked_key(
            &leak(1, Some(KeySlot::One), 5_000, found_at),
            &"b2".repeat(32),
            &revoked
        )
        .await
        .expect("revoke"));
    assert!(store
        .key_leaks_of(&hex_id(1), 10)
        .await
        .expect("leaks")
        .is_empty());

    assert!(store
        .revoke_leaked_key(
            &leak(1, Some(KeySlot::One), 5_000, found_at),
            &"a1".repeat(32),
            &revoked
        )
        .await
        .expect("revoke"));
    let stored = store
        .get_app_by_item(&hex_id(1))
        .await
        .expect("get")
        .expect("app");
    assert_eq!(stored.app.slots[0], SlotState::empty());
    assert_eq!(
        stored.app.slots[1], registration.slots[1],
        "the other slot is untouched"
    );
    assert_eq!(stored.app.modified, 5_000);
    assert_eq!(stored.app.revision, registration.revision + 1);
    // A writer holding the old revision must reload (and so sees the revocation).
    assert!(store.update_app(&registration).await.is_err());

    // The same key reported again: already gone, no second record.
    assert!(!store
        .revoke_leaked_key(
            &leak(1, Some(KeySlot::One), 6_000, "elsewhere"),
            &"a1".repeat(32),
            &revoked
        )
        .await
        .expect("revoke again"));
    assert_eq!(
        store.key_leaks_of(&hex_id(1), 10).await.expect("leaks"),
        vec![leak(1, Some(KeySlot::One), 5_000, found_at)]
    );

    // Slot 2 later: newest first.
    assert!(store
        .revoke_leaked_key(
            &leak(1, Some(KeySlot::Two), 7_000, ""),
            &"b2".repeat(32),
            &revoked
        )
        .await
        .expect("revoke slot 2"));
    let leaks = store.key_leaks_of(&hex_id(1), 10).await.expect("leaks");
    assert_eq!(leaks.len(), 2);
    assert_eq!(leaks[0].slot, Some(KeySlot::Two));
    assert_eq!(leaks[0].source, "");
    assert_eq!(
        store
            .key_leaks_of(&hex_id(1), 1)
            .await
            .expect("limit")
            .len(),
        1
    );
    // An item without an app, or unknown: nothing.
    assert!(!store
        .revoke_leaked_key(
            &leak(2, Some(KeySlot::One), 1, ""),
            &"a1".repeat(32),
            &revoked
        )
        .await
        .expect("no app"));
    assert!(store
        .key_leaks_of(&hex_id(99), 10)
        .await
        .expect("none")
        .is_empty());

    // The records go with the item.
    store.delete_app(&hex_id(1)).await.expect("delete app");
    store.delete_item(&hex_id(1)).await.expect("delete item");
    assert!(store
        .key_leaks_of(&hex_id(1), 10)
        .await
        .expect("gone")
        .is_empty());
}

/// A legacy key is deactivated (not deleted) while active; an inactive one is not a leak.
pub(crate) async fn leaked_legacy_keys_are_deactivated_and_recorded(store: &SqlStore) {
    add_items(store, 2).await;
    let key = |n: u64, byte: &str, active: bool| LegacyKey {
        item_id: hex_id(n),
        owner: "appowner".into(),
        key_hash: byte.repeat(64),
        key_hint: "AAPK12…wxyz".into(),
        privileges: vec![],
        http_referrers: vec![],
        active,
        created: 1,
        last_used: -1,
    };
    store
        .insert_legacy_key(&key(1, "c", true))
        .await
        .expect("key 1");
    store
        .insert_legacy_key(&key(2, "d", false))
        .await
        .expect("key 2");
    let unchanged = SlotState::empty();
    assert!(!store
        .revoke_leaked_key(&leak(1, None, 10, "x"), &"d".repeat(64), &unchanged)
        .await
        .expect("wrong hash"));
    assert!(store
        .revoke_leaked_key(&leak(1, None, 10, "paste"), &"c".repeat(64), &unchanged)
        .await
        .expect("revoke"));
    let stored = store
        .get_legacy_key(&hex_id(1))
        .await
        .expect("get")
        .expect("kept");
    assert!(!stored.active);
    assert_eq!(stored.key_hash, "c".repeat(64));
    assert!(!store
        .revoke_leaked_key(&leak(2, None, 10, "x"), &"d".repeat(64), &unchanged)
        .await
        .expect("inactive"));
    assert_eq!(
        store.key_leaks_of(&hex_id(1), 10).await.expect("leaks"),
        vec![leak(1, None, 10, "paste")]
    );
    assert!(store
        .key_leaks_of(&hex_id(2), 10)
        .await
        .expect("none")
        .is_empty());
    // Items are there (the legacy keys' items): deleting one takes its records along.
    store
        .delete_legacy_key(&hex_id(1))
        .await
        .expect("delete key");
    store.delete_item(&hex_id(1)).await.expect("delete item");
    assert!(store
        .key_leaks_of(&hex_id(1), 10)
        .await
        .expect("gone")
        .is_empty());
}

/// A database of schema 14 gets the table on connect, its items untouched.
pub(crate) async fn migration_15_adds_the_leak_records(store: &SqlStore) {
    add_items(store, 1).await;
    for statement in UNDO_MIGRATION_15 {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .expect("back to before migration 15");
    }
    assert_eq!(store.schema_version().await.expect("version"), 14);
    let upgraded = SqlStore::connect(store.url()).await.expect("upgrade");
    assert_eq!(
        upgraded.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );
    assert!(upgraded.get_item(&hex_id(1)).await.expect("item").is_some());
    assert!(upgraded
        .key_leaks_of(&hex_id(1), 10)
        .await
        .expect("table there")
        .is_empty());
    upgraded.pool().close().await;
}
