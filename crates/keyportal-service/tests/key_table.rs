//! The key table on its own: what it honours and refuses, with time as a parameter.

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::{
    AppRegistration, AppToken, AppType, SlotState, DEFAULT_KEY_LIFETIME_MS,
};
use keyportal_domain::secret::sha256_hex;
use keyportal_service::key_table::{Denial, KeyTable, OwnerState};

const NOW: i64 = 1_750_000_000_000;
const ITEM: &str = "0123456789abcdef0123456789abcdef";

fn app(referrers: Vec<String>) -> AppRegistration {
    AppRegistration {
        item_id: "a".repeat(32),
        client_id: "client0000000001".into(),
        owner: "owner".into(),
        app_type: AppType::Multiple,
        redirect_uris: vec![],
        http_referrers: referrers,
        allowed_addresses: vec![],
        privileges: vec![
            "premium:user:basemaps".into(),
            "premium:user:geocode:temporary".into(),
            format!("portal:app:access:item:{ITEM}"),
        ],
        is_personal: false,
        registered: NOW,
        modified: NOW,
        slots: [SlotState::empty(), SlotState::empty()],
        revision: 0,
    }
}

fn owner(privileges: &[&str], disabled: bool) -> Option<OwnerState> {
    Some(OwnerState {
        org_id: "org".into(),
        privileges: privileges.iter().copied().collect(),
        disabled,
    })
}

#[test]
fn keys_are_checked_for_expiry_referrer_owner_and_privileges() {
    let table = KeyTable::new();
    let mut a = app(vec!["https://*.example.com".into()]);
    let key = a
        .mint(KeySlot::One, None, NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint")
        .key;
    table.put_app(&a, &[]);
    table.put_owner("owner", owner(&["premium:user:basemaps"], false));
    let key = key.expose();

    let ok = table
        .resolve(key, Some("https://maps.example.com/x"), NOW)
        .expect("allowed");
    assert!(ok.allows("premium:user:basemaps"));
    assert!(
        !ok.allows("premium:user:geocode:temporary"),
        "the owner lacks it: the key does too"
    );
    assert!(ok.grants_item(ITEM) && !ok.grants_item(&"f".repeat(32)));
    assert_eq!(
        table.resolve(key, Some("https://evil.net/"), NOW).err(),
        Some(Denial::Referrer)
    );
    assert_eq!(table.resolve(key, None, NOW).err(), Some(Denial::Referrer));
    assert_eq!(
        table
            .resolve(
                key,
                Some("https://example.com"),
                NOW + DEFAULT_KEY_LIFETIME_MS
            )
            .err(),
        Some(Denial::Expired)
    );
    table.put_owner("owner", owner(&["premium:user:basemaps"], true));
    assert_eq!(
        table.resolve(key, Some("https://example.com"), NOW).err(),
        Some(Denial::OwnerInactive)
    );
    table.put_owner("owner", None);
    assert_eq!(
        table.resolve(key, Some("https://example.com"), NOW).err(),
        Some(Denial::OwnerInactive)
    );
}

#[test]
fn replacing_an_app_drops_keys_that_are_gone() {
    let table = KeyTable::new();
    table.put_owner("owner", owner(&[], false));
    let mut a = app(vec![]);
    let first = a
        .mint(KeySlot::One, None, NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint")
        .key;
    table.put_app(&a, &[]);
    assert!(table.resolve(first.expose(), None, NOW).is_ok());
    let second = a
        .mint(KeySlot::One, Some(true), NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("regenerate")
        .key;
    table.put_app(&a, &[]);
    assert_eq!(
        table.resolve(first.expose(), None, NOW).err(),
        Some(Denial::Unknown)
    );
    assert!(table.resolve(second.expose(), None, NOW).is_ok());
    table.remove_item(&a.item_id);
    assert_eq!(
        table.resolve(second.expose(), None, NOW).err(),
        Some(Denial::Unknown)
    );
    assert!(table.is_empty());
}

#[test]
fn malformed_keys_are_refused_before_any_lookup() {
    let table = KeyTable::new();
    let bad = format!("AAPT{}.AT1_AAAAAAAA", "x".repeat(43));
    assert!(matches!(
        table.resolve(&bad, None, NOW),
        Err(Denial::Malformed(_))
    ));
    assert!(KeyTable::looks_like_key(&bad));
    assert!(!KeyTable::looks_like_key("an-opaque-user-token"));
}

#[test]
fn app_tokens_expire_and_are_dropped() {
    let table = KeyTable::new();
    table.put_owner("owner", owner(&["premium:user:basemaps"], false));
    let a = app(vec![]);
    let token = AppToken {
        hash: sha256_hex("opaque-app-token"),
        client_id: a.client_id.clone(),
        created: NOW,
        expires: NOW + 1000,
    };
    table.put_app(&a, std::slice::from_ref(&token));
    assert!(table.resolve("opaque-app-token", None, NOW).is_ok());
    assert_eq!(
        table.resolve("opaque-app-token", None, NOW + 1000).err(),
        Some(Denial::Expired)
    );
    assert_eq!(table.drop_expired_app_tokens(NOW + 1000), 1);
    assert_eq!(
        table.resolve("opaque-app-token", None, NOW).err(),
        Some(Denial::Unknown)
    );
}

#[test]
fn key_uses_are_reported_once_per_flush() {
    let table = KeyTable::new();
    table.put_owner("owner", owner(&[], false));
    let mut a = app(vec![]);
    let key = a
        .mint(KeySlot::Two, None, NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint")
        .key;
    table.put_app(&a, &[]);
    assert!(table.take_key_uses().is_empty());
    table.resolve(key.expose(), None, NOW + 5).expect("ok");
    table.resolve(key.expose(), None, NOW + 9).expect("ok");
    let uses = table.take_key_uses();
    assert_eq!(uses.len(), 1);
    assert_eq!((uses[0].slot, uses[0].when), (2, NOW + 9));
    assert!(table.take_key_uses().is_empty());
    // Used again after a flush: reported again, once.
    table.resolve(key.expose(), None, NOW + 20).expect("ok");
    let uses = table.take_key_uses();
    assert_eq!((uses.len(), uses[0].when), (1, NOW + 20));
    // A use whose grant was replaced before the flush (an edit of the credential) still counts.
    table.resolve(key.expose(), None, NOW + 30).expect("ok");
    table.put_app(&a, &[]);
    let uses = table.take_key_uses();
    assert_eq!((uses.len(), uses[0].when), (1, NOW + 30));
}
