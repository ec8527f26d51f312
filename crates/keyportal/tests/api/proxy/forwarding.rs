//! Forwarding with sealed upstream credentials.

use serde_json::json;

use super::upstream::{Upstream, MIB};
use super::{allow_upstreams, code_of, get_with, proxy_settings_path, raw_status, servers};
use crate::harness::{error_code, TestServer, REFERER};
use crate::on_both_backends;

on_both_backends!(
    items_are_forwarded_with_sealed_upstream_credentials,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        // The upstreams run on loopback, which the allow-list must name explicitly.
        allow_upstreams(&s, &admin, &["127.0.0.1"]).await;
        let base = format!("{}/arcgis/rest/services/Roads/MapServer", up.url);
        let item = s
            .add_item(
                &admin,
                "admin",
                "Roads",
                &[("url", &format!("{base}/")), ("type", "Map Service")],
            )
            .await;
        let settings = proxy_settings_path("admin", &item);

        // Not proxied yet; a bad change is refused whole and changes nothing.
        let (status, body) = get_with(&s, &servers(&s, &item, "/0"), Some(&admin)).await;
        assert_eq!((status, code_of(&body)), (404, 404), "{body}");
        let refused = s
            .post(
                &settings,
                Some(&admin),
                &[
                    ("enabled", "true"),
                    ("timeoutSeconds", "0"),
                    ("upstreamHeaders", r#"{"Host":"evil.example.com"}"#),
                ],
            )
            .await;
        assert_eq!(error_code(&refused), 400, "{refused}");
        assert_eq!(refused["error"]["details"].as_array().unwrap().len(), 2);
        let shown = s.get(&settings, Some(&admin), &[]).await;
        assert_eq!(
            (shown["enabled"].clone(), shown["configured"].clone()),
            (json!(false), json!(false))
        );

        let enabled = s
            .post(
                &settings,
                Some(&admin),
                &[
                    ("enabled", "true"),
                    ("upstreamHeaders", r#"{"X-Api-Key":"hdr-s3cret"}"#),
                    ("upstreamQuery", r#"{"apiKey":"qry-s3cret"}"#),
                ],
            )
            .await;
        assert_eq!(enabled["success"], true, "{enabled}");
        let shown = s.get(&settings, Some(&admin), &[]).await;
        assert_eq!(shown["url"], base.as_str());
        assert_eq!(shown["upstreamHeaders"], json!(["X-Api-Key"]));
        assert_eq!(shown["upstreamQuery"], json!(["apiKey"]));
        assert_eq!(shown["timeoutSeconds"], 30);
        assert_eq!(shown["maxBodyBytes"], 10 * MIB);
        assert!(shown["proxyUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/sharing/servers/{item}")));
        assert!(!shown.to_string().contains("s3cret"), "{shown}");
        assert!(!enabled.to_string().contains("s3cret"), "{enabled}");

        // GET: path suffix and query forwarded, token and client cookies dropped, the sealed
        // credentials added (and winning over a caller's same-named parameter).
        let response = s
            .client
            .get(servers(&s, &item, "/0/query"))
            .query(&[
                ("where", "1=1"),
                ("f", "json"),
                ("apiKey", "client-tries"),
                ("token", admin.as_str()),
            ])
            .header("Referer", REFERER)
            .header("Cookie", "session=abc")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-upstream"], "yes");
        assert!(
            response.headers().get("set-cookie").is_none(),
            "no upstream cookies"
        );
        assert_eq!(response.headers()["content-security-policy"], "sandbox");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(response
            .headers()
            .iter()
            .all(|(_, v)| !v.to_str().unwrap_or("").contains("s3cret")));
        let text = response.text().await.unwrap();
        assert!(!text.contains("s3cret"));
        let seen = up.last();
        assert_eq!(seen.method, "GET");
        assert_eq!(seen.path, "/arcgis/rest/services/Roads/MapServer/0/query");
        assert!(seen.query.contains("where=1%3D1") && seen.query.contains("f=json"));
        assert!(seen.query.contains("apiKey=qry-s3cret"), "{}", seen.query);
        assert!(!seen.query.contains("client-tries") && !seen.query.contains("token"));
        assert_eq!(seen.headers["x-api-key"], "hdr-s3cret");
        assert_eq!(seen.headers["referer"], REFERER);
        assert!(seen.headers.get("cookie").is_none());
        assert!(seen.headers.get("authorization").is_none());
        assert!(seen.headers.contains_key("x-forwarded-for"));

        // POST with a JSON body and the token in `Authorization: Bearer`.
        let body = json!({ "features": [{ "attributes": { "name": "x" } }] }).to_string();
        let response = s
            .client
            .post(servers(&s, &item, "/0/applyEdits"))
            .header("Authorization", format!("Bearer {admin}"))
            .header("Referer", REFERER)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let seen = up.last();
        assert_eq!(
            (seen.method.as_str(), seen.path.as_str()),
            ("POST", "/arcgis/rest/services/Roads/MapServer/0/applyEdits")
        );
        assert_eq!(seen.body, body.as_bytes());
        assert_eq!(seen.headers["content-type"], "application/json");
        assert!(seen.headers.get("authorization").is_none());

        // A form body carrying the token (as ArcGIS clients send it): the token stays here.
        let response = s
            .client
            .post(servers(&s, &item, "/0/query"))
            .header("Referer", REFERER)
            .form(&[("where", "1=1"), ("token", admin.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(String::from_utf8(up.last().body).unwrap(), "where=1%3D1");

        // Upstream statuses and bodies pass through as they are.
        let (status, body) = get_with(&s, &servers(&s, &item, "/missing"), Some(&admin)).await;
        assert_eq!((status, body.as_str()), (404, "no such thing"));

        // Tokens: none on a private item, an invalid one.
        let (status, body) = get_with(&s, &servers(&s, &item, "/0"), None).await;
        assert_eq!((status, code_of(&body)), (401, 401), "{body}");
        let (status, _) = get_with(&s, &servers(&s, &item, "/0"), Some("not-a-token")).await;
        assert_eq!(status, 401);
        let (status, _) = get_with(&s, &servers(&s, &item, "/0"), Some("AAPTbogus")).await;
        assert_eq!(status, 401);

        // Dot segments never climb out of the upstream path.
        let before = up.seen().len();
        let climb = format!("/sharing/servers/{item}/a/%2e%2e/%2E%2e/%2e%2e/Secret/MapServer");
        assert_eq!(raw_status(&s.url, &climb).await, 400);
        let encoded = format!("/sharing/servers/{item}/a%2F..%2F..%2FSecret");
        assert_eq!(raw_status(&s.url, &encoded).await, 400);
        assert_eq!(up.seen().len(), before);

        // The item's URL changes: credentials do not follow it unasked.
        let moved = s
            .post(
                &format!("content/users/admin/items/{item}/update"),
                Some(&admin),
                &[("url", "https://elsewhere.example.com/svc")],
            )
            .await;
        assert_eq!(moved["success"], true, "{moved}");
        let resave = s
            .post(&settings, Some(&admin), &[("rateLimitPerKey", "5")])
            .await;
        assert_eq!(error_code(&resave), 400, "{resave}");
        let (status, _) = get_with(&s, &servers(&s, &item, "/0"), Some(&admin)).await;
        assert_eq!(
            status, 200,
            "still forwarding to the URL the credentials were set for"
        );

        // Disabled: not proxied any more.
        let disabled = s
            .post(&settings, Some(&admin), &[("enabled", "false")])
            .await;
        assert_eq!(disabled["enabled"], false, "{disabled}");
        let (status, _) = get_with(&s, &servers(&s, &item, "/0"), Some(&admin)).await;
        assert_eq!(status, 404);

        // Only the owner and administrators see or change the settings.
        let ursula = s.member(&admin, "ursula", "org_user", "creatorUT").await;
        let theirs = s.get(&settings, Some(&ursula), &[]).await;
        assert!(error_code(&theirs) != 0, "{theirs}");
        let theirs = s
            .post(&settings, Some(&ursula), &[("enabled", "true")])
            .await;
        assert!(error_code(&theirs) != 0, "{theirs}");
    }
);
