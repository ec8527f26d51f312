//! Builders for domain values and assertions on store errors.

use keyportal_domain::group::{Group, GroupAccess};
use keyportal_domain::item::{Folder, Item, ItemAccess};
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::role::Role;
use keyportal_domain::token::{TokenBinding, UserToken};
use keyportal_domain::user::User;
use keyportal_domain::user_type::UserType;
use keyportal_store::{LegacyKeyStore, SqlStore, StoreError, UserStore};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::Map;
use std::sync::LazyLock;

/// The schema version a freshly migrated database reports (the last migration).
pub(crate) const SCHEMA_VERSION: i64 = 15;
/// Every migration version, in order (numbers may skip while branches merge).
pub(crate) const APPLIED_VERSIONS: &[i64] = &[1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15];

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

/// Takes a database back to before migration 15 (the leak records); before
/// [`UNDO_MIGRATION_14`].
pub(crate) const UNDO_MIGRATION_15: &[&str] = &[
    "DROP TABLE key_leaks",
    "DELETE FROM schema_migrations WHERE version = 15",
];

/// Takes a database back to before migration 14 (address restrictions, recent refusals);
/// before [`UNDO_MIGRATION_13`].
pub(crate) const UNDO_MIGRATION_14: &[&str] = &[
    "DROP TABLE key_refusals",
    "ALTER TABLE apps DROP COLUMN allowed_addresses",
    "DELETE FROM schema_migrations WHERE version = 14",
];

/// Takes a database back to before migration 13 (the events table); before
/// [`UNDO_MIGRATION_12`].
pub(crate) const UNDO_MIGRATION_13: &[&str] = &[
    "DROP TABLE events",
    "DELETE FROM schema_migrations WHERE version = 13",
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

/// Words longer than the 260 bytes an index row keeps (`search::limits`), for the differential
/// tests' generators: a multi-byte character straddling the cut, two words that differ only
/// after it, one that lowering lengthens ('Ⱥ' is two bytes, 'ⱥ' three), words just over and
/// at the limits (257, 260, 261 bytes) and a 5,000-byte pseudo-random blob.
pub(crate) static LONG_WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let blob: String = (0..5_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            char::from(alphabet[(state % alphabet.len() as u64) as usize])
        })
        .collect();
    vec![
        format!("{}ü{}", "Q".repeat(259), "tailone"),
        format!("{}ü{}", "q".repeat(259), "tailtwo"),
        "Ⱥ".repeat(150),
        "x".repeat(257),
        "y".repeat(260),
        "y".repeat(261),
        blob,
    ]
});

/// A tag within the 256 characters validation allows yet longer than an index row keeps once
/// lowered: multi-byte characters, one of them lengthened by lowering.
pub(crate) fn long_tag(rng: &mut StdRng) -> String {
    let tags = [
        "Ⱥ".repeat(150),
        format!("{} map", "ü".repeat(200)),
        format!("{}€", "€".repeat(99)),
    ];
    tags.choose(rng).cloned().unwrap_or_default()
}

/// One of [`LONG_WORDS`].
pub(crate) fn long_word(rng: &mut StdRng) -> String {
    LONG_WORDS.choose(rng).cloned().unwrap_or_default()
}

/// Sometimes one of [`LONG_WORDS`], else `short`: the generators' text words.
pub(crate) fn maybe_long_word<'a>(rng: &mut StdRng, short: &'a str) -> std::borrow::Cow<'a, str> {
    if rng.gen_bool(0.06) {
        std::borrow::Cow::Owned(long_word(rng))
    } else {
        std::borrow::Cow::Borrowed(short)
    }
}

/// A query value from a long word: its first bytes (1 to 300, cut on a character boundary), as
/// a prefix or a whole term. Past 256 bytes once lowered the parser refuses it, on both sides.
pub(crate) fn long_word_value(rng: &mut StdRng) -> String {
    let word = if rng.gen_bool(0.2) {
        long_tag(rng)
    } else {
        long_word(rng)
    };
    let mut cut = rng.gen_range(1..=300).min(word.len());
    while !word.is_char_boundary(cut) {
        cut -= 1;
    }
    let piece = &word[..cut];
    if rng.gen_bool(0.7) {
        format!("{piece}*")
    } else {
        piece.to_string()
    }
}
