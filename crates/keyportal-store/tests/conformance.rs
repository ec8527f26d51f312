//! The store conformance suite: one set of tests, run against SQLite and PostgreSQL.
//!
//! Each `async fn` below takes a freshly migrated [`SqlStore`]; the `conformance!` macro turns
//! every one of them into `sqlite::<name>` (a temporary directory per test) and
//! `postgres::<name>` (a fresh database per test, dropped afterwards).
//!
//! PostgreSQL is reached at `postgres://postgres@127.0.0.1:5432/test` unless
//! `KEYPORTAL_TEST_POSTGRES_URL` names another server. When it cannot be reached the PostgreSQL
//! tests fail if `CI` is set and otherwise print a loud SKIPPING line and pass.

use keyportal_domain::group::{Group, GroupAccess, MemberType};
use keyportal_domain::item::{Folder, Item, ItemAccess};
use keyportal_domain::org::Org;
use keyportal_domain::role::Role;
use keyportal_domain::token::{TokenBinding, UserToken};
use keyportal_domain::user::User;
use keyportal_domain::user_type::{UserType, ALL_USER_TYPES};
use keyportal_store::{
    DatabaseUrl, FolderStore, GroupStore, ItemStore, OrgStore, RoleStore, SharedItem, SqlStore,
    StoreError, TokenStore, UserStore,
};
use serde_json::{json, Map, Value};
use sqlx::{Connection, Executor, Row};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A store on a new SQLite file in its own temporary directory.
struct SqliteDb {
    store: SqlStore,
    _dir: tempfile::TempDir,
}

impl SqliteDb {
    async fn new() -> SqliteDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
            .await
            .expect("open sqlite store");
        assert_eq!(store.backend_name(), "sqlite");
        SqliteDb { store, _dir: dir }
    }
}

/// A fresh PostgreSQL database, created for one test.
struct PostgresDb {
    admin_url: String,
    name: String,
    url: DatabaseUrl,
}

fn admin_url() -> String {
    std::env::var("KEYPORTAL_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

/// `postgres://…/db?opts` with the database name replaced.
fn with_database(url: &str, database: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let query = url[path_start..]
        .find('?')
        .map_or("", |i| &url[path_start + i..]);
    format!("{}/{database}{query}", &url[..path_start])
}

impl PostgresDb {
    /// Creates the database, or returns `None` (after saying so loudly) when PostgreSQL is
    /// unreachable outside CI. In CI an unreachable server fails the test.
    async fn create(test: &str) -> Option<PostgresDb> {
        let admin_url = admin_url();
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(e) => {
                let shown = DatabaseUrl::Postgres(admin_url.clone()).redacted();
                if std::env::var_os("CI").is_some() {
                    panic!("PostgreSQL at {shown} is unreachable and CI is set: {e}");
                }
                eprintln!(
                    "SKIPPING postgres conformance test {test}: PostgreSQL at {shown} is \
                     unreachable ({e}); set KEYPORTAL_TEST_POSTGRES_URL or start PostgreSQL"
                );
                return None;
            }
        };
        let name = format!("kp_conf_{:016x}", rand::random::<u64>());
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = DatabaseUrl::parse(&with_database(&admin_url, &name)).expect("test url");
        Some(PostgresDb {
            admin_url,
            name,
            url,
        })
    }

    async fn connect(url: &DatabaseUrl) -> SqlStore {
        let store = SqlStore::connect(url)
            .await
            .expect("open postgres store");
        assert_eq!(store.backend_name(), "postgres");
        store
    }

    /// Best effort: a leftover database is reported, not fatal.
    async fn drop_database(self) {
        let dropped = async {
            let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
            admin
                .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
                .await?;
            admin.close().await
        }
        .await;
        if let Err(e) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// Re-raises a test's panic after cleanup.
fn propagate(outcome: Result<(), tokio::task::JoinError>) {
    match outcome {
        Ok(()) => {}
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("test task failed: {e}"),
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::SqliteDb::new().await;
                    crate::$name(&db.store).await;
                    db.store.pool().close().await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::PostgresDb::create(stringify!($name)).await else {
                        return;
                    };
                    // Run in a task so that the database is dropped even when the test panics.
                    let url = db.url.clone();
                    let outcome = tokio::spawn(async move {
                        let store = crate::PostgresDb::connect(&url).await;
                        crate::$name(&store).await;
                        store.pool().close().await;
                    })
                    .await;
                    db.drop_database().await;
                    crate::propagate(outcome);
                }
            )*
        }
    };
}

conformance!(
    placeholders_are_numbered_dollars,
    org_is_created_once,
    user_round_trips_every_field,
    user_conflicts_name_what_collided,
    user_updates_and_missing_users,
    list_users_pages_in_byte_order_with_total,
    users_are_counted_by_role,
    delete_user_removes_tokens_folders_and_memberships,
    delete_user_refuses_while_they_own_content,
    roles_round_trip_and_names_are_unique_ignoring_case,
    tokens_round_trip_and_expired_ones_are_purged,
    folders_are_per_owner_with_unique_titles,
    non_empty_folders_cannot_be_deleted,
    items_round_trip_every_field,
    items_list_by_folder_oldest_first,
    item_updates_and_conflicts,
    shares_are_idempotent_and_die_with_the_item,
    groups_round_trip_with_owner_membership,
    memberships_change_and_list_owner_first,
    delete_group_removes_memberships_and_shares,
    migrations_are_idempotent_across_connections,
    two_stores_on_one_database_write_concurrently,
);

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

fn hex_id(n: u64) -> String {
    format!("{n:032x}")
}

fn user(username: &str) -> User {
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

async fn add_user(store: &SqlStore, username: &str) -> User {
    let u = user(username);
    store
        .create_user(&u, "$argon2id$hash")
        .await
        .expect("create user");
    u
}

fn folder(id: u64, owner: &str, title: &str, created: i64) -> Folder {
    Folder {
        id: hex_id(id),
        owner: owner.into(),
        title: title.into(),
        created,
    }
}

fn item(id: u64, owner: &str, folder_id: Option<String>, created: i64) -> Item {
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

fn group(id: u64, owner: &str, created: i64) -> Group {
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

fn role(id: &str, name: &str, privileges: &[&str]) -> Role {
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

fn token(hash: &str, username: &str, expires: i64, binding: TokenBinding) -> UserToken {
    UserToken {
        hash: hash.into(),
        username: username.into(),
        created: 1,
        expires,
        binding,
    }
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, needle: &str) {
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
fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

/// Every statement uses `$N`; SQLite must bind them by number, in any order and reused.
async fn placeholders_are_numbered_dollars(store: &SqlStore) {
    let row = sqlx::query(
        "SELECT CAST($2 AS TEXT) AS second, CAST($1 AS TEXT) AS first, \
         CAST($3 AS BIGINT) AS third, CAST($1 AS TEXT) AS again",
    )
    .bind("one")
    .bind("two")
    .bind(3_i64)
    .fetch_one(store.pool())
    .await
    .expect("query with $N placeholders");
    assert_eq!(row.try_get::<String, _>("first").expect("first"), "one");
    assert_eq!(row.try_get::<String, _>("second").expect("second"), "two");
    assert_eq!(row.try_get::<i64, _>("third").expect("third"), 3);
    assert_eq!(row.try_get::<String, _>("again").expect("again"), "one");
    let null = sqlx::query("SELECT CAST($1 AS TEXT) AS missing")
        .bind(None::<String>)
        .fetch_one(store.pool())
        .await
        .expect("null bind");
    assert_eq!(
        null.try_get::<Option<String>, _>("missing")
            .expect("decode"),
        None
    );
}

async fn org_is_created_once(store: &SqlStore) {
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

async fn user_round_trips_every_field(store: &SqlStore) {
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

async fn user_conflicts_name_what_collided(store: &SqlStore) {
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
    // Usernames are case-sensitive.
    let upper = User {
        id: hex_id(78),
        username: "Alice".into(),
        ..alice
    };
    store
        .create_user(&upper, "h")
        .await
        .expect("different case is another user");
    assert_eq!(store.list_users(0, 10).await.expect("list").1, 2);
}

async fn user_updates_and_missing_users(store: &SqlStore) {
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

async fn list_users_pages_in_byte_order_with_total(store: &SqlStore) {
    let names = [
        "bob", "Alice", "alice", "Zed", "a_b", "ab", "a.b", "0day", "a-b", "a@b",
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

async fn users_are_counted_by_role(store: &SqlStore) {
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

async fn delete_user_removes_tokens_folders_and_memberships(store: &SqlStore) {
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

async fn delete_user_refuses_while_they_own_content(store: &SqlStore) {
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

async fn roles_round_trip_and_names_are_unique_ignoring_case(store: &SqlStore) {
    assert!(store.list_roles().await.expect("list").is_empty());
    let analysts = role(
        "AnAlYsTs12345678",
        "Analysts",
        &[
            "portal:user:createItem",
            "portal:app:access:item:0123456789abcdef0123456789abcdef",
        ],
    );
    store.create_role(&analysts).await.expect("create");
    assert_eq!(
        store.get_role(&analysts.id).await.expect("get"),
        Some(analysts.clone())
    );
    assert_eq!(store.get_role("analysts12345678").await.expect("get"), None);

    let shouting = role("Shouting12345678", "ANALYSTS", &[]);
    assert_conflict(
        store.create_role(&shouting).await,
        "a role named ANALYSTS already exists",
    );
    let same_id = role("AnAlYsTs12345678", "Other", &[]);
    assert_conflict(store.create_role(&same_id).await, "AnAlYsTs12345678");

    let umlaut = role("Umlaut1234567890", "Ärzte", &["portal:user:joinGroup"]);
    store.create_role(&umlaut).await.expect("create");
    let upper_umlaut = role("Umlaut0987654321", "ÄRZTE", &[]);
    assert_conflict(store.create_role(&upper_umlaut).await, "ÄRZTE");
    let empty = role("Empty12345678901", "empty", &[]);
    store.create_role(&empty).await.expect("no privileges");

    let listed: Vec<String> = store
        .list_roles()
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(listed, vec!["Analysts", "empty", "Ärzte"]);

    let mut renamed = analysts.clone();
    renamed.name = "Data analysts".into();
    renamed.description = "Ändert Daten".into();
    renamed.privileges = ["portal:user:shareToGroup"].into_iter().collect();
    renamed.modified = 99;
    store.update_role(&renamed).await.expect("update");
    assert_eq!(
        store.get_role(&renamed.id).await.expect("get"),
        Some(renamed.clone())
    );
    // Changing only the case of one's own name is fine; taking another's name is not.
    renamed.name = "DATA ANALYSTS".into();
    store.update_role(&renamed).await.expect("case change");
    renamed.name = "ärzte".into();
    assert_conflict(store.update_role(&renamed).await, "ärzte");
    // The old name is free again.
    store
        .create_role(&shouting)
        .await
        .expect("old name reusable");

    assert_not_found(
        store
            .update_role(&role("Missing123456789", "Missing", &[]))
            .await,
    );
    store.delete_role(&umlaut.id).await.expect("delete");
    assert_eq!(store.get_role(&umlaut.id).await.expect("get"), None);
    assert_not_found(store.delete_role(&umlaut.id).await);
}

async fn tokens_round_trip_and_expired_ones_are_purged(store: &SqlStore) {
    add_user(store, "tokenuser").await;
    add_user(store, "other").await;
    let tokens = [
        token(
            "a".repeat(64).as_str(),
            "tokenuser",
            100,
            TokenBinding::None,
        ),
        token(
            "b".repeat(64).as_str(),
            "tokenuser",
            200,
            TokenBinding::Referer("https://app.example.com/ä".into()),
        ),
        token(
            "c".repeat(64).as_str(),
            "tokenuser",
            300,
            TokenBinding::Ip("10.0.0.1".into()),
        ),
        token(
            "d".repeat(64).as_str(),
            "other",
            400,
            TokenBinding::Referer(String::new()),
        ),
    ];
    for t in &tokens {
        store.insert_token(t).await.expect("insert");
    }
    for t in &tokens {
        assert_eq!(
            store.get_token(&t.hash).await.expect("get"),
            Some(t.clone())
        );
    }
    assert_eq!(store.get_token("missing").await.expect("get"), None);
    assert_conflict(store.insert_token(&tokens[0]).await, "already");
    assert_conflict(
        store
            .insert_token(&token("e", "nobody", 1, TokenBinding::None))
            .await,
        "nobody",
    );

    // Expired from the `expires` instant on, as UserToken::is_expired says.
    assert_eq!(store.purge_expired_tokens(99).await.expect("purge"), 0);
    assert_eq!(store.purge_expired_tokens(200).await.expect("purge"), 2);
    assert_eq!(store.purge_expired_tokens(200).await.expect("purge"), 0);
    assert_eq!(store.get_token(&tokens[0].hash).await.expect("get"), None);
    assert_eq!(store.get_token(&tokens[1].hash).await.expect("get"), None);
    assert!(store
        .get_token(&tokens[2].hash)
        .await
        .expect("get")
        .is_some());

    store.delete_token(&tokens[2].hash).await.expect("delete");
    assert_eq!(store.get_token(&tokens[2].hash).await.expect("get"), None);
    assert_not_found(store.delete_token(&tokens[2].hash).await);

    store
        .insert_token(&token("f", "other", 500, TokenBinding::None))
        .await
        .expect("insert");
    store
        .delete_tokens_of_user("other")
        .await
        .expect("delete all");
    assert_eq!(store.get_token("f").await.expect("get"), None);
    assert_eq!(store.get_token(&tokens[3].hash).await.expect("get"), None);
    store
        .delete_tokens_of_user("other")
        .await
        .expect("nothing left is fine");
}

async fn folders_are_per_owner_with_unique_titles(store: &SqlStore) {
    add_user(store, "fay").await;
    add_user(store, "gus").await;
    let keys = folder(1, "fay", "Keys", 30);
    let cyrillic = folder(2, "fay", "Ключи 🔑", 10);
    let other = folder(3, "fay", "Other", 20);
    for f in [&keys, &cyrillic, &other] {
        store.create_folder(f).await.expect("create");
    }
    assert_eq!(
        store.get_folder("fay", &keys.id).await.expect("get"),
        Some(keys.clone())
    );
    assert_eq!(store.get_folder("gus", &keys.id).await.expect("get"), None);
    assert_eq!(
        store.get_folder("fay", &hex_id(99)).await.expect("get"),
        None
    );
    assert_eq!(
        store.list_folders("fay").await.expect("list"),
        vec![cyrillic.clone(), other.clone(), keys.clone()]
    );
    assert!(store.list_folders("gus").await.expect("list").is_empty());

    assert_conflict(
        store.create_folder(&folder(4, "fay", "KEYS", 1)).await,
        "fay already has a folder named KEYS",
    );
    assert_conflict(
        store.create_folder(&folder(5, "fay", "КЛЮЧИ 🔑", 1)).await,
        "КЛЮЧИ",
    );
    assert_conflict(
        store.create_folder(&folder(1, "gus", "New", 1)).await,
        &keys.id,
    );
    assert_conflict(
        store.create_folder(&folder(6, "nobody", "X", 1)).await,
        "nobody",
    );
    // Another owner may use the same title.
    store
        .create_folder(&folder(7, "gus", "keys", 1))
        .await
        .expect("same title, other owner");

    assert_not_found(store.delete_folder("gus", &keys.id).await);
    store.delete_folder("fay", &keys.id).await.expect("delete");
    assert_eq!(store.get_folder("fay", &keys.id).await.expect("get"), None);
    assert_not_found(store.delete_folder("fay", &keys.id).await);
    store
        .create_folder(&folder(8, "fay", "keys", 40))
        .await
        .expect("title free again");
}

async fn non_empty_folders_cannot_be_deleted(store: &SqlStore) {
    add_user(store, "hal").await;
    let f = folder(1, "hal", "Full", 1);
    store.create_folder(&f).await.expect("folder");
    store
        .insert_item(&item(1, "hal", Some(f.id.clone()), 1))
        .await
        .expect("item");
    assert_conflict(store.delete_folder("hal", &f.id).await, "not empty");
    assert!(store.get_folder("hal", &f.id).await.expect("get").is_some());
    let mut moved = store
        .get_item(&hex_id(1))
        .await
        .expect("get")
        .expect("item")
        .item;
    moved.folder_id = None;
    store.update_item(&moved).await.expect("move to root");
    store.delete_folder("hal", &f.id).await.expect("now empty");
}

async fn items_round_trip_every_field(store: &SqlStore) {
    add_user(store, "ivy").await;
    let f = folder(1, "ivy", "Maps", 1);
    store.create_folder(&f).await.expect("folder");
    let mut extra = Map::new();
    extra.insert("extent".into(), json!([[-180.0, -90.0], [180.0, 90.5]]));
    extra.insert("culture".into(), json!("de-ch"));
    extra.insert("listed".into(), json!(false));
    extra.insert("licenseInfo".into(), json!("<b>CC-BY</b> — ©"));
    extra.insert("categories".into(), json!(["/Categories/Ünïcode"]));
    let full = Item {
        id: hex_id(0xabc),
        owner: "ivy".into(),
        org_id: "orgAAAAAAAAAAAAA".into(),
        folder_id: Some(f.id.clone()),
        title: "Karte der Städte — 東京 🗺".into(),
        item_type: "Application".into(),
        type_keywords: vec!["API Key".into(), "Registered App".into(), "APIToken".into()],
        tags: vec!["ünïcode".into(), "with,comma".into(), "quote\"d".into()],
        description: "<p>Multi\nline</p> 'single' ; --".into(),
        snippet: "Snippet ✓".into(),
        url: "https://example.com/arcgis/rest/services/x/FeatureServer?token=".into(),
        access: ItemAccess::Org,
        properties: Some(json!({
            "nested": {"a": [1, 2, 3], "b": null, "c": 1.5, "d": "ü"},
            "flag": true
        })),
        extra,
        created: 1_700_000_000_001,
        modified: 1_700_000_000_002,
    };
    store.insert_item(&full).await.expect("insert");
    let expected = SharedItem {
        item: full.clone(),
        group_ids: vec![],
    };
    assert_eq!(store.get_item(&full.id).await.expect("get"), Some(expected));

    let mut json_null = item(2, "ivy", None, 5);
    json_null.access = ItemAccess::Public;
    json_null.properties = Some(Value::Null);
    store.insert_item(&json_null).await.expect("insert");
    assert_eq!(
        store
            .get_item(&json_null.id)
            .await
            .expect("get")
            .map(|s| s.item),
        Some(json_null)
    );
    let mut plain = item(3, "ivy", None, 6);
    plain.access = ItemAccess::Private;
    store.insert_item(&plain).await.expect("insert");
    assert_eq!(
        store
            .get_item(&plain.id)
            .await
            .expect("get")
            .map(|s| s.item),
        Some(plain)
    );
    assert_eq!(store.get_item(&hex_id(999)).await.expect("get"), None);
}

async fn items_list_by_folder_oldest_first(store: &SqlStore) {
    add_user(store, "jo").await;
    add_user(store, "kim").await;
    let f = folder(1, "jo", "Work", 1);
    store.create_folder(&f).await.expect("folder");
    let in_folder = [
        item(10, "jo", Some(f.id.clone()), 300),
        item(11, "jo", Some(f.id.clone()), 100),
        item(12, "jo", Some(f.id.clone()), 200),
    ];
    let at_root = [item(20, "jo", None, 50), item(21, "jo", None, 40)];
    let others = [item(30, "kim", None, 10)];
    for it in in_folder.iter().chain(&at_root).chain(&others) {
        store.insert_item(it).await.expect("insert");
    }
    store
        .create_group(&group(1, "kim", 1))
        .await
        .expect("group");
    store
        .share_item_with_group(&hex_id(12), &hex_id(1))
        .await
        .expect("share");

    let listed = store
        .list_items_in_folder("jo", Some(&f.id))
        .await
        .expect("folder");
    let ids: Vec<&str> = listed.iter().map(|s| s.item.id.as_str()).collect();
    assert_eq!(ids, [hex_id(11), hex_id(12), hex_id(10)]);
    assert_eq!(listed[1].group_ids, vec![hex_id(1)]);
    assert!(listed[0].group_ids.is_empty());

    let root = store.list_items_in_folder("jo", None).await.expect("root");
    let ids: Vec<&str> = root.iter().map(|s| s.item.id.as_str()).collect();
    assert_eq!(ids, [hex_id(21), hex_id(20)]);
    assert!(store
        .list_items_in_folder("kim", Some(&f.id))
        .await
        .expect("other owner")
        .is_empty());
    assert!(store
        .list_items_in_folder("nobody", None)
        .await
        .expect("nobody")
        .is_empty());

    let all = store.list_all_items().await.expect("all");
    assert_eq!(all.len(), 6);
    let shared: Vec<&SharedItem> = all.iter().filter(|s| !s.group_ids.is_empty()).collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].item.id, hex_id(12));
    assert_eq!(store.count_items_owned_by("jo").await.expect("count"), 5);
    assert_eq!(store.count_items_owned_by("kim").await.expect("count"), 1);
    assert_eq!(
        store.count_items_owned_by("nobody").await.expect("count"),
        0
    );
}

async fn item_updates_and_conflicts(store: &SqlStore) {
    add_user(store, "lee").await;
    add_user(store, "max").await;
    let f = folder(1, "lee", "Box", 1);
    store.create_folder(&f).await.expect("folder");
    let mut it = item(1, "lee", Some(f.id.clone()), 10);
    it.properties = Some(json!({"k": "v"}));
    store.insert_item(&it).await.expect("insert");

    assert_conflict(store.insert_item(&it).await, &it.id);
    assert_conflict(
        store
            .insert_item(&item(2, "lee", Some(hex_id(77)), 1))
            .await,
        &hex_id(77),
    );
    assert_conflict(
        store.insert_item(&item(3, "nobody", None, 1)).await,
        "nobody",
    );

    it.folder_id = None;
    it.title = "Renamed — ✓".into();
    it.item_type = "Feature Service".into();
    it.type_keywords = vec!["Data".into()];
    it.tags = vec!["t1".into(), "t2".into()];
    it.description = "new".into();
    it.snippet = "snip".into();
    it.url = "https://example.org".into();
    it.access = ItemAccess::Public;
    it.properties = None;
    it.extra.insert("culture".into(), json!("fr-fr"));
    it.modified = 20;
    store.update_item(&it).await.expect("update");
    assert_eq!(
        store.get_item(&it.id).await.expect("get").map(|s| s.item),
        Some(it.clone())
    );
    assert!(store
        .list_items_in_folder("lee", Some(&f.id))
        .await
        .expect("list")
        .is_empty());

    // Reassigning to another owner (an admin operation) moves it out of lee's content.
    it.owner = "max".into();
    store.update_item(&it).await.expect("reassign");
    assert_eq!(store.count_items_owned_by("max").await.expect("count"), 1);
    assert_eq!(store.count_items_owned_by("lee").await.expect("count"), 0);

    it.folder_id = Some(hex_id(55));
    assert_conflict(store.update_item(&it).await, &hex_id(55));
    assert_not_found(store.update_item(&item(9, "lee", None, 1)).await);
}

async fn shares_are_idempotent_and_die_with_the_item(store: &SqlStore) {
    add_user(store, "ned").await;
    let g1 = group(1, "ned", 1);
    let g2 = group(2, "ned", 2);
    store.create_group(&g1).await.expect("group");
    store.create_group(&g2).await.expect("group");
    let it = item(1, "ned", None, 1);
    let other = item(2, "ned", None, 2);
    store.insert_item(&it).await.expect("item");
    store.insert_item(&other).await.expect("item");

    for _ in 0..2 {
        store
            .share_item_with_group(&it.id, &g2.id)
            .await
            .expect("share");
        store
            .share_item_with_group(&it.id, &g1.id)
            .await
            .expect("share");
    }
    store
        .share_item_with_group(&other.id, &g1.id)
        .await
        .expect("share");
    let shared = store.get_item(&it.id).await.expect("get").expect("item");
    assert_eq!(shared.group_ids, vec![g1.id.clone(), g2.id.clone()]);
    assert_eq!(
        store.items_shared_with(&g1.id).await.expect("shared"),
        vec![it.id.clone(), other.id.clone()]
    );
    assert_not_found(store.share_item_with_group(&it.id, &hex_id(99)).await);
    assert_not_found(store.share_item_with_group(&hex_id(99), &g1.id).await);

    for _ in 0..2 {
        store
            .unshare_item_from_group(&it.id, &g2.id)
            .await
            .expect("unshare");
    }
    store
        .unshare_item_from_group(&hex_id(99), &hex_id(98))
        .await
        .expect("unsharing nothing is fine");
    assert_eq!(
        store
            .get_item(&it.id)
            .await
            .expect("get")
            .expect("item")
            .group_ids,
        vec![g1.id.clone()]
    );

    store.delete_item(&it.id).await.expect("delete");
    assert_eq!(store.get_item(&it.id).await.expect("get"), None);
    assert_eq!(
        store.items_shared_with(&g1.id).await.expect("shared"),
        vec![other.id.clone()]
    );
    assert_not_found(store.delete_item(&it.id).await);
    // The id may be reused after deletion, with no stale shares.
    store.insert_item(&it).await.expect("reinsert");
    assert!(store
        .get_item(&it.id)
        .await
        .expect("get")
        .expect("item")
        .group_ids
        .is_empty());
}

async fn groups_round_trip_with_owner_membership(store: &SqlStore) {
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

async fn memberships_change_and_list_owner_first(store: &SqlStore) {
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

async fn delete_group_removes_memberships_and_shares(store: &SqlStore) {
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

async fn migrations_are_idempotent_across_connections(store: &SqlStore) {
    assert_eq!(store.schema_version().await.expect("version"), 1);
    add_user(store, "sam").await;
    let (a, b) = tokio::join!(
        SqlStore::connect(store.url()),
        SqlStore::connect(store.url())
    );
    let (a, b) = (a.expect("second connection"), b.expect("third connection"));
    for other in [&a, &b] {
        assert_eq!(other.schema_version().await.expect("version"), 1);
        assert!(other.get_user("sam").await.expect("get").is_some());
    }
    a.pool().close().await;
    b.pool().close().await;
    let rows = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(store.pool())
        .await
        .expect("versions");
    assert_eq!(rows.len(), 1);
}

/// Another process (the CLI) writing while the server writes: nobody sees "database is locked".
async fn two_stores_on_one_database_write_concurrently(store: &SqlStore) {
    let second = SqlStore::connect(store.url()).await.expect("second store");
    let mut tasks = Vec::new();
    for (which, s) in [store.clone(), second.clone()].into_iter().enumerate() {
        for n in 0..12 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let name = format!("writer{which}_{n:02}");
                let mut u = user(&name);
                u.id = hex_id((which * 100 + n) as u64);
                s.create_user(&u, "h").await.expect("create user");
                s.insert_token(&token(&format!("tok-{name}"), &name, 5, TokenBinding::None))
                    .await
                    .expect("token");
                s.create_group(&group((which * 100 + n) as u64, &name, 1))
                    .await
                    .expect("group");
                s.set_last_login(&name, 42).await.expect("last login");
                s.list_users(0, 5).await.expect("read");
            }));
        }
    }
    for task in tasks {
        propagate(task.await);
    }
    assert_eq!(store.list_users(0, 1).await.expect("count").1, 24);
    assert_eq!(second.purge_expired_tokens(10).await.expect("purge"), 24);
    assert_eq!(store.list_groups().await.expect("groups").len(), 24);
    second.pool().close().await;
}

// ---------------------------------------------------------------------------------------------
// Backend-specific behaviour of `connect`
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn sqlite_missing_directory_is_a_config_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = DatabaseUrl::Sqlite(dir.path().join("absent").join("keyportal.db"));
    match SqlStore::connect(&url).await {
        Err(StoreError::Config(message)) => {
            assert!(message.contains("does not exist"), "{message}");
            assert!(message.contains("absent"), "{message}");
        }
        other => panic!("expected a Config error, got {other:?}"),
    }
    assert!(!dir.path().join("absent").exists());
}

#[tokio::test]
async fn sqlite_path_that_cannot_be_opened_fails_fast_and_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let started = std::time::Instant::now();
    match SqlStore::connect(&DatabaseUrl::Sqlite(dir.path().to_path_buf())).await {
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("SQLite"), "{message}");
            assert!(message.contains(&dir.path().display().to_string()), "{message}");
        }
        Ok(_) => panic!("a directory is not a database file"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn sqlite_file_is_created_with_wal_and_connection_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("dir with spaces?#").join("kp.db");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let url = DatabaseUrl::Sqlite(path.clone());
    let store = SqlStore::connect(&url).await.expect("open");
    assert!(path.exists(), "the database file is created");
    let mut conn = store.pool().acquire().await.expect("connection");
    let pragma = |name: &'static str| format!("PRAGMA {name}");
    let journal: String = sqlx::query(&pragma("journal_mode"))
        .fetch_one(&mut *conn)
        .await
        .expect("journal_mode")
        .try_get(0)
        .expect("text");
    assert_eq!(journal.to_ascii_lowercase(), "wal");
    for (name, expected) in [
        ("busy_timeout", 5000_i64),
        ("foreign_keys", 1),
        ("synchronous", 1),
    ] {
        let value: i64 = sqlx::query(&pragma(name))
            .fetch_one(&mut *conn)
            .await
            .expect("pragma")
            .try_get(0)
            .expect("int");
        assert_eq!(value, expected, "PRAGMA {name}");
    }
    drop(conn);
    store.pool().close().await;
}

#[tokio::test]
async fn sqlite_first_start_of_several_processes_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = DatabaseUrl::sqlite_in(dir.path());
    let opened = futures_join_all((0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { SqlStore::connect(&url).await })
    }))
    .await;
    for store in opened {
        let store = store.expect("task").expect("concurrent first start");
        assert_eq!(store.schema_version().await.expect("version"), 1);
        store.pool().close().await;
    }
}

#[tokio::test]
async fn postgres_first_start_of_several_processes_at_once() {
    let Some(db) = PostgresDb::create("postgres_first_start_of_several_processes_at_once").await
    else {
        return;
    };
    let opened = futures_join_all((0..4).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { SqlStore::connect(&url).await })
    }))
    .await;
    let mut failures = Vec::new();
    for store in opened {
        match store.expect("task") {
            Ok(store) => {
                assert_eq!(store.schema_version().await.expect("version"), 1);
                store.pool().close().await;
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    db.drop_database().await;
    assert!(
        failures.is_empty(),
        "concurrent first starts failed: {failures:?}"
    );
}

#[tokio::test]
async fn postgres_unreachable_server_is_a_clear_error_without_the_password() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let url = DatabaseUrl::parse("postgres://kp:hunter2secret@127.0.0.1:1/keyportal").expect("url");
    match SqlStore::connect(&url).await {
        Err(e @ (StoreError::Backend(_) | StoreError::Config(_))) => {
            let message = e.to_string();
            assert!(message.contains("PostgreSQL"), "{message}");
            assert!(message.contains("127.0.0.1:1"), "{message}");
            assert!(!message.contains("hunter2secret"), "{message}");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[test]
fn test_database_urls_keep_options() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "kp_x"),
        "postgres://postgres@127.0.0.1:5432/kp_x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/test?sslmode=disable", "kp_x"),
        "postgres://u:p@h/kp_x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "kp_x"), "postgres://h/kp_x");
}

/// Awaits every handle in order (no `futures` dependency needed).
async fn futures_join_all<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let handles: Vec<_> = handles.collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await);
    }
    out
}
