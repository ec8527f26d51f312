//! The verify endpoint and usage counting: decisions, machine-readable reasons, exact counts
//! after concurrent traffic and a restart, reports as JSON, CSV and the ArcGIS usage resource.

use serde_json::{json, Value};

use crate::harness::{error_code, key_with, TestServer, REFERER};
use crate::on_both_backends;

async fn verify(
    s: &TestServer,
    query: &str,
    key: Option<&str>,
    referer: Option<&str>,
) -> (u16, Value) {
    let mut request = s.client.get(format!("{}/verify?{query}", s.url));
    if let Some(key) = key {
        request = request.header("X-Esri-Authorization", format!("Bearer {key}"));
    }
    if let Some(referer) = referer {
        request = request.header("Referer", referer);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

on_both_backends!(
    verify_decides_with_machine_readable_reasons,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let granted = s.add_item(&admin, "admin", "Tiles", &[]).await;
        let privileges = vec![
            "premium:user:geocode:temporary".to_string(),
            format!("portal:app:access:item:{granted}"),
        ];
        let (_, client_id, key) =
            key_with(&s, &admin, &privileges, &["https://*.example.com"]).await;
        let site = Some("https://maps.example.com/app");

        let (status, body) = verify(&s, "service=geocode", Some(&key), site).await;
        assert_eq!(
            (status, body["allowed"].clone(), body["clientId"].clone()),
            (200, json!(true), json!(client_id))
        );
        assert_eq!(body["slot"], 1);
        // The whole answer, field by field (it is written by hand on the fast path).
        let expires = body["expires"].as_i64().unwrap();
        assert!(expires > 0);
        assert_eq!(
            body,
            json!({"allowed": true, "clientId": client_id, "itemId": body["itemId"].as_str().unwrap(),
                   "owner": "admin", "slot": 1, "expires": expires})
        );
        assert_eq!(body["itemId"].as_str().unwrap().len(), 32);
        // The key in `token=` (any case, last value wins) and the form-body POST agree.
        let (status, _) = verify(
            &s,
            &format!("service=geocode&TOKEN=nothing&token={key}"),
            None,
            site,
        )
        .await;
        assert_eq!(status, 200);
        let posted = s
            .client
            .post(format!("{}/verify", s.url))
            .header("Referer", "https://maps.example.com/")
            .form(&[("token", key.as_str()), ("service", "geocode")])
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 200);
        assert_eq!(
            posted.json::<Value>().await.unwrap()["clientId"],
            json!(client_id)
        );
        let head = s
            .client
            .head(format!("{}/verify?service=basemaps&token={key}", s.url))
            .header("Referer", "https://maps.example.com/")
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 403);
        assert_eq!(head.headers()["x-keyportal-reason"], "service");
        let (status, body) = verify(&s, "service=geocode", Some(&key), None).await;
        assert_eq!((status, body["reason"].clone()), (401, json!("referrer")));
        let (status, body) = verify(&s, "service=basemaps", Some(&key), site).await;
        assert_eq!((status, body["reason"].clone()), (403, json!("service")));
        assert!(body["needed"].to_string().contains("premium:user:basemaps"));
        let (status, body) = verify(&s, "privilege=portal:user:createItem", Some(&key), site).await;
        assert_eq!((status, body["reason"].clone()), (403, json!("privilege")));
        let (status, _) = verify(&s, &format!("item={granted}"), Some(&key), site).await;
        assert_eq!(status, 200);
        let (status, body) =
            verify(&s, &format!("item={}", "f".repeat(32)), Some(&key), site).await;
        assert_eq!((status, body["reason"].clone()), (403, json!("item")));
        let (status, body) = verify(&s, "service=geocode", None, site).await;
        assert_eq!((status, body["reason"].clone()), (401, json!("missing")));
        let (status, body) = verify(&s, "service=geocode", Some("AAPTnot-a-key"), site).await;
        assert_eq!((status, body["reason"].clone()), (401, json!("malformed")));
        let (status, _) = verify(&s, "service=bad%20name", Some(&key), site).await;
        assert_eq!(status, 400);
        // nginx forwards the original URI: a key in its query string is found there.
        let original = s
            .client
            .get(format!("{}/verify?service=geocode", s.url))
            .header(
                "X-Original-URI",
                format!("/geocode/find?text=x&token={key}"),
            )
            .header("Referer", "https://example.com/")
            .send()
            .await
            .unwrap();
        assert_eq!(original.status(), 200);
        assert_eq!(
            original.headers()["x-keyportal-client-id"],
            client_id.as_str()
        );
    }
);

on_both_backends!(
    usage_is_exact_after_concurrent_traffic_and_a_restart,
    false,
    |mut s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, client_id, key) = key_with(
            &s,
            &admin,
            &[
                "premium:user:geocode:temporary".to_string(),
                "premium:user:basemaps".to_string(),
            ],
            &[],
        )
        .await;
        let mut tasks = Vec::new();
        for task in 0..4 {
            let client = s.client.clone();
            let url = format!(
                "{}/verify?service={}",
                s.url,
                if task % 2 == 0 { "geocode" } else { "basemaps" }
            );
            let key = key.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..50 {
                    let status = client
                        .get(&url)
                        .header("Authorization", format!("Bearer {key}"))
                        .send()
                        .await
                        .unwrap()
                        .status();
                    assert_eq!(status, 200);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        for _ in 0..7 {
            let me: Value = s
                .client
                .get(s.rest("portals/self"))
                .query(&[("f", "json"), ("token", key.as_str())])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(me.get("error").is_none());
        }
        // Refused requests are not counted.
        let (status, _) = verify(&s, "service=routing", Some(&key), None).await;
        assert_eq!(status, 403);

        let report = s
            .get(
                &format!("content/users/admin/items/{item}/usage"),
                Some(&admin),
                &[("period", "last30days")],
            )
            .await;
        assert_eq!(
            report["totals"],
            json!({ "geocode": 100, "basemaps": 100, "portal": 7 }),
            "{report}"
        );
        s.restart().await;
        let admin = s.admin_token().await;
        let report = s
            .get(
                &format!("content/users/admin/items/{item}/usage"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(
            report["totals"],
            json!({ "geocode": 100, "basemaps": 100, "portal": 7 }),
            "counts survive a restart: {report}"
        );
        let geocode = report["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == "geocode")
            .unwrap()
            .clone();
        assert_eq!(geocode["days"][0][1], 100);

        let csv = s
            .client
            .get(s.rest(&format!("content/users/admin/items/{item}/usage")))
            .header("Referer", REFERER)
            .query(&[
                ("f", "csv"),
                ("token", admin.as_str()),
                ("period", "last60days"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let text = csv.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "date,client_id,slot,service,count");
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with(&format!(",{client_id},1,geocode,100"))),
            "{text}"
        );
        assert_eq!(lines.len(), 4, "{text}");

        let org = s.get("portals/self", None, &[]).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let usage = s
            .post(
                &format!("portals/{org}/usage"),
                Some(&admin),
                &[("period", "last30days"), ("stype", "geocode")],
            )
            .await;
        assert_eq!(usage["period"], "1d");
        assert_eq!(usage["data"].as_array().unwrap().len(), 1, "{usage}");
        assert_eq!(usage["data"][0]["appId"], client_id.as_str());
        assert_eq!(usage["data"][0]["num"][0][1], "100");
        let custom = s
            .get(
                &format!("content/users/admin/items/{item}/usage"),
                Some(&admin),
                &[
                    ("period", "custom"),
                    ("startTime", "0"),
                    ("endTime", "86400000"),
                ],
            )
            .await;
        assert_eq!(custom["totals"], json!({}));
        assert_eq!(
            error_code(
                &s.get(
                    &format!("content/users/admin/items/{item}/usage"),
                    Some(&admin),
                    &[("period", "decade")]
                )
                .await
            ),
            400
        );

        let bob = s.member(&admin, "bob", "org_user", "creatorUT").await;
        assert_eq!(
            error_code(
                &s.get(&format!("portals/{org}/usage"), Some(&bob), &[])
                    .await
            ),
            403
        );
        assert_eq!(
            error_code(
                &s.get(
                    &format!("content/users/admin/items/{item}/usage"),
                    Some(&bob),
                    &[]
                )
                .await
            ),
            400,
            "invisible to others"
        );
    }
);

on_both_backends!(
    rate_limits_and_quotas_refuse_with_a_retry_time,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, _, key) = key_with(
            &s,
            &admin,
            &["premium:user:geocode:temporary".to_string()],
            &[],
        )
        .await;
        let set = s
            .post(
                &format!("content/users/admin/items/{item}/limits"),
                Some(&admin),
                &[("perSecond", "3"), ("perDay", "5")],
            )
            .await;
        assert_eq!(
            (set["perSecond"].clone(), set["perDay"].clone()),
            (json!(3), json!(5)),
            "{set}"
        );
        assert_eq!(
            error_code(
                &s.post(
                    &format!("content/users/admin/items/{item}/limits"),
                    Some(&admin),
                    &[("perSecond", "0")]
                )
                .await
            ),
            400
        );

        // A burst of 3 per second passes, the 4th is refused with a retry time.
        let mut statuses = Vec::new();
        let mut retry_after = None;
        for _ in 0..4 {
            let response = s
                .client
                .get(format!("{}/verify?service=geocode", s.url))
                .header("Authorization", format!("Bearer {key}"))
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
            if response.status() == 429 {
                retry_after = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["reason"], "rate_per_second");
            }
        }
        assert_eq!(statuses, vec![200, 200, 200, 429]);
        assert_eq!(retry_after.as_deref(), Some("1"));

        // The daily quota (5) is reached after two more; Sharing API calls count too and get 429
        // in the envelope.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        for expected in [200, 200, 429] {
            let status = s
                .client
                .get(format!("{}/verify?service=geocode", s.url))
                .header("Authorization", format!("Bearer {key}"))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status.as_u16(), expected);
        }
        let portal: Value = s
            .client
            .get(s.rest("portals/self"))
            .query(&[("f", "json"), ("token", key.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(error_code(&portal), 429, "{portal}");
        assert!(portal["error"]["details"][0]
            .as_str()
            .unwrap()
            .contains("quota_per_day"));

        // The owner sees the refusals in the usage report.
        let report = s
            .get(
                &format!("content/users/admin/items/{item}/usage"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(report["totals"]["geocode"], 5, "{report}");
        assert_eq!(report["totals"]["throttled"], 3, "{report}");

        // Removing the limits lets the key through again.
        s.post(
            &format!("content/users/admin/items/{item}/limits"),
            Some(&admin),
            &[("perSecond", "-1"), ("perDay", "-1")],
        )
        .await;
        let status = s
            .client
            .get(format!("{}/verify?service=geocode", s.url))
            .header("Authorization", format!("Bearer {key}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        assert_eq!(
            s.get(
                &format!("content/users/admin/items/{item}/limits"),
                Some(&admin),
                &[]
            )
            .await["perDay"],
            Value::Null
        );
    }
);

on_both_backends!(
    billing_cycles_start_on_the_configured_day,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let set = s
            .post(
                "portals/self/usageSettings",
                Some(&admin),
                &[("billingCycleStartDay", "15")],
            )
            .await;
        assert_eq!(set["billingCycleStartDay"], 15);
        assert_eq!(
            error_code(
                &s.post(
                    "portals/self/usageSettings",
                    Some(&admin),
                    &[("billingCycleStartDay", "31")]
                )
                .await
            ),
            400
        );
        let (item, _, _) = key_with(&s, &admin, &["premium:user:basemaps".to_string()], &[]).await;
        let report = s
            .get(
                &format!("content/users/admin/items/{item}/usage"),
                Some(&admin),
                &[("period", "billingCycle")],
            )
            .await;
        let start = report["startTime"].as_i64().unwrap();
        let day_of_month = {
            let days = start.div_euclid(86_400_000);
            let z = days + 719_468;
            let doe = z - z.div_euclid(146_097) * 146_097;
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            doy - (153 * ((5 * doy + 2) / 153) + 2) / 5 + 1
        };
        assert_eq!(day_of_month, 15, "{report}");
        let bob = s.member(&admin, "bob", "org_user", "creatorUT").await;
        assert_eq!(
            error_code(
                &s.post(
                    "portals/self/usageSettings",
                    Some(&bob),
                    &[("billingCycleStartDay", "3")]
                )
                .await
            ),
            403
        );
    }
);

on_both_backends!(the_cli_prints_usage, false, |s: TestServer| async move {
    let admin = s.admin_token().await;
    let (item, client_id, key) = key_with(
        &s,
        &admin,
        &["premium:user:geocode:temporary".to_string()],
        &[],
    )
    .await;
    for _ in 0..3 {
        verify(&s, "service=geocode", Some(&key), None).await;
    }
    // The CLI reads the database: the server writes its counts when it stops.
    let mut s = s;
    s.restart().await;
    let out = crate::harness::keyportal_command()
        .args(["usage", "--credential", &item])
        .args(crate::harness::database_args(&s))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("geocode") && l.trim_end().ends_with(" 3")),
        "{text}"
    );
    let csv = crate::harness::keyportal_command()
        .args(["usage", "--csv", "--period", "last-30-days"])
        .args(crate::harness::database_args(&s))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&csv.stdout);
    assert!(
        text.lines()
            .any(|l| l.ends_with(&format!(",{client_id},1,geocode,3"))),
        "{text}"
    );
    let bad = crate::harness::keyportal_command()
        .args(["usage", "--period", "forever"])
        .args(crate::harness::database_args(&s))
        .output()
        .unwrap();
    assert!(!bad.status.success());
});
