//! The audit trail: events written with the change they record (and not without it),
//! appended on their own once per `once` key, listed newest first with filters and paging,
//! and pruned by age.

use keyportal_domain::events::{Actor, ActorKind, Event, EventFilter, EventType};
use keyportal_store::{
    AppStore, EventStore, ItemStore, RoleStore, SettingsStore, SqlStore, StoreError, UserStore,
};

use crate::credentials::{add_items, app};
use crate::fixtures::*;

fn actor(name: &str) -> Actor {
    Actor {
        name: Some(name.into()),
        kind: ActorKind::User,
        address: Some("192.0.2.7".into()),
    }
}

fn event(kind: EventType, time: i64) -> Event {
    Event::new(kind, &actor("admin"), time)
}

async fn all(store: &SqlStore) -> Vec<Event> {
    store
        .list_events(&EventFilter::default(), 0, 1000)
        .await
        .expect("list")
        .events
}

/// Every field survives the round trip; the `once` key is never read back.
pub(crate) async fn events_round_trip_every_field(store: &SqlStore) {
    let mut written = event(EventType::KeyGenerated, 1_000)
        .credential(&hex_id(1), Some("client1"))
        .slot(2)
        .member("jdoe")
        .detail("keyHint", "AAPTabcd…wxyz")
        .detail("expires", 5_000);
    let ids = store
        .append_events(std::slice::from_ref(&written))
        .await
        .expect("append");
    assert_eq!(ids, vec![written.id.clone()]);
    let bare = Event::new(EventType::SigninFailed, &Actor::system(), 2_000);
    store
        .append_events(std::slice::from_ref(&bare))
        .await
        .expect("append bare");
    let listed = all(store).await;
    assert_eq!(listed, vec![bare, written.clone()]);
    written.once = Some("x".into());
    assert_eq!(listed[1].once, None);
}

/// A change's events are written with it, and not at all when the change fails.
pub(crate) async fn events_commit_and_roll_back_with_their_change(store: &SqlStore) {
    add_items(store, 2).await;
    let a = app(1, "clientEv");
    store
        .create_app_recorded(&a, "sealed", &[event(EventType::CredentialCreated, 1)])
        .await
        .expect("create");
    // A second registration of the item fails: its event must not be written.
    assert!(matches!(
        store
            .create_app_recorded(&a, "sealed", &[event(EventType::CredentialCreated, 2)])
            .await,
        Err(StoreError::Conflict(_))
    ));
    let mut changed = a.clone();
    changed.http_referrers = vec!["https://a.example.com".into()];
    store
        .update_app_recorded(&changed, &[event(EventType::CredentialUpdated, 3)])
        .await
        .expect("update");
    // Stale revision: conflict, no event.
    assert!(store
        .update_app_recorded(&changed, &[event(EventType::CredentialUpdated, 4)])
        .await
        .is_err());
    let stored = store
        .get_item(&hex_id(2))
        .await
        .expect("get")
        .expect("item");
    store
        .update_item_recorded(&stored.item, &[event(EventType::CredentialUpdated, 5)])
        .await
        .expect("update item");
    store
        .delete_app_recorded(&a.item_id, &[event(EventType::CredentialDeleted, 6)])
        .await
        .expect("delete app");
    assert!(store
        .delete_app_recorded(&a.item_id, &[event(EventType::CredentialDeleted, 7)])
        .await
        .is_err());
    store
        .delete_item_recorded(&hex_id(2), &[event(EventType::CredentialDeleted, 8)])
        .await
        .expect("delete item");
    let bob = user("bob");
    store
        .create_user_recorded(&bob, "hash", &[event(EventType::MemberCreated, 9)])
        .await
        .expect("create user");
    assert!(store
        .create_user_recorded(&bob, "hash", &[event(EventType::MemberCreated, 10)])
        .await
        .is_err());
    store
        .update_user_recorded(&bob, &[event(EventType::MemberDisabled, 11)])
        .await
        .expect("update user");
    store
        .delete_user_recorded("bob", &[event(EventType::MemberDeleted, 12)])
        .await
        .expect("delete user");
    assert!(store
        .delete_user_recorded("bob", &[event(EventType::MemberDeleted, 13)])
        .await
        .is_err());
    let r = role("r1", "Role one", &["portal:user:createItem"]);
    store
        .create_role_recorded(&r, &[event(EventType::RoleCreated, 14)])
        .await
        .expect("create role");
    store
        .update_role_recorded(&r, &[event(EventType::RoleChanged, 15)])
        .await
        .expect("update role");
    store
        .delete_role_recorded("r1", &[event(EventType::RoleDeleted, 16)])
        .await
        .expect("delete role");
    assert!(store
        .delete_role_recorded("r1", &[event(EventType::RoleDeleted, 17)])
        .await
        .is_err());
    store
        .set_setting_recorded("limits:x", "{}", &[event(EventType::LimitsChanged, 18)])
        .await
        .expect("set");
    store
        .delete_setting_recorded("limits:x", &[event(EventType::LimitsChanged, 19)])
        .await
        .expect("delete setting");
    let times: Vec<i64> = all(store).await.iter().map(|e| e.time).collect();
    assert_eq!(
        times,
        vec![19, 18, 16, 15, 14, 12, 11, 9, 8, 6, 5, 3, 1],
        "only the events of changes that happened"
    );
}

/// A `once` key is recorded once, whoever tries again.
pub(crate) async fn once_keys_record_a_notice_once(store: &SqlStore) {
    let first = event(EventType::KeyExpiring, 1).once("k:1".into());
    let again = event(EventType::KeyExpiring, 2).once("k:1".into());
    let other = event(EventType::KeyExpired, 3).once("k:2".into());
    assert_eq!(
        store
            .append_events(std::slice::from_ref(&first))
            .await
            .expect("first"),
        vec![first.id.clone()]
    );
    assert_eq!(
        store
            .append_events(&[again, other.clone()])
            .await
            .expect("again"),
        vec![other.id.clone()]
    );
    let mut recorded = store
        .once_keys_recorded(&["k:1".into(), "k:2".into(), "k:3".into()])
        .await
        .expect("recorded");
    recorded.sort();
    assert_eq!(recorded, vec!["k:1".to_string(), "k:2".to_string()]);
    assert_eq!(all(store).await.len(), 2);
}

/// Filters combine, pages follow each other newest first, totals count every match.
pub(crate) async fn events_are_filtered_and_paged_newest_first(store: &SqlStore) {
    let mut events = Vec::new();
    for n in 0..30i64 {
        let kind = if n % 3 == 0 {
            EventType::KeyGenerated
        } else {
            EventType::MemberCreated
        };
        let mut e = Event::new(
            kind,
            &actor(if n % 2 == 0 { "ann" } else { "ben" }),
            100 + n,
        );
        if n % 5 == 0 {
            e = e.credential(&hex_id(7), None);
        }
        e = e.member(if n < 10 { "carl" } else { "dora" });
        events.push(e);
    }
    store.append_events(&events).await.expect("append");
    let page = store
        .list_events(&EventFilter::default(), 0, 7)
        .await
        .expect("page");
    assert_eq!(page.total, 30);
    assert_eq!(
        page.events.iter().map(|e| e.time).collect::<Vec<_>>(),
        (123..=129).rev().collect::<Vec<_>>()
    );
    let next = store
        .list_events(&EventFilter::default(), 7, 7)
        .await
        .expect("next page");
    assert_eq!(next.events[0].time, 122);
    let filter = EventFilter {
        types: vec![EventType::KeyGenerated],
        actor: Some("ann".into()),
        start_time: Some(103),
        end_time: Some(124),
        ..EventFilter::default()
    };
    let page = store.list_events(&filter, 0, 100).await.expect("filtered");
    // n % 3 == 0, n even, 3 <= n <= 24: 6, 12, 18, 24.
    assert_eq!(
        page.events.iter().map(|e| e.time).collect::<Vec<_>>(),
        vec![124, 118, 112, 106]
    );
    assert_eq!(page.total, 4);
    let by_item = EventFilter {
        item_id: Some(hex_id(7)),
        username: Some("dora".into()),
        ..EventFilter::default()
    };
    let page = store.list_events(&by_item, 0, 100).await.expect("by item");
    assert_eq!(
        page.events.iter().map(|e| e.time).collect::<Vec<_>>(),
        vec![125, 120, 115, 110]
    );
    let nothing = EventFilter {
        actor: Some("nul\0".into()),
        ..EventFilter::default()
    };
    assert_eq!(
        store.list_events(&nothing, 0, 10).await.expect("nul").total,
        0
    );
}

/// Retention deletes only what is older than the cut.
pub(crate) async fn old_events_are_pruned(store: &SqlStore) {
    let events: Vec<Event> = (0..5)
        .map(|n| event(EventType::SigninSucceeded, n * 10))
        .collect();
    store.append_events(&events).await.expect("append");
    assert_eq!(store.prune_events(25).await.expect("prune"), 3);
    let left: Vec<i64> = all(store).await.iter().map(|e| e.time).collect();
    assert_eq!(left, vec![40, 30]);
}
