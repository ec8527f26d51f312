//! The request log (issue 10): keys and tokens sent in the path — a mis-encoded
//! `/verify%3Ftoken=AAPT…`, percent-encoded key characters, a token as a path segment — never
//! reach the server's log. The real binary runs in its own process with its log in a file.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::child_node::start_node;
use crate::support::{credential, mint, sqlite_server};

/// Percent-encodes every character of `text`.
fn encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_in_paths_never_reach_the_log() {
    let (s, admin) = sqlite_server().await;
    let c = credential(
        &s,
        &admin,
        "admin",
        &["premium:user:geocode:temporary"],
        &[],
    )
    .await;
    let key = mint(&s, &c, "1").await;
    let log_path = s.data_dir.path().join("node.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let node = start_node(&s, &[("KEYPORTAL_LOG", "info")], Stdio::from(log)).await;

    let paths = [
        format!("/verify%3Ftoken={key}"),
        format!("/verify%3Ftoken%3D{key}"),
        format!("/sharing/rest/verify%3Ftoken={key}"),
        format!("/sharing/rest/content/items/{key}"),
        format!("/sharing/rest/community/users/{admin}"),
        format!("/sharing/rest/{}", encoded(&key)),
        format!("/x/{}/y", key.to_lowercase()),
        format!("/sharing/rest/portals/self?token={key}"),
    ];
    for path in &paths {
        let response = s
            .client
            .get(format!("{}{path}", node.url))
            .send()
            .await
            .unwrap();
        assert!(response.status().as_u16() < 500, "{path}");
    }
    // The log is written as requests are answered: wait until the last one is there.
    let started = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&log_path).unwrap();
        if text.matches("request").count() >= paths.len()
            || started.elapsed() > Duration::from_secs(20)
        {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop(node);
    // The requests were logged (so the log is captured at all)...
    assert!(
        text.contains("/sharing/rest/content/items/"),
        "no request was logged: {text}"
    );
    for secret in [
        key.as_str(),
        &key[..20],
        &key[key.len() - 20..],
        admin.as_str(),
    ] {
        assert!(!text.contains(secret), "a secret reached the log");
        assert!(
            !text.to_lowercase().contains(&secret.to_lowercase()),
            "a secret reached the log in another case"
        );
    }
    assert!(
        !text.contains(&encoded(&key)[..60]),
        "an encoded key reached the log"
    );
    // ...with the secrets replaced, not the lines dropped.
    assert!(text.contains("[redacted]"), "{text}");
}
