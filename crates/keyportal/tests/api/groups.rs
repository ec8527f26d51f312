//! Groups: create, search, membership and group sharing.

use serde_json::json;

use crate::harness::{error_code, TestServer};
use crate::on_both_backends;

on_both_backends!(
    groups_share_items_with_their_members,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let alice = s.member(&admin, "alice", "org_user", "creatorUT").await;
        let bob = s.member(&admin, "bob", "org_user", "creatorUT").await;

        let created = s
            .post(
                "community/createGroup",
                Some(&alice),
                &[
                    ("title", "Field team"),
                    ("access", "private"),
                    ("tags", "field,team"),
                    ("description", "d"),
                ],
            )
            .await;
        assert_eq!(created["success"], true, "{created}");
        let gid = created["group"]["id"].as_str().unwrap().to_string();
        assert_eq!(created["group"]["owner"], "alice");
        assert_eq!(created["group"]["userMembership"]["memberType"], "owner");

        let bad = s
            .post(
                "community/createGroup",
                Some(&alice),
                &[("title", "No access")],
            )
            .await;
        assert_eq!(error_code(&bad), 400);

        // Private groups are invisible to non-members.
        assert_eq!(
            error_code(
                &s.get(&format!("community/groups/{gid}"), Some(&bob), &[])
                    .await
            ),
            400
        );
        let found = s
            .get(
                "community/groups",
                Some(&bob),
                &[("q", "title:\"Field team\"")],
            )
            .await;
        assert_eq!(found["total"], 0);

        let added = s
            .post(
                &format!("community/groups/{gid}/addUsers"),
                Some(&alice),
                &[("users", "bob,nobody")],
            )
            .await;
        assert_eq!(added["notAdded"], json!(["nobody"]));
        let group = s
            .get(&format!("community/groups/{gid}"), Some(&bob), &[])
            .await;
        assert_eq!(group["userMembership"]["memberType"], "member");
        let found = s
            .get("community/groups", Some(&bob), &[("q", "field")])
            .await;
        assert_eq!(found["total"], 1);
        assert_eq!(found["results"][0]["id"], gid.as_str());

        let id = s.add_item(&alice, "alice", "Team map", &[]).await;
        let shared = s
            .post(
                &format!("content/users/alice/items/{id}/share"),
                Some(&alice),
                &[("groups", &gid)],
            )
            .await;
        assert_eq!(shared["notSharedWith"], json!([]));
        let item = s.get(&format!("content/items/{id}"), Some(&bob), &[]).await;
        assert_eq!(item["access"], "shared");
        let in_group = s
            .get(
                "search",
                Some(&bob),
                &[("q", &format!("id: {id} AND group: {gid}"))],
            )
            .await;
        assert_eq!(in_group["total"], 1);

        // Bob, a plain member, cannot manage the group.
        let refused = s
            .post(
                &format!("community/groups/{gid}/update"),
                Some(&bob),
                &[("title", "Mine")],
            )
            .await;
        assert_eq!(error_code(&refused), 403);
        let refused = s
            .post(&format!("community/groups/{gid}/delete"), Some(&bob), &[])
            .await;
        assert_eq!(error_code(&refused), 403);

        let unshared = s
            .post(
                &format!("content/users/alice/items/{id}/unshare"),
                Some(&alice),
                &[("groups", &gid)],
            )
            .await;
        assert_eq!(unshared["notUnsharedFrom"], json!([]));
        assert_eq!(
            s.get(&format!("content/items/{id}"), Some(&bob), &[]).await["error"]["messageCode"],
            "CONT_0001"
        );

        // Unknown groups are reported, not fatal.
        let unknown = s
            .post(
                &format!("content/users/alice/items/{id}/share"),
                Some(&alice),
                &[("groups", "0123456789abcdef0123456789abcdef")],
            )
            .await;
        assert_eq!(
            unknown["notSharedWith"],
            json!(["0123456789abcdef0123456789abcdef"])
        );

        let left = s
            .post(&format!("community/groups/{gid}/leave"), Some(&bob), &[])
            .await;
        assert_eq!(left["success"], true);
        let owner_leaves = s
            .post(&format!("community/groups/{gid}/leave"), Some(&alice), &[])
            .await;
        assert_eq!(error_code(&owner_leaves), 400);

        let updated = s
            .post(
                &format!("community/groups/{gid}/update"),
                Some(&alice),
                &[("title", "Field crew"), ("access", "org")],
            )
            .await;
        assert_eq!(updated["success"], true);
        let joined = s
            .post(&format!("community/groups/{gid}/join"), Some(&bob), &[])
            .await;
        assert_eq!(
            joined["success"], true,
            "org groups can be joined: {joined}"
        );
        let members = s
            .get(&format!("community/groups/{gid}/users"), Some(&alice), &[])
            .await;
        assert_eq!(members["owner"], "alice");
        assert_eq!(members["users"], json!(["bob"]));
        let removed = s
            .post(
                &format!("community/groups/{gid}/removeUsers"),
                Some(&alice),
                &[("users", "bob")],
            )
            .await;
        assert_eq!(removed["notRemoved"], json!([]));

        let deleted = s
            .post(&format!("community/groups/{gid}/delete"), Some(&alice), &[])
            .await;
        assert_eq!(deleted["success"], true);
        assert_eq!(
            error_code(
                &s.get(&format!("community/groups/{gid}"), Some(&alice), &[])
                    .await
            ),
            400
        );
    }
);

on_both_backends!(
    creating_groups_needs_the_privilege,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let viewer = s.member(&admin, "vic", "viewer", "viewerUT").await;
        let refused = s
            .post(
                "community/createGroup",
                Some(&viewer),
                &[("title", "t"), ("access", "private")],
            )
            .await;
        assert_eq!(error_code(&refused), 403);
        assert_eq!(refused["error"]["messageCode"], "GWM_0003");
        let invitation_only = s
            .post(
                "community/createGroup",
                Some(&admin),
                &[
                    ("title", "Closed"),
                    ("access", "org"),
                    ("isInvitationOnly", "true"),
                ],
            )
            .await;
        let gid = invitation_only["id"].as_str().unwrap();
        let join = s
            .post(&format!("community/groups/{gid}/join"), Some(&viewer), &[])
            .await;
        assert_eq!(error_code(&join), 403);
    }
);

on_both_backends!(
    bulk_sharing_and_item_groups_for_the_python_client,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let gid = s
            .post(
                "community/createGroup",
                Some(&admin),
                &[("title", "Team"), ("access", "org")],
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let a = s.add_item(&admin, "admin", "A", &[]).await;
        let b = s.add_item(&admin, "admin", "B", &[]).await;
        let items = format!("{a},{b},0123456789abcdef0123456789abcdef");
        let shared = s
            .post(
                "content/users/admin/shareItems",
                Some(&admin),
                &[
                    ("items", &items),
                    ("groups", &gid),
                    ("org", "true"),
                    ("everyone", "false"),
                ],
            )
            .await;
        let results = shared["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(results[0]["success"], true);
        assert_eq!(results[1]["notSharedWith"], json!([]));
        assert_eq!(results[2]["success"], false, "an unknown item fails alone");
        assert_eq!(
            s.get(&format!("content/items/{a}"), Some(&admin), &[])
                .await["access"],
            "org"
        );
        let groups = s
            .post(&format!("content/items/{a}/groups"), Some(&admin), &[])
            .await;
        assert_eq!(groups["admin"][0]["id"], gid.as_str());
        assert_eq!(groups["member"], json!([]));
        let unshared = s
            .post(
                "content/users/admin/unshareItems",
                Some(&admin),
                &[("items", &a), ("groups", &gid)],
            )
            .await;
        assert_eq!(unshared["results"][0]["notUnsharedFrom"], json!([]));
        assert_eq!(
            s.post(&format!("content/items/{a}/groups"), Some(&admin), &[])
                .await["admin"],
            json!([])
        );
        let org_search = s
            .get(
                "search",
                Some(&admin),
                &[(
                    "q",
                    &format!(
                        "title:A accountid:{}",
                        s.get("portals/self", None, &[]).await["id"]
                            .as_str()
                            .unwrap()
                    ),
                )],
            )
            .await;
        assert_eq!(
            org_search["total"], 1,
            "the Python client adds accountid: to every search"
        );
    }
);
