//! `KEYPORTAL_LOG_FORMAT=json`: every log line is one JSON object; each request is logged with
//! its id (the one the answer carries), its route template, status and time — and no line
//! holds a key, a token or a query string.

use serde_json::Value;

use crate::harness::{database_args, TestServer};
use crate::on_both_backends;
use crate::outage::credential;
use crate::process::Node;

async fn request_id_of(client: &reqwest::Client, url: &str, sent_id: Option<&str>) -> String {
    let mut request = client.get(url);
    if let Some(id) = sent_id {
        request = request.header("X-Request-Id", id);
    }
    let answer = request.send().await.expect("answer");
    answer
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("every answer carries x-request-id")
        .to_string()
}

on_both_backends!(
    json_logs_name_each_request_and_never_a_secret,
    false,
    |mut s: TestServer| async move {
        if let Some(server) = s.server.take() {
            server.stop().await;
        }
        let database = database_args(&s)[3].clone();
        let log = s.data_dir.path().join("server.log");
        let mut node = Node::start_with(
            s.data_dir.path(),
            &database,
            None,
            &[("KEYPORTAL_LOG_FORMAT", "json"), ("KEYPORTAL_LOG", "info")],
            Some(&log),
        )
        .await;
        s.url = node.url.clone();
        let admin = s.admin_token().await;
        let (_, _, key) = credential(&s, &admin, &node.url).await;
        let item = s.get_with_key("portals/self", &key, None).await["appInfo"]["itemId"]
            .as_str()
            .expect("item")
            .to_string();

        let base = format!("{}/sharing/rest", node.url);
        // A sane id is kept; a hostile one is replaced; none gets one made.
        let kept = request_id_of(
            &s.client,
            &format!("{base}/content/items/{item}?f=json&token={key}"),
            Some("trace-42.a"),
        )
        .await;
        assert_eq!(kept, "trace-42.a");
        let replaced = request_id_of(
            &s.client,
            &format!("{base}/info?f=json"),
            Some("x\"}{\"level\":\"FAKE"),
        )
        .await;
        assert_eq!(replaced.len(), 32, "{replaced}");
        let made =
            request_id_of(&s.client, &format!("{}/verify?token={key}", node.url), None).await;
        assert_eq!(made.len(), 32, "the /verify front makes one too: {made}");

        let status = node.terminate_and_wait();
        assert!(status.success());
        let text = std::fs::read_to_string(&log).expect("log");
        let lines: Vec<Value> = text
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"))
            })
            .collect();
        assert!(lines.len() > 5, "{text}");
        for line in &lines {
            for field in ["time", "level", "message"] {
                assert!(line.get(field).is_some(), "{field} missing: {line}");
            }
        }
        assert!(!text.contains(&key), "the key is in the log");
        assert!(!text.contains(&admin), "the token is in the log");
        assert!(!text.contains("f=json"), "a query string is in the log");
        assert!(!text.contains("FAKE"), "a hostile request id is in the log");

        let logged = lines
            .iter()
            .find(|l| l["request_id"] == "trace-42.a")
            .unwrap_or_else(|| panic!("no line for the request id: {text}"));
        assert_eq!(logged["message"], "request");
        assert_eq!(logged["method"], "GET");
        assert_eq!(logged["route"], "/sharing/rest/content/items/{id}");
        assert_eq!(logged["status"], 200);
        assert!(logged["ms"].is_u64(), "{logged}");
        let replaced_line = lines
            .iter()
            .find(|l| l["request_id"] == replaced.as_str())
            .expect("the replaced id is the one logged");
        assert_eq!(replaced_line["route"], "/sharing/rest/info");
    }
);
