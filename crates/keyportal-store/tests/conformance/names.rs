//! Names for a list of ids (the usage pages name only the credentials a report shows): apps by
//! client id, legacy keys by item id and item titles, unknown ids skipped, more ids than one
//! statement takes.

use keyportal_domain::legacy_key::LegacyKey;
use keyportal_store::{AppStore, ItemStore, LegacyKeyStore, SqlStore};

use crate::credentials::{add_items, app};
use crate::fixtures::*;

fn sorted<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values
}

pub(crate) async fn names_are_read_for_a_list_of_ids(store: &SqlStore) {
    add_items(store, 6).await;
    for (n, client) in [(1, "clientOne"), (2, "clientTwo"), (3, "clientThree")] {
        store
            .create_app(&app(n, client), "sealed")
            .await
            .expect("app");
    }
    for n in [4u64, 5] {
        let key = LegacyKey {
            item_id: hex_id(n),
            owner: "appowner".into(),
            key_hash: format!("{n:064x}"),
            key_hint: "AAPK…".into(),
            privileges: vec![],
            http_referrers: vec![],
            active: n == 4,
            created: 1,
            last_used: -1,
        };
        store.insert_legacy_key(&key).await.expect("legacy key");
    }
    // Far more ids than one statement binds, the known ones last, and ids of nothing.
    let mut ids: Vec<String> = (1_000..2_200).map(|n| format!("unknown{n}")).collect();
    ids.extend(["clientThree", "clientOne", "bad\u{0}id", ""].map(String::from));
    ids.extend([hex_id(5), hex_id(4), hex_id(6), hex_id(999)]);

    let apps = store.apps_by_client_ids(&ids).await.expect("apps");
    let clients = sorted(apps.iter().map(|a| a.client_id.clone()).collect());
    assert_eq!(clients, ["clientOne", "clientThree"]);
    assert_eq!(
        apps.iter().find(|a| a.client_id == "clientOne"),
        Some(&app(1, "clientOne"))
    );

    let keys = store.legacy_keys_by_ids(&ids).await.expect("legacy keys");
    let key_ids = sorted(keys.iter().map(|k| k.item_id.clone()).collect());
    assert_eq!(key_ids, [hex_id(4), hex_id(5)]);
    assert!(keys.iter().any(|k| k.item_id == hex_id(5) && !k.active));

    let titles = sorted(store.item_titles(&ids).await.expect("titles"));
    let expected: Vec<(String, String)> = [4u64, 5, 6]
        .into_iter()
        .map(|n| (hex_id(n), item(n, "appowner", None, n as i64).title))
        .collect();
    assert_eq!(titles, expected);

    assert!(store
        .apps_by_client_ids(&[])
        .await
        .expect("none")
        .is_empty());
    assert!(store
        .legacy_keys_by_ids(&[])
        .await
        .expect("none")
        .is_empty());
    assert!(store.item_titles(&[]).await.expect("none").is_empty());
}
