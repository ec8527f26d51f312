//! Legacy keys in the compact key table: loaded from the streaming scan or put one by one,
//! replaced and removed by item, sharing one profile, still refused at once on demotion.

use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::secret::sha256_hex;
use keyportal_service::key_table::{Denial, GrantKind, KeyTable, OwnerState};
use keyportal_store::LegacyKeyGrant;

const NOW: i64 = 1_750_000_000_000;

fn owner(privileges: &[&str], disabled: bool) -> Option<OwnerState> {
    Some(OwnerState {
        org_id: "org".into(),
        privileges: privileges.iter().copied().collect(),
        disabled,
    })
}

fn grant(n: u64, key: &str) -> LegacyKeyGrant {
    LegacyKeyGrant {
        item_id: format!("{n:032x}"),
        key_hash: sha256_hex(key),
        owner: "admin".into(),
        privileges: vec!["premium:user:geocode:temporary".into()],
        http_referrers: vec![],
        last_used: -1,
    }
}

#[test]
fn many_legacy_keys_share_one_profile_and_answer_with_their_item() {
    let table = KeyTable::new();
    table.put_owner("admin", owner(&["premium:user:geocode:temporary"], false));
    for n in 0..1_000 {
        table.put_legacy_grant(&grant(n, &format!("AAPKkey{n}")));
    }
    assert_eq!(table.len(), 1_000);
    assert_eq!(table.profile_count(), 1);
    let ok = table.resolve("AAPKkey7", None, NOW).expect("allowed");
    assert_eq!(ok.grant.kind, GrantKind::Legacy);
    assert_eq!(ok.grant.item_id(), format!("{:032x}", 7));
    assert_eq!(ok.grant.item().spell(&mut [0; 32]), format!("{:032x}", 7));
    assert_eq!(ok.grant.client_id(), format!("{:032x}", 7));
    assert_eq!(ok.grant.owner(), "admin");
    assert!(ok.allows("premium:user:geocode:temporary"));
    // A demotion of the one owner reaches every key at once.
    table.put_owner("admin", owner(&[], false));
    let demoted = table.resolve("AAPKkey8", None, NOW).expect("still a key");
    assert!(!demoted.allows("premium:user:geocode:temporary"));
    table.put_owner("admin", owner(&[], true));
    assert_eq!(
        table.resolve("AAPKkey9", None, NOW).err(),
        Some(Denial::OwnerInactive)
    );
}

#[test]
fn a_legacy_item_is_replaced_or_removed_with_its_key() {
    let table = KeyTable::new();
    table.put_owner("admin", owner(&[], false));
    table.put_legacy_grant(&grant(1, "AAPKold"));
    table.put_legacy_grant(&grant(2, "AAPKother"));
    // The item's key changed (an update): the old key stops at once.
    table.put_legacy_grant(&grant(1, "AAPKnew"));
    assert_eq!(
        table.resolve("AAPKold", None, NOW).err(),
        Some(Denial::Unknown)
    );
    assert!(table.resolve("AAPKnew", None, NOW).is_ok());
    // Invalidated: `put_legacy` of an inactive key forgets it.
    let invalidated = LegacyKey {
        item_id: format!("{:032x}", 1),
        owner: "admin".into(),
        key_hash: sha256_hex("AAPKnew"),
        key_hint: String::new(),
        privileges: vec![],
        http_referrers: vec![],
        active: false,
        created: NOW,
        last_used: -1,
    };
    table.put_legacy(&invalidated);
    assert_eq!(
        table.resolve("AAPKnew", None, NOW).err(),
        Some(Denial::Unknown)
    );
    table.remove_item(&format!("{:032x}", 2));
    assert!(table.is_empty());
    // Unused profiles go with the next housekeeping.
    table.drop_expired_app_tokens(NOW);
    assert_eq!(table.profile_count(), 0);
}

#[test]
fn legacy_keys_stop_at_retirement_and_with_restricted_referrers() {
    let table = KeyTable::new();
    table.put_owner("admin", owner(&[], false));
    let mut restricted = grant(3, "AAPKref");
    restricted.http_referrers = vec!["https://*.example.com".into()];
    table.put_legacy_grant(&restricted);
    assert!(table
        .resolve("AAPKref", Some("https://maps.example.com/"), NOW)
        .is_ok());
    assert_eq!(
        table
            .resolve("AAPKref", Some("https://evil.test/"), NOW)
            .err(),
        Some(Denial::Referrer)
    );
    table.set_legacy_retirement(Some(NOW));
    assert_eq!(
        table
            .resolve("AAPKref", Some("https://maps.example.com/"), NOW)
            .err(),
        Some(Denial::Retired)
    );
}
