//! The metrics listener: known traffic (Sharing requests with a user token and with a key,
//! `/verify` allowed and denied for several reasons), then a scrape read line by line: the
//! counters moved by exactly that much under the right labels, routes are templates, and no
//! key, token, username or item id appears anywhere. Without `--metrics-listen` there is no
//! listener.

use std::collections::BTreeMap;
use std::time::Duration;

use keyportal::config::ServeConfig;

use crate::harness::{key_with, Backend, TestServer, REFERER};
use crate::tuned_on_both_backends;

const SITE: &str = "https://maps.example.com/app";

fn with_metrics(config: &mut ServeConfig) {
    config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
}

/// One sample line: `name{label="value",…} number`.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Reads a scrape strictly: comments are `# HELP` / `# TYPE` lines, every other line a sample
/// whose label values are quoted with `\\`, `\"` and `\n` escaped; the families' types are
/// checked against their samples' names.
fn parse_scrape(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut types = BTreeMap::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            let (kind, name, rest) = (words.next(), words.next(), words.next());
            match (kind, name, rest) {
                (Some("HELP"), Some(_), Some(_)) => {}
                (Some("TYPE"), Some(name), Some(t)) => {
                    assert!(
                        ["counter", "gauge", "histogram"].contains(&t),
                        "type {t} in {line}"
                    );
                    types.insert(name.to_string(), t.to_string());
                }
                _ => panic!("bad comment line: {line}"),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value in {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').expect(line))),
        };
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':'),
            "metric name {name}"
        );
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        assert!(types.contains_key(family), "{name} has no # TYPE before it");
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    samples
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").expect("label=\"");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("closing quote") {
                (at, '"') => break at,
                (_, '\\') => match chars.next().expect("escape").1 {
                    'n' => value.push('\n'),
                    c @ ('\\' | '"') => value.push(c),
                    other => panic!("bad escape \\{other}"),
                },
                (_, c) => value.push(c),
            }
        };
        labels.insert(name.to_string(), value);
        rest = after[end + 1..]
            .strip_prefix(',')
            .unwrap_or(&after[end + 1..]);
    }
    labels
}

/// The value of the sample `name` with exactly these labels (0 when absent).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == wanted)
        .map_or(0.0, |s| s.value)
}

async fn scrape(s: &TestServer) -> String {
    let addr = s
        .server
        .as_ref()
        .unwrap()
        .metrics_addr
        .expect("metrics listener");
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

async fn verify(s: &TestServer, key: Option<&str>, referer: &str) -> u16 {
    let mut request = s
        .client
        .get(format!("{}/verify?service=geocode", s.url))
        .header("Referer", referer);
    if let Some(key) = key {
        request = request.header("X-Esri-Authorization", format!("Bearer {key}"));
    }
    request.send().await.unwrap().status().as_u16()
}

tuned_on_both_backends!(
    a_scrape_counts_known_traffic_under_templates_and_leaks_nothing,
    false,
    with_metrics,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let member = s
            .member(&admin, "zelda_metrics", "org_user", "creatorUT")
            .await;
        let granted = s.add_item(&admin, "admin", "Tiles", &[]).await;
        let privileges = vec![
            "premium:user:geocode:temporary".to_string(),
            format!("portal:app:access:item:{granted}"),
        ];
        let (credential, client_id, key) =
            key_with(&s, &admin, &privileges, &["https://*.example.com"]).await;

        // Sharing: two member requests naming the member and the item in their paths, one
        // with the key.
        s.get("content/users/zelda_metrics", Some(&member), &[])
            .await;
        let item = s
            .get(&format!("content/items/{granted}"), Some(&admin), &[])
            .await;
        assert_eq!(item["id"], granted.as_str());
        let with_key = s
            .get_with_key(&format!("content/items/{granted}"), &key, Some(SITE))
            .await;
        assert_eq!(with_key["id"], granted.as_str(), "{with_key}");
        // /verify: three allowed, one without a key, two from a referrer the key refuses.
        for _ in 0..3 {
            assert_eq!(verify(&s, Some(&key), SITE).await, 200);
        }
        assert_eq!(verify(&s, None, SITE).await, 401);
        for _ in 0..2 {
            assert_eq!(verify(&s, Some(&key), "https://elsewhere.test/").await, 401);
        }

        let text = scrape(&s).await;
        let samples = parse_scrape(&text);
        let checks = |result: &str, reason: &str| {
            value(
                &samples,
                "keyportal_key_checks_total",
                &[("result", result), ("reason", reason)],
            )
        };
        assert_eq!(
            checks("allowed", "none"),
            4.0,
            "3 /verify + 1 Sharing\n{text}"
        );
        assert_eq!(checks("denied", "missing"), 1.0);
        assert_eq!(checks("denied", "referrer"), 2.0);
        assert_eq!(checks("denied", "unknown"), 0.0, "zeros are there too");
        assert!(
            text.contains("keyportal_key_checks_total{result=\"denied\",reason=\"unknown\"} 0\n")
        );
        assert_eq!(checks("limited", "rate_per_second"), 0.0);

        let requests = |route: &str, method: &str, status: &str| {
            value(
                &samples,
                "keyportal_http_requests_total",
                &[("route", route), ("method", method), ("status", status)],
            )
        };
        assert_eq!(requests("/verify", "GET", "200"), 3.0, "{text}");
        assert_eq!(requests("/verify", "GET", "401"), 3.0);
        assert_eq!(
            requests("/sharing/rest/content/items/{id}", "GET", "200"),
            2.0
        );
        assert_eq!(
            requests("/sharing/rest/content/users/{owner}", "GET", "200"),
            1.0,
            "{text}"
        );
        assert_eq!(
            value(
                &samples,
                "keyportal_http_request_duration_seconds_count",
                &[("route", "/verify"), ("method", "GET")]
            ),
            6.0
        );
        assert_eq!(
            value(
                &samples,
                "keyportal_http_request_duration_seconds_bucket",
                &[("route", "/verify"), ("method", "GET"), ("le", "+Inf")]
            ),
            6.0
        );
        // Every route is a template the router knows, or `none`.
        for sample in samples
            .iter()
            .filter(|s| s.name.starts_with("keyportal_http_"))
        {
            let route = &sample.labels["route"];
            assert!(route == "none" || route.starts_with('/'), "{route}");
        }
        assert!(samples.iter().any(|s| s
            .labels
            .get("route")
            .is_some_and(|r| r.contains('{') && r.contains('}'))));

        // Nothing secret or identifying, anywhere in the scrape.
        for secret in [
            key.as_str(),
            admin.as_str(),
            member.as_str(),
            client_id.as_str(),
            credential.as_str(),
            granted.as_str(),
            "zelda_metrics",
            REFERER,
            "elsewhere.test",
        ] {
            assert!(!text.contains(secret), "{secret} in the scrape:\n{text}");
        }

        assert_eq!(
            value(
                &samples,
                "keyportal_build_info",
                &[("version", env!("CARGO_PKG_VERSION"))]
            ),
            1.0
        );
        assert!(value(&samples, "keyportal_keys", &[("state", "active")]) >= 1.0);
        assert!(value(&samples, "process_resident_memory_bytes", &[]) > 0.0);
        assert!(value(&samples, "process_open_fds", &[]) > 0.0);
        assert!(value(&samples, "process_start_time_seconds", &[]) > 1.6e9);
        assert!(text.contains("\nprocess_cpu_seconds_total "));
        let pool = value(
            &samples,
            "keyportal_db_pool_connections",
            &[("state", "idle")],
        ) + value(
            &samples,
            "keyportal_db_pool_connections",
            &[("state", "in_use")],
        );
        assert!(pool >= 1.0, "{text}");
        assert!(value(&samples, "keyportal_db_pool_max_connections", &[]) >= pool);

        // The counts of those requests reach the database within a few batches.
        let mut flushed = 0.0;
        for _ in 0..50 {
            let samples = parse_scrape(&scrape(&s).await);
            flushed = value(
                &samples,
                "keyportal_usage_flush_duration_seconds_count",
                &[],
            );
            if flushed >= 1.0 && value(&samples, "keyportal_usage_pending", &[]) == 0.0 {
                assert!(
                    value(
                        &samples,
                        "keyportal_usage_flushes_total",
                        &[("result", "ok")]
                    ) >= 1.0
                );
                assert_eq!(
                    value(
                        &samples,
                        "keyportal_usage_flushes_total",
                        &[("result", "error")]
                    ),
                    0.0
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(flushed >= 1.0, "no usage batch written");

        // Only GET /metrics is answered there; the portal's listener has no /metrics.
        let addr = s.server.as_ref().unwrap().metrics_addr.unwrap();
        let client = reqwest::Client::new();
        for (method, path) in [("GET", "/"), ("GET", "/metrics/x"), ("POST", "/metrics")] {
            let response = client
                .request(method.parse().unwrap(), format!("http://{addr}{path}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 404, "{method} {path}");
        }
        let portal = s
            .client
            .get(format!("{}/metrics", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(portal.status(), 404);
    }
);

#[tokio::test]
async fn without_metrics_listen_there_is_no_listener() {
    let s = TestServer::start(Backend::Sqlite, false).await.unwrap();
    assert_eq!(s.server.as_ref().unwrap().metrics_addr, None);
}

#[test]
fn the_scrape_reader_is_strict() {
    let samples = parse_scrape(
        "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"q\\\"\\\\\\n\",y=\"\"} 2\n",
    );
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].labels["x"], "q\"\\\n");
    assert_eq!(samples[0].labels["y"], "");
}
