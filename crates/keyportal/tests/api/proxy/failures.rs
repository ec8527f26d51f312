//! Upstream failures, timeouts, body limits and streaming.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use futures_util::StreamExt;
use serde_json::Value;

use super::upstream::{Upstream, BIG_CHUNKS, MIB};
use super::{allow_upstreams, code_of, get_with, proxied_item, proxy_settings_path, servers};
use crate::harness::{error_code, TestServer, REFERER};
use crate::on_both_backends;

on_both_backends!(
    upstream_failures_timeouts_and_oversize_bodies,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        // The upstreams run on loopback, which the allow-list must name explicitly.
        allow_upstreams(&s, &admin, &["127.0.0.1"]).await;

        // Nothing listens there.
        let dead = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let down = proxied_item(&s, &admin, "admin", &format!("http://{dead}/svc"), &[]).await;
        let (status, body) = get_with(&s, &servers(&s, &down, "/info"), Some(&admin)).await;
        assert_eq!((status, code_of(&body)), (502, 502), "{body}");
        assert!(
            !body.contains(&dead.port().to_string()),
            "no upstream address in errors"
        );

        // A slow upstream times out without holding up anything else.
        let slow = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("{}/svc", up.url),
            &[("timeoutSeconds", "2")],
        )
        .await;
        let fast = proxied_item(&s, &admin, "admin", &format!("{}/fast", up.url), &[]).await;
        let started = Instant::now();
        let slow_request = {
            let request = s
                .client
                .get(servers(&s, &slow, "/slow"))
                .query(&[("token", admin.as_str())])
                .header("Referer", REFERER);
            tokio::spawn(async move { request.send().await.unwrap() })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let fast_started = Instant::now();
        let (status, _) = get_with(&s, &servers(&s, &fast, "/ping"), Some(&admin)).await;
        assert_eq!(status, 200);
        assert!(
            fast_started.elapsed() < Duration::from_millis(1500),
            "the fast request took {:?}",
            fast_started.elapsed()
        );
        assert!(!slow_request.is_finished(), "the slow one is still waiting");
        let slow_response = slow_request.await.unwrap();
        assert_eq!(slow_response.status(), 504);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(1900) && waited < Duration::from_millis(4500),
            "answered after {waited:?}"
        );
        let body: Value = slow_response.json().await.unwrap();
        assert_eq!(body["error"]["code"], 504);

        // Bodies over the item's limit: declared, and streamed without a length.
        let small = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("{}/small", up.url),
            &[("maxBodyBytes", "1000")],
        )
        .await;
        let post = |body: reqwest::Body| {
            s.client
                .post(servers(&s, &small, "/upload"))
                .query(&[("token", admin.as_str())])
                .header("Referer", REFERER)
                .header("Content-Type", "application/octet-stream")
                .body(body)
                .send()
        };
        let declared = post(reqwest::Body::from(vec![7u8; 2000])).await.unwrap();
        assert_eq!(declared.status(), 413);
        let body: Value = declared.json().await.unwrap();
        assert_eq!(body["error"]["code"], 413);
        let chunks = futures_util::stream::iter(0..4)
            .map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 500])));
        let streamed = post(reqwest::Body::wrap_stream(chunks)).await.unwrap();
        assert_eq!(streamed.status(), 413);
        assert!(
            up.seen()
                .iter()
                .all(|seen| !(seen.path == "/small/upload" && seen.complete)),
            "no oversize body reached the upstream whole"
        );
        let fits = post(reqwest::Body::from(vec![7u8; 1000])).await.unwrap();
        assert_eq!(fits.status(), 200);
        // Not `last()`: the broken-off upload above may be recorded after this one under load.
        assert!(
            up.seen()
                .iter()
                .any(|seen| seen.path == "/small/upload" && seen.complete && seen.body_len == 1000),
            "the body within the limit reached the upstream whole"
        );

        let refused = s
            .post(
                &proxy_settings_path("admin", &small),
                Some(&admin),
                &[("maxBodyBytes", "-1"), ("timeoutSeconds", "9999")],
            )
            .await;
        assert_eq!(error_code(&refused), 400);
        assert_eq!(refused["error"]["details"].as_array().unwrap().len(), 2);
    }
);

on_both_backends!(
    answers_and_bodies_stream_through,
    true,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        // The upstreams run on loopback, which the allow-list must name explicitly.
        allow_upstreams(&s, &admin, &["127.0.0.1"]).await;
        let limit = (64 * MIB).to_string();
        let item = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("{}/files", up.url),
            &[("maxBodyBytes", &limit)],
        )
        .await;
        let get = |rest: &str| {
            s.client
                .get(servers(&s, &item, rest))
                .query(&[("token", admin.as_str())])
                .header("Referer", REFERER)
                .send()
        };

        // The first chunk arrives while the upstream still holds the rest.
        let mut streaming = tokio::time::timeout(Duration::from_secs(5), get("/stream"))
            .await
            .expect("the answer starts before the upstream finishes it")
            .unwrap();
        assert_eq!(streaming.status(), 200);
        let first = tokio::time::timeout(Duration::from_secs(5), streaming.chunk())
            .await
            .expect("the first chunk is forwarded before the answer ends")
            .unwrap()
            .unwrap();
        assert_eq!(&first[..], b"first;");
        up.state.release.notify_one();
        assert_eq!(&streaming.bytes().await.unwrap()[..], b"second");

        // A large answer, beyond any body limit, arrives whole and in order.
        let big = get("/big").await.unwrap();
        assert_eq!(big.status(), 200);
        let mut stream = big.bytes_stream();
        let mut total = 0usize;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            for (i, byte) in chunk.iter().enumerate() {
                assert_eq!(usize::from(*byte), (total + i) / MIB);
            }
            total += chunk.len();
        }
        assert_eq!(total, BIG_CHUNKS * MIB);

        // A large upload, streamed without a length, over the default limit but under the
        // item's.
        let chunks = futures_util::stream::iter(0..20)
            .map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![3u8; MIB])));
        let uploaded = s
            .client
            .post(servers(&s, &item, "/upload"))
            .query(&[("token", admin.as_str())])
            .header("Referer", REFERER)
            .body(reqwest::Body::wrap_stream(chunks))
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), 200);
        let seen = up.last();
        assert_eq!(
            (seen.path.as_str(), seen.body_len),
            ("/files/upload", 20 * MIB)
        );
        assert!(seen.complete);
    }
);
