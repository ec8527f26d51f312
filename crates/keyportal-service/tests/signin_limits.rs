//! Sign-in limits apply before any password is hashed: a burst of concurrent attempts from
//! one address counts in full, so only the attempts within the address's allowance are
//! hashed and the rest are refused at once.

use std::sync::Arc;

use keyportal_service::{
    HashingLimits, Portal, PortalSettings, RequestFacts, ServiceError, SystemClock, TokenClient,
};
use keyportal_store::{DatabaseUrl, SqlStore};

async fn portal(hashing: HashingLimits) -> (Portal, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .expect("store");
    let settings = PortalSettings {
        password_hashing: hashing,
        ..PortalSettings::default()
    };
    let portal = Portal::new(
        Arc::new(store),
        Arc::new(SystemClock),
        settings,
        keyportal_service::Sealer::new([7u8; 32]),
    );
    portal
        .bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    (portal, dir)
}

fn from(ip: &str) -> RequestFacts {
    RequestFacts {
        referer: None,
        client_ip: Some(ip.into()),
    }
}

/// The first detail of a refusal.
fn detail(result: Result<keyportal_service::IssuedToken, ServiceError>) -> String {
    match result {
        Err(ServiceError::Domain(keyportal_domain::DomainError::Invalid { details, .. })) => {
            details.into_iter().next().unwrap_or_default()
        }
        Err(ServiceError::Busy) => "busy".to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_burst_from_one_address_is_counted_before_hashing() {
    let (portal, _dir) = portal(HashingLimits {
        threads: 2,
        queue: 100,
    })
    .await;
    let (hashed_before, _) = portal.password_hashing().counts();
    let facts = from("203.0.113.7");
    let names: Vec<String> = (0..45).map(|i| format!("nobody{i}")).collect();
    let answers = futures_util::future::join_all(names.iter().map(|name| {
        portal.generate_token(name, "wrong-pass-1", TokenClient::RequestIp, None, &facts)
    }))
    .await;
    let details: Vec<String> = answers.into_iter().map(detail).collect();
    let wrong = details
        .iter()
        .filter(|d| *d == "Invalid username or password.")
        .count();
    // Attempts beyond the allowance wait their turn rather than lock anyone out: the ones
    // under way might still succeed.
    let crowded = details.iter().filter(|d| *d == "busy").count();
    assert_eq!((wrong, crowded), (30, 15), "{details:?}");
    // Thirty confirmed failures lock the address out.
    let after = portal
        .generate_token(
            "nobody",
            "wrong-pass-1",
            TokenClient::RequestIp,
            None,
            &facts,
        )
        .await;
    assert!(
        detail(after).starts_with("Too many failed sign-in attempts."),
        "the address is locked out"
    );
    let (hashed, busy) = portal.password_hashing().counts();
    assert_eq!(hashed - hashed_before, 30);
    assert_eq!(busy, 0);
    // Another address is not affected.
    assert!(portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::RequestIp,
            None,
            &from("198.51.100.1")
        )
        .await
        .is_ok());
}

#[tokio::test]
async fn a_successful_sign_in_takes_its_attempt_back() {
    let (portal, _dir) = portal(HashingLimits {
        threads: 1,
        queue: 8,
    })
    .await;
    let facts = from("203.0.113.8");
    // 29 failures, then many successes: the address never reaches its 30th failure.
    for i in 0..29 {
        let refused = portal
            .generate_token(
                &format!("nobody{i}"),
                "wrong-pass-1",
                TokenClient::RequestIp,
                None,
                &facts,
            )
            .await;
        assert_eq!(detail(refused), "Invalid username or password.");
    }
    for _ in 0..3 {
        portal
            .generate_token(
                "admin",
                "admin-pass-1",
                TokenClient::RequestIp,
                None,
                &facts,
            )
            .await
            .expect("sign-in");
    }
    let refused = portal
        .generate_token(
            "nobody",
            "wrong-pass-1",
            TokenClient::RequestIp,
            None,
            &facts,
        )
        .await;
    assert_eq!(detail(refused), "Invalid username or password.");
    // That was the 30th: now the address is locked out, even with the right password.
    let locked = portal
        .generate_token(
            "admin",
            "admin-pass-1",
            TokenClient::RequestIp,
            None,
            &facts,
        )
        .await;
    assert!(detail(locked).starts_with("Too many failed sign-in attempts."));
}
