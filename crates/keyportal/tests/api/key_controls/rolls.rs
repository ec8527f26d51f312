//! `rollApiKey`, the CLI's `--address` and `roll`, and a second node on PostgreSQL.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::child_node::start_node;
use crate::cli_credentials::cli_json;
use crate::harness::{error_code, key_with, Backend, TestServer};
use crate::on_both_backends;

on_both_backends!(
    roll_api_key_with_a_grace,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, _, old) = key_with(&s, &admin, &[GEOCODE.into()], &[]).await;
        let base = s.url.clone();
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let rolled = roll(&s, &admin, &item, &[("slot", "1"), ("grace", "3600")]).await;
        let new = rolled["apiKey"]
            .as_str()
            .unwrap_or_else(|| panic!("{rolled}"))
            .to_string();
        assert_eq!(rolled["slot"], json!(2));
        assert_eq!(rolled["previousSlot"], json!(1));
        let previous = rolled["previousExpires"].as_i64().expect("previousExpires");
        assert!(
            previous >= before + 3_600_000 && previous < before + 3_700_000,
            "{rolled}"
        );
        assert!(rolled["expires"].as_i64().expect("expires") > previous);
        assert!(new.starts_with("AAPT") && new != old);
        assert_eq!(
            verify(&s, &base, &old, &[]).await.0,
            200,
            "the old key keeps working"
        );
        assert_eq!(verify(&s, &base, &new, &[]).await.0, 200);
        let shown = info(&s, &admin, &item).await;
        assert_eq!(shown["apiToken1Active"], json!(true));
        assert_eq!(shown["apiKeys"][0]["expirationDate"], json!(previous));
        assert!(
            !shown.to_string().contains(&new),
            "the key is shown only once"
        );

        // The other slot is busy now: a clear 400 naming it, nothing changed.
        let busy = roll(&s, &admin, &item, &[("slot", "1"), ("grace", "0")]).await;
        assert_eq!(error_code(&busy), 400, "{busy}");
        assert!(busy.to_string().contains("API key 2 is active"), "{busy}");
        assert_eq!(info(&s, &admin, &item).await, shown);
        for bad in [
            vec![("slot", "3"), ("grace", "0")],
            vec![("slot", "2"), ("grace", "2592001")],
            vec![("slot", "2")],
            vec![("slot", "2"), ("grace", "0"), ("expiration", "1")],
        ] {
            let answer = roll(&s, &admin, &item, &bad).await;
            assert_eq!(error_code(&answer), 400, "{bad:?}: {answer}");
        }
        // Only POST.
        let get = s
            .client
            .get(s.rest(&format!("content/users/admin/items/{item}/rollApiKey")))
            .query(&[("slot", "2"), ("grace", "0"), ("token", admin.as_str())])
            .send()
            .await
            .expect("get");
        assert_eq!(get.status().as_u16(), 405);

        // A member who does not manage the credential cannot roll it.
        let member = s
            .member(&admin, "rollmember", "org_user", "creatorUT")
            .await;
        let denied = roll(&s, &member, &item, &[("slot", "2"), ("grace", "0")]).await;
        assert!(matches!(error_code(&denied), 400 | 403), "{denied}");
        assert_eq!(verify(&s, &base, &new, &[]).await.0, 200, "nothing changed");
    }
);

on_both_backends!(
    the_cli_sets_addresses_and_rolls,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, _, key) = key_with(&s, &admin, &[GEOCODE.into()], &[]).await;
        let base = s.url.clone();
        let shown = cli_json(
            &s,
            &[
                "credential",
                "update",
                &item,
                "--address",
                "203.0.113.0/24,2001:db8::1",
            ],
        );
        assert_eq!(
            shown["allowedAddresses"],
            json!(["203.0.113.0/24", "2001:db8::1"]),
            "{shown}"
        );
        until(&s, &base, &key, 401).await;
        cli_json(&s, &["credential", "update", &item, "--any-address"]);
        until(&s, &base, &key, 200).await;
        let rolled = cli_json(
            &s,
            &["credential", "roll", &item, "--slot", "1", "--grace", "0"],
        );
        let new = rolled["apiKey"]
            .as_str()
            .unwrap_or_else(|| panic!("{rolled}"))
            .to_string();
        assert_eq!(rolled["slot"], json!(2));
        until(&s, &base, &new, 200).await;
        until(&s, &base, &key, 401).await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_sees_address_changes_rolls_and_refusals() {
    let Some(s) = TestServer::start(Backend::Postgres, false).await else {
        return;
    };
    let node = start_node(
        &s,
        &[("KEYPORTAL_LOG", "warn")],
        std::process::Stdio::null(),
    )
    .await;
    let admin = s.admin_token().await;
    let (item, client_id, key) = key_with(&s, &admin, &[GEOCODE.into()], &[]).await;
    until(&s, &node.url, &key, 200).await;
    set_addresses(&s, &admin, &client_id, "203.0.113.0/24").await;
    until(&s, &node.url, &key, 401).await;
    // Refused on the other node; shown here once that node has written its batch.
    let started = Instant::now();
    loop {
        let answer = s
            .get(
                &format!("content/users/admin/items/{item}/refusals"),
                Some(&admin),
                &[],
            )
            .await;
        let list = answer["refusals"].as_array().cloned().unwrap_or_default();
        if list.iter().any(|r| r["reason"] == json!("address")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no refusal arrived: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    set_addresses(&s, &admin, &client_id, "").await;
    until(&s, &node.url, &key, 200).await;
    let rolled = roll(&s, &admin, &item, &[("slot", "1"), ("grace", "0")]).await;
    let new = rolled["apiKey"]
        .as_str()
        .unwrap_or_else(|| panic!("{rolled}"))
        .to_string();
    until(&s, &node.url, &new, 200).await;
    until(&s, &node.url, &key, 401).await;
}
