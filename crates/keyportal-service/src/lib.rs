//! keyportal's operations. Each public method of [`Portal`] is one thing a person or a client
//! can do — sign in, add an item, share it, manage members — with the domain's rules applied
//! and the store updated. The REST API, the web UI and the CLI all call these, so every path
//! into keyportal obeys the same rules.

mod app_tokens;
mod bootstrap;
mod caller;
mod check_access;
mod clock;
mod content;
mod credential_names;
mod credentials;
mod error;
mod events;
mod expiry;
mod group_search;
mod groups;
mod hashing;
mod items;
pub mod key_table;
mod leaks;
mod legacy;
mod legacy_entries;
mod legacy_import;
mod limits;
mod members;
pub mod metrics;
pub mod oauth;
mod org;
mod proxy;
mod proxy_allow_list;
mod quota_events;
mod refusals;
mod roles;
mod roll;
mod sealing;
mod search;
mod secret_scanning;
mod sharing;
mod sync;
mod tokens;
mod usage;
mod usage_report;
mod user_search;
mod users;

use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};

use keyportal_domain::signin_guard::{SigninGuard, SigninPolicy};
use keyportal_store::Store;

pub use app_tokens::IssuedAppToken;
pub use bootstrap::Bootstrap;
pub use caller::{Caller, ClientAddress, Member, RequestFacts};
pub use check_access::{AccessAnswer, AccessQuestion};
pub use clock::{Clock, ManualClock, SystemClock};
pub use content::ContentPage;
pub use credential_names::CredentialName;
pub use credentials::{AppChanges, AppView, CredentialSummary, KeyAppInfo, RegisterApp, SlotDates};
pub use error::{ServiceError, ServiceResult};
pub use events::{EventPaging, MAX_EVENT_PAGE};
pub use expiry::{expiring_keys, ExpiringKey, EXPIRY_WARNING_SETTING};
pub use groups::{GroupView, NewGroupMembers};
pub use hashing::{HashingLimits, PasswordHashing};
pub use items::{ItemStatus, ItemView};
pub use key_table::{Denial, KeyRequest, KeyTable, Resolved};
pub use keyportal_store::StoredRefusal;
pub use legacy::{LegacyImport, LegacyKeyPage, LEGACY_ITEM_TYPE};
pub use legacy_entries::parallel_map;
pub use legacy_import::{
    ImportEntry, ImportProgress, LegacyImportReader, LegacyImportSource, NoProgress,
};
pub use limits::THROTTLED_SERVICE;
pub use members::{MemberPage, MemberQuery};
pub use proxy::{ProxyEntry, ProxyRefusal, ProxyView, MANAGE_LOCATION_SERVICES};
pub use proxy_allow_list::{
    AllowListView, RefusedUpstream, MANAGE_PROXY_ALLOW_LIST, PROXY_ALLOW_LIST_SETTING,
};
pub use refusals::REFUSAL_RETENTION_MS;
pub use roll::{RollRequest, RolledApiKey};
pub use sealing::Sealer;
pub use search::{Page, SearchRequest, SortOrder};
pub use secret_scanning::{ScanningRefusal, TokenVerdict};
pub use sharing::{ShareOutcome, ShareRequest};
pub use tokens::{IssuedToken, TokenClient};
pub use usage::{
    UsageMeter, Verdict, VerifyRequest, OTHER_SERVICE, PORTAL_SERVICE, VERIFY_SERVICE,
};
pub use usage_report::UsageReport;
pub use users::{NewUser, UserView};

/// Settings of the portal that callers see.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    /// Shown as `name` and `portalName` in `portals/self`.
    pub portal_name: String,
    /// Lifetime of a key minted into a slot without a date (design §2.2).
    pub default_key_lifetime_ms: i64,
    /// How much Argon2 work may run and wait at once.
    pub password_hashing: HashingLimits,
    /// Proxies whose `X-Forwarded-For` / `X-Real-IP` are believed (`--trusted-proxies`).
    pub trusted_proxies: keyportal_domain::address::TrustedProxies,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            portal_name: "keyportal".to_string(),
            default_key_lifetime_ms: keyportal_domain::credential::DEFAULT_KEY_LIFETIME_MS,
            password_hashing: HashingLimits::default(),
            trusted_proxies: keyportal_domain::address::TrustedProxies::none(),
        }
    }
}

/// The portal's operations over a store.
pub struct Portal {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: PortalSettings,
    username_guard: Mutex<SigninGuard>,
    address_guard: Mutex<SigninGuard>,
    /// Every Argon2 computation runs here, bounded.
    hashing: PasswordHashing,
    key_table: Arc<KeyTable>,
    sealer: Sealer,
    /// The newest change notice this node has applied.
    last_change: AtomicI64,
    /// Serialises "read the database, update the key table" so older reads never win.
    refresh_lock: tokio::sync::Mutex<()>,
    usage: UsageMeter,
    limiter: limits::Limiter,
    /// The day of the month billing cycles start (cached from settings).
    billing_start: std::sync::atomic::AtomicU8,
    /// Proxied items and location services (settings cache and per-key rate buckets).
    proxies: proxy::Proxies,
    /// The organization, once read (it never changes after creation).
    org: std::sync::OnceLock<keyportal_domain::org::Org>,
    /// Key uses whose write failed, written with the next batch.
    unwritten_key_uses: Mutex<Vec<keyportal_store::KeyUse>>,
    /// Set once the key table has been loaded from the database (readiness).
    key_table_loaded: std::sync::atomic::AtomicBool,
    /// Key decisions and usage writes, for Prometheus.
    metrics: metrics::PortalMetrics,
    /// Public leak reports per client address.
    leak_reports: leaks::LeakReports,
    /// GitHub's secret scanning public keys (`--secret-scanning-keys`), when configured.
    secret_scanning: std::sync::RwLock<Option<Arc<keyportal_domain::leak::github::ScanningKeys>>>,
    /// `quota.reached` events waiting for the next usage flush.
    quota: quota_events::QuotaNotices,
}

impl Portal {
    /// A portal over `store`. Call [`Portal::load_key_table`] before serving requests.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: PortalSettings,
        sealer: Sealer,
    ) -> Portal {
        Portal {
            store,
            clock,
            hashing: PasswordHashing::new(settings.password_hashing),
            settings,
            username_guard: Mutex::new(SigninGuard::new(SigninPolicy::FOR_USERNAMES)),
            address_guard: Mutex::new(SigninGuard::new(SigninPolicy::FOR_ADDRESSES)),
            key_table: Arc::new(KeyTable::new()),
            sealer,
            last_change: AtomicI64::new(0),
            refresh_lock: tokio::sync::Mutex::new(()),
            usage: UsageMeter::default(),
            limiter: limits::Limiter::default(),
            billing_start: std::sync::atomic::AtomicU8::new(1),
            proxies: proxy::Proxies::default(),
            org: std::sync::OnceLock::new(),
            unwritten_key_uses: Mutex::new(Vec::new()),
            key_table_loaded: std::sync::atomic::AtomicBool::new(false),
            metrics: metrics::PortalMetrics::default(),
            leak_reports: leaks::LeakReports::default(),
            secret_scanning: std::sync::RwLock::new(None),
            quota: quota_events::QuotaNotices::default(),
        }
    }

    /// Whether the key table has been loaded, so key checks answer from the database's keys.
    pub fn is_key_table_loaded(&self) -> bool {
        self.key_table_loaded
            .load(std::sync::atomic::Ordering::Acquire)
    }

    pub fn key_table(&self) -> &Arc<KeyTable> {
        &self.key_table
    }

    pub fn settings(&self) -> &PortalSettings {
        &self.settings
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The Argon2 threads (their counts, for tests and monitoring).
    pub fn password_hashing(&self) -> &PasswordHashing {
        &self.hashing
    }
}
