//! Family 1a: keys that were never issued, were altered, or are no longer alive. Each is refused
//! on the Sharing API (498) and by `/verify` (401 with its reason), and the real key beside it
//! keeps working — a refusal changes nothing.

use keyportal_domain::api_key::{generate_api_key, KeySlot};
use serde_json::json;

use crate::harness::{error_code, TestServer};
use crate::on_both_backends;
use crate::support::{
    app_info, assert_refused, credential, item, key_code, mint, now, sqlite_server, verify, DAY,
};

/// `key` with the byte at `at` replaced by a different base64url character.
fn flipped(key: &str, at: usize) -> String {
    let mut bytes = key.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// Refused on the Sharing API as an invalid token, and by `/verify` with `reason`.
async fn assert_dead(s: &TestServer, key: &str, reason: &str, case: &str) {
    let answer = s.get_with_key("portals/self", key, None).await;
    assert_refused(&answer, 498, Some("Invalid token."), case);
    let (status, body) = verify(s, "service=basemaps", Some(key), &[]).await;
    assert_eq!(
        (status, body["reason"].clone(), body["allowed"].clone()),
        (401, json!(reason), json!(false)),
        "{case}: {body}"
    );
}

/// A working key: the Sharing API acts as its app, `/verify` allows basemaps.
async fn assert_alive(s: &TestServer, key: &str, case: &str) {
    assert_eq!(key_code(s, key, None).await, 0, "{case}: the key stopped");
    let (status, body) = verify(s, "service=basemaps", Some(key), &[]).await;
    assert_eq!(status, 200, "{case}: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_and_truncated_keys_are_refused_without_a_lookup() {
    let (s, admin) = sqlite_server().await;
    let c = credential(&s, &admin, "admin", &["premium:user:basemaps"], &[]).await;
    let key = mint(&s, &c, "1").await;
    assert_alive(&s, &key, "the real key").await;

    let never_issued = generate_api_key(KeySlot::One).expose().to_string();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "random AAPT string of a key's length",
            format!("AAPT{}", "x.y-z".repeat(11) + "q"),
            "malformed",
        ),
        (
            "the right shape, an invented checksum",
            format!("{}_AbCdEfGh", &never_issued[..51]),
            "malformed",
        ),
        (
            "a valid checksum, never issued",
            never_issued.clone(),
            "unknown",
        ),
        (
            "one character of the random part flipped",
            flipped(&key, 10),
            "malformed",
        ),
        (
            "one checksum character flipped",
            flipped(&key, 55),
            "malformed",
        ),
        (
            "the slot digit changed",
            format!("{}2{}", &key[..50], &key[51..]),
            "malformed",
        ),
        ("truncated by one", key[..59].to_string(), "malformed"),
        (
            "truncated to the prefix",
            key[..20].to_string(),
            "malformed",
        ),
        ("one character appended", format!("{key}A"), "malformed"),
        (
            "lower-cased (no longer AAPT…)",
            key.to_ascii_lowercase(),
            "unknown",
        ),
        (
            "a legacy-shaped key never imported",
            format!("AAPK{}", "k".repeat(60)),
            "unknown",
        ),
        (
            "a key longer than 4096 characters",
            format!("{key}{}", "A".repeat(5000)),
            "malformed",
        ),
    ];
    assert!(cases.iter().all(|(_, forged, _)| forged != &key));
    for (case, forged, reason) in &cases {
        assert_dead(&s, forged, reason, case).await;
    }
    // The oversized key sent in a form body is refused the same way, not decoded further.
    let oversized = s
        .post(
            "portals/self",
            Some(&format!("AAPT{}", "A".repeat(8192))),
            &[],
        )
        .await;
    assert_refused(&oversized, 498, None, "an 8 KiB key in a form body");
    assert!(
        oversized.to_string().len() < 400,
        "the answer does not echo the key"
    );
    assert_alive(&s, &key, "after every forgery").await;

    // A live key asking for what it lacks: 403, the reason, and what would have allowed it.
    let other = s.add_item(&admin, "admin", "Not granted", &[]).await;
    for (query, reason, needed) in [
        (
            "service=geocode".to_string(),
            "service",
            "premium:user:geocode:temporary".to_string(),
        ),
        (
            "privilege=portal:admin:manageSecurity".to_string(),
            "privilege",
            "portal:admin:manageSecurity".to_string(),
        ),
        (
            format!("item={other}"),
            "item",
            format!("portal:app:access:item:{other}"),
        ),
        (
            "service=basemaps&privilege=premium:user:geocode".to_string(),
            "privilege",
            "premium:user:geocode".to_string(),
        ),
    ] {
        let (status, body) = verify(&s, &query, Some(&key), &[]).await;
        assert_eq!(
            (status, body["reason"].clone()),
            (403, json!(reason)),
            "{query}"
        );
        assert!(
            body["needed"].as_array().unwrap().contains(&json!(needed)),
            "{query}: {body}"
        );
    }
    assert_refused(
        &s.get_with_key(&format!("content/items/{other}"), &key, None)
            .await,
        400,
        Some("CONT_0001"),
        "reading an item the key was not granted",
    );
    assert_alive(&s, &key, "after the refusals").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidated_regenerated_and_deleted_keys_stay_dead() {
    let (s, admin) = sqlite_server().await;
    let c = credential(&s, &admin, "admin", &["premium:user:basemaps"], &[]).await;
    let key1 = mint(&s, &c, "1").await;
    let key2 = mint(&s, &c, "2").await;

    // Invalidated (revokeToken apiToken=1): dead at once, slot 2 untouched.
    let revoked = s
        .post(
            "oauth2/revokeToken",
            None,
            &[
                ("client_id", &c.client_id),
                ("client_secret", &c.secret),
                ("apiToken", "1"),
            ],
        )
        .await;
    assert_eq!(revoked["success"], true, "{revoked}");
    assert_dead(&s, &key1, "unknown", "an invalidated key").await;
    assert_alive(&s, &key2, "the other slot after invalidation").await;
    let info = app_info(&s, &admin, "admin", &c.item).await;
    assert_eq!(
        (
            info["apiToken1Active"].clone(),
            info["apiToken2Active"].clone()
        ),
        (json!(false), json!(true))
    );

    // Invalidating with a guessed secret is refused and kills nothing.
    let guessed = s
        .post(
            "oauth2/revokeToken",
            None,
            &[
                ("client_id", &c.client_id),
                ("client_secret", "0123456789abcdef0123456789abcdef"),
                ("apiToken", "2"),
            ],
        )
        .await;
    assert_refused(
        &guessed,
        400,
        Some("Invalid client_id or client_secret."),
        "revoke with a guessed secret",
    );
    assert_alive(&s, &key2, "after a revoke with a guessed secret").await;

    // Regenerated: the old value is dead, the new one works.
    let key2b = mint(&s, &c, "2").await;
    assert_ne!(key2b, key2);
    assert_dead(&s, &key2, "unknown", "a regenerated-away key").await;
    assert_alive(&s, &key2b, "the regenerated key").await;

    // Minting with a guessed secret mints nothing and kills nothing.
    let stolen = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", &c.client_id),
                ("client_secret", &c.secret[..31]),
                ("apiToken", "2"),
                ("regenerateApiToken", "true"),
            ],
        )
        .await;
    assert_refused(
        &stolen,
        400,
        Some("invalid_client"),
        "mint with a wrong secret",
    );
    assert!(stolen.get("access_token").is_none());
    assert_alive(&s, &key2b, "after a mint with a wrong secret").await;

    // Unregistered: every key of the app is dead.
    let other = credential(&s, &admin, "admin", &["premium:user:basemaps"], &[]).await;
    let other_key = mint(&s, &other, "1").await;
    let gone = s
        .post(
            &format!("oauth2/apps/{}/unregister", other.client_id),
            Some(&admin),
            &[],
        )
        .await;
    assert!(gone.get("error").is_none(), "{gone}");
    assert_dead(&s, &other_key, "unknown", "a key of an unregistered app").await;
    assert_refused(
        &s.post(
            "oauth2/token",
            None,
            &[
                ("client_id", &other.client_id),
                ("client_secret", &other.secret),
                ("apiToken", "1"),
            ],
        )
        .await,
        400,
        Some("invalid_client"),
        "minting for an unregistered app",
    );

    // Deleted credential item: keys dead, registration gone.
    let deleted = s
        .post(
            &format!("content/users/admin/items/{}/delete", c.item),
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(deleted["success"], true, "{deleted}");
    assert_dead(&s, &key2b, "unknown", "a key of a deleted credential").await;
    assert_eq!(error_code(&item(&s, &admin, &c.item).await), 400);
}

on_both_backends!(
    slot_dates_in_the_past_or_beyond_a_year_are_refused_and_change_nothing,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let c = credential(&s, &admin, "admin", &["premium:user:basemaps"], &[]).await;
        let key = mint(&s, &c, "1").await;
        let date_before = item(&s, &admin, &c.item).await["apiToken1ExpirationDate"].clone();
        for (case, date) in [
            ("a date in the past", now() - DAY),
            ("the current instant", now()),
            ("more than a year ahead", now() + 367 * DAY),
            ("far in the future", i64::MAX / 2),
        ] {
            let refused = s
                .post(
                    &format!("content/users/admin/items/{}/update", c.item),
                    Some(&admin),
                    &[
                        ("apiToken1ExpirationDate", &date.to_string()),
                        ("title", "renamed by the refused update"),
                    ],
                )
                .await;
            assert_refused(&refused, 400, None, case);
            let after = item(&s, &admin, &c.item).await;
            assert_eq!(after["apiToken1ExpirationDate"], date_before, "{case}");
            assert_eq!(after["title"], "Keys under attack", "{case}");
            assert_eq!(crate::support::key_code(&s, &key, None).await, 0, "{case}");
        }
    }
);
