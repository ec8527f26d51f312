//! Server-side request forgery through the proxy (issue 10): a member's item pointing at
//! loopback, the metadata address, IPv6 loopback, `localhost` or a decimal IP cannot be
//! proxied; an allowed upstream redirecting inward is handed back, not followed; members and
//! API keys can neither read nor change the allow-list. Nothing reaches the internal service.

use serde_json::{json, Value};

use crate::harness::{error_code, TestServer, REFERER};
use crate::support::{assert_refused, credential, mint, sqlite_server};
use crate::upstream::Upstream;

const LIST: &str = "portals/self/proxyAllowList";
const UPDATE: &str = "portals/self/proxyAllowList/update";

fn port_of(upstream: &Upstream) -> String {
    upstream.url.rsplit(':').next().unwrap().to_string()
}

fn settings(owner: &str, item: &str) -> String {
    format!("content/users/{owner}/items/{item}/proxy")
}

/// A proxied GET through an item with the caller's token; (status, body).
async fn through(
    s: &TestServer,
    item: &str,
    rest: &str,
    token: &str,
    query: &[(&str, &str)],
) -> (u16, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/sharing/servers/{item}{rest}", s.url))
        .query(&[("token", token)])
        .query(query)
        .header("Referer", REFERER)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let body = response.text().await.unwrap();
    (status, location.unwrap_or(body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_proxy_to_internal_addresses() {
    let (s, admin) = sqlite_server().await;
    let internal = Upstream::start().await;
    let port = port_of(&internal);
    let member = s.member(&admin, "mallory", "org_user", "creatorUT").await;
    for url in [
        format!("http://127.0.0.1:{port}/admin"),
        format!("http://127.1:{port}/admin"),
        format!("http://0x7f000001:{port}/admin"),
        format!("http://2130706433:{port}/admin"),
        format!("http://[::1]:{port}/admin"),
        format!("http://[::ffff:127.0.0.1]:{port}/admin"),
        format!("http://localhost:{port}/admin"),
        format!("http://LOCALHOST.:{port}/admin"),
        format!("http://0.0.0.0:{port}/admin"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[fd00:ec2::254]/latest/meta-data/".to_string(),
        format!("https://127.0.0.1:{port}/admin"),
    ] {
        let item = s
            .add_item(
                &member,
                "mallory",
                "Internal",
                &[("url", &url), ("type", "Map Service")],
            )
            .await;
        let path = settings("mallory", &item);
        let refused = s.post(&path, Some(&member), &[("enabled", "true")]).await;
        // Refused as off the list, or as not a readable host at all (`127.1`, hex forms).
        assert_refused(&refused, 400, Some("Invalid proxy settings."), &url);
        let said = refused["error"]["details"].to_string();
        assert!(
            said.contains("is not on the organization's proxy allow-list")
                || said.contains("Invalid upstream URL"),
            "{url}: {refused}"
        );
        // Nothing changed: the item is not proxied.
        assert_eq!(
            s.get(&path, Some(&member), &[]).await["configured"],
            false,
            "{url}"
        );
        let (status, _) = through(&s, &item, "/info", &member, &[]).await;
        assert_eq!(status, 404, "{url}");
    }
    assert!(
        internal.seen().is_empty(),
        "a request reached the internal service"
    );
    assert_eq!(s.get(LIST, Some(&admin), &[]).await["entries"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_upstream_redirecting_inward_is_not_followed() {
    let (s, admin) = sqlite_server().await;
    let internal = Upstream::start().await;
    let up = Upstream::start().await;
    let allowed = format!("127.0.0.1:{}", port_of(&up));
    let added = s.post(UPDATE, Some(&admin), &[("add", &allowed)]).await;
    assert_eq!(added["success"], true, "{added}");
    let member = s.member(&admin, "mallory", "org_user", "creatorUT").await;
    let item = s
        .add_item(
            &member,
            "mallory",
            "Allowed",
            &[("url", &up.url), ("type", "Map Service")],
        )
        .await;
    let enabled = s
        .post(
            &settings("mallory", &item),
            Some(&member),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(enabled["success"], true, "{enabled}");
    for target in [
        format!("{}/secret", internal.url),
        format!("http://localhost:{}/secret", port_of(&internal)),
        "http://169.254.169.254/latest/meta-data/".to_string(),
    ] {
        let (status, location) = through(&s, &item, "/redirect", &member, &[("to", &target)]).await;
        assert_eq!((status, location.as_str()), (302, target.as_str()));
    }
    assert_eq!(up.seen().len(), 3);
    assert!(internal.seen().is_empty(), "the server followed a redirect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_and_keys_cannot_read_or_change_the_allow_list() {
    let (s, admin) = sqlite_server().await;
    let added = s
        .post(UPDATE, Some(&admin), &[("add", "gis.example.com")])
        .await;
    assert_eq!(added["success"], true, "{added}");
    let member = s.member(&admin, "mallory", "org_user", "creatorUT").await;
    let publisher = s.member(&admin, "pat", "org_publisher", "creatorUT").await;
    let c = credential(&s, &admin, "admin", &["portal:user:createItem"], &[]).await;
    let key = mint(&s, &c, "1").await;
    let changes: [&[(&str, &str)]; 4] = [
        &[("add", "127.0.0.1")],
        &[("add", "0.0.0.0/0")],
        &[("remove", "gis.example.com")],
        &[("entries", r#"["127.0.0.0/8","169.254.169.254"]"#)],
    ];
    for (who, token) in [
        ("member", &member),
        ("publisher", &publisher),
        ("admin's key", &key),
    ] {
        let read: Value = s.get(LIST, Some(token), &[]).await;
        assert_refused(&read, 403, None, &format!("{who} reads"));
        assert!(!read.to_string().contains("gis.example.com"), "{read}");
        for form in changes {
            let denied = s.post(UPDATE, Some(token), form).await;
            assert_refused(&denied, 403, None, &format!("{who} {form:?}"));
        }
    }
    assert_eq!(error_code(&s.get(LIST, None, &[]).await), 499);
    let denied = s.post(UPDATE, None, &[("add", "127.0.0.1")]).await;
    assert_refused(&denied, 499, None, "anonymous");
    // Nothing changed.
    assert_eq!(
        s.get(LIST, Some(&admin), &[]).await["entries"],
        json!(["gis.example.com"])
    );
}
