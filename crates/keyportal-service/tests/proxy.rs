//! Proxy settings across two portals on one database (the change feed), sealed credentials,
//! the per-key rate with a stepped clock, and the upstream allow-list.

use std::sync::Arc;

use keyportal_domain::item::ItemChanges;
use keyportal_domain::proxy::{ProxyChanges, ProxyTarget};
use keyportal_domain::time::SECOND_MS;
use keyportal_service::{
    Caller, ManualClock, NewUser, Portal, ProxyRefusal, RefusedUpstream, RequestFacts,
    ServiceError, TokenClient,
};
use serde_json::json;

mod support;
use support::portal_on;

const START: i64 = 1_750_000_000_000;
const REFERER: &str = "https://app.example.com";

fn facts() -> RequestFacts {
    RequestFacts {
        referer: Some(format!("{REFERER}/page")),
        client_ip: Some("127.0.0.1".into()),
    }
}

async fn admin(portal: &Portal) -> (Caller, String) {
    let issued = portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::Referer(REFERER.into()),
            Some(60),
            &facts(),
        )
        .await
        .expect("token");
    let token = issued.token.expose().to_string();
    let caller = portal
        .authenticate(Some(&token), &facts())
        .await
        .expect("admin");
    (caller, token)
}

#[tokio::test]
async fn settings_reach_other_nodes_and_credentials_are_sealed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = portal_on(dir.path(), clock.clone()).await;
    a.bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    a.load_key_table().await.expect("load a");
    let b = portal_on(dir.path(), clock.clone()).await;
    b.load_key_table().await.expect("load b");
    let (caller, token) = admin(&a).await;
    a.set_proxy_allow_list(&caller, &["127.0.0.1".into()])
        .await
        .expect("loopback allowed");

    let item = a
        .add_item(
            &caller,
            "admin",
            None,
            ItemChanges {
                title: Some("Roads".into()),
                item_type: Some("Map Service".into()),
                url: Some("http://127.0.0.1:9/arcgis/rest/services/Roads/MapServer/".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("item");
    let target = ProxyTarget::Item(item.item.id.clone());
    let unconfigured = a
        .item_proxy(&caller, "admin", &item.item.id)
        .await
        .expect("defaults");
    assert!(!unconfigured.configured && !unconfigured.settings.enabled);

    let enable = ProxyChanges {
        enabled: Some(true),
        upstream_headers: Some(json!({ "X-Api-Key": "s3cret-header" })),
        upstream_query: Some(json!({ "apiKey": "s3cret-query" })),
        ..Default::default()
    };
    let view = a
        .set_item_proxy(&caller, "admin", &item.item.id, &enable)
        .await
        .expect("enabled");
    assert_eq!(
        view.settings.url,
        "http://127.0.0.1:9/arcgis/rest/services/Roads/MapServer"
    );
    assert_eq!(view.settings.header_names, ["X-Api-Key"]);
    assert!(!format!("{view:?}").contains("s3cret"));

    let stored = a
        .store()
        .get_proxy(&target)
        .await
        .expect("read")
        .expect("stored");
    let sealed = stored.sealed_secrets.expect("sealed");
    assert!(sealed.starts_with("v1.") && !sealed.contains("s3cret"));

    // The other node follows the change feed.
    assert!(b.proxy_cached(&target).is_none());
    b.sync_changes().await.expect("sync");
    let entry = b.proxy_cached(&target).expect("cached on b");
    assert!(entry.settings.enabled);
    assert_eq!(
        entry.upstream_headers(),
        [("X-Api-Key".to_string(), "s3cret-header".to_string())]
    );
    assert_eq!(
        entry.upstream_query(),
        [("apiKey".to_string(), "s3cret-query".to_string())]
    );
    assert!(b
        .authorize_proxy(&target, Some(&token), &facts())
        .await
        .is_ok());
    assert!(matches!(
        b.authorize_proxy(&target, None, &facts()).await,
        Err(ProxyRefusal::Unauthorized(_))
    ));

    // A bad change is refused whole.
    let bad = ProxyChanges {
        enabled: Some(false),
        timeout_seconds: Some(0),
        ..Default::default()
    };
    assert!(a
        .set_item_proxy(&caller, "admin", &item.item.id, &bad)
        .await
        .is_err());
    assert!(a.proxy_cached(&target).expect("kept").settings.enabled);

    let disable = ProxyChanges {
        enabled: Some(false),
        ..Default::default()
    };
    a.set_item_proxy(&caller, "admin", &item.item.id, &disable)
        .await
        .expect("disabled");
    b.sync_changes().await.expect("sync");
    assert!(matches!(
        b.authorize_proxy(&target, Some(&token), &facts()).await,
        Err(ProxyRefusal::NotFound)
    ));

    // Location services too, and their removal.
    let geocode = ProxyTarget::Service("geocode".into());
    a.set_location_service(
        &caller,
        "GeoCode",
        &ProxyChanges {
            url: Some("http://127.0.0.1:9/geocode".into()),
            ..Default::default()
        },
    )
    .await
    .expect("created, enabled by default");
    b.sync_changes().await.expect("sync");
    assert!(b.proxy_cached(&geocode).expect("cached").settings.enabled);
    a.delete_location_service(&caller, "geocode")
        .await
        .expect("deleted");
    b.sync_changes().await.expect("sync");
    assert!(b.proxy_cached(&geocode).is_none());

    // A restarted node loads everything at start.
    let c = portal_on(dir.path(), clock).await;
    c.load_key_table().await.expect("load c");
    assert!(!c.proxy_cached(&target).expect("loaded").settings.enabled);
}

#[tokio::test]
async fn the_rate_per_key_refills_with_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let portal = portal_on(dir.path(), clock.clone()).await;
    portal
        .bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    portal.load_key_table().await.expect("load");
    let (caller, token) = admin(&portal).await;
    portal
        .set_proxy_allow_list(&caller, &["127.0.0.1:9".into()])
        .await
        .expect("loopback allowed");
    portal
        .set_location_service(
            &caller,
            "elevation",
            &ProxyChanges {
                url: Some("http://127.0.0.1:9/elevation".into()),
                rate_limit_per_key: Some(Some(2)),
                ..Default::default()
            },
        )
        .await
        .expect("created");
    let target = ProxyTarget::Service("elevation".into());
    for _ in 0..2 {
        assert!(portal
            .authorize_proxy(&target, Some(&token), &facts())
            .await
            .is_ok());
    }
    match portal
        .authorize_proxy(&target, Some(&token), &facts())
        .await
    {
        Err(ProxyRefusal::RateLimited { retry_after_ms }) => {
            assert!((1..=500).contains(&retry_after_ms), "{retry_after_ms}")
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    clock.advance(SECOND_MS / 2);
    assert!(portal
        .authorize_proxy(&target, Some(&token), &facts())
        .await
        .is_ok());
}

#[tokio::test]
async fn the_allow_list_is_for_administrators_and_reaches_every_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = portal_on(dir.path(), clock.clone()).await;
    a.bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    a.load_key_table().await.expect("load a");
    let b = portal_on(dir.path(), clock).await;
    b.load_key_table().await.expect("load b");
    let (caller, token) = admin(&a).await;

    // Members cannot read or change the list.
    a.create_user(
        &caller,
        NewUser {
            username: "mallory".into(),
            password: "mallory-pass-1".into(),
            profile: Default::default(),
            role: None,
            user_type: None,
        },
    )
    .await
    .expect("member");
    let issued = a
        .generate_token(
            "mallory",
            "mallory-pass-1",
            TokenClient::Referer(REFERER.into()),
            Some(60),
            &facts(),
        )
        .await
        .expect("token");
    let member = a
        .authenticate(Some(issued.token.expose()), &facts())
        .await
        .expect("member");
    let forbidden = |r: Result<_, ServiceError>| {
        matches!(
            r,
            Err(ServiceError::Domain(
                keyportal_domain::DomainError::Forbidden { .. }
            ))
        )
    };
    assert!(forbidden(a.proxy_allow_list(&member).await));
    assert!(forbidden(
        a.set_proxy_allow_list(&member, &["127.0.0.1".into()]).await
    ));
    assert!(forbidden(
        a.change_proxy_allow_list(&member, &["127.0.0.1".into()], &[])
            .await
    ));
    assert!(a
        .proxy_allow_list(&caller)
        .await
        .expect("empty")
        .entries
        .is_empty());

    // With an empty list, a loopback service cannot be set up.
    let weather = ProxyChanges {
        url: Some("http://127.0.0.1:9/weather".into()),
        privilege: Some(Some("premium:user:elevation".into())),
        ..Default::default()
    };
    let refused = a
        .set_location_service(&caller, "weather", &weather)
        .await
        .expect_err("not allowed");
    assert!(
        format!("{refused:?}").contains("'127.0.0.1' (port 9)"),
        "{refused:?}"
    );
    let view = a
        .change_proxy_allow_list(
            &caller,
            &["127.0.0.1:9".into(), "*.example.com".into()],
            &[],
        )
        .await
        .expect("added");
    assert_eq!(view.entries, ["127.0.0.1:9", "*.example.com"]);
    a.set_location_service(&caller, "weather", &weather)
        .await
        .expect("allowed now");
    b.sync_changes().await.expect("sync");
    let target = ProxyTarget::Service("weather".into());
    assert!(b
        .authorize_proxy(&target, Some(&token), &facts())
        .await
        .is_ok());

    // Removing the entry refuses the service on every node, at request time, naming the host.
    let view = a
        .change_proxy_allow_list(&caller, &[], &["127.0.0.1:9".into()])
        .await
        .expect("removed");
    assert_eq!(
        view.refused,
        [RefusedUpstream {
            target: target.clone(),
            host: "127.0.0.1".into(),
            port: 9
        }]
    );
    assert!(
        b.authorize_proxy(&target, Some(&token), &facts())
            .await
            .is_ok(),
        "b has not read the notice yet"
    );
    b.sync_changes().await.expect("sync");
    match b.authorize_proxy(&target, Some(&token), &facts()).await {
        Err(ProxyRefusal::UpstreamRefused(message)) => {
            assert!(message.contains("'127.0.0.1' (port 9)"), "{message}")
        }
        other => panic!("expected the upstream to be refused, got {other:?}"),
    }
    // Anonymous callers learn nothing about the upstream.
    assert!(matches!(
        b.authorize_proxy(&target, None, &facts()).await,
        Err(ProxyRefusal::Unauthorized(_))
    ));
    assert_eq!(b.upstream_allow_list().texts(), ["*.example.com"]);

    // A bad edit changes nothing; removing what is not there is reported.
    assert!(a
        .change_proxy_allow_list(&caller, &["ok.example.org".into(), "bad host".into()], &[])
        .await
        .is_err());
    assert!(a
        .change_proxy_allow_list(&caller, &[], &["missing.example.org".into()])
        .await
        .is_err());
    assert_eq!(
        a.proxy_allow_list(&caller).await.expect("list").entries,
        ["*.example.com"]
    );
}
