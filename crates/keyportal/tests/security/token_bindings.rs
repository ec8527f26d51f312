//! User-token bindings (issue 10): a token from `generateToken client=referer` works only from
//! its origin (a bound path only at a `/` boundary); look-alike hosts, userinfo, other ports
//! and schemes, backslashes, an unreadable `Referer` next to a good `Origin`, and no header at
//! all get 498. `client=ip`/`requestip` tokens work only from that socket address,
//! whatever `X-Forwarded-For` says. After every refusal the token still works where it should.

use std::net::IpAddr;

use axum::http::HeaderValue;
use serde_json::Value;

use crate::harness::{error_code, TestServer, ADMIN_PASSWORD};
use crate::support::{assert_refused, sqlite_server};

const BOUND: &str = "https://app.example.com";

/// `generateToken` for the administrator with `binding` (client and its value).
async fn issue(s: &TestServer, binding: &[(&str, &str)], from: Option<IpAddr>) -> Value {
    let mut form = vec![
        ("username", "admin"),
        ("password", ADMIN_PASSWORD),
        ("expiration", "60"),
        ("f", "json"),
    ];
    form.extend_from_slice(binding);
    client_from(from)
        .post(s.rest("generateToken"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn client_from(from: Option<IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from)
        .build()
        .unwrap()
}

/// `community/self` with `token` and these raw headers, from `from` (127.0.0.1 by default).
async fn who(
    s: &TestServer,
    token: &str,
    headers: &[(&str, &[u8])],
    from: Option<IpAddr>,
) -> Value {
    let mut request = client_from(from)
        .get(s.rest("community/self"))
        .query(&[("f", "json"), ("token", token)]);
    for (name, value) in headers {
        request = request.header(*name, HeaderValue::from_bytes(value).unwrap());
    }
    request.send().await.unwrap().json().await.unwrap()
}

async fn who_from_referer(s: &TestServer, token: &str, referer: &str) -> Value {
    who(s, token, &[("Referer", referer.as_bytes())], None).await
}

fn token_of(issued: &Value) -> String {
    issued["token"]
        .as_str()
        .unwrap_or_else(|| panic!("generateToken: {issued}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referer_bound_tokens_refuse_look_alike_origins() {
    let (s, _) = sqlite_server().await;
    let token = token_of(&issue(&s, &[("client", "referer"), ("referer", BOUND)], None).await);
    for allowed in [
        "https://app.example.com",
        "https://app.example.com/",
        "https://app.example.com/any/page?x=1#top",
        "https://APP.example.COM:443/x",
    ] {
        let answer = who_from_referer(&s, &token, allowed).await;
        assert_eq!(answer["username"], "admin", "{allowed}: {answer}");
    }
    let origin_only = who(&s, &token, &[("Origin", BOUND.as_bytes())], None).await;
    assert_eq!(origin_only["username"], "admin", "{origin_only}");

    for refused in [
        "https://app.example.com.evil.net/",
        "https://app.example.comevil.net/",
        "https://app.example.com@evil.net/",
        "https://user@app.example.com/",
        "https://app.example.com:8443/",
        "https://app.example.com:80/",
        "http://app.example.com/",
        "wss://app.example.com/",
        "https:\\\\app.example.com\\",
        "https://app.example.com\\@evil.net/",
        "https://evil.net\\app.example.com/",
        "https://evil.net/https://app.example.com",
        "https://evil.net/?r=https://app.example.com",
        "//app.example.com/",
        "app.example.com",
        "https://xn--app-example-com.evil.net/",
        "https://app.example.com%2eevil.net/",
        "null",
    ] {
        let answer = who_from_referer(&s, &token, refused).await;
        assert_refused(&answer, 498, Some("Invalid token."), refused);
    }
    // An unreadable Referer is not replaced by a good Origin; no header at all is refused.
    let unreadable = who(
        &s,
        &token,
        &[
            ("Referer", b"https://app.example.com/\xff\xfe"),
            ("Origin", BOUND.as_bytes()),
        ],
        None,
    )
    .await;
    assert_refused(
        &unreadable,
        498,
        Some("Invalid token."),
        "unreadable Referer",
    );
    let bare = who(&s, &token, &[], None).await;
    assert_refused(&bare, 498, Some("Invalid token."), "no Referer, no Origin");
    let bad_origin = who(&s, &token, &[("Origin", b"https://evil.net")], None).await;
    assert_refused(&bad_origin, 498, Some("Invalid token."), "another Origin");

    // Nothing changed: the token still works from its origin.
    assert_eq!(
        who_from_referer(&s, &token, BOUND).await["username"],
        "admin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_path_matches_only_at_a_slash_boundary() {
    let (s, _) = sqlite_server().await;
    let bound = "https://app.example.com/maps";
    let token = token_of(&issue(&s, &[("client", "referer"), ("referer", bound)], None).await);
    for allowed in [
        "https://app.example.com/maps",
        "https://app.example.com/maps/",
        "https://app.example.com/maps/city/view?x=1",
    ] {
        let answer = who_from_referer(&s, &token, allowed).await;
        assert_eq!(answer["username"], "admin", "{allowed}: {answer}");
    }
    for refused in [
        "https://app.example.com/mapsevil",
        "https://app.example.com/maps2/x",
        "https://app.example.com/",
        "https://app.example.com/other/maps",
        "https://app.example.com.evil.net/maps",
        "http://app.example.com/maps",
    ] {
        let answer = who_from_referer(&s, &token, refused).await;
        assert_refused(&answer, 498, Some("Invalid token."), refused);
    }
    assert_eq!(
        who_from_referer(&s, &token, bound).await["username"],
        "admin"
    );

    // Bindings that could not be compared safely are refused when asked for: no token.
    for unusable in [
        "https://user@app.example.com",
        "https://app.example.com\\evil",
        "https://app.exa mple.com",
    ] {
        let answer = issue(&s, &[("client", "referer"), ("referer", unusable)], None).await;
        assert_refused(&answer, 400, Some("'referer'"), unusable);
        assert!(answer.get("token").is_none(), "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_bound_tokens_work_only_from_that_address() {
    let (s, _) = sqlite_server().await;
    let home: IpAddr = [127, 0, 0, 2].into();
    let other: IpAddr = [127, 0, 0, 3].into();
    let token = token_of(&issue(&s, &[("client", "ip"), ("ip", "127.0.0.2")], None).await);
    assert_eq!(who(&s, &token, &[], Some(home)).await["username"], "admin");
    for (case, headers, from) in [
        ("from 127.0.0.1", vec![], None),
        ("from 127.0.0.3", vec![], Some(other)),
        (
            "X-Forwarded-For naming the bound address",
            vec![("X-Forwarded-For", &b"127.0.0.2"[..])],
            Some(other),
        ),
        (
            "X-Real-IP naming the bound address",
            vec![("X-Real-IP", &b"127.0.0.2"[..])],
            None,
        ),
        (
            "Forwarded naming the bound address",
            vec![("Forwarded", &b"for=127.0.0.2"[..])],
            None,
        ),
    ] {
        let answer = who(&s, &token, &headers, from).await;
        assert_refused(&answer, 498, Some("Invalid token."), case);
    }
    // requestip binds the address the token was asked from.
    let asker: IpAddr = [127, 0, 0, 4].into();
    let by_request = token_of(&issue(&s, &[("client", "requestip")], Some(asker)).await);
    let elsewhere = who(&s, &by_request, &[], None).await;
    assert_refused(
        &elsewhere,
        498,
        Some("Invalid token."),
        "requestip elsewhere",
    );
    assert_eq!(
        who(&s, &by_request, &[], Some(asker)).await["username"],
        "admin"
    );
    // Nothing changed for the first token either.
    assert_eq!(who(&s, &token, &[], Some(home)).await["username"], "admin");
    assert_eq!(error_code(&who(&s, &token, &[], None).await), 498);
}
