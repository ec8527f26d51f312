//! What the attack families share: a SQLite server with a signed-in administrator, credentials
//! and keys, custom roles, `/verify` and raw requests whose headers the attacker controls.

use serde_json::{json, Value};

use crate::harness::{error_code, Backend, TestServer, REFERER};

pub const DAY: i64 = 86_400_000;

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A fresh SQLite server and the administrator's token.
pub async fn sqlite_server() -> (TestServer, String) {
    let s = TestServer::start(Backend::Sqlite, false)
        .await
        .expect("sqlite server");
    let admin = s.admin_token().await;
    (s, admin)
}

/// Registered developer credentials.
pub struct Credential {
    pub item: String,
    pub client_id: String,
    pub secret: String,
}

/// An `Application` item of `owner`, registered with `privileges` and `referrers`.
pub async fn credential(
    s: &TestServer,
    token: &str,
    owner: &str,
    privileges: &[&str],
    referrers: &[&str],
) -> Credential {
    let item = s
        .add_item(
            token,
            owner,
            "Keys under attack",
            &[("type", "Application")],
        )
        .await;
    let registered = s
        .post(
            "oauth2/registerApp",
            Some(token),
            &[
                ("itemId", &item),
                ("appType", "multiple"),
                ("privileges", &json!(privileges).to_string()),
                ("httpReferrers", &json!(referrers).to_string()),
            ],
        )
        .await;
    assert!(
        registered.get("error").is_none(),
        "registerApp: {registered}"
    );
    Credential {
        item,
        client_id: registered["client_id"].as_str().unwrap().to_string(),
        secret: registered["client_secret"].as_str().unwrap().to_string(),
    }
}

/// `oauth2/token` with `apiToken=slot` and `regenerateApiToken=true`: the new key.
pub async fn mint(s: &TestServer, c: &Credential, slot: &str) -> String {
    let minted = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", &c.client_id),
                ("client_secret", &c.secret),
                ("grant_type", "client_credentials"),
                ("apiToken", slot),
                ("regenerateApiToken", "true"),
            ],
        )
        .await;
    minted["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("mint: {minted}"))
        .to_string()
}

/// A custom role with exactly `privileges`, made by the administrator.
pub async fn role_with(s: &TestServer, admin: &str, name: &str, privileges: &[&str]) -> String {
    let created = s
        .post(
            "portals/self/createRole",
            Some(admin),
            &[("name", name), ("description", "security suite")],
        )
        .await;
    let role = created["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createRole: {created}"))
        .to_string();
    let set = s
        .post(
            &format!("portals/self/roles/{role}/setPrivileges"),
            Some(admin),
            &[(
                "privileges",
                &json!({ "privileges": privileges }).to_string(),
            )],
        )
        .await;
    assert_eq!(set["success"], true, "setPrivileges: {set}");
    role
}

/// A role's privileges, sorted, as the administrator reads them.
pub async fn role_privileges(s: &TestServer, admin: &str, role: &str) -> Vec<String> {
    let answer = s
        .get(
            &format!("portals/self/roles/{role}/getPrivileges"),
            Some(admin),
            &[],
        )
        .await;
    let mut privileges: Vec<String> = answer["privileges"]
        .as_array()
        .unwrap_or_else(|| panic!("getPrivileges: {answer}"))
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    privileges.sort();
    privileges
}

/// `/verify` with the key in `X-Esri-Authorization` (or none) and extra headers.
pub async fn verify(
    s: &TestServer,
    query: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = s.client.get(format!("{}/verify?{query}", s.url));
    if let Some(key) = key {
        request = request.header("X-Esri-Authorization", format!("Bearer {key}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A Sharing API GET with the caller's own headers (no `token` parameter unless in `query`).
pub async fn get_with_headers(
    s: &TestServer,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Value {
    let mut request = s.client.get(s.rest(path)).query(&[("f", "json")]);
    request = request.query(query);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "Sharing answers are HTTP 200");
    response.json().await.unwrap()
}

/// `portals/self` with a key and an optional Referer: the key's error code, 0 when it works.
pub async fn key_code(s: &TestServer, key: &str, referer: Option<&str>) -> i64 {
    error_code(&s.get_with_key("portals/self", key, referer).await)
}

/// Asserts an ArcGIS refusal: the code and, when given, a fragment of message or details.
pub fn assert_refused(answer: &Value, code: i64, fragment: Option<&str>, case: &str) {
    assert_eq!(error_code(answer), code, "{case}: {answer}");
    assert_ne!(answer["success"], true, "{case}: {answer}");
    if let Some(fragment) = fragment {
        let text = answer["error"].to_string();
        assert!(
            text.contains(fragment),
            "{case}: {fragment:?} not in {answer}"
        );
    }
}

/// An item as the administrator reads it.
pub async fn item(s: &TestServer, admin: &str, id: &str) -> Value {
    s.get(&format!("content/items/{id}"), Some(admin), &[])
        .await
}

/// A credential's registration as the administrator reads it.
pub async fn app_info(s: &TestServer, admin: &str, owner: &str, item: &str) -> Value {
    s.get(
        &format!("content/users/{owner}/items/{item}/registeredAppInfo"),
        Some(admin),
        &[],
    )
    .await
}

/// A member's profile as the administrator reads it.
pub async fn user(s: &TestServer, admin: &str, username: &str) -> Value {
    s.get(&format!("community/users/{username}"), Some(admin), &[])
        .await
}

/// A raw urlencoded POST to a Sharing path: the JSON answer (asserting HTTP 200).
pub async fn post_body(s: &TestServer, path: &str, body: String) -> Value {
    let response = s
        .client
        .post(s.rest(path))
        .header("Referer", REFERER)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}
