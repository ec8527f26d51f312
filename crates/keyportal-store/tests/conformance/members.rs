//! Member listings the database filters and pages (the organization's member list) and the
//! count of members per role (the roles page).

use keyportal_domain::user_type::UserType;
use keyportal_store::{MemberFilter, SqlStore, UserStore};

use crate::fixtures::*;

/// Seven members with names, emails, roles, user types and states to filter on.
async fn seed(store: &SqlStore) {
    for (name, full, role, user_type, disabled) in [
        ("amy", "Amy Adams", "org_admin", UserType::Creator, false),
        ("bob", "Bob 50%_off", "org_user", UserType::Viewer, false),
        ("carla", "Carla Diaz", "org_user", UserType::Creator, true),
        ("dan", "Dan Brown", "custom1", UserType::Contributor, false),
        ("Eve", "EVE ONLINE", "org_user", UserType::Creator, false),
        ("fred", "Fred", "custom1", UserType::Viewer, true),
        (
            "gus",
            "Gus back\\slash",
            "org_user",
            UserType::Creator,
            false,
        ),
    ] {
        let mut u = user(name);
        u.full_name = full.into();
        u.email = format!("{}@Example.org", name.to_lowercase());
        u.role_id = role.into();
        u.user_type = user_type;
        u.disabled = disabled;
        store.create_user(&u, "h").await.expect("create");
    }
}

async fn names(store: &SqlStore, filter: MemberFilter<'_>) -> (Vec<String>, usize) {
    let (users, total) = store.list_members(&filter, 0, 100).await.expect("list");
    (users.into_iter().map(|u| u.username).collect(), total)
}

pub(crate) async fn members_are_filtered_and_paged_in_the_database(store: &SqlStore) {
    seed(store).await;
    let all = MemberFilter::default();
    // Byte order of usernames, as list_users: upper case first.
    let (every, total) = names(store, all).await;
    assert_eq!(every, ["Eve", "amy", "bob", "carla", "dan", "fred", "gus"]);
    assert_eq!(total, 7);

    // Pages of three, with the total on each.
    let mut seen = Vec::new();
    for start in [0, 3, 6] {
        let (page, total) = store.list_members(&all, start, 3).await.expect("page");
        assert_eq!(total, 7);
        seen.extend(page.into_iter().map(|u| u.username));
    }
    assert_eq!(seen, every);
    let (beyond, total) = store.list_members(&all, 50, 3).await.expect("beyond");
    assert!(beyond.is_empty());
    assert_eq!(total, 7);

    // Text: part of the username, full name or email, ignoring ASCII case.
    let text = |t| MemberFilter {
        text: Some(t),
        ..MemberFilter::default()
    };
    assert_eq!(names(store, text("EVE")).await, (vec!["Eve".into()], 1));
    assert_eq!(names(store, text("brown")).await.0, ["dan"]);
    assert_eq!(names(store, text("a@example.ORG")).await.0, ["carla"]);
    assert_eq!(names(store, text("example")).await.1, 7);
    // LIKE's wildcards and the escape character are plain characters.
    assert_eq!(names(store, text("50%_")).await.0, ["bob"]);
    assert_eq!(names(store, text("%")).await.0, ["bob"]);
    assert_eq!(names(store, text("_")).await.0, ["bob"]);
    assert_eq!(names(store, text("k\\s")).await.0, ["gus"]);
    assert_eq!(names(store, text("nobody")).await, (Vec::new(), 0));
    // Text that cannot be stored matches nothing (PostgreSQL would refuse it).
    assert_eq!(names(store, text("a\0b")).await, (Vec::new(), 0));

    // Role, user type and state, together with text and paging.
    let users = MemberFilter {
        role_id: Some("org_user"),
        ..MemberFilter::default()
    };
    assert_eq!(names(store, users).await.0, ["Eve", "bob", "carla", "gus"]);
    let active_creators = MemberFilter {
        role_id: Some("org_user"),
        user_type: Some(UserType::Creator),
        disabled: Some(false),
        ..MemberFilter::default()
    };
    assert_eq!(names(store, active_creators).await.0, ["Eve", "gus"]);
    let (second, total) = store
        .list_members(&active_creators, 1, 1)
        .await
        .expect("page");
    assert_eq!(
        (
            second.into_iter().map(|u| u.username).collect::<Vec<_>>(),
            total
        ),
        (vec!["gus".to_string()], 2)
    );
    let disabled = MemberFilter {
        disabled: Some(true),
        text: Some("DIAZ"),
        ..MemberFilter::default()
    };
    assert_eq!(names(store, disabled).await.0, ["carla"]);
    let viewers = MemberFilter {
        user_type: Some(UserType::Viewer),
        ..MemberFilter::default()
    };
    assert_eq!(names(store, viewers).await.0, ["bob", "fred"]);
    let (none, total) = store.list_members(&viewers, 0, 0).await.expect("zero");
    assert!(none.is_empty());
    assert_eq!(total, 2);
}

pub(crate) async fn members_are_counted_per_role_in_one_query(store: &SqlStore) {
    assert!(store.count_users_by_role().await.expect("none").is_empty());
    seed(store).await;
    let mut counts = store.count_users_by_role().await.expect("counts");
    counts.sort();
    assert_eq!(
        counts,
        [
            ("custom1".to_string(), 2),
            ("org_admin".to_string(), 1),
            ("org_user".to_string(), 4)
        ]
    );
    // A role change moves the member between counts.
    let mut dan = store.get_user("dan").await.expect("get").expect("dan");
    dan.role_id = "org_admin".into();
    store.update_user(&dan).await.expect("update");
    let counts = store.count_users_by_role().await.expect("counts");
    assert!(counts.contains(&("custom1".to_string(), 1)));
    assert!(counts.contains(&("org_admin".to_string(), 2)));
    for (role, n) in &counts {
        assert_eq!(
            store.count_users_with_role(role).await.expect("one role"),
            *n
        );
    }
}
