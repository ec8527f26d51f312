//! Expiry warnings with a controllable clock: one `key.expiring` per lead time, the smallest
//! when several are crossed at once, `key.expired` once, new warnings for a new key, the
//! organization's lead times, and the lease that lets one node at a time check.

use std::sync::Arc;

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::events::{Actor, EventFilter, EventType};
use keyportal_domain::item::ItemChanges;
use keyportal_domain::time::{DAY_MS, HOUR_MS, SECOND_MS};
use keyportal_service::{
    Caller, EventPaging, ManualClock, Portal, PortalSettings, RegisterApp, RequestFacts, SlotDates,
    TokenClient,
};
use keyportal_store::{DatabaseUrl, SqlStore};

const START: i64 = 1_750_000_000_000;

struct Setup {
    portal: Portal,
    clock: Arc<ManualClock>,
    admin: Caller,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let clock = Arc::new(ManualClock::new(START));
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .expect("store");
    let sealer = keyportal_service::Sealer::new([7u8; 32]);
    let portal = Portal::new(
        Arc::new(store),
        clock.clone(),
        PortalSettings::default(),
        sealer,
    );
    portal
        .bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    let facts = RequestFacts {
        referer: None,
        client_ip: Some("127.0.0.1".into()),
    };
    let token = portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::RequestIp,
            None,
            &facts,
        )
        .await
        .expect("token");
    let admin = portal
        .authenticate(Some(token.token.expose()), &facts)
        .await
        .expect("admin");
    Setup {
        portal,
        clock,
        admin,
        _dir: dir,
    }
}

/// A credential whose key 1 expires at `expires`: `(item id, client id, secret)`.
async fn keyed(s: &Setup, expires: i64) -> (String, String, String) {
    let changes = ItemChanges {
        title: Some("Expiring".into()),
        item_type: Some("Application".into()),
        ..Default::default()
    };
    let item = s
        .portal
        .add_item(&s.admin, "admin", None, changes, None)
        .await
        .expect("item");
    let app = s
        .portal
        .register_app(
            &s.admin,
            RegisterApp {
                item_id: item.item.id.clone(),
                privileges: vec!["premium:user:geocode:temporary".into()],
                ..Default::default()
            },
        )
        .await
        .expect("register");
    s.portal
        .update_item(
            &s.admin,
            &item.item.id,
            ItemChanges::default(),
            SlotDates {
                slot1: Some(expires),
                slot2: None,
            },
        )
        .await
        .expect("date");
    let secret = app.client_secret.expose().to_string();
    s.portal
        .mint_api_key(
            &Actor::system(),
            &app.app.client_id,
            &secret,
            KeySlot::One,
            None,
        )
        .await
        .expect("key");
    (item.item.id, app.app.client_id, secret)
}

/// `(type, leadDays, daysLeft)` of the expiry events of an item, oldest first.
async fn notices(s: &Setup, item: &str) -> Vec<(String, i64, i64)> {
    let filter = EventFilter {
        item_id: Some(item.into()),
        types: vec![EventType::KeyExpiring, EventType::KeyExpired],
        ..Default::default()
    };
    let page = s
        .portal
        .org_events(&s.admin, filter, EventPaging { start: 1, num: 100 })
        .await
        .expect("events");
    let mut out: Vec<(String, i64, i64)> = page
        .results
        .iter()
        .map(|e| {
            (
                e.kind.as_str().to_string(),
                e.details
                    .get("leadDays")
                    .and_then(|v| v.as_i64())
                    .unwrap_or(-1),
                e.details["daysLeft"].as_i64().expect("daysLeft"),
            )
        })
        .collect();
    out.reverse();
    out
}

fn n(kind: &str, lead: i64, left: i64) -> (String, i64, i64) {
    (kind.to_string(), lead, left)
}

#[tokio::test]
async fn one_warning_per_lead_time_then_expired_once() {
    let s = setup().await;
    let expires = START + 40 * DAY_MS;
    let (item, _, _) = keyed(&s, expires).await;
    assert_eq!(s.portal.record_expiry_notices().await.expect("check"), 0);
    s.clock.set(expires - 30 * DAY_MS);
    assert_eq!(s.portal.record_expiry_notices().await.expect("check"), 1);
    s.clock.set(expires - 29 * DAY_MS);
    assert_eq!(s.portal.record_expiry_notices().await.expect("check"), 0);
    s.clock.set(expires - 7 * DAY_MS + HOUR_MS);
    s.portal.record_expiry_notices().await.expect("check");
    s.clock.set(expires - 12 * HOUR_MS);
    s.portal.record_expiry_notices().await.expect("check");
    s.portal.record_expiry_notices().await.expect("again");
    s.clock.set(expires);
    s.portal.record_expiry_notices().await.expect("check");
    s.clock.set(expires + DAY_MS);
    assert_eq!(s.portal.record_expiry_notices().await.expect("check"), 0);
    assert_eq!(
        notices(&s, &item).await,
        vec![
            n("key.expiring", 30, 30),
            n("key.expiring", 7, 7),
            n("key.expiring", 1, 1),
            n("key.expired", -1, 0),
        ]
    );
}

#[tokio::test]
async fn lead_times_crossed_at_once_give_one_warning_for_the_smallest() {
    let s = setup().await;
    let expires = START + 36 * HOUR_MS;
    let (item, client_id, secret) = keyed(&s, expires).await;
    s.portal.record_expiry_notices().await.expect("check");
    assert_eq!(notices(&s, &item).await, vec![n("key.expiring", 7, 2)]);
    s.clock.set(START + 2 * HOUR_MS);
    assert_eq!(s.portal.record_expiry_notices().await.expect("check"), 0);
    // A regenerated key is a new key: its own warnings.
    s.portal
        .mint_api_key(
            &Actor::system(),
            &client_id,
            &secret,
            KeySlot::One,
            Some(true),
        )
        .await
        .expect("regenerate");
    assert_eq!(s.portal.record_expiry_notices().await.expect("check"), 1);
    assert_eq!(notices(&s, &item).await.len(), 2);
}

#[tokio::test]
async fn the_organizations_lead_times_apply() {
    let s = setup().await;
    let set = s
        .portal
        .set_expiry_warning_days(&s.admin, "[14, 2]")
        .await
        .expect("settings");
    assert_eq!(set, vec![14, 2]);
    assert_eq!(
        s.portal.event_settings(&s.admin).await.expect("read"),
        vec![14, 2]
    );
    let expires = START + 20 * DAY_MS;
    let (item, _, _) = keyed(&s, expires).await;
    s.clock.set(expires - 7 * DAY_MS);
    s.portal.record_expiry_notices().await.expect("check");
    s.clock.set(expires - DAY_MS);
    s.portal.record_expiry_notices().await.expect("check");
    assert_eq!(
        notices(&s, &item).await,
        vec![n("key.expiring", 14, 7), n("key.expiring", 2, 1)]
    );
    assert!(s
        .portal
        .set_expiry_warning_days(&s.admin, "[400]")
        .await
        .is_err());
}

#[tokio::test]
async fn one_node_at_a_time_holds_the_check() {
    let s = setup().await;
    assert_eq!(s.portal.check_expiry("node-a").await.expect("a"), Some(0));
    assert_eq!(s.portal.check_expiry("node-b").await.expect("b"), None);
    s.clock.set(START + 30 * SECOND_MS);
    assert_eq!(
        s.portal.check_expiry("node-a").await.expect("a renews"),
        Some(0)
    );
    s.clock.set(START + 100 * SECOND_MS);
    assert_eq!(s.portal.check_expiry("node-b").await.expect("b"), None);
    // Node a stops renewing: its lease lapses and b takes over.
    s.clock.set(START + 30 * SECOND_MS + 91 * SECOND_MS);
    assert_eq!(s.portal.check_expiry("node-b").await.expect("b"), Some(0));
    assert_eq!(s.portal.check_expiry("node-a").await.expect("a"), None);
}
