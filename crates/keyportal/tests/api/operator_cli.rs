//! The operator's small commands: `--version` names the schema, and `secret-key generate`
//! prints a key that a server (and a second node) accepts.

use crate::harness::{database_args, keyportal_command, TestServer};
use crate::on_both_backends;
use crate::outage::{credential, verify_status};
use crate::process::Node;

fn output_of(args: &[&str]) -> String {
    let output = keyportal_command()
        .args(args)
        .output()
        .expect("run keyportal");
    assert!(output.status.success(), "keyportal {args:?}: {output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn version_names_the_release_and_the_schema() {
    let version = output_of(&["--version"]);
    let expected = format!(
        "keyportal {} (schema {})\n",
        env!("CARGO_PKG_VERSION"),
        keyportal_store::SCHEMA_VERSION
    );
    assert_eq!(version, expected);
}

#[test]
fn generated_secret_keys_are_43_base64url_characters_and_differ() {
    let first = output_of(&["secret-key", "generate"]);
    let second = output_of(&["secret-key", "generate"]);
    for key in [&first, &second] {
        let key = key.trim_end_matches('\n');
        assert_eq!(key.len(), 43, "{key}");
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{key}"
        );
    }
    assert_ne!(first, second);
}

on_both_backends!(
    two_nodes_share_a_generated_secret_key,
    false,
    |mut s: TestServer| async move {
        if let Some(server) = s.server.take() {
            server.stop().await;
        }
        let secret = output_of(&["secret-key", "generate"]);
        let secret = secret.trim();
        let database = database_args(&s)[3].clone();
        let first = Node::start(s.data_dir.path(), &database, Some(secret)).await;
        s.url = first.url.clone();
        let admin = s.admin_token().await;
        let (client_id, _, key) = credential(&s, &admin, &first.url).await;
        // A second node with its own data dir reads the sealed client secret only with the
        // same server key.
        let other_dir = tempfile::tempdir().expect("dir");
        let second = Node::start(other_dir.path(), &database, Some(secret)).await;
        assert_eq!(verify_status(&s.client, &second.url, &key).await, Ok(200));
        s.url = second.url.clone();
        let app = s
            .get(&format!("oauth2/apps/{client_id}"), Some(&admin), &[])
            .await;
        assert!(
            app["client_secret"].as_str().is_some_and(|c| !c.is_empty()),
            "the second node unseals the client secret: {app}"
        );
    }
);
