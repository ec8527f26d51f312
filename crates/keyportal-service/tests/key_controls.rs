//! Key controls beyond ArcGIS (issue 14) through the service, with a controllable clock:
//! address restrictions, rolling a key with a grace (also across a restart and to another
//! node), and `checkAccess` agreeing with `/verify` for random requests.

use std::sync::Arc;

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::item::ItemChanges;
use keyportal_domain::time::{DAY_MS, HOUR_MS, SECOND_MS};
use keyportal_service::{
    AccessQuestion, AppChanges, Caller, Denial, KeyRequest, ManualClock, Portal, RegisterApp,
    RequestFacts, RollRequest, ServiceError, SlotDates, TokenClient, Verdict, VerifyRequest,
};

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
            Some(60 * 24 * 14),
            &facts(),
        )
        .await
        .expect("token");
    portal
        .authenticate(Some(issued.token.expose()), &facts())
        .await
        .expect("admin")
}

struct Credential {
    item_id: String,
    client_id: String,
    secret: String,
}

async fn credential(portal: &Portal, caller: &Caller, privileges: Vec<String>) -> Credential {
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
                privileges,
                ..Default::default()
            },
        )
        .await
        .expect("registered");
    Credential {
        item_id: item.item.id,
        client_id: view.app.client_id.clone(),
        secret: view.client_secret.expose().to_string(),
    }
}

async fn mint(portal: &Portal, c: &Credential, slot: KeySlot) -> String {
    portal
        .mint_api_key(&c.client_id, &c.secret, slot, Some(true))
        .await
        .expect("minted")
        .key
        .expose()
        .to_string()
}

fn from(address: &str) -> KeyRequest<'_> {
    KeyRequest {
        address: Some(address.parse().expect("address")),
        ..KeyRequest::default()
    }
}

async fn started(dir: &std::path::Path, clock: Arc<ManualClock>) -> Portal {
    let portal = portal_on(dir, clock).await;
    portal
        .bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    portal.load_key_table().await.expect("load");
    portal
}

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

mod agreement {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    const REFERRERS: [&str; 3] = [
        "https://app.example.com",
        "https://*.maps.example.org",
        "http://localhost:8080/app",
    ];
    const ADDRESSES: [&str; 3] = ["203.0.113.0/24", "2001:db8::/48", "198.51.100.7"];
    const SENT_REFERERS: [&str; 5] = [
        "",
        "https://app.example.com/page",
        "https://dev.maps.example.org/",
        "https://evil.example.com/",
        "http://localhost:8080/other",
    ];
    const SENT_ADDRESSES: [&str; 5] = [
        "",
        "203.0.113.9",
        "::ffff:198.51.100.7",
        "2001:db8:0:1::5",
        "192.0.2.1",
    ];
    const SERVICES: [&str; 4] = ["", "geocode", "basemaps", "myservice"];
    const PRIVILEGES: [&str; 3] = ["", "premium:user:geocode:temporary", "premium:user:places"];

    #[derive(Debug, Clone)]
    struct Case {
        referrers: Vec<bool>,
        addresses: Vec<bool>,
        slot_two_active: bool,
        slot: u8,
        referer: usize,
        address: usize,
        service: usize,
        privilege: usize,
        item: u8,
        later_hours: i64,
    }

    fn case() -> impl Strategy<Value = Case> {
        (
            proptest::collection::vec(any::<bool>(), 3),
            proptest::collection::vec(any::<bool>(), 3),
            any::<bool>(),
            1u8..=2,
            0..SENT_REFERERS.len(),
            0..SENT_ADDRESSES.len(),
            0..SERVICES.len(),
            0..PRIVILEGES.len(),
            0u8..3,
            prop_oneof![Just(0i64), 0i64..(40 * 24)],
        )
            .prop_map(
                |(
                    referrers,
                    addresses,
                    slot_two_active,
                    slot,
                    referer,
                    address,
                    service,
                    privilege,
                    item,
                    later_hours,
                )| Case {
                    referrers,
                    addresses,
                    slot_two_active,
                    slot,
                    referer,
                    address,
                    service,
                    privilege,
                    item,
                    later_hours,
                },
            )
    }

    fn chosen(flags: &[bool], from: &[&str]) -> Vec<String> {
        flags
            .iter()
            .zip(from)
            .filter(|(on, _)| **on)
            .map(|(_, v)| v.to_string())
            .collect()
    }

    fn some(text: &str) -> Option<&str> {
        (!text.is_empty()).then_some(text)
    }

    /// `checkAccess` and `/verify` never disagree: for random restrictions, slot states,
    /// times and requests, the same allowed flag and the same reason (an empty slot is
    /// `inactive` for `checkAccess`, while `/verify` does not know its old key: `unknown`).
    #[test]
    fn check_access_and_verify_never_disagree() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(ManualClock::new(START));
        let (portal, caller, c, granted) = runtime.block_on(async {
            let portal = started(dir.path(), clock.clone()).await;
            let caller = admin(&portal).await;
            let item = portal
                .add_item(
                    &caller,
                    "admin",
                    None,
                    ItemChanges {
                        title: Some("Data".into()),
                        item_type: Some("Web Map".into()),
                        ..Default::default()
                    },
                    None,
                )
                .await
                .expect("item");
            let c = credential(
                &portal,
                &caller,
                vec![
                    "premium:user:geocode:temporary".into(),
                    format!("portal:app:access:item:{}", item.item.id),
                ],
            )
            .await;
            (portal, caller, c, item.item.id)
        });
        let items = [
            String::new(),
            granted,
            "0123456789abcdef0123456789abcdef".into(),
        ];
        let mut runner = TestRunner::new(Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&case(), |case| {
                runtime.block_on(async {
                    clock.set(START);
                    portal
                        .update_app(
                            &caller,
                            &c.client_id,
                            AppChanges {
                                http_referrers: Some(chosen(&case.referrers, &REFERRERS)),
                                allowed_addresses: Some(chosen(&case.addresses, &ADDRESSES)),
                                ..Default::default()
                            },
                        )
                        .await
                        .expect("restrictions");
                    for slot in KeySlot::ALL {
                        portal
                            .revoke_api_key(&c.client_id, &c.secret, slot)
                            .await
                            .expect("revoke");
                    }
                    let one = mint(&portal, &c, KeySlot::One).await;
                    let two = mint(&portal, &c, KeySlot::Two).await;
                    if !case.slot_two_active {
                        portal
                            .revoke_api_key(&c.client_id, &c.secret, KeySlot::Two)
                            .await
                            .expect("revoke two");
                    }
                    clock.set(START + case.later_hours * HOUR_MS);
                    let slot = if case.slot == 1 {
                        KeySlot::One
                    } else {
                        KeySlot::Two
                    };
                    let key = if case.slot == 1 { &one } else { &two };
                    let referer = SENT_REFERERS[case.referer];
                    let address = SENT_ADDRESSES[case.address];
                    let service = SERVICES[case.service];
                    let privilege = PRIVILEGES[case.privilege];
                    let item = items[usize::from(case.item)].as_str();
                    let verdict = portal
                        .verify(&VerifyRequest {
                            token: Some(key),
                            referer: some(referer),
                            address: some(address).map(|a| a.parse().expect("ip")),
                            service: some(service),
                            privilege: some(privilege),
                            item: some(item),
                        })
                        .expect("verdict");
                    let answer = portal
                        .check_access(
                            &caller,
                            &c.item_id,
                            slot,
                            &AccessQuestion {
                                referer: some(referer).map(str::to_string),
                                address: some(address).map(str::to_string),
                                service: some(service).map(str::to_string),
                                privilege: some(privilege).map(str::to_string),
                                item: some(item).map(str::to_string),
                                time: None,
                            },
                        )
                        .await
                        .expect("answer");
                    let (allowed, reason) = match &verdict {
                        Verdict::Allowed(_) => (true, None),
                        Verdict::Invalid(denial) => (false, Some(denial.reason())),
                        Verdict::Forbidden { reason, .. } => (false, Some(*reason)),
                        other => panic!("unexpected verdict {other:?}"),
                    };
                    assert_eq!(
                        answer.allowed, allowed,
                        "{case:?}: {answer:?} vs {verdict:?}"
                    );
                    let expected = match answer.reason {
                        Some("inactive") => Some("unknown"),
                        other => other,
                    };
                    assert_eq!(expected, reason, "{case:?}: {answer:?} vs {verdict:?}");
                    if let (Verdict::Forbidden { needed, .. }, false) = (&verdict, answer.allowed) {
                        assert_eq!(&answer.needed, needed);
                    }
                });
                Ok(())
            })
            .expect("checkAccess agrees with /verify");
    }
}
