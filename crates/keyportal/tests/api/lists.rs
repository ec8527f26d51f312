//! Group search, group content and member search, answered by the database a page at a time:
//! paging (`start`, `num`, `nextStart`, `total`), sorting and visibility for members, anonymous
//! callers and API keys, over real sockets on both backends. (A member of another organization
//! cannot exist on one deployment; the store's differential test covers such viewers.)

use serde_json::Value;

use crate::harness::{error_code, key_with, TestServer};
use crate::on_both_backends;

fn titles(answer: &Value, list: &str, field: &str) -> Vec<String> {
    answer[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {answer}"))
        .iter()
        .map(|entry| entry[field].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn create_group(s: &TestServer, token: &str, title: &str, access: &str) -> String {
    let created = s
        .post(
            "community/createGroup",
            Some(token),
            &[("title", title), ("access", access), ("tags", "team")],
        )
        .await;
    created["group"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createGroup: {created}"))
        .to_string()
}

on_both_backends!(
    groups_are_searched_sorted_and_paged,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let alice = s.member(&admin, "alice", "org_user", "creatorUT").await;
        let bob = s.member(&admin, "bob", "org_user", "creatorUT").await;
        for (title, access) in [
            ("Alpha team", "org"),
            ("beta team", "public"),
            ("Gamma team", "private"),
        ] {
            create_group(&s, &alice, title, access).await;
        }
        create_group(&s, &admin, "Delta team", "org").await;
        create_group(&s, &admin, "Epsilon team", "private").await;

        // Alice sees the org's groups, the public one and her own private one, by title
        // ignoring case, two at a time.
        let q = [("q", "tags:team"), ("num", "2"), ("sortField", "title")];
        let first = s.get("community/groups", Some(&alice), &q).await;
        assert_eq!(
            (first["total"].clone(), first["nextStart"].clone()),
            (4.into(), 3.into()),
            "{first}"
        );
        assert_eq!(
            titles(&first, "results", "title"),
            ["Alpha team", "beta team"]
        );
        let mut next = q.to_vec();
        next.push(("start", "3"));
        let second = s.get("community/groups", Some(&alice), &next).await;
        assert_eq!(
            titles(&second, "results", "title"),
            ["Delta team", "Gamma team"]
        );
        assert_eq!(second["nextStart"], -1);
        assert_eq!(second["start"], 3);

        let newest = s
            .get(
                "community/groups",
                Some(&admin),
                &[
                    ("q", "team"),
                    ("sortField", "created"),
                    ("sortOrder", "desc"),
                ],
            )
            .await;
        assert_eq!(
            titles(&newest, "results", "title"),
            [
                "Epsilon team",
                "Delta team",
                "Gamma team",
                "beta team",
                "Alpha team"
            ],
            "the administrator sees every group of the org"
        );
        let bobs = s
            .get("community/groups", Some(&bob), &[("q", "team")])
            .await;
        assert_eq!(
            titles(&bobs, "results", "title"),
            ["Alpha team", "beta team", "Delta team"]
        );
        let anonymous = s.get("community/groups", None, &[("q", "team")]).await;
        assert_eq!(titles(&anonymous, "results", "title"), ["beta team"]);
        let (_, _, key) = key_with(&s, &admin, &["portal:user:viewOrgItems".into()], &[]).await;
        let keyed = s
            .get("community/groups", Some(&key), &[("q", "team")])
            .await;
        assert_eq!(
            titles(&keyed, "results", "title"),
            ["beta team"],
            "a key sees org groups only through a privilege that covers groups"
        );

        let ranged = s
            .get("community/groups", Some(&admin), &[("q", "title:[a TO k]")])
            .await;
        assert_eq!(error_code(&ranged), 400, "{ranged}");
        let bad_sort = s
            .get(
                "community/groups",
                Some(&admin),
                &[("q", "team"), ("sortField", "numviews")],
            )
            .await;
        assert_eq!(error_code(&bad_sort), 400);
    }
);

on_both_backends!(
    group_content_lists_what_the_caller_may_see,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let alice = s.member(&admin, "alice", "org_user", "creatorUT").await;
        let bob = s.member(&admin, "bob", "org_user", "creatorUT").await;
        let public_group = create_group(&s, &alice, "Open team", "public").await;
        let private_group = create_group(&s, &alice, "Closed team", "private").await;
        let mut shared = Vec::new();
        for (title, access) in [
            ("One", None),
            ("Two", Some("org")),
            ("Three", Some("public")),
        ] {
            let id = s.add_item(&alice, "alice", title, &[]).await;
            let mut form = vec![("groups", public_group.as_str())];
            match access {
                Some("org") => form.push(("org", "true")),
                Some(_) => form.push(("everyone", "true")),
                None => {}
            }
            let answer = s
                .post(
                    &format!("content/users/alice/items/{id}/share"),
                    Some(&alice),
                    &form,
                )
                .await;
            assert_eq!(answer["notSharedWith"], serde_json::json!([]), "{answer}");
            shared.push(id);
        }
        s.add_item(&alice, "alice", "Not shared", &[]).await;
        let path = format!("content/groups/{public_group}");

        // Oldest first, one at a time.
        let first = s.get(&path, Some(&alice), &[("num", "1")]).await;
        assert_eq!(
            (
                first["total"].clone(),
                first["start"].clone(),
                first["num"].clone()
            ),
            (3.into(), 1.into(), 1.into()),
            "{first}"
        );
        assert_eq!(first["nextStart"], 2);
        assert_eq!(titles(&first, "items", "id"), [shared[0].clone()]);
        let last = s
            .get(&path, Some(&alice), &[("start", "3"), ("num", "1")])
            .await;
        assert_eq!(titles(&last, "items", "id"), [shared[2].clone()]);
        assert_eq!(last["nextStart"], -1);

        // Bob is not in the group: the org and public items; anonymous: the public one.
        let bobs = s.get(&path, Some(&bob), &[]).await;
        assert_eq!(titles(&bobs, "items", "title"), ["Two", "Three"]);
        let anonymous = s.get(&path, None, &[]).await;
        assert_eq!(titles(&anonymous, "items", "title"), ["Three"]);
        assert_eq!(anonymous["total"], 1);
        let (_, _, key) = key_with(&s, &admin, &["portal:user:viewOrgItems".into()], &[]).await;
        let keyed = s.get(&path, Some(&key), &[]).await;
        assert_eq!(titles(&keyed, "items", "title"), ["Three"]);

        // A group the caller may not see is answered as missing, for members and keys alike.
        let hidden = format!("content/groups/{private_group}");
        assert_eq!(error_code(&s.get(&hidden, Some(&bob), &[]).await), 400);
        assert_eq!(error_code(&s.get(&hidden, Some(&key), &[]).await), 400);
        assert_eq!(
            s.get(&hidden, Some(&alice), &[]).await["total"],
            0,
            "an empty group has no content"
        );
        let search = s
            .get(
                "search",
                Some(&bob),
                &[("q", &format!("group:{public_group}"))],
            )
            .await;
        assert_eq!(search["total"], 2, "the search form agrees: {search}");
    }
);

on_both_backends!(
    members_are_searched_sorted_and_paged,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let alice = s.member(&admin, "alice", "org_user", "creatorUT").await;
        s.member(&admin, "bob", "org_user", "creatorUT").await;

        let all = s
            .get("community/users", Some(&alice), &[("q", "*"), ("num", "2")])
            .await;
        assert_eq!(
            (all["total"].clone(), all["nextStart"].clone()),
            (3.into(), 3.into()),
            "{all}"
        );
        assert_eq!(titles(&all, "results", "username"), ["admin", "alice"]);
        assert!(
            all["results"][1].get("email").is_none(),
            "results show public profiles"
        );
        let rest = s
            .get(
                "community/users",
                Some(&alice),
                &[("q", "*"), ("num", "2"), ("start", "3")],
            )
            .await;
        assert_eq!(titles(&rest, "results", "username"), ["bob"]);
        assert_eq!(rest["nextStart"], -1);

        let reversed = s
            .get(
                "community/users",
                Some(&admin),
                &[("q", "*"), ("sortField", "username"), ("sortOrder", "desc")],
            )
            .await;
        assert_eq!(
            titles(&reversed, "results", "username"),
            ["bob", "alice", "admin"]
        );
        let named = s
            .get("community/users", Some(&admin), &[("q", "lastname:bob")])
            .await;
        assert_eq!(titles(&named, "results", "username"), ["bob"]);
        let by_default_fields = s
            .get("community/users", Some(&admin), &[("q", "ALI*")])
            .await;
        assert_eq!(titles(&by_default_fields, "results", "username"), ["alice"]);

        // No public profiles: anonymous callers find nobody; a key its owner alone (as
        // `community/users/{u}` answers it), the other members only with a privilege that
        // covers members.
        let anonymous = s.get("community/users", None, &[("q", "*")]).await;
        assert_eq!(anonymous["total"], 0, "{anonymous}");
        let (_, _, plain) = key_with(&s, &admin, &["portal:user:viewOrgItems".into()], &[]).await;
        let own = s.get("community/users", Some(&plain), &[("q", "*")]).await;
        assert_eq!(titles(&own, "results", "username"), ["admin"], "{own}");
        let (_, _, covered) = key_with(&s, &admin, &["portal:user:viewOrgUsers".into()], &[]).await;
        assert_eq!(
            s.get("community/users", Some(&covered), &[("q", "*")])
                .await["total"],
            3
        );

        let bad_sort = s
            .get(
                "community/users",
                Some(&admin),
                &[("q", "*"), ("sortField", "email")],
            )
            .await;
        assert_eq!(error_code(&bad_sort), 400);
        assert_eq!(
            error_code(&s.get("community/users", Some(&admin), &[]).await),
            400,
            "'q' is required"
        );

        // The administrators' member list pages in the database too.
        let page = s
            .get(
                "portals/self/users",
                Some(&admin),
                &[("start", "2"), ("num", "1")],
            )
            .await;
        assert_eq!(
            (page["total"].clone(), page["nextStart"].clone()),
            (3.into(), 3.into()),
            "{page}"
        );
        assert_eq!(titles(&page, "users", "username"), ["alice"]);
    }
);
