//! Floods of sign-ins: Argon2 work is bounded (busy answers beyond it, memory flat), and
//! over-long usernames are refused before any hashing or bookkeeping.

use std::net::IpAddr;
use std::process::Stdio;

use keyportal::config::ServeConfig;
use serde_json::Value;

use crate::child_node::start_node;
use crate::harness::{error_code, TestServer, ADMIN_PASSWORD, REFERER};

async fn sign_in_answer(s: &TestServer, username: &str, password: &str) -> Value {
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

async fn password_hashing_is_bounded(s: TestServer) {
    let portal = s.server.as_ref().unwrap().portal.clone();
    let (hashed_before, _) = portal.password_hashing().counts();
    let names: Vec<String> = (0..24).map(|i| format!("nobody{i}")).collect();
    let answers = futures_util::future::join_all(
        names
            .iter()
            .map(|name| sign_in_answer(&s, name, "wrong-pass-1")),
    )
    .await;
    let mut busy = 0u64;
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
    }
    assert!(busy > 0, "no sign-in was refused as busy: {answers:?}");
    let (hashed, refused) = portal.password_hashing().counts();
    assert_eq!(refused, busy);
    assert_eq!(hashed - hashed_before, 24 - busy);
    // Busy attempts were not counted against the address: sign-in still works.
    assert!(sign_in_answer(&s, "admin", ADMIN_PASSWORD).await["token"].is_string());
}

crate::tuned_on_both_backends!(
    argon2_bound,
    false,
    one_hashing_thread,
    password_hashing_is_bounded
);

async fn long_usernames_are_refused_before_hashing(s: TestServer) {
    let portal = s.server.as_ref().unwrap().portal.clone();
    let (hashed_before, _) = portal.password_hashing().counts();
    let huge = "u".repeat(200_000);
    for name in [huge.as_str(), &"v".repeat(129)] {
        for _ in 0..20 {
            let answer = sign_in_answer(&s, name, "wrong-pass-1").await;
            assert_eq!(error_code(&answer), 400, "{answer}");
            assert_eq!(
                answer["error"]["details"][0],
                "A username has at most 128 characters."
            );
        }
    }
    assert_eq!(portal.password_hashing().counts().0, hashed_before);
    // Forty refusals from one address, none recorded: it is not locked out (30 would).
    assert!(sign_in_answer(&s, "admin", ADMIN_PASSWORD).await["token"].is_string());
    // The longest valid length still goes through the normal check.
    let answer = sign_in_answer(&s, &"w".repeat(128), "wrong-pass-1").await;
    assert_eq!(
        answer["error"]["details"][0],
        "Invalid username or password."
    );
}

crate::tuned_on_both_backends!(
    long_usernames,
    false,
    |_| {},
    long_usernames_are_refused_before_hashing
);

/// A field of /proc/<pid>/status in KiB (`VmRSS`: resident now; `VmHWM`: the peak).
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {status}"))
}

async fn memory_stays_flat_under_a_sign_in_flood(s: TestServer) {
    let node = start_node(
        &s,
        &[
            ("KEYPORTAL_PASSWORD_HASH_THREADS", "2"),
            ("KEYPORTAL_LOG", "warn"),
        ],
        Stdio::inherit(),
    )
    .await;
    let pid = node.child.id();
    let before = memory_kib(pid, "VmRSS");
    // 100 wrong sign-ins at once, from four addresses (each below its lockout of 30).
    let flood = (2..6u8).flat_map(|last| {
        let client = reqwest::Client::builder()
            .local_address(IpAddr::from([127, 0, 0, last]))
            .build()
            .expect("client");
        let url = format!("{}/sharing/rest/generateToken", node.url);
        (0..25).map(move |i| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let answer: Value = client
                    .post(url)
                    .form(&[
                        ("username", format!("flood{last}x{i}")),
                        ("password", "wrong-pass-1".to_string()),
                        ("client", "requestip".to_string()),
                        ("f", "json".to_string()),
                    ])
                    .send()
                    .await
                    .expect("sign-in")
                    .json()
                    .await
                    .expect("json");
                error_code(&answer)
            }
        })
    });
    let codes = futures_util::future::join_all(flood).await;
    assert_eq!(codes.len(), 100);
    assert!(
        codes.iter().all(|c| *c == 400 || *c == 429),
        "unexpected answers: {codes:?}"
    );
    let peak = memory_kib(pid, "VmHWM");
    let after = memory_kib(pid, "VmRSS");
    eprintln!(
        "100 concurrent wrong sign-ins, 2 hashing threads: RSS {before} KiB before, peak \
         {peak} KiB, {after} KiB after; {} refused as busy",
        codes.iter().filter(|c| **c == 429).count()
    );
    // Two threads × 19 MiB and a hundred connections; unbounded it was 100 × 19 MiB.
    assert!(
        peak.saturating_sub(before) < 200 * 1024,
        "memory grew from {before} KiB to a peak of {peak} KiB"
    );
}

crate::tuned_on_both_backends!(
    sign_in_flood_memory,
    false,
    |_| {},
    memory_stays_flat_under_a_sign_in_flood
);
