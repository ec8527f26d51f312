//! The connection front (`keyportal_http::fast_verify`) over raw sockets: pipelined `/verify`
//! requests, HTTP/1.0 as nginx sends it, heads split across packets, and the hand-over to
//! hyper at the first other request — with the same answers either way.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{key_with, Backend, TestServer};

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Reads one answer (framed by `content-length`) from `pending` + the socket.
pub(crate) async fn read_answer(
    socket: &mut TcpStream,
    pending: &mut Vec<u8>,
    head_only: bool,
) -> Answer {
    let head_end = loop {
        if let Some(at) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(n > 0, "connection closed before a whole head: {pending:?}");
        pending.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(pending[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or_else(|| panic!("no content-length: {head}"));
    let body_len = if head_only { 0 } else { length };
    while pending.len() < head_end + body_len {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside a body");
        pending.extend_from_slice(&chunk[..n]);
    }
    let body = pending[head_end..head_end + body_len].to_vec();
    pending.drain(..head_end + body_len);
    Answer {
        status,
        headers,
        body,
    }
}

fn verify_head(method: &str, key: &str, extra: &str) -> String {
    format!(
        "{method} /verify?service=geocode HTTP/1.1\r\nHost: kp\r\nAuthorization: Bearer {key}\r\n\
         Referer: https://maps.example.com/app\r\n{extra}\r\n"
    )
}

/// A server (SQLite) and a geocoding key for `https://*.example.com`: (server, client id, key).
async fn server_with_key(https: bool) -> (TestServer, String, String) {
    let s = TestServer::start(Backend::Sqlite, https)
        .await
        .expect("sqlite server");
    let admin = s.admin_token().await;
    let (_, client_id, key) = key_with(
        &s,
        &admin,
        &["premium:user:geocode:temporary".to_string()],
        &["https://*.example.com"],
    )
    .await;
    (s, client_id, key)
}

async fn connect(s: &TestServer) -> TcpStream {
    TcpStream::connect(s.url.trim_start_matches("http://"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_verify_requests_then_another_request_on_one_connection() {
    let (s, client_id, key) = server_with_key(false).await;
    let mut socket = connect(&s).await;
    // Three requests in one write: two the front answers, then one it hands to hyper.
    let requests = format!(
        "{}{}GET /sharing/rest/info?f=json HTTP/1.1\r\nHost: kp\r\n\r\n",
        verify_head("GET", &key, ""),
        "HEAD /verify?service=geocode HTTP/1.1\r\nHost: kp\r\n\r\n",
    );
    socket.write_all(requests.as_bytes()).await.unwrap();
    let mut pending = Vec::new();
    let allowed = read_answer(&mut socket, &mut pending, false).await;
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.json()["clientId"], client_id.as_str());
    assert_eq!(
        allowed.header("x-keyportal-client-id"),
        Some(client_id.as_str())
    );
    assert_eq!(allowed.header("content-type"), Some("application/json"));
    assert!(allowed.header("date").is_some_and(|d| d.ends_with("GMT")));
    let missing = read_answer(&mut socket, &mut pending, true).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("x-keyportal-reason"), Some("missing"));
    assert!(missing.body.is_empty());
    let info = read_answer(&mut socket, &mut pending, false).await;
    assert_eq!(info.status, 200);
    assert!(
        info.json()["authInfo"].is_object(),
        "the router answered: {:?}",
        String::from_utf8_lossy(&info.body)
    );
    // After the hand-over, hyper and the router answer `/verify` on this connection, the same.
    socket
        .write_all(verify_head("GET", &key, "").as_bytes())
        .await
        .unwrap();
    let routed = read_answer(&mut socket, &mut pending, false).await;
    assert_eq!(routed.status, 200);
    assert_eq!(routed.json(), allowed.json());
    assert_eq!(
        routed.header("x-keyportal-client-id"),
        Some(client_id.as_str())
    );
    assert!(pending.is_empty(), "nothing unexpected followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http10_as_nginx_sends_it_is_answered_and_closed() {
    let (s, client_id, key) = server_with_key(false).await;
    let mut socket = connect(&s).await;
    let head = format!(
        "GET /verify?service=geocode HTTP/1.0\r\nHost: kp\r\nConnection: close\r\n\
         X-Original-URI: /geocode/find?text=x&token={key}\r\nReferer: https://a.example.com/\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut all = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut all))
        .await
        .expect("the server closes the connection")
        .unwrap();
    let mut pending = all;
    let answer = read_answer(&mut socket, &mut pending, false).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("connection"), Some("close"));
    assert_eq!(answer.json()["clientId"], client_id.as_str());
    assert!(pending.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_in_pieces_and_refusals_read_the_same_as_through_the_router() {
    let (s, _, key) = server_with_key(false).await;
    let mut socket = connect(&s).await;
    let head = verify_head("GET", &key, "X-Extra: 1\r\n");
    for piece in [&head[..7], &head[7..60], &head[60..]] {
        socket.write_all(piece.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let mut pending = Vec::new();
    assert_eq!(
        read_answer(&mut socket, &mut pending, false).await.status,
        200
    );
    // A refusal from the front, and the same through the router (a POST goes there).
    let wrong_site = format!(
        "GET /verify?service=geocode HTTP/1.1\r\nHost: kp\r\nAuthorization: Bearer {key}\r\n\
         Referer: https://evil.example.org/\r\n\r\n"
    );
    socket.write_all(wrong_site.as_bytes()).await.unwrap();
    let front = read_answer(&mut socket, &mut pending, false).await;
    let routed = s
        .client
        .post(format!("{}/verify", s.url))
        .header("Referer", "https://evil.example.org/")
        .form(&[("token", key.as_str()), ("service", "geocode")])
        .send()
        .await
        .unwrap();
    assert_eq!((front.status, routed.status().as_u16()), (401, 401));
    assert_eq!(front.header("x-keyportal-reason"), Some("referrer"));
    assert_eq!(routed.headers()["x-keyportal-reason"], "referrer");
    assert_eq!(
        front.body,
        routed.bytes().await.unwrap().to_vec(),
        "byte for byte"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_over_https_goes_through_the_front_too() {
    let (s, client_id, key) = server_with_key(true).await;
    for _ in 0..3 {
        let answer = s
            .client
            .get(format!("{}/verify?service=geocode&token={key}", s.url))
            .header("Referer", "https://maps.example.com/")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(
            answer.headers()["x-keyportal-client-id"],
            client_id.as_str()
        );
    }
    // The same TLS connection then carries a Sharing API request (hand-over to hyper).
    let info = s.get("info", None, &[]).await;
    assert!(info["authInfo"].is_object(), "{info}");
}
