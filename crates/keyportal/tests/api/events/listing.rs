//! Paging, filters, CSV, who may read which events, the expiry settings and the CLI.

use serde_json::{json, Value};

use super::{mint, register};
use crate::harness::{database_args, error_code, keyportal_command, TestServer, REFERER};
use crate::on_both_backends;

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
