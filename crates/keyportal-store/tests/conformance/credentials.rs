//! Registered apps, app tokens and legacy keys (schema version 2).

use keyportal_domain::credential::{AppRegistration, AppToken, AppType, SlotState};
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_store::{
    AppStore, ItemStore, KeyUse, LegacyKeyStore, SqlStore, StoreError, StoredApp, UserStore,
};

use crate::fixtures::*;

const OWNER: &str = "appowner";

/// A bare registration (both slots empty) for item `n`, whose item must exist.
pub(crate) fn app(n: u64, client_id: &str) -> AppRegistration {
    AppRegistration {
        item_id: hex_id(n),
        client_id: client_id.into(),
        owner: OWNER.into(),
        app_type: AppType::Multiple,
        redirect_uris: vec![],
        http_referrers: vec![],
        allowed_addresses: vec![],
        privileges: vec![],
        is_personal: false,
        registered: 1_000 + n as i64,
        modified: 1_000 + n as i64,
        slots: [SlotState::empty(), SlotState::empty()],
        revision: 0,
    }
}

/// A registration with every field set to something distinctive, both slots included.
pub(crate) fn full_app(n: u64, client_id: &str) -> AppRegistration {
    AppRegistration {
        app_type: AppType::Browser,
        redirect_uris: vec![
            "urn:ietf:wg:oauth:2.0:oob".into(),
            "https://app.example.com/callback?x=1".into(),
        ],
        http_referrers: vec![
            "https://*.exämple.com/*".into(),
            "https://日本.example/地図/*".into(),
            "http://localhost:8080/".into(),
        ],
        allowed_addresses: vec!["203.0.113.0/24".into(), "2001:db8::1".into()],
        privileges: vec![
            format!("portal:app:access:item:{}", hex_id(900)),
            "premium:user:basemaps".into(),
            "premium:user:geocode".into(),
        ],
        is_personal: true,
        registered: 1_700_000_000_000,
        modified: 1_700_000_000_500,
        slots: [
            SlotState {
                expiration: 1_731_000_000_000,
                active: true,
                key_hash: Some("ab".repeat(32)),
                key_hint: Some("AAPTxy…a1b2".into()),
                created: 1_700_000_000_100,
                last_used: 1_700_000_000_200,
            },
            SlotState {
                expiration: 1_732_000_000_000,
                active: false,
                key_hash: None,
                key_hint: Some("AAPTk2…zz99".into()),
                created: -1,
                last_used: -1,
            },
        ],
        ..app(n, client_id)
    }
}

/// The owner and the `Application` items 1..=count they register.
pub(crate) async fn add_items(store: &SqlStore, count: u64) {
    if store.get_user(OWNER).await.expect("get").is_none() {
        add_user(store, OWNER).await;
    }
    for n in 1..=count {
        store
            .insert_item(&item(n, OWNER, None, n as i64))
            .await
            .expect("item");
    }
}

fn key_use(client_id: &str, slot: u8, when: i64) -> KeyUse {
    KeyUse {
        client_id: client_id.into(),
        slot,
        when,
    }
}

fn app_token(hash: &str, client_id: &str, created: i64, expires: i64) -> AppToken {
    AppToken {
        hash: hash.into(),
        client_id: client_id.into(),
        created,
        expires,
    }
}

fn legacy_key(n: u64, hash_byte: &str) -> LegacyKey {
    LegacyKey {
        item_id: hex_id(n),
        owner: OWNER.into(),
        key_hash: hash_byte.repeat(64),
        key_hint: "AAPK12…wxyz".into(),
        privileges: vec![
            format!("portal:app:access:item:{}", hex_id(901)),
            "premium:user:geocode".into(),
        ],
        http_referrers: vec!["https://ä.example.com/*".into()],
        active: true,
        created: 500 + n as i64,
        last_used: -1,
    }
}

async fn slot_last_used(store: &SqlStore, client_id: &str) -> [i64; 2] {
    let stored = store
        .get_app_by_client_id(client_id)
        .await
        .expect("get")
        .expect("app exists");
    [stored.app.slots[0].last_used, stored.app.slots[1].last_used]
}

// ---------------------------------------------------------------------------------------------
// Apps
// ---------------------------------------------------------------------------------------------

pub(crate) async fn apps_round_trip_every_field(store: &SqlStore) {
    add_items(store, 3).await;
    let full = full_app(1, "clientFull");
    let bare = app(2, "clientBare");
    store
        .create_app(&full, "sealed:v1:nonce:ciphertext")
        .await
        .expect("create full");
    store
        .create_app(&bare, "sealed-2")
        .await
        .expect("create bare");

    let expected = StoredApp {
        app: full.clone(),
        sealed_secret: "sealed:v1:nonce:ciphertext".into(),
    };
    assert_eq!(
        store.get_app_by_item(&full.item_id).await.expect("get"),
        Some(expected.clone())
    );
    assert_eq!(
        store.get_app_by_client_id("clientFull").await.expect("get"),
        Some(expected)
    );
    let stored_bare = store
        .get_app_by_client_id("clientBare")
        .await
        .expect("get")
        .expect("bare app");
    assert_eq!(stored_bare.app, bare);
    assert_eq!(stored_bare.sealed_secret, "sealed-2");

    assert_eq!(store.get_app_by_item(&hex_id(3)).await.expect("get"), None);
    assert_eq!(
        store.get_app_by_client_id("nobody").await.expect("get"),
        None
    );
    // Client ids are matched exactly.
    assert_eq!(
        store.get_app_by_client_id("CLIENTFULL").await.expect("get"),
        None
    );

    for app_type in [AppType::Native, AppType::Server] {
        let mut a = app(3, "clientTyped");
        a.app_type = app_type;
        store.create_app(&a, "s").await.expect("create");
        let got = store.get_app_by_item(&a.item_id).await.expect("get");
        assert_eq!(got.map(|s| s.app.app_type), Some(app_type));
        store.delete_app(&a.item_id).await.expect("delete");
    }

    // Oldest registration first.
    assert_eq!(store.list_apps().await.expect("list"), vec![bare, full]);
}

pub(crate) async fn app_conflicts_and_missing_items(store: &SqlStore) {
    add_items(store, 2).await;
    let first = app(1, "clientOne");
    store.create_app(&first, "s1").await.expect("create");

    assert_conflict(
        store.create_app(&app(1, "clientOther"), "s").await,
        "already registered",
    );
    assert_conflict(
        store.create_app(&app(2, "clientOne"), "s").await,
        "clientOne",
    );
    assert_not_found(store.create_app(&app(77, "clientNew"), "s").await);
    // Nothing of the refused registrations was stored.
    assert_eq!(store.list_apps().await.expect("list"), vec![first.clone()]);
    assert_eq!(
        store
            .get_app_by_client_id("clientOther")
            .await
            .expect("get"),
        None
    );

    assert_not_found(store.update_app(&app(2, "clientTwo")).await);
    assert_not_found(store.delete_app(&hex_id(2)).await);

    store
        .create_app(&app(2, "clientTwo"), "s2")
        .await
        .expect("create");
    assert_conflict(store.update_app(&app(2, "clientOne")).await, "clientOne");
    assert_eq!(
        store
            .get_app_by_item(&hex_id(2))
            .await
            .expect("get")
            .map(|s| s.app.client_id),
        Some("clientTwo".into())
    );
}

pub(crate) async fn app_updates_replace_every_field_but_the_secret(store: &SqlStore) {
    add_items(store, 1).await;
    let bare = app(1, "clientUpd");
    store
        .create_app(&bare, "the-sealed-secret")
        .await
        .expect("create");

    let mut full = full_app(1, "clientUpd");
    store.update_app(&full).await.expect("update");
    full.revision += 1;
    let stored = store
        .get_app_by_item(&full.item_id)
        .await
        .expect("get")
        .expect("app");
    assert_eq!(stored.app, full);
    assert_eq!(stored.sealed_secret, "the-sealed-secret");

    // And back: NULL hashes and hints, empty lists, false flags survive an update too.
    let mut bare = bare;
    bare.revision = full.revision;
    store.update_app(&bare).await.expect("update back");
    bare.revision += 1;
    let stored = store
        .get_app_by_client_id("clientUpd")
        .await
        .expect("get")
        .expect("app");
    assert_eq!(stored.app, bare);
    assert_eq!(stored.sealed_secret, "the-sealed-secret");

    // The client id is a field like the others.
    let mut renamed = app(1, "clientRenamed");
    renamed.revision = bare.revision;
    store.update_app(&renamed).await.expect("rename");
    assert_eq!(
        store.get_app_by_client_id("clientUpd").await.expect("get"),
        None
    );
    assert!(store
        .get_app_by_client_id("clientRenamed")
        .await
        .expect("get")
        .is_some());
}

pub(crate) async fn delete_app_removes_its_tokens_and_frees_the_item(store: &SqlStore) {
    add_items(store, 2).await;
    store
        .create_app(&app(1, "clientGone"), "s")
        .await
        .expect("create");
    store
        .create_app(&app(2, "clientKept"), "s")
        .await
        .expect("create");
    for (hash, client) in [
        ("t1", "clientGone"),
        ("t2", "clientGone"),
        ("t3", "clientKept"),
    ] {
        store
            .insert_app_token(&app_token(hash, client, 1, 1_000))
            .await
            .expect("token");
    }

    // The item cannot go while its app exists: the service deletes the app first.
    assert!(store.delete_item(&hex_id(1)).await.is_err());
    assert!(store.get_item(&hex_id(1)).await.expect("get").is_some());

    store.delete_app(&hex_id(1)).await.expect("delete app");
    assert_eq!(store.get_app_by_item(&hex_id(1)).await.expect("get"), None);
    assert_eq!(
        store.get_app_by_client_id("clientGone").await.expect("get"),
        None
    );
    assert_eq!(
        store.list_app_tokens(0).await.expect("tokens"),
        vec![app_token("t3", "clientKept", 1, 1_000)]
    );
    assert_not_found(store.delete_app(&hex_id(1)).await);
    assert_eq!(
        store.list_apps().await.expect("list"),
        vec![app(2, "clientKept")]
    );

    // The item and the client id are free to be registered again.
    store
        .create_app(&app(1, "clientGone"), "s")
        .await
        .expect("register again");
    assert!(store.list_app_tokens(0).await.expect("tokens").len() == 1);
    store.delete_app(&hex_id(1)).await.expect("delete app");
    store
        .delete_item(&hex_id(1))
        .await
        .expect("item deletable now");
    assert!(store.get_item(&hex_id(1)).await.expect("get").is_none());
}

pub(crate) async fn key_uses_only_raise_last_used(store: &SqlStore) {
    add_items(store, 2).await;
    let mut used = full_app(1, "clientUse");
    used.slots[0].created = 100;
    used.slots[0].last_used = 500;
    used.slots[1] = SlotState {
        expiration: 9_000,
        active: true,
        key_hash: Some("cd".repeat(32)),
        key_hint: Some("AAPTk2…0000".into()),
        created: 200,
        last_used: -1,
    };
    store.create_app(&used, "s").await.expect("create");
    store
        .create_app(&app(2, "clientIdle"), "s")
        .await
        .expect("create");

    store.record_key_uses(&[]).await.expect("empty batch");
    store
        .record_key_uses(&[
            key_use("clientUse", 1, 400),     // older than recorded: ignored
            key_use("unknownClient", 1, 900), // skipped
            key_use("clientUse", 2, 700),
            key_use("clientUse", 2, 650), // lower than the previous entry of the batch
            key_use("clientUse", 1, 600),
        ])
        .await
        .expect("record");
    assert_eq!(slot_last_used(store, "clientUse").await, [600, 700]);
    assert_eq!(slot_last_used(store, "clientIdle").await, [-1, -1]);
    assert_eq!(
        store
            .get_app_by_client_id("unknownClient")
            .await
            .expect("get"),
        None
    );

    store
        .record_key_uses(&[key_use("clientUse", 1, 600), key_use("clientUse", 1, 10)])
        .await
        .expect("record");
    assert_eq!(slot_last_used(store, "clientUse").await, [600, 700]);

    // A use older than the slot's current key was made with the key it replaced.
    store
        .record_key_uses(&[key_use("clientUse", 2, 150)])
        .await
        .expect("record");
    let mut fresh = store
        .get_app_by_client_id("clientUse")
        .await
        .expect("get")
        .expect("app")
        .app;
    fresh.slots[1].created = 800;
    fresh.slots[1].last_used = -1;
    store.update_app(&fresh).await.expect("regenerated slot 2");
    fresh.revision += 1;
    store
        .record_key_uses(&[key_use("clientUse", 2, 750), key_use("clientIdle", 2, 5)])
        .await
        .expect("record");
    assert_eq!(slot_last_used(store, "clientUse").await, [600, -1]);
    assert_eq!(slot_last_used(store, "clientIdle").await, [-1, 5]);

    // Only last_used changes.
    let after = store
        .get_app_by_client_id("clientUse")
        .await
        .expect("get")
        .expect("app")
        .app;
    let mut expected = fresh.clone();
    expected.slots[0].last_used = 600;
    assert_eq!(after, expected);

    // A slot other than 1 or 2 refuses the whole batch before anything is written.
    assert_conflict(
        store
            .record_key_uses(&[
                key_use("clientUse", 1, 5_000),
                key_use("clientUse", 3, 5_000),
            ])
            .await,
        "slot 3",
    );
    assert_eq!(slot_last_used(store, "clientUse").await, [600, -1]);
}

pub(crate) async fn app_tokens_are_listed_until_they_expire(store: &SqlStore) {
    let tokens = [
        app_token(&"a".repeat(64), "clientA", 10, 100),
        app_token(&"b".repeat(64), "clientA", 20, 200),
        app_token(&"c".repeat(64), "clientB", 30, 300),
    ];
    for t in &tokens {
        store.insert_app_token(t).await.expect("insert");
    }
    assert_conflict(store.insert_app_token(&tokens[0]).await, "already");

    assert_eq!(
        store.list_app_tokens(0).await.expect("list"),
        tokens.to_vec()
    );
    assert_eq!(
        store.list_app_tokens(99).await.expect("list"),
        tokens.to_vec()
    );
    // Expired from the `expires` instant on.
    assert_eq!(
        store.list_app_tokens(100).await.expect("list"),
        tokens[1..].to_vec()
    );
    assert_eq!(
        store.list_app_tokens(299).await.expect("list"),
        tokens[2..].to_vec()
    );
    assert!(store.list_app_tokens(300).await.expect("list").is_empty());

    store.delete_app_tokens_of("clientA").await.expect("delete");
    assert_eq!(
        store.list_app_tokens(0).await.expect("list"),
        tokens[2..].to_vec()
    );
    store
        .delete_app_tokens_of("clientA")
        .await
        .expect("nothing left is fine");
}

// ---------------------------------------------------------------------------------------------
// Legacy keys
// ---------------------------------------------------------------------------------------------

pub(crate) async fn legacy_keys_round_trip_update_and_delete(store: &SqlStore) {
    add_items(store, 3).await;
    let first = legacy_key(2, "e");
    let mut second = legacy_key(1, "f");
    second.created = 9_999;
    second.active = false;
    second.privileges = vec![];
    second.http_referrers = vec![];
    store.insert_legacy_key(&first).await.expect("insert");
    store.insert_legacy_key(&second).await.expect("insert");

    assert_eq!(
        store.get_legacy_key(&first.item_id).await.expect("get"),
        Some(first.clone())
    );
    assert_eq!(
        store.get_legacy_key(&second.item_id).await.expect("get"),
        Some(second.clone())
    );
    assert_eq!(store.get_legacy_key(&hex_id(3)).await.expect("get"), None);
    // By item id.
    assert_eq!(
        all_legacy_keys(store).await,
        vec![second.clone(), first.clone()]
    );

    // Same hash on another item, or a second key for the same item.
    let mut same_hash = legacy_key(3, "e");
    same_hash.key_hint = "other".into();
    assert_conflict(store.insert_legacy_key(&same_hash).await, "already exists");
    assert_conflict(
        store.insert_legacy_key(&legacy_key(2, "0")).await,
        "already exists",
    );
    assert_not_found(store.insert_legacy_key(&legacy_key(88, "8")).await);
    assert_eq!(all_legacy_keys(store).await.len(), 2);

    let mut changed = first.clone();
    changed.active = false;
    changed.last_used = 12_345;
    changed.owner = "newowner".into();
    changed.privileges = vec!["premium:user:basemaps".into()];
    changed.http_referrers = vec!["https://ü.example/*".into(), "https://x.example/".into()];
    changed.key_hint = "AAPK99…0000".into();
    store.update_legacy_key(&changed).await.expect("update");
    assert_eq!(
        store.get_legacy_key(&first.item_id).await.expect("get"),
        Some(changed.clone())
    );
    let mut stolen_hash = changed.clone();
    stolen_hash.key_hash = second.key_hash.clone();
    assert_conflict(
        store.update_legacy_key(&stolen_hash).await,
        "already exists",
    );
    assert_not_found(store.update_legacy_key(&legacy_key(3, "3")).await);

    store
        .delete_legacy_key(&first.item_id)
        .await
        .expect("delete");
    assert_eq!(
        store.get_legacy_key(&first.item_id).await.expect("get"),
        None
    );
    assert_not_found(store.delete_legacy_key(&first.item_id).await);
    // Its hash is free again, and its item can be deleted.
    store
        .delete_item(&first.item_id)
        .await
        .expect("item deletable");
    let mut reused = legacy_key(3, "e");
    reused.created = 1;
    store
        .insert_legacy_key(&reused)
        .await
        .expect("hash reusable");
    assert_eq!(all_legacy_keys(store).await, vec![second, reused]);
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).expect("fits"))
        .expect("after 1970")
}

/// Optimistic concurrency: an update based on a stale read is refused and changes nothing.
pub(crate) async fn stale_app_updates_are_refused(store: &SqlStore) {
    add_items(store, 1).await;
    let original = app(1, "clientRev");
    store.create_app(&original, "sealed").await.expect("create");
    let mut first = original.clone();
    first.http_referrers = vec!["https://first.example.com".into()];
    let mut second = original.clone();
    second.http_referrers = vec!["https://second.example.com".into()];
    store.update_app(&first).await.expect("first writer wins");
    assert!(matches!(
        store.update_app(&second).await,
        Err(StoreError::Conflict(_))
    ));
    let stored = store
        .get_app_by_item(&original.item_id)
        .await
        .expect("get")
        .expect("app")
        .app;
    assert_eq!(
        stored.http_referrers,
        vec!["https://first.example.com".to_string()]
    );
    assert_eq!(stored.revision, 1);
    second.revision = stored.revision;
    store
        .update_app(&second)
        .await
        .expect("a fresh read succeeds");
    let mut gone = second.clone();
    gone.item_id = hex_id(9);
    assert!(matches!(
        store.update_app(&gone).await,
        Err(StoreError::NotFound)
    ));
}
