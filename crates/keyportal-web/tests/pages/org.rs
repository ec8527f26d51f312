//! The organization pages against a real `Portal` on SQLite: administrators only, CSRF on every
//! form, members and custom roles created through the forms, and the service's refusals shown.

use axum::http::{header, StatusCode};
use keyportal_service::RequestFacts;

use crate::harness::{body, get, header_of, portal, post, send, session, PASSWORD};

#[tokio::test]
async fn members_and_roles_through_the_forms() {
    let (portal, _dir) = portal().await;
    let (admin, csrf) = session(&portal, "admin", PASSWORD).await;

    let list = send(&portal, get("/home/organization", &admin)).await;
    assert_eq!(list.status(), StatusCode::OK);
    assert!(body(list)
        .await
        .contains("<h2 id=\"members-title\">Members</h2>"));

    // Without (or with a wrong) CSRF token nothing is created.
    let member = "username=kp.member&fullname=%3Cb%3EMember%3C%2Fb%3E&password=Member-pass-1%21&type=creatorUT&role=org_user";
    for forged in [
        member.to_string(),
        format!("{member}&csrf=00000000000000000000000000000000"),
    ] {
        let refused = send(
            &portal,
            post("/home/organization/members/new", &admin, &forged),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    let created = send(
        &portal,
        post(
            "/home/organization/members/new",
            &admin,
            &format!("{member}&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert!(header_of(&created, header::LOCATION)
        .starts_with("/home/organization/members/kp.member?notice="));
    let page = body(send(&portal, get("/home/organization/members/kp.member", &admin)).await).await;
    assert!(page.contains("&lt;b&gt;Member&lt;/b&gt;") && !page.contains("<b>Member"));

    // A custom role: privileges arrive as repeated fields.
    let role = send(
        &portal,
        post(
            "/home/organization/roles/new",
            &admin,
            &format!("csrf={csrf}&name=Key+makers&description=&privilege=portal%3Auser%3AcreateItem&privilege=portal%3Auser%3AgenerateApiTokens&action=save"),
        ),
    )
    .await;
    assert_eq!(role.status(), StatusCode::SEE_OTHER);
    let (admin_caller, role_id) = {
        let caller = portal
            .authenticate(
                Some(admin.trim_start_matches("kp_session=")),
                &RequestFacts::default(),
            )
            .await
            .expect("caller");
        let roles = portal.list_roles(&caller).await.expect("roles");
        let custom = roles
            .into_iter()
            .find(|r| r.name == "Key makers")
            .expect("created");
        assert_eq!(custom.privileges.len(), 2);
        (caller, custom.id)
    };
    let assigned = send(
        &portal,
        post(
            "/home/organization/members/kp.member/role",
            &admin,
            &format!("csrf={csrf}&role={role_id}"),
        ),
    )
    .await;
    assert_eq!(assigned.status(), StatusCode::SEE_OTHER);

    // In use: the service's refusal, on the confirmation page, with 409.
    let in_use = send(
        &portal,
        post(
            &format!("/home/organization/roles/{role_id}/delete"),
            &admin,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(in_use.status(), StatusCode::CONFLICT);
    assert!(body(in_use).await.contains("is assigned to 1 member(s)"));

    // The member is not an administrator: 403 pages, and their forms are refused too.
    let (member_cookie, member_csrf) = session(&portal, "kp.member", "Member-pass-1!").await;
    for path in [
        "/home/organization",
        "/home/organization/roles",
        "/home/organization/members/admin",
    ] {
        let refused = send(&portal, get(path, &member_cookie)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(body(refused).await.contains("Only administrators"));
    }
    let forged = send(
        &portal,
        post(
            "/home/organization/members/admin/disable",
            &member_cookie,
            &format!("csrf={member_csrf}"),
        ),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let admin_view = portal
        .get_user(&admin_caller, "admin")
        .await
        .expect("admin");
    assert!(!admin_view.user.disabled);
}
