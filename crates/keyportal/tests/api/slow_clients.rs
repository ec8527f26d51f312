//! Clients that try to exhaust the server: slow heads and bodies on every path (the `/verify`
//! front, hyper, TLS), too many connections, floods of sign-ins, huge usernames. Raw sockets
//! against the real server, with small limits set through the knobs. The assertions are
//! about what happens (closed, refused, answered), never how fast: every wait has a generous
//! guard only so a broken limit fails instead of hanging.

use std::net::IpAddr;
use std::time::Duration;

use keyportal::config::ServeConfig;
use tokio::io::AsyncWriteExt;

use crate::harness::TestServer;
use crate::raw_conn::{
    answered, ask, closed_by_server, connect, long_head, tcp, trickle_until_closed, Conn, HEALTH,
};

const TRICKLE: Duration = Duration::from_millis(150);

fn small_timeouts(config: &mut ServeConfig) {
    config.connections.head_timeout = Duration::from_secs(1);
    config.connections.idle_timeout = Duration::from_secs(2);
    config.connections.body_rate_window = Duration::from_secs(1);
    config.connections.min_body_rate = 1024;
}

/// Every way of being slow, on one server: each is cut, while normal requests are answered.
async fn slow_clients_are_cut(s: TestServer) {
    let idle = async { closed_by_server(connect(&s).await).await };
    let first_head =
        async { trickle_until_closed(connect(&s).await, &long_head("/health"), TRICKLE).await };
    let head_after_a_request = async {
        let mut io = connect(&s).await;
        assert_eq!(ask(&mut io, HEALTH).await.0, 200);
        trickle_until_closed(io, &long_head("/health"), TRICKLE).await
    };
    let verify_then_trickle = async {
        // The front answers the first request itself; the next head is trickled there.
        let mut io = connect(&s).await;
        let (status, _) = ask(&mut io, b"GET /verify HTTP/1.1\r\nHost: kp\r\n\r\n").await;
        assert_eq!(status, 401);
        trickle_until_closed(io, &long_head("/verify"), TRICKLE).await
    };
    let oversized_head = async {
        // More than the front reads (16 KiB): hyper takes it over mid-head.
        let mut io = connect(&s).await;
        let start = format!("GET /verify?pad={} HTTP/1.1\r\n", "a".repeat(17 * 1024));
        io.write_all(start.as_bytes()).await.unwrap();
        trickle_until_closed(io, &long_head("/x")["GET /x HTTP/1.1\r\n".len()..], TRICKLE).await
    };
    let slow_body = async {
        let mut io = connect(&s).await;
        io.write_all(
            b"POST /sharing/rest/portals/self HTTP/1.1\r\nHost: kp\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nf=json",
        )
        .await
        .unwrap();
        trickle_until_closed(io, &[b'x'; 200], TRICKLE).await
    };
    let quick_body = async {
        let mut io = connect(&s).await;
        let body = format!("f=json&pad={}", "x".repeat(64 * 1024));
        let request = format!(
            "POST /sharing/rest/portals/self HTTP/1.1\r\nHost: kp\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        ask(&mut io, request.as_bytes()).await
    };
    let (idle, first_head, after, verify, oversized, slow_body, quick) = tokio::join!(
        idle,
        first_head,
        head_after_a_request,
        verify_then_trickle,
        oversized_head,
        slow_body,
        quick_body
    );
    assert!(idle, "an idle connection stayed open");
    assert!(first_head, "a trickled first head was not cut");
    assert!(after, "a head trickled after a request (hyper) was not cut");
    assert!(verify, "a head trickled after a /verify answer was not cut");
    assert!(oversized, "an oversized trickled head was not cut");
    assert!(slow_body, "a trickled body was not cut");
    assert_eq!(quick.0, 200, "a body sent at once was refused: {}", quick.1);
    assert!(
        quick.1.contains("portalName") || quick.1.contains("name"),
        "{}",
        quick.1
    );

    if s.url.starts_with("https") {
        // A TLS handshake that never happens.
        let silent: Conn = Box::new(tcp(&s, [127, 0, 0, 1].into()).await);
        assert!(
            closed_by_server(silent).await,
            "a stalled handshake stayed open"
        );
        // One trickled byte by byte.
        let hello: Conn = Box::new(tcp(&s, [127, 0, 0, 1].into()).await);
        let client_hello = [
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ];
        let mut trickled = client_hello.to_vec();
        trickled.extend_from_slice(&[0u8; 180]);
        assert!(
            trickle_until_closed(hello, &trickled, TRICKLE).await,
            "a trickled handshake was not cut"
        );
    }
    // The server still answers.
    let mut io = connect(&s).await;
    assert_eq!(ask(&mut io, HEALTH).await.0, 200);
}

crate::tuned_on_both_backends!(
    slow_clients_http,
    false,
    small_timeouts,
    slow_clients_are_cut
);
crate::tuned_on_both_backends!(
    slow_clients_https,
    true,
    small_timeouts,
    slow_clients_are_cut
);

fn small_caps(config: &mut ServeConfig) {
    config.connections.max_connections = 6;
    config.connections.max_connections_per_address = 4;
}

async fn connection_caps_hold_and_others_are_served(s: TestServer) {
    let one: IpAddr = [127, 0, 0, 1].into();
    let two: IpAddr = [127, 0, 0, 2].into();
    let three: IpAddr = [127, 0, 0, 3].into();
    let mut mine = Vec::new();
    for _ in 0..4 {
        mine.push(answered(&s, one).await.expect("within the per-address cap"));
    }
    // The fifth from the same address is closed; the others keep being answered.
    assert!(
        answered(&s, one).await.is_none(),
        "a fifth connection was served"
    );
    assert!(closed_by_server(Box::new(tcp(&s, one).await)).await);
    for io in &mut mine {
        assert_eq!(ask(io, HEALTH).await.0, 200);
    }
    // Another client is served while the first is at its cap...
    let theirs = [
        answered(&s, two).await.expect("another address"),
        answered(&s, two).await.expect("another address"),
    ];
    // ...until the server's total is reached.
    assert!(
        answered(&s, three).await.is_none(),
        "a seventh connection was served"
    );
    // A closed connection gives its place back.
    drop(mine.pop());
    drop(theirs);
    let mut attempts = 0;
    while answered(&s, one).await.is_none() {
        attempts += 1;
        assert!(attempts < 100, "the freed place never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

crate::tuned_on_both_backends!(
    connection_caps,
    false,
    small_caps,
    connection_caps_hold_and_others_are_served
);
