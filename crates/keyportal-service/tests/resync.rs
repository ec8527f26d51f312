//! A node that fell behind the change feed: notices it missed are applied when it catches
//! up, and when they were purged before it could read them it reloads its whole key table
//! (atomically) instead of keeping stale keys. Two portals on one SQLite database.

use keyportal_domain::events::Actor;
use std::sync::Arc;

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::item::ItemChanges;
use keyportal_service::{
    Caller, ManualClock, Portal, RegisterApp, RequestFacts, ServiceError, TokenClient,
};
use keyportal_store::{DatabaseUrl, SqlStore};

mod support;
use support::portal_on;

const START: i64 = 1_750_000_000_000;
const REFERER: &str = "https://app.example.com";

fn facts() -> RequestFacts {
    RequestFacts {
        referer: Some(REFERER.into()),
        client_ip: Some("127.0.0.1".into()),
    }
}

async fn admin(portal: &Portal) -> Caller {
    let issued = portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::Referer(REFERER.into()),
            Some(60),
            &facts(),
        )
        .await
        .expect("token");
    portal
        .authenticate(Some(issued.token.expose()), &facts())
        .await
        .expect("admin")
}

/// Registers credentials on `portal` and mints both keys: `(client id, secret, key 1, key 2)`.
async fn credentials(portal: &Portal, caller: &Caller) -> (String, String, String, String) {
    let item = portal
        .add_item(
            caller,
            "admin",
            None,
            ItemChanges {
                title: Some("Keys".into()),
                item_type: Some("Application".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("item");
    let view = portal
        .register_app(
            caller,
            RegisterApp {
                item_id: item.item.id.clone(),
                app_type: "multiple".into(),
                redirect_uris: vec![],
                http_referrers: vec![],
                privileges: vec!["premium:user:geocode:temporary".into()],
                is_personal: None,
                allowed_addresses: Vec::new(),
            },
        )
        .await
        .expect("registered");
    let client_id = view.app.client_id.clone();
    let secret = view.client_secret.expose().to_string();
    let mut keys = Vec::new();
    for slot in KeySlot::ALL {
        let minted = portal
            .mint_api_key(&Actor::system(), &client_id, &secret, slot, None)
            .await
            .expect("minted");
        keys.push(minted.key.expose().to_string());
    }
    let key2 = keys.pop().expect("key 2");
    let key1 = keys.pop().expect("key 1");
    (client_id, secret, key1, key2)
}

fn honoured(portal: &Portal, key: &str) -> bool {
    portal.key_table().resolve(key, None, START).is_ok()
}

#[tokio::test]
async fn a_node_behind_a_purged_change_feed_reloads_its_whole_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = portal_on(dir.path(), clock.clone()).await;
    a.bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    a.load_key_table().await.expect("load a");
    let caller = admin(&a).await;
    let (client_id, secret, key1, key2) = credentials(&a, &caller).await;
    let b = portal_on(dir.path(), clock.clone()).await;
    b.load_key_table().await.expect("load b");
    assert!(honoured(&b, &key1) && honoured(&b, &key2));

    // Missed notices are caught up from B's position.
    a.revoke_api_key(&Actor::system(), &client_id, &secret, KeySlot::One)
        .await
        .expect("revoked");
    assert!(!honoured(&a, &key1) && honoured(&b, &key1));
    assert!(b.sync_changes().await.expect("sync") >= 1);
    assert!(!honoured(&b, &key1), "B applied the notice it had missed");

    // Now B misses more than the feed keeps: A revokes key 2 and mints a new key 1, then every
    // notice but the newest is purged (as after a day away).
    a.revoke_api_key(&Actor::system(), &client_id, &secret, KeySlot::Two)
        .await
        .expect("revoked");
    let fresh = a
        .mint_api_key(&Actor::system(), &client_id, &secret, KeySlot::One, None)
        .await
        .expect("minted")
        .key
        .expose()
        .to_string();
    let other = credentials(&a, &caller).await;
    let purged = a.store().prune_changes(i64::MAX).await.expect("pruned");
    assert!(purged >= 2, "{purged} notices purged");
    assert!(honoured(&b, &key2) && !honoured(&b, &fresh) && !honoured(&b, &other.2));

    b.sync_changes().await.expect("sync reloads");
    assert!(
        !honoured(&b, &key2),
        "a key revoked in the purged notices is refused"
    );
    assert!(
        honoured(&b, &fresh),
        "a key minted in the purged notices is honoured"
    );
    assert!(honoured(&b, &other.2) && honoured(&b, &other.3));
    assert!(!honoured(&b, &key1));
    // And B follows the feed from the new position.
    a.revoke_api_key(&Actor::system(), &other.0, &other.1, KeySlot::One)
        .await
        .expect("revoked");
    b.sync_changes().await.expect("sync");
    assert!(!honoured(&b, &other.2) && honoured(&b, &other.3));
}

#[tokio::test]
async fn key_uses_and_counts_whose_write_failed_are_written_with_the_next_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = portal_on(dir.path(), clock.clone()).await;
    a.bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    a.load_key_table().await.expect("load");
    let caller = admin(&a).await;
    let (client_id, _, key1, _) = credentials(&a, &caller).await;
    clock.set(START + 5_000);
    let verdict = a
        .verify(&keyportal_service::VerifyRequest {
            token: Some(&key1),
            service: Some("geocode"),
            ..Default::default()
        })
        .expect("verify");
    assert!(matches!(verdict, keyportal_service::Verdict::Allowed(_)));

    // Another process holds SQLite's write lock past the busy timeout: the writes fail as
    // "unavailable" and nothing counted is dropped.
    let other = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .expect("second store");
    let lock = other
        .pool()
        .begin_with(std::borrow::Cow::Borrowed("BEGIN IMMEDIATE"))
        .await
        .expect("write lock");
    let failed = a.flush_key_uses().await;
    assert!(
        matches!(failed, Err(ServiceError::Unavailable(_))),
        "{failed:?}"
    );
    let failed = a.flush_usage().await;
    assert!(
        matches!(failed, Err(ServiceError::Unavailable(_))),
        "{failed:?}"
    );
    lock.rollback().await.expect("released");

    assert_eq!(a.flush_key_uses().await.expect("written"), 1);
    assert_eq!(a.flush_usage().await.expect("written"), 1);
    let stored = a
        .store()
        .get_app_by_client_id(&client_id)
        .await
        .expect("read")
        .expect("app");
    assert_eq!(stored.app.slots[0].last_used, START + 5_000);
    let rows = a
        .store()
        .usage_between(Some(&client_id), 0, i64::MAX)
        .await
        .expect("usage");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].service.as_str(), rows[0].count), ("geocode", 1));
}
