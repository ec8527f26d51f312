//! The organization and its members.

use keyportal_domain::group::MemberType;
use keyportal_domain::org::Org;
use keyportal_domain::token::TokenBinding;
use keyportal_domain::user::User;
use keyportal_domain::user_type::{UserType, ALL_USER_TYPES};
use keyportal_store::{
    AppStore, FolderStore, GroupStore, ItemStore, OrgStore, RoleStore, SqlStore, TokenStore,
    UserStore,
};

use crate::fixtures::*;

pub(crate) async fn org_is_created_once(store: &SqlStore) {
    assert_eq!(store.get_org().await.expect("get"), None);
    let org = Org {
        id: "AbCdEfGh12345678".into(),
        name: "Städtische Werke – 東京".into(),
        created: 1_700_000_000_000,
    };
    store.create_org(&org).await.expect("create");
    assert_eq!(store.get_org().await.expect("get"), Some(org.clone()));
    let second = Org {
        id: "ZZZZZZZZZZZZZZZZ".into(),
        ..org.clone()
    };
    assert_conflict(store.create_org(&second).await, "organization");
    assert_eq!(store.get_org().await.expect("get"), Some(org));
}

pub(crate) async fn user_round_trips_every_field(store: &SqlStore) {
    let jane = User {
        id: hex_id(0xfeed),
        username: "jane.doe@example".into(),
        org_id: "orgAAAAAAAAAAAAA".into(),
        full_name: "Jäne Dœ 🚀".into(),
        first_name: "Jäne".into(),
        last_name: "Dœ".into(),
        email: "jane@example.com".into(),
        description: "Line one\nLine two — 'quoted' \"double\" ; DROP TABLE users; --".into(),
        user_type: UserType::ProfessionalAdvanced,
        role_id: "iAAAAAAAAAAAAAAA".into(),
        disabled: true,
        provider: "arcgis".into(),
        created: 1_700_000_000_123,
        modified: 1_700_000_000_456,
        last_login: 1_700_000_000_789,
    };
    store
        .create_user(&jane, "$argon2id$v=19$jane")
        .await
        .expect("create");
    assert_eq!(
        store.get_user(&jane.username).await.expect("get"),
        Some(jane.clone())
    );
    assert_eq!(
        store.get_password_hash(&jane.username).await.expect("hash"),
        Some("$argon2id$v=19$jane".into())
    );
    assert_eq!(store.get_user("JANE.DOE@example").await.expect("get"), None);
    assert_eq!(store.get_user("nobody").await.expect("get"), None);
    assert_eq!(store.get_password_hash("nobody").await.expect("hash"), None);

    for (i, user_type) in ALL_USER_TYPES.into_iter().enumerate() {
        let mut u = user(&format!("type{i}"));
        u.id = hex_id(100 + i as u64);
        u.user_type = user_type;
        u.disabled = i % 2 == 0;
        store.create_user(&u, "h").await.expect("create");
        assert_eq!(store.get_user(&u.username).await.expect("get"), Some(u));
    }
}

pub(crate) async fn user_conflicts_name_what_collided(store: &SqlStore) {
    let alice = add_user(store, "alice").await;
    let same_name = User {
        id: hex_id(77),
        ..alice.clone()
    };
    assert_conflict(
        store.create_user(&same_name, "h").await,
        "a user named alice already exists",
    );
    let same_id = User {
        username: "alice2".into(),
        ..alice.clone()
    };
    assert_conflict(store.create_user(&same_id, "h").await, &alice.id);
    // Usernames are unique ignoring case: the stored spelling is named.
    let upper = User {
        id: hex_id(78),
        username: "ALICE".into(),
        ..alice
    };
    assert_conflict(
        store.create_user(&upper, "h").await,
        "a user named alice already exists",
    );
    assert_eq!(store.list_users(0, 10).await.expect("list").1, 1);
}

/// Lookups are exact; uniqueness ignores case; text that cannot be stored names nobody.
pub(crate) async fn usernames_are_unique_ignoring_case(store: &SqlStore) {
    let alice = add_user(store, "Alice.Smith").await;
    for spelling in ["alice.smith", "ALICE.SMITH", "Alice.Smith", "aLiCe.sMiTh"] {
        assert_eq!(
            store
                .find_username_ignoring_case(spelling)
                .await
                .expect("find"),
            Some("Alice.Smith".to_string()),
            "{spelling}"
        );
    }
    assert_eq!(store.get_user("alice.smith").await.expect("get"), None);
    assert_eq!(
        store.get_user("Alice.Smith").await.expect("get"),
        Some(alice.clone())
    );
    assert_eq!(
        store
            .find_username_ignoring_case("bob")
            .await
            .expect("find"),
        None
    );
    for key in ["Alice.Smith\0", "\0", "a\0b"] {
        assert_eq!(store.get_user(key).await.expect("get"), None);
        assert_eq!(store.get_password_hash(key).await.expect("hash"), None);
        assert_eq!(
            store.find_username_ignoring_case(key).await.expect("find"),
            None
        );
        assert!(store.get_role(key).await.expect("role").is_none());
        assert!(store
            .get_app_by_client_id(key)
            .await
            .expect("app")
            .is_none());
    }
    let mut other = user("alice.SMITH");
    other.id = hex_id(0xa11ce);
    assert_conflict(
        store.create_user(&other, "h").await,
        "a user named Alice.Smith already exists",
    );
}

/// A database holding usernames that differ only by case (made before migration 7) is refused
/// with their names, unchanged, until one of each is left.
pub(crate) async fn migration_7_refuses_case_duplicates_and_names_them(store: &SqlStore) {
    add_user(store, "carol").await;
    for statement in UNDO_MIGRATION_15
        .iter()
        .chain(UNDO_MIGRATION_14)
        .chain(UNDO_MIGRATION_13)
        .chain(UNDO_MIGRATION_12)
        .chain(UNDO_MIGRATION_11)
        .chain(UNDO_MIGRATION_10)
        .chain(UNDO_MIGRATION_9)
        .chain(UNDO_MIGRATION_8)
        .chain(&[
            "DROP INDEX users_username_lower",
            "DELETE FROM schema_migrations WHERE version = 7",
        ])
    {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .expect("back to before migration 7");
    }
    // Written directly: the store writes members with the search index of migration 11.
    for (n, name) in ["Carol", "CAROL"].into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO users (id, username, org_id, full_name, first_name, last_name, email, \
             description, user_type, role_id, disabled, provider, password_hash, created, \
             modified, last_login) SELECT $1, $2, org_id, full_name, first_name, last_name, \
             email, description, user_type, role_id, disabled, provider, password_hash, \
             created, modified, last_login FROM users WHERE username = 'carol'",
        )
        .bind(hex_id(0xca00 + n as u64))
        .bind(name)
        .execute(store.pool())
        .await
        .expect("allowed before 7");
    }
    let refused = SqlStore::connect(store.url()).await;
    let message = match refused {
        Err(keyportal_store::StoreError::Config(message)) => message,
        Err(other) => panic!("expected a configuration error, got {other}"),
        Ok(_) => panic!("a database with case duplicates was migrated"),
    };
    assert!(
        message.contains("differ only by case: CAROL, Carol, carol."),
        "{message}"
    );
    assert_eq!(store.schema_version().await.expect("version"), 5);
    for name in ["Carol", "CAROL"] {
        sqlx::query("DELETE FROM users WHERE username = $1")
            .bind(name)
            .execute(store.pool())
            .await
            .expect("delete a duplicate");
    }
    let migrated = SqlStore::connect(store.url())
        .await
        .expect("now it migrates");
    assert_eq!(
        migrated.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );
    migrated.pool().close().await;
}

pub(crate) async fn user_updates_and_missing_users(store: &SqlStore) {
    let mut bob = add_user(store, "bob").await;
    bob.full_name = "Robert — Bob".into();
    bob.first_name = "Robert".into();
    bob.last_name = "Ñúñez".into();
    bob.email = "robert@example.org".into();
    bob.description = "✓ updated".into();
    bob.user_type = UserType::Viewer;
    bob.role_id = "ABCDEFGHIJKLMNOP".into();
    bob.disabled = true;
    bob.provider = "enterprise".into();
    bob.modified = 9_000;
    bob.last_login = 8_000;
    store.update_user(&bob).await.expect("update");
    assert_eq!(store.get_user("bob").await.expect("get"), Some(bob.clone()));
    bob.disabled = false;
    store.update_user(&bob).await.expect("re-enable");
    assert!(
        !store
            .get_user("bob")
            .await
            .expect("get")
            .expect("bob")
            .disabled
    );

    store
        .set_password_hash("bob", "$argon2id$new")
        .await
        .expect("set hash");
    assert_eq!(
        store.get_password_hash("bob").await.expect("hash"),
        Some("$argon2id$new".into())
    );
    store
        .set_last_login("bob", 12_345)
        .await
        .expect("last login");
    let stored = store.get_user("bob").await.expect("get").expect("bob");
    assert_eq!(stored.last_login, 12_345);
    assert_eq!(stored.full_name, "Robert — Bob");

    let ghost = user("ghost");
    assert_not_found(store.update_user(&ghost).await);
    assert_not_found(store.set_password_hash("ghost", "h").await);
    assert_not_found(store.set_last_login("ghost", 1).await);
    assert_not_found(store.delete_user("ghost").await);
    assert_eq!(store.get_user("ghost").await.expect("get"), None);
}

pub(crate) async fn list_users_pages_in_byte_order_with_total(store: &SqlStore) {
    let names = [
        "bob", "Alice", "adam", "Zed", "a_b", "ab", "a.b", "0day", "a-b", "a@b",
    ];
    for name in names {
        add_user(store, name).await;
    }
    let mut expected: Vec<&str> = names.to_vec();
    expected.sort(); // byte order, whatever the database's locale
    let mut seen = Vec::new();
    for start in (0..names.len()).step_by(3) {
        let (page, total) = store.list_users(start, 3).await.expect("page");
        assert_eq!(total, names.len());
        assert!(page.len() <= 3);
        seen.extend(page.into_iter().map(|u| u.username));
    }
    assert_eq!(seen, expected);
    let (all, total) = store.list_users(0, 100).await.expect("all");
    assert_eq!((all.len(), total), (names.len(), names.len()));
    assert_eq!(all[0], user("0day"));
    let (beyond, total) = store.list_users(50, 10).await.expect("beyond");
    assert!(beyond.is_empty());
    assert_eq!(total, names.len());
    let (none, _) = store.list_users(0, 0).await.expect("zero");
    assert!(none.is_empty());
}

pub(crate) async fn users_are_counted_by_role(store: &SqlStore) {
    for (name, role_id) in [
        ("ann", "org_admin"),
        ("ben", "org_user"),
        ("cat", "org_user"),
    ] {
        let mut u = user(name);
        u.role_id = role_id.into();
        store.create_user(&u, "h").await.expect("create");
    }
    assert_eq!(
        store
            .count_users_with_role("org_user")
            .await
            .expect("count"),
        2
    );
    assert_eq!(
        store
            .count_users_with_role("org_admin")
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        store.count_users_with_role("nobody").await.expect("count"),
        0
    );
    let mut ben = store.get_user("ben").await.expect("get").expect("ben");
    ben.role_id = "org_admin".into();
    store.update_user(&ben).await.expect("update");
    assert_eq!(
        store
            .count_users_with_role("org_admin")
            .await
            .expect("count"),
        2
    );
}

pub(crate) async fn delete_user_removes_tokens_folders_and_memberships(store: &SqlStore) {
    add_user(store, "owner").await;
    add_user(store, "leaver").await;
    let g = group(1, "owner", 10);
    store.create_group(&g).await.expect("group");
    store
        .set_membership(&g.id, "leaver", MemberType::Admin)
        .await
        .expect("join");
    store
        .insert_token(&token("leaver-token", "leaver", 1_000, TokenBinding::None))
        .await
        .expect("token");
    store
        .create_folder(&folder(1, "leaver", "Empty", 1))
        .await
        .expect("folder");

    store.delete_user("leaver").await.expect("delete");
    assert_eq!(store.get_user("leaver").await.expect("get"), None);
    assert_eq!(store.get_token("leaver-token").await.expect("token"), None);
    assert!(store
        .list_folders("leaver")
        .await
        .expect("folders")
        .is_empty());
    assert!(store
        .memberships_of("leaver")
        .await
        .expect("memberships")
        .is_empty());
    assert_eq!(
        store.members_of(&g.id).await.expect("members"),
        vec![("owner".to_string(), MemberType::Owner)]
    );
    assert_not_found(store.delete_user("leaver").await);
    // The name is free again.
    add_user(store, "leaver").await;
}

pub(crate) async fn delete_user_refuses_while_they_own_content(store: &SqlStore) {
    add_user(store, "keeper").await;
    store
        .insert_token(&token("keeper-token", "keeper", 1_000, TokenBinding::None))
        .await
        .expect("token");
    store
        .insert_item(&item(1, "keeper", None, 1))
        .await
        .expect("item");
    assert_conflict(store.delete_user("keeper").await, "still owns");
    // The transaction rolled back: nothing was half-deleted.
    assert!(store
        .get_token("keeper-token")
        .await
        .expect("token")
        .is_some());
    assert!(store.get_user("keeper").await.expect("get").is_some());

    store.delete_item(&hex_id(1)).await.expect("delete item");
    store
        .create_group(&group(2, "keeper", 1))
        .await
        .expect("group");
    assert_conflict(store.delete_user("keeper").await, "still owns");
    store.delete_group(&hex_id(2)).await.expect("delete group");
    store.delete_user("keeper").await.expect("delete");
}
