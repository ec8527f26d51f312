//! Storage for keyportal, in the domain's terms.
//!
//! Each capability is a trait (`UserStore`, `ItemStore`, …); [`Store`] is all of them together.
//! One implementation, [`SqlStore`], serves SQLite (embedded default) and PostgreSQL with the
//! same portable SQL; both pass the conformance suite in `tests/conformance.rs`.

pub mod archive;
mod error;
mod sql;

use async_trait::async_trait;
use keyportal_domain::credential::{AppRegistration, AppToken, SlotState};
use keyportal_domain::events::{Event, EventFilter};
use keyportal_domain::group::{Group, MemberType};
use keyportal_domain::item::{Folder, Item};
use keyportal_domain::leak::KeyLeak;
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::oauth::{AuthorizationCode, RefreshToken};
use keyportal_domain::org::Org;
use keyportal_domain::proxy::{ProxySettings, ProxyTarget};
use keyportal_domain::role::Role;
use keyportal_domain::search::groups::{GroupField, GroupSort};
use keyportal_domain::search::items::ItemSort;
use keyportal_domain::search::plan::ItemPlan;
use keyportal_domain::search::records::RecordPlan;
use keyportal_domain::search::users::{UserField, UserSort};
use keyportal_domain::token::UserToken;
use keyportal_domain::usage::{UsageRow, UsageRowRef};
use keyportal_domain::user::User;
use keyportal_domain::user_type::UserType;
use keyportal_domain::visibility::{VisibleGroups, VisibleItems, VisibleUsers};

pub use error::StoreError;
pub use sql::{
    BackupOptions, BackupSummary, ChangeListener, DatabaseUrl, ListenerWake, RestoreSummary,
    SqlStore, BACKED_UP, DERIVED, SCHEMA_VERSION,
};

pub type StoreResult<T> = Result<T, StoreError>;

/// An item together with the ids of the groups it is shared with.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedItem {
    pub item: Item,
    pub group_ids: Vec<String>,
}

/// An item search: which items (`plan`, and `visible` unless the caller may see them all),
/// in which order, and which page (`offset` 0-based).
#[derive(Debug, Clone, Copy)]
pub struct ItemSearch<'a> {
    pub plan: &'a ItemPlan,
    pub visible: Option<&'a VisibleItems>,
    pub sort: ItemSort,
    pub offset: usize,
    pub limit: usize,
}

/// One page of a member's folder (`folder_id: None` = root), oldest first.
#[derive(Debug, Clone, Copy)]
pub struct FolderListing<'a> {
    pub owner: &'a str,
    pub folder_id: Option<&'a str>,
    pub visible: Option<&'a VisibleItems>,
    pub offset: usize,
    pub limit: usize,
}

/// Which members a listing shows: every condition given must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberFilter<'a> {
    /// Part of the username, full name or email (`%` and `_` are plain characters), compared
    /// after `lower()`: ASCII letters ignore case on both backends.
    pub text: Option<&'a str>,
    pub role_id: Option<&'a str>,
    pub user_type: Option<UserType>,
    pub disabled: Option<bool>,
}

/// A page of items and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemPage {
    pub items: Vec<SharedItem>,
    pub total: usize,
}

/// A group search: which groups (`plan`, and `visible` unless the caller may see them all),
/// in which order, and which page (`offset` 0-based).
#[derive(Debug, Clone, Copy)]
pub struct GroupSearch<'a> {
    pub plan: &'a RecordPlan<GroupField>,
    pub visible: Option<&'a VisibleGroups>,
    pub sort: GroupSort,
    pub offset: usize,
    pub limit: usize,
}

/// A page of groups and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPage {
    pub groups: Vec<Group>,
    pub total: usize,
}

/// A member search, like [`GroupSearch`].
#[derive(Debug, Clone, Copy)]
pub struct UserSearch<'a> {
    pub plan: &'a RecordPlan<UserField>,
    pub visible: Option<&'a VisibleUsers>,
    pub sort: UserSort,
    pub offset: usize,
    pub limit: usize,
}

/// A page of members and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    pub users: Vec<User>,
    pub total: usize,
}

#[async_trait]
pub trait OrgStore {
    /// The deployment's organization, if it has been created.
    async fn get_org(&self) -> StoreResult<Option<Org>>;
    /// Creates the organization; `Conflict` if one exists.
    async fn create_org(&self, org: &Org) -> StoreResult<()>;
}

#[async_trait]
pub trait UserStore {
    /// `Conflict` when the username, in any case, or the id is taken.
    async fn create_user(&self, user: &User, password_hash: &str) -> StoreResult<()> {
        self.create_user_recorded(user, password_hash, &[]).await
    }
    /// [`UserStore::create_user`], writing `events` in the same transaction.
    async fn create_user_recorded(
        &self,
        user: &User,
        password_hash: &str,
        events: &[Event],
    ) -> StoreResult<()>;
    /// The user with exactly this username (lookups are case-sensitive; uniqueness is not).
    async fn get_user(&self, username: &str) -> StoreResult<Option<User>>;
    /// The stored spelling of the username equal to `username` ignoring ASCII case.
    async fn find_username_ignoring_case(&self, username: &str) -> StoreResult<Option<String>>;
    /// The stored Argon2id hash, for sign-in.
    async fn get_password_hash(&self, username: &str) -> StoreResult<Option<String>>;
    /// Members ordered by username; `start` is 0-based. Returns the page and the total.
    async fn list_users(&self, start: usize, num: usize) -> StoreResult<(Vec<User>, usize)>;
    /// At most `limit` members whose username sorts after `after` (`""`: from the first), by
    /// username: every member, a page at a time, however the table changes meanwhile.
    async fn users_after(&self, after: &str, limit: usize) -> StoreResult<Vec<User>>;
    /// A page of the members matching a search, with the number matching in all; filtering,
    /// counting, sorting and paging happen in the database.
    async fn search_users(&self, search: &UserSearch<'_>) -> StoreResult<UserPage>;
    /// Whether an enabled member other than `except` has one of these (role id, user type id)
    /// pairs.
    async fn enabled_user_holds(
        &self,
        pairs: &[(String, String)],
        except: &str,
    ) -> StoreResult<bool>;
    /// Replaces every field of the stored user with `user`'s (matched by username).
    async fn update_user(&self, user: &User) -> StoreResult<()> {
        self.update_user_recorded(user, &[]).await
    }
    /// [`UserStore::update_user`], writing `events` in the same transaction.
    async fn update_user_recorded(&self, user: &User, events: &[Event]) -> StoreResult<()>;
    async fn set_password_hash(&self, username: &str, password_hash: &str) -> StoreResult<()>;
    async fn set_last_login(&self, username: &str, when: i64) -> StoreResult<()>;
    /// Deletes the user, their tokens, folders and group memberships. The caller first makes
    /// sure they own no items or groups.
    async fn delete_user(&self, username: &str) -> StoreResult<()> {
        self.delete_user_recorded(username, &[]).await
    }
    /// [`UserStore::delete_user`], writing `events` in the same transaction.
    async fn delete_user_recorded(&self, username: &str, events: &[Event]) -> StoreResult<()>;
    async fn count_users_with_role(&self, role_id: &str) -> StoreResult<usize>;
    /// Members matching `filter`, ordered by username; `start` is 0-based. Returns the page and
    /// how many match in all.
    async fn list_members(
        &self,
        filter: &MemberFilter<'_>,
        start: usize,
        num: usize,
    ) -> StoreResult<(Vec<User>, usize)>;
    /// `(role id, members holding it)` for every role at least one member holds, by role id.
    async fn count_users_by_role(&self) -> StoreResult<Vec<(String, usize)>>;
}

#[async_trait]
pub trait RoleStore {
    /// Custom roles only (built-in roles live in the domain). `Conflict` on a taken name.
    async fn create_role(&self, role: &Role) -> StoreResult<()> {
        self.create_role_recorded(role, &[]).await
    }
    /// [`RoleStore::create_role`], writing `events` in the same transaction.
    async fn create_role_recorded(&self, role: &Role, events: &[Event]) -> StoreResult<()>;
    async fn get_role(&self, id: &str) -> StoreResult<Option<Role>>;
    async fn list_roles(&self) -> StoreResult<Vec<Role>>;
    async fn update_role(&self, role: &Role) -> StoreResult<()> {
        self.update_role_recorded(role, &[]).await
    }
    /// [`RoleStore::update_role`], writing `events` in the same transaction.
    async fn update_role_recorded(&self, role: &Role, events: &[Event]) -> StoreResult<()>;
    async fn delete_role(&self, id: &str) -> StoreResult<()> {
        self.delete_role_recorded(id, &[]).await
    }
    /// [`RoleStore::delete_role`], writing `events` in the same transaction.
    async fn delete_role_recorded(&self, id: &str, events: &[Event]) -> StoreResult<()>;
}

#[async_trait]
pub trait TokenStore {
    async fn insert_token(&self, token: &UserToken) -> StoreResult<()>;
    async fn get_token(&self, hash: &str) -> StoreResult<Option<UserToken>>;
    async fn delete_token(&self, hash: &str) -> StoreResult<()>;
    /// Deletes the member's user tokens and their OAuth codes and refresh tokens (sign-out
    /// everywhere: disabled account, new password).
    async fn delete_tokens_of_user(&self, username: &str) -> StoreResult<()>;
    /// Removes tokens expired before `now`; returns how many.
    async fn purge_expired_tokens(&self, now: i64) -> StoreResult<u64>;
}

#[async_trait]
pub trait FolderStore {
    /// `Conflict` when the owner already has a folder with that title (case-insensitive).
    async fn create_folder(&self, folder: &Folder) -> StoreResult<()>;
    async fn get_folder(&self, owner: &str, id: &str) -> StoreResult<Option<Folder>>;
    async fn list_folders(&self, owner: &str) -> StoreResult<Vec<Folder>>;
    /// Deletes an empty folder; `Conflict` when it still holds items.
    async fn delete_folder(&self, owner: &str, id: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait ItemStore {
    async fn insert_item(&self, item: &Item) -> StoreResult<()>;
    async fn get_item(&self, id: &str) -> StoreResult<Option<SharedItem>>;
    /// Replaces every field of the stored item (matched by id).
    async fn update_item(&self, item: &Item) -> StoreResult<()> {
        self.update_item_recorded(item, &[]).await
    }
    /// [`ItemStore::update_item`], writing `events` in the same transaction.
    async fn update_item_recorded(&self, item: &Item, events: &[Event]) -> StoreResult<()>;
    /// Deletes the item and its group shares.
    async fn delete_item(&self, id: &str) -> StoreResult<()> {
        self.delete_item_recorded(id, &[]).await
    }
    /// [`ItemStore::delete_item`], writing `events` in the same transaction.
    async fn delete_item_recorded(&self, id: &str, events: &[Event]) -> StoreResult<()>;
    /// A page of the items matching a search, with the number matching in all; filtering,
    /// counting, sorting and paging happen in the database.
    async fn search_items(&self, search: &ItemSearch<'_>) -> StoreResult<ItemPage>;
    /// A page of a member's folder, oldest first (ties by id).
    async fn list_items_in_folder(&self, listing: &FolderListing<'_>) -> StoreResult<ItemPage>;
    async fn count_items_owned_by(&self, owner: &str) -> StoreResult<usize>;
    /// `(id, title)` of the items with these ids (unknown ones are skipped), in no particular
    /// order: names for a page of ids without reading whole items.
    async fn item_titles(&self, ids: &[String]) -> StoreResult<Vec<(String, String)>>;
    /// Adds a share (idempotent).
    async fn share_item_with_group(&self, item_id: &str, group_id: &str) -> StoreResult<()>;
    /// Removes a share (idempotent).
    async fn unshare_item_from_group(&self, item_id: &str, group_id: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait GroupStore {
    /// Creates the group with its owner as the `owner` member.
    async fn create_group(&self, group: &Group) -> StoreResult<()>;
    async fn get_group(&self, id: &str) -> StoreResult<Option<Group>>;
    async fn update_group(&self, group: &Group) -> StoreResult<()>;
    /// Deletes the group, its memberships and its item shares.
    async fn delete_group(&self, id: &str) -> StoreResult<()>;
    async fn list_groups(&self) -> StoreResult<Vec<Group>>;
    /// A page of the groups matching a search, with the number matching in all; filtering,
    /// counting, sorting and paging happen in the database.
    async fn search_groups(&self, search: &GroupSearch<'_>) -> StoreResult<GroupPage>;
    async fn count_groups_owned_by(&self, owner: &str) -> StoreResult<usize>;
    /// `(group id, member type)` for every group the user belongs to.
    async fn memberships_of(&self, username: &str) -> StoreResult<Vec<(String, MemberType)>>;
    /// `(username, member type)` for every member of the group, owner first.
    async fn members_of(&self, group_id: &str) -> StoreResult<Vec<(String, MemberType)>>;
    /// Adds or changes a membership.
    async fn set_membership(
        &self,
        group_id: &str,
        username: &str,
        member_type: MemberType,
    ) -> StoreResult<()>;
    async fn remove_membership(&self, group_id: &str, username: &str) -> StoreResult<()>;
    /// Ids of the items shared with the group.
    async fn items_shared_with(&self, group_id: &str) -> StoreResult<Vec<String>>;
}

/// A registered app with its client secret, sealed (encrypted) by the service layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApp {
    pub app: AppRegistration,
    pub sealed_secret: String,
}

/// One recorded use of an API key slot, for `last_used` (written in batches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub client_id: String,
    /// 1 or 2.
    pub slot: u8,
    pub when: i64,
}

#[async_trait]
pub trait AppStore {
    /// Registers an app for its item. `Conflict` when the item is already registered or the
    /// client id is taken; `NotFound` when the item does not exist.
    async fn create_app(&self, app: &AppRegistration, sealed_secret: &str) -> StoreResult<()> {
        self.create_app_recorded(app, sealed_secret, &[]).await
    }
    /// [`AppStore::create_app`], writing `events` in the same transaction.
    async fn create_app_recorded(
        &self,
        app: &AppRegistration,
        sealed_secret: &str,
        events: &[Event],
    ) -> StoreResult<()>;
    async fn get_app_by_item(&self, item_id: &str) -> StoreResult<Option<StoredApp>>;
    async fn get_app_by_client_id(&self, client_id: &str) -> StoreResult<Option<StoredApp>>;
    /// Replaces every field of the registration (matched by item id) except the secret, if the
    /// stored `revision` still equals `app.revision`; the stored revision becomes
    /// `app.revision + 1`. `Conflict` when another writer got there first (reload and retry),
    /// `NotFound` when the app is gone.
    async fn update_app(&self, app: &AppRegistration) -> StoreResult<()> {
        self.update_app_recorded(app, &[]).await
    }
    /// [`AppStore::update_app`], writing `events` in the same transaction (nothing is written
    /// on a `Conflict`).
    async fn update_app_recorded(&self, app: &AppRegistration, events: &[Event])
        -> StoreResult<()>;
    /// Deletes the registration and its app tokens.
    async fn delete_app(&self, item_id: &str) -> StoreResult<()> {
        self.delete_app_recorded(item_id, &[]).await
    }
    /// [`AppStore::delete_app`], writing `events` in the same transaction.
    async fn delete_app_recorded(&self, item_id: &str, events: &[Event]) -> StoreResult<()>;
    /// Every registration (to load the in-memory key table).
    async fn list_apps(&self) -> StoreResult<Vec<AppRegistration>>;
    /// The registrations with these client ids (unknown ones are skipped), in no particular
    /// order.
    async fn apps_by_client_ids(&self, client_ids: &[String]) -> StoreResult<Vec<AppRegistration>>;
    /// Raises each slot's `last_used` to the given time; never lowers it. Unknown client ids
    /// are skipped. One transaction for the whole batch.
    async fn record_key_uses(&self, uses: &[KeyUse]) -> StoreResult<()>;
    async fn insert_app_token(&self, token: &AppToken) -> StoreResult<()>;
    /// App tokens not yet expired at `now`.
    async fn list_app_tokens(&self, now: i64) -> StoreResult<Vec<AppToken>>;
    async fn delete_app_tokens_of(&self, client_id: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait LegacyKeyStore {
    /// `Conflict` when a key with the same hash (or item) exists.
    async fn insert_legacy_key(&self, key: &LegacyKey) -> StoreResult<()>;
    async fn get_legacy_key(&self, item_id: &str) -> StoreResult<Option<LegacyKey>>;
    /// At most `limit` legacy keys whose item id sorts after `after` (`""`: from the first), by
    /// item id, all of them or (`owner`) only that member's: the table page by page along its
    /// primary key, or along `(owner, item_id)`.
    async fn list_legacy_keys_after(
        &self,
        owner: Option<&str>,
        after: &str,
        limit: usize,
    ) -> StoreResult<Vec<LegacyKey>>;
    /// The legacy keys of these items (ids without one are skipped), in no particular order.
    async fn legacy_keys_by_ids(&self, item_ids: &[String]) -> StoreResult<Vec<LegacyKey>>;
    /// Replaces every field (matched by item id).
    async fn update_legacy_key(&self, key: &LegacyKey) -> StoreResult<()> {
        self.update_legacy_key_recorded(key, &[]).await
    }
    /// [`LegacyKeyStore::update_legacy_key`], writing `events` in the same transaction.
    async fn update_legacy_key_recorded(
        &self,
        key: &LegacyKey,
        events: &[Event],
    ) -> StoreResult<()>;
    async fn delete_legacy_key(&self, item_id: &str) -> StoreResult<()>;
    /// Shows `visit` every active legacy key as streamed from the database (never all in
    /// memory at once), in no particular order; returns how many. The entry is reused
    /// between calls.
    async fn scan_active_legacy_keys(
        &self,
        visit: &mut (dyn for<'e> FnMut(&'e LegacyKeyGrant) + Send),
    ) -> StoreResult<u64>;
    /// Which of these hex SHA-256 hashes belong to a stored legacy key (in no order).
    async fn legacy_hashes_stored(&self, hashes: &[String]) -> StoreResult<Vec<String>>;
    /// Legacy keys created at exactly `created` whose item id sorts after `after` (`""`: from
    /// the first), by item id, at most `limit`: a bulk import's keys, page by page.
    async fn legacy_keys_created_at(
        &self,
        created: i64,
        after: &str,
        limit: usize,
    ) -> StoreResult<Vec<LegacyKey>>;
}

/// What the key table needs of an active legacy key (see `scan_active_legacy_keys`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyKeyGrant {
    pub item_id: String,
    /// Hex SHA-256 of the key.
    pub key_hash: String,
    pub owner: String,
    pub privileges: Vec<String>,
    pub http_referrers: Vec<String>,
    pub last_used: i64,
}

/// Many items (with their legacy keys) written in one transaction: the bulk import.
#[async_trait]
pub trait BulkStore {
    /// Starts a bulk write. Nothing is visible to others until [`BulkWrite::commit`]; dropping
    /// the writer without committing rolls everything back. On SQLite it holds the database's
    /// write lock until then.
    async fn begin_bulk(&self) -> StoreResult<Box<dyn BulkWrite>>;
}

/// An open bulk write (see [`BulkStore::begin_bulk`]).
#[async_trait]
pub trait BulkWrite: Send {
    /// Inserts the items, many rows per statement. `Conflict` when an id is taken or an owner
    /// or folder does not exist.
    async fn insert_items(&mut self, items: &[Item]) -> StoreResult<()>;
    /// Inserts the legacy keys, many rows per statement. `Conflict` when a hash or item is
    /// taken or an item does not exist (insert the items first).
    async fn insert_legacy_keys(&mut self, keys: &[LegacyKey]) -> StoreResult<()>;
    /// Appends events to the same transaction (`legacy.imported`).
    async fn insert_events(&mut self, events: &[Event]) -> StoreResult<()>;
    /// Makes every row written visible at once.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// Organization-wide settings as named text values (e.g. the legacy-key retirement date).
#[async_trait]
pub trait SettingsStore {
    async fn get_setting(&self, name: &str) -> StoreResult<Option<String>>;
    /// Inserts or replaces.
    async fn set_setting(&self, name: &str, value: &str) -> StoreResult<()> {
        self.set_setting_recorded(name, value, &[]).await
    }
    /// [`SettingsStore::set_setting`], writing `events` in the same transaction.
    async fn set_setting_recorded(
        &self,
        name: &str,
        value: &str,
        events: &[Event],
    ) -> StoreResult<()>;
    async fn delete_setting(&self, name: &str) -> StoreResult<()> {
        self.delete_setting_recorded(name, &[]).await
    }
    /// [`SettingsStore::delete_setting`], writing `events` in the same transaction.
    async fn delete_setting_recorded(&self, name: &str, events: &[Event]) -> StoreResult<()>;
    /// Sets the value only if it is still `expected` (`None`: the setting is absent), in one
    /// statement; returns whether it did. Read-modify-write edits (adding to a list) use it so
    /// that concurrent edits from any process never silently undo each other.
    async fn replace_setting(
        &self,
        name: &str,
        expected: Option<&str>,
        value: &str,
    ) -> StoreResult<bool>;
}

/// A feed of change notices so every process sharing the database can keep its in-memory
/// tables exact: each write that affects authentication publishes a subject such as
/// `app:<itemId>`, `user:<username>`, `role:<id>` or `settings`.
#[async_trait]
pub trait ChangeFeed {
    /// Appends a notice and returns its sequence number (strictly increasing, also across
    /// processes). On PostgreSQL it also sends `NOTIFY keyportal_changes, '<seq>'`.
    async fn publish_change(&self, subject: &str) -> StoreResult<i64>;
    /// Notices after `seq`, oldest first, at most `limit`.
    async fn changes_since(&self, seq: i64, limit: usize) -> StoreResult<Vec<(i64, String)>>;
    /// The newest sequence number (0 when none).
    async fn latest_change(&self) -> StoreResult<i64>;
    /// Deletes notices published before `before` (epoch ms); returns how many.
    async fn prune_changes(&self, before: i64) -> StoreResult<u64>;
}

/// Usage counts, added in batches (never one write per request).
#[async_trait]
pub trait UsageStore {
    /// Adds each row's count to the stored count of its (day, client, slot, service), in one
    /// transaction; concurrent callers (several nodes) add up exactly.
    async fn add_usage(&self, rows: &[UsageRow]) -> StoreResult<()>;
    /// Rows of the days `first..=last`, for one client id or all, ordered by day, client,
    /// slot, service.
    async fn usage_between(
        &self,
        client_id: Option<&str>,
        first: i64,
        last: i64,
    ) -> StoreResult<Vec<UsageRow>>;
    /// Shows `visit` every row of the days `first..=last` (one client id or all) as streamed
    /// from the database, in no particular order: a month of a large organization is a million
    /// rows, never held as rows here.
    async fn scan_usage(
        &self,
        client_id: Option<&str>,
        first: i64,
        last: i64,
        visit: &mut (dyn for<'r> FnMut(UsageRowRef<'r>) + Send),
    ) -> StoreResult<u64>;
}

/// OAuth 2.0 sign-in for applications: authorization codes and refresh tokens, by SHA-256
/// hash only. `TokenStore::delete_tokens_of_user` removes a member's codes and refresh tokens
/// with their other tokens.
#[async_trait]
pub trait OAuthStore {
    /// `Conflict` when a code with this hash is stored.
    async fn insert_authorization_code(&self, code: &AuthorizationCode) -> StoreResult<()>;
    async fn get_authorization_code(&self, hash: &str) -> StoreResult<Option<AuthorizationCode>>;
    /// Deletes the code; `true` only for the one caller that deleted it (single use, also
    /// across nodes redeeming the same code at once), `false` when it was already gone.
    async fn consume_authorization_code(&self, hash: &str) -> StoreResult<bool>;
    /// `Conflict` when a refresh token with this hash is stored.
    async fn insert_refresh_token(&self, token: &RefreshToken) -> StoreResult<()>;
    async fn get_refresh_token(&self, hash: &str) -> StoreResult<Option<RefreshToken>>;
    /// Revokes a refresh token; whether it existed.
    async fn delete_refresh_token(&self, hash: &str) -> StoreResult<bool>;
    /// Replaces the refresh token `old_hash` by `new` in one transaction. `false` (and nothing
    /// written) when `old_hash` was already gone, so one refresh token is exchanged only once.
    async fn replace_refresh_token(&self, old_hash: &str, new: &RefreshToken) -> StoreResult<bool>;
    /// Removes codes and refresh tokens expired before `now`; returns how many.
    async fn purge_expired_oauth(&self, now: i64) -> StoreResult<u64>;
}

/// The settings of a proxied item or location service, with its upstream credentials sealed
/// (encrypted) by the service layer; `None` when it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProxy {
    pub settings: ProxySettings,
    pub sealed_secrets: Option<String>,
}

/// Proxied items and location services. An item's settings are deleted with the item.
#[async_trait]
pub trait ProxyStore {
    /// Inserts or replaces the settings of the target. `NotFound` when an item target's item
    /// does not exist.
    async fn put_proxy(&self, proxy: &StoredProxy) -> StoreResult<()>;
    async fn get_proxy(&self, target: &ProxyTarget) -> StoreResult<Option<StoredProxy>>;
    /// Every proxy, items first, then services, each by name.
    async fn list_proxies(&self) -> StoreResult<Vec<StoredProxy>>;
    /// `NotFound` when the target has no settings.
    async fn delete_proxy(&self, target: &ProxyTarget) -> StoreResult<()>;
}

/// A page of events, newest first, and how many match in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventPage {
    pub events: Vec<Event>,
    pub total: usize,
}

/// The audit trail. Events that record a change are written by that change's `*_recorded`
/// write method, in its transaction; these methods append events that change nothing else,
/// list them and apply retention. Nothing edits an event.
#[async_trait]
pub trait EventStore {
    /// Appends events in one transaction; an event whose `once` key is already recorded is
    /// skipped. Returns the ids written.
    async fn append_events(&self, events: &[Event]) -> StoreResult<Vec<String>>;
    /// A page of the events matching `filter`, newest first (ties by id, descending), with
    /// the number matching in all.
    async fn list_events(
        &self,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> StoreResult<EventPage>;
    /// Which of these `once` keys are recorded (in no order).
    async fn once_keys_recorded(&self, keys: &[String]) -> StoreResult<Vec<String>>;
    /// Deletes events older than `before` (retention); returns how many.
    async fn prune_events(&self, before: i64) -> StoreResult<u64>;
}

/// Keys revoked because they were reported as leaked, and the record of each (migration 15).
#[async_trait]
pub trait LeakStore {
    /// In one transaction: makes the slot `leak.slot` of the app on `leak.item_id` equal to
    /// `revoked_slot` (the domain's revoked slot) if it still holds the key whose hex SHA-256
    /// is `key_hash` — or, when `leak.slot` is `None`, deactivates the item's legacy key if it
    /// is that key and still active — and records `leak`. `false`, with nothing written, when
    /// the key is no longer there (regenerated, invalidated or deleted meanwhile).
    async fn revoke_leaked_key(
        &self,
        leak: &KeyLeak,
        key_hash: &str,
        revoked_slot: &SlotState,
    ) -> StoreResult<bool>;
    /// [`LeakStore::revoke_leaked_key`] that also writes `events` (the `key.leaked` event) in
    /// the same transaction, only when the key was revoked.
    async fn revoke_leaked_key_recorded(
        &self,
        leak: &KeyLeak,
        key_hash: &str,
        revoked_slot: &SlotState,
        events: &[Event],
    ) -> StoreResult<bool>;
    /// The leaks recorded for an item, newest first, at most `limit`.
    async fn key_leaks_of(&self, item_id: &str, limit: usize) -> StoreResult<Vec<KeyLeak>>;
}

/// One refused key request as nodes share it (issue 14): never the key. Empty text is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRefusal {
    pub item_id: String,
    /// Epoch ms.
    pub at: i64,
    /// The node that refused it, and its sequence there (tells apart refusals of one ms).
    pub node: String,
    pub seq: i64,
    /// 1 or 2 for API keys, 0 for app tokens and legacy keys.
    pub slot: u8,
    pub reason: String,
    pub referer: String,
    pub address: String,
    pub service: String,
}

/// Recent refusals per credential, written in batches by each node and read merged.
#[async_trait]
pub trait RefusalStore {
    /// Adds the refusals (a repeat of a stored one is ignored), then keeps only the newest
    /// `keep` of each item written; one transaction.
    async fn add_refusals(&self, refusals: &[StoredRefusal], keep: usize) -> StoreResult<()>;
    /// The newest `limit` refusals of an item, newest first.
    async fn recent_refusals(&self, item_id: &str, limit: usize)
        -> StoreResult<Vec<StoredRefusal>>;
    /// Deletes refusals older than `before` (epoch ms); returns how many.
    async fn prune_refusals(&self, before: i64) -> StoreResult<u64>;
}

/// Every capability together: what the server holds.
pub trait Store:
    OrgStore
    + UserStore
    + RoleStore
    + TokenStore
    + FolderStore
    + ItemStore
    + GroupStore
    + AppStore
    + LegacyKeyStore
    + BulkStore
    + SettingsStore
    + ChangeFeed
    + UsageStore
    + OAuthStore
    + ProxyStore
    + LeakStore
    + EventStore
    + RefusalStore
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: OrgStore
        + UserStore
        + RoleStore
        + TokenStore
        + FolderStore
        + ItemStore
        + GroupStore
        + AppStore
        + LegacyKeyStore
        + BulkStore
        + SettingsStore
        + ChangeFeed
        + UsageStore
        + OAuthStore
        + ProxyStore
        + LeakStore
        + EventStore
        + RefusalStore
        + Send
        + Sync
{
}
