//! Builders for domain values and assertions on store errors.

use keyportal_domain::group::{Group, GroupAccess};
use keyportal_domain::item::{Folder, Item, ItemAccess};
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::role::Role;
use keyportal_domain::token::{TokenBinding, UserToken};
use keyportal_domain::user::User;
use keyportal_domain::user_type::UserType;
use keyportal_store::{LegacyKeyStore, SqlStore, StoreError, UserStore};
use serde_json::Map;

/// The schema version a freshly migrated database reports (the last migration).
pub(crate) const SCHEMA_VERSION: i64 = 12;
/// Every migration version, in order (numbers may skip while branches merge).
pub(crate) const APPLIED_VERSIONS: &[i64] = &[1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12];

/// Takes a database back to before migration 8 (the search index), for upgrade tests.
pub(crate) const UNDO_MIGRATION_8: &[&str] = &[
    "DROP INDEX items_owner_key",
    "DROP INDEX items_owner_count",
    "DROP INDEX items_owner_folder_count",
    "DROP INDEX items_type_key",
    "DROP INDEX items_created",
    "DROP TABLE item_terms",
    "ALTER TABLE items DROP COLUMN owner_key",
    "ALTER TABLE items DROP COLUMN org_key",
    "ALTER TABLE items DROP COLUMN title_key",
    "ALTER TABLE items DROP COLUMN type_key",
    "DELETE FROM schema_migrations WHERE version = 8",
];

/// Takes a database back to before migration 12 (legacy keys by owner, long terms cut); before
/// [`UNDO_MIGRATION_11`].
pub(crate) const UNDO_MIGRATION_12: &[&str] = &[
    "DROP INDEX legacy_keys_owner",
    "DELETE FROM schema_migrations WHERE version = 12",
];

/// Takes a database back to before migration 11 (group and member search); before
/// [`UNDO_MIGRATION_9`]. The store writes users and groups only with it in place.
pub(crate) const UNDO_MIGRATION_11: &[&str] = &[
    "DROP INDEX groups_title_key",
    "DROP INDEX groups_owner_id",
    "DROP INDEX groups_created",
    "DROP INDEX groups_modified",
    "DROP INDEX groups_org_access",
    "DROP INDEX users_full_name_key",
    "DROP INDEX users_created",
    "DROP INDEX users_modified",
    "DROP INDEX users_org_id",
    "DROP TABLE group_terms",
    "DROP TABLE user_terms",
    "ALTER TABLE groups DROP COLUMN title_key",
    "ALTER TABLE users DROP COLUMN full_name_key",
    "DELETE FROM schema_migrations WHERE version = 11",
];

/// Takes a database back to before migration 9 (the usage day index); before
/// [`UNDO_MIGRATION_8`].
pub(crate) const UNDO_MIGRATION_9: &[&str] = &[
    "DROP INDEX usage_day_rows",
    "DELETE FROM schema_migrations WHERE version = 9",
];

/// Takes a database back to before migration 10 (the item counts); before
/// [`UNDO_MIGRATION_9`].
pub(crate) const UNDO_MIGRATION_10: &[&str] = &[
    "DROP TABLE item_counts",
    "CREATE INDEX items_owner_count ON items (owner_key)",
    "CREATE INDEX items_owner_folder_count ON items (owner, folder_id)",
    "DELETE FROM schema_migrations WHERE version = 10",
];

pub(crate) fn hex_id(n: u64) -> String {
    format!("{n:032x}")
}

pub(crate) fn user(username: &str) -> User {
    User {
        id: format!(
            "{:0>32}",
            username
                .bytes()
                .map(|b| format!("{b:x}"))
                .collect::<String>()
        )
        .chars()
        .take(32)
        .collect(),
        username: username.into(),
        org_id: "orgAAAAAAAAAAAAA".into(),
        full_name: format!("{username} Person"),
        first_name: username.into(),
        last_name: "Person".into(),
        email: format!("{username}@example.com"),
        description: String::new(),
        user_type: UserType::Creator,
        role_id: "org_user".into(),
        disabled: false,
        provider: "arcgis".into(),
        created: 1_000,
        modified: 1_000,
        last_login: -1,
    }
}

pub(crate) async fn add_user(store: &SqlStore, username: &str) -> User {
    let u = user(username);
    store
        .create_user(&u, "$argon2id$hash")
        .await
        .expect("create user");
    u
}

pub(crate) fn folder(id: u64, owner: &str, title: &str, created: i64) -> Folder {
    Folder {
        id: hex_id(id),
        owner: owner.into(),
        title: title.into(),
        created,
    }
}

pub(crate) fn item(id: u64, owner: &str, folder_id: Option<String>, created: i64) -> Item {
    Item {
        id: hex_id(id),
        owner: owner.into(),
        org_id: "orgAAAAAAAAAAAAA".into(),
        folder_id,
        title: format!("Item {id}"),
        item_type: "Web Map".into(),
        type_keywords: vec![],
        tags: vec![],
        description: String::new(),
        snippet: String::new(),
        url: String::new(),
        access: ItemAccess::Private,
        properties: None,
        extra: Map::new(),
        created,
        modified: created,
    }
}

pub(crate) fn group(id: u64, owner: &str, created: i64) -> Group {
    Group {
        id: hex_id(id),
        owner: owner.into(),
        org_id: "orgAAAAAAAAAAAAA".into(),
        title: format!("Group {id}"),
        access: GroupAccess::Org,
        tags: vec![],
        description: String::new(),
        snippet: String::new(),
        phone: String::new(),
        sort_field: String::new(),
        sort_order: String::new(),
        is_invitation_only: false,
        is_view_only: false,
        auto_join: false,
        created,
        modified: created,
    }
}

pub(crate) fn role(id: &str, name: &str, privileges: &[&str]) -> Role {
    Role {
        id: id.into(),
        name: name.into(),
        description: format!("{name} role"),
        privileges: privileges.iter().copied().collect(),
        built_in: false,
        created: 5,
        modified: 6,
    }
}

pub(crate) fn token(hash: &str, username: &str, expires: i64, binding: TokenBinding) -> UserToken {
    UserToken {
        hash: hash.into(),
        username: username.into(),
        created: 1,
        expires,
        binding,
    }
}

#[track_caller]
pub(crate) fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, needle: &str) {
    match result {
        Err(StoreError::Conflict(message)) => {
            assert!(
                message.contains(needle),
                "conflict message {message:?} lacks {needle:?}"
            )
        }
        other => panic!("expected Conflict containing {needle:?}, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// Every legacy key, by item id, read page by page (the store has no whole-table read).
pub(crate) async fn all_legacy_keys(store: &SqlStore) -> Vec<LegacyKey> {
    let mut keys: Vec<LegacyKey> = Vec::new();
    loop {
        let after = keys.last().map(|k| k.item_id.clone()).unwrap_or_default();
        let page = store
            .list_legacy_keys_after(None, &after, 1_000)
            .await
            .expect("legacy key page");
        let last = page.len() < 1_000;
        keys.extend(page);
        if last {
            return keys;
        }
    }
}
