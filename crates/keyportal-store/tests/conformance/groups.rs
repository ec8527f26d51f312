//! Groups and memberships.

use keyportal_domain::group::{Group, GroupAccess, MemberType};
use keyportal_store::{GroupStore, ItemStore, SqlStore};

use crate::fixtures::*;

pub(crate) async fn groups_round_trip_with_owner_membership(store: &SqlStore) {
    add_user(store, "ola").await;
    add_user(store, "pam").await;
    let full = Group {
        id: hex_id(0xa1),
        owner: "ola".into(),
        org_id: "orgAAAAAAAAAAAAA".into(),
        title: "Équipe Données — 東京".into(),
        access: GroupAccess::Public,
        tags: vec!["ä".into(), "b c".into()],
        description: "<p>desc</p>".into(),
        snippet: "snip".into(),
        phone: "+41 44 000 00 00".into(),
        sort_field: "title".into(),
        sort_order: "desc".into(),
        is_invitation_only: true,
        is_view_only: true,
        auto_join: true,
        created: 1_700_000_000_000,
        modified: 1_700_000_000_001,
    };
    store.create_group(&full).await.expect("create");
    assert_eq!(
        store.get_group(&full.id).await.expect("get"),
        Some(full.clone())
    );
    assert_eq!(
        store.members_of(&full.id).await.expect("members"),
        vec![("ola".to_string(), MemberType::Owner)]
    );
    assert_eq!(
        store.memberships_of("ola").await.expect("memberships"),
        vec![(full.id.clone(), MemberType::Owner)]
    );
    assert_conflict(store.create_group(&full).await, &full.id);
    assert_conflict(store.create_group(&group(9, "nobody", 1)).await, "nobody");
    assert_eq!(store.get_group(&hex_id(9)).await.expect("get"), None);

    let plain = group(2, "pam", 5);
    store.create_group(&plain).await.expect("create");
    let mut changed = full.clone();
    changed.title = "Renamed".into();
    changed.access = GroupAccess::Private;
    changed.tags = vec![];
    changed.description = String::new();
    changed.snippet = "s2".into();
    changed.phone = String::new();
    changed.sort_field = "modified".into();
    changed.sort_order = "asc".into();
    changed.is_invitation_only = false;
    changed.is_view_only = false;
    changed.auto_join = false;
    changed.modified = 7;
    store.update_group(&changed).await.expect("update");
    assert_eq!(
        store.get_group(&changed.id).await.expect("get"),
        Some(changed.clone())
    );
    assert_not_found(store.update_group(&group(8, "ola", 1)).await);

    let listed = store.list_groups().await.expect("list");
    assert_eq!(listed, vec![plain.clone(), changed.clone()]);
    assert_eq!(store.count_groups_owned_by("ola").await.expect("count"), 1);
    assert_eq!(store.count_groups_owned_by("pam").await.expect("count"), 1);
    assert_eq!(
        store.count_groups_owned_by("nobody").await.expect("count"),
        0
    );
}

pub(crate) async fn memberships_change_and_list_owner_first(store: &SqlStore) {
    for name in ["zoe", "amy", "Bea", "carl"] {
        add_user(store, name).await;
    }
    let g = group(1, "zoe", 1);
    let other = group(2, "amy", 2);
    store.create_group(&g).await.expect("group");
    store.create_group(&other).await.expect("group");
    store
        .set_membership(&g.id, "carl", MemberType::Member)
        .await
        .expect("add");
    store
        .set_membership(&g.id, "amy", MemberType::Member)
        .await
        .expect("add");
    store
        .set_membership(&g.id, "Bea", MemberType::Admin)
        .await
        .expect("add");
    store
        .set_membership(&g.id, "carl", MemberType::Member)
        .await
        .expect("idempotent");
    assert_eq!(
        store.members_of(&g.id).await.expect("members"),
        vec![
            ("zoe".to_string(), MemberType::Owner),
            ("Bea".to_string(), MemberType::Admin),
            ("amy".to_string(), MemberType::Member),
            ("carl".to_string(), MemberType::Member),
        ]
    );
    store
        .set_membership(&g.id, "amy", MemberType::Admin)
        .await
        .expect("promote");
    assert_eq!(
        store.memberships_of("amy").await.expect("memberships"),
        vec![
            (g.id.clone(), MemberType::Admin),
            (other.id.clone(), MemberType::Owner)
        ]
    );
    store
        .set_membership(&g.id, "amy", MemberType::Member)
        .await
        .expect("demote");
    assert!(store
        .memberships_of("amy")
        .await
        .expect("memberships")
        .contains(&(g.id.clone(), MemberType::Member)));

    store
        .remove_membership(&g.id, "carl")
        .await
        .expect("remove");
    assert!(store
        .memberships_of("carl")
        .await
        .expect("memberships")
        .is_empty());
    assert_not_found(store.remove_membership(&g.id, "carl").await);
    assert_not_found(store.remove_membership(&hex_id(99), "amy").await);
    assert_not_found(
        store
            .set_membership(&hex_id(99), "amy", MemberType::Member)
            .await,
    );
    assert_not_found(
        store
            .set_membership(&g.id, "nobody", MemberType::Member)
            .await,
    );
    assert!(store
        .members_of(&hex_id(99))
        .await
        .expect("members")
        .is_empty());
    assert!(store
        .memberships_of("nobody")
        .await
        .expect("memberships")
        .is_empty());
}

pub(crate) async fn delete_group_removes_memberships_and_shares(store: &SqlStore) {
    add_user(store, "quinn").await;
    add_user(store, "rex").await;
    let g = group(1, "quinn", 1);
    let keep = group(2, "quinn", 2);
    store.create_group(&g).await.expect("group");
    store.create_group(&keep).await.expect("group");
    store
        .set_membership(&g.id, "rex", MemberType::Member)
        .await
        .expect("join");
    store
        .set_membership(&keep.id, "rex", MemberType::Member)
        .await
        .expect("join");
    let it = item(1, "quinn", None, 1);
    store.insert_item(&it).await.expect("item");
    store
        .share_item_with_group(&it.id, &g.id)
        .await
        .expect("share");
    store
        .share_item_with_group(&it.id, &keep.id)
        .await
        .expect("share");

    store.delete_group(&g.id).await.expect("delete");
    assert_eq!(store.get_group(&g.id).await.expect("get"), None);
    assert!(store.members_of(&g.id).await.expect("members").is_empty());
    assert!(store
        .items_shared_with(&g.id)
        .await
        .expect("shared")
        .is_empty());
    assert_eq!(
        store.memberships_of("rex").await.expect("memberships"),
        vec![(keep.id.clone(), MemberType::Member)]
    );
    assert_eq!(
        store
            .get_item(&it.id)
            .await
            .expect("get")
            .expect("item")
            .group_ids,
        vec![keep.id.clone()]
    );
    assert_eq!(
        store.count_groups_owned_by("quinn").await.expect("count"),
        1
    );
    assert_not_found(store.delete_group(&g.id).await);
}
