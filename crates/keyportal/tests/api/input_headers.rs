//! Input read from headers and names (issue 10): referer-bound tokens compare parsed URLs, an
//! unreadable `Referer` is a mismatch everywhere (never replaced by `Origin`), `/verify` has no
//! CORS whichever path answers it, the built-in sign-in clients redirect only to the configured
//! public URL whatever `Host` says, and parameter spellings resolve deterministically.

use axum::http::header::{HOST, LOCATION};
use axum::http::HeaderValue;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::front::{read_answer, Answer};
use crate::harness::{error_code, key_with, TestServer, ADMIN_PASSWORD};
use crate::on_both_backends;
use crate::proxy::{allow_upstreams, proxied_item, Upstream};

/// A `Referer` that is not readable text (a raw 0xFF byte).
const UNREADABLE: &[u8] = b"https://app.example.com/\xff";

/// GETs a Sharing path with `token` and these raw headers.
async fn get_with_headers(
    s: &TestServer,
    path: &str,
    token: &str,
    headers: &[(&str, &[u8])],
) -> Value {
    let mut request = s
        .client
        .get(s.rest(path))
        .query(&[("f", "json"), ("token", token)]);
    for (name, value) in headers {
        request = request.header(*name, HeaderValue::from_bytes(value).unwrap());
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "Sharing answers are HTTP 200");
    response.json().await.unwrap()
}

async fn bound_token(s: &TestServer, referer: &str) -> Value {
    s.post(
        "generateToken",
        None,
        &[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("client", "referer"),
            ("referer", referer),
            ("expiration", "60"),
        ],
    )
    .await
}

on_both_backends!(
    referer_bound_tokens_compare_parsed_urls,
    false,
    |s: TestServer| async move {
        let issued = bound_token(&s, "https://app.example.com").await;
        let token = issued["token"].as_str().unwrap().to_string();
        let user_with = |referer: &'static str| {
            let s = &s;
            let token = token.clone();
            async move {
                get_with_headers(
                    s,
                    "community/self",
                    &token,
                    &[("Referer", referer.as_bytes())],
                )
                .await
            }
        };
        for allowed in [
            "https://app.example.com",
            "https://app.example.com/page?x=1",
            "HTTPS://APP.EXAMPLE.COM:443/x",
        ] {
            assert_eq!(user_with(allowed).await["username"], "admin", "{allowed}");
        }
        for refused in [
            "https://app.example.com.evil.net/",
            "https://app.example.comevil.net/",
            "https://app.example.com@evil.net/",
            "https://app.example.com\\@evil.net/",
            "http://app.example.com/",
            "https://app.example.com:8443/",
        ] {
            assert_eq!(error_code(&user_with(refused).await), 498, "{refused}");
        }
        let by_origin = get_with_headers(
            &s,
            "community/self",
            &token,
            &[("Origin", b"https://app.example.com")],
        )
        .await;
        assert_eq!(by_origin["username"], "admin");
        // An unreadable Referer is a mismatch, whatever the Origin says.
        let unreadable = get_with_headers(
            &s,
            "community/self",
            &token,
            &[
                ("Referer", UNREADABLE),
                ("Origin", b"https://app.example.com"),
            ],
        )
        .await;
        assert_eq!(error_code(&unreadable), 498, "{unreadable}");

        for bad in ["https://user@app.example.com", "https://app.example.com:0"] {
            let refused = bound_token(&s, bad).await;
            assert_eq!(error_code(&refused), 400, "{bad}: {refused}");
            assert!(refused.to_string().contains("'referer'"), "{refused}");
        }
    }
);

/// Sends raw requests on one connection and reads one answer per request.
async fn exchange(s: &TestServer, requests: &[Vec<u8>]) -> Vec<Answer> {
    let mut socket = TcpStream::connect(s.url.trim_start_matches("http://"))
        .await
        .unwrap();
    let mut pending = Vec::new();
    let mut answers = Vec::new();
    for request in requests {
        socket.write_all(request).await.unwrap();
        answers.push(read_answer(&mut socket, &mut pending, false).await);
    }
    answers
}

fn verify_request(key: &str, headers: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "GET /verify?service=geocode HTTP/1.1\r\nHost: kp\r\nAuthorization: Bearer {key}\r\n"
    )
    .into_bytes();
    request.extend_from_slice(headers);
    request.extend_from_slice(b"\r\n");
    request
}

on_both_backends!(
    an_unreadable_referer_is_a_referrer_mismatch_everywhere,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (_, _, key) = key_with(
            &s,
            &admin,
            &["premium:user:geocode:temporary".to_string()],
            &["https://app.example.com"],
        )
        .await;
        let good_origin: &[u8] = b"https://app.example.com";

        // The Sharing API.
        let by_origin =
            get_with_headers(&s, "portals/self", &key, &[("Origin", good_origin)]).await;
        assert!(by_origin.get("error").is_none(), "{by_origin}");
        let refused = get_with_headers(
            &s,
            "portals/self",
            &key,
            &[("Referer", UNREADABLE), ("Origin", good_origin)],
        )
        .await;
        assert_eq!(error_code(&refused), 498, "{refused}");

        // /verify from the connection front, then through hyper after a hand-over.
        let origin_only = verify_request(&key, b"Origin: https://app.example.com\r\n");
        let mut both = b"Referer: ".to_vec();
        both.extend_from_slice(UNREADABLE);
        both.extend_from_slice(b"\r\nOrigin: https://app.example.com\r\n");
        let unreadable = verify_request(&key, &both);
        let health = b"GET /health HTTP/1.1\r\nHost: kp\r\n\r\n".to_vec();
        let answers = exchange(
            &s,
            &[
                origin_only.clone(),
                unreadable.clone(),
                health,
                origin_only,
                unreadable,
            ],
        )
        .await;
        let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
        assert_eq!(statuses, [200, 401, 200, 200, 401]);
        assert_eq!(answers[1].json()["reason"], answers[4].json()["reason"]);

        // POST /verify reads the same headers through the request extractor.
        let posted = s
            .client
            .post(format!("{}/verify", s.url))
            .header("Referer", HeaderValue::from_bytes(UNREADABLE).unwrap())
            .header("Origin", "https://app.example.com")
            .form(&[("token", key.as_str()), ("service", "geocode")])
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 401);

        // The proxy.
        let up = Upstream::start().await;
        allow_upstreams(&s, &admin, &["127.0.0.1"]).await;
        let item = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("{}/tiles", up.url),
            &[("allowedReferrers", r#"["https://app.example.com"]"#)],
        )
        .await;
        let (_, _, item_key) =
            key_with(&s, &admin, &[format!("portal:app:access:item:{item}")], &[]).await;
        let url = format!("{}/sharing/servers/{item}/tile/1/2/3", s.url);
        let fetch = |referer: Option<&'static [u8]>| {
            let mut request = s
                .client
                .get(&url)
                .query(&[("token", item_key.as_str())])
                .header("Origin", "https://app.example.com");
            if let Some(referer) = referer {
                request = request.header("Referer", HeaderValue::from_bytes(referer).unwrap());
            }
            async move { request.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(fetch(None).await, 200, "Origin alone is enough");
        assert_eq!(fetch(Some(UNREADABLE)).await, 403);
    }
);

fn has_cors(answer: &Answer) -> bool {
    answer
        .headers
        .iter()
        .any(|(name, _)| name.starts_with("access-control-"))
}

on_both_backends!(
    verify_answers_carry_no_cors_on_either_path,
    false,
    |s: TestServer| async move {
        let get = b"GET /verify HTTP/1.1\r\nHost: kp\r\nOrigin: https://app.example.com\r\n\r\n";
        let preflight =
            b"OPTIONS /verify HTTP/1.1\r\nHost: kp\r\nOrigin: https://app.example.com\r\n\
            Access-Control-Request-Method: GET\r\nContent-Length: 0\r\n\r\n";
        let info = b"GET /sharing/rest/info?f=json HTTP/1.1\r\nHost: kp\r\n\
            Origin: https://app.example.com\r\n\r\n";
        // From the front, then a preflight hands the connection to hyper, then hyper again.
        let answers = exchange(&s, &[get.to_vec(), preflight.to_vec(), get.to_vec()]).await;
        assert_eq!(answers[0].status, 401);
        assert_eq!(answers[2].status, 401);
        for (n, answer) in answers.iter().enumerate() {
            assert!(!has_cors(answer), "answer {n}: {:?}", answer.headers);
        }
        // After another request on the same connection: the Sharing API keeps its CORS.
        let answers = exchange(&s, &[info.to_vec(), get.to_vec()]).await;
        assert_eq!(
            answers[0].header("access-control-allow-origin"),
            Some("*"),
            "the Sharing API still answers browsers"
        );
        assert!(!has_cors(&answers[1]), "{:?}", answers[1].headers);
    }
);

/// `oauth2/authorize` for `pythonapi` with a chosen `Host` header.
async fn authorize_as(s: &TestServer, host: &str, redirect_uri: &str) -> (String, bool) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(s.rest("oauth2/authorize"))
        .header(HOST, host)
        .query(&[
            ("client_id", "pythonapi"),
            ("response_type", "token"),
            ("redirect_uri", redirect_uri),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    let redirected = response.headers().get(LOCATION).is_some();
    (response.text().await.unwrap(), redirected)
}

on_both_backends!(
    built_in_clients_redirect_only_to_the_public_url,
    false,
    |s: TestServer| async move {
        let own = s.url.trim_start_matches("http://").to_string();
        for redirect in [
            "https://evil.example",
            "https://evil.example:443",
            "http://evil.example",
        ] {
            let (page, redirected) = authorize_as(&s, "evil.example", redirect).await;
            assert!(page.contains("Invalid redirect_uri"), "{redirect}: {page}");
            assert!(!redirected);
        }
        // The portal's own root is allowed whatever Host the request names.
        let (page, redirected) = authorize_as(&s, "evil.example", &format!("https://{own}")).await;
        assert!(!page.contains("Invalid redirect_uri"), "{page}");
        assert!(page.contains("oauth_state"), "the sign-in page: {page}");
        assert!(!redirected);
    }
);

on_both_backends!(
    parameter_spellings_resolve_deterministically,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let username_with = |query: Vec<(&'static str, String)>,
                             body: Vec<(&'static str, String)>| {
            let request = s
                .client
                .post(s.rest("community/self"))
                .header("Referer", crate::harness::REFERER)
                .query(&query)
                .form(&body);
            async move {
                let answer: Value = request.send().await.unwrap().json().await.unwrap();
                answer["username"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("error {}", error_code(&answer)))
            }
        };
        let f = ("f", "json".to_string());
        let good = admin.clone();
        let bad = "bogus".to_string();
        // Repeated: a rule that depended on hashing order would not hold every time.
        for _ in 0..8 {
            let cases = [
                (
                    vec![f.clone(), ("TOKEN", bad.clone()), ("token", good.clone())],
                    "admin",
                ),
                (
                    vec![f.clone(), ("Token", good.clone()), ("TOKEN", bad.clone())],
                    "admin",
                ),
                (
                    vec![f.clone(), ("TOKEN", bad.clone()), ("Token", good.clone())],
                    "error 498",
                ),
            ];
            for (query, expected) in cases {
                assert_eq!(
                    username_with(query.clone(), vec![]).await,
                    expected,
                    "{query:?}"
                );
            }
            // Within one spelling the body's value overrides the query's.
            assert_eq!(
                username_with(
                    vec![f.clone(), ("token", bad.clone())],
                    vec![("token", good.clone())]
                )
                .await,
                "admin"
            );
        }
    }
);
