//! `checkAccess` and `/verify` never disagree (property test).

use std::sync::Arc;

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::item::ItemChanges;
use keyportal_domain::time::HOUR_MS;
use keyportal_service::{AccessQuestion, AppChanges, ManualClock, Verdict, VerifyRequest};

use crate::helpers::*;
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
                        .revoke_api_key(
                            &keyportal_domain::events::Actor::system(),
                            &c.client_id,
                            &c.secret,
                            slot,
                        )
                        .await
                        .expect("revoke");
                }
                let one = mint(&portal, &c, KeySlot::One).await;
                let two = mint(&portal, &c, KeySlot::Two).await;
                if !case.slot_two_active {
                    portal
                        .revoke_api_key(
                            &keyportal_domain::events::Actor::system(),
                            &c.client_id,
                            &c.secret,
                            KeySlot::Two,
                        )
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
