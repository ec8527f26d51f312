//! OAuth 2.0 sign-in for applications over HTTP: `oauth2/authorize` and its sign-in page,
//! `/sharing/oauth2/signin`, and the `authorization_code` (with PKCE), `refresh_token` and
//! `exchange_refresh_token` grants — as a browser and an application would drive them.

use keyportal_domain::oauth::s256_challenge;
use reqwest::header::{HeaderMap, LOCATION};
use serde_json::{json, Value};

use crate::harness::{error_code, TestServer, ADMIN_PASSWORD};
use crate::on_both_backends;

const CALLBACK: &str = "https://app.example.com/callback";
const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// A client that does not follow redirects: the tests read each `Location` themselves.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

/// Registers an OAuth app (redirect URIs, no privileges) on a new Application item.
async fn register_app(
    s: &TestServer,
    token: &str,
    owner: &str,
    app_type: &str,
    redirect_uris: &[&str],
) -> (String, String) {
    let item = s
        .add_item(token, owner, "Field notes app", &[("type", "Application")])
        .await;
    let registered = s
        .post(
            "oauth2/registerApp",
            Some(token),
            &[
                ("itemId", &item),
                ("appType", app_type),
                ("redirect_uris", &json!(redirect_uris).to_string()),
            ],
        )
        .await;
    assert!(
        registered.get("error").is_none(),
        "registerApp: {registered}"
    );
    (
        registered["client_id"].as_str().unwrap().to_string(),
        registered["client_secret"].as_str().unwrap().to_string(),
    )
}

struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

async fn authorize_at(s: &TestServer, path: &str, query: &[(&str, &str)]) -> Page {
    let response = browser()
        .get(format!("{}{path}", s.url))
        .query(query)
        .send()
        .await
        .unwrap();
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

async fn authorize(s: &TestServer, query: &[(&str, &str)]) -> Page {
    authorize_at(s, "/sharing/rest/oauth2/authorize", query).await
}

/// What the ArcGIS API for Python does: the first `{…}` on one line of the page, as JSON.
fn oauth_info(body: &str) -> Value {
    let line = body
        .lines()
        .find(|l| l.find('{').is_some_and(|i| l[i..].contains('}')))
        .unwrap_or_else(|| panic!("no {{…}} line in the page:\n{body}"));
    let start = line.find('{').unwrap();
    let end = line.rfind('}').unwrap();
    serde_json::from_str(&line[start..=end]).unwrap()
}

fn oauth_state(body: &str) -> String {
    oauth_info(body)["oauth_state"]
        .as_str()
        .unwrap_or_else(|| panic!("no oauth_state in the page:\n{body}"))
        .to_string()
}

async fn signin(s: &TestServer, oauth_state: &str, username: &str, password: &str) -> Page {
    let response = browser()
        .post(format!("{}/sharing/oauth2/signin", s.url))
        .form(&[
            ("oauth_state", oauth_state),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

fn location(page: &Page) -> String {
    assert_eq!(page.status, 302, "expected a redirect: {}", page.body);
    page.headers
        .get(LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

/// The decoded `name=value` pairs after `separator` in a URL.
fn pairs(url: &str, separator: char) -> Vec<(String, String)> {
    let (_, tail) = url.split_once(separator).unwrap();
    reqwest::Url::parse(&format!("http://decode.invalid/?{tail}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn pair(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no {name} in {pairs:?}"))
}

async fn token_endpoint(s: &TestServer, form: &[(&str, &str)]) -> Value {
    s.post("oauth2/token", None, form).await
}

async fn username_of(s: &TestServer, token: &str) -> Value {
    s.get("community/self", Some(token), &[]).await["username"].clone()
}

/// A fresh PKCE verifier (64 URL-safe characters) and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = format!(
        "{}-{}",
        keyportal_domain::secret::random_hex::<16>(),
        keyportal_domain::secret::random_hex::<15>()
    );
    let challenge = s256_challenge(&verifier);
    (verifier, challenge)
}

/// Signs `username` in through the code flow with PKCE; returns the code and its verifier.
async fn code_for(
    s: &TestServer,
    client_id: &str,
    username: &str,
    password: &str,
) -> (String, String) {
    let (verifier, challenge) = pkce();
    let page = authorize(
        s,
        &[
            ("client_id", client_id),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("state", "s1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let back = location(&signin(s, &oauth_state(&page.body), username, password).await);
    (pair(&pairs(&back, '?'), "code"), verifier)
}

fn oauth_error(answer: &Value) -> (i64, String) {
    (
        error_code(answer),
        answer["error"]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

on_both_backends!(
    authorization_code_with_pkce_end_to_end,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (client_id, _) = register_app(&s, &admin, "admin", "browser", &[CALLBACK]).await;
        let (verifier, challenge) = pkce();

        // 1. The application sends the browser to oauth2/authorize.
        let page = authorize(
            &s,
            &[
                ("client_id", client_id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", CALLBACK),
                ("state", "opaque state/ä"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let header = |name: &str| {
            page.headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        assert!(header("content-type").starts_with("text/html"));
        assert_eq!(header("cache-control"), "no-store");
        assert_eq!(header("x-frame-options"), "DENY");
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self' https://app.example.com",
        ] {
            assert!(csp.contains(directive), "{csp}");
        }
        assert!(!page.body.contains("<script>"), "no executable script");
        assert!(page.body.contains("<label for=\"username\">"));
        assert!(page.body.contains("<label for=\"password\">"));
        assert!(page.body.contains("type=\"password\""));
        assert!(page.body.contains("action=\"/sharing/oauth2/signin\""));
        assert!(page.body.contains("Field notes app"), "the app's title");
        let info_line = page
            .body
            .lines()
            .find(|l| l.contains("var oAuthInfo = {"))
            .unwrap();
        assert!(info_line.trim_end().ends_with("};</script>"));
        let info = oauth_info(&page.body);
        assert_eq!(info["client_id"], client_id.as_str());
        let state = oauth_state(&page.body);
        assert!(
            !state.contains(&challenge),
            "the state is sealed, not readable"
        );

        // The stylesheet the page links to is served.
        let css = s
            .client
            .get(format!("{}/sharing/oauth2/signin.css", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(css.status(), 200);
        assert!(css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css"));

        // 2. The member signs in; the browser is sent back with a code and the state.
        let back = location(&signin(&s, &state, "admin", ADMIN_PASSWORD).await);
        assert!(back.starts_with(&format!("{CALLBACK}?code=")), "{back}");
        let query = pairs(&back, '?');
        assert_eq!(pair(&query, "state"), "opaque state/ä");
        let code = pair(&query, "code");
        assert!(code.len() >= 43);

        // 3. Bad redemptions are refused and change nothing.
        let redeem = |verifier: String, redirect: &'static str| {
            let (s, client_id, code) = (&s, client_id.clone(), code.clone());
            async move {
                token_endpoint(
                    s,
                    &[
                        ("grant_type", "authorization_code"),
                        ("client_id", &client_id),
                        ("code", &code),
                        ("redirect_uri", redirect),
                        ("code_verifier", &verifier),
                    ],
                )
                .await
            }
        };
        let (wrong_verifier, _) = pkce();
        assert_eq!(
            oauth_error(&redeem(wrong_verifier, CALLBACK).await),
            (400, "invalid_grant".into())
        );
        assert_eq!(
            oauth_error(&redeem(verifier.clone(), "https://app.example.com/callback/").await),
            (400, "invalid_grant".into())
        );
        assert_eq!(
            oauth_error(&redeem(String::new(), CALLBACK).await),
            (400, "invalid_request".into()),
            "the verifier is required when a challenge was given"
        );
        let other_client = token_endpoint(
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "pythonapi"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(oauth_error(&other_client), (400, "invalid_grant".into()));

        // 4. The right verifier redeems the code: tokens for the member.
        let tokens = redeem(verifier.clone(), CALLBACK).await;
        assert!(tokens.get("error").is_none(), "{tokens}");
        assert_eq!(tokens["username"], "admin");
        assert_eq!(tokens["ssl"], false);
        assert_eq!(tokens["expires_in"], 1800, "30 minutes by default");
        assert_eq!(tokens["refresh_token_expires_in"], 1_209_600, "two weeks");
        let access = tokens["access_token"].as_str().unwrap().to_string();
        let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(access, refresh);
        assert_eq!(username_of(&s, &access).await, "admin");
        // Python sends the token in X-Esri-Authorization; REST JS as `token`.
        let by_header: Value = s
            .client
            .get(s.rest("community/self?f=json"))
            .header("X-Esri-Authorization", format!("Bearer {access}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(by_header["username"], "admin");

        // 5. A code works once.
        assert_eq!(
            oauth_error(&redeem(verifier.clone(), CALLBACK).await),
            (400, "invalid_grant".into())
        );

        // 6. refresh_token: a new access token; the refresh token stays.
        let refreshed = token_endpoint(
            &s,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &client_id),
                ("refresh_token", &refresh),
            ],
        )
        .await;
        assert!(refreshed.get("error").is_none(), "{refreshed}");
        assert_eq!(refreshed["username"], "admin");
        assert!(refreshed.get("refresh_token").is_none());
        let access2 = refreshed["access_token"].as_str().unwrap().to_string();
        assert_ne!(access2, access);
        assert_eq!(username_of(&s, &access2).await, "admin");
        for (client, value, expected) in [
            ("pythonapi", refresh.as_str(), "invalid_grant"),
            (client_id.as_str(), "not-a-refresh-token", "invalid_grant"),
            ("unknownClientId", refresh.as_str(), "invalid_client"),
        ] {
            let refused = token_endpoint(
                &s,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", client),
                    ("refresh_token", value),
                ],
            )
            .await;
            assert_eq!(oauth_error(&refused), (400, expected.into()), "{refused}");
        }

        // 7. exchange_refresh_token: new access and refresh tokens; the old one is revoked.
        let exchange = |value: String, redirect: &'static str| {
            let (s, client_id) = (&s, client_id.clone());
            async move {
                token_endpoint(
                    s,
                    &[
                        ("grant_type", "exchange_refresh_token"),
                        ("client_id", &client_id),
                        ("refresh_token", &value),
                        ("redirect_uri", redirect),
                    ],
                )
                .await
            }
        };
        assert_eq!(
            oauth_error(&exchange(refresh.clone(), "https://evil.example.com/").await),
            (400, "invalid_request".into())
        );
        let exchanged = exchange(refresh.clone(), CALLBACK).await;
        assert!(exchanged.get("error").is_none(), "{exchanged}");
        let refresh2 = exchanged["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(refresh2, refresh);
        assert_eq!(exchanged["refresh_token_expires_in"], 1_209_600);
        assert_eq!(
            username_of(&s, exchanged["access_token"].as_str().unwrap()).await,
            "admin"
        );
        assert_eq!(
            oauth_error(&exchange(refresh.clone(), CALLBACK).await),
            (400, "invalid_grant".into()),
            "the old refresh token is revoked"
        );

        // 8. Sign-out with the refresh token (what REST JS sends) revokes it.
        let revoked = s
            .post(
                "oauth2/revokeToken",
                None,
                &[("client_id", &client_id), ("auth_token", &refresh2)],
            )
            .await;
        assert_eq!(revoked["success"], true);
        assert_eq!(
            oauth_error(&exchange(refresh2.clone(), CALLBACK).await),
            (400, "invalid_grant".into())
        );

        // Grant types the endpoint does not know are still refused as before.
        let unknown =
            token_endpoint(&s, &[("grant_type", "password"), ("client_id", &client_id)]).await;
        assert_eq!(
            oauth_error(&unknown),
            (400, "unsupported_grant_type".into())
        );
    }
);

on_both_backends!(
    redirect_uris_are_matched_exactly_and_never_redirected_to,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (client_id, _) = register_app(&s, &admin, "admin", "browser", &[CALLBACK]).await;

        let unknown = authorize(
            &s,
            &[
                ("client_id", "noSuchClient1234"),
                ("response_type", "code"),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        assert_eq!(unknown.status, 400);
        assert!(unknown.body.contains("Error: Invalid client_id"));
        assert!(unknown.headers.get(LOCATION).is_none());

        for redirect in [
            "https://app.example.com/callback/",
            "https://APP.example.com/callback",
            "https://app.example.com/callback?next=/",
            "https://app.example.com:443/callback",
            "http://app.example.com/callback",
            "https://evil.example.com/callback",
            "",
        ] {
            let page = authorize(
                &s,
                &[
                    ("client_id", client_id.as_str()),
                    ("response_type", "code"),
                    ("redirect_uri", redirect),
                ],
            )
            .await;
            assert_eq!(page.status, 400, "{redirect}");
            assert!(page.body.contains("Invalid redirect_uri"), "{redirect}");
            assert!(!page.body.contains("oauth_state"), "{redirect}");
            assert!(page.headers.get(LOCATION).is_none());
        }
        // Only the exact URI, and out of band, lead to a sign-in page.
        for redirect in [CALLBACK, OOB] {
            let page = authorize(
                &s,
                &[
                    ("client_id", client_id.as_str()),
                    ("response_type", "code"),
                    ("redirect_uri", redirect),
                ],
            )
            .await;
            assert_eq!(page.status, 200, "{redirect}: {}", page.body);
            assert!(!page.body.contains("Invalid redirect_uri"));
        }

        // The built-in Python client may only come back to this portal (or out of band).
        let host = s.url.trim_start_matches("http://").to_string();
        for (redirect, allowed) in [
            (format!("https://{host}"), true),
            (s.url.clone(), true),
            (OOB.to_string(), true),
            ("https://www.arcgis.com".to_string(), false),
            (format!("https://{host}/"), false),
            ("https://evil.example.com".to_string(), false),
        ] {
            let page = authorize(
                &s,
                &[
                    ("client_id", "pythonapi"),
                    ("response_type", "code"),
                    ("redirect_uri", &redirect),
                ],
            )
            .await;
            assert_eq!(
                !page.body.contains("Invalid redirect_uri"),
                allowed,
                "{redirect}"
            );
        }

        // Malformed requests get a page, not a redirect.
        for (name, value) in [
            ("response_type", "id_token"),
            ("code_challenge_method", "S512"),
            ("expiration", "soon"),
        ] {
            let mut query = vec![
                ("client_id", client_id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", CALLBACK),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
            ];
            query.retain(|(k, _)| *k != name);
            query.push((name, value));
            let page = authorize(&s, &query).await;
            assert_eq!(page.status, 400, "{name}={value}");
            assert!(page.body.contains("Invalid request"), "{}", page.body);
            assert!(page.headers.get(LOCATION).is_none());
        }

        // A sign-in page that was altered is refused, whatever the password.
        let page = authorize(
            &s,
            &[
                ("client_id", client_id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        let state = oauth_state(&page.body);
        let mut tampered = state.clone().into_bytes();
        let last = tampered.len() - 5;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        for bad in [tampered.as_str(), "", "v1.AAAA", "not-a-state"] {
            let answer = signin(&s, bad, "admin", ADMIN_PASSWORD).await;
            assert_eq!(answer.status, 400, "{bad}");
            assert!(answer.body.contains("expired"));
            assert!(answer.headers.get(LOCATION).is_none());
        }

        // The `/sharing/oauth2/authorize` path answers the same.
        let alias = authorize_at(
            &s,
            "/sharing/oauth2/authorize",
            &[
                ("client_id", client_id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        assert_eq!(alias.status, 200);
        assert!(!oauth_state(&alias.body).is_empty());

        // A confidential (server) app must authenticate with its secret at the token endpoint.
        let (server_app, secret) = register_app(&s, &admin, "admin", "server", &[CALLBACK]).await;
        let page = authorize(
            &s,
            &[
                ("client_id", server_app.as_str()),
                ("response_type", "code"),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        let back = location(&signin(&s, &oauth_state(&page.body), "admin", ADMIN_PASSWORD).await);
        let code = pair(&pairs(&back, '?'), "code");
        for (given, expected) in [(None, "invalid_client"), (Some("wrong"), "invalid_client")] {
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("client_id", server_app.as_str()),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
            ];
            if let Some(secret) = given {
                form.push(("client_secret", secret));
            }
            assert_eq!(
                oauth_error(&token_endpoint(&s, &form).await),
                (400, expected.into())
            );
        }
        let tokens = token_endpoint(
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &server_app),
                ("client_secret", &secret),
                ("code", &code),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        assert_eq!(tokens["username"], "admin", "{tokens}");
    }
);

on_both_backends!(
    implicit_flow_puts_the_token_in_the_fragment,
    true,
    |s: TestServer| async move {
        // The ArcGIS API for Python's default sign-in: client pythonapi, back to the portal.
        let root = s.url.clone();
        assert!(root.starts_with("https://"));
        let page = authorize(
            &s,
            &[
                ("client_id", "pythonapi"),
                ("response_type", "token"),
                ("redirect_uri", &root),
                ("state", "pyState123"),
                ("expiration", "90"),
                ("allow_verification", "false"),
                ("style", "dark"),
                ("locale", "en-US"),
            ],
        )
        .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let state = oauth_state(&page.body);
        let back = location(&signin(&s, &state, "admin", ADMIN_PASSWORD).await);
        assert!(back.starts_with(&format!("{root}#access_token=")), "{back}");
        let fragment = pairs(&back, '#');
        assert_eq!(pair(&fragment, "expires_in"), "5400");
        assert_eq!(pair(&fragment, "username"), "admin");
        assert_eq!(pair(&fragment, "ssl"), "true");
        assert_eq!(pair(&fragment, "state"), "pyState123");
        let token = pair(&fragment, "access_token");
        assert_eq!(username_of(&s, &token).await, "admin");
        // The token is a user token like generateToken's: sign-out kills it.
        let revoked = s
            .post("oauth2/revokeToken", None, &[("auth_token", &token)])
            .await;
        assert_eq!(revoked["success"], true);
        assert_eq!(error_code(&username_of_answer(&s, &token).await), 498);

        // A registered app's implicit flow goes to its own redirect URI.
        let admin = s.admin_token().await;
        let (client_id, _) = register_app(&s, &admin, "admin", "browser", &[CALLBACK]).await;
        let page = authorize(
            &s,
            &[
                ("client_id", client_id.as_str()),
                ("response_type", "token"),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        let back = location(&signin(&s, &oauth_state(&page.body), "admin", ADMIN_PASSWORD).await);
        assert!(
            back.starts_with(&format!("{CALLBACK}#access_token=")),
            "{back}"
        );
        let fragment = pairs(&back, '#');
        assert_eq!(
            pair(&fragment, "expires_in"),
            "7200",
            "two hours by default"
        );
        assert!(
            fragment.iter().all(|(k, _)| k != "state"),
            "no state, none echoed"
        );

        // The implicit flow cannot go out of band.
        let oob = authorize(
            &s,
            &[
                ("client_id", client_id.as_str()),
                ("response_type", "token"),
                ("redirect_uri", OOB),
            ],
        )
        .await;
        assert_eq!(oob.status, 400);
        assert!(!oob.body.contains("oauth_state"));
    }
);

async fn username_of_answer(s: &TestServer, token: &str) -> Value {
    s.get("community/self", Some(token), &[]).await
}

on_both_backends!(
    out_of_band_codes_are_shown_on_a_page,
    false,
    |s: TestServer| async move {
        let page = authorize(
            &s,
            &[
                ("client_id", "pythonapi"),
                ("response_type", "code"),
                ("redirect_uri", OOB),
                ("expiration", "20160"),
            ],
        )
        .await;
        assert_eq!(page.status, 200);
        let shown = signin(&s, &oauth_state(&page.body), "admin", ADMIN_PASSWORD).await;
        assert_eq!(shown.status, 200, "no redirect out of band");
        assert!(shown.headers.get(LOCATION).is_none());
        let title_start = shown.body.find("<title>SUCCESS code=").unwrap() + 20;
        let title_end = shown.body[title_start..].find("</title>").unwrap() + title_start;
        let code = shown.body[title_start..title_end].to_string();
        assert!(shown.body.contains(&format!("value=\"{code}\"")));
        // What Python's fallback does next: the code at the token endpoint, no secret.
        let tokens = token_endpoint(
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "pythonapi"),
                ("code", &code),
                ("redirect_uri", OOB),
                ("expiration", "20160"),
            ],
        )
        .await;
        assert_eq!(tokens["username"], "admin", "{tokens}");
        assert_eq!(tokens["expires_in"], 20_160 * 60);
        assert_eq!(tokens["refresh_token_expires_in"], 20_160 * 60);
        assert_eq!(
            username_of(&s, tokens["access_token"].as_str().unwrap()).await,
            "admin"
        );
        // Built-in clients have no secret.
        let page = authorize(
            &s,
            &[
                ("client_id", "pythonapi"),
                ("response_type", "code"),
                ("redirect_uri", OOB),
            ],
        )
        .await;
        let shown = signin(&s, &oauth_state(&page.body), "admin", ADMIN_PASSWORD).await;
        let start = shown.body.find("SUCCESS code=").unwrap() + 13;
        let end = shown.body[start..].find('<').unwrap() + start;
        let with_secret = token_endpoint(
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "pythonapi"),
                ("client_secret", "guess"),
                ("code", &shown.body[start..end]),
                ("redirect_uri", OOB),
            ],
        )
        .await;
        assert_eq!(oauth_error(&with_secret), (400, "invalid_client".into()));
    }
);

on_both_backends!(
    wrong_passwords_show_the_page_again_and_share_the_lockout,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        s.member(&admin, "olga", "org_user", "creatorUT").await;
        let (client_id, _) = register_app(&s, &admin, "admin", "browser", &[CALLBACK]).await;
        let page = authorize(
            &s,
            &[
                ("client_id", client_id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        let state = oauth_state(&page.body);

        let failed = signin(&s, &state, "olga", "wrong-pass-1").await;
        assert_eq!(failed.status, 200);
        assert!(failed.headers.get(LOCATION).is_none());
        assert!(failed.body.contains("OAUTH_0015"));
        assert!(failed.body.contains("role=\"alert\""));
        assert!(failed.body.contains("Invalid username or password."));
        assert!(
            failed.body.contains("value=\"olga\""),
            "the username is kept"
        );
        // What Python reads after a failure: the first {…} line, with `messages`.
        let info = oauth_info(&failed.body);
        assert_eq!(info["messages"][0], "Invalid username or password.");
        assert_eq!(
            info["oauth_state"],
            state.as_str(),
            "the page can be retried"
        );

        let empty = signin(&s, &state, "olga", "").await;
        assert_eq!(empty.status, 200);
        assert!(empty.body.contains("Enter your username and password."));

        // Failures here and at generateToken add up: 2 + 3 = 5 locks the account.
        signin(&s, &state, "olga", "wrong-pass-2").await;
        for n in 0..3 {
            let refused = s
                .post(
                    "generateToken",
                    None,
                    &[
                        ("username", "olga"),
                        ("password", &format!("wrong-{n}")),
                        ("client", "requestip"),
                    ],
                )
                .await;
            assert_eq!(error_code(&refused), 400);
        }
        let locked = signin(&s, &state, "olga", "olga-pass-1").await;
        assert_eq!(locked.status, 200);
        assert!(
            locked.headers.get(LOCATION).is_none(),
            "no code while locked"
        );
        assert!(locked.body.contains("Too many failed sign-in attempts"));
        assert!(locked.body.contains("OAUTH_0015"));
        let also_locked = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", "olga"),
                    ("password", "olga-pass-1"),
                    ("client", "requestip"),
                ],
            )
            .await;
        assert!(also_locked
            .to_string()
            .contains("Too many failed sign-in attempts"));

        // Other members are not affected.
        let back = location(&signin(&s, &state, "admin", ADMIN_PASSWORD).await);
        assert!(back.starts_with(CALLBACK));
    }
);

on_both_backends!(
    disabling_a_member_revokes_their_refresh_tokens,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        s.member(&admin, "dora", "org_user", "creatorUT").await;
        let (client_id, _) = register_app(&s, &admin, "admin", "native", &[CALLBACK]).await;
        let (code, verifier) = code_for(&s, &client_id, "dora", "dora-pass-1").await;
        let tokens = token_endpoint(
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &client_id),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
        let access = tokens["access_token"].as_str().unwrap().to_string();
        // A code issued before the disable cannot be redeemed after it either.
        let (pending, pending_verifier) = code_for(&s, &client_id, "dora", "dora-pass-1").await;

        let disabled = s
            .post("community/users/dora/disable", Some(&admin), &[])
            .await;
        assert_eq!(disabled["success"], true);
        let refresh_form = [
            ("grant_type", "refresh_token"),
            ("client_id", client_id.as_str()),
            ("refresh_token", refresh.as_str()),
        ];
        assert_eq!(
            oauth_error(&token_endpoint(&s, &refresh_form).await),
            (400, "invalid_grant".into())
        );
        assert_eq!(error_code(&username_of_answer(&s, &access).await), 498);
        let late = token_endpoint(
            &s,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &client_id),
                ("code", &pending),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &pending_verifier),
            ],
        )
        .await;
        assert_eq!(oauth_error(&late), (400, "invalid_grant".into()));

        // Enabling the account again does not bring the revoked grants back.
        let enabled = s
            .post("community/users/dora/enable", Some(&admin), &[])
            .await;
        assert_eq!(enabled["success"], true);
        assert_eq!(
            oauth_error(&token_endpoint(&s, &refresh_form).await),
            (400, "invalid_grant".into())
        );
    }
);
