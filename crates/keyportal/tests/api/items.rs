//! Items and folders: add, read, update, delete, status, listing, visibility and bad input.

use serde_json::Value;

use crate::harness::{error_code, TestServer, REFERER};
use crate::on_both_backends;

on_both_backends!(
    items_round_trip_every_field,
    false,
    |s: TestServer| async move {
        let token = s.admin_token().await;
        let id = s
            .add_item(
                &token,
                "admin",
                "Roads",
                &[
                    ("tags", "roads,city"),
                    ("typeKeywords", r#"["Data","Service"]"#),
                    ("description", "All the roads — ünïcödé"),
                    ("snippet", "Roads of the city"),
                    ("properties", r#"{"a":1,"nested":{"b":[1,2]}}"#),
                    ("extent", "[[-10,-10],[10,10]]"),
                    ("culture", "fr-fr"),
                    ("url", "https://example.com/roads"),
                ],
            )
            .await;
        let item = s
            .get(&format!("content/items/{id}"), Some(&token), &[])
            .await;
        assert_eq!(item["id"], id.as_str());
        assert_eq!(item["owner"], "admin");
        assert_eq!(item["title"], "Roads");
        assert_eq!(item["type"], "Web Map");
        assert_eq!(item["tags"], serde_json::json!(["roads", "city"]));
        assert_eq!(item["typeKeywords"], serde_json::json!(["Data", "Service"]));
        assert_eq!(item["description"], "All the roads — ünïcödé");
        assert_eq!(item["properties"]["nested"]["b"][1], 2);
        assert_eq!(item["extent"], serde_json::json!([[-10, -10], [10, 10]]));
        assert_eq!(item["culture"], "fr-fr");
        assert_eq!(item["access"], "private");
        assert_eq!(item["ownerFolder"], Value::Null);
        assert!(item["created"].as_i64().unwrap() > 0);

        let updated = s
            .post(
                &format!("content/users/admin/items/{id}/update"),
                Some(&token),
                &[("title", "Streets"), ("tags", "streets")],
            )
            .await;
        assert_eq!(updated["success"], true);
        let item = s
            .get(&format!("content/items/{id}"), Some(&token), &[])
            .await;
        assert_eq!(item["title"], "Streets");
        assert_eq!(item["tags"], serde_json::json!(["streets"]));
        assert_eq!(
            item["description"], "All the roads — ünïcödé",
            "fields not sent stay"
        );

        let status = s
            .get(
                &format!("content/users/admin/items/{id}/status"),
                Some(&token),
                &[],
            )
            .await;
        assert_eq!(status["status"], "completed");
        assert_eq!(status["itemId"], id.as_str());

        let deleted = s
            .post(
                &format!("content/users/admin/items/{id}/delete"),
                Some(&token),
                &[],
            )
            .await;
        assert_eq!(deleted["success"], true);
        assert_eq!(deleted["itemId"], id.as_str());
        let gone = s
            .get(&format!("content/items/{id}"), Some(&token), &[])
            .await;
        assert_eq!(gone["error"]["messageCode"], "CONT_0001");
    }
);

on_both_backends!(
    bad_item_input_is_refused_and_changes_nothing,
    false,
    |s: TestServer| async move {
        let token = s.admin_token().await;
        let missing = s
            .post(
                "content/users/admin/addItem",
                Some(&token),
                &[("title", "No type")],
            )
            .await;
        assert_eq!(error_code(&missing), 400);
        assert_eq!(
            missing["error"]["message"],
            "'type' and 'title' property required."
        );
        let long_title = "x".repeat(300);
        let oversize = s
            .post(
                "content/users/admin/addItem",
                Some(&token),
                &[("title", &long_title), ("type", "Web Map")],
            )
            .await;
        assert_eq!(error_code(&oversize), 400);
        let bad_json = s
            .post(
                "content/users/admin/addItem",
                Some(&token),
                &[("title", "t"), ("type", "Web Map"), ("properties", "{nope")],
            )
            .await;
        assert_eq!(error_code(&bad_json), 400);
        for id in [
            "abc",
            "' OR 1=1 --",
            "../../etc/passwd",
            "0123456789abcdef0123456789abcdeg",
        ] {
            let answer = s
                .get(
                    &format!("content/items/{}", urlencode(id)),
                    Some(&token),
                    &[],
                )
                .await;
            assert_eq!(answer["error"]["messageCode"], "CONT_0001", "id {id}");
        }
        let search = s.get("search", Some(&token), &[("q", "owner:admin")]).await;
        assert_eq!(search["total"], 0, "nothing was created: {search}");
    }
);

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

on_both_backends!(
    folders_and_content_listing,
    false,
    |s: TestServer| async move {
        let token = s.admin_token().await;
        let created = s
            .post(
                "content/users/admin/createFolder",
                Some(&token),
                &[("title", "Keys")],
            )
            .await;
        assert_eq!(created["success"], true);
        let folder = created["folder"]["id"].as_str().unwrap().to_string();
        assert_eq!(created["folder"]["title"], "Keys");
        let duplicate = s
            .post(
                "content/users/admin/createFolder",
                Some(&token),
                &[("title", "keys")],
            )
            .await;
        assert_eq!(error_code(&duplicate), 409);
        let bad = s
            .post(
                "content/users/admin/createFolder",
                Some(&token),
                &[("title", "a/b")],
            )
            .await;
        assert_eq!(error_code(&bad), 400);

        let in_folder = s
            .post(
                &format!("content/users/admin/{folder}/addItem"),
                Some(&token),
                &[("title", "In folder"), ("type", "Web Map")],
            )
            .await;
        assert_eq!(in_folder["folder"], folder.as_str());
        s.add_item(&token, "admin", "At root", &[]).await;

        let root = s
            .get(
                "content/users/admin",
                Some(&token),
                &[("start", "1"), ("num", "10")],
            )
            .await;
        assert_eq!(root["username"], "admin");
        assert_eq!(root["total"], 1);
        assert_eq!(root["items"][0]["title"], "At root");
        assert_eq!(root["folders"][0]["id"], folder.as_str());
        let listed = s
            .get(&format!("content/users/admin/{folder}"), Some(&token), &[])
            .await;
        assert_eq!(listed["total"], 1);
        assert_eq!(listed["items"][0]["title"], "In folder");
        assert_eq!(listed["items"][0]["ownerFolder"], folder.as_str());
        assert_eq!(listed["currentFolder"]["title"], "Keys");

        let not_empty = s
            .post(
                &format!("content/users/admin/{folder}/delete"),
                Some(&token),
                &[],
            )
            .await;
        assert_eq!(error_code(&not_empty), 409);
        let item_id = listed["items"][0]["id"].as_str().unwrap();
        s.post(
            &format!("content/users/admin/{folder}/items/{item_id}/delete"),
            Some(&token),
            &[],
        )
        .await;
        let removed = s
            .post(
                &format!("content/users/admin/{folder}/delete"),
                Some(&token),
                &[],
            )
            .await;
        assert_eq!(removed["success"], true);
    }
);

on_both_backends!(
    visibility_follows_sharing,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let alice = s.member(&admin, "alice", "org_user", "creatorUT").await;
        let bob = s.member(&admin, "bob", "org_user", "creatorUT").await;
        let id = s.add_item(&alice, "alice", "Alice's map", &[]).await;
        let path = format!("content/items/{id}");
        assert_eq!(
            s.get(&path, Some(&bob), &[]).await["error"]["messageCode"],
            "CONT_0001"
        );
        assert_eq!(
            s.get(&path, Some(&admin), &[]).await["id"],
            id.as_str(),
            "admins see all items"
        );
        assert_eq!(
            s.get(&path, None, &[]).await["error"]["messageCode"],
            "CONT_0001"
        );

        // Bob can neither change nor share what he cannot see.
        let steal = s
            .post(
                &format!("content/users/alice/items/{id}/update"),
                Some(&bob),
                &[("title", "mine")],
            )
            .await;
        assert_eq!(steal["error"]["messageCode"], "CONT_0001");

        let shared = s
            .post(
                &format!("content/users/alice/items/{id}/share"),
                Some(&alice),
                &[("everyone", "false"), ("org", "true")],
            )
            .await;
        assert_eq!(shared["notSharedWith"], serde_json::json!([]));
        assert_eq!(s.get(&path, Some(&bob), &[]).await["access"], "org");
        assert_eq!(
            s.get(&path, None, &[]).await["error"]["messageCode"],
            "CONT_0001"
        );
        let update = s
            .post(
                &format!("content/users/alice/items/{id}/update"),
                Some(&bob),
                &[("title", "mine")],
            )
            .await;
        assert_eq!(update["error"]["messageCode"], "GWM_0003");
        assert_eq!(error_code(&update), 403);

        s.post(
            &format!("content/users/alice/items/{id}/share"),
            Some(&alice),
            &[("everyone", "true"), ("account", "true")],
        )
        .await;
        assert_eq!(s.get(&path, None, &[]).await["access"], "public");
        s.post(
            &format!("content/users/alice/items/{id}/share"),
            Some(&alice),
            &[("everyone", "false"), ("org", "false"), ("groups", " ")],
        )
        .await;
        assert_eq!(
            s.get(&path, Some(&bob), &[]).await["error"]["messageCode"],
            "CONT_0001"
        );
        assert_eq!(
            s.get(&path, Some(&alice), &[]).await["title"],
            "Alice's map"
        );
    }
);

on_both_backends!(
    privileges_are_enforced_on_content,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let viewer = s.member(&admin, "vera", "viewer", "viewerUT").await;
        let refused = s
            .post(
                "content/users/vera/addItem",
                Some(&viewer),
                &[("title", "t"), ("type", "Web Map")],
            )
            .await;
        assert_eq!(error_code(&refused), 403);
        assert_eq!(refused["error"]["messageCode"], "GWM_0003");
        assert!(refused["error"]["details"][0]
            .as_str()
            .unwrap()
            .contains("portal:user:createItem"));
        let folder = s
            .post(
                "content/users/vera/createFolder",
                Some(&viewer),
                &[("title", "f")],
            )
            .await;
        assert_eq!(error_code(&folder), 403);
        // Nobody adds items to someone else's content.
        let into_other = s
            .post(
                "content/users/vera/addItem",
                Some(&admin),
                &[("title", "t"), ("type", "Web Map")],
            )
            .await;
        assert_eq!(error_code(&into_other), 403);
        // Demoting a member takes their privileges away on their very next request.
        let creator = s.member(&admin, "carl", "org_user", "editorUT").await;
        let id = s.add_item(&creator, "carl", "c", &[]).await;
        let org = s
            .post(
                &format!("content/users/carl/items/{id}/share"),
                Some(&creator),
                &[("org", "true")],
            )
            .await;
        assert_eq!(org["itemId"], id.as_str());
        let admin_demotes = s
            .post(
                "portals/self/updateuserrole",
                Some(&admin),
                &[("user", "carl"), ("role", "viewer")],
            )
            .await;
        assert_eq!(admin_demotes["success"], true);
        let public = s
            .post(
                &format!("content/users/carl/items/{id}/share"),
                Some(&creator),
                &[("everyone", "true")],
            )
            .await;
        assert_eq!(
            error_code(&public),
            403,
            "demotion takes effect at once: {public}"
        );
    }
);

on_both_backends!(
    multipart_bodies_are_accepted,
    false,
    |s: TestServer| async move {
        let token = s.admin_token().await;
        let form = reqwest::multipart::Form::new()
            .text("title", "Uploaded")
            .text("type", "Web Map")
            .text("f", "json")
            .text("token", token.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(vec![1, 2, 3]).file_name("data.bin"),
            );
        let answer: Value = s
            .client
            .post(s.rest("content/users/admin/addItem"))
            .header("Referer", REFERER)
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["success"], true, "{answer}");
        let id = answer["id"].as_str().unwrap();
        assert_eq!(
            s.get(&format!("content/items/{id}"), Some(&token), &[])
                .await["title"],
            "Uploaded"
        );
    }
);
