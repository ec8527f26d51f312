//! `checkAccess` and recent refusals.

use serde_json::json;

use super::*;
use crate::harness::{error_code, key_with, TestServer};
use crate::on_both_backends;

on_both_backends!(
    check_access_and_recent_refusals,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, client_id, key) =
            key_with(&s, &admin, &[GEOCODE.into()], &["https://app.example.com"]).await;
        let no = check(
            &s,
            &admin,
            &item,
            &[
                ("slot", "1"),
                ("referer", "https://evil.example.com"),
                ("service", "geocode"),
            ],
        )
        .await;
        assert_eq!(
            no,
            json!({"allowed": false, "reason": "referrer", "needed": [],
                   "message": "The key's referrers do not include https://evil.example.com."})
        );
        let yes = check(
            &s,
            &admin,
            &item,
            &[
                ("slot", "1"),
                ("referer", "https://app.example.com/map"),
                ("service", "geocode"),
            ],
        )
        .await;
        assert_eq!(yes["allowed"], json!(true), "{yes}");
        let service = check(
            &s,
            &admin,
            &item,
            &[
                ("slot", "1"),
                ("referer", "https://app.example.com"),
                ("service", "basemaps"),
            ],
        )
        .await;
        assert_eq!(service["reason"], json!("service"), "{service}");
        assert!(!service["needed"].as_array().expect("needed").is_empty());
        let empty = check(&s, &admin, &item, &[("slot", "2")]).await;
        assert_eq!(empty["reason"], json!("inactive"), "{empty}");
        set_addresses(&s, &admin, &client_id, "203.0.113.0/24").await;
        let address = check(
            &s,
            &admin,
            &item,
            &[
                ("slot", "1"),
                ("referer", "https://app.example.com"),
                ("address", "192.0.2.7"),
            ],
        )
        .await;
        assert_eq!(address["reason"], json!("address"), "{address}");
        assert_eq!(
            address["message"],
            json!("The key's allowed addresses do not include 192.0.2.7.")
        );
        let bad = check(&s, &admin, &item, &[("slot", "1"), ("address", "nope")]).await;
        assert_eq!(error_code(&bad), 400, "{bad}");
        let later = check(
            &s,
            &admin,
            &item,
            &[
                ("slot", "1"),
                ("referer", "https://app.example.com"),
                ("address", "203.0.113.1"),
                ("time", "4102444800000"),
            ],
        )
        .await;
        assert_eq!(later["reason"], json!("expired"), "{later}");
        // A member who does not manage the credential is refused; a key is not a caller here.
        let other = s.member(&admin, "checker", "org_user", "creatorUT").await;
        let refused = check(&s, &other, &item, &[("slot", "1")]).await;
        assert_ne!(error_code(&refused), 0, "{refused}");
        let with_key = check(&s, &key, &item, &[("slot", "1")]).await;
        assert_ne!(error_code(&with_key), 0, "{with_key}");

        // Refused requests are listed at once, newest first, never with the key.
        let base = s.url.clone();
        let evil = [("Referer", "https://evil.example.com/page")];
        assert_eq!(verify(&s, &base, &key, &evil).await.0, 401);
        let app = [("Referer", "https://app.example.com/")];
        assert_eq!(verify(&s, &base, &key, &app).await.0, 401, "address");
        let refusals = s
            .get(
                &format!("content/users/admin/items/{item}/refusals"),
                Some(&admin),
                &[],
            )
            .await;
        let list = refusals["refusals"]
            .as_array()
            .unwrap_or_else(|| panic!("{refusals}"));
        assert!(list.len() >= 2, "{refusals}");
        assert_eq!(list[0]["reason"], json!("address"));
        assert_eq!(list[0]["address"], json!("127.0.0.1"));
        assert_eq!(list[0]["service"], json!("geocode"));
        assert_eq!(list[0]["slot"], json!(1));
        assert_eq!(list[1]["reason"], json!("referrer"));
        assert_eq!(list[1]["referer"], json!("https://evil.example.com/page"));
        assert!(!refusals.to_string().contains(&key));
        let denied = s
            .get(
                &format!("content/users/admin/items/{item}/refusals"),
                Some(&other),
                &[],
            )
            .await;
        assert_ne!(error_code(&denied), 0, "{denied}");
        // checkAccess counted nothing.
        let again = s
            .get(
                &format!("content/users/admin/items/{item}/refusals"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(again["refusals"].as_array().map(Vec::len), Some(list.len()));
    }
);
