//! Rules that depend on time, checked by stepping a clock instead of sleeping.

use std::sync::Arc;

use keyportal_domain::time::{MINUTE_MS, SECOND_MS};
use keyportal_service::{
    Caller, ManualClock, Portal, PortalSettings, RequestFacts, ServiceError, TokenClient,
};
use keyportal_store::{DatabaseUrl, SqlStore};

const START: i64 = 1_750_000_000_000;

async fn portal(clock: Arc<ManualClock>) -> (Portal, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .expect("store");
    let sealer = keyportal_service::Sealer::new([7u8; 32]);
    let portal = Portal::new(Arc::new(store), clock, PortalSettings::default(), sealer);
    portal
        .bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    (portal, dir)
}

fn facts() -> RequestFacts {
    RequestFacts {
        referer: Some("https://app.example.com/page".into()),
        client_ip: Some("127.0.0.1".into()),
    }
}

#[tokio::test]
async fn user_tokens_expire_at_their_deadline() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal(clock.clone()).await;
    let issued = portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::Referer("https://app.example.com".into()),
            Some(30),
            &facts(),
        )
        .await
        .expect("token");
    assert_eq!(issued.expires, START + 30 * MINUTE_MS);
    let token = issued.token.expose().to_string();
    clock.set(START + 30 * MINUTE_MS - 1);
    let caller = portal
        .authenticate(Some(&token), &facts())
        .await
        .expect("valid");
    assert!(matches!(caller, Caller::Member(_)));
    clock.set(START + 30 * MINUTE_MS);
    assert!(matches!(
        portal.authenticate(Some(&token), &facts()).await,
        Err(ServiceError::InvalidToken)
    ));
}

#[tokio::test]
async fn lockout_ends_after_fifteen_minutes() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal(clock.clone()).await;
    for _ in 0..5 {
        let refused = portal
            .generate_token("admin", "wrong-1", TokenClient::RequestIp, None, &facts())
            .await;
        assert!(refused.is_err());
    }
    let locked = portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::RequestIp,
            None,
            &facts(),
        )
        .await;
    assert!(locked
        .expect_err("locked")
        .to_string()
        .contains("Unable to generate token"));
    clock.advance(15 * MINUTE_MS + SECOND_MS);
    let issued = portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::RequestIp,
            None,
            &facts(),
        )
        .await
        .expect("unlocked after the lockout");
    assert_eq!(
        issued.expires,
        clock_now(&clock) + 60 * MINUTE_MS,
        "default lifetime is an hour"
    );
}

fn clock_now(clock: &ManualClock) -> i64 {
    use keyportal_service::Clock;
    clock.now()
}

#[tokio::test]
async fn request_ip_tokens_only_work_from_their_address() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal(clock).await;
    let issued = portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::RequestIp,
            None,
            &facts(),
        )
        .await
        .expect("token");
    let token = issued.token.expose().to_string();
    assert!(portal.authenticate(Some(&token), &facts()).await.is_ok());
    let elsewhere = RequestFacts {
        referer: None,
        client_ip: Some("10.1.2.3".into()),
    };
    assert!(matches!(
        portal.authenticate(Some(&token), &elsewhere).await,
        Err(ServiceError::InvalidToken)
    ));
}
