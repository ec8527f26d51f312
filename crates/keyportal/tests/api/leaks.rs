//! Leaked keys: `oauth2/revokeLeakedKeys` (anyone, 60 an hour per address) and GitHub's
//! secret scanning endpoint. A report answers the same whatever it holds; only the live keys
//! in it die, on every node, with a record of when and where they were found.

use base64::Engine;
use keyportal::config::ServeConfig;
use keyportal_domain::leak::KeyLeak;
use keyportal_domain::secret::sha256_hex;
use keyportal_service::Caller;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};

use crate::harness::{database_args, error_code, keyportal_command, Backend, TestServer};
use crate::nodes::{key_works, second_node, until};
use crate::{on_both_backends, tuned_on_both_backends};

const FOUND_AT: &str = "https://github.com/someone/app/blob/main/config.js#L12";

/// An API key credential with key 1 minted: `(item id, client id, secret, key)`.
async fn credential(s: &TestServer, admin: &str, title: &str) -> (String, String, String, String) {
    let item = s
        .add_item(admin, "admin", title, &[("type", "Application")])
        .await;
    let app = s
        .post(
            "oauth2/registerApp",
            Some(admin),
            &[
                ("itemId", &item),
                ("privileges", r#"["premium:user:basemaps"]"#),
            ],
        )
        .await;
    let client_id = app["client_id"].as_str().unwrap().to_string();
    let secret = app["client_secret"].as_str().unwrap().to_string();
    let key = mint(s, &client_id, &secret, false).await;
    (item, client_id, secret, key)
}

async fn mint(s: &TestServer, client_id: &str, secret: &str, regenerate: bool) -> String {
    let minted = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", client_id),
                ("client_secret", secret),
                ("apiToken", "1"),
                (
                    "regenerateApiToken",
                    if regenerate { "true" } else { "false" },
                ),
            ],
        )
        .await;
    minted["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{minted}"))
        .to_string()
}

async fn report(s: &TestServer, base: &str, form: &[(&str, &str)]) -> Value {
    let mut form = form.to_vec();
    form.push(("f", "json"));
    s.client
        .post(format!("{base}/sharing/rest/oauth2/revokeLeakedKeys"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn leaks_of(s: &TestServer, item: &str) -> Vec<KeyLeak> {
    let portal = &s.server.as_ref().expect("in-process server").portal;
    let org_id = portal.org().await.unwrap().id;
    portal
        .key_leaks(&Caller::System { org_id }, item)
        .await
        .unwrap()
}

/// A well-formed key (valid checksum) that was never issued, and plain garbage.
fn never_issued() -> String {
    "AAPT0123456789abcdefghijklmnopqrstuvwxyzABCDE-_.AT1__tnx7Ff-".to_string()
}

on_both_backends!(
    a_report_answers_alike_and_kills_only_the_live_key,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, _, _, live) = credential(&s, &admin, "Leaky app").await;
        let (_, other_client, other_secret, dead) = credential(&s, &admin, "Rotated app").await;
        // `dead` was a real key, regenerated away; the new one is not reported.
        let kept = mint(&s, &other_client, &other_secret, true).await;
        let (_, _, _, bystander) = credential(&s, &admin, "Other app").await;
        for key in [&live, &kept, &bystander] {
            assert!(key_works(&s, &s.url, key).await);
        }
        assert!(!key_works(&s, &s.url, &dead).await);

        let with_live = json!([live, dead, "not a key at all"]).to_string();
        let without = json!([never_issued(), "AAPKshort", "garbage"]).to_string();
        let first = report(&s, &s.url, &[("keys", &with_live), ("source", FOUND_AT)]).await;
        let second = report(&s, &s.url, &[("keys", &without), ("source", FOUND_AT)]).await;
        assert_eq!(first, json!({ "success": true, "received": 3 }));
        assert_eq!(
            first, second,
            "the answer says nothing about what was found"
        );
        // One per line, as a scanner's output would be.
        let lines = format!("{}\n\n{}\r\n", never_issued(), "x");
        assert_eq!(
            report(&s, &s.url, &[("keys", &lines)]).await,
            json!({ "success": true, "received": 2 })
        );

        assert!(
            !key_works(&s, &s.url, &live).await,
            "the live key died at once"
        );
        for key in [&kept, &bystander] {
            assert!(key_works(&s, &s.url, key).await, "other keys keep working");
        }
        let info = s
            .get(
                &format!("content/users/admin/items/{item}/registeredAppInfo"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(info["apiToken1Active"], json!(false), "{info}");
        let leaks = leaks_of(&s, &item).await;
        assert_eq!(leaks.len(), 1, "{leaks:?}");
        assert_eq!(leaks[0].source, FOUND_AT);
        assert_eq!(leaks[0].slot.map(|slot| slot.number()), Some(1));
        assert!(leaks[0].key_hint.starts_with(&live[..8]) && leaks[0].key_hint.len() < 20);
        // The audit trail has one `key.leaked`: by anyone, with where it was found and the
        // hint, never the key.
        let events = s
            .get(
                &format!("content/users/admin/items/{item}/events"),
                Some(&admin),
                &[("types", "key.leaked")],
            )
            .await;
        assert_eq!(events["total"], 1, "{events}");
        let event = &events["events"][0];
        assert_eq!(event["actorKind"], "public", "{event}");
        assert_eq!(event["slot"], 1);
        assert_eq!(event["details"]["source"], FOUND_AT);
        assert!(!event.to_string().contains(&live), "no key in the event");
        // Reporting it again records nothing more.
        report(&s, &s.url, &[("keys", &with_live)]).await;
        assert_eq!(leaks_of(&s, &item).await.len(), 1);
        let again = s
            .get(
                "portals/self/events",
                Some(&admin),
                &[("types", "key.leaked")],
            )
            .await;
        assert_eq!(again["total"], 1, "{again}");

        // A legacy key reported as leaked is deactivated too.
        let legacy = format!(
            "AAPK{}",
            "9e4bf083681e434b8d7593a08954e918ro7MqS9xFOIwXyZ0123456789abcdefghij"
        );
        let file = s.data_dir.path().join("legacy.json");
        std::fs::write(&file, json!({"keys": [{"key": legacy, "owner": "admin", "title": "Old key", "privileges": ["premium:user:basemaps"]}]}).to_string()).unwrap();
        let out = keyportal_command()
            .args(["legacy", "import"])
            .arg(&file)
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        until(&s, &s.url, &legacy, true).await;
        let listed = s.get("portals/self/legacyKeys", Some(&admin), &[]).await;
        let legacy_item = listed["keys"][0]["itemId"].as_str().unwrap().to_string();
        let answer = report(&s, &s.url, &[("keys", &legacy), ("source", "a paste")]).await;
        assert_eq!(answer, json!({ "success": true, "received": 1 }));
        assert!(!key_works(&s, &s.url, &legacy).await);
        assert_eq!(leaks_of(&s, &legacy_item).await[0].source, "a paste");

        // Bad reports are refused whole, with a clear error, and count for nothing.
        let too_many = json!(vec![live.clone(); 1_001]).to_string();
        assert_eq!(
            error_code(&report(&s, &s.url, &[("keys", &too_many)]).await),
            400
        );
        assert_eq!(
            error_code(&report(&s, &s.url, &[("keys", &kept), ("source", "a\nb")]).await),
            400
        );
        assert_eq!(error_code(&report(&s, &s.url, &[]).await), 400);
        assert!(
            key_works(&s, &s.url, &kept).await,
            "a refused report revoked nothing"
        );
    }
);

on_both_backends!(
    reports_are_limited_to_sixty_an_hour_per_address,
    false,
    |s: TestServer| async move {
        for n in 0..60 {
            let answer = report(&s, &s.url, &[("keys", "garbage")]).await;
            assert_eq!(
                answer,
                json!({ "success": true, "received": 1 }),
                "report {n}"
            );
        }
        let refused = report(&s, &s.url, &[("keys", "garbage")]).await;
        assert_eq!(error_code(&refused), 429, "{refused}");
        assert!(refused["error"]["details"][0]
            .as_str()
            .unwrap()
            .starts_with("Retry after"));
        // GitHub's endpoint is not counted against it (its signature authenticates).
        let status = s
            .client
            .post(format!("{}/secret-scanning/github", s.url))
            .body("[]")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "not configured on this server");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_key_dies_on_every_node() {
    let Some(s) = TestServer::start(Backend::Postgres, false).await else {
        return;
    };
    let b = second_node(&s).await;
    let admin = s.admin_token().await;
    let (item, _, _, key) = credential(&s, &admin, "Two nodes").await;
    until(&s, &b.url, &key, true).await;
    // Reported to the second node, refused by both.
    let answer = report(
        &s,
        &b.url,
        &[("keys", &json!([key]).to_string()), ("source", FOUND_AT)],
    )
    .await;
    assert_eq!(answer, json!({ "success": true, "received": 1 }));
    assert!(
        !key_works(&s, &b.url, &key).await,
        "refused at once where it was reported"
    );
    until(&s, &s.url, &key, false).await;
    assert_eq!(leaks_of(&s, &item).await[0].source, FOUND_AT);
}

/// A server trusting a P-256 key pair generated for it: the public key in GitHub's document
/// shape (`github-keys.json`, `--secret-scanning-keys`), the private key beside it for the
/// test to sign with.
fn with_scanning_keys(config: &mut ServeConfig) {
    let dir = config.storage.data_dir.clone();
    std::fs::create_dir_all(&dir).unwrap();
    let signing = SigningKey::random(&mut rand::rngs::OsRng);
    let public = signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let document = json!({"public_keys": [
        {"key_identifier": "test-key-1", "key": public, "is_current": true},
    ]});
    std::fs::write(dir.join("github-keys.json"), document.to_string()).unwrap();
    let private = signing.to_pkcs8_pem(LineEnding::LF).unwrap();
    std::fs::write(dir.join("github-signing.pem"), private.as_bytes()).unwrap();
    config.secret_scanning_keys = Some(dir.join("github-keys.json"));
}

fn sign(s: &TestServer, body: &str) -> String {
    let pem = std::fs::read_to_string(s.data_dir.path().join("github-signing.pem")).unwrap();
    let key = SigningKey::from_pkcs8_pem(&pem).unwrap();
    let signature: Signature = key.sign(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
}

async fn github(
    s: &TestServer,
    body: &str,
    id: Option<&str>,
    signature: Option<&str>,
) -> (u16, Value) {
    let mut request = s
        .client
        .post(format!("{}/secret-scanning/github", s.url))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(id) = id {
        request = request.header("Github-Public-Key-Identifier", id);
    }
    if let Some(signature) = signature {
        request = request.header("Github-Public-Key-Signature", signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

tuned_on_both_backends!(
    github_reports_need_a_good_signature,
    false,
    with_scanning_keys,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, _, _, key) = credential(&s, &admin, "Pushed by mistake").await;
        let body = json!([
            {"token": key, "type": "keyportal_api_key", "url": FOUND_AT, "source": "content"},
            {"token": never_issued(), "type": "keyportal_api_key", "url": FOUND_AT, "source": "content"},
        ])
        .to_string();
        let good = sign(&s, &body);
        // Missing, unknown, tampered: 401, and the key keeps working.
        for (id, signature, sent) in [
            (None, None, body.clone()),
            (Some("test-key-1"), None, body.clone()),
            (Some("other-key"), Some(good.clone()), body.clone()),
            (
                Some("test-key-1"),
                Some("bm90IGEgc2lnbmF0dXJl".to_string()),
                body.clone(),
            ),
            (
                Some("test-key-1"),
                Some(good.clone()),
                body.replace("content", "commit"),
            ),
        ] {
            let (status, answer) = github(&s, &sent, id, signature.as_deref()).await;
            assert_eq!(status, 401, "{answer}");
            assert!(answer["message"].is_string());
            assert!(key_works(&s, &s.url, &key).await, "nothing revoked");
        }
        assert!(leaks_of(&s, &item).await.is_empty());

        let (status, answer) = github(&s, &body, Some("test-key-1"), Some(&good)).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer,
            json!([
                {"token_hash": sha256_hex(&key), "token_type": "keyportal_api_key", "label": "true_positive"},
                {"token_hash": sha256_hex(&never_issued()), "token_type": "keyportal_api_key", "label": "false_positive"},
            ])
        );
        assert!(!key_works(&s, &s.url, &key).await);
        assert_eq!(leaks_of(&s, &item).await[0].source, FOUND_AT);
        // The same report again: the key is no longer live.
        let (_, again) = github(&s, &body, Some("test-key-1"), Some(&good)).await;
        assert_eq!(again[0]["label"], "false_positive");
        // A signed body that is not a report: 400.
        let (status, _) = github(&s, "{}", Some("test-key-1"), Some(&sign(&s, "{}"))).await;
        assert_eq!(status, 400);
    }
);
