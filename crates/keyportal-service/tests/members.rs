//! The organization's member list for administrators: filtered and paged by the database,
//! roles counted with one query, and refused to members without the privilege.

use std::sync::Arc;

use keyportal_domain::user::UserProfile;
use keyportal_domain::user_type::UserType;
use keyportal_service::{
    Caller, ManualClock, MemberQuery, NewUser, Portal, RequestFacts, ServiceError, TokenClient,
};

mod support;
use support::portal_on;

const START: i64 = 1_750_000_000_000;

async fn member(portal: &Portal, system: &Caller, name: &str, role: &str, user_type: &str) {
    portal
        .create_user(
            system,
            NewUser {
                username: name.into(),
                password: format!("{name}-pass-1234"),
                profile: UserProfile {
                    full_name: format!("{name} Example"),
                    ..UserProfile::default()
                },
                role: Some(role.into()),
                user_type: Some(user_type.into()),
            },
        )
        .await
        .expect("member");
}

async fn signed_in(portal: &Portal, name: &str) -> Caller {
    let issued = portal
        .generate_token(
            name,
            &format!("{name}-pass-1234"),
            TokenClient::RequestIp,
            Some(60),
            &RequestFacts::default(),
        )
        .await
        .expect("token");
    portal
        .authenticate(Some(issued.token.expose()), &RequestFacts::default())
        .await
        .expect("caller")
}

#[tokio::test]
async fn administrators_list_members_a_page_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let portal = portal_on(dir.path(), Arc::new(ManualClock::new(START))).await;
    portal
        .bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    let system = portal.system_caller().await.expect("system");
    for (name, role, user_type) in [
        ("ann", "org_user", "creatorUT"),
        ("ben", "viewer", "viewerUT"),
        ("cyd", "org_user", "creatorUT"),
        ("dee", "org_publisher", "creatorUT"),
    ] {
        member(&portal, &system, name, role, user_type).await;
    }
    portal
        .set_user_disabled(&system, "cyd", true)
        .await
        .expect("disable");

    let all = portal
        .search_members(&system, &MemberQuery::default(), 1, 2)
        .await
        .expect("page");
    let names: Vec<&str> = all
        .members
        .iter()
        .map(|v| v.user.username.as_str())
        .collect();
    assert_eq!((names, all.total), (vec!["ann", "ben"], 5));
    // Each view carries the role and the privileges it gives (none while disabled).
    let users = MemberQuery {
        role_id: Some("org_user".into()),
        ..MemberQuery::default()
    };
    let page = portal
        .search_members(&system, &users, 0, 10)
        .await
        .expect("users");
    assert_eq!(page.total, 2);
    assert_eq!(page.members[0].role.id, "org_user");
    assert!(!page.members[0].privileges.is_empty());
    assert!(page.members[1].user.disabled && page.members[1].privileges.is_empty());
    let enabled_creators = MemberQuery {
        text: " EXAMPLE ".into(),
        user_type: Some(UserType::Creator),
        disabled: Some(false),
        ..MemberQuery::default()
    };
    let page = portal
        .search_members(&system, &enabled_creators, 0, 10)
        .await
        .expect("creators");
    let names: Vec<&str> = page
        .members
        .iter()
        .map(|v| v.user.username.as_str())
        .collect();
    assert_eq!(names, ["ann", "dee"]);

    let counts = portal.count_members_by_role(&system).await.expect("counts");
    assert_eq!(counts.get("org_user"), Some(&2));
    assert_eq!(counts.get("org_admin"), Some(&1));
    assert_eq!(counts.get("org_publisher"), Some(&1));

    // A member without the privilege to list members gets neither.
    let ann = signed_in(&portal, "ann").await;
    assert!(matches!(
        portal
            .search_members(&ann, &MemberQuery::default(), 0, 10)
            .await,
        Err(ServiceError::Domain(_))
    ));
    assert!(portal.count_members_by_role(&ann).await.is_err());
}
