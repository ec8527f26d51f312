//! Family 5: the web portal under `/home`, over the real server. Forms without this session's
//! CSRF token are refused (403) and change nothing; stored and reflected markup is shown
//! escaped; every page carries the strict CSP; the cookies are HttpOnly and SameSite.

use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};

use crate::harness::{Backend, TestServer, ADMIN_PASSWORD};
use crate::support::{credential, item, key_code, mint, role_with, sqlite_server, user, verify};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A browser that keeps no cookies and follows no redirects: the tests send cookies by hand.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

/// The value of `name="csrf" value="…"` in a page.
fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap()
}

/// A signed-in web session: its `Cookie` header, its CSRF token and the `Set-Cookie` it got.
struct Session {
    cookie: String,
    csrf: String,
    set_cookie: String,
}

async fn sign_in(s: &TestServer, username: &str, password: &str) -> Session {
    let page = browser()
        .get(format!("{}/home/signin", s.url))
        .send()
        .await
        .unwrap();
    let signin_cookie = page.headers()[SET_COOKIE].to_str().unwrap().to_string();
    let token = cookie_value(&signin_cookie);
    let html = page.text().await.unwrap();
    assert_eq!(csrf_in(&html), token, "double-submit token");
    let answer = browser()
        .post(format!("{}/home/signin", s.url))
        .header("Cookie", format!("kp_csrf={token}"))
        .form(&[
            ("csrf", token.as_str()),
            ("username", username),
            ("password", password),
            ("next", "/home/content"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303, "sign-in");
    let set_cookie = answer
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("kp_session="))
        .expect("a session cookie");
    let cookie = format!("kp_session={}", cookie_value(&set_cookie));
    let content = open(s, &cookie, "/home/content").await;
    assert_eq!(content.0, 200);
    Session {
        csrf: csrf_in(&content.1),
        cookie,
        set_cookie,
    }
}

/// GET a page: (status, body).
async fn open(s: &TestServer, cookie: &str, path: &str) -> (u16, String) {
    let response = browser()
        .get(format!("{}{path}", s.url))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap(),
        CSP,
        "{path}"
    );
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// POST a form (already encoded): (status, body).
async fn submit(s: &TestServer, cookie: &str, path: &str, body: String) -> (u16, String) {
    let response = browser()
        .post(format!("{}{path}", s.url))
        .header("Cookie", cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_this_sessions_csrf_token_change_nothing() {
    let (s, admin) = sqlite_server().await;
    s.member(&admin, "pat", "org_user", "creatorUT").await;
    let web = sign_in(&s, "admin", ADMIN_PASSWORD).await;
    let other = sign_in(&s, "pat", "pat-pass-1").await;
    assert_ne!(web.csrf, other.csrf);
    let target = s.add_item(&admin, "admin", "Keep me", &[]).await;
    let c = credential(&s, &admin, "admin", &["premium:user:basemaps"], &[]).await;
    let key = mint(&s, &c, "1").await;

    let forms = [
        ("/home/folders".to_string(), "title=Forged".to_string()),
        (format!("/home/item/{target}/delete"), String::new()),
        (
            format!("/home/item/{}/keys/1/invalidate", c.item),
            String::new(),
        ),
        (
            format!("/home/item/{}/keys/1/regenerate", c.item),
            String::new(),
        ),
        (
            "/home/organization/members/pat/disable".to_string(),
            String::new(),
        ),
        (
            "/home/organization/members/pat/role".to_string(),
            "role=org_admin".to_string(),
        ),
        (
            "/home/organization/roles/new".to_string(),
            "name=Forged&description=x".to_string(),
        ),
        ("/home/signout".to_string(), String::new()),
    ];
    for (path, fields) in &forms {
        let sep = if fields.is_empty() { "" } else { "&" };
        for (case, body) in [
            ("no token", fields.clone()),
            ("an empty token", format!("{fields}{sep}csrf=")),
            (
                "another session's token",
                format!("{fields}{sep}csrf={}", other.csrf),
            ),
            (
                "a guessed token",
                format!("{fields}{sep}csrf={}", "0".repeat(32)),
            ),
        ] {
            let (status, html) = submit(&s, &web.cookie, path, body).await;
            assert_eq!(status, 403, "{path} with {case}");
            assert!(
                html.contains("did not come from this portal"),
                "{path}: {case}"
            );
        }
        // The right token in the query string instead of the form is not the form's token.
        let (status, _) = submit(
            &s,
            &web.cookie,
            &format!("{path}?csrf={}", web.csrf),
            fields.clone(),
        )
        .await;
        assert_eq!(status, 403, "{path} with the token in the query");
    }
    // Nothing changed: the item, the key, the member, the roles, the folders, the session.
    assert_eq!(item(&s, &admin, &target).await["title"], "Keep me");
    assert_eq!(
        key_code(&s, &key, None).await,
        0,
        "the key was not invalidated"
    );
    let pat = user(&s, &admin, "pat").await;
    assert_eq!(
        (pat["disabled"].as_bool(), pat["role"].as_str()),
        (Some(false), Some("org_user"))
    );
    let roles = s.get("portals/self/roles", Some(&admin), &[]).await;
    assert!(!roles.to_string().contains("Forged"), "{roles}");
    let content = s.get("content/users/admin", Some(&admin), &[]).await;
    assert!(
        !content["folders"].to_string().contains("Forged"),
        "{content}"
    );
    assert_eq!(
        open(&s, &web.cookie, "/home/content").await.0,
        200,
        "still signed in"
    );

    // Sign-in itself: without the double-submit cookie, or with a mismatched one.
    for (case, cookie) in [
        ("no cookie", String::new()),
        ("another cookie", "kp_csrf=ffff".to_string()),
    ] {
        let (status, html) = submit(
            &s,
            &cookie,
            "/home/signin",
            format!("csrf=eeee&username=admin&password={ADMIN_PASSWORD}"),
        )
        .await;
        assert_eq!(status, 403, "sign-in with {case}");
        assert!(!html.contains("kp_session"), "{case}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_and_reflected_markup_is_shown_escaped() {
    let (s, admin) = sqlite_server().await;
    let payloads = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(2)>",
        "'><svg onload=alert(3)>",
        "javascript:alert(4)",
    ];
    let id = s
        .add_item(
            &admin,
            "admin",
            payloads[0],
            &[
                ("description", payloads[1]),
                ("snippet", payloads[2]),
                ("tags", "<b>tag</b>"),
                ("url", "https://example.com/\"><script>alert(5)</script>"),
            ],
        )
        .await;
    let web = sign_in(&s, "admin", ADMIN_PASSWORD).await;
    let (status, _) = submit(
        &s,
        &web.cookie,
        "/home/folders",
        format!(
            "title=%3Cimg%20src%3Dx%20onerror%3Dalert(6)%3E&csrf={}",
            web.csrf
        ),
    )
    .await;
    assert_eq!(status, 303, "a folder with markup in its name");
    let folders = s.get("content/users/admin", Some(&admin), &[]).await["folders"].clone();
    assert_eq!(
        folders,
        serde_json::json!([]),
        "folder titles refuse < and >"
    );

    let raw = [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "<b>tag</b>",
        "href=\"javascript:",
        "\"><script>",
    ];
    for path in [
        "/home/content".to_string(),
        format!("/home/item/{id}"),
        format!("/home/item/{id}/delete"),
        "/home/content?notice=%3Cscript%3Ealert(7)%3C%2Fscript%3E".to_string(),
        "/home/content?q=%22%3E%3Cscript%3Ealert(8)%3C%2Fscript%3E".to_string(),
        "/home/item/%3Cscript%3Ealert(9)%3C%2Fscript%3E".to_string(),
        "/home/signin?next=%2Fhome%2F%22%3E%3Cscript%3Ealert(10)%3C%2Fscript%3E".to_string(),
    ] {
        let (_, html) = open(&s, &web.cookie, &path).await;
        for bad in raw {
            assert!(!html.contains(bad), "{path} shows {bad:?} unescaped");
        }
        assert!(!html.contains("onerror=alert(6)>"), "{path}");
    }
    let (_, content) = open(&s, &web.cookie, "/home/content").await;
    assert!(
        content.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the title, escaped"
    );
    let (_, page) = open(&s, &web.cookie, &format!("/home/item/{id}")).await;
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the title on its page"
    );
    assert!(
        page.contains("&lt;img src=x onerror=alert(2)&gt;"),
        "the description"
    );
    assert!(page.contains("&lt;svg onload=alert(3)&gt;"), "the summary");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_http_only_same_site_and_secure_over_https() {
    let s = TestServer::start(Backend::Sqlite, true)
        .await
        .expect("https server");
    let web = sign_in(&s, "admin", ADMIN_PASSWORD).await;
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/home", "Secure"] {
        assert!(web.set_cookie.contains(attribute), "{}", web.set_cookie);
    }
    let page = browser()
        .get(format!("{}/home/signin", s.url))
        .send()
        .await
        .unwrap();
    let signin_cookie = page.headers()[SET_COOKIE].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(signin_cookie.contains(attribute), "{signin_cookie}");
    }
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(
        page.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap(),
        CSP
    );
    // A session cookie chosen by an attacker is never adopted: sign-in issues a new one.
    let fixed = "kp_session=attacker-chosen-value";
    let (status, _) = open(&s, fixed, "/home/content").await;
    assert_eq!(status, 303, "an unknown session is sent to sign in");
    assert!(!web.cookie.contains("attacker-chosen-value"));
    // Signing out ends the session server-side: the old cookie no longer opens pages.
    let (status, _) = submit(
        &s,
        &web.cookie,
        "/home/signout",
        format!("csrf={}", web.csrf),
    )
    .await;
    assert_eq!(status, 303);
    let response = browser()
        .get(format!("{}/home/content", s.url))
        .header("Cookie", &web.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(response.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/home/signin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_leak_no_secret_redirect_elsewhere_or_export_formulas() {
    let (s, admin) = sqlite_server().await;
    let editors = role_with(
        &s,
        &admin,
        "Content editors",
        &[
            "portal:user:createItem",
            "portal:admin:viewUsers",
            "portal:admin:viewItems",
            "portal:admin:updateItems",
        ],
    )
    .await;
    s.member(&admin, "dave", &editors, "creatorUT").await;
    let high = credential(&s, &admin, "admin", &["portal:admin:changeUserRoles"], &[]).await;
    let dave = sign_in(&s, "dave", "dave-pass-1").await;
    // The client-secret page refuses a delegated administrator below the credential.
    let path = format!("/home/item/{}/secret", high.item);
    let (status, html) = submit(&s, &dave.cookie, &path, format!("csrf={}", dave.csrf)).await;
    assert_eq!(status, 404, "{html}");
    assert!(!html.contains(&high.secret), "the secret is on the page");
    assert!(
        html.contains("portal:admin:changeUserRoles"),
        "the refusal says why"
    );
    let (status, html) = open(
        &s,
        &dave.cookie,
        &format!("/home/item/{}/keys/1/regenerate", high.item),
    )
    .await;
    assert_eq!(status, 404, "{html}");

    // After sign-in, `next` never leads off the portal.
    for next in [
        "https://evil.example.com/",
        "//evil.example.com/home/",
        "/\\evil.example.com",
        "/home/../sharing/rest",
        "javascript:alert(1)",
    ] {
        let page = browser()
            .get(format!("{}/home/signin", s.url))
            .send()
            .await
            .unwrap();
        let token = cookie_value(page.headers()[SET_COOKIE].to_str().unwrap());
        let answer = browser()
            .post(format!("{}/home/signin", s.url))
            .header("Cookie", format!("kp_csrf={token}"))
            .form(&[
                ("csrf", token.as_str()),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 303, "{next}");
        assert_eq!(answer.headers()[LOCATION], "/home/content", "{next}");
    }

    // A credential titled like a spreadsheet formula is exported inert.
    let formula = "=HYPERLINK(\"https://evil.example.com\",\"x\")";
    let item = s
        .add_item(&admin, "admin", formula, &[("type", "Application")])
        .await;
    let registered = s
        .post(
            "oauth2/registerApp",
            Some(&admin),
            &[
                ("itemId", &item),
                ("privileges", r#"["premium:user:basemaps"]"#),
            ],
        )
        .await;
    let c = crate::support::Credential {
        item,
        client_id: registered["client_id"].as_str().unwrap().to_string(),
        secret: registered["client_secret"].as_str().unwrap().to_string(),
    };
    let key = mint(&s, &c, "1").await;
    assert_eq!(verify(&s, "service=basemaps", Some(&key), &[]).await.0, 200);
    let web = sign_in(&s, "admin", ADMIN_PASSWORD).await;
    let (status, csv) = open(&s, &web.cookie, "/home/organization/usage.csv").await;
    assert_eq!(status, 200, "{csv}");
    let line = csv
        .lines()
        .find(|l| l.contains(&c.client_id))
        .unwrap_or_else(|| panic!("no row for the credential:\n{csv}"));
    assert!(line.contains("\"'=HYPERLINK("), "{line}");
    assert!(
        !line.split(',').any(|field| field.starts_with('=')),
        "{line}"
    );
}
