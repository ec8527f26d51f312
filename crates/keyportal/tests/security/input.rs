//! Family 6a: oversize and malformed input on the Sharing API. Every bad request gets the
//! ArcGIS envelope (HTTP 200, code 400 with a clear message), never echoes huge input back,
//! and writes nothing.

use serde_json::json;

use crate::harness::{error_code, TestServer};
use crate::support::{
    app_info, assert_refused, credential, item, key_code, mint, post_body, role_privileges,
    role_with, sqlite_server,
};

/// How many items the administrator owns.
async fn item_count(s: &TestServer, admin: &str) -> i64 {
    let listing = s
        .get("content/users/admin", Some(admin), &[("num", "100")])
        .await;
    listing["total"]
        .as_i64()
        .unwrap_or_else(|| panic!("{listing}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_bodies_and_values_are_refused_and_write_nothing() {
    let (s, admin) = sqlite_server().await;
    let before = item_count(&s, &admin).await;
    let cases = [
        (
            "a body over 10 MiB",
            format!(
                "f=json&token={admin}&type=Web+Map&title=big&description={}",
                "a".repeat(10 * 1024 * 1024 + 1)
            ),
            "larger than 10485760 bytes",
        ),
        (
            "one value over 1 MiB",
            format!(
                "f=json&token={admin}&type=Web+Map&title={}",
                "t".repeat(1024 * 1024 + 1)
            ),
            "'title' is larger than 1048576 bytes",
        ),
        (
            "a repeated name adding up to over 1 MiB",
            format!(
                "f=json&token={admin}&type=Web+Map&title=x{}",
                format!("&tags={}", "g".repeat(200 * 1024)).repeat(6)
            ),
            "'tags' is larger than 1048576 bytes",
        ),
        (
            "a title over 250 characters",
            format!(
                "f=json&token={admin}&type=Web+Map&title={}",
                "t".repeat(251)
            ),
            "title",
        ),
        (
            "a description over 64 KiB",
            format!(
                "f=json&token={admin}&type=Web+Map&title=d&description={}",
                "d".repeat(64 * 1024 + 1)
            ),
            "description",
        ),
    ];
    for (case, body, fragment) in cases {
        let answer = post_body(&s, "content/users/admin/addItem", body).await;
        assert_refused(&answer, 400, Some(fragment), case);
        assert!(
            answer.to_string().len() < 1024,
            "{case}: the answer echoes the input"
        );
    }
    assert_eq!(item_count(&s, &admin).await, before, "nothing was added");

    // A search query over the parser's limit, and a 10k-character id in every kind of path.
    let long_q = s
        .get("search", Some(&admin), &[("q", &"a".repeat(5000))])
        .await;
    assert_refused(
        &long_q,
        400,
        Some("Query is too long"),
        "a 5000-character query",
    );
    let long = "f".repeat(10_000);
    for path in [
        format!("content/items/{long}"),
        format!("content/users/admin/items/{long}/update"),
        format!("community/users/{long}"),
        format!("community/groups/{long}"),
        format!("oauth2/apps/{long}"),
        format!("portals/self/roles/{long}"),
    ] {
        let answer = s.post(&path, Some(&admin), &[("title", "x")]).await;
        assert_eq!(error_code(&answer), 400, "{:.40}…: {answer}", path);
        assert!(answer.to_string().len() < 1024, "{:.40}…: echoed", path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_lists_ids_and_numbers_are_refused_and_change_nothing() {
    let (s, admin) = sqlite_server().await;
    let c = credential(
        &s,
        &admin,
        "admin",
        &["premium:user:basemaps"],
        &["https://app.example.com"],
    )
    .await;
    let key = mint(&s, &c, "1").await;
    let site = Some("https://app.example.com/");
    let spare = s
        .add_item(&admin, "admin", "Spare", &[("type", "Application")])
        .await;

    for (case, name, value, fragment) in [
        (
            "truncated JSON privileges",
            "privileges",
            r#"["premium:user:basemaps""#,
            "JSON array",
        ),
        (
            "objects in the privileges",
            "privileges",
            r#"[{"privilege":"premium:user:basemaps"}]"#,
            "JSON array",
        ),
        (
            "nested arrays",
            "privileges",
            r#"[["premium:user:basemaps"]]"#,
            "JSON array",
        ),
        (
            "an object instead of a list",
            "privileges",
            r#"{"privileges":["premium:user:basemaps"]}"#,
            "privilege",
        ),
        (
            "an unknown privilege",
            "privileges",
            r#"["premium:user:everything"]"#,
            "premium:user:everything",
        ),
        (
            "truncated JSON referrers",
            "httpReferrers",
            r#"["https://evil.net""#,
            "JSON array",
        ),
        ("numbers as referrers", "httpReferrers", "[1,2]", "referrer"),
        (
            "null in the referrers",
            "httpReferrers",
            "[null]",
            "JSON array",
        ),
    ] {
        let update = s
            .post(
                &format!("oauth2/apps/{}/update", c.client_id),
                Some(&admin),
                &[(name, value)],
            )
            .await;
        assert_refused(&update, 400, Some(fragment), &format!("update: {case}"));
        let register = s
            .post(
                "oauth2/registerApp",
                Some(&admin),
                &[("itemId", spare.as_str()), (name, value)],
            )
            .await;
        assert_refused(&register, 400, None, &format!("registerApp: {case}"));
    }
    let info = app_info(&s, &admin, "admin", &c.item).await;
    assert_eq!(
        (info["privileges"].clone(), info["httpReferrers"].clone()),
        (
            json!(["premium:user:basemaps"]),
            json!(["https://app.example.com"])
        )
    );
    assert_eq!(
        key_code(&s, &key, site).await,
        0,
        "the key survived every refusal"
    );
    assert!(!item(&s, &admin, &spare).await["typeKeywords"]
        .to_string()
        .contains("Registered App"));

    // Roles: malformed privilege documents.
    let role = role_with(&s, &admin, "Steady", &["portal:user:createItem"]).await;
    for (case, value) in [
        (
            "truncated JSON",
            r#"{"privileges":["portal:admin:manageSecurity""#,
        ),
        (
            "privileges not a list",
            r#"{"privileges":"portal:admin:manageSecurity"}"#,
        ),
        ("numbers", r#"{"privileges":[1]}"#),
    ] {
        let answer = s
            .post(
                &format!("portals/self/roles/{role}/setPrivileges"),
                Some(&admin),
                &[("privileges", value)],
            )
            .await;
        assert_refused(&answer, 400, Some("privileges"), case);
    }
    assert_eq!(
        role_privileges(&s, &admin, &role).await,
        vec!["portal:user:createItem"]
    );

    // Bad item ids.
    for (case, id) in [
        ("not hex", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"),
        ("too short", "abc"),
        ("a path traversal", "..%2F..%2Fportals%2Fself"),
        ("SQL", "1'%20OR%20'1'='1"),
    ] {
        let answer = s
            .get(&format!("content/items/{id}"), Some(&admin), &[])
            .await;
        assert_eq!(error_code(&answer), 400, "{case}: {answer}");
        let delete = s
            .post(
                &format!("content/users/admin/items/{id}/delete"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(error_code(&delete), 400, "{case}: {delete}");
    }
    assert_eq!(item(&s, &admin, &spare).await["id"], spare.as_str());

    // Numbers out of range or not numbers.
    for (case, query, fragment) in [
        ("num=-1", vec![("q", "title:Spare"), ("num", "-1")], "'num'"),
        (
            "start=1e30",
            vec![("q", "title:Spare"), ("start", "1e30")],
            "'start'",
        ),
        (
            "num=abc",
            vec![("q", "title:Spare"), ("num", "abc")],
            "'num'",
        ),
        (
            "start=NaN",
            vec![("q", "title:Spare"), ("start", "NaN")],
            "'start'",
        ),
    ] {
        let answer = s.get("search", Some(&admin), &query).await;
        assert_refused(&answer, 400, Some(fragment), case);
    }
    let capped = s
        .get(
            "search",
            Some(&admin),
            &[("q", "title:Spare"), ("num", "1e6")],
        )
        .await;
    assert!(
        capped["num"].as_i64().is_some_and(|n| n <= 100),
        "num is capped: {capped}"
    );
    for (case, slot) in [
        ("slot 3", "3"),
        ("slot 1.5", "1.5"),
        ("slot -1", "-1"),
        ("no slot", ""),
    ] {
        let answer = s
            .post(
                "oauth2/token",
                None,
                &[
                    ("client_id", &c.client_id),
                    ("client_secret", &c.secret),
                    ("apiToken", slot),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await;
        if slot.is_empty() {
            // Without a slot this is an app token request, which works; it mints no key.
            assert!(
                answer["access_token"]
                    .as_str()
                    .is_some_and(|t| !t.starts_with("AAPT")),
                "{answer}"
            );
            continue;
        }
        assert_refused(&answer, 400, Some("apiToken"), case);
    }
    for (case, date) in [
        ("not a number", "tomorrow"),
        ("a float", "1.5e99"),
        ("an overflow", "99999999999999999999"),
    ] {
        let answer = s
            .post(
                &format!("content/users/admin/items/{}/update", c.item),
                Some(&admin),
                &[("apiToken1ExpirationDate", date)],
            )
            .await;
        assert_refused(&answer, 400, Some("apiToken1ExpirationDate"), case);
    }
    assert_eq!(
        key_code(&s, &key, site).await,
        0,
        "the key survived the bad dates"
    );
}
