//! OAuth authorization codes and refresh tokens.

use std::sync::Arc;

use keyportal_domain::oauth::{AuthorizationCode, PkceChallenge, PkceMethod, RefreshToken};
use keyportal_store::{OAuthStore, SqlStore, TokenStore};

use crate::fixtures::*;

fn code(
    hash: &str,
    username: &str,
    challenge: Option<PkceChallenge>,
    expires: i64,
) -> AuthorizationCode {
    AuthorizationCode {
        hash: hash.into(),
        client_id: "clientAAAAAAAAAA".into(),
        redirect_uri: "https://app.example.com/callback?x=ä".into(),
        username: username.into(),
        user_id: format!("id-{username}"),
        challenge,
        refresh_minutes: 20_160,
        created: expires - 300_000,
        expires,
    }
}

fn refresh(hash: &str, username: &str, expires: i64) -> RefreshToken {
    RefreshToken {
        hash: hash.into(),
        client_id: "clientAAAAAAAAAA".into(),
        username: username.into(),
        user_id: format!("id-{username}"),
        created: 1_000,
        expires,
    }
}

pub(crate) async fn oauth_codes_round_trip_and_are_single_use(store: &SqlStore) {
    let with_pkce = code(
        &"a".repeat(64),
        "alice",
        Some(PkceChallenge {
            method: PkceMethod::S256,
            challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        }),
        10_000,
    );
    let plain = code(
        &"b".repeat(64),
        "alice",
        Some(PkceChallenge {
            method: PkceMethod::Plain,
            challenge: "p".repeat(43),
        }),
        10_000,
    );
    let without = code(&"c".repeat(64), "bob", None, 20_000);
    for c in [&with_pkce, &plain, &without] {
        store.insert_authorization_code(c).await.expect("insert");
    }
    for c in [&with_pkce, &plain, &without] {
        assert_eq!(
            store.get_authorization_code(&c.hash).await.expect("get"),
            Some(c.clone())
        );
    }
    assert_eq!(
        store.get_authorization_code("missing").await.expect("get"),
        None
    );
    assert_conflict(store.insert_authorization_code(&with_pkce).await, "already");

    // Single use: the first consume wins, every later one reports the code gone.
    assert!(store
        .consume_authorization_code(&with_pkce.hash)
        .await
        .expect("consume"));
    assert!(!store
        .consume_authorization_code(&with_pkce.hash)
        .await
        .expect("consume"));
    assert_eq!(
        store
            .get_authorization_code(&with_pkce.hash)
            .await
            .expect("get"),
        None
    );
    assert!(!store
        .consume_authorization_code("missing")
        .await
        .expect("consume"));
}

pub(crate) async fn concurrent_code_redemptions_have_one_winner(store: &SqlStore) {
    let store = Arc::new(store.clone());
    for round in 0..5u8 {
        let hash = format!("{round:064}");
        store
            .insert_authorization_code(&code(&hash, "alice", None, 10_000))
            .await
            .expect("insert");
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let hash = hash.clone();
                tokio::spawn(async move { store.consume_authorization_code(&hash).await })
            })
            .collect();
        let mut winners = 0;
        for attempt in attempts {
            if attempt.await.expect("task").expect("consume") {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "round {round}");
    }
}

pub(crate) async fn refresh_tokens_round_trip_replace_once_and_revoke(store: &SqlStore) {
    let first = refresh(&"1".repeat(64), "alice", 50_000);
    store.insert_refresh_token(&first).await.expect("insert");
    assert_eq!(
        store.get_refresh_token(&first.hash).await.expect("get"),
        Some(first.clone())
    );
    assert_eq!(store.get_refresh_token("missing").await.expect("get"), None);
    assert_conflict(store.insert_refresh_token(&first).await, "already");

    // Exchanging replaces the old token by the new one, once.
    let second = refresh(&"2".repeat(64), "alice", 60_000);
    assert!(store
        .replace_refresh_token(&first.hash, &second)
        .await
        .expect("replace"));
    assert_eq!(
        store.get_refresh_token(&first.hash).await.expect("get"),
        None
    );
    assert_eq!(
        store.get_refresh_token(&second.hash).await.expect("get"),
        Some(second.clone())
    );
    let third = refresh(&"3".repeat(64), "alice", 70_000);
    assert!(!store
        .replace_refresh_token(&first.hash, &third)
        .await
        .expect("second exchange of the same token"));
    assert_eq!(
        store.get_refresh_token(&third.hash).await.expect("get"),
        None,
        "a refused exchange writes nothing"
    );

    // A collision on the new hash leaves the old token in place.
    let fourth = refresh(&"4".repeat(64), "alice", 80_000);
    store.insert_refresh_token(&fourth).await.expect("insert");
    assert_conflict(
        store.replace_refresh_token(&second.hash, &fourth).await,
        "already",
    );
    assert!(store
        .get_refresh_token(&second.hash)
        .await
        .expect("get")
        .is_some());

    assert!(store
        .delete_refresh_token(&second.hash)
        .await
        .expect("revoke"));
    assert!(!store
        .delete_refresh_token(&second.hash)
        .await
        .expect("revoke again"));
    assert_eq!(
        store.get_refresh_token(&second.hash).await.expect("get"),
        None
    );
}

pub(crate) async fn expired_oauth_grants_are_purged(store: &SqlStore) {
    store
        .insert_authorization_code(&code(&"a".repeat(64), "alice", None, 100))
        .await
        .expect("insert");
    store
        .insert_authorization_code(&code(&"b".repeat(64), "alice", None, 300))
        .await
        .expect("insert");
    store
        .insert_refresh_token(&refresh(&"c".repeat(64), "alice", 100))
        .await
        .expect("insert");
    store
        .insert_refresh_token(&refresh(&"d".repeat(64), "alice", 300))
        .await
        .expect("insert");
    assert_eq!(store.purge_expired_oauth(99).await.expect("purge"), 0);
    // Expired from the `expires` instant on.
    assert_eq!(store.purge_expired_oauth(100).await.expect("purge"), 2);
    assert_eq!(store.purge_expired_oauth(100).await.expect("purge"), 0);
    assert!(store
        .get_authorization_code(&"a".repeat(64))
        .await
        .expect("get")
        .is_none());
    assert!(store
        .get_authorization_code(&"b".repeat(64))
        .await
        .expect("get")
        .is_some());
    assert!(store
        .get_refresh_token(&"c".repeat(64))
        .await
        .expect("get")
        .is_none());
    assert!(store
        .get_refresh_token(&"d".repeat(64))
        .await
        .expect("get")
        .is_some());
}

pub(crate) async fn signing_a_member_out_everywhere_removes_their_oauth_grants(store: &SqlStore) {
    add_user(store, "alice").await;
    add_user(store, "bob").await;
    store
        .insert_authorization_code(&code(&"a".repeat(64), "alice", None, 1_000))
        .await
        .expect("insert");
    store
        .insert_refresh_token(&refresh(&"b".repeat(64), "alice", 1_000))
        .await
        .expect("insert");
    store
        .insert_authorization_code(&code(&"c".repeat(64), "bob", None, 1_000))
        .await
        .expect("insert");
    store
        .insert_refresh_token(&refresh(&"d".repeat(64), "bob", 1_000))
        .await
        .expect("insert");
    store
        .delete_tokens_of_user("alice")
        .await
        .expect("sign out");
    assert!(store
        .get_authorization_code(&"a".repeat(64))
        .await
        .expect("get")
        .is_none());
    assert!(store
        .get_refresh_token(&"b".repeat(64))
        .await
        .expect("get")
        .is_none());
    assert!(store
        .get_authorization_code(&"c".repeat(64))
        .await
        .expect("get")
        .is_some());
    assert!(store
        .get_refresh_token(&"d".repeat(64))
        .await
        .expect("get")
        .is_some());
}
