//! User tokens.

use keyportal_domain::token::TokenBinding;
use keyportal_store::{SqlStore, TokenStore};

use crate::fixtures::*;

pub(crate) async fn tokens_round_trip_and_expired_ones_are_purged(store: &SqlStore) {
    add_user(store, "tokenuser").await;
    add_user(store, "other").await;
    let tokens = [
        token(
            "a".repeat(64).as_str(),
            "tokenuser",
            100,
            TokenBinding::None,
        ),
        token(
            "b".repeat(64).as_str(),
            "tokenuser",
            200,
            TokenBinding::Referer("https://app.example.com/ä".into()),
        ),
        token(
            "c".repeat(64).as_str(),
            "tokenuser",
            300,
            TokenBinding::Ip("10.0.0.1".into()),
        ),
        token(
            "d".repeat(64).as_str(),
            "other",
            400,
            TokenBinding::Referer(String::new()),
        ),
    ];
    for t in &tokens {
        store.insert_token(t).await.expect("insert");
    }
    for t in &tokens {
        assert_eq!(
            store.get_token(&t.hash).await.expect("get"),
            Some(t.clone())
        );
    }
    assert_eq!(store.get_token("missing").await.expect("get"), None);
    assert_conflict(store.insert_token(&tokens[0]).await, "already");
    assert_conflict(
        store
            .insert_token(&token("e", "nobody", 1, TokenBinding::None))
            .await,
        "nobody",
    );

    // Expired from the `expires` instant on, as UserToken::is_expired says.
    assert_eq!(store.purge_expired_tokens(99).await.expect("purge"), 0);
    assert_eq!(store.purge_expired_tokens(200).await.expect("purge"), 2);
    assert_eq!(store.purge_expired_tokens(200).await.expect("purge"), 0);
    assert_eq!(store.get_token(&tokens[0].hash).await.expect("get"), None);
    assert_eq!(store.get_token(&tokens[1].hash).await.expect("get"), None);
    assert!(store
        .get_token(&tokens[2].hash)
        .await
        .expect("get")
        .is_some());

    store.delete_token(&tokens[2].hash).await.expect("delete");
    assert_eq!(store.get_token(&tokens[2].hash).await.expect("get"), None);
    assert_not_found(store.delete_token(&tokens[2].hash).await);

    store
        .insert_token(&token("f", "other", 500, TokenBinding::None))
        .await
        .expect("insert");
    store
        .delete_tokens_of_user("other")
        .await
        .expect("delete all");
    assert_eq!(store.get_token("f").await.expect("get"), None);
    assert_eq!(store.get_token(&tokens[3].hash).await.expect("get"), None);
    store
        .delete_tokens_of_user("other")
        .await
        .expect("nothing left is fine");
}
