//! `/verify` (issue 10): no CORS headers whichever path answers it — the connection front,
//! hyper after another request or a preflight on the same connection, POST — so a browser
//! page cannot read a key's decision. A `service=` name keyportal does not know is a usage
//! label (docs/COMPATIBILITY.md): it never bypasses the key's own checks.

use serde_json::json;

use crate::raw_conn::{ask_full, connect};
use crate::support::{credential, mint, sqlite_server, verify};

fn has_cors(head: &str) -> bool {
    head.lines().any(|line| line.starts_with("access-control-"))
}

fn get_verify(key: Option<&str>, origin: &str) -> Vec<u8> {
    let auth = key
        .map(|k| format!("Authorization: Bearer {k}\r\n"))
        .unwrap_or_default();
    format!("GET /verify?service=geocode HTTP/1.1\r\nHost: kp\r\n{auth}Origin: {origin}\r\n\r\n")
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_answers_carry_no_cors_on_any_path() {
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
    let evil = "https://evil.example";
    let preflight = format!(
        "OPTIONS /verify HTTP/1.1\r\nHost: kp\r\nOrigin: {evil}\r\n\
         Access-Control-Request-Method: GET\r\n\
         Access-Control-Request-Headers: authorization\r\nContent-Length: 0\r\n\r\n"
    );
    let info =
        format!("GET /sharing/rest/info?f=json HTTP/1.1\r\nHost: kp\r\nOrigin: {evil}\r\n\r\n");
    let body = format!("token={key}&service=geocode");
    let post = format!(
        "POST /verify HTTP/1.1\r\nHost: kp\r\nOrigin: {evil}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut io = connect(&s).await;
    let steps: Vec<(&str, Vec<u8>, u16)> = vec![
        ("front, no key", get_verify(None, evil), 401),
        ("front, good key", get_verify(Some(&key), evil), 200),
        ("preflight", preflight.clone().into_bytes(), 0),
        ("after a preflight", get_verify(Some(&key), evil), 200),
        ("Sharing request", info.clone().into_bytes(), 200),
        ("after a Sharing request", get_verify(Some(&key), evil), 200),
        ("after it, no key", get_verify(None, "null"), 401),
        ("POST", post.into_bytes(), 200),
    ];
    for (case, request, status) in steps {
        let (seen, head, _) = ask_full(&mut io, &request).await;
        if case == "Sharing request" {
            assert!(
                head.contains("access-control-allow-origin: *"),
                "the Sharing API still answers browsers: {head}"
            );
            continue;
        }
        if status != 0 {
            assert_eq!(seen, status, "{case}: {head}");
        }
        assert!(!has_cors(&head), "{case}: {head}");
        assert!(
            head.contains("cache-control: no-store") || status == 0,
            "{case}: {head}"
        );
    }
    // A fresh connection opened by a preflight.
    let mut io = connect(&s).await;
    let (_, head, _) = ask_full(&mut io, preflight.as_bytes()).await;
    assert!(!has_cors(&head), "first preflight: {head}");
    let (seen, head, _) = ask_full(&mut io, &get_verify(Some(&key), evil)).await;
    assert_eq!(seen, 200);
    assert!(!has_cors(&head), "{head}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_service_name_never_bypasses_the_key_checks() {
    let (s, admin) = sqlite_server().await;
    let c = credential(
        &s,
        &admin,
        "admin",
        &["premium:user:basemaps"],
        &["https://app.example.com"],
    )
    .await;
    let key = mint(&s, &c, "1").await;
    let good = [("Referer", "https://app.example.com/")];
    let query = "service=geocoding";
    // No key, not a key, a dead key, the wrong referrer: the usual refusals.
    let (status, body) = verify(&s, query, None, &good).await;
    assert_eq!((status, body["reason"].clone()), (401, json!("missing")));
    let (status, body) = verify(&s, query, Some("AAPTnot-a-key"), &good).await;
    assert_eq!((status, body["reason"].clone()), (401, json!("malformed")));
    let (status, body) = verify(
        &s,
        query,
        Some(&key),
        &[("Referer", "https://app.example.com.evil.net/")],
    )
    .await;
    assert_eq!((status, body["reason"].clone()), (401, json!("referrer")));
    // A known service the key does not hold is still refused, naming what was needed.
    let (status, body) = verify(&s, "service=geocode", Some(&key), &good).await;
    assert_eq!((status, body["reason"].clone()), (403, json!("service")));
    // COMPATIBILITY.md: any other name is a usage label; docs/NGINX.md says 400 (see notes).
    let (status, body) = verify(&s, query, Some(&key), &good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allowed"], true);
    // After a regeneration the old key is dead for the unknown name too.
    let _new = mint(&s, &c, "1").await;
    let (status, body) = verify(&s, query, Some(&key), &good).await;
    assert_eq!((status, body["reason"].clone()), (401, json!("unknown")));
}
