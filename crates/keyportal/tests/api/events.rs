//! The audit trail over the real server: every event type keyportal records (webhooks and
//! leaked keys excepted, built elsewhere) with the right fields, nothing secret anywhere in
//! the events table, paging and filters, who may read what, the CLI, and expiry warnings
//! recorded by the background check for a key that expires a minute ahead.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{
    database_args, error_code, keyportal_command, TestServer, ADMIN_PASSWORD, REFERER,
};
use crate::{on_both_backends, tuned_on_both_backends};

const LEGACY_KEY: &str = "AAPK5b2e6c1f0a9d48e7b3c4d5e6f7a8b9c0ro7MqS9xFOIwXyZ0123456789abcdefghij";

/// Every event of the organization, newest first, read page by page.
async fn all_events(s: &TestServer, admin: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut start = 1;
    loop {
        let page = s
            .get(
                "portals/self/events",
                Some(admin),
                &[("start", &start.to_string()), ("num", "100")],
            )
            .await;
        let batch = page["events"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"));
        events.extend(batch.iter().cloned());
        if page["nextStart"] == -1 {
            return events;
        }
        start = page["nextStart"].as_u64().unwrap() as usize;
    }
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// Waits (polling, bounded) until an event of `kind` is listed.
async fn eventually(s: &TestServer, admin: &str, kind: &str, within: Duration) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let page = s
            .get(
                "portals/self/events",
                Some(admin),
                &[("types", kind), ("num", "100")],
            )
            .await;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if !events.is_empty() {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} event within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The raw rows of the events table as text, read by another process (the test never opens
/// the server's SQLite file itself).
fn raw_events_table(s: &TestServer) -> String {
    let output = match &s.database {
        keyportal_store::DatabaseUrl::Sqlite(path) => std::process::Command::new("sqlite3")
            .arg(path)
            .arg("SELECT * FROM events")
            .output()
            .expect("sqlite3 runs"),
        keyportal_store::DatabaseUrl::Postgres(url) => std::process::Command::new("psql")
            .arg(url)
            .args(["-At", "-c", "SELECT events::text FROM events"])
            .output()
            .expect("psql runs"),
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn register(
    s: &TestServer,
    token: &str,
    owner: &str,
    title: &str,
) -> (String, String, String) {
    let item = s
        .add_item(token, owner, title, &[("type", "Application")])
        .await;
    let app = s
        .post(
            "oauth2/registerApp",
            Some(token),
            &[
                ("itemId", &item),
                ("privileges", r#"["premium:user:geocode:temporary"]"#),
                ("httpReferrers", "[]"),
            ],
        )
        .await;
    let client_id = app["client_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{app}"))
        .to_string();
    let secret = app["client_secret"].as_str().unwrap().to_string();
    (item, client_id, secret)
}

async fn mint(
    s: &TestServer,
    token: Option<&str>,
    client_id: &str,
    secret: &str,
    slot: &str,
    regenerate: bool,
) -> String {
    let mut form = vec![
        ("client_id", client_id),
        ("client_secret", secret),
        ("apiToken", slot),
    ];
    if regenerate {
        form.push(("regenerateApiToken", "true"));
    }
    let minted = s.post("oauth2/token", token, &form).await;
    minted["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{minted}"))
        .to_string()
}

on_both_backends!(
    every_event_type_is_recorded_with_its_fields_and_no_secret,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let mut secrets: Vec<String> =
            vec![ADMIN_PASSWORD.into(), admin.clone(), LEGACY_KEY.into()];

        // Members: created, role and user type changed, disabled, enabled, deleted.
        let evan = s.member(&admin, "evan", "org_user", "creatorUT").await;
        secrets.extend([evan.clone(), "evan-pass-1".to_string()]);
        let doomed = s.member(&admin, "doomed", "org_user", "creatorUT").await;
        secrets.push(doomed);
        let changed = s
            .post(
                "portals/self/updateuserrole",
                Some(&admin),
                &[("user", "evan"), ("role", "org_publisher")],
            )
            .await;
        assert!(changed.get("error").is_none(), "{changed}");
        let typed = s
            .post(
                "portals/self/updateUserLicenseType",
                Some(&admin),
                &[
                    ("users", "evan"),
                    ("userLicenseType", "GISProfessionalAdvUT"),
                ],
            )
            .await;
        assert!(typed.get("error").is_none(), "{typed}");
        for action in ["disable", "enable"] {
            let done = s
                .post(&format!("community/users/evan/{action}"), Some(&admin), &[])
                .await;
            assert!(done.get("error").is_none(), "{action}: {done}");
        }
        let deleted = s
            .post("community/users/doomed/delete", Some(&admin), &[])
            .await;
        assert!(deleted.get("error").is_none(), "{deleted}");
        // A failed sign-in of a member, and of a name that is nobody's (maybe a password).
        let wrong = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", "evan"),
                    ("password", "wrong-one"),
                    ("client", "requestip"),
                ],
            )
            .await;
        assert!(wrong.get("error").is_some());
        let typo = "hunter2-typed-as-username";
        s.post(
            "generateToken",
            None,
            &[
                ("username", typo),
                ("password", "x"),
                ("client", "requestip"),
            ],
        )
        .await;
        secrets.push(typo.into());
        let evan = s.sign_in("evan", "evan-pass-1").await;
        secrets.push(evan.clone());

        // Credentials and keys, by evan (a member's token with the minting request).
        let (item, client_id, secret) = register(&s, &evan, "evan", "Evan's keys").await;
        secrets.push(secret.clone());
        let key1 = mint(&s, Some(&evan), &client_id, &secret, "1", false).await;
        let key2 = mint(&s, None, &client_id, &secret, "2", false).await;
        let key1b = mint(&s, Some(&evan), &client_id, &secret, "1", true).await;
        secrets.extend([key1, key2, key1b.clone()]);
        let updated = s
            .post(
                &format!("oauth2/apps/{client_id}/update"),
                Some(&evan),
                &[("httpReferrers", r#"["https://app.example.com"]"#)],
            )
            .await;
        assert!(updated.get("error").is_none(), "{updated}");
        let renamed = s
            .post(
                &format!("content/users/evan/items/{item}/update"),
                Some(&evan),
                &[("title", "Evan's renamed keys")],
            )
            .await;
        assert!(renamed.get("error").is_none(), "{renamed}");
        let revoked = s
            .post(
                "oauth2/revokeToken",
                Some(&evan),
                &[
                    ("client_id", &client_id),
                    ("client_secret", &secret),
                    ("apiToken", "2"),
                ],
            )
            .await;
        assert!(revoked.get("error").is_none(), "{revoked}");
        let limits = s
            .post(
                &format!("content/users/evan/items/{item}/limits"),
                Some(&evan),
                &[("perDay", "1")],
            )
            .await;
        assert!(limits.get("error").is_none(), "{limits}");
        // Two requests with a one-a-day quota: the second reaches it.
        for _ in 0..3 {
            s.client
                .get(format!("{}/verify?service=geocode", s.url))
                .header("X-Esri-Authorization", format!("Bearer {key1b}"))
                .header("Referer", "https://app.example.com/map")
                .send()
                .await
                .unwrap();
        }
        let privileges = s
            .post(
                &format!("oauth2/apps/{client_id}/update"),
                Some(&evan),
                &[("privileges", r#"["premium:user:basemaps"]"#)],
            )
            .await;
        assert!(privileges.get("error").is_none(), "{privileges}");
        let (gone, _, gone_secret) = register(&s, &evan, "evan", "Short-lived").await;
        secrets.push(gone_secret);
        let removed = s
            .post(
                &format!("content/users/evan/items/{gone}/delete"),
                Some(&evan),
                &[],
            )
            .await;
        assert!(removed.get("error").is_none(), "{removed}");

        // Roles.
        let role = s
            .post(
                "portals/self/createRole",
                Some(&admin),
                &[
                    ("name", "Auditors"),
                    ("description", "Read"),
                    ("privileges", r#"["portal:user:viewOrgUsers"]"#),
                ],
            )
            .await;
        let role_id = role["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{role}"))
            .to_string();
        let set = s
            .post(
                &format!("portals/self/roles/{role_id}/setPrivileges"),
                Some(&admin),
                &[(
                    "privileges",
                    r#"["portal:user:viewOrgUsers","portal:user:viewOrgGroups"]"#,
                )],
            )
            .await;
        assert!(set.get("error").is_none(), "{set}");
        let dropped = s
            .post(
                &format!("portals/self/roles/{role_id}/delete"),
                Some(&admin),
                &[],
            )
            .await;
        assert!(dropped.get("error").is_none(), "{dropped}");

        // Legacy keys: imported (CLI), invalidated (REST).
        let file = s.data_dir.path().join("legacy-events.json");
        std::fs::write(&file, json!({"keys": [{"key": LEGACY_KEY, "owner": "admin", "title": "Old", "privileges": ["premium:user:basemaps"]}]}).to_string()).unwrap();
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
        let listed = s.get("portals/self/legacyKeys", Some(&admin), &[]).await;
        let legacy_item = listed["keys"][0]["itemId"]
            .as_str()
            .unwrap_or_else(|| panic!("{listed}"))
            .to_string();
        let invalidated = s
            .post(
                &format!("content/users/admin/items/{legacy_item}/invalidateLegacyKey"),
                Some(&admin),
                &[],
            )
            .await;
        assert!(invalidated.get("error").is_none(), "{invalidated}");

        eventually(&s, &admin, "quota.reached", Duration::from_secs(30)).await;
        let events = all_events(&s, &admin).await;
        let kinds: BTreeSet<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        for kind in [
            "credential.created",
            "credential.updated",
            "credential.privileges_changed",
            "credential.deleted",
            "key.generated",
            "key.regenerated",
            "key.invalidated",
            "limits.changed",
            "quota.reached",
            "member.created",
            "member.role_changed",
            "member.user_type_changed",
            "member.disabled",
            "member.enabled",
            "member.deleted",
            "role.created",
            "role.changed",
            "role.deleted",
            "signin.succeeded",
            "signin.failed",
            "legacy.imported",
            "legacy.invalidated",
        ] {
            assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
        }
        // Every event has the shape of the contract.
        for e in &events {
            let keys: BTreeSet<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                BTreeSet::from([
                    "id",
                    "time",
                    "type",
                    "actor",
                    "actorKind",
                    "address",
                    "itemId",
                    "clientId",
                    "slot",
                    "username",
                    "details"
                ]),
                "{e}"
            );
        }

        // The right fields.
        let created = of_type(&events, "credential.created");
        let c = created
            .iter()
            .find(|e| e["itemId"] == item.as_str())
            .unwrap();
        assert_eq!(
            (
                c["actor"].clone(),
                c["actorKind"].clone(),
                c["address"].clone()
            ),
            (json!("evan"), json!("user"), json!("127.0.0.1"))
        );
        assert_eq!(
            (c["clientId"].clone(), c["username"].clone()),
            (json!(client_id), json!("evan"))
        );
        let generated = of_type(&events, "key.generated");
        let by_member = generated.iter().find(|e| e["slot"] == 1).unwrap();
        assert_eq!(
            (by_member["actor"].clone(), by_member["actorKind"].clone()),
            (json!("evan"), json!("user"))
        );
        let by_app = generated.iter().find(|e| e["slot"] == 2).unwrap();
        assert_eq!(
            (
                by_app["actor"].clone(),
                by_app["actorKind"].clone(),
                by_app["address"].clone()
            ),
            (json!(null), json!("app"), json!("127.0.0.1"))
        );
        assert!(by_app["details"]["keyHint"]
            .as_str()
            .unwrap()
            .starts_with("AAPT"));
        let regenerated = of_type(&events, "key.regenerated");
        assert_eq!(regenerated[0]["slot"], 1);
        let invalidated = of_type(&events, "key.invalidated");
        let reasons: BTreeSet<&str> = invalidated
            .iter()
            .map(|e| e["details"]["reason"].as_str().unwrap())
            .collect();
        assert_eq!(
            reasons,
            BTreeSet::from(["revoked", "privilegesChanged"]),
            "{invalidated:?}"
        );
        let privileges_changed = of_type(&events, "credential.privileges_changed");
        assert_eq!(
            privileges_changed[0]["details"]["added"],
            json!(["premium:user:basemaps"])
        );
        assert_eq!(
            privileges_changed[0]["details"]["removed"],
            json!(["premium:user:geocode:temporary"])
        );
        let updates: Vec<&Value> = of_type(&events, "credential.updated");
        assert!(updates
            .iter()
            .any(|e| e["details"]["changed"] == json!(["httpReferrers"])));
        assert!(updates
            .iter()
            .any(|e| e["details"]["title"] == "Evan's renamed keys"));
        let quota = of_type(&events, "quota.reached");
        assert_eq!(quota.len(), 1, "once per period: {quota:?}");
        assert_eq!(
            (
                quota[0]["itemId"].clone(),
                quota[0]["actorKind"].clone(),
                quota[0]["details"]["quota"].clone()
            ),
            (json!(item), json!("key"), json!("quota_per_day"))
        );
        let role_changed = of_type(&events, "member.role_changed");
        assert_eq!(
            (
                role_changed[0]["username"].clone(),
                role_changed[0]["actor"].clone(),
                role_changed[0]["details"]["to"].clone()
            ),
            (json!("evan"), json!("admin"), json!("org_publisher"))
        );
        let failed = of_type(&events, "signin.failed");
        assert_eq!(failed.len(), 2);
        assert!(failed
            .iter()
            .all(|e| e["actorKind"] == "public" && e["address"] == "127.0.0.1"));
        assert!(failed.iter().any(|e| e["username"] == "evan"));
        assert!(
            failed.iter().any(|e| e["username"].is_null()),
            "an unknown name is not recorded"
        );
        let succeeded = of_type(&events, "signin.succeeded");
        assert!(succeeded
            .iter()
            .any(|e| e["actor"] == "evan" && e["actorKind"] == "user"));
        let imported = of_type(&events, "legacy.imported");
        assert_eq!(
            (
                imported[0]["actorKind"].clone(),
                imported[0]["details"]["count"].clone()
            ),
            (json!("system"), json!(1))
        );
        assert_eq!(
            of_type(&events, "legacy.invalidated")[0]["itemId"],
            legacy_item.as_str()
        );
        assert_eq!(
            of_type(&events, "credential.deleted")[0]["itemId"],
            gone.as_str()
        );

        // Nothing secret anywhere in the events table.
        let raw = raw_events_table(&s);
        assert!(
            raw.contains("credential.created"),
            "the dump holds the events"
        );
        for secret in &secrets {
            assert!(
                !raw.contains(secret.as_str()),
                "the events table holds a secret: {secret}"
            );
        }
    }
);

on_both_backends!(
    events_are_paged_filtered_and_shown_only_to_whom_they_concern,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let ann = s.member(&admin, "ann", "org_publisher", "creatorUT").await;
        let bob = s.member(&admin, "bob", "org_publisher", "creatorUT").await;
        let (item, client_id, secret) = register(&s, &ann, "ann", "Ann's keys").await;
        for regenerate in [false, true, true, true, true] {
            mint(&s, Some(&ann), &client_id, &secret, "1", regenerate).await;
        }
        let path = format!("content/users/ann/items/{item}/events");

        // Paging, newest first: 1 created + 1 generated + 4 regenerated.
        let first = s.get(&path, Some(&ann), &[("num", "4")]).await;
        assert_eq!(
            (
                first["total"].clone(),
                first["start"].clone(),
                first["num"].clone(),
                first["nextStart"].clone()
            ),
            (json!(6), json!(1), json!(4), json!(5)),
            "{first}"
        );
        let times: Vec<i64> = first["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["time"].as_i64().unwrap())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {times:?}"
        );
        let second = s
            .get(&path, Some(&ann), &[("num", "4"), ("start", "5")])
            .await;
        assert_eq!(second["events"].as_array().unwrap().len(), 2);
        assert_eq!(second["nextStart"], -1);
        assert_eq!(second["events"][1]["type"], "credential.created");
        // Filters.
        let regenerated = s
            .get(
                &path,
                Some(&ann),
                &[("types", "key.regenerated,key.generated")],
            )
            .await;
        assert_eq!(regenerated["total"], 5);
        let created_at = second["events"][1]["time"].as_i64().unwrap();
        let until = s
            .get(&path, Some(&ann), &[("endTime", &created_at.to_string())])
            .await;
        assert!(until["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["time"].as_i64().unwrap() <= created_at));
        let later = s
            .get(
                &path,
                Some(&ann),
                &[("startTime", &(created_at + 1_000_000).to_string())],
            )
            .await;
        assert_eq!(later["total"], 0);
        let bad = s.get(&path, Some(&ann), &[("types", "key.nonsense")]).await;
        assert_eq!(error_code(&bad), 400, "{bad}");

        // Who sees what: the owner and administrators; not another member, not anonymous.
        assert_eq!(s.get(&path, Some(&admin), &[]).await["total"], 6);
        // Another member's private credential is answered as missing.
        let other = s.get(&path, Some(&bob), &[]).await;
        assert_eq!(error_code(&other), 400, "{other}");
        assert_eq!(other["error"]["messageCode"], "CONT_0001");
        // Shared with the organization, bob sees the item but not its events.
        let shared = s
            .post(
                &format!("content/users/ann/items/{item}/share"),
                Some(&ann),
                &[("everyone", "false"), ("org", "true")],
            )
            .await;
        assert!(shared.get("error").is_none(), "{shared}");
        let other = s.get(&path, Some(&bob), &[]).await;
        assert_eq!(error_code(&other), 403, "{other}");
        assert_eq!(
            error_code(&s.get(&path, None, &[]).await),
            400,
            "anonymous: not visible"
        );
        let org = s.get("portals/self/events", Some(&ann), &[]).await;
        assert_eq!(
            error_code(&org),
            403,
            "members do not read the organization's events: {org}"
        );
        let settings = s.get("portals/self/eventSettings", Some(&bob), &[]).await;
        assert_eq!(error_code(&settings), 403, "{settings}");

        // The organization's filters.
        let by_actor = s
            .get(
                "portals/self/events",
                Some(&admin),
                &[("actor", "ann"), ("itemId", &item), ("num", "100")],
            )
            .await;
        assert_eq!(by_actor["total"], 6);
        let about_bob = s
            .get(
                "portals/self/events",
                Some(&admin),
                &[("username", "bob"), ("types", "member.created")],
            )
            .await;
        assert_eq!(about_bob["total"], 1);
        assert_eq!(about_bob["events"][0]["actor"], "admin");
        // CSV.
        let csv = s
            .client
            .get(s.rest("portals/self/events"))
            .query(&[
                ("f", "csv"),
                ("token", admin.as_str()),
                ("itemId", item.as_str()),
            ])
            .header("Referer", REFERER)
            .send()
            .await
            .unwrap();
        assert!(csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let body = csv.text().await.unwrap();
        assert!(body.starts_with(
            "id,time,type,actor,actorKind,address,itemId,clientId,slot,username,details\r\n"
        ));
        assert_eq!(body.lines().count(), 7, "{body}");

        // Expiry settings: administrators read and change them.
        assert_eq!(
            s.get("portals/self/eventSettings", Some(&admin), &[]).await["expiryWarningDays"],
            json!([30, 7, 1])
        );
        let set = s
            .post(
                "portals/self/eventSettings",
                Some(&admin),
                &[("expiryWarningDays", "[14, 3]")],
            )
            .await;
        assert_eq!(set["expiryWarningDays"], json!([14, 3]), "{set}");
        let refused = s
            .post(
                "portals/self/eventSettings",
                Some(&admin),
                &[("expiryWarningDays", "[0]")],
            )
            .await;
        assert_eq!(error_code(&refused), 400);
        assert_eq!(
            s.get("portals/self/eventSettings", Some(&admin), &[]).await["expiryWarningDays"],
            json!([14, 3])
        );

        // The CLI prints the same events as JSON lines.
        let out = keyportal_command()
            .args([
                "events",
                "--json",
                "--type",
                "key.regenerated",
                "--since",
                "1d",
            ])
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 4);
        assert!(lines
            .iter()
            .all(|e| e["type"] == "key.regenerated" && e["itemId"] == item.as_str()));
        assert!(
            lines
                .windows(2)
                .all(|w| w[0]["time"].as_i64() <= w[1]["time"].as_i64()),
            "oldest first"
        );
    }
);

fn check_expiry_every_second(config: &mut keyportal::config::ServeConfig) {
    config.events.expiry_interval = Duration::from_secs(1);
}

tuned_on_both_backends!(
    a_key_expiring_in_a_minute_is_warned_then_expired,
    false,
    check_expiry_every_second,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, client_id, secret) = register(&s, &admin, "admin", "Expiring").await;
        let expires = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
            + 60_000;
        let dated = s
            .post(
                &format!("content/users/admin/items/{item}/update"),
                Some(&admin),
                &[("apiToken1ExpirationDate", &expires.to_string())],
            )
            .await;
        assert!(dated.get("error").is_none(), "{dated}");
        mint(&s, Some(&admin), &client_id, &secret, "1", false).await;
        // Every lead time (30, 7, 1 days) is crossed at once: one warning, for the smallest.
        let expiring = eventually(&s, &admin, "key.expiring", Duration::from_secs(30)).await;
        assert_eq!(expiring.len(), 1, "{expiring:?}");
        let e = &expiring[0];
        assert_eq!(
            (
                e["itemId"].clone(),
                e["slot"].clone(),
                e["actorKind"].clone()
            ),
            (json!(item), json!(1), json!("system"))
        );
        assert_eq!(
            (
                e["details"]["expires"].clone(),
                e["details"]["daysLeft"].clone(),
                e["details"]["leadDays"].clone()
            ),
            (json!(expires), json!(1), json!(1))
        );
        let expired = eventually(&s, &admin, "key.expired", Duration::from_secs(120)).await;
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0]["details"]["daysLeft"], 0);
        // Later checks add nothing.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let all = s
            .get(
                &format!("content/users/admin/items/{item}/events"),
                Some(&admin),
                &[("types", "key.expiring,key.expired")],
            )
            .await;
        assert_eq!(all["total"], 2, "{all}");
    }
);
