//! Address restrictions, rolling with a grace (across a restart and to another node), and
//! `checkAccess` in words.

use std::sync::Arc;

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::item::ItemChanges;
use keyportal_domain::time::{DAY_MS, HOUR_MS, SECOND_MS};
use keyportal_service::{
    AccessQuestion, AppChanges, Denial, KeyRequest, ManualClock, Portal, RollRequest, ServiceError,
    SlotDates,
};

use crate::helpers::*;

#[tokio::test]
async fn addresses_restrict_keys_without_deactivating_them_and_reach_other_nodes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = started(dir.path(), clock.clone()).await;
    let caller = admin(&a).await;
    let c = credential(&a, &caller, vec!["premium:user:geocode:temporary".into()]).await;
    let key = mint(&a, &c, KeySlot::One).await;
    let b = started(dir.path(), clock.clone()).await;
    let table =
        |p: &Portal, address: &str| p.key_table().check(&key, &from(address), START).map(|_| ());
    assert!(table(&a, "198.51.100.1").is_ok(), "no restriction yet");

    let bad = a
        .update_app(
            &caller,
            &c.client_id,
            AppChanges {
                allowed_addresses: Some(vec!["10.0.0.0/8".into(), "example.com".into()]),
                ..Default::default()
            },
        )
        .await;
    let Err(ServiceError::Domain(error)) = bad else {
        panic!("a bad entry is refused: {bad:?}")
    };
    assert!(format!("{error:?}").contains("'example.com'"), "{error:?}");
    assert!(table(&a, "198.51.100.1").is_ok(), "nothing changed");

    let view = a
        .update_app(
            &caller,
            &c.client_id,
            AppChanges {
                allowed_addresses: Some(vec!["203.0.113.0/24".into(), "2001:db8::1".into()]),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(
        view.app.allowed_addresses,
        vec!["203.0.113.0/24", "2001:db8::1"]
    );
    assert!(
        view.app.slot(KeySlot::One).active,
        "an address change keeps the key"
    );
    assert_eq!(table(&a, "198.51.100.1"), Err(Denial::Address));
    assert!(table(&a, "203.0.113.77").is_ok());
    assert!(table(&a, "::ffff:203.0.113.77").is_ok());
    assert!(table(&a, "2001:db8::1").is_ok());
    assert_eq!(
        a.key_table()
            .check(&key, &KeyRequest::default(), START)
            .map(|_| ()),
        Err(Denial::Address),
        "an unknown address does not pass a restricted key"
    );
    // The other node follows through the change feed.
    assert!(table(&b, "198.51.100.1").is_ok(), "B has not synced yet");
    b.sync_changes().await.expect("sync");
    assert_eq!(table(&b, "198.51.100.1"), Err(Denial::Address));
    assert!(table(&b, "203.0.113.1").is_ok());
    // The refusals are noted, never the key, and merged across nodes once written.
    a.flush_refusals().await.expect("flush a");
    b.flush_refusals().await.expect("flush b");
    let refusals = a.key_refusals(&caller, &c.item_id).await.expect("refusals");
    let reasons: Vec<&str> = refusals.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec!["address", "address", "address"],
        "{refusals:?}"
    );
    assert!(refusals.iter().any(|r| r.address == "198.51.100.1"));
    let nodes: std::collections::BTreeSet<&str> =
        refusals.iter().map(|r| r.node.as_str()).collect();
    assert_eq!(nodes.len(), 2, "both nodes' refusals are shown");
    assert!(!format!("{refusals:?}").contains(&key));
    assert_eq!(
        b.key_refusals(&caller, &c.item_id)
            .await
            .expect("on b")
            .len(),
        3
    );
}

#[tokio::test]
async fn a_roll_keeps_the_old_key_for_the_grace_even_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = started(dir.path(), clock.clone()).await;
    let caller = admin(&a).await;
    let c = credential(&a, &caller, vec!["premium:user:geocode:temporary".into()]).await;
    let old = mint(&a, &c, KeySlot::One).await;
    let b = started(dir.path(), clock.clone()).await;
    clock.set(START + HOUR_MS);
    let rolled = a
        .roll_api_key(
            &caller,
            &c.item_id,
            RollRequest {
                slot: KeySlot::One,
                grace_seconds: 24 * 3600,
                expiration: Some(START + 10 * DAY_MS),
            },
        )
        .await
        .expect("rolled");
    let new = rolled.key.expose().to_string();
    assert_eq!(rolled.slot, KeySlot::Two);
    assert_eq!(rolled.expires, START + 10 * DAY_MS);
    assert_eq!(rolled.previous_slot, KeySlot::One);
    assert_eq!(rolled.previous_expires, START + HOUR_MS + DAY_MS);
    let ok = |p: &Portal, key: &str, at: i64| p.key_table().resolve(key, None, at).map(|_| ());
    b.sync_changes().await.expect("sync");
    for node in [&a, &b] {
        assert!(ok(node, &old, START + 2 * HOUR_MS).is_ok());
        assert!(ok(node, &new, START + 2 * HOUR_MS).is_ok());
    }
    // A restart in the middle of the grace: the stored date carries it.
    drop(a);
    let restarted = started(dir.path(), clock.clone()).await;
    clock.set(START + HOUR_MS + DAY_MS - 1);
    assert!(ok(&restarted, &old, clock_now(&restarted)).is_ok());
    clock.set(START + HOUR_MS + DAY_MS);
    assert_eq!(
        ok(&restarted, &old, clock_now(&restarted)),
        Err(Denial::Expired)
    );
    assert!(ok(&restarted, &new, clock_now(&restarted)).is_ok());

    // Slot 1 is free again (expired): roll slot 2 back into it at once (grace 0).
    let caller = admin(&restarted).await;
    let back = restarted
        .roll_api_key(
            &caller,
            &c.item_id,
            RollRequest {
                slot: KeySlot::Two,
                grace_seconds: 0,
                expiration: None,
            },
        )
        .await
        .expect("rolled back");
    assert_eq!(back.slot, KeySlot::One);
    let now = clock_now(&restarted);
    assert_eq!(
        ok(&restarted, &new, now),
        Err(Denial::Expired),
        "grace 0 ends it now"
    );
    assert!(ok(&restarted, back.key.expose(), now).is_ok());

    // The other slot busy: a clear 400 naming it, nothing changed.
    // (Slot 2's date passed with the grace: a new date first, as for any expired slot.)
    restarted
        .update_item(
            &caller,
            &c.item_id,
            ItemChanges::default(),
            SlotDates {
                slot1: None,
                slot2: Some(now + DAY_MS),
            },
        )
        .await
        .expect("date");
    let fresh = mint(&restarted, &c, KeySlot::Two).await;
    let before_busy = restarted
        .app_info(&caller, &c.item_id)
        .await
        .expect("info")
        .app;
    let busy = restarted
        .roll_api_key(
            &caller,
            &c.item_id,
            RollRequest {
                slot: KeySlot::One,
                grace_seconds: 60,
                expiration: None,
            },
        )
        .await;
    let Err(ServiceError::Domain(error)) = busy else {
        panic!("refused: {busy:?}")
    };
    assert!(
        format!("{error:?}").contains("API key 2 is active"),
        "{error:?}"
    );
    assert_eq!(
        restarted
            .app_info(&caller, &c.item_id)
            .await
            .expect("info")
            .app,
        before_busy
    );
    assert!(ok(&restarted, &fresh, now).is_ok());
    // Grace beyond 30 days is refused.
    let long = restarted
        .roll_api_key(
            &caller,
            &c.item_id,
            RollRequest {
                slot: KeySlot::One,
                grace_seconds: 31 * DAY_MS / SECOND_MS,
                expiration: None,
            },
        )
        .await;
    assert!(matches!(long, Err(ServiceError::Domain(_))), "{long:?}");
}

fn clock_now(portal: &Portal) -> i64 {
    portal.now()
}

#[tokio::test]
async fn check_access_explains_in_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let portal = started(dir.path(), clock.clone()).await;
    let caller = admin(&portal).await;
    let c = credential(
        &portal,
        &caller,
        vec!["premium:user:geocode:temporary".into()],
    )
    .await;
    mint(&portal, &c, KeySlot::One).await;
    portal
        .update_app(
            &caller,
            &c.client_id,
            AppChanges {
                http_referrers: Some(vec!["https://app.example.com".into()]),
                ..Default::default()
            },
        )
        .await
        .expect("referrers");
    let ask = |referer: &str| AccessQuestion {
        referer: Some(referer.into()),
        ..Default::default()
    };
    let no = portal
        .check_access(
            &caller,
            &c.item_id,
            KeySlot::One,
            &ask("https://evil.example.com"),
        )
        .await
        .expect("answer");
    assert!(!no.allowed);
    assert_eq!(no.reason, Some("referrer"));
    assert_eq!(
        no.message,
        "The key's referrers do not include https://evil.example.com."
    );
    let yes = portal
        .check_access(
            &caller,
            &c.item_id,
            KeySlot::One,
            &ask("https://app.example.com/x"),
        )
        .await
        .expect("answer");
    assert!(yes.allowed, "{yes:?}");
    let empty = portal
        .check_access(
            &caller,
            &c.item_id,
            KeySlot::Two,
            &ask("https://app.example.com"),
        )
        .await
        .expect("answer");
    assert_eq!(empty.reason, Some("inactive"));
    let bad = portal
        .check_access(
            &caller,
            &c.item_id,
            KeySlot::One,
            &AccessQuestion {
                address: Some("not-an-ip".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(bad, Err(ServiceError::Domain(_))), "{bad:?}");
    let later = portal
        .check_access(
            &caller,
            &c.item_id,
            KeySlot::One,
            &AccessQuestion {
                referer: Some("https://app.example.com".into()),
                time: Some(START + 31 * DAY_MS),
                ..Default::default()
            },
        )
        .await
        .expect("answer");
    assert_eq!(later.reason, Some("expired"), "{later:?}");
    // Nothing was counted as a refusal.
    portal.flush_refusals().await.expect("flush");
    assert!(portal
        .key_refusals(&caller, &c.item_id)
        .await
        .expect("refusals")
        .is_empty());
}
