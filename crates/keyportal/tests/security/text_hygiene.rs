//! Text hygiene (issue 10): NUL and other control characters in titles, tags, role names,
//! usernames (in forms and in paths) and createUser fields are a 400 naming the field, never
//! a 500, store nothing, and read the same on SQLite and PostgreSQL (which cannot store NUL).
//! Invalid UTF-8 in a Sharing path is the ArcGIS envelope; usernames differing only by case
//! cannot both exist.

use serde_json::Value;

use crate::harness::{error_code, TestServer, REFERER};
use crate::on_both_backends;
use crate::support::{assert_refused, item, sqlite_server, user};

/// A route, the form sent to it, and what the refusal must say (the field it names).
type TextCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

async fn create_user(s: &TestServer, admin: &str, fields: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("password", "a-long-pass-1"),
        ("email", "x@example.com"),
        ("role", "org_user"),
        ("userLicenseTypeId", "creatorUT"),
        ("f", "json"),
        ("token", admin),
    ];
    form.extend_from_slice(fields);
    s.client
        .post(format!("{}/portaladmin/security/users/createUser", s.url))
        .header("Referer", REFERER)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Everything the administrator can see that an attack could have added to.
async fn snapshot(s: &TestServer, admin: &str, item_id: &str) -> Vec<Value> {
    vec![
        s.get("content/users/admin", Some(admin), &[]).await["items"].clone(),
        item(s, admin, item_id).await,
        s.get("community/groups", Some(admin), &[("q", "*")]).await["results"].clone(),
        s.get("portals/self/roles", Some(admin), &[]).await["roles"].clone(),
        s.get("portals/self/users", Some(admin), &[]).await["total"].clone(),
    ]
}

on_both_backends!(
    control_characters_are_refused_by_field_and_change_nothing,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let existing = s.add_item(&admin, "admin", "Existing", &[]).await;
        let update = format!("content/users/admin/items/{existing}/update");
        let before = snapshot(&s, &admin, &existing).await;
        let add = "content/users/admin/addItem";
        let map = ("type", "Web Map");
        let cases: Vec<TextCase> = vec![
            (add, vec![("title", "Map\0"), map], "'title'"),
            (add, vec![("title", "Map\u{1b}[31m"), map], "'title'"),
            (add, vec![("title", "Map\u{7f}"), map], "'title'"),
            (add, vec![("title", "Map\u{85}x"), map], "'title'"),
            (
                add,
                vec![("title", "Map\r\nSet-Cookie: x=1"), map],
                "'title'",
            ),
            (add, vec![("title", "T"), map, ("tags", "a,b\0c")], "'tags'"),
            (
                add,
                vec![("title", "T"), map, ("tags", "a,\u{8}")],
                "'tags'",
            ),
            (&update, vec![("title", "Renamed\0")], "'title'"),
            (&update, vec![("tags", "x\u{1}")], "'tags'"),
            (
                "community/createGroup",
                vec![("title", "G\0"), ("access", "org")],
                "'title'",
            ),
            (
                "community/createGroup",
                vec![("title", "G\u{c}x"), ("access", "org")],
                "'title'",
            ),
            ("portals/self/createRole", vec![("name", "R\0")], "'name'"),
            (
                "portals/self/createRole",
                vec![("name", "R\u{9b}")],
                "'name'",
            ),
            (
                "portals/self/updateUserRole",
                vec![("user", "admin\0"), ("role", "org_user")],
                "'user'",
            ),
        ];
        for (path, form, field) in &cases {
            let answer = s.post(path, Some(&admin), form).await;
            assert_refused(&answer, 400, Some(field), &format!("{path} {form:?}"));
        }
        // Usernames in forms and paths.
        for username in ["ad\0min", "ad\u{1}min", "admin\u{7f}"] {
            let signin = s
                .post(
                    "generateToken",
                    None,
                    &[
                        ("username", username),
                        ("password", "x"),
                        ("client", "referer"),
                        ("referer", REFERER),
                    ],
                )
                .await;
            assert_refused(&signin, 400, None, &format!("generateToken {username:?}"));
            assert!(signin.get("token").is_none(), "{signin}");
        }
        for path in [
            "community/users/ad%00min",
            "community/users/admin%00",
            "community/users/ad%1Bmin",
            "community/users/ad%7Fmin",
            "community/users/%00",
            "content/users/ad%00min",
        ] {
            let answer = s.get(path, Some(&admin), &[]).await;
            assert_refused(&answer, 400, None, path);
        }
        // createUser names the field; nobody is created.
        for (field, form) in [
            (
                "'username'",
                vec![("username", "bob\0"), ("fullname", "Bob")],
            ),
            (
                "Invalid username.",
                vec![("username", "bob\u{1}"), ("fullname", "Bob")],
            ),
            (
                "'fullname'",
                vec![("username", "bob"), ("fullname", "Bob\0")],
            ),
            (
                "'firstname'",
                vec![("username", "bob"), ("firstname", "B\u{2}")],
            ),
            (
                "'email'",
                vec![
                    ("username", "bob"),
                    ("fullname", "Bob"),
                    ("email", "b\0@x.org"),
                ],
            ),
        ] {
            let answer = create_user(&s, &admin, &form).await;
            assert_refused(&answer, 400, Some(field), &format!("createUser {form:?}"));
        }
        assert_refused(&user(&s, &admin, "bob").await, 400, None, "bob absent");
        assert_eq!(
            snapshot(&s, &admin, &existing).await,
            before,
            "something was stored"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_paths_answer_the_envelope() {
    let (s, admin) = sqlite_server().await;
    for path in [
        "community/users/%FF",
        "community/users/%C0%AF",
        "content/users/%ED%A0%80/items",
        "content/items/%F8%88%80%80%80",
        "community/groups/%E2%82",
        "portals/self/roles/%FE/getPrivileges",
    ] {
        let response = s
            .client
            .get(s.rest(path))
            .query(&[("f", "json"), ("token", admin.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "{path}: Sharing errors are HTTP 200"
        );
        let answer: Value = response.json().await.expect("the ArcGIS envelope");
        assert_eq!(error_code(&answer), 400, "{path}: {answer}");
        assert_ne!(answer["error"]["message"], "", "{path}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usernames_differing_only_by_case_cannot_both_exist() {
    let (s, admin) = sqlite_server().await;
    let alice = s.member(&admin, "alice", "org_user", "creatorUT").await;
    for twin in ["ALICE", "Alice", "alicE"] {
        let answer = create_user(&s, &admin, &[("username", twin), ("fullname", "Twin")]).await;
        assert_refused(&answer, 409, Some("'alice'"), twin);
    }
    let users = s.get("portals/self/users", Some(&admin), &[]).await;
    assert_eq!(users["total"], 2, "{users}");
    // The original keeps its profile and its password.
    assert_eq!(user(&s, &admin, "alice").await["fullName"], "Test alice");
    assert_eq!(
        s.get("community/self", Some(&alice), &[]).await["username"],
        "alice"
    );
}
