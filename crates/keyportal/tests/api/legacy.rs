//! Legacy API keys: imported as hashes from the CLI, honoured until invalidated or retired,
//! migrated to API key credentials over REST.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{database_args, error_code, keyportal_command, TestServer};
use crate::on_both_backends;

async fn read_with(s: &TestServer, path: &str, key: &str) -> Value {
    s.get_with_key(path, key, None).await
}

/// Waits until the running server has applied what another process wrote.
async fn eventually_readable(s: &TestServer, path: &str, key: &str) -> Value {
    let started = Instant::now();
    loop {
        let answer = read_with(s, path, key).await;
        if answer.get("error").is_none() || started.elapsed() > Duration::from_secs(3) {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Neither the raw key nor any long piece of it is anywhere in the SQLite files. The files are
/// searched by another process (`grep`): opening the database file in this process would
/// release the SQLite locks the in-process server holds (POSIX lock semantics).
fn assert_not_stored(s: &TestServer, key: &str) {
    if let keyportal_store::DatabaseUrl::Sqlite(path) = &s.database {
        for file in [path.clone(), path.with_extension("db-wal")] {
            // grep, in a process of its own: opening and closing the database file in this
            // process (where the server runs) would drop the server's POSIX locks on it and
            // let another process's writes corrupt it.
            let found = std::process::Command::new("grep")
                .args(["-F", "-q", "-a", &key[4..36]])
                .arg(&file)
                .status()
                .expect("grep runs");
            match found.code() {
                Some(1) => {}
                // The WAL may be checkpointed away at any moment: a vanished file holds nothing.
                Some(2) if !file.exists() => {}
                other => panic!("{} holds the key (grep: {other:?})", file.display()),
            }
        }
    }
}

on_both_backends!(
    legacy_keys_import_work_retire_and_migrate,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let granted = s.add_item(&admin, "admin", "Old data", &[]).await;
        let key = format!(
            "AAPK{}",
            "7d4bf083681e434b8d7593a08954e918ro7MqS9xFOIwXyZ0123456789abcdefghij"
        );
        let file = s.data_dir.path().join("legacy.json");
        std::fs::write(&file, json!({"keys": [{"key": key, "owner": "admin", "title": "Old key", "privileges": ["premium:user:basemaps"], "itemAccess": [granted]}]}).to_string()).unwrap();
        let out = keyportal_command()
            .args(["legacy", "import"])
            .arg(&file)
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Imported 1 legacy key"));

        let path = format!("content/items/{granted}");
        assert_eq!(
            eventually_readable(&s, &path, &key).await["id"],
            granted.as_str(),
            "the running server picked up the import"
        );
        assert_not_stored(&s, &key);
        let again = keyportal_command()
            .args(["legacy", "import"])
            .arg(&file)
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(
            !again.status.success(),
            "importing the same key twice is refused"
        );

        let listed = s.get("portals/self/legacyKeys", Some(&admin), &[]).await;
        let legacy_item = listed["keys"][0]["itemId"].as_str().unwrap().to_string();
        assert!(
            listed["keys"][0]["keyHint"].as_str().unwrap().len() < 20,
            "only a hint is shown"
        );
        assert_eq!(
            s.get(&format!("content/items/{legacy_item}"), Some(&admin), &[])
                .await["type"],
            "API Key"
        );
        let cli_list = keyportal_command()
            .args(["legacy", "list"])
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&cli_list.stdout).contains(&legacy_item));

        // Migration creates API key credentials with the same access and shows the key once.
        let migrated = s
            .post(
                &format!("content/users/admin/items/{legacy_item}/migrateLegacyKey"),
                Some(&admin),
                &[],
            )
            .await;
        let new_key = migrated["apiKey"]
            .as_str()
            .unwrap_or_else(|| panic!("{migrated}"))
            .to_string();
        assert!(new_key.starts_with("AAPT"));
        assert_eq!(read_with(&s, &path, &new_key).await["id"], granted.as_str());
        let info = s
            .get(
                &format!("oauth2/apps/{}", migrated["client_id"].as_str().unwrap()),
                Some(&admin),
                &[],
            )
            .await;
        assert!(info["privileges"]
            .to_string()
            .contains("premium:user:basemaps"));
        assert_eq!(
            read_with(&s, &path, &key).await["id"],
            granted.as_str(),
            "the legacy key still works until retired"
        );

        // Retirement stops every legacy key; clearing it brings them back.
        let past = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
            - 1000)
            .to_string();
        let retired = s
            .post(
                "portals/self/legacyKeys/retire",
                Some(&admin),
                &[("date", &past)],
            )
            .await;
        assert_eq!(retired["success"], true, "{retired}");
        assert_eq!(error_code(&read_with(&s, &path, &key).await), 498);
        s.post(
            "portals/self/legacyKeys/retire",
            Some(&admin),
            &[("date", "-1")],
        )
        .await;
        assert_eq!(read_with(&s, &path, &key).await["id"], granted.as_str());

        let invalidated = s
            .post(
                &format!("content/users/admin/items/{legacy_item}/invalidateLegacyKey"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(invalidated["success"], true);
        assert_eq!(error_code(&read_with(&s, &path, &key).await), 498);
        assert_eq!(
            read_with(&s, &path, &new_key).await["id"],
            granted.as_str(),
            "the migrated key is unaffected"
        );

        let bad = s.data_dir.path().join("bad.json");
        std::fs::write(&bad, json!([{"key": "AAPTnot-legacy", "owner": "nobody", "privileges": ["portal:user:fly"]}]).to_string()).unwrap();
        let refused = keyportal_command()
            .args(["legacy", "import"])
            .arg(&bad)
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(!refused.status.success());
        let message = String::from_utf8_lossy(&refused.stderr);
        assert!(
            message.contains("nothing was imported")
                && message.contains("nobody")
                && message.contains("portal:user:fly"),
            "{message}"
        );
    }
);

on_both_backends!(
    the_cli_shows_credentials_without_their_keys,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let item = s
            .add_item(&admin, "admin", "CLI keys", &[("type", "Application")])
            .await;
        let app = s
            .post(
                "oauth2/registerApp",
                Some(&admin),
                &[
                    ("itemId", &item),
                    ("privileges", r#"["premium:user:basemaps"]"#),
                    ("httpReferrers", r#"["https://app.example.com"]"#),
                ],
            )
            .await;
        let client_id = app["client_id"].as_str().unwrap().to_string();
        let key = s
            .post(
                "oauth2/token",
                None,
                &[
                    ("client_id", &client_id),
                    ("client_secret", app["client_secret"].as_str().unwrap()),
                    ("apiToken", "2"),
                ],
            )
            .await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        assert_not_stored(&s, &key);
        let list = keyportal_command()
            .args(["credential", "list"])
            .args(database_args(&s))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&list.stdout);
        assert!(
            text.contains(&item) && text.contains("CLI keys") && text.contains("1 credential(s)"),
            "{text}"
        );
        let show = keyportal_command()
            .args(["credential", "show", &client_id])
            .args(database_args(&s))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&show.stdout);
        assert!(
            text.contains("premium:user:basemaps") && text.contains("https://app.example.com"),
            "{text}"
        );
        assert!(
            text.contains("key 2: active") && text.contains("key 1: inactive"),
            "{text}"
        );
        assert!(
            text.contains(&key[..8]) && !text.contains(&key),
            "only the hint: {text}"
        );
    }
);
