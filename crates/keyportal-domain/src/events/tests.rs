use proptest::prelude::*;

use super::*;
use crate::time::{DAY_MS, HOUR_MS};

const NOW: i64 = 1_700_000_000_000;

#[test]
fn every_type_round_trips_and_the_list_is_the_contract() {
    let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(names.len(), 27);
    for t in EventType::ALL {
        assert_eq!(EventType::parse(t.as_str()), Some(*t));
    }
    assert!(names.contains(&"credential.privileges_changed"));
    assert!(names.contains(&"member.user_type_changed"));
    assert_eq!(EventType::parse("Key.Generated"), None);
}

#[test]
fn type_lists_refuse_unknown_names() {
    let types = EventType::parse_list("key.generated, key.expired,,key.generated").unwrap();
    assert_eq!(types, [EventType::KeyGenerated, EventType::KeyExpired]);
    let err = EventType::parse_list("key.generated,nope").unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn the_json_shape_has_every_field() {
    let actor = Actor {
        name: Some("jdoe".into()),
        kind: ActorKind::User,
        address: Some("127.0.0.1".into()),
    };
    let event = Event::new(EventType::KeyGenerated, &actor, NOW)
        .credential("0123456789abcdef0123456789abcdef", Some("abcdefgh12345678"))
        .slot(2)
        .member("jdoe")
        .detail("keyHint", "AAPTxxxx…abcd");
    let json = event.to_json();
    assert_eq!(json["type"], "key.generated");
    assert_eq!(json["actor"], "jdoe");
    assert_eq!(json["actorKind"], "user");
    assert_eq!(json["address"], "127.0.0.1");
    assert_eq!(json["slot"], 2);
    assert_eq!(json["time"], NOW);
    assert_eq!(json["details"]["keyHint"], "AAPTxxxx…abcd");
    assert!(json.get("once").is_none());
    let system = Event::new(EventType::KeyExpired, &Actor::system(), NOW).to_json();
    assert_eq!(system["actor"], serde_json::Value::Null);
    assert_eq!(system["actorKind"], "system");
}

#[test]
fn ids_sort_by_time_and_differ() {
    let a = new_event_id(NOW);
    let b = new_event_id(NOW + 1);
    let c = new_event_id(NOW + 1);
    assert!(a < b && a < c);
    assert_ne!(b, c);
    assert_eq!(a.len(), 32);
}

#[test]
fn list_changes_names_added_and_removed() {
    let before = vec!["a".to_string(), "b".to_string()];
    let after = vec!["b".to_string(), "c".to_string()];
    assert_eq!(
        list_changes(&before, &after),
        (vec!["c".to_string()], vec!["a".to_string()])
    );
}

#[test]
fn one_warning_per_lead_time_then_expired_once() {
    let leads = [30, 7, 1];
    let expires = NOW + 40 * DAY_MS;
    assert_eq!(due_notice(expires, NOW, &leads, &[], false), None);
    let at30 = expires - 30 * DAY_MS;
    assert_eq!(
        due_notice(expires, at30, &leads, &[], false),
        Some(ExpiryNotice::Expiring {
            lead_days: 30,
            days_left: 30
        })
    );
    assert_eq!(
        due_notice(expires, at30 + HOUR_MS, &leads, &[30], false),
        None
    );
    let at7 = expires - 7 * DAY_MS + 1;
    assert_eq!(
        due_notice(expires, at7, &leads, &[30], false),
        Some(ExpiryNotice::Expiring {
            lead_days: 7,
            days_left: 7
        })
    );
    assert_eq!(
        due_notice(expires, expires, &leads, &[30, 7, 1], false),
        Some(ExpiryNotice::Expired)
    );
    assert_eq!(due_notice(expires, expires + 1, &leads, &[], true), None);
    assert_eq!(due_notice(-1, NOW, &leads, &[], false), None);
}

#[test]
fn several_lead_times_crossed_at_once_give_the_smallest() {
    let expires = NOW + 36 * HOUR_MS;
    assert_eq!(
        due_notice(expires, NOW, &[30, 7, 1], &[], false),
        Some(ExpiryNotice::Expiring {
            lead_days: 7,
            days_left: 2
        })
    );
    // The next one is the 1-day warning, never the 30-day one.
    assert_eq!(
        due_notice(expires, NOW + HOUR_MS, &[30, 7, 1], &[7], false),
        None
    );
    assert_eq!(
        due_notice(expires, expires - DAY_MS, &[30, 7, 1], &[7], false),
        Some(ExpiryNotice::Expiring {
            lead_days: 1,
            days_left: 1
        })
    );
}

#[test]
fn once_keys_name_the_key_and_lead_time() {
    let notice = ExpiryNotice::Expiring {
        lead_days: 7,
        days_left: 3,
    };
    assert_eq!(notice.once_key("ab", 1, 5), "key.expiring:ab:1:5:7");
    assert_eq!(
        ExpiryNotice::Expired.once_key("ab", 2, 5),
        "key.expired:ab:2:5"
    );
}

#[test]
fn lead_days_parse_json_or_commas() {
    assert_eq!(parse_lead_days("[30,7,1]").unwrap(), [30, 7, 1]);
    assert_eq!(parse_lead_days("1, 30,7,7").unwrap(), [30, 7, 1]);
    assert_eq!(parse_lead_days("[]").unwrap(), Vec::<u32>::new());
    for bad in [
        "[0]",
        "[366]",
        "x",
        "[1.5]",
        "[-1]",
        "1,2,3,4,5,6,7,8,9,10,11",
    ] {
        assert!(parse_lead_days(bad).is_err(), "{bad}");
    }
}

#[test]
fn leases_pass_only_when_lapsed() {
    let lease = Lease::taken_by("node-a", NOW);
    let text = lease.to_text();
    assert_eq!(Lease::parse(&text), Some(lease.clone()));
    assert!(Lease::may_take(Some(&text), "node-a", NOW + 1));
    assert!(!Lease::may_take(Some(&text), "node-b", NOW + 1));
    assert!(Lease::may_take(Some(&text), "node-b", lease.until));
    assert!(Lease::may_take(None, "node-b", NOW));
    assert!(Lease::may_take(Some("garbage"), "node-b", NOW));
}

#[test]
fn csv_quotes_and_neutralises_formulas() {
    let actor = Actor {
        name: Some("=cmd".into()),
        kind: ActorKind::User,
        address: None,
    };
    let event = Event::new(EventType::RoleCreated, &actor, NOW).detail("name", "a,\"b\"");
    let csv = events_csv(&[event]);
    let mut lines = csv.split("\r\n");
    assert!(lines.next().unwrap().starts_with("id,time,type,actor"));
    let line = lines.next().unwrap();
    assert!(line.contains(",role.created,\"'=cmd\",user,,"), "{line}");
    assert!(
        line.contains("\"{\"\"name\"\":\"\"a,\\\"\"b\\\"\"\"\"}\""),
        "{line}"
    );
}

proptest! {
    #[test]
    fn lead_day_parsing_never_panics_and_sorts(text in ".{0,40}") {
        if let Ok(days) = parse_lead_days(&text) {
            prop_assert!(days.windows(2).all(|w| w[0] > w[1]));
            prop_assert!(days.iter().all(|d| (1..=365).contains(d)));
        }
    }

    #[test]
    fn a_due_warning_is_for_a_crossed_lead_time_and_never_repeats(
        left in 1i64..(400 * DAY_MS),
        leads in proptest::collection::vec(1u32..=365, 0..5),
    ) {
        let expires = NOW + left;
        if let Some(ExpiryNotice::Expiring { lead_days, days_left }) =
            due_notice(expires, NOW, &leads, &[], false)
        {
            prop_assert!(left <= i64::from(lead_days) * DAY_MS);
            prop_assert!(leads.iter().all(|l| *l >= lead_days || left > i64::from(*l) * DAY_MS));
            prop_assert!(days_left >= 1 && days_left <= i64::from(lead_days));
            prop_assert_eq!(due_notice(expires, NOW, &leads, &[lead_days], false), None);
        } else {
            prop_assert!(leads.iter().all(|l| left > i64::from(*l) * DAY_MS));
        }
    }
}

fn registration() -> crate::credential::AppRegistration {
    use crate::credential::{AppRegistration, AppType, SlotState, OUT_OF_BAND_REDIRECT};
    AppRegistration {
        item_id: "a".repeat(32),
        client_id: "abcdefghijklmnop".into(),
        owner: "jdoe".into(),
        app_type: AppType::Multiple,
        redirect_uris: vec![OUT_OF_BAND_REDIRECT.into()],
        http_referrers: vec![],
        allowed_addresses: vec![],
        privileges: vec!["premium:user:geocode:temporary".into()],
        is_personal: false,
        registered: NOW,
        modified: NOW,
        slots: [SlotState::empty(), SlotState::empty()],
        revision: 0,
    }
}

fn kinds(events: &[Event]) -> Vec<(&'static str, Option<u8>)> {
    events.iter().map(|e| (e.kind.as_str(), e.slot)).collect()
}

#[test]
fn registration_changes_become_their_events() {
    use crate::api_key::KeySlot;
    let actor = Actor::system();
    let before = registration();
    let mut after = before.clone();
    let minted = after.mint(KeySlot::One, None, NOW, 30 * DAY_MS).unwrap();
    let events = app_change_events(&before, &after, &actor, NOW);
    assert_eq!(kinds(&events), [("key.generated", Some(1))]);
    let json = events[0].to_json().to_string();
    assert!(!json.contains(minted.key.expose()), "no key in {json}");
    assert_eq!(
        events[0].details["keyHint"],
        serde_json::json!(after.slots[0].key_hint)
    );
    assert_eq!(events[0].client_id.as_deref(), Some("abcdefghijklmnop"));
    assert_eq!(events[0].username.as_deref(), Some("jdoe"));

    let minted_once = after.clone();
    after
        .mint(KeySlot::One, Some(true), NOW, 30 * DAY_MS)
        .unwrap();
    assert_eq!(
        kinds(&app_change_events(&minted_once, &after, &actor, NOW)),
        [("key.regenerated", Some(1))]
    );

    let generated = after.clone();
    after.revoke(KeySlot::One, NOW);
    let events = app_change_events(&generated, &after, &actor, NOW);
    assert_eq!(kinds(&events), [("key.invalidated", Some(1))]);
    assert_eq!(events[0].details["reason"], "revoked");

    let mut keyed = after.clone();
    keyed.mint(KeySlot::Two, None, NOW, 30 * DAY_MS).unwrap();
    let mut changed = keyed.clone();
    changed.replace_privileges(vec!["premium:user:basemaps".into()], NOW);
    changed.http_referrers = vec!["https://app.example.com".into()];
    let events = app_change_events(&keyed, &changed, &actor, NOW);
    assert_eq!(
        kinds(&events),
        [
            ("credential.privileges_changed", None),
            ("credential.updated", None),
            ("key.invalidated", Some(2))
        ]
    );
    assert_eq!(
        events[0].details["added"],
        serde_json::json!(["premium:user:basemaps"])
    );
    assert_eq!(
        events[0].details["removed"],
        serde_json::json!(["premium:user:geocode:temporary"])
    );
    assert_eq!(
        events[1].details["changed"],
        serde_json::json!(["httpReferrers"])
    );
    assert_eq!(events[2].details["reason"], "privilegesChanged");
    assert!(app_change_events(&changed, &changed, &actor, NOW).is_empty());
}
