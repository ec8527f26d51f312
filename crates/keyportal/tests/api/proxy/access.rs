//! Who reaches a proxied item: keys by item access, members by sharing; referrers and the
//! rate per key.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::upstream::Upstream;
use super::{
    allow_upstreams, code_of, get_from, get_with, proxied_item, proxy_settings_path, servers,
    usage_totals,
};
use crate::harness::{key_with, TestServer};
use crate::on_both_backends;

on_both_backends!(
    keys_reach_granted_items_and_members_follow_sharing,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        // The upstreams run on loopback, which the allow-list must name explicitly.
        allow_upstreams(&s, &admin, &["127.0.0.1"]).await;
        let granted = proxied_item(&s, &admin, "admin", &format!("{}/granted", up.url), &[]).await;
        let other = proxied_item(&s, &admin, "admin", &format!("{}/other", up.url), &[]).await;
        let public = proxied_item(&s, &admin, "admin", &format!("{}/public", up.url), &[]).await;
        let shared = s
            .post(
                &format!("content/users/admin/items/{public}/share"),
                Some(&admin),
                &[("everyone", "true")],
            )
            .await;
        assert!(shared.get("error").is_none(), "{shared}");
        let (credential, _, key) = key_with(
            &s,
            &admin,
            &[format!("portal:app:access:item:{granted}")],
            &[],
        )
        .await;

        for _ in 0..2 {
            let (status, body) = get_with(&s, &servers(&s, &granted, "/info"), Some(&key)).await;
            assert_eq!(status, 200, "{body}");
        }
        assert_eq!(up.last().path, "/granted/info");
        let (status, body) = get_with(&s, &servers(&s, &other, "/info"), Some(&key)).await;
        assert_eq!((status, code_of(&body)), (403, 403), "{body}");
        let (status, _) = get_with(&s, &servers(&s, &public, "/info"), Some(&key)).await;
        assert_eq!(status, 200, "public items are open to every key");
        let (status, _) = get_with(&s, &servers(&s, &credential, "/info"), Some(&key)).await;
        assert_eq!(status, 404, "not a proxied item");
        let (status, _) = get_with(&s, &servers(&s, "nothex", "/info"), Some(&key)).await;
        assert_eq!(status, 404);
        let response = s
            .client
            .get(servers(&s, &granted, "/info"))
            .header("X-Esri-Authorization", format!("Bearer {key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "the key in X-Esri-Authorization");

        // Members: by the item's sharing.
        let ursula = s.member(&admin, "ursula", "org_user", "creatorUT").await;
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 403);
        let shared = s
            .post(
                &format!("content/users/admin/items/{granted}/share"),
                Some(&admin),
                &[("org", "true")],
            )
            .await;
        assert!(shared.get("error").is_none(), "{shared}");
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 200, "shared with the organization");
        let (status, _) = get_with(&s, &servers(&s, &other, "/info"), Some(&admin)).await;
        assert_eq!(status, 200, "the owner");

        // The sharing check is made from a cached copy of the item: every sharing change
        // must reach it at once. Back to private, then a group ursula belongs to.
        let private = s
            .post(
                &format!("content/users/admin/items/{granted}/share"),
                Some(&admin),
                &[("everyone", "false"), ("org", "false")],
            )
            .await;
        assert!(private.get("error").is_none(), "{private}");
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 403, "no longer shared with the organization");
        let group = s
            .post(
                "community/createGroup",
                Some(&admin),
                &[("title", "Proxy readers"), ("access", "org")],
            )
            .await;
        let group_id = group["group"]["id"].as_str().unwrap().to_string();
        let added = s
            .post(
                &format!("community/groups/{group_id}/addUsers"),
                Some(&admin),
                &[("users", "ursula")],
            )
            .await;
        assert!(added.get("error").is_none(), "{added}");
        let ursula = s.sign_in("ursula", "ursula-pass-1").await;
        s.post(
            &format!("content/users/admin/items/{granted}/share"),
            Some(&admin),
            &[("groups", group_id.as_str())],
        )
        .await;
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 200, "shared with ursula's group");
        s.post(
            &format!("content/users/admin/items/{granted}/unshare"),
            Some(&admin),
            &[("groups", group_id.as_str())],
        )
        .await;
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 403, "unshared from the group");
        s.post(
            &format!("content/users/admin/items/{granted}/share"),
            Some(&admin),
            &[("groups", group_id.as_str())],
        )
        .await;
        let deleted = s
            .post(
                &format!("community/groups/{group_id}/delete"),
                Some(&admin),
                &[],
            )
            .await;
        assert!(deleted.get("error").is_none(), "{deleted}");
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 403, "the group and its shares are gone");

        // Anonymous callers: public items only.
        let (status, _) = get_with(&s, &servers(&s, &public, "/info"), None).await;
        assert_eq!(status, 200);
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), None).await;
        assert_eq!(status, 401);

        // Key requests are counted under the item id; refused ones are not.
        let mut expected = Map::new();
        expected.insert(granted.clone(), json!(3));
        expected.insert(public.clone(), json!(1));
        assert_eq!(
            usage_totals(&s, &admin, &credential).await,
            Value::Object(expected)
        );
    }
);

on_both_backends!(
    referrers_and_the_rate_per_key_are_enforced,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        // The upstreams run on loopback, which the allow-list must name explicitly.
        allow_upstreams(&s, &admin, &["127.0.0.1"]).await;
        let item = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("{}/limited", up.url),
            &[
                ("allowedReferrers", r#"["https://app.example.com"]"#),
                ("rateLimitPerKey", "2"),
            ],
        )
        .await;
        let shown = s
            .get(&proxy_settings_path("admin", &item), Some(&admin), &[])
            .await;
        assert_eq!(
            shown["allowedReferrers"],
            json!(["https://app.example.com"])
        );
        assert_eq!(shown["rateLimitPerKey"], 2);
        let (credential, _, key) =
            key_with(&s, &admin, &[format!("portal:app:access:item:{item}")], &[]).await;
        let url = servers(&s, &item, "/tile/1/2/3");

        for referer in [None, Some("https://evil.example.com/page")] {
            let (status, body) = get_from(&s, &url, Some(&key), referer).await;
            assert_eq!((status, code_of(&body)), (403, 403), "{referer:?}: {body}");
        }
        let site = Some("https://app.example.com/map.html");
        for _ in 0..2 {
            let (status, body) = get_from(&s, &url, Some(&key), site).await;
            assert_eq!(status, 200, "{body}");
        }
        let limited = s
            .client
            .get(&url)
            .query(&[("token", key.as_str())])
            .header("Referer", "https://app.example.com/map.html")
            .send()
            .await
            .unwrap();
        assert_eq!(limited.status(), 429);
        let retry: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry), "Retry-After {retry}");
        let body: Value = limited.json().await.unwrap();
        assert_eq!(body["error"]["code"], 429);

        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (status, _) = get_from(&s, &url, Some(&key), site).await;
        assert_eq!(status, 200, "the bucket refills");

        let mut expected = Map::new();
        expected.insert(item.clone(), json!(3));
        expected.insert("throttled".into(), json!(1));
        assert_eq!(
            usage_totals(&s, &admin, &credential).await,
            Value::Object(expected)
        );

        // Clearing the settings' limits and referrers opens the item again.
        let cleared = s
            .post(
                &proxy_settings_path("admin", &item),
                Some(&admin),
                &[("allowedReferrers", "[]"), ("rateLimitPerKey", "")],
            )
            .await;
        assert_eq!(cleared["rateLimitPerKey"], Value::Null, "{cleared}");
        for _ in 0..4 {
            let (status, _) = get_from(&s, &url, Some(&key), None).await;
            assert_eq!(status, 200);
        }
    }
);

on_both_backends!(
    keys_restricted_to_addresses_are_refused_by_the_proxy,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        allow_upstreams(&s, &admin, &["127.0.0.1"]).await;
        let item = proxied_item(&s, &admin, "admin", &format!("{}/addr", up.url), &[]).await;
        let (_, client_id, key) =
            key_with(&s, &admin, &[format!("portal:app:access:item:{item}")], &[]).await;
        let (status, body) = get_with(&s, &servers(&s, &item, "/info"), Some(&key)).await;
        assert_eq!(status, 200, "{body}");
        let update = |list: &'static str| {
            let s = &s;
            let admin = admin.clone();
            let client_id = client_id.clone();
            async move {
                let answer = s
                    .post(
                        &format!("oauth2/apps/{client_id}/update"),
                        Some(&admin),
                        &[("allowedAddresses", list)],
                    )
                    .await;
                assert!(answer.get("error").is_none(), "{answer}");
            }
        };
        update("203.0.113.0/24").await;
        let calls = up.seen().len();
        let (status, body) = get_with(&s, &servers(&s, &item, "/info"), Some(&key)).await;
        assert_eq!((status, code_of(&body)), (401, 401), "{body}");
        assert!(body.contains("address"), "{body}");
        assert_eq!(up.seen().len(), calls, "the upstream is not reached");
        update("127.0.0.1, ::1").await;
        let (status, body) = get_with(&s, &servers(&s, &item, "/info"), Some(&key)).await;
        assert_eq!(status, 200, "{body}");
    }
);
