//! Exhaustion (issue 10), with small limits set through the knobs: a head trickled after a
//! first request on the same connection is cut by the head timeout wherever the first was
//! answered; a connection beyond the per-address cap is closed while another client is
//! answered; a flood of wrong sign-ins gets "busy" answers and none hangs; a 1 MB username is
//! refused at once. Assertions are about what happens, never how fast.

use std::net::IpAddr;
use std::time::Duration;

use keyportal::config::ServeConfig;
use serde_json::Value;

use crate::harness::{error_code, Backend, TestServer, ADMIN_PASSWORD, REFERER};
use crate::raw_conn::{
    answered, ask, closed_by_server, connect, long_head, tcp, trickle_until_closed, Conn, GUARD,
    HEALTH,
};
use crate::support::assert_refused;

const TRICKLE: Duration = Duration::from_millis(150);

fn small_limits(config: &mut ServeConfig) {
    config.connections.head_timeout = Duration::from_secs(1);
    config.connections.idle_timeout = Duration::from_secs(3);
    config.connections.max_connections = 8;
    config.connections.max_connections_per_address = 3;
}

/// A connection that was answered `first`, then trickles a second head: true when cut.
async fn trickled_after(s: &TestServer, first: &[u8], status: u16) -> bool {
    let mut io = connect(s).await;
    assert_eq!(ask(&mut io, first).await.0, status);
    trickle_until_closed(io, &long_head("/sharing/rest/info"), TRICKLE).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_trickled_after_a_request_is_cut_and_others_are_served() {
    let s = TestServer::start_tuned(Backend::Sqlite, false, small_limits)
        .await
        .unwrap();
    let info = b"GET /sharing/rest/info?f=json HTTP/1.1\r\nHost: kp\r\n\r\n";
    let verify = b"GET /verify HTTP/1.1\r\nHost: kp\r\n\r\n";
    let (after_health, after_info, after_verify, served) = tokio::join!(
        trickled_after(&s, HEALTH, 200),
        trickled_after(&s, info, 200),
        trickled_after(&s, verify, 401),
        async {
            // Another client keeps being answered while the three trickle.
            let mut io: Conn = Box::new(tcp(&s, [127, 0, 0, 9].into()).await);
            let mut statuses = Vec::new();
            for _ in 0..3 {
                statuses.push(ask(&mut io, HEALTH).await.0);
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            statuses
        }
    );
    assert!(after_health, "a head trickled after /health was not cut");
    assert!(
        after_info,
        "a head trickled after a Sharing request was not cut"
    );
    assert!(
        after_verify,
        "a head trickled after a /verify answer was not cut"
    );
    assert_eq!(served, [200, 200, 200]);

    // Beyond the per-address cap: closed, while the connections within it and another
    // address are still answered.
    let me: IpAddr = [127, 0, 0, 20].into();
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(answered(&s, me).await.expect("within the per-address cap"));
    }
    assert!(
        answered(&s, me).await.is_none(),
        "a fourth connection was served"
    );
    assert!(closed_by_server(Box::new(tcp(&s, me).await)).await);
    let other = answered(&s, [127, 0, 0, 21].into()).await;
    assert!(other.is_some(), "another client was not served");
    for io in &mut mine {
        assert_eq!(ask(io, HEALTH).await.0, 200, "a connection within the cap");
    }
}

async fn sign_in(s: &TestServer, username: &str, password: &str) -> Value {
    s.post(
        "generateToken",
        None,
        &[
            ("username", username),
            ("password", password),
            ("client", "referer"),
            ("referer", REFERER),
        ],
    )
    .await
}

fn one_hashing_thread(config: &mut ServeConfig) {
    config.password_hashing.threads = 1;
    config.password_hashing.queue = 1;
}

async fn a_sign_in_flood_gets_busy_answers_and_none_hangs(s: TestServer) {
    let names: Vec<String> = (0..20).map(|i| format!("flood{i}")).collect();
    let answers = futures_util::future::join_all(names.iter().map(|name| async {
        tokio::time::timeout(GUARD, sign_in(&s, name, "wrong-pass-1"))
            .await
            .expect("a sign-in hung")
    }))
    .await;
    let mut busy = 0;
    for answer in &answers {
        match error_code(answer) {
            429 => {
                busy += 1;
                assert_eq!(
                    answer["error"]["message"],
                    "The server is busy; try again in a moment."
                );
            }
            400 => assert_eq!(
                answer["error"]["details"][0], "Invalid username or password.",
                "{answer}"
            ),
            _ => panic!("unexpected answer {answer}"),
        }
        assert!(answer.get("token").is_none());
    }
    assert!(busy > 0, "no sign-in was refused as busy");

    // A 1 MB username: refused at once, naming the limit, with no hashing.
    let portal = s.server.as_ref().unwrap().portal.clone();
    let (hashed, _) = portal.password_hashing().counts();
    let huge = "u".repeat(1_000_000);
    let answer = sign_in(&s, &huge, "wrong-pass-1").await;
    assert_refused(
        &answer,
        400,
        Some("A username has at most 128 characters."),
        "1 MB username",
    );
    assert!(!answer.to_string().contains("uuuuuuuuuuuuuuuu"), "echoed");
    assert_eq!(portal.password_hashing().counts().0, hashed);
    // Nothing was locked: the administrator still signs in.
    assert!(sign_in(&s, "admin", ADMIN_PASSWORD).await["token"].is_string());
}

crate::tuned_on_both_backends!(
    sign_in_flood,
    false,
    one_hashing_thread,
    a_sign_in_flood_gets_busy_answers_and_none_hangs
);
