//! Item search: the query syntax the official clients send, visibility, paging, sorting.

use crate::harness::{error_code, TestServer};
use crate::on_both_backends;

on_both_backends!(
    search_understands_client_queries,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let app = s
            .add_item(
                &admin,
                "admin",
                "Credentials",
                &[("typeKeywords", "Registered App,APIToken")],
            )
            .await;
        s.post(
            &format!("content/users/admin/items/{app}/update"),
            Some(&admin),
            &[("type", "Application")],
        )
        .await;
        s.add_item(&admin, "admin", "Plain app", &[]).await;
        s.add_item(&admin, "admin", "My Item", &[("tags", "alpha")])
            .await;

        let python = "owner: admin  -typekeywords:(\"MapAreaPackage\") -type:(\"Map Area\" OR \"Indoors Map Configuration\" OR \"Code Attachment\") (type:(\"Application\" AND typekeywords:\"Registered App\" AND typekeywords:\"APIToken\"))";
        let found = s
            .post("search", Some(&admin), &[("q", python), ("num", "100")])
            .await;
        assert_eq!(found["total"], 1, "{found}");
        assert_eq!(found["results"][0]["id"], app.as_str());

        let phrase = s
            .get(
                "search",
                Some(&admin),
                &[("q", "owner:admin AND title:\"My Item\"")],
            )
            .await;
        assert_eq!(phrase["total"], 1);
        let either = s
            .get(
                "search",
                Some(&admin),
                &[("q", "tags:alpha OR type:Application")],
            )
            .await;
        assert_eq!(either["total"], 2);
        let negated = s
            .get("search", Some(&admin), &[("q", "owner:admin -tags:alpha")])
            .await;
        assert_eq!(negated["total"], 2);

        let broken = s
            .get("search", Some(&admin), &[("q", "title:(\"unbalanced")])
            .await;
        assert_eq!(error_code(&broken), 400);
        let empty = s.get("search", Some(&admin), &[("q", "")]).await;
        assert_eq!(error_code(&empty), 400);
        let bad_sort = s
            .get(
                "search",
                Some(&admin),
                &[("q", "*"), ("sortField", "1;drop")],
            )
            .await;
        assert_eq!(error_code(&bad_sort), 400);
    }
);

on_both_backends!(search_pages_and_sorts, false, |s: TestServer| async move {
    let admin = s.admin_token().await;
    for i in 0..12 {
        s.add_item(&admin, "admin", &format!("Item {i:02}"), &[])
            .await;
    }
    let first = s
        .get(
            "search",
            Some(&admin),
            &[
                ("q", "owner:admin"),
                ("num", "5"),
                ("sortField", "title"),
                ("sortOrder", "asc"),
            ],
        )
        .await;
    assert_eq!(first["total"], 12);
    assert_eq!(first["num"], 5);
    assert_eq!(first["nextStart"], 6);
    assert_eq!(first["results"][0]["title"], "Item 00");
    let last = s
        .get(
            "search",
            Some(&admin),
            &[
                ("q", "owner:admin"),
                ("num", "5"),
                ("start", "11"),
                ("sortField", "title"),
            ],
        )
        .await;
    assert_eq!(last["nextStart"], -1);
    assert_eq!(last["results"].as_array().unwrap().len(), 2);
    let desc = s
        .get(
            "search",
            Some(&admin),
            &[
                ("q", "owner:admin"),
                ("num", "1"),
                ("sortField", "title"),
                ("sortOrder", "desc"),
            ],
        )
        .await;
    assert_eq!(desc["results"][0]["title"], "Item 11");
    let capped = s
        .get("search", Some(&admin), &[("q", "*"), ("num", "1000")])
        .await;
    assert_eq!(capped["num"], 100);

    // Anonymous callers and other members only find what they may see.
    assert_eq!(
        s.get("search", None, &[("q", "owner:admin")]).await["total"],
        0
    );
});
