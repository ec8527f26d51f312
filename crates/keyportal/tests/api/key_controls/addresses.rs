//! `allowedAddresses` on every path, and the trusted-proxy rule.

use serde_json::{json, Value};

use super::*;
use crate::harness::{error_code, key_with, TestServer};
use crate::{on_both_backends, tuned_on_both_backends};

on_both_backends!(
    addresses_restrict_keys_on_every_path,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, client_id, key) = key_with(&s, &admin, &[GEOCODE.into()], &[]).await;
        let base = s.url.clone();
        assert_eq!(verify(&s, &base, &key, &[]).await.0, 200);

        // A bad entry: a clear 400 naming it, nothing changed.
        let bad = set_addresses(&s, &admin, &client_id, r#"["10.0.0.0/8","10.0.0.5/24"]"#).await;
        assert_eq!(error_code(&bad), 400, "{bad}");
        assert!(bad.to_string().contains("10.0.0.5/24"), "{bad}");
        assert_eq!(info(&s, &admin, &item).await["allowedAddresses"], json!([]));
        let many: Vec<String> = (0..101).map(|i| format!("10.{i}.0.0/16")).collect();
        let too_many = set_addresses(&s, &admin, &client_id, &json!(many).to_string()).await;
        assert_eq!(error_code(&too_many), 400, "{too_many}");

        // Outside the list: refused everywhere, the key still active.
        let app = set_addresses(&s, &admin, &client_id, "203.0.113.0/24, 2001:db8::/32").await;
        assert_eq!(
            app["allowedAddresses"],
            json!(["203.0.113.0/24", "2001:db8::/32"])
        );
        let shown = info(&s, &admin, &item).await;
        assert_eq!(
            shown["allowedAddresses"],
            json!(["203.0.113.0/24", "2001:db8::/32"])
        );
        assert_eq!(
            shown["apiToken1Active"],
            json!(true),
            "an address change keeps the key"
        );
        let by_id = s
            .get(&format!("oauth2/apps/{client_id}"), Some(&admin), &[])
            .await;
        assert_eq!(by_id["allowedAddresses"], shown["allowedAddresses"]);
        let (status, body) = verify(&s, &base, &key, &[]).await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (401, Some("address")),
            "{body}"
        );
        let posted = s
            .client
            .post(format!("{base}/verify"))
            .form(&[("token", key.as_str()), ("service", "geocode")])
            .send()
            .await
            .expect("post verify");
        assert_eq!(posted.status().as_u16(), 401);
        let sharing = s.get_with_key("portals/self", &key, None).await;
        assert_eq!(error_code(&sharing), 498, "{sharing}");
        // Spoofed forwarding headers from an untrusted peer change nothing.
        let spoofed = [
            ("X-Forwarded-For", "203.0.113.9"),
            ("X-Real-IP", "203.0.113.9"),
        ];
        assert_eq!(verify(&s, &base, &key, &spoofed).await.0, 401);

        // Inside the list (IPv4 loopback, also as written mapped): allowed again.
        set_addresses(&s, &admin, &client_id, r#"["::ffff:127.0.0.0/104"]"#).await;
        assert_eq!(
            info(&s, &admin, &item).await["allowedAddresses"],
            json!(["127.0.0.0/8"])
        );
        assert_eq!(verify(&s, &base, &key, &[]).await.0, 200);
        assert_eq!(
            error_code(&s.get_with_key("portals/self", &key, None).await),
            0
        );
        // Empty means no restriction.
        set_addresses(&s, &admin, &client_id, "[]").await;
        assert_eq!(verify(&s, &base, &key, &spoofed).await.0, 200);
    }
);

fn trust_loopback(config: &mut keyportal::config::ServeConfig) {
    config.trusted_proxies =
        keyportal_domain::address::TrustedProxies::parse("127.0.0.1, ::1").expect("list");
}

tuned_on_both_backends!(
    a_trusted_proxy_names_the_client,
    false,
    trust_loopback,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (_, client_id, key) = key_with(&s, &admin, &[GEOCODE.into()], &[]).await;
        set_addresses(&s, &admin, &client_id, "203.0.113.0/24").await;
        let base = s.url.clone();
        // nginx appends the peer it saw; the client's own claim at the left is not believed.
        let ok = [("X-Forwarded-For", "198.51.100.1, 203.0.113.5")];
        assert_eq!(verify(&s, &base, &key, &ok).await.0, 200);
        let real_ip = [("X-Real-IP", "203.0.113.6")];
        assert_eq!(verify(&s, &base, &key, &real_ip).await.0, 200);
        let outside = [("X-Forwarded-For", "203.0.113.5, 198.51.100.1")];
        let (status, body) = verify(&s, &base, &key, &outside).await;
        assert_eq!((status, body["reason"].as_str()), (401, Some("address")));
        assert_eq!(
            verify(&s, &base, &key, &[]).await.0,
            401,
            "the proxy itself is not inside"
        );
        // The Sharing API follows the same rule (through the routed layer).
        let sharing = s
            .client
            .get(s.rest("portals/self"))
            .query(&[("f", "json"), ("token", key.as_str())])
            .header("X-Forwarded-For", "203.0.113.5")
            .send()
            .await
            .expect("request")
            .json::<Value>()
            .await
            .expect("json");
        assert_eq!(error_code(&sharing), 0, "{sharing}");
    }
);
