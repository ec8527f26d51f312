//! SIGTERM under load, on both backends: the server stops accepting, answers what it has
//! received, writes its last usage counts and exits 0 — every request answered is counted.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{database_args, TestServer};
use crate::on_both_backends;
use crate::outage::{credential, verify_status};
use crate::process::Node;

/// Sends `/verify` (the front) or `portals/self` (hyper and the router) with `key` until the
/// server goes away; returns how many were answered 200.
async fn load(client: reqwest::Client, base: String, key: String, front: bool) -> u64 {
    let mut answered = 0;
    loop {
        let status = if front {
            verify_status(&client, &base, &key).await
        } else {
            client
                .get(format!("{base}/sharing/rest/portals/self?f=json"))
                .header("X-Esri-Authorization", format!("Bearer {key}"))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .map_err(|e| e.to_string())
        };
        match status {
            Ok(200) => answered += 1,
            Ok(other) => panic!("answered {other}"),
            Err(_) => return answered,
        }
    }
}

/// The stored count of `service` for the credential item `item`.
pub async fn counted(s: &TestServer, admin: &str, item: &str, service: &str) -> u64 {
    let report = s
        .get(
            &format!("content/users/admin/items/{item}/usage"),
            Some(admin),
            &[("period", "last30days")],
        )
        .await;
    assert!(report.get("error").is_none(), "{report}");
    report["totals"][service].as_u64().unwrap_or(0)
}

on_both_backends!(
    sigterm_under_load_answers_and_counts_every_request,
    false,
    |mut s: TestServer| async move {
        if let Some(server) = s.server.take() {
            server.stop().await;
        }
        let database = database_args(&s)[3].clone();
        let mut node = Node::start(s.data_dir.path(), &database, None).await;
        s.url = node.url.clone();
        let admin = s.admin_token().await;
        let (_, _, key) = credential(&s, &admin, &node.url).await;
        let me = s.get_with_key("portals/self", &key, None).await;
        let item = me["appInfo"]["itemId"].as_str().expect("item").to_string();
        let before_portal = {
            // The request above is counted once it is written (every second).
            tokio::time::sleep(Duration::from_millis(1500)).await;
            counted(&s, &admin, &item, "portal").await
        };

        // Keep-alive clients on both paths, several connections each.
        let tasks: Vec<_> = (0..6)
            .map(|n| {
                let client = reqwest::Client::new();
                tokio::spawn(load(client, node.url.clone(), key.clone(), n % 2 == 0))
            })
            .collect();
        // A request under way when the signal comes: its body is still arriving.
        let addr = node.url.trim_start_matches("http://").to_string();
        let body = format!("f=json&token={key}");
        let (first, rest) = body.split_at(10);
        let mut slow = TcpStream::connect(&addr).await.expect("connect");
        let head = format!(
            "POST /sharing/rest/portals/self HTTP/1.1\r\nHost: {addr}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        slow.write_all(head.as_bytes()).await.unwrap();
        slow.write_all(first.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        node.signal_term();
        tokio::time::sleep(Duration::from_millis(500)).await;
        slow.write_all(rest.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        slow.read_to_end(&mut answer).await.expect("answer");
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.contains("\"appInfo\""),
            "the request under way is answered: {answer}"
        );
        let routed_slow = 1;
        let status = node.wait_exit(Duration::from_secs(20));
        assert!(status.success(), "exit status after SIGTERM: {status}");
        let (mut front, mut routed) = (0, 0);
        for (n, task) in tasks.into_iter().enumerate() {
            let answered = task.await.unwrap();
            if n % 2 == 0 {
                front += answered;
            } else {
                routed += answered;
            }
        }
        assert!(
            front > 50 && routed > 50,
            "the load ran: {front} / {routed}"
        );

        node.restart().await;
        s.url = node.url.clone();
        let admin = s.admin_token().await;
        let stored_front = counted(&s, &admin, &item, "geocode").await;
        let routed = routed + routed_slow;
        let stored_routed = counted(&s, &admin, &item, "portal").await - before_portal;
        eprintln!(
            "SIGTERM under load: /verify {front} answered, {stored_front} counted; \
             portals/self {routed} answered, {stored_routed} counted"
        );
        assert_eq!(stored_front, front, "every /verify answered is counted");
        assert_eq!(
            stored_routed, routed,
            "every Sharing request answered is counted"
        );
    }
);
