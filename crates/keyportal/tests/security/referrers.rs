//! Family 2: referrer spoofing against keys restricted with `httpReferrers` (design §2.7).
//! Each spoof is refused by `/verify` (401 `referrer`) and by the Sharing API (498); only the
//! header forms the design allows (case changes, `Origin` without `Referer`, subdomains under
//! `*.`) match. Patterns that would widen a list are refused when saved and change nothing.

use serde_json::json;

use crate::harness::{error_code, TestServer};
use crate::support::{app_info, assert_refused, credential, mint, sqlite_server, Credential};

/// `/verify` and `portals/self` with exactly these headers (values as raw bytes).
async fn decide(s: &TestServer, key: &str, headers: &[(&str, &[u8])]) -> (u16, String, i64) {
    let mut check = s
        .client
        .get(format!("{}/verify?service=basemaps&token={key}", s.url));
    let mut rest = s
        .client
        .get(s.rest("portals/self"))
        .query(&[("f", "json"), ("token", key)]);
    for (name, value) in headers {
        let value = reqwest::header::HeaderValue::from_bytes(value).unwrap();
        check = check.header(*name, value.clone());
        rest = rest.header(*name, value);
    }
    let verified = check.send().await.unwrap();
    let status = verified.status().as_u16();
    let body: serde_json::Value = verified.json().await.unwrap();
    let answer: serde_json::Value = rest.send().await.unwrap().json().await.unwrap();
    (
        status,
        body["reason"].as_str().unwrap_or_default().to_string(),
        error_code(&answer),
    )
}

async fn assert_spoof_refused(s: &TestServer, key: &str, headers: &[(&str, &[u8])], case: &str) {
    assert_eq!(
        decide(s, key, headers).await,
        (401, "referrer".to_string(), 498),
        "{case}"
    );
}

async fn assert_matches(s: &TestServer, key: &str, headers: &[(&str, &[u8])], case: &str) {
    assert_eq!(
        decide(s, key, headers).await,
        (200, String::new(), 0),
        "{case}"
    );
}

fn referer(value: &str) -> Vec<(&'static str, &[u8])> {
    vec![("Referer", value.as_bytes())]
}

/// A key restricted to `pattern`.
async fn restricted(s: &TestServer, admin: &str, pattern: &str) -> (Credential, String) {
    let c = credential(s, admin, "admin", &["premium:user:basemaps"], &[pattern]).await;
    let key = mint(s, &c, "1").await;
    (c, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spoofed_referrers_never_match_an_exact_pattern() {
    let (s, admin) = sqlite_server().await;
    let (c, key) = restricted(&s, &admin, "https://app.example.com").await;
    let spoofs = [
        ("another port", "https://app.example.com:8443/page"),
        ("plain http", "http://app.example.com/page"),
        (
            "userinfo before the real host",
            "https://app.example.com@evil.net/",
        ),
        (
            "userinfo with a port",
            "https://app.example.com:443@evil.net/",
        ),
        ("a suffix domain", "https://app.example.com.evil.net/"),
        ("a glued suffix", "https://app.example.comevil.net/"),
        ("a prefix domain", "https://evilapp.example.com/"),
        (
            "backslash then userinfo",
            "https://evil.net\\@app.example.com/",
        ),
        (
            "backslash then a dot",
            "https://evil.net\\.app.example.com/",
        ),
        (
            "the pattern in the path",
            "https://evil.net/https://app.example.com",
        ),
        (
            "the pattern in the query",
            "https://evil.net/?r=https://app.example.com",
        ),
        (
            "the pattern in the fragment",
            "https://evil.net/#https://app.example.com",
        ),
        ("an encoded dot", "https://app.example.com%2eevil.net/"),
        ("a punycode look-alike", "https://xn--pp-6kc.example.com/"),
        ("no scheme", "app.example.com"),
        ("another scheme", "ftp://app.example.com/"),
        (
            "a javascript URL",
            "javascript://app.example.com/%0aalert(1)",
        ),
        ("an IP address", "https://127.0.0.1/"),
        ("empty brackets", "https://[]/"),
    ];
    for (case, spoof) in spoofs {
        assert_spoof_refused(&s, &key, &referer(spoof), case).await;
    }
    // A look-alike in raw UTF-8 (Cyrillic a) is not a readable header: no referrer at all.
    let cyrillic = "https://\u{430}pp.example.com/".as_bytes();
    assert_spoof_refused(&s, &key, &[("Referer", cyrillic)], "a raw IDN look-alike").await;
    assert_spoof_refused(&s, &key, &[], "no Referer and no Origin").await;
    assert_spoof_refused(&s, &key, &[("Origin", b"null")], "Origin: null").await;
    assert_spoof_refused(
        &s,
        &key,
        &[
            ("Referer", b"https://evil.net/"),
            ("Origin", b"https://app.example.com"),
        ],
        "a bad Referer is not rescued by a good Origin",
    )
    .await;

    // What the design allows still matches (so the refusals above were decisions).
    assert_matches(
        &s,
        &key,
        &referer("https://app.example.com/any/page?x=1"),
        "the site",
    )
    .await;
    assert_matches(
        &s,
        &key,
        &referer("HTTPS://APP.Example.COM/Page"),
        "case only",
    )
    .await;
    assert_matches(
        &s,
        &key,
        &referer("https://app.example.com:443/"),
        "default port",
    )
    .await;
    assert_matches(
        &s,
        &key,
        &[("Origin", b"https://app.example.com")],
        "Origin without Referer",
    )
    .await;
    let info = app_info(&s, &admin, "admin", &c.item).await;
    assert_eq!(info["httpReferrers"], json!(["https://app.example.com"]));
    assert_eq!(info["apiToken1Active"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcards_and_paths_match_only_at_boundaries() {
    let (s, admin) = sqlite_server().await;
    let (_, wild) = restricted(&s, &admin, "https://*.example.com").await;
    for (case, spoof) in [
        ("a glued domain", "https://evilexample.com/"),
        (
            "a subdomain of a glued domain",
            "https://a.evilexample.com/",
        ),
        ("the domain as a prefix", "https://example.com.evil.net/"),
        (
            "the domain in userinfo",
            "https://dev.example.com@evil.net/",
        ),
        ("another scheme", "http://dev.example.com/"),
    ] {
        assert_spoof_refused(&s, &wild, &referer(spoof), case).await;
    }
    for (case, good) in [
        ("the bare domain", "https://example.com/"),
        ("a subdomain", "https://dev.example.com/app"),
        ("a deep subdomain", "https://a.b.example.com/"),
        ("upper case", "https://DEV.EXAMPLE.COM/"),
    ] {
        assert_matches(&s, &wild, &referer(good), case).await;
    }

    let (_, pathed) = restricted(&s, &admin, "https://app.example.com/maps").await;
    for (case, spoof) in [
        ("a longer segment", "https://app.example.com/mapsevil"),
        ("another case in the path", "https://app.example.com/Maps/x"),
        ("a parent path", "https://app.example.com/"),
        ("the path on another host", "https://evil.net/maps/"),
    ] {
        assert_spoof_refused(&s, &pathed, &referer(spoof), case).await;
    }
    assert_matches(
        &s,
        &pathed,
        &referer("https://app.example.com/maps/city"),
        "below",
    )
    .await;
    assert_matches(
        &s,
        &pathed,
        &referer("https://app.example.com/maps?x"),
        "exact",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patterns_that_would_widen_a_list_are_refused_when_saved() {
    let (s, admin) = sqlite_server().await;
    let (c, key) = restricted(&s, &admin, "https://app.example.com").await;
    for (case, pattern, fragment) in [
        ("userinfo", "https://user@app.example.com", "user name"),
        ("a bare star", "*", "'*' alone"),
        (
            "a star inside a label",
            "https://*evil.com",
            "'*' is allowed only",
        ),
        (
            "a star in the path",
            "https://app.example.com/*",
            "'*' is allowed only",
        ),
        (
            "a raw international name",
            "https://\u{430}pp.example.com",
            "xn--",
        ),
        ("a javascript URL", "javascript:alert(1)", "http"),
        ("a query", "https://app.example.com/?next=x", "query"),
        (
            "a backslash",
            "https://app.example.com\\@evil.net",
            "backslash",
        ),
        ("a space", "https://app.example.com evil.net", "spaces"),
        (
            "a port out of range",
            "https://app.example.com:99999",
            "port",
        ),
        ("a wildcard IP", "https://*.127.0.0.1", "IP"),
    ] {
        let answer = s
            .post(
                &format!("oauth2/apps/{}/update", c.client_id),
                Some(&admin),
                &[("httpReferrers", &json!([pattern]).to_string())],
            )
            .await;
        assert_refused(&answer, 400, Some(fragment), case);
    }
    let info = app_info(&s, &admin, "admin", &c.item).await;
    assert_eq!(info["httpReferrers"], json!(["https://app.example.com"]));
    assert_spoof_refused(
        &s,
        &key,
        &referer("https://evil.net/"),
        "after the refusals",
    )
    .await;
    assert_matches(
        &s,
        &key,
        &referer("https://app.example.com/"),
        "after the refusals",
    )
    .await;
}
