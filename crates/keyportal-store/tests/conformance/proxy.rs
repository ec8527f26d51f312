//! Proxied items and location services (schema version 5): settings round trip, upserts,
//! sealed credentials kept as given, and an item's settings going with the item; the
//! compare-and-set of settings the proxy allow-list is edited with.

use keyportal_domain::proxy::{ProxySettings, ProxyTarget};
use keyportal_store::{ItemStore, ProxyStore, SettingsStore, SqlStore, StoredProxy};

use crate::fixtures::*;

const OWNER: &str = "proxyowner";

fn item_proxy(n: u64) -> StoredProxy {
    StoredProxy {
        settings: ProxySettings {
            target: ProxyTarget::Item(hex_id(n)),
            enabled: true,
            url: "https://tiles.example.com/arcgis/rest/services/Roads/MapServer".into(),
            privilege: None,
            allowed_referrers: vec![
                "https://*.example.com".into(),
                "http://localhost:8080/app".into(),
            ],
            rate_limit_per_key: Some(25),
            timeout_seconds: 12,
            max_body_bytes: 5_000_000_000,
            header_names: vec!["X-Api-Key".into(), "Authorization".into()],
            query_names: vec!["key".into()],
            modified: 1_700_000_000_123,
        },
        sealed_secrets: Some("v1.c2VhbGVkIGJ5IHRoZSBzZXJ2aWNl".into()),
    }
}

fn service_proxy(name: &str) -> StoredProxy {
    StoredProxy {
        settings: ProxySettings {
            url: format!("http://127.0.0.1:9000/{name}"),
            enabled: false,
            ..ProxySettings::new(ProxyTarget::Service(name.into()), 7)
        },
        sealed_secrets: None,
    }
}

pub(crate) async fn proxies_round_trip_replace_and_delete(store: &SqlStore) {
    add_user(store, OWNER).await;
    for n in [2, 1] {
        store
            .insert_item(&item(n, OWNER, None, n as i64))
            .await
            .expect("item");
    }
    let first = item_proxy(1);
    store.put_proxy(&first).await.expect("put");
    assert_eq!(
        store
            .get_proxy(&first.settings.target)
            .await
            .expect("get")
            .as_ref(),
        Some(&first),
        "every field round trips"
    );

    // A second put replaces every field, NULLs included.
    let mut replaced = first.clone();
    replaced.settings.enabled = false;
    replaced.settings.rate_limit_per_key = None;
    replaced.settings.allowed_referrers = vec![];
    replaced.settings.header_names = vec![];
    replaced.settings.query_names = vec![];
    replaced.settings.modified += 1;
    replaced.sealed_secrets = None;
    store.put_proxy(&replaced).await.expect("replace");
    assert_eq!(
        store.get_proxy(&first.settings.target).await.expect("get"),
        Some(replaced.clone())
    );

    let mut geocode = service_proxy("geocode");
    geocode.settings.privilege = Some("premium:user:geocode:stored".into());
    geocode.sealed_secrets = Some("v1.b3RoZXI".into());
    for proxy in [
        service_proxy("routing"),
        geocode.clone(),
        item_proxy(2),
        service_proxy("basemaps"),
    ] {
        store.put_proxy(&proxy).await.expect("put");
    }
    let listed: Vec<ProxyTarget> = store
        .list_proxies()
        .await
        .expect("list")
        .into_iter()
        .map(|p| p.settings.target)
        .collect();
    assert_eq!(
        listed,
        vec![
            ProxyTarget::Item(hex_id(1)),
            ProxyTarget::Item(hex_id(2)),
            ProxyTarget::Service("basemaps".into()),
            ProxyTarget::Service("geocode".into()),
            ProxyTarget::Service("routing".into()),
        ]
    );
    assert_eq!(
        store
            .get_proxy(&geocode.settings.target)
            .await
            .expect("get"),
        Some(geocode.clone())
    );

    store
        .delete_proxy(&geocode.settings.target)
        .await
        .expect("delete");
    assert_eq!(
        store
            .get_proxy(&geocode.settings.target)
            .await
            .expect("get"),
        None
    );
    assert_not_found(store.delete_proxy(&geocode.settings.target).await);
    assert_eq!(store.list_proxies().await.expect("list").len(), 4);
}

pub(crate) async fn proxy_settings_need_their_item_and_go_with_it(store: &SqlStore) {
    add_user(store, OWNER).await;
    assert_not_found(store.put_proxy(&item_proxy(5)).await);
    assert!(store.list_proxies().await.expect("list").is_empty());

    store
        .insert_item(&item(5, OWNER, None, 5))
        .await
        .expect("item");
    store.put_proxy(&item_proxy(5)).await.expect("put");
    store
        .put_proxy(&service_proxy("elevation"))
        .await
        .expect("services need no item");
    store.delete_item(&hex_id(5)).await.expect("delete item");
    assert_eq!(
        store
            .get_proxy(&ProxyTarget::Item(hex_id(5)))
            .await
            .expect("get"),
        None,
        "an item's proxy settings are deleted with the item"
    );
    assert_eq!(store.list_proxies().await.expect("list").len(), 1);
}

pub(crate) async fn settings_are_replaced_only_from_the_expected_value(store: &SqlStore) {
    let name = "proxy_allow_list";
    assert!(store
        .replace_setting(name, None, r#"["a.example.com"]"#)
        .await
        .expect("create"));
    assert!(
        !store
            .replace_setting(name, None, "[]")
            .await
            .expect("second create"),
        "an existing setting is not created again"
    );
    assert!(!store
        .replace_setting(name, Some("[]"), r#"["b.example.com"]"#)
        .await
        .expect("stale"));
    assert_eq!(
        store.get_setting(name).await.expect("get"),
        Some(r#"["a.example.com"]"#.into()),
        "a stale replacement changes nothing"
    );
    assert!(store
        .replace_setting(name, Some(r#"["a.example.com"]"#), r#"["b.example.com"]"#)
        .await
        .expect("replace"));
    assert_eq!(
        store.get_setting(name).await.expect("get"),
        Some(r#"["b.example.com"]"#.into())
    );

    // Two edits from the same value: exactly one wins.
    let (first, second) = tokio::join!(
        store.replace_setting(name, Some(r#"["b.example.com"]"#), "[1]"),
        store.replace_setting(name, Some(r#"["b.example.com"]"#), "[2]"),
    );
    let wins = [first.expect("first"), second.expect("second")];
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
}
