//! Key controls beyond ArcGIS (issue 14) against the real server on both backends:
//! `allowedAddresses` on the Sharing API, `/verify` (the front and the router) and the
//! trusted-proxy rule; `rollApiKey`; `checkAccess`; recent refusals; the CLI's `--address`
//! and `credential roll`; and on PostgreSQL a second node seeing an address change, a roll
//! and its refusals.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::child_node::start_node;
use crate::cli_credentials::cli_json;
use crate::harness::{error_code, key_with, Backend, TestServer};
use crate::{on_both_backends, tuned_on_both_backends};

const GEOCODE: &str = "premium:user:geocode:temporary";

/// `GET /verify?service=geocode` with the key, extra headers, at `base`: (status, body).
async fn verify(s: &TestServer, base: &str, key: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = s
        .client
        .get(format!("{base}/verify?service=geocode"))
        .header("Authorization", format!("Bearer {key}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("verify");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn set_addresses(s: &TestServer, admin: &str, client_id: &str, list: &str) -> Value {
    s.post(
        &format!("oauth2/apps/{client_id}/update"),
        Some(admin),
        &[("allowedAddresses", list)],
    )
    .await
}

async fn info(s: &TestServer, admin: &str, item: &str) -> Value {
    s.get(
        &format!("content/users/admin/items/{item}/registeredAppInfo"),
        Some(admin),
        &[],
    )
    .await
}

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

async fn roll(s: &TestServer, admin: &str, item: &str, form: &[(&str, &str)]) -> Value {
    s.post(
        &format!("content/users/admin/items/{item}/rollApiKey"),
        Some(admin),
        form,
    )
    .await
}

on_both_backends!(
    roll_api_key_with_a_grace,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, _, old) = key_with(&s, &admin, &[GEOCODE.into()], &[]).await;
        let base = s.url.clone();
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let rolled = roll(&s, &admin, &item, &[("slot", "1"), ("grace", "3600")]).await;
        let new = rolled["apiKey"]
            .as_str()
            .unwrap_or_else(|| panic!("{rolled}"))
            .to_string();
        assert_eq!(rolled["slot"], json!(2));
        assert_eq!(rolled["previousSlot"], json!(1));
        let previous = rolled["previousExpires"].as_i64().expect("previousExpires");
        assert!(
            previous >= before + 3_600_000 && previous < before + 3_700_000,
            "{rolled}"
        );
        assert!(rolled["expires"].as_i64().expect("expires") > previous);
        assert!(new.starts_with("AAPT") && new != old);
        assert_eq!(
            verify(&s, &base, &old, &[]).await.0,
            200,
            "the old key keeps working"
        );
        assert_eq!(verify(&s, &base, &new, &[]).await.0, 200);
        let shown = info(&s, &admin, &item).await;
        assert_eq!(shown["apiToken1Active"], json!(true));
        assert_eq!(shown["apiKeys"][0]["expirationDate"], json!(previous));
        assert!(
            !shown.to_string().contains(&new),
            "the key is shown only once"
        );

        // The other slot is busy now: a clear 400 naming it, nothing changed.
        let busy = roll(&s, &admin, &item, &[("slot", "1"), ("grace", "0")]).await;
        assert_eq!(error_code(&busy), 400, "{busy}");
        assert!(busy.to_string().contains("API key 2 is active"), "{busy}");
        assert_eq!(info(&s, &admin, &item).await, shown);
        for bad in [
            vec![("slot", "3"), ("grace", "0")],
            vec![("slot", "2"), ("grace", "2592001")],
            vec![("slot", "2")],
            vec![("slot", "2"), ("grace", "0"), ("expiration", "1")],
        ] {
            let answer = roll(&s, &admin, &item, &bad).await;
            assert_eq!(error_code(&answer), 400, "{bad:?}: {answer}");
        }
        // Only POST.
        let get = s
            .client
            .get(s.rest(&format!("content/users/admin/items/{item}/rollApiKey")))
            .query(&[("slot", "2"), ("grace", "0"), ("token", admin.as_str())])
            .send()
            .await
            .expect("get");
        assert_eq!(get.status().as_u16(), 405);

        // A member who does not manage the credential cannot roll it.
        let member = s
            .member(&admin, "rollmember", "org_user", "creatorUT")
            .await;
        let denied = roll(&s, &member, &item, &[("slot", "2"), ("grace", "0")]).await;
        assert!(matches!(error_code(&denied), 400 | 403), "{denied}");
        assert_eq!(verify(&s, &base, &new, &[]).await.0, 200, "nothing changed");
    }
);

async fn check(s: &TestServer, admin: &str, item: &str, query: &[(&str, &str)]) -> Value {
    s.get(
        &format!("content/users/admin/items/{item}/checkAccess"),
        Some(admin),
        query,
    )
    .await
}

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

on_both_backends!(
    the_cli_sets_addresses_and_rolls,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, _, key) = key_with(&s, &admin, &[GEOCODE.into()], &[]).await;
        let base = s.url.clone();
        let shown = cli_json(
            &s,
            &[
                "credential",
                "update",
                &item,
                "--address",
                "203.0.113.0/24,2001:db8::1",
            ],
        );
        assert_eq!(
            shown["allowedAddresses"],
            json!(["203.0.113.0/24", "2001:db8::1"]),
            "{shown}"
        );
        until(&s, &base, &key, 401).await;
        cli_json(&s, &["credential", "update", &item, "--any-address"]);
        until(&s, &base, &key, 200).await;
        let rolled = cli_json(
            &s,
            &["credential", "roll", &item, "--slot", "1", "--grace", "0"],
        );
        let new = rolled["apiKey"]
            .as_str()
            .unwrap_or_else(|| panic!("{rolled}"))
            .to_string();
        assert_eq!(rolled["slot"], json!(2));
        until(&s, &base, &new, 200).await;
        until(&s, &base, &key, 401).await;
    }
);

/// Polls `/verify` at `base` until it answers `expected` for `key` (a change made elsewhere
/// arrives through the change feed).
async fn until(s: &TestServer, base: &str, key: &str, expected: u16) {
    let started = Instant::now();
    while verify(s, base, key, &[]).await.0 != expected {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{base} never answered {expected}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_sees_address_changes_rolls_and_refusals() {
    let Some(s) = TestServer::start(Backend::Postgres, false).await else {
        return;
    };
    let node = start_node(
        &s,
        &[("KEYPORTAL_LOG", "warn")],
        std::process::Stdio::null(),
    )
    .await;
    let admin = s.admin_token().await;
    let (item, client_id, key) = key_with(&s, &admin, &[GEOCODE.into()], &[]).await;
    until(&s, &node.url, &key, 200).await;
    set_addresses(&s, &admin, &client_id, "203.0.113.0/24").await;
    until(&s, &node.url, &key, 401).await;
    // Refused on the other node; shown here once that node has written its batch.
    let started = Instant::now();
    loop {
        let answer = s
            .get(
                &format!("content/users/admin/items/{item}/refusals"),
                Some(&admin),
                &[],
            )
            .await;
        let list = answer["refusals"].as_array().cloned().unwrap_or_default();
        if list.iter().any(|r| r["reason"] == json!("address")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no refusal arrived: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    set_addresses(&s, &admin, &client_id, "").await;
    until(&s, &node.url, &key, 200).await;
    let rolled = roll(&s, &admin, &item, &[("slot", "1"), ("grace", "0")]).await;
    let new = rolled["apiKey"]
        .as_str()
        .unwrap_or_else(|| panic!("{rolled}"))
        .to_string();
    until(&s, &node.url, &new, 200).await;
    until(&s, &node.url, &key, 401).await;
}
