//! The portal's router against a real `Portal` on SQLite: redirects, headers, sign-in with the
//! double-submit cookie, the session cookie, and CSRF on a member's form.

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};

use crate::harness::{body, header_of, portal, post, send, PASSWORD};

fn cookies(response: &Response<Body>) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_string())
        .collect()
}

#[tokio::test]
async fn an_expired_session_posting_a_form_returns_to_the_form_after_sign_in() {
    let (portal, _dir) = portal().await;
    let posted = |referer: &'static str| {
        Request::post("/home/item/0123456789abcdef0123456789abcdef/keys/1/invalidate")
            .header(header::REFERER, referer)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("csrf=x"))
            .expect("request")
    };
    let response = send(
        &portal,
        posted("https://portal.example.com/home/item/0123456789abcdef0123456789abcdef"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&response, header::LOCATION),
        "/home/signin?next=%2Fhome%2Fitem%2F0123456789abcdef0123456789abcdef"
    );
    // Never back to another site, nor to a page outside the portal.
    for elsewhere in [
        "https://evil.example/home/x",
        "https://portal.example.com//evil.example/",
    ] {
        let response = send(&portal, posted(elsewhere)).await;
        let location = header_of(&response, header::LOCATION);
        assert!(
            location == "/home/signin?next=%2Fhome%2Fcontent"
                || location == "/home/signin?next=%2Fhome%2Fx",
            "{location}"
        );
    }
}

#[tokio::test]
async fn anonymous_pages_redirect_with_strict_headers() {
    let (portal, _dir) = portal().await;
    let response = send(
        &portal,
        Request::get("/home/content?q=maps")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&response, header::LOCATION),
        "/home/signin?next=%2Fhome%2Fcontent%3Fq%3Dmaps"
    );
    let csp = header_of(&response, header::CONTENT_SECURITY_POLICY);
    for part in [
        "default-src 'none'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert_eq!(header_of(&response, header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(header_of(&response, header::REFERRER_POLICY), "same-origin");
    assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-store");

    let css = send(
        &portal,
        Request::get("/home/static/portal.css")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(header_of(&css, header::CONTENT_TYPE).starts_with("text/css"));
}

#[tokio::test]
async fn sign_in_needs_the_double_submit_cookie_and_sets_a_safe_session() {
    let (portal, _dir) = portal().await;
    let page = send(
        &portal,
        Request::get("/home/signin?next=%2Fhome%2Fitem%2Fabc")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let set = cookies(&page);
    let csrf_cookie = set
        .iter()
        .find(|c| c.starts_with("kp_csrf="))
        .expect("kp_csrf cookie");
    assert!(csrf_cookie.contains("SameSite=Strict") && csrf_cookie.contains("HttpOnly"));
    let csrf = csrf_cookie["kp_csrf=".len()..]
        .split(';')
        .next()
        .expect("value")
        .to_string();
    let html = body(page).await;
    assert!(html.contains(&format!("name=\"csrf\" value=\"{csrf}\"")));
    assert!(html.contains("name=\"next\" value=\"/home/item/abc\""));

    // Without the cookie (a forged cross-site form), refused.
    let forged = send(
        &portal,
        post(
            "/home/signin",
            "",
            &format!("csrf={csrf}&username=admin&password={PASSWORD}"),
        ),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // A wrong password: the REST API's message, no session.
    let wrong = send(
        &portal,
        post(
            "/home/signin",
            &format!("kp_csrf={csrf}"),
            &format!("csrf={csrf}&username=admin&password=nope"),
        ),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::OK);
    assert!(!cookies(&wrong).iter().any(|c| c.starts_with("kp_session=")));
    assert!(body(wrong).await.contains("Invalid username or password."));

    // The right one, with an off-site `next`: lands on My content.
    let ok = send(
        &portal,
        post(
            "/home/signin",
            &format!("kp_csrf={csrf}"),
            &format!("csrf={csrf}&username=admin&password={PASSWORD}&next=%2F%2Fevil.example%2F"),
        ),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(header_of(&ok, header::LOCATION), "/home/content");
    let session_cookie = cookies(&ok)
        .into_iter()
        .find(|c| c.starts_with("kp_session="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/home"] {
        assert!(session_cookie.contains(attribute), "{session_cookie}");
    }
    assert!(!session_cookie.contains("Secure"), "plain HTTP here");
    let token = session_cookie["kp_session=".len()..]
        .split(';')
        .next()
        .expect("value")
        .to_string();
    let session = format!("kp_session={token}");

    let content = send(
        &portal,
        Request::get("/home/content")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(content.status(), StatusCode::OK);
    let html = body(content).await;
    assert!(html.contains("<h1>My content</h1>"));
    let expected_csrf = keyportal_web::csrf_for(&token);
    assert!(html.contains(&expected_csrf));

    // A member's form without (or with a wrong) CSRF token: 403, nothing created.
    for fields in [
        "title=Forged",
        "title=Forged&csrf=00000000000000000000000000000000",
    ] {
        let refused = send(&portal, post("/home/folders", &session, fields)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    let created = send(
        &portal,
        post(
            "/home/folders",
            &session,
            &format!("title=Real&csrf={expected_csrf}"),
        ),
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let listing = send(
        &portal,
        Request::get("/home/content")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let html = body(listing).await;
    assert!(html.contains(">Real</a>") && !html.contains("Forged"));

    // Signing out revokes the token.
    let out = send(
        &portal,
        post("/home/signout", &session, &format!("csrf={expected_csrf}")),
    )
    .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = send(
        &portal,
        Request::get("/home/content")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
}
