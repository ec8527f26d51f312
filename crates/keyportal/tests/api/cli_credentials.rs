//! `keyportal credential …` run as a separate process against a running server's database:
//! every command, its `--json` document, its exit code, and the running server following
//! the change (a key the CLI generates works on `/verify`, one it invalidates stops).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{database_args, keyportal_command, TestServer};
use crate::on_both_backends;
use crate::outage::verify_status;

/// What one run of the binary left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `keyportal ARGS --data-dir … --database …` on the test server's data.
pub fn cli(s: &TestServer, args: &[&str]) -> Run {
    let out = keyportal_command()
        .args(args)
        .args(database_args(s))
        .output()
        .expect("run keyportal");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a command with `--json` that must succeed; its whole standard output is one document.
pub fn cli_json(s: &TestServer, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let run = cli(s, &all);
    assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not one JSON document ({e}): {}",
            run.stdout
        )
    })
}

/// A run that must fail with `code`, a reason on standard error and nothing on standard output.
pub fn cli_fails(s: &TestServer, args: &[&str], code: i32) -> String {
    let run = cli(s, args);
    assert_eq!(run.code, code, "{args:?}: {} / {}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{args:?} printed: {}", run.stdout);
    assert!(!run.stderr.trim().is_empty(), "{args:?} gave no reason");
    run.stderr
}

/// Polls the running server's `/verify` until it answers `expected` for `key`; returns how
/// long the change took to arrive (printed, never asserted beyond "it arrives").
async fn until_verify(s: &TestServer, key: &str, expected: u16) -> Duration {
    let started = Instant::now();
    loop {
        if verify_status(&s.client, &s.url, key).await == Ok(expected) {
            let took = started.elapsed();
            eprintln!("/verify answered {expected} after {took:?}");
            return took;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the running server never answered {expected} for the key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `YYYY-MM-DD`, `days` from today (UTC).
fn date_in(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let (y, m, d) = keyportal_domain::time::civil_from_days(now / 86_400_000 + days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A JSON list of strings, items in their natural order first (the store sorts privileges).
fn sorted(list: &Value) -> Vec<&str> {
    let mut all: Vec<&str> = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    all.sort_by_key(|p| (p.starts_with("portal:app:access:item:"), *p));
    all
}

fn key_of(answer: &Value) -> String {
    answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no key in {answer}"))
        .to_string()
}

on_both_backends!(
    cli_keys_reach_the_running_server,
    false,
    |s: TestServer| async move {
        let created = cli_json(
            &s,
            &[
                "credential",
                "create",
                "--title",
                "Geocoder",
                "--owner",
                "admin",
                "--privilege",
                "premium:user:geocode:temporary",
                "--generate",
            ],
        );
        assert_eq!(created["title"], "Geocoder");
        assert_eq!(created["owner"], "admin");
        assert_eq!(created["apiToken1Active"], true);
        assert!(created.get("client_secret").is_none(), "{created}");
        let item = created["itemId"].as_str().unwrap().to_string();
        let key1 = key_of(&created["apiKey"]);
        assert_eq!(created["apiKey"]["slot"], 1);
        until_verify(&s, &key1, 200).await;

        // Shown once: `show` has the hint, never the key.
        let show = cli(&s, &["credential", "show", &item]);
        assert_eq!(show.code, 0, "{}", show.stderr);
        assert!(show.stdout.contains("Geocoder") && !show.stdout.contains(&key1));
        let shown = cli_json(&s, &["credential", "show", &item]);
        assert_eq!(shown["apiKeys"][0]["active"], true);
        assert!(!shown.to_string().contains(&key1));
        let listed = cli_json(&s, &["credential", "list"]);
        assert_eq!(listed["total"], 1);
        assert_eq!(listed["credentials"][0]["itemId"], item.as_str());

        // Generating into an active slot is refused; regenerating replaces the key at once.
        cli_fails(&s, &["credential", "generate", &item, "--slot", "1"], 1);
        let client_id = created["client_id"].as_str().unwrap();
        let renewed = cli_json(&s, &["credential", "regenerate", client_id, "--slot", "1"]);
        assert_eq!(renewed["itemId"], item.as_str());
        let new_key1 = key_of(&renewed);
        until_verify(&s, &new_key1, 200).await;
        until_verify(&s, &key1, 401).await;

        // Key 2: generated, accepted, invalidated, refused.
        let second = cli_json(&s, &["credential", "generate", &item, "--slot", "2"]);
        let key2 = key_of(&second);
        until_verify(&s, &key2, 200).await;
        let stopped = cli_json(&s, &["credential", "invalidate", &item, "--slot", "2"]);
        assert_eq!(stopped["success"], true);
        assert_eq!(stopped["slot"], 2);
        until_verify(&s, &key2, 401).await;
        assert_eq!(verify_status(&s.client, &s.url, &new_key1).await, Ok(200));
    }
);

on_both_backends!(
    cli_changes_limits_and_deletes_credentials,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let map = s.add_item(&admin, "admin", "Basemap", &[]).await;
        let in_60_days = date_in(60);
        let created = cli_json(
            &s,
            &[
                "credential",
                "create",
                "--title",
                "Maps",
                "--owner",
                "admin",
                "--privilege",
                "premium:user:geocode:temporary",
                "--item",
                &map,
                "--referrer",
                "https://app.example.com",
                "--key1-expires",
                &in_60_days,
                "--description",
                "for the map app",
            ],
        );
        let item = created["itemId"].as_str().unwrap().to_string();
        assert!(created.get("apiKey").is_none(), "no key without --generate");
        assert_eq!(created["httpReferrers"][0], "https://app.example.com");
        let access = format!("portal:app:access:item:{map}");
        assert_eq!(
            sorted(&created["privileges"]),
            ["premium:user:geocode:temporary", access.as_str()]
        );
        let expires = created["apiKeys"][0]["expirationDate"].as_i64().unwrap();
        assert_eq!(expires % 86_400_000, 0, "UTC midnight");
        assert!(expires > 0);
        // A date the rules refuse (more than a year ahead) fails the create and removes the
        // half-created item again.
        cli_fails(
            &s,
            &[
                "credential",
                "create",
                "--title",
                "Far",
                "--owner",
                "admin",
                "--key1-expires",
                "2099-01-01",
            ],
            1,
        );

        // Update: title, referrers, privileges (item access kept), a date for key 2.
        let updated = cli_json(
            &s,
            &[
                "credential",
                "update",
                &item,
                "--title",
                "Maps 2",
                "--any-referrer",
                "--privilege",
                "premium:user:basemaps",
                "--key2-expires",
                &date_in(90),
            ],
        );
        assert_eq!(updated["title"], "Maps 2");
        assert_eq!(updated["httpReferrers"], serde_json::json!([]));
        assert_eq!(
            sorted(&updated["privileges"]),
            ["premium:user:basemaps", access.as_str()]
        );
        let rest = s
            .get(&format!("content/items/{item}"), Some(&admin), &[])
            .await;
        assert_eq!(rest["title"], "Maps 2");
        cli_fails(
            &s,
            &[
                "credential",
                "update",
                &item,
                "--key1-expires",
                "31/12/2099",
            ],
            1,
        );

        // Limits: shown, set one at a time, read back over REST.
        let none = cli_json(&s, &["credential", "limits", &item]);
        assert_eq!(none["perDay"], Value::Null);
        let set = cli_json(&s, &["credential", "limits", &item, "--per-day", "5"]);
        assert_eq!(set["perDay"], 5);
        let more = cli_json(&s, &["credential", "limits", &item, "--per-second", "3"]);
        assert_eq!(
            (more["perDay"].clone(), more["perSecond"].clone()),
            (5.into(), 3.into())
        );
        let rest = s
            .get(
                &format!("content/users/admin/items/{item}/limits"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(
            (rest["perDay"].clone(), rest["perSecond"].clone()),
            (5.into(), 3.into())
        );
        cli_fails(&s, &["credential", "limits", &item, "--per-day", "lots"], 1);

        // Exit codes: 3 for what does not exist, 2 for bad usage, 1 for a refusal.
        cli_fails(
            &s,
            &["credential", "create", "--title", "x", "--owner", "nobody"],
            3,
        );
        cli_fails(&s, &["credential", "create", "--owner", "admin"], 2);
        cli_fails(&s, &["credential", "generate", &item, "--slot", "3"], 2);
        cli_fails(
            &s,
            &[
                "credential",
                "create",
                "--title",
                "x",
                "--owner",
                "admin",
                "--privilege",
                "no:such:privilege",
            ],
            1,
        );
        cli_fails(&s, &["credential", "show", "NoSuchClient12"], 3);

        let deleted = cli_json(&s, &["credential", "delete", &item]);
        assert_eq!(
            deleted,
            serde_json::json!({ "success": true, "itemId": item })
        );
        cli_fails(&s, &["credential", "show", &item], 3);
        cli_fails(&s, &["credential", "delete", &item], 3);
        // A refused create left nothing behind: only the map remains.
        let items = cli_json(&s, &["item", "list"]);
        assert_eq!(items["total"], 1, "{items}");
    }
);
