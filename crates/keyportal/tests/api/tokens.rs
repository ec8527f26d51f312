//! Discovery, sign-in, token binding, sign-out and the sign-in guard.

use serde_json::Value;

use crate::harness::{error_code, TestServer, ADMIN_PASSWORD, REFERER};
use crate::on_both_backends;

on_both_backends!(
    discovery_endpoints_answer,
    false,
    |s: TestServer| async move {
        let root = s.get("", None, &[]).await;
        assert_eq!(root["currentVersion"], "2025.1");
        let info = s.get("info", None, &[]).await;
        assert_eq!(info["authInfo"]["isTokenBasedSecurity"], true);
        assert_eq!(
            info["authInfo"]["tokenServicesUrl"],
            format!("{}/sharing/rest/generateToken", s.url)
        );
        // Trailing slashes are normalised (REST JS calls `oauth2/token/`).
        let slash: Value = s
            .client
            .get(format!("{}/sharing/rest/?f=json", s.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(slash["currentVersion"], "2025.1");
        let pretty = s
            .client
            .get(format!("{}/sharing/rest?f=pjson", s.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(pretty.contains("\n"), "pjson is indented");
    }
);

on_both_backends!(
    generate_token_signs_in_and_refuses_bad_passwords,
    false,
    |s: TestServer| async move {
        let before = chrono_now();
        let ok = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                    ("client", "referer"),
                    ("referer", REFERER),
                    ("expiration", "60"),
                ],
            )
            .await;
        let token = ok["token"].as_str().expect("token");
        let expires = ok["expires"].as_i64().expect("expires");
        assert!(
            expires >= before + 59 * 60_000 && expires <= before + 61 * 60_000,
            "expires {expires}"
        );
        assert_eq!(ok["ssl"], false);
        let me = s.get("community/self", Some(token), &[]).await;
        assert_eq!(me["username"], "admin");
        assert_eq!(me["role"], "org_admin");

        let bad = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", "admin"),
                    ("password", "wrong-1"),
                    ("client", "referer"),
                    ("referer", REFERER),
                ],
            )
            .await;
        assert_eq!(error_code(&bad), 400);
        assert_eq!(bad["error"]["message"], "Unable to generate token.");
        assert_eq!(bad["error"]["details"][0], "Invalid username or password.");
        // Unknown users get the very same answer.
        let unknown = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", "nobody"),
                    ("password", "wrong-1"),
                    ("client", "referer"),
                    ("referer", REFERER),
                ],
            )
            .await;
        assert_eq!(unknown["error"], bad["error"]);
        let missing = s
            .post("generateToken", None, &[("username", "admin")])
            .await;
        assert_eq!(error_code(&missing), 400);
    }
);

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

on_both_backends!(
    tokens_are_bound_to_their_referer_and_accepted_in_headers,
    false,
    |s: TestServer| async move {
        let token = s.admin_token().await;
        let from = |referer: &'static str, token: String| {
            let s = &s;
            async move {
                s.client
                    .get(s.rest("community/self"))
                    .header("Referer", referer)
                    .query(&[("f", "json"), ("token", token.as_str())])
                    .send()
                    .await
                    .unwrap()
                    .json::<Value>()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(from(REFERER, token.clone()).await["username"], "admin");
        assert_eq!(
            error_code(&from("https://evil.example.com", token.clone()).await),
            498
        );

        for header in ["X-Esri-Authorization", "Authorization"] {
            let answer: Value = s
                .client
                .get(s.rest("community/self"))
                .header("Referer", REFERER)
                .header(header, format!("Bearer {token}"))
                .query(&[("f", "json")])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(answer["username"], "admin", "token in {header}");
        }
    }
);

on_both_backends!(
    invalid_missing_and_revoked_tokens,
    false,
    |s: TestServer| async move {
        let garbage = s.get("community/self", Some("not-a-token"), &[]).await;
        assert_eq!(error_code(&garbage), 498);
        assert_eq!(garbage["error"]["message"], "Invalid token.");
        let anonymous = s.get("community/self", None, &[]).await;
        assert_eq!(error_code(&anonymous), 499);
        assert_eq!(anonymous["error"]["message"], "Token Required");

        let token = s.admin_token().await;
        let revoked = s
            .post(
                "oauth2/revokeToken",
                None,
                &[("auth_token", &token), ("client_id", "arcgisonline")],
            )
            .await;
        assert_eq!(revoked["success"], true);
        assert_eq!(
            error_code(&s.get("community/self", Some(&token), &[]).await),
            498
        );
    }
);

on_both_backends!(
    repeated_failures_lock_the_account_for_a_while,
    false,
    |s: TestServer| async move {
        for _ in 0..5 {
            let bad = s
                .post(
                    "generateToken",
                    None,
                    &[
                        ("username", "admin"),
                        ("password", "wrong-1"),
                        ("client", "referer"),
                        ("referer", REFERER),
                    ],
                )
                .await;
            assert_eq!(bad["error"]["details"][0], "Invalid username or password.");
        }
        let locked = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                    ("client", "referer"),
                    ("referer", REFERER),
                ],
            )
            .await;
        assert_eq!(error_code(&locked), 400);
        let detail = locked["error"]["details"][0].as_str().unwrap();
        assert!(
            detail.starts_with("Too many failed sign-in attempts"),
            "{detail}"
        );
    }
);

on_both_backends!(
    signing_out_twice_or_an_unknown_token_succeeds,
    false,
    |s: TestServer| async move {
        let token = s.admin_token().await;
        for _ in 0..2 {
            let answer = s
                .post("oauth2/revokeToken", None, &[("auth_token", &token)])
                .await;
            assert_eq!(answer["success"], true, "{answer}");
        }
        let unknown = s
            .post(
                "oauth2/revokeToken",
                None,
                &[("auth_token", "never-issued")],
            )
            .await;
        assert_eq!(unknown["success"], true);
    }
);
