//! Family 4: OAuth sign-in abuse. Unregistered redirect URIs never receive a redirect, codes
//! are single-use and bound to their client, redirect URI and PKCE challenge, refresh tokens die
//! with sign-out and stay with their client. Each refusal leaves the legitimate grant usable.

use keyportal_domain::oauth::s256_challenge;
use reqwest::header::LOCATION;
use serde_json::{json, Value};

use crate::harness::{error_code, TestServer, ADMIN_PASSWORD};
use crate::on_both_backends;
use crate::support::{assert_refused, sqlite_server};

const CALLBACK: &str = "https://app.example.com/callback";

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn read(response: reqwest::Response) -> Page {
    Page {
        status: response.status().as_u16(),
        location: response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string()),
        body: response.text().await.unwrap(),
    }
}

async fn authorize(s: &TestServer, query: &[(&str, &str)]) -> Page {
    let url = format!("{}/sharing/rest/oauth2/authorize", s.url);
    read(browser().get(url).query(query).send().await.unwrap()).await
}

fn oauth_state(page: &Page) -> String {
    let at = page
        .body
        .find("\"oauth_state\":\"")
        .expect("a sign-in page")
        + 15;
    let end = page.body[at..].find('"').unwrap() + at;
    page.body[at..end].to_string()
}

async fn signin(s: &TestServer, state: &str, username: &str, password: &str) -> Page {
    let form = [
        ("oauth_state", state),
        ("username", username),
        ("password", password),
    ];
    let url = format!("{}/sharing/oauth2/signin", s.url);
    read(browser().post(url).form(&form).send().await.unwrap()).await
}

/// An OAuth app of the administrator: (client id, client secret).
async fn oauth_app(s: &TestServer, admin: &str, title: &str, app_type: &str) -> (String, String) {
    let item = s
        .add_item(admin, "admin", title, &[("type", "Application")])
        .await;
    let app = s
        .post(
            "oauth2/registerApp",
            Some(admin),
            &[
                ("itemId", &item),
                ("appType", app_type),
                ("redirect_uris", &json!([CALLBACK]).to_string()),
            ],
        )
        .await;
    let id = app["client_id"].as_str().unwrap_or_else(|| panic!("{app}"));
    (
        id.to_string(),
        app["client_secret"].as_str().unwrap().to_string(),
    )
}

/// A code for `client_id` with an S256 challenge: (code, verifier).
async fn code(s: &TestServer, client_id: &str) -> (String, String) {
    let verifier = format!("{}-verifier", keyportal_domain::secret::random_hex::<24>());
    let challenge = s256_challenge(&verifier);
    let page = authorize(
        s,
        &[
            ("client_id", client_id),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let back = signin(s, &oauth_state(&page), "admin", ADMIN_PASSWORD).await;
    let location = back.location.expect("a redirect with the code");
    assert!(
        location.starts_with(&format!("{CALLBACK}?code=")),
        "{location}"
    );
    let code = location[CALLBACK.len() + 6..]
        .split('&')
        .next()
        .unwrap()
        .to_string();
    (code, verifier)
}

async fn redeem(s: &TestServer, form: &[(&str, &str)]) -> Value {
    let mut fields = vec![("grant_type", "authorization_code")];
    fields.extend_from_slice(form);
    s.post("oauth2/token", None, &fields).await
}

/// Token endpoint fields.
type Form<'a> = Vec<(&'a str, &'a str)>;

fn oauth_error(answer: &Value) -> (i64, &str) {
    (
        error_code(answer),
        answer["error"]["error"].as_str().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_never_redirects_to_an_unregistered_uri_nor_echoes_markup() {
    let (s, admin) = sqlite_server().await;
    let (client_id, _) = oauth_app(&s, &admin, "<script>alert('title')</script>", "browser").await;
    let evil = [
        "https://evil.example.com/callback",
        "https://app.example.com.evil.net/callback",
        "https://app.example.com@evil.net/callback",
        "https://app.example.com/callback/../../evil",
        "https://app.example.com/callback?next=https://evil.example.com",
        "//evil.example.com/callback",
        "javascript:alert(1)//https://app.example.com/callback",
        "https://app.example.com/callback\"><script>alert(1)</script>",
    ];
    for redirect in evil {
        for response_type in ["code", "token"] {
            let page = authorize(
                &s,
                &[
                    ("client_id", client_id.as_str()),
                    ("response_type", response_type),
                    ("redirect_uri", redirect),
                ],
            )
            .await;
            let case = format!("{response_type} to {redirect}");
            assert_eq!(page.status, 400, "{case}");
            assert!(page.location.is_none(), "{case}: redirected");
            assert!(page.body.contains("Invalid redirect_uri"), "{case}");
            assert!(!page.body.contains("oauth_state"), "{case}: a sign-in page");
            assert!(
                !page.body.contains("<script>alert"),
                "{case}: markup echoed"
            );
        }
    }
    // The built-in Python client comes back only to this portal.
    let page = authorize(
        &s,
        &[
            ("client_id", "pythonapi"),
            ("response_type", "token"),
            ("redirect_uri", "https://evil.example.com"),
        ],
    )
    .await;
    assert_eq!((page.status, page.location.is_none()), (400, true));
    // An unknown client id carrying markup: refused, not echoed.
    let page = authorize(
        &s,
        &[
            ("client_id", "<img src=x onerror=alert(1)>"),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!((page.status, page.location.is_none()), (400, true));
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    // The legitimate page escapes the app's title and the state, and names only its origin.
    let page = authorize(
        &s,
        &[
            ("client_id", client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("state", "</script><script>alert(2)</script>"),
        ],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("</script><script>"), "{}", page.body);
    // A sign-in state that was altered is refused without a redirect.
    let mut state = oauth_state(&page).into_bytes();
    let at = state.len() / 2;
    state[at] = if state[at] == b'A' { b'B' } else { b'A' };
    let forged = signin(
        &s,
        &String::from_utf8(state).unwrap(),
        "admin",
        ADMIN_PASSWORD,
    )
    .await;
    assert_eq!((forged.status, forged.location), (400, None));
}

on_both_backends!(
    codes_are_single_use_and_bound_to_client_redirect_and_verifier,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (client_a, _) = oauth_app(&s, &admin, "App A", "browser").await;
        let (client_b, secret_b) = oauth_app(&s, &admin, "App B", "server").await;
        let (code_a, verifier) = code(&s, &client_a).await;
        let challenge = s256_challenge(&verifier);
        let wrong_verifier = format!("{verifier}x");
        let refusals: [(&str, Form, &str); 6] = [
            (
                "a wrong verifier",
                vec![("client_id", &client_a), ("code_verifier", &wrong_verifier)],
                "invalid_grant",
            ),
            (
                "no verifier",
                vec![("client_id", &client_a)],
                "invalid_request",
            ),
            (
                "the challenge as a plain verifier",
                vec![("client_id", &client_a), ("code_verifier", &challenge)],
                "invalid_grant",
            ),
            (
                "another registered client",
                vec![
                    ("client_id", &client_b),
                    ("client_secret", &secret_b),
                    ("code_verifier", &verifier),
                ],
                "invalid_grant",
            ),
            (
                "a built-in public client",
                vec![("client_id", "pythonapi"), ("code_verifier", &verifier)],
                "invalid_grant",
            ),
            (
                "an unknown client",
                vec![
                    ("client_id", "noSuchClient1234"),
                    ("code_verifier", &verifier),
                ],
                "invalid_client",
            ),
        ];
        for (case, mut form, expected) in refusals {
            form.push(("code", &code_a));
            form.push(("redirect_uri", CALLBACK));
            let answer = redeem(&s, &form).await;
            assert_eq!(oauth_error(&answer), (400, expected), "{case}: {answer}");
            assert!(answer.get("access_token").is_none(), "{case}");
        }
        let other_redirect = redeem(
            &s,
            &[
                ("client_id", &client_a),
                ("code", &code_a),
                ("redirect_uri", "https://evil.example.com/callback"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(oauth_error(&other_redirect), (400, "invalid_grant"));

        // None of that consumed the code: its client redeems it once, and only once.
        let good = [
            ("client_id", client_a.as_str()),
            ("code", code_a.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier.as_str()),
        ];
        let tokens = redeem(&s, &good).await;
        let access = tokens["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{tokens}"))
            .to_string();
        let again = redeem(&s, &good).await;
        assert_eq!(oauth_error(&again), (400, "invalid_grant"), "a reused code");
        assert!(again.get("access_token").is_none());
        let me = s.get("community/self", Some(&access), &[]).await;
        assert_eq!(me["username"], "admin", "the first grant still works: {me}");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_die_with_sign_out_and_stay_with_their_client() {
    let (s, admin) = sqlite_server().await;
    let (client_a, _) = oauth_app(&s, &admin, "App A", "browser").await;
    let (client_b, _) = oauth_app(&s, &admin, "App B", "browser").await;
    let (code_a, verifier) = code(&s, &client_a).await;
    let tokens = redeem(
        &s,
        &[
            ("client_id", &client_a),
            ("code", &code_a),
            ("redirect_uri", CALLBACK),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    let refresh = tokens["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{tokens}"))
        .to_string();
    let refreshed = |client: String, token: String| {
        let s = &s;
        async move {
            s.post(
                "oauth2/token",
                None,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", &client),
                    ("refresh_token", &token),
                ],
            )
            .await
        }
    };
    let stolen = refreshed(client_b.clone(), refresh.clone()).await;
    assert_eq!(
        oauth_error(&stolen),
        (400, "invalid_grant"),
        "another client"
    );
    let guessed = refreshed(client_a.clone(), format!("{refresh}x")).await;
    assert_eq!(
        oauth_error(&guessed),
        (400, "invalid_grant"),
        "an altered token"
    );
    let fresh = refreshed(client_a.clone(), refresh.clone()).await;
    let access = fresh["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("the owner's refresh still works: {fresh}"))
        .to_string();

    // Sign-out with the refresh token (what REST JS sends) ends it for good.
    let out = s
        .post(
            "oauth2/revokeToken",
            None,
            &[("client_id", &client_a), ("auth_token", &refresh)],
        )
        .await;
    assert_eq!(out["success"], true, "{out}");
    let after = refreshed(client_a.clone(), refresh.clone()).await;
    assert_eq!(
        oauth_error(&after),
        (400, "invalid_grant"),
        "after sign-out"
    );
    let exchanged = s
        .post(
            "oauth2/token",
            None,
            &[
                ("grant_type", "exchange_refresh_token"),
                ("client_id", &client_a),
                ("refresh_token", &refresh),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
    assert_eq!(
        oauth_error(&exchanged),
        (400, "invalid_grant"),
        "exchange after sign-out"
    );
    // Signing the access token out too: it is refused at once.
    s.post("oauth2/revokeToken", None, &[("auth_token", &access)])
        .await;
    assert_refused(
        &s.get("community/self", Some(&access), &[]).await,
        498,
        Some("Invalid token."),
        "a signed-out access token",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_member_gets_no_code() {
    let (s, admin) = sqlite_server().await;
    s.member(&admin, "dora", "org_user", "creatorUT").await;
    let (client_id, _) = oauth_app(&s, &admin, "App", "browser").await;
    let disabled = s
        .post("community/users/dora/disable", Some(&admin), &[])
        .await;
    assert_eq!(disabled["success"], true);
    let page = authorize(
        &s,
        &[
            ("client_id", client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    let refused = signin(&s, &oauth_state(&page), "dora", "dora-pass-1").await;
    assert_eq!(
        (refused.status, refused.location),
        (200, None),
        "no redirect, no code"
    );
    assert!(refused.body.contains("disabled"), "{}", refused.body);
    assert_eq!(
        s.get("community/users/dora", Some(&admin), &[]).await["disabled"],
        true
    );
}
