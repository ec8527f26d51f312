//! Text the API accepts (issue 10): control characters are refused by field, identically on
//! both backends (PostgreSQL cannot store NUL, SQLite can); bad path segments answer the ArcGIS
//! envelope; usernames are unique ignoring case; the legacy import applies the REST limits.

use std::io::Write;
use std::process::Stdio;

use serde_json::{json, Value};

use crate::harness::{database_args, error_code, keyportal_command, TestServer, REFERER};
use crate::on_both_backends;

/// A Sharing path, the form posted to it, and the field the refusal must name.
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

/// The answer's code and everything it says, for checking which field it names.
fn refusal(answer: &Value) -> (i64, String) {
    (error_code(answer), answer["error"].to_string())
}

async fn admin_create_user(s: &TestServer, admin: &str, username: &str, fullname: &str) -> Value {
    s.client
        .post(format!("{}/portaladmin/security/users/createUser", s.url))
        .header("Referer", REFERER)
        .form(&[
            ("username", username),
            ("password", "a-long-pass-1"),
            ("fullname", fullname),
            ("email", "x@example.com"),
            ("role", "org_user"),
            ("userLicenseTypeId", "creatorUT"),
            ("f", "json"),
            ("token", admin),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

on_both_backends!(
    control_characters_are_refused_by_field_on_both_backends,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let add = "content/users/admin/addItem";
        let web_map = ("type", "Web Map");
        let cases: Vec<Case> = vec![
            (add, vec![("title", "Map\0one"), web_map], "'title'"),
            (add, vec![("title", "Map\u{7}one"), web_map], "'title'"),
            (add, vec![("title", "Map\none"), web_map], "'title'"),
            (
                add,
                vec![("title", "T"), web_map, ("tags", "ok,b\u{1b}x")],
                "'tags'",
            ),
            (
                add,
                vec![("title", "T"), web_map, ("description", "a\0b")],
                "'description'",
            ),
            (
                add,
                vec![("title", "T"), web_map, ("snippet", "a\u{1}b")],
                "'snippet'",
            ),
            (
                "community/createGroup",
                vec![("title", "Team\0"), ("access", "org")],
                "'title'",
            ),
            (
                "community/createGroup",
                vec![("title", "Team\u{2}"), ("access", "org")],
                "'title'",
            ),
            (
                "portals/self/createRole",
                vec![("name", "Role\u{3}"), ("privileges", "[]")],
                "'name'",
            ),
            (
                "content/users/admin/createFolder",
                vec![("title", "F\0")],
                "'title'",
            ),
        ];
        for (path, form, field) in &cases {
            let answer = s.post(path, Some(&admin), form).await;
            let (code, said) = refusal(&answer);
            assert_eq!(code, 400, "{path} {form:?}: {answer}");
            assert!(
                said.contains(field),
                "{path} {form:?} should name {field}: {said}"
            );
        }
        let profile = admin_create_user(&s, &admin, "casey", "Casey\u{1}").await;
        let (code, said) = refusal(&profile);
        assert_eq!(code, 400, "{profile}");
        assert!(said.contains("'fullname'"), "{said}");

        // Nothing was stored; multi-line fields keep their line breaks.
        let ok = s
            .post(
                add,
                Some(&admin),
                &[("title", "Kept"), web_map, ("description", "one\r\n\ttwo")],
            )
            .await;
        assert_eq!(ok["success"], true, "{ok}");
        let content = s.get("content/users/admin", Some(&admin), &[]).await;
        let titles: Vec<&str> = content["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Kept"]);
        assert!(content["folders"].as_array().unwrap().is_empty());
        let item = s
            .get(
                &format!("content/items/{}", ok["id"].as_str().unwrap()),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(item["description"], "one\r\n\ttwo");

        // Look-ups by text holding NUL: refused or unknown, never an internal error.
        let signin = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", "ad\0min"),
                    ("password", "x"),
                    ("referer", "x"),
                    ("client", "referer"),
                ],
            )
            .await;
        assert_eq!(error_code(&signin), 400, "{signin}");
        for path in [
            "community/users/ad%00min",
            "community/users/ad%01min",
            "content/users/ad%00min",
        ] {
            let answer = s.get(path, Some(&admin), &[]).await;
            assert_eq!(error_code(&answer), 400, "{path}: {answer}");
        }
        let roles = s
            .post(
                "portals/self/updateUserRole",
                Some(&admin),
                &[("user", "ad\0min"), ("role", "org_user")],
            )
            .await;
        assert_eq!(error_code(&roles), 400, "{roles}");
    }
);

on_both_backends!(
    bad_path_segments_answer_the_arcgis_envelope,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        for path in [
            "community/users/%FF%FE",
            "content/items/%C3%28",
            "community/groups/%80",
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
        }
    }
);

on_both_backends!(
    usernames_are_unique_ignoring_case,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        s.member(&admin, "alice", "org_user", "creatorUT").await;
        for twin in ["Alice", "ALICE", "aLiCe"] {
            let answer = admin_create_user(&s, &admin, twin, "Twin").await;
            let (code, said) = refusal(&answer);
            assert_eq!(code, 409, "{twin}: {answer}");
            assert!(said.contains("'alice'"), "{said}");
        }
        // The CLI goes through the same rule.
        let mut child = keyportal_command()
            .args(["user", "add", "--username", "ALICE", "--password-stdin"])
            .args(database_args(&s))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"a-long-pass-1\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("alice"));
        let users = s.get("portals/self/users", Some(&admin), &[]).await;
        assert_eq!(users["total"], 2, "{users}");
        assert!(!s.sign_in("alice", "alice-pass-1").await.is_empty());
    }
);

on_both_backends!(
    legacy_import_applies_the_rest_limits_all_or_nothing,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let key = |n: u8| format!("AAPK{}", char::from(b'a' + n).to_string().repeat(64));
        let huge = "x".repeat(10 * 1024 * 1024);
        let entries = [
            json!({"key": key(0), "owner": "admin", "title": "Fine"}),
            json!({"key": key(1), "owner": "admin", "title": huge}),
            json!({"key": format!("AAPK{huge}"), "owner": "admin"}),
            json!({"key": key(3), "owner": "admin", "title": "bad\u{0}title"}),
        ];
        let lines: Vec<String> = entries.iter().map(Value::to_string).collect();
        let text = format!("{{\"keys\": [\n{}\n]}}\n", lines.join(",\n"));
        let file = s.data_dir.path().join("legacy-limits.json");
        std::fs::write(&file, text).unwrap();
        let out = keyportal_command()
            .args(["legacy", "import"])
            .arg(&file)
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(!out.status.success());
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.len() < 4096, "the message does not echo the input");
        assert!(said.contains("nothing was imported"), "{said}");
        assert!(
            said.contains("entry 2 (line 3): 'title' has more than 250 characters"),
            "{said}"
        );
        assert!(said.contains("entry 3 (line 4): 'key'"), "{said}");
        assert!(
            said.contains("entry 4 (line 5): 'title' cannot contain"),
            "{said}"
        );
        assert!(!said.contains("entry 1"), "{said}");
        let listed = s.get("portals/self/legacyKeys", Some(&admin), &[]).await;
        assert_eq!(listed["keys"], json!([]), "nothing was imported: {listed}");

        // A key imported before makes the whole file fail, before anything is stored.
        std::fs::write(
            &file,
            json!([{"key": key(0), "owner": "admin"}]).to_string(),
        )
        .unwrap();
        let first = keyportal_command()
            .args(["legacy", "import"])
            .arg(&file)
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(
            first.status.success(),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        let again = json!([{"key": key(5), "owner": "admin"}, {"key": key(0), "owner": "admin"}]);
        std::fs::write(&file, again.to_string()).unwrap();
        let repeated = keyportal_command()
            .args(["legacy", "import"])
            .arg(&file)
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(!repeated.status.success());
        assert!(String::from_utf8_lossy(&repeated.stderr).contains("entry 2 (line 1): 'key'"));
        let listed = s.get("portals/self/legacyKeys", Some(&admin), &[]).await;
        assert_eq!(listed["keys"].as_array().unwrap().len(), 1, "{listed}");
    }
);
