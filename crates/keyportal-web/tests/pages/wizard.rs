//! The API key credentials wizard through the router: the first step, CSRF, a refused step
//! that keeps the input, and a complete creation answering the key once.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use keyportal_domain::time::{iso_date, DAY_MS};
use keyportal_service::Portal;

use crate::harness::{body, portal, post, send, PASSWORD};

fn set_cookie(response: &Response<Body>, name: &str) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .expect("cookie")
        .to_string()
}

/// Signs in as the administrator; answers (cookie header, CSRF token).
async fn sign_in(portal: &Arc<Portal>) -> (String, String) {
    let page = send(
        portal,
        Request::get("/home/signin")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let csrf = set_cookie(&page, "kp_csrf");
    let ok = send(
        portal,
        post(
            "/home/signin",
            &format!("kp_csrf={csrf}"),
            &format!("csrf={csrf}&username=admin&password={PASSWORD}"),
        ),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let token = set_cookie(&ok, "kp_session");
    (
        format!("kp_session={token}"),
        keyportal_web::csrf_for(&token),
    )
}

fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[tokio::test]
async fn the_wizard_creates_credentials_and_shows_the_key_once() {
    let (portal, _dir) = portal().await;
    let (cookie, csrf) = sign_in(&portal).await;

    let first = send(
        &portal,
        Request::get("/home/new/api-key-credentials")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    let html = body(first).await;
    assert!(html.contains("Step 1 of 7"));
    assert_eq!(html.matches("aria-current=\"step\"").count(), 1);

    let wizard = "/home/new/api-key-credentials";
    let forged = send(
        &portal,
        post(wizard, &cookie, "step=1&go=next&usage=private"),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let date = iso_date(portal.now() + 40 * DAY_MS);
    let fields_with = |referrers: &str, addresses: &str| {
        format!(
            "csrf={csrf}&step=7&go=create&usage=private&item_access=none&priv=premium%3Auser%3Abasemaps\
             &expiration={date}&referrers={}&addresses={}&title={}&folder=&new_folder=&tags=a%2Cb&description=&generate=now",
            enc(referrers),
            enc(addresses),
            enc("Router <keys>")
        )
    };
    let fields = |referrers: &str| fields_with(referrers, "203.0.113.0/24\n2001:db8::1");
    // A bad address too: step 4 again, naming it.
    let refused = send(
        &portal,
        post(
            wizard,
            &cookie,
            &fields_with("https://*.example.com", "10.0.0.5/24"),
        ),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let html = body(refused).await;
    assert!(html.contains("Step 4 of 7"));
    assert!(html.contains("&#39;10.0.0.5/24&#39;"), "{html}");
    // A bad referrer sends the member back to step 4 with the input kept.
    let refused = send(&portal, post(wizard, &cookie, &fields("ftp://x.example"))).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let html = body(refused).await;
    assert!(html.contains("Step 4 of 7"));
    assert!(html.contains("ftp://x.example</textarea>"));
    assert!(html.contains("aria-invalid=\"true\""));

    let created = send(
        &portal,
        post(wizard, &cookie, &fields("https://*.example.com")),
    )
    .await;
    assert_eq!(created.status(), StatusCode::OK);
    let html = body(created).await;
    assert!(html.contains("You will not see it again"));
    assert!(html.contains("value=\"AAPT"));
    assert!(html.contains("Router &lt;keys&gt;"));
    assert!(html.contains(&date));

    let caller = portal.system_caller().await.expect("system");
    let credentials = portal.list_credentials(&caller).await.expect("list");
    assert_eq!(credentials.len(), 1);
    let app = &credentials[0].app;
    assert_eq!(app.privileges, vec!["premium:user:basemaps".to_string()]);
    assert_eq!(
        app.http_referrers,
        vec!["https://*.example.com".to_string()]
    );
    assert_eq!(
        app.allowed_addresses,
        vec!["203.0.113.0/24".to_string(), "2001:db8::1".to_string()]
    );
    assert!(app.slots[0].active && app.slots[0].key_hash.is_some());
    assert!(app.slots[1].key_hash.is_none());
}
