//! Every event type keyportal records, with its fields, and no secret in the events table.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};

use super::{all_events, eventually, mint, of_type, raw_events_table, register, LEGACY_KEY};
use crate::harness::{database_args, keyportal_command, TestServer, ADMIN_PASSWORD};
use crate::on_both_backends;

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
