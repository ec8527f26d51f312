//! The proxy allow-list page: administrators add and remove entries through CSRF-protected
//! forms, bad entries are shown and change nothing, members can neither see nor change it.

use axum::http::{header, StatusCode};
use keyportal_service::{NewUser, RequestFacts};

use crate::harness::{body, get, header_of, portal, post, send, session, PASSWORD};

const PAGE: &str = "/home/organization/proxy-allow-list";

#[tokio::test]
async fn administrators_edit_the_list_and_members_cannot() {
    let (portal, _dir) = portal().await;
    let (admin, csrf) = session(&portal, "admin", PASSWORD).await;
    let caller = portal
        .authenticate(
            Some(admin.trim_start_matches("kp_session=")),
            &RequestFacts::default(),
        )
        .await
        .expect("caller");
    let entries = || async {
        portal
            .proxy_allow_list(&caller)
            .await
            .expect("list")
            .entries
    };

    let shown = send(&portal, get(PAGE, &admin)).await;
    assert_eq!(shown.status(), StatusCode::OK);
    let html = body(shown).await;
    assert!(html.contains("no proxy can reach any upstream"), "{html}");
    assert!(html.contains("aria-current=\"page\">Proxy allow-list</a>"));

    // Without (or with a wrong) CSRF token nothing changes.
    let typed = "entries=127.0.0.1%3A8080%0A*.example.com";
    for forged in [
        typed.to_string(),
        format!("{typed}&csrf=00000000000000000000000000000000"),
    ] {
        let refused = send(&portal, post(PAGE, &admin, &forged)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    assert!(entries().await.is_empty());

    let added = send(&portal, post(PAGE, &admin, &format!("{typed}&csrf={csrf}"))).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert!(header_of(&added, header::LOCATION).starts_with(&format!("{PAGE}?notice=")));
    assert_eq!(entries().await, ["127.0.0.1:8080", "*.example.com"]);
    let html = body(send(&portal, get(PAGE, &admin)).await).await;
    assert!(html.contains("<code>127.0.0.1:8080</code>") && html.contains("Address (loopback)"));

    // A bad entry is shown with what was typed; nothing is added.
    let bad = send(
        &portal,
        post(
            PAGE,
            &admin,
            &format!("entries=ok.example.org%0Ahttps%3A%2F%2Fx.example.com%2Fa&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let html = body(bad).await;
    assert!(html.contains("Nothing was added") && html.contains("write only its host"));
    assert!(
        html.contains(">ok.example.org\nhttps://x.example.com/a</textarea>"),
        "{html}"
    );
    assert_eq!(entries().await, ["127.0.0.1:8080", "*.example.com"]);

    let removed = send(
        &portal,
        post(
            &format!("{PAGE}/remove"),
            &admin,
            &format!("entry=127.0.0.1%3A8080&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert_eq!(entries().await, ["*.example.com"]);

    // A member: a 403 page, and their forms change nothing.
    portal
        .create_user(
            &caller,
            NewUser {
                username: "kp.member".into(),
                password: "Member-pass-1!".into(),
                profile: Default::default(),
                role: None,
                user_type: None,
            },
        )
        .await
        .expect("member");
    let (member, member_csrf) = session(&portal, "kp.member", "Member-pass-1!").await;
    assert_eq!(
        send(&portal, get(PAGE, &member)).await.status(),
        StatusCode::FORBIDDEN
    );
    for (path, form) in [
        (PAGE.to_string(), "entries=127.0.0.1"),
        (format!("{PAGE}/remove"), "entry=*.example.com"),
    ] {
        let refused = send(
            &portal,
            post(&path, &member, &format!("{form}&csrf={member_csrf}")),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(entries().await, ["*.example.com"]);
}
