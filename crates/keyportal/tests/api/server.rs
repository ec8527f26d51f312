//! The server as a whole: HTTPS, restarts, health, and the CLI working beside a running server.

use std::process::{Command, Stdio};

use crate::harness::{database_args, error_code, TestServer, ADMIN_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    https_serves_the_same_api,
    true,
    |s: TestServer| async move {
        assert!(s.url.starts_with("https://"));
        let info = s.get("info", None, &[]).await;
        assert_eq!(
            info["authInfo"]["tokenServicesUrl"],
            format!("{}/sharing/rest/generateToken", s.url)
        );
        let token = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                    ("client", "referer"),
                    ("referer", crate::harness::REFERER),
                ],
            )
            .await;
        assert_eq!(token["ssl"], true);
        let me = s.get("portals/self", token["token"].as_str(), &[]).await;
        assert_eq!(me["allSSL"], true);
        assert_eq!(me["user"]["username"], "admin");
    }
);

on_both_backends!(
    data_and_tokens_survive_a_restart,
    false,
    |mut s: TestServer| async move {
        let token = s.admin_token().await;
        let id = s.add_item(&token, "admin", "Durable", &[]).await;
        s.restart().await;
        let item = s
            .get(&format!("content/items/{id}"), Some(&token), &[])
            .await;
        assert_eq!(item["title"], "Durable");
        let health = s
            .client
            .get(format!("{}/health", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
    }
);

fn keyportal() -> Command {
    crate::harness::keyportal_command()
}

on_both_backends!(
    the_cli_manages_members_while_the_server_runs,
    false,
    |s: TestServer| async move {
        let mut add = keyportal()
            .args([
                "user",
                "add",
                "--username",
                "carol",
                "--password-stdin",
                "--role",
                "org_publisher",
                "--user-type",
                "creatorUT",
                "--full-name",
                "Carol C",
                "--email",
                "carol@example.com",
            ])
            .args(database_args(&s))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        {
            use std::io::Write;
            add.stdin
                .take()
                .unwrap()
                .write_all(b"carol-pass-1\n")
                .unwrap();
        }
        let out = add.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "user add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = s.sign_in("carol", "carol-pass-1").await;
        let me = s.get("community/self", Some(&token), &[]).await;
        assert_eq!(me["role"], "org_publisher");
        assert_eq!(me["fullName"], "Carol C");

        let list = keyportal()
            .args(["user", "list"])
            .args(database_args(&s))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&list.stdout);
        assert!(
            text.contains("carol") && text.contains("admin") && text.contains("2 member(s)"),
            "{text}"
        );

        let role = keyportal()
            .args(["user", "set-role", "carol", "viewer"])
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(
            role.status.success(),
            "{}",
            String::from_utf8_lossy(&role.stderr)
        );
        assert_eq!(
            s.get("community/self", Some(&token), &[]).await["roleId"],
            "iAAAAAAAAAAAAAAA"
        );

        let disable = keyportal()
            .args(["user", "disable", "carol"])
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(disable.status.success());
        assert_eq!(
            error_code(&s.get("community/self", Some(&token), &[]).await),
            498
        );
        let enable = keyportal()
            .args(["user", "enable", "carol"])
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(enable.status.success());
        s.sign_in("carol", "carol-pass-1").await;

        let bad = keyportal()
            .args(["user", "set-role", "carol", "emperor"])
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("Unknown role"));

        let health = keyportal()
            .args(["healthcheck", "--url", &s.url])
            .output()
            .unwrap();
        assert!(health.status.success());
    }
);

#[test]
fn unknown_database_urls_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["mysql://localhost/db", "postgress://x", "keyportal.db"] {
        let out = keyportal()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(["--database", url])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{url} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("sqlite:") && stderr.contains("postgres://"),
            "{url}: {stderr}"
        );
    }
    assert!(
        !dir.path().join("keyportal.db").exists(),
        "no database was created"
    );
}

#[test]
fn healthcheck_fails_when_nothing_answers() {
    let out = keyportal()
        .args(["healthcheck", "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["user", "--help"],
        vec!["user", "add", "--help"],
        vec!["healthcheck", "--help"],
    ] {
        let out = keyportal().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

on_both_backends!(
    browsers_may_call_the_api_from_other_origins,
    false,
    |s: TestServer| async move {
        let preflight = s
            .client
            .request(reqwest::Method::OPTIONS, s.rest("portals/self"))
            .header("Origin", "https://app.example.com")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "x-esri-authorization")
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success());
        assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
        let allowed = preflight.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(allowed.contains("x-esri-authorization"), "{allowed}");
    }
);

on_both_backends!(
    the_openapi_document_is_served_and_printed_alike,
    false,
    |s: TestServer| async move {
        let answer = s
            .client
            .get(format!("{}/openapi.json", s.url))
            .header("Origin", "https://docs.example.com")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers()["content-type"], "application/json");
        assert_eq!(answer.headers()["access-control-allow-origin"], "*");
        let served: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(served["openapi"], "3.1.0");
        assert!(served["paths"]["/verify"]["get"].is_object());
        assert!(served["paths"]["/sharing/rest/search"]["post"].is_object());
        let printed = keyportal().arg("openapi").output().unwrap();
        assert!(printed.status.success());
        let printed: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
        assert_eq!(printed, served);
    }
);
