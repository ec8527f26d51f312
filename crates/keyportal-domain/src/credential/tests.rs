use super::*;
use crate::api_key::parse_api_key;
use serde_json::Map;

const NOW: EpochMillis = 1_750_000_000_000;

fn app() -> AppRegistration {
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

fn item(id: &str, owner: &str, access: ItemAccess) -> Item {
    Item {
        id: id.into(),
        owner: owner.into(),
        org_id: "org".into(),
        folder_id: None,
        title: "t".into(),
        item_type: "Web Map".into(),
        type_keywords: vec![],
        tags: vec![],
        description: String::new(),
        snippet: String::new(),
        url: String::new(),
        access,
        properties: None,
        extra: Map::new(),
        created: 0,
        modified: 0,
    }
}

#[test]
fn minting_into_an_undated_slot_uses_the_default_lifetime() {
    let mut a = app();
    let minted = a
        .mint(KeySlot::One, Some(true), NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint");
    assert_eq!(a.slot(KeySlot::One).expiration, NOW + 30 * DAY_MS);
    assert_eq!(minted.expires_in, 30 * 24 * 3600);
    assert!(a.slot(KeySlot::One).is_usable(NOW));
    let parsed = parse_api_key(minted.key.expose()).expect("well-formed key");
    assert_eq!(parsed.slot(), KeySlot::One);
    assert_eq!(
        a.slot(KeySlot::One).key_hash.as_deref(),
        Some(hex_hash(minted.key.expose()).as_str())
    );
    assert!(!a.slot(KeySlot::Two).active, "the other slot is untouched");
}

#[test]
fn expires_in_counts_whole_seconds_to_the_slot_date() {
    let mut a = app();
    a.set_expiration(KeySlot::Two, NOW + 10 * DAY_MS + 1_500, NOW)
        .expect("date");
    let minted = a
        .mint(KeySlot::Two, None, NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint");
    assert_eq!(minted.expires_in, 10 * 24 * 3600 + 1);
}

#[test]
fn regenerate_false_on_an_active_slot_is_refused_and_true_replaces_the_key() {
    let mut a = app();
    let first = a
        .mint(KeySlot::One, Some(false), NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("first");
    let refused = a.mint(KeySlot::One, Some(false), NOW + 1, DEFAULT_KEY_LIFETIME_MS);
    assert!(matches!(refused, Err(DomainError::Invalid { .. })));
    assert_eq!(
        a.slot(KeySlot::One).key_hash.as_deref(),
        Some(hex_hash(first.key.expose()).as_str()),
        "a refusal changes nothing"
    );
    let second = a
        .mint(KeySlot::One, Some(true), NOW + 2, DEFAULT_KEY_LIFETIME_MS)
        .expect("regenerate");
    assert_ne!(first.key.expose(), second.key.expose());
    assert_eq!(
        a.slot(KeySlot::One).key_hash.as_deref(),
        Some(hex_hash(second.key.expose()).as_str())
    );
}

#[test]
fn an_expired_slot_reads_inactive_and_can_be_refilled_after_a_new_date() {
    let mut a = app();
    a.set_expiration(KeySlot::One, NOW + DAY_MS, NOW)
        .expect("date");
    a.mint(KeySlot::One, Some(false), NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint");
    let later = NOW + DAY_MS;
    assert!(!a.slot(KeySlot::One).is_usable(later));
    assert!(!a.slot(KeySlot::One).reads_active(later));
    assert!(
        a.mint(KeySlot::One, Some(false), later, DEFAULT_KEY_LIFETIME_MS)
            .is_err(),
        "date has passed"
    );
    a.set_expiration(KeySlot::One, later + DAY_MS, later)
        .expect("new date");
    assert!(a
        .mint(KeySlot::One, Some(false), later, DEFAULT_KEY_LIFETIME_MS)
        .is_ok());
}

#[test]
fn changing_a_slot_date_kills_only_that_slot_and_resending_it_changes_nothing() {
    let mut a = app();
    a.set_expiration(KeySlot::One, NOW + DAY_MS, NOW)
        .expect("date 1");
    a.set_expiration(KeySlot::Two, NOW + DAY_MS, NOW)
        .expect("date 2");
    a.mint(KeySlot::One, None, NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint 1");
    a.mint(KeySlot::Two, None, NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint 2");
    assert_eq!(
        a.set_expiration(KeySlot::One, NOW + DAY_MS, NOW + 1),
        Ok(false)
    );
    assert!(a.slot(KeySlot::One).is_usable(NOW + 1));
    assert_eq!(
        a.set_expiration(KeySlot::One, NOW + 2 * DAY_MS, NOW + 1),
        Ok(true)
    );
    assert!(!a.slot(KeySlot::One).is_usable(NOW + 1));
    assert!(a.slot(KeySlot::Two).is_usable(NOW + 1));
}

#[test]
fn expiration_dates_are_at_most_a_year_ahead_and_in_the_future() {
    assert!(validate_expiration(KeySlot::One, -1, NOW).is_ok());
    assert!(validate_expiration(KeySlot::One, NOW + MAX_KEY_LIFETIME_MS, NOW).is_ok());
    assert!(validate_expiration(KeySlot::One, NOW + MAX_KEY_LIFETIME_MS + DAY_MS, NOW).is_err());
    assert!(validate_expiration(KeySlot::Two, NOW, NOW).is_err());
    assert!(validate_expiration(KeySlot::Two, NOW - 1, NOW).is_err());
    let mut a = app();
    assert!(a
        .set_expiration(KeySlot::One, NOW + 400 * DAY_MS, NOW)
        .is_err());
    assert_eq!(
        a.slot(KeySlot::One).expiration,
        -1,
        "a refused date changes nothing"
    );
}

#[test]
fn revoking_resets_the_slot() {
    let mut a = app();
    a.mint(KeySlot::Two, None, NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint");
    a.revoke(KeySlot::Two, NOW + 5);
    assert_eq!(a.slot(KeySlot::Two), &SlotState::empty());
}

#[test]
fn a_changed_privilege_set_deactivates_both_slots_and_the_same_set_does_not() {
    let mut a = app();
    a.mint(KeySlot::One, None, NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint 1");
    a.mint(KeySlot::Two, None, NOW, DEFAULT_KEY_LIFETIME_MS)
        .expect("mint 2");
    assert!(!a.replace_privileges(vec!["premium:user:geocode:temporary".into()], NOW + 1));
    assert!(a.slot(KeySlot::One).is_usable(NOW + 1) && a.slot(KeySlot::Two).is_usable(NOW + 1));
    assert!(a.replace_privileges(vec!["premium:user:basemaps".into()], NOW + 2));
    assert!(!a.slot(KeySlot::One).active && !a.slot(KeySlot::Two).active);
    assert!(a.slot(KeySlot::One).expiration > 0, "dates stay");
}

#[test]
fn only_creators_with_both_privileges_create_api_keys() {
    let both: PrivilegeSet = [names::GENERATE_API_TOKENS, names::ASSIGN_PRIVILEGES_TO_APPS]
        .into_iter()
        .collect();
    assert!(check_may_create_api_keys(UserType::Creator, &both).is_ok());
    let Err(DomainError::Forbidden { details }) =
        check_may_create_api_keys(UserType::Contributor, &PrivilegeSet::new())
    else {
        panic!("expected a refusal");
    };
    assert_eq!(
        details.len(),
        3,
        "names the type and both privileges: {details:?}"
    );
    let one: PrivilegeSet = [names::GENERATE_API_TOKENS].into_iter().collect();
    let Err(DomainError::Forbidden { details }) =
        check_may_create_api_keys(UserType::Creator, &one)
    else {
        panic!("expected a refusal");
    };
    assert!(details[0].contains(names::ASSIGN_PRIVILEGES_TO_APPS));
    assert_eq!(
        lacking_for_api_keys(UserType::Viewer, &one),
        vec![
            Lacking::CreatorUserType {
                current: UserType::Viewer
            },
            Lacking::Privilege(names::ASSIGN_PRIVILEGES_TO_APPS)
        ]
    );
    assert!(lacking_for_api_keys(UserType::Creator, &both).is_empty());
}

#[test]
fn privileges_are_limited_to_the_owner_and_items_to_their_own_non_public_items() {
    let owner_privileges: PrivilegeSet =
        ["premium:user:geocode:temporary", "portal:user:createItem"]
            .into_iter()
            .collect();
    let mine = "1".repeat(32);
    let theirs = "2".repeat(32);
    let public = "3".repeat(32);
    let items: HashMap<String, Item> = [
        (mine.clone(), item(&mine, "jdoe", ItemAccess::Org)),
        (theirs.clone(), item(&theirs, "other", ItemAccess::Private)),
        (public.clone(), item(&public, "jdoe", ItemAccess::Public)),
    ]
    .into_iter()
    .collect();
    let grant = |id: &str| format!("portal:app:access:item:{id}");
    let ok = check_app_privileges(
        &[
            "premium:user:geocode:temporary".into(),
            grant(&mine),
            "premium:user:geocode:temporary".into(),
        ],
        "jdoe",
        &owner_privileges,
        &items,
    )
    .expect("allowed");
    assert_eq!(ok.len(), 2, "repeats dropped");
    assert!(matches!(
        check_app_privileges(
            &["premium:user:basemaps".into()],
            "jdoe",
            &owner_privileges,
            &items
        ),
        Err(DomainError::Forbidden { .. })
    ));
    assert!(check_app_privileges(
        &["portal:user:fly".into()],
        "jdoe",
        &owner_privileges,
        &items
    )
    .is_err());
    assert!(check_app_privileges(&[grant(&theirs)], "jdoe", &owner_privileges, &items).is_err());
    assert!(check_app_privileges(&[grant(&public)], "jdoe", &owner_privileges, &items).is_err());
    assert!(
        check_app_privileges(&[grant(&"4".repeat(32))], "jdoe", &owner_privileges, &items).is_err()
    );
    let too_many: Vec<String> = (0..101).map(|i| grant(&format!("{i:032x}"))).collect();
    let Err(DomainError::Invalid { details, .. }) =
        check_app_privileges(&too_many, "jdoe", &owner_privileges, &items)
    else {
        panic!("expected a refusal");
    };
    assert!(details[0].contains("at most 100"));
}

#[test]
fn personal_scope_is_detected() {
    assert!(!any_personal(&["premium:user:geocode:temporary".into()]));
    assert!(any_personal(&["portal:user:createItem".into()]));
    assert!(!any_personal(&[format!(
        "portal:app:access:item:{}",
        "1".repeat(32)
    )]));
}

#[test]
fn app_types_refuse_legacy_api_keys() {
    assert_eq!(AppType::parse("MULTIPLE"), Ok(AppType::Multiple));
    assert!(AppType::parse("apikey").is_err());
    assert!(AppType::parse("web").is_err());
}

#[test]
fn redirect_uris_and_referrers_are_validated() {
    assert!(check_redirect_uris(&[
        OUT_OF_BAND_REDIRECT.into(),
        "https://app.example.com/cb".into()
    ])
    .is_ok());
    assert!(check_redirect_uris(&["javascript:alert(1)".into()]).is_err());
    assert!(check_redirect_uris(&["https://a.example.com/#frag".into()]).is_err());
    assert!(check_redirect_uris(&["https://a.example.com/\u{1}".into()]).is_err());
    assert!(check_redirect_uris(&["https://a.example.com/\u{0}".into()]).is_err());
    let referrers = check_referrers(&[
        "https://*.Example.com".into(),
        "https://*.example.com".into(),
    ])
    .expect("ok");
    assert_eq!(referrers.len(), 1);
    assert!(check_referrers(&["not a url with spaces".into()]).is_err());
}
