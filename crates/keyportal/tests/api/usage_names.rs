//! Usage rows exist only for service names the organization knows: `/verify` counts a
//! catalog location service under its catalog name, a configured location service under its
//! own name, and every other name under `other` — so whoever holds a key cannot grow the
//! usage table without end by inventing names.

use serde_json::json;

use crate::harness::{key_with, TestServer, REFERER};
use crate::on_both_backends;

async fn verify_ok(s: &TestServer, query: &str, key: &str) {
    let status = s
        .client
        .get(format!("{}/verify?{query}", s.url))
        .header("Authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200, "{query}");
}

on_both_backends!(
    verify_counts_usage_only_under_names_the_organization_knows,
    false,
    |mut s: TestServer| async move {
        let up = crate::proxy::Upstream::start().await;
        let admin = s.admin_token().await;
        crate::proxy::allow_upstreams(&s, &admin, &["127.0.0.1"]).await;
        let configured = s
            .post(
                "portals/self/locationServices/Weather",
                Some(&admin),
                &[
                    ("url", &format!("{}/weather", up.url)),
                    ("privilege", "premium:user:elevation"),
                ],
            )
            .await;
        assert_eq!(configured["name"], "weather", "{configured}");
        let (item, client_id, key) = key_with(
            &s,
            &admin,
            &["premium:user:geocode:temporary".to_string()],
            &[],
        )
        .await;

        for i in 0..300 {
            verify_ok(&s, &format!("service=made-up-{i}"), &key).await;
        }
        for query in ["service=GEOCODE", "service=geocode"] {
            verify_ok(&s, query, &key).await;
        }
        for query in ["service=weather", "service=WEATHER", "service=Weather"] {
            verify_ok(&s, query, &key).await;
        }
        for _ in 0..4 {
            verify_ok(&s, "", &key).await;
        }
        let expected = json!({ "other": 300, "geocode": 2, "weather": 3, "verify": 4 });
        let path = format!("content/users/admin/items/{item}/usage");
        let report = s.get(&path, Some(&admin), &[]).await;
        assert_eq!(report["totals"], expected, "{report}");

        // Stored the same way: four rows, whatever names were sent.
        s.restart().await;
        let admin = s.admin_token().await;
        let report = s.get(&path, Some(&admin), &[]).await;
        assert_eq!(report["totals"], expected, "{report}");
        let csv = s
            .client
            .get(s.rest(&path))
            .header("Referer", REFERER)
            .query(&[("f", "csv"), ("token", admin.as_str())])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let rows: Vec<&str> = csv.lines().skip(1).collect();
        assert_eq!(rows.len(), 4, "{csv}");
        assert!(rows.iter().all(|r| r.contains(&client_id)), "{csv}");
        assert!(!csv.contains("made-up"), "{csv}");
    }
);
