//! The upstream allow-list (design §2.13, issue 10): a member cannot make the server read a
//! loopback or metadata address through a proxied item — refused when the proxy is enabled,
//! and at request time once the list no longer allows it; host names are checked by the
//! addresses they resolve to; redirects go back to the caller; only administrators change the
//! list (REST and CLI), and the running server follows the CLI's changes.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::upstream::Upstream;
use super::{allow_upstreams, code_of, get_with, proxied_item, proxy_settings_path, servers};
use crate::harness::{database_args, error_code, keyportal_command, TestServer, REFERER};
use crate::on_both_backends;

const LIST: &str = "portals/self/proxyAllowList";
const UPDATE: &str = "portals/self/proxyAllowList/update";

fn port_of(upstream: &Upstream) -> String {
    upstream.url.rsplit(':').next().unwrap().to_string()
}

/// Polls a proxied GET until it answers `status` (the server follows a notice within a
/// second; the bound only stops a broken build from hanging).
async fn until_status(s: &TestServer, url: &str, token: &str, status: u16) -> String {
    let started = Instant::now();
    loop {
        let (seen, body) = get_with(s, url, Some(token)).await;
        if seen == status || started.elapsed() > Duration::from_secs(10) {
            assert_eq!(seen, status, "{body}");
            return body;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

on_both_backends!(
    a_members_loopback_upstream_is_refused_when_enabled_and_when_requested,
    false,
    |s: TestServer| async move {
        // A service that listens on loopback only, as internal admin consoles do.
        let internal = Upstream::start().await;
        let port = port_of(&internal);
        let admin = s.admin_token().await;
        let member = s.member(&admin, "mallory", "org_user", "creatorUT").await;

        // The attack: an ordinary member's item pointing at it, with proxying enabled.
        let item = s
            .add_item(
                &member,
                "mallory",
                "Internal",
                &[
                    ("url", &format!("{}/admin", internal.url)),
                    ("type", "Map Service"),
                ],
            )
            .await;
        let settings = proxy_settings_path("mallory", &item);
        let refused = s
            .post(&settings, Some(&member), &[("enabled", "true")])
            .await;
        assert_eq!(error_code(&refused), 400, "{refused}");
        assert!(
            refused.to_string().contains(&format!(
                "'127.0.0.1' (port {port}) is not on the organization's proxy allow-list"
            )),
            "{refused}"
        );
        assert_eq!(
            s.get(&settings, Some(&member), &[]).await["configured"],
            false
        );
        let (status, _) = get_with(&s, &servers(&s, &item, "/"), Some(&member)).await;
        assert_eq!(status, 404);

        // Other spellings of loopback, the metadata address, the unspecified address.
        for url in [
            format!("http://[::ffff:127.0.0.1]:{port}/admin"),
            format!("http://[::1]:{port}/admin"),
            format!("http://0.0.0.0:{port}/admin"),
            format!("http://2130706433:{port}/admin"),
            "http://169.254.169.254/latest/meta-data".to_string(),
        ] {
            let other = s
                .add_item(
                    &member,
                    "mallory",
                    "Other",
                    &[("url", &url), ("type", "Map Service")],
                )
                .await;
            let refused = s
                .post(
                    &proxy_settings_path("mallory", &other),
                    Some(&member),
                    &[("enabled", "true")],
                )
                .await;
            assert_eq!(error_code(&refused), 400, "{url}: {refused}");
        }
        // Location services too, even for administrators.
        let service = s
            .post(
                "portals/self/locationServices/geocode",
                Some(&admin),
                &[("url", &format!("{}/geocode", internal.url))],
            )
            .await;
        assert_eq!(error_code(&service), 400, "{service}");
        assert!(
            internal.seen().is_empty(),
            "nothing reached the internal service"
        );

        // Named explicitly by an administrator, the upstream works.
        allow_upstreams(&s, &admin, &[&format!("127.0.0.1:{port}")]).await;
        let enabled = s
            .post(&settings, Some(&member), &[("enabled", "true")])
            .await;
        assert_eq!(enabled["success"], true, "{enabled}");
        let (status, body) = get_with(&s, &servers(&s, &item, "/info"), Some(&member)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(internal.last().path, "/admin/info");
        let list = s.get(LIST, Some(&admin), &[]).await;
        assert_eq!(list["entries"], json!([format!("127.0.0.1:{port}")]));
        assert_eq!(list["refusedUpstreams"], json!([]));

        // Taken off the list, the enabled item is refused at request time, naming the host.
        let removed = s
            .post(
                UPDATE,
                Some(&admin),
                &[("remove", &format!("127.0.0.1:{port}"))],
            )
            .await;
        assert_eq!(removed["success"], true, "{removed}");
        assert_eq!(
            removed["refusedUpstreams"],
            json!([{ "itemId": item, "host": "127.0.0.1", "port": port.parse::<u16>().unwrap() }])
        );
        let seen = internal.seen().len();
        let (status, body) = get_with(&s, &servers(&s, &item, "/info"), Some(&member)).await;
        assert_eq!((status, code_of(&body)), (403, 403), "{body}");
        assert!(
            body.contains(&format!("'127.0.0.1' (port {port})")),
            "{body}"
        );
        assert_eq!(
            internal.seen().len(),
            seen,
            "the request never left the server"
        );
    }
);

on_both_backends!(
    names_that_resolve_to_loopback_need_the_address_named,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let port = port_of(&up);
        let admin = s.admin_token().await;
        // The name is listed, so the proxy can be enabled; `localhost` resolves to loopback,
        // which the list does not name yet: the resolved address is what is checked.
        allow_upstreams(&s, &admin, &["localhost"]).await;
        let item = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("http://localhost:{port}/svc"),
            &[],
        )
        .await;
        let (status, body) = get_with(&s, &servers(&s, &item, "/info"), Some(&admin)).await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body.contains("'localhost' resolves to a loopback address"),
            "{body}"
        );
        assert!(
            !body.contains("127.0.0.1"),
            "addresses are not shown: {body}"
        );
        assert!(up.seen().is_empty());

        allow_upstreams(&s, &admin, &["127.0.0.0/8"]).await;
        let (status, body) = get_with(&s, &servers(&s, &item, "/info"), Some(&admin)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(up.last().path, "/svc/info");
    }
);

on_both_backends!(
    redirects_to_other_hosts_are_handed_back_not_followed,
    false,
    |s: TestServer| async move {
        let internal = Upstream::start().await;
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        // Only the redirecting upstream is allowed, not the internal one it points at.
        allow_upstreams(&s, &admin, &[&format!("127.0.0.1:{}", port_of(&up))]).await;
        let item = proxied_item(&s, &admin, "admin", &up.url, &[]).await;
        let target = format!("{}/secret", internal.url);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let answer = client
            .get(servers(&s, &item, "/redirect"))
            .query(&[("to", target.as_str()), ("token", admin.as_str())])
            .header("Referer", REFERER)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 302);
        assert_eq!(answer.headers()["location"], target.as_str());
        assert_eq!(up.seen().len(), 1);
        assert!(
            internal.seen().is_empty(),
            "the server did not follow the redirect"
        );
    }
);

on_both_backends!(
    only_administrators_change_the_list,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let member = s.member(&admin, "mallory", "org_user", "creatorUT").await;
        assert_eq!(error_code(&s.get(LIST, Some(&member), &[]).await), 403);
        for form in [[("add", "127.0.0.1")], [("entries", "[\"127.0.0.1\"]")]] {
            let denied = s.post(UPDATE, Some(&member), &form).await;
            assert_eq!(error_code(&denied), 403, "{denied}");
        }
        assert_eq!(error_code(&s.get(LIST, None, &[]).await), 499);
        assert_eq!(s.get(LIST, Some(&admin), &[]).await["entries"], json!([]));

        // Every bad entry is reported; nothing changes.
        let bad = s
            .post(
                UPDATE,
                Some(&admin),
                &[(
                    "entries",
                    r#"["gis.example.com","https://x.example.com/a","*.com","10.0.0.0/33"]"#,
                )],
            )
            .await;
        assert_eq!(error_code(&bad), 400, "{bad}");
        assert_eq!(
            bad["error"]["details"].as_array().unwrap().len(),
            3,
            "{bad}"
        );
        assert!(bad.to_string().contains("'x.example.com'"), "{bad}");
        assert_eq!(s.get(LIST, Some(&admin), &[]).await["entries"], json!([]));
        let both = s
            .post(
                UPDATE,
                Some(&admin),
                &[("entries", "[]"), ("add", "a.example.com")],
            )
            .await;
        assert_eq!(error_code(&both), 400, "{both}");
        let missing = s
            .post(UPDATE, Some(&admin), &[("remove", "a.example.com")])
            .await;
        assert_eq!(error_code(&missing), 400, "{missing}");

        // Replacing and emptying; entries come back in their canonical form.
        let set = s
            .post(
                UPDATE,
                Some(&admin),
                &[(
                    "entries",
                    r#"["GIS.example.com:443","10.1.2.3/8","[::1]:8080"]"#,
                )],
            )
            .await;
        assert_eq!(set["success"], true, "{set}");
        assert_eq!(
            set["entries"],
            json!(["gis.example.com:443", "10.0.0.0/8", "[::1]:8080"])
        );
        let emptied = s.post(UPDATE, Some(&admin), &[("entries", "[]")]).await;
        assert_eq!(emptied["entries"], json!([]), "{emptied}");
    }
);

fn cli(s: &TestServer, args: &[&str]) -> String {
    let out = keyportal_command()
        .args(["proxy", "allow-list"])
        .args(args)
        .args(database_args(s))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

on_both_backends!(
    the_cli_changes_the_list_and_the_running_server_follows,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let entry = format!("127.0.0.1:{}", port_of(&up));
        let admin = s.admin_token().await;
        assert!(cli(&s, &["list"]).contains("the allow-list is empty"));
        assert!(cli(&s, &["add", &entry, "*.example.com"]).contains(&entry));
        let listed: Value = s.get(LIST, Some(&admin), &[]).await;
        assert_eq!(listed["entries"], json!([entry, "*.example.com"]));

        let item = proxied_item(&s, &admin, "admin", &up.url, &[]).await;
        let url = servers(&s, &item, "/info");
        until_status(&s, &url, &admin, 200).await;

        let after = cli(&s, &["remove", &entry]);
        assert!(after.contains(&format!("item {item}")), "{after}");
        let body = until_status(&s, &url, &admin, 403).await;
        assert!(body.contains("allow-list"), "{body}");

        let refused = keyportal_command()
            .args(["proxy", "allow-list", "add", "not a host"])
            .args(database_args(&s))
            .output()
            .unwrap();
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("not a valid host name"));
    }
);
