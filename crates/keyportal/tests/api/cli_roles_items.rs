//! `keyportal role …`, `keyportal item …` and `keyportal completions` against a running
//! server's database: `--json` documents, exit codes, and the REST API seeing the change.

use serde_json::json;

use crate::cli_credentials::{cli, cli_fails, cli_json};
use crate::harness::TestServer;
use crate::on_both_backends;

on_both_backends!(cli_manages_roles, false, |s: TestServer| async move {
    let listed = cli_json(&s, &["role", "list"]);
    let names: Vec<&str> = listed["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"org_admin") && names.contains(&"org_user"),
        "{listed}"
    );

    let created = cli_json(
        &s,
        &[
            "role",
            "create",
            "--name",
            "Key keepers",
            "--description",
            "keys only",
            "--privilege",
            "portal:user:createItem,premium:user:geocode:temporary",
        ],
    );
    assert_eq!(created["success"], true);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["role"]["builtIn"], false);
    // By name, case aside; the REST API lists it too.
    let shown = cli_json(&s, &["role", "show", "key KEEPERS"]);
    assert_eq!(shown["id"], id.as_str());
    assert_eq!(
        shown["privileges"],
        json!(["portal:user:createItem", "premium:user:geocode:temporary"])
    );
    let admin = s.admin_token().await;
    let rest = s.get("portals/self/roles", Some(&admin), &[]).await;
    assert!(rest.to_string().contains("Key keepers"), "{rest}");

    let changed = cli_json(
        &s,
        &[
            "role",
            "set-privileges",
            &id,
            "--privilege",
            "portal:user:createItem",
        ],
    );
    assert_eq!(
        changed["role"]["privileges"],
        json!(["portal:user:createItem"])
    );
    let text = cli(&s, &["role", "show", &id]);
    assert!(
        text.stdout.contains("portal:user:createItem"),
        "{}",
        text.stdout
    );

    // Refusals exit 1, unknown roles 3, bad usage 2.
    cli_fails(
        &s,
        &[
            "role",
            "create",
            "--name",
            "key keepers",
            "--privilege",
            "portal:user:createItem",
        ],
        1,
    );
    cli_fails(
        &s,
        &[
            "role",
            "set-privileges",
            "org_admin",
            "--privilege",
            "portal:user:createItem",
        ],
        1,
    );
    cli_fails(&s, &["role", "delete", "org_user"], 1);
    cli_fails(&s, &["role", "show", "no such role"], 3);
    cli_fails(&s, &["role", "create", "--name", "x"], 2);

    let deleted = cli_json(&s, &["role", "delete", "Key keepers"]);
    assert_eq!(deleted, json!({ "success": true, "id": id }));
    cli_fails(&s, &["role", "delete", &id], 3);
});

on_both_backends!(
    cli_lists_shows_and_shares_items,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        s.member(&admin, "dana", "org_publisher", "creatorUT").await;
        let dana = s.sign_in("dana", "dana-pass-1").await;
        let own = s.add_item(&admin, "admin", "Admin map", &[]).await;
        let theirs = s.add_item(&dana, "dana", "Dana map", &[]).await;
        let group = s
            .post(
                "community/createGroup",
                Some(&admin),
                &[("title", "Mappers"), ("access", "org")],
            )
            .await;
        let group = group["group"]["id"].as_str().expect("group").to_string();

        // Administrators see every member's items; --owner narrows, --num pages.
        let all = cli_json(&s, &["item", "list"]);
        assert_eq!(all["total"], 2, "{all}");
        let danas = cli_json(&s, &["item", "list", "--owner", "dana"]);
        assert_eq!(danas["total"], 1);
        assert_eq!(danas["results"][0]["id"], theirs.as_str());
        let page = cli_json(&s, &["item", "list", "--num", "1"]);
        assert_eq!(page["results"].as_array().unwrap().len(), 1);
        assert_eq!(page["nextStart"], 2);
        let text = cli(&s, &["item", "list"]);
        assert!(text.stdout.contains("Dana map") && text.stdout.contains("Admin map"));

        let shown = cli_json(&s, &["item", "show", &theirs]);
        assert_eq!(shown["owner"], "dana");
        assert_eq!(shown["access"], "private");
        cli_fails(&s, &["item", "show", "0123456789abcdef0123456789abcdef"], 3);

        // Sharing someone else's item, as an administrator can; the REST API sees it.
        let shared = cli_json(&s, &["item", "share", &theirs, "--org", "--group", &group]);
        assert_eq!(shared, json!({ "itemId": theirs, "notSharedWith": [] }));
        let rest = s
            .get(&format!("content/items/{theirs}"), Some(&dana), &[])
            .await;
        assert_eq!(rest["access"], "org");
        let groups = s
            .get(&format!("content/items/{theirs}/groups"), Some(&admin), &[])
            .await;
        assert!(groups.to_string().contains(&group), "{groups}");
        let public = cli_json(&s, &["item", "share", &own, "--everyone"]);
        assert_eq!(public["itemId"], own.as_str());
        assert_eq!(cli_json(&s, &["item", "show", &own])["access"], "public");
        let private = cli_json(&s, &["item", "share", &own, "--private"]);
        assert_eq!(private["notSharedWith"], json!([]));
        assert_eq!(cli_json(&s, &["item", "show", &own])["access"], "private");

        // A group that does not exist is reported and exits 1.
        let missing = cli(
            &s,
            &[
                "item",
                "share",
                &own,
                "--group",
                "0123456789abcdef0123456789abcdef",
                "--json",
            ],
        );
        assert_eq!(missing.code, 1, "{}", missing.stderr);
        let answer: serde_json::Value = serde_json::from_str(&missing.stdout).unwrap();
        assert_eq!(
            answer["notSharedWith"],
            json!(["0123456789abcdef0123456789abcdef"])
        );
        cli_fails(&s, &["item", "share", &own, "--everyone", "--private"], 2);
    }
);

#[test]
fn cli_completions_cover_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = crate::harness::keyportal_command()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for word in [
            "credential",
            "regenerate",
            "set-privileges",
            "share",
            "json",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let bad = crate::harness::keyportal_command()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn cli_help_documents_the_exit_codes() {
    let out = crate::harness::keyportal_command()
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for text in [
        "Exit codes: 0 success",
        "1 the operation was refused",
        "2 bad usage",
        "3 the credential",
    ] {
        assert!(help.contains(text), "--help lacks '{text}': {help}");
    }
}
