//! Group and member search in the database against the in-memory oracle: random members,
//! groups, memberships, access levels, viewers (anonymous, members of this and another org with
//! and without the privileges that widen what they see, personal and app keys) and queries
//! (`record_world.rs`); the store's answer (ids or usernames in order, and the total) must equal
//! the oracle's (`keyportal_domain::search::oracle`), visibility included. Half of the queries
//! run after groups and members were edited and some deleted, so index maintenance is checked
//! too. The seed is fixed (set `KEYPORTAL_SEARCH_SEED` to try others).

use keyportal_domain::search::groups::{GroupField, GroupSort};
use keyportal_domain::search::oracle;
use keyportal_domain::search::parse;
use keyportal_domain::search::users::{UserField, UserSort};
use keyportal_domain::user_type::UserType;
use keyportal_domain::visibility::{VisibleGroups, VisibleUsers};
use keyportal_store::{GroupSearch, GroupStore, SqlStore, UserSearch, UserStore};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::fixtures::*;
use crate::record_world::{
    build_world, churn, query, viewer, World, GROUP_FIELDS, QUERIES, USER_FIELDS,
};

/// Compares group searches; returns how many queries were valid and compared.
async fn check_groups(store: &SqlStore, world: &World, rng: &mut StdRng, seed: u64) -> usize {
    let mut compared = 0;
    for _ in 0..QUERIES {
        let q = query(rng, world, GROUP_FIELDS, 3);
        let viewer = viewer(rng, world);
        let field = GroupSort::FIELDS
            .choose(rng)
            .copied()
            .filter(|_| rng.gen_bool(0.8));
        let sort = GroupSort::by_field(field, rng.gen_bool(0.5));
        let (offset, limit) = (rng.gen_range(0..8), rng.gen_range(0..12));
        let Ok(parsed) = parse(&q) else {
            continue;
        };
        let expected = oracle::search_groups(&parsed, &viewer, &world.groups, sort, offset, limit);
        let (expected, plan) = match (expected, parsed.record_plan::<GroupField>()) {
            (Ok(expected), Ok(plan)) => (expected, plan),
            (Err(a), Err(b)) => {
                assert_eq!(a, b);
                continue;
            }
            (a, b) => panic!("oracle {a:?} and plan {b:?} disagree on {q:?}"),
        };
        let visible = VisibleGroups::of(&viewer);
        let page = store
            .search_groups(&GroupSearch {
                plan: &plan,
                visible: Some(&visible),
                sort,
                offset,
                limit,
            })
            .await
            .unwrap_or_else(|e| panic!("group search {q:?} failed: {e}"));
        let ids: Vec<String> = page.groups.iter().map(|g| g.id.clone()).collect();
        assert_eq!(
            (ids, page.total),
            expected,
            "seed {seed}, groups, query {q:?}, viewer {viewer:?}, sort {sort:?}, offset \
             {offset}, limit {limit}, plan {plan:?}"
        );
        compared += 1;
    }
    compared
}

/// Compares member searches; returns how many queries were valid and compared.
async fn check_users(store: &SqlStore, world: &World, rng: &mut StdRng, seed: u64) -> usize {
    let mut compared = 0;
    for _ in 0..QUERIES {
        let q = query(rng, world, USER_FIELDS, 3);
        let viewer = viewer(rng, world);
        let field = UserSort::FIELDS
            .choose(rng)
            .copied()
            .filter(|_| rng.gen_bool(0.8));
        let sort = UserSort::by_field(field, rng.gen_bool(0.5));
        let (offset, limit) = (rng.gen_range(0..5), rng.gen_range(0..8));
        let Ok(parsed) = parse(&q) else {
            continue;
        };
        let expected = oracle::search_users(&parsed, &viewer, &world.users, sort, offset, limit);
        let (expected, plan) = match (expected, parsed.record_plan::<UserField>()) {
            (Ok(expected), Ok(plan)) => (expected, plan),
            (Err(a), Err(b)) => {
                assert_eq!(a, b);
                continue;
            }
            (a, b) => panic!("oracle {a:?} and plan {b:?} disagree on {q:?}"),
        };
        let visible = VisibleUsers::of(&viewer);
        let page = store
            .search_users(&UserSearch {
                plan: &plan,
                visible: Some(&visible),
                sort,
                offset,
                limit,
            })
            .await
            .unwrap_or_else(|e| panic!("member search {q:?} failed: {e}"));
        let names: Vec<String> = page.users.iter().map(|u| u.username.clone()).collect();
        assert_eq!(
            (names, page.total),
            expected,
            "seed {seed}, members, query {q:?}, viewer {viewer:?}, sort {sort:?}, offset \
             {offset}, limit {limit}, plan {plan:?}"
        );
        compared += 1;
    }
    compared
}

pub(crate) async fn group_and_member_search_equals_the_in_memory_oracle(store: &SqlStore) {
    let seed = std::env::var("KEYPORTAL_SEARCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut world = build_world(store, &mut rng).await;
    let mut compared = check_groups(store, &world, &mut rng, seed).await;
    compared += check_users(store, &world, &mut rng, seed).await;
    churn(store, &mut world, &mut rng).await;
    compared += check_groups(store, &world, &mut rng, seed).await;
    compared += check_users(store, &world, &mut rng, seed).await;
    // Most generated queries are valid; a generator that drifted into errors would test little.
    assert!(compared > 2 * QUERIES, "only {compared} queries compared");
}

/// Every member, a page at a time by username, and the check that keeps an administrator.
pub(crate) async fn members_are_read_by_username_pages_and_holders_found(store: &SqlStore) {
    for name in ["b", "A", "c", "a.b"] {
        add_user(store, name).await;
    }
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = store.users_after(&after, 3).await.expect("page");
        let Some(last) = page.last() else {
            break;
        };
        after = last.username.clone();
        seen.extend(page.into_iter().map(|u| u.username));
    }
    assert_eq!(seen, ["A", "a.b", "b", "c"], "byte order on both backends");
    let pairs = |role: &str| vec![(role.to_string(), UserType::Creator.id().to_string())];
    assert!(store
        .enabled_user_holds(&pairs("org_user"), "A")
        .await
        .expect("holders"));
    assert!(!store
        .enabled_user_holds(&pairs("org_admin"), "A")
        .await
        .expect("holders"));
    let mut admin = user("c");
    admin.role_id = "org_admin".into();
    store.update_user(&admin).await.expect("promote");
    assert!(store
        .enabled_user_holds(&pairs("org_admin"), "A")
        .await
        .expect("holders"));
    assert!(
        !store
            .enabled_user_holds(&pairs("org_admin"), "c")
            .await
            .expect("holders"),
        "the member asked about is not counted"
    );
    admin.disabled = true;
    store.update_user(&admin).await.expect("disable");
    assert!(!store
        .enabled_user_holds(&pairs("org_admin"), "A")
        .await
        .expect("holders"));
    assert!(!store.enabled_user_holds(&[], "A").await.expect("none"));
}
