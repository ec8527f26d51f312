//! Proxied items and location services: their settings (item owners and administrators; the
//! organization's administrators for location services), an in-memory cache of them (loaded at
//! start, refreshed through the change feed like the key table), and the decision on each
//! proxied request: who is calling, whether they may reach the target, its referrers and its
//! per-key rate — everything but the forwarding itself, which the HTTP layer does.
//!
//! Upstream credentials are sealed with the server key before they are stored and opened only
//! into this cache; no view, error or log line carries their values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use keyportal_domain::authz::Operation;
use keyportal_domain::privilege::NO_PRIVILEGES;
use keyportal_domain::proxy::allow_list::{UpstreamAllowList, UpstreamHost};
use keyportal_domain::proxy::{
    apply_changes, upstream_origin, ProxyChanges, ProxySettings, ProxyTarget, UpstreamSecrets,
};
use keyportal_domain::rate_limit::TokenBucket;
use keyportal_domain::referrer::{matches_any, ReferrerPattern};
use keyportal_domain::DomainError;
use keyportal_store::{SharedItem, StoredProxy};

use crate::caller::{Caller, RequestFacts};
use crate::error::{ServiceError, ServiceResult};
use crate::key_table::{Denial, KeyTable};
use crate::limits::THROTTLED_SERVICE;
use crate::metrics::key_checks::{DenyReason, KeyCheck, LimitedBy};
use crate::proxy_allow_list::check_origin;
use crate::Portal;

/// The privilege to configure location services (ArcGIS: "Manage utility services").
pub const MANAGE_LOCATION_SERVICES: &str = "portal:admin:manageUtilityServices";

/// Rate buckets kept before idle ones are dropped.
const MAX_BUCKETS: usize = 100_000;
/// A bucket unused this long is full again anyway and can be forgotten.
const BUCKET_IDLE_MS: i64 = 60_000;

/// One proxy as this node serves it: its settings, parsed referrers and opened credentials.
#[derive(Debug)]
pub struct ProxyEntry {
    pub settings: ProxySettings,
    referrers: Vec<ReferrerPattern>,
    /// `None` when this node cannot open the sealed credentials (another secret key).
    secrets: Option<UpstreamSecrets>,
    privileges: Vec<String>,
    /// The upstream's host and port, read once (`None` when the stored URL no longer reads).
    origin: Option<(UpstreamHost, u16)>,
    /// A proxied item's owner, access and groups, so the sharing check needs no database read;
    /// kept exact by `item_changed` and the change feed. `None` for location services and for
    /// an item that no longer exists.
    item: Option<SharedItem>,
}

impl ProxyEntry {
    /// Headers added to every upstream request (secret values: send them only upstream).
    pub fn upstream_headers(&self) -> &[(String, String)] {
        self.secrets.as_ref().map_or(&[], |s| s.headers.as_slice())
    }

    /// Query parameters added to every upstream request (secret values).
    pub fn upstream_query(&self) -> &[(String, String)] {
        self.secrets.as_ref().map_or(&[], |s| s.query.as_slice())
    }
}

/// Why a proxied request is refused; the HTTP layer answers with the matching status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyRefusal {
    /// 401: no token where one is needed, or a token that is not valid here.
    Unauthorized(String),
    /// 403: a valid caller that may not use this target.
    Forbidden(String),
    /// 404: not a proxied item or configured location service (or disabled).
    NotFound,
    /// 403: the target's upstream host is not on the organization's allow-list (any more);
    /// the message names the host.
    UpstreamRefused(String),
    /// 429: the per-key rate of the target or the credential's own limits.
    RateLimited { retry_after_ms: i64 },
    /// 500: the cause is for the log only.
    Internal(String),
}

/// What the settings routes show: never the credentials' values, only their names.
#[derive(Debug, Clone)]
pub struct ProxyView {
    pub settings: ProxySettings,
    /// False for the defaults of an item that was never configured.
    pub configured: bool,
    /// Items: the item's current `url` (differs from `settings.url` until saved again).
    pub item_url: Option<String>,
    /// Privileges any one of which allows a location service.
    pub privileges: Vec<String>,
}

impl ProxyView {
    fn of(settings: ProxySettings, configured: bool, item_url: Option<String>) -> ProxyView {
        ProxyView {
            privileges: settings.required_privileges(),
            settings,
            configured,
            item_url,
        }
    }
}

/// The cache, the per-key rate buckets and the upstream allow-list.
#[derive(Debug, Default)]
pub(crate) struct Proxies {
    entries: RwLock<HashMap<ProxyTarget, Arc<ProxyEntry>>>,
    /// `(target, caller) → (bucket, last use)`.
    buckets: Mutex<HashMap<(ProxyTarget, String), (TokenBucket, i64)>>,
    /// Replaced whole on every change, so a request holds one consistent list.
    allow_list: RwLock<Arc<UpstreamAllowList>>,
}

impl Proxies {
    pub(crate) fn allow_list(&self) -> Arc<UpstreamAllowList> {
        Arc::clone(&self.allow_list.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub(crate) fn set_allow_list(&self, list: UpstreamAllowList) {
        *self.allow_list.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(list);
    }

    fn get(&self, target: &ProxyTarget) -> Option<Arc<ProxyEntry>> {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(target)
            .cloned()
    }

    fn put(&self, target: ProxyTarget, entry: Option<ProxyEntry>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        match entry {
            Some(entry) => {
                entries.insert(target, Arc::new(entry));
            }
            None => {
                entries.remove(&target);
            }
        }
    }

    fn item_targets(&self) -> Vec<ProxyTarget> {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .filter(|t| matches!(t, ProxyTarget::Item(_)))
            .cloned()
            .collect()
    }

    fn replace_all(&self, all: HashMap<ProxyTarget, Arc<ProxyEntry>>) {
        *self.entries.write().unwrap_or_else(|p| p.into_inner()) = all;
    }

    /// Takes one request of `who` from the target's bucket, or says how long to wait.
    fn take(&self, target: &ProxyTarget, who: String, rate: u32, now: i64) -> Result<(), i64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, (_, last)| now - *last < BUCKET_IDLE_MS);
        }
        let (bucket, last) = buckets
            .entry((target.clone(), who))
            .or_insert_with(|| (TokenBucket::full(rate, now), now));
        *last = now;
        bucket.take(rate, now)
    }
}

/// Parses stored patterns; one that no longer parses closes the proxy to every referrer
/// rather than silently opening it.
fn parse_referrers(patterns: &[String]) -> Vec<ReferrerPattern> {
    let parsed: Vec<ReferrerPattern> = patterns
        .iter()
        .filter_map(|p| ReferrerPattern::parse(p).ok())
        .collect();
    if parsed.len() == patterns.len() {
        parsed
    } else {
        tracing::error!(
            "a stored proxy referrer pattern no longer parses; refusing every referrer"
        );
        ReferrerPattern::parse("https://invalid.invalid")
            .into_iter()
            .collect()
    }
}

fn internal(error: impl std::fmt::Display) -> ProxyRefusal {
    ProxyRefusal::Internal(error.to_string())
}

impl Portal {
    fn open_secrets(&self, sealed: &str) -> ServiceResult<UpstreamSecrets> {
        let text = self.sealer.open(sealed)?;
        serde_json::from_str(text.expose()).map_err(|_| {
            ServiceError::Internal("sealed upstream credentials are not readable".into())
        })
    }

    fn seal_secrets(&self, secrets: &UpstreamSecrets) -> ServiceResult<Option<String>> {
        if secrets.is_empty() {
            return Ok(None);
        }
        let text = serde_json::to_string(secrets)
            .map_err(|_| ServiceError::Internal("cannot encode upstream credentials".into()))?;
        self.sealer.seal(&text).map(Some)
    }

    /// The stored settings with what the cache needs from the database besides them.
    async fn load_proxy_entry(&self, stored: StoredProxy) -> ServiceResult<ProxyEntry> {
        let item = match &stored.settings.target {
            ProxyTarget::Item(id) => self.store.get_item(id).await?,
            ProxyTarget::Service(_) => None,
        };
        Ok(self.proxy_entry(stored, item))
    }

    fn proxy_entry(&self, stored: StoredProxy, item: Option<SharedItem>) -> ProxyEntry {
        let secrets = match &stored.sealed_secrets {
            None => Some(UpstreamSecrets::default()),
            Some(sealed) => match self.open_secrets(sealed) {
                Ok(secrets) => Some(secrets),
                Err(error) => {
                    tracing::error!(
                        target_name = stored.settings.target.name(),
                        %error,
                        "cannot open a proxy's upstream credentials; its requests are refused"
                    );
                    None
                }
            },
        };
        ProxyEntry {
            origin: upstream_origin(&stored.settings.url).ok(),
            referrers: parse_referrers(&stored.settings.allowed_referrers),
            privileges: stored.settings.required_privileges(),
            settings: stored.settings,
            secrets,
            item,
        }
    }

    /// Loads every proxy into the cache (at start).
    pub(crate) async fn load_proxies(&self) -> ServiceResult<()> {
        let _serial = self.refresh_lock.lock().await;
        let mut all = HashMap::new();
        for stored in self.store.list_proxies().await? {
            let target = stored.settings.target.clone();
            all.insert(target, Arc::new(self.load_proxy_entry(stored).await?));
        }
        self.proxies.replace_all(all);
        Ok(())
    }

    /// Re-reads one proxy named by a change notice (`proxy:<itemId>`, `proxy:service:<name>`;
    /// `rest` is the part after `proxy:`).
    pub(crate) async fn refresh_proxy(&self, rest: &str) -> ServiceResult<()> {
        match ProxyTarget::from_subject(rest) {
            Some(target) => self.refresh_proxy_target(&target).await,
            None => {
                tracing::warn!("unreadable proxy change notice");
                Ok(())
            }
        }
    }

    async fn refresh_proxy_target(&self, target: &ProxyTarget) -> ServiceResult<()> {
        let _serial = self.refresh_lock.lock().await;
        let entry = match self.store.get_proxy(target).await? {
            Some(stored) => Some(self.load_proxy_entry(stored).await?),
            None => None,
        };
        self.proxies.put(target.clone(), entry);
        Ok(())
    }

    /// After a write that may change an item's owner, access or groups: a proxied item's
    /// cached sharing is re-read here and on every other node.
    pub(crate) async fn item_changed(&self, item_id: &str) -> ServiceResult<()> {
        let target = ProxyTarget::Item(item_id.to_ascii_lowercase());
        if self.proxies.get(&target).is_some() {
            self.refresh_proxy_target(&target).await?;
            self.store.publish_change(&target.subject()).await?;
        }
        Ok(())
    }

    /// After a group is deleted (its shares go with it): every proxied item is re-read.
    pub(crate) async fn proxied_items_changed(&self) -> ServiceResult<()> {
        for target in self.proxies.item_targets() {
            self.refresh_proxy_target(&target).await?;
            self.store.publish_change(&target.subject()).await?;
        }
        Ok(())
    }

    /// Applies a change to a target's settings, writes it, updates this node and tells the
    /// others. Nothing is written when the change is refused.
    async fn save_proxy(
        &self,
        target: ProxyTarget,
        stored: Option<StoredProxy>,
        changes: &ProxyChanges,
        item_url: Option<&str>,
    ) -> ServiceResult<ProxyView> {
        let now = self.now();
        let replaces_all = changes.upstream_headers.is_some() && changes.upstream_query.is_some();
        let (current, secrets) = match &stored {
            Some(stored) => {
                let secrets = match &stored.sealed_secrets {
                    Some(sealed) if !replaces_all => self.open_secrets(sealed)?,
                    _ => UpstreamSecrets::default(),
                };
                (stored.settings.clone(), secrets)
            }
            None => (
                ProxySettings::new(target.clone(), now),
                UpstreamSecrets::default(),
            ),
        };
        let (_, allow_list) = self.stored_allow_list().await?;
        let (next, next_secrets) =
            apply_changes(&current, &secrets, changes, item_url, &allow_list, now)?;
        let sealed_secrets = self.seal_secrets(&next_secrets)?;
        self.store
            .put_proxy(&StoredProxy {
                settings: next.clone(),
                sealed_secrets,
            })
            .await?;
        self.refresh_proxy_target(&target).await?;
        self.store.publish_change(&target.subject()).await?;
        Ok(ProxyView::of(next, true, item_url.map(str::to_string)))
    }

    /// The item whose proxy settings the caller manages: the owner (with the privilege to
    /// create content) or an administrator who may update any item; never an API key.
    async fn managed_item(
        &self,
        caller: &Caller,
        owner: &str,
        item_id: &str,
    ) -> ServiceResult<SharedItem> {
        let shared = self
            .item_for(caller, item_id, |item| Operation::ManageCredential {
                item,
                held: &NO_PRIVILEGES,
                granted: &NO_PRIVILEGES,
            })
            .await?;
        self.check_url_owner(&shared.item.owner, owner)?;
        Ok(shared)
    }

    /// The proxy settings of an item (owner and administrators), without credential values.
    pub async fn item_proxy(
        &self,
        caller: &Caller,
        owner: &str,
        item_id: &str,
    ) -> ServiceResult<ProxyView> {
        let shared = self.managed_item(caller, owner, item_id).await?;
        let target = ProxyTarget::Item(shared.item.id.clone());
        Ok(match self.store.get_proxy(&target).await? {
            Some(stored) => ProxyView::of(stored.settings, true, Some(shared.item.url)),
            None => ProxyView::of(
                ProxySettings::new(target, shared.item.modified),
                false,
                Some(shared.item.url),
            ),
        })
    }

    /// Changes an item's proxy settings. The upstream is the item's `url`, copied now.
    pub async fn set_item_proxy(
        &self,
        caller: &Caller,
        owner: &str,
        item_id: &str,
        changes: &ProxyChanges,
    ) -> ServiceResult<ProxyView> {
        let shared = self.managed_item(caller, owner, item_id).await?;
        if changes.is_empty() {
            return self.item_proxy(caller, owner, item_id).await;
        }
        let target = ProxyTarget::Item(shared.item.id.clone());
        let stored = self.store.get_proxy(&target).await?;
        self.save_proxy(target, stored, changes, Some(&shared.item.url))
            .await
    }

    fn require_service_admin(&self, caller: &Caller) -> ServiceResult<()> {
        caller.authorize(&Operation::ManageLocationServices)?;
        if caller.key().is_some() {
            return Err(DomainError::forbidden_because(
                "API keys cannot manage location services.",
            )
            .into());
        }
        Ok(())
    }

    /// Every configured location service (administrators), without credential values.
    pub async fn location_services(&self, caller: &Caller) -> ServiceResult<Vec<ProxyView>> {
        self.require_service_admin(caller)?;
        Ok(self
            .store
            .list_proxies()
            .await?
            .into_iter()
            .filter(|p| matches!(p.settings.target, ProxyTarget::Service(_)))
            .map(|p| ProxyView::of(p.settings, true, None))
            .collect())
    }

    fn location_not_found(name: &str) -> ServiceError {
        ServiceError::not_found(format!("The location service '{name}' is not configured."))
    }

    /// One location service (administrators).
    pub async fn location_service(&self, caller: &Caller, name: &str) -> ServiceResult<ProxyView> {
        self.require_service_admin(caller)?;
        let target = ProxyTarget::service(name)?;
        match self.store.get_proxy(&target).await? {
            Some(stored) => Ok(ProxyView::of(stored.settings, true, None)),
            None => Err(Self::location_not_found(target.name())),
        }
    }

    /// Creates or changes a location service (administrators). A new service is enabled
    /// unless `enabled=false` is sent.
    pub async fn set_location_service(
        &self,
        caller: &Caller,
        name: &str,
        changes: &ProxyChanges,
    ) -> ServiceResult<ProxyView> {
        self.require_service_admin(caller)?;
        let target = ProxyTarget::service(name)?;
        let stored = self.store.get_proxy(&target).await?;
        if stored.is_none() && changes.url.is_none() {
            return Err(DomainError::invalid(
                "'url' must be specified (the upstream http(s) URL of the service).",
            )
            .into());
        }
        if let (Some(stored), true) = (&stored, changes.is_empty()) {
            return Ok(ProxyView::of(stored.settings.clone(), true, None));
        }
        let mut changes = changes.clone();
        if stored.is_none() && changes.enabled.is_none() {
            changes.enabled = Some(true);
        }
        self.save_proxy(target, stored, &changes, None).await
    }

    /// Removes a location service (administrators).
    pub async fn delete_location_service(&self, caller: &Caller, name: &str) -> ServiceResult<()> {
        self.require_service_admin(caller)?;
        let target = ProxyTarget::service(name)?;
        if self.store.get_proxy(&target).await?.is_none() {
            return Err(Self::location_not_found(target.name()));
        }
        self.store.delete_proxy(&target).await?;
        self.refresh_proxy_target(&target).await?;
        self.store.publish_change(&target.subject()).await?;
        Ok(())
    }

    /// Who is calling a proxied target: a key (decided in memory), a member, or anonymous.
    async fn proxy_caller(
        &self,
        token: Option<&str>,
        facts: &RequestFacts,
        now: i64,
    ) -> Result<Caller, ProxyRefusal> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(Caller::Anonymous);
        };
        if token.len() > 4096 {
            return Err(ProxyRefusal::Unauthorized("Invalid token.".into()));
        }
        match self.key_table.check(token, &facts.key_request(None), now) {
            Ok(resolved) => return Ok(Caller::Key(Box::new(resolved))),
            Err(Denial::Unknown) if !KeyTable::looks_like_key(token) => {}
            Err(denial) => {
                self.count_key_check(KeyCheck::Denied(DenyReason::Key(denial)));
                return Err(ProxyRefusal::Unauthorized(format!(
                    "The API key is not valid here ({}).",
                    denial.reason()
                )));
            }
        }
        match self.authenticate(Some(token), facts).await {
            Ok(caller) => Ok(caller),
            Err(ServiceError::InvalidToken | ServiceError::TokenRequired) => {
                Err(ProxyRefusal::Unauthorized("Invalid token.".into()))
            }
            Err(ServiceError::RateLimited(limited)) => Err(ProxyRefusal::RateLimited {
                retry_after_ms: limited.retry_after_ms,
            }),
            Err(error) => Err(internal(error)),
        }
    }

    /// Decides one request to a proxied item or location service: the caller's token, access
    /// to the target (items by sharing for members, by item access for keys, public items for
    /// all; location services by privilege), the target's referrers, its rate per key and the
    /// key's own limits. An allowed key request is counted under the item id or service name.
    pub async fn authorize_proxy(
        &self,
        target: &ProxyTarget,
        token: Option<&str>,
        facts: &RequestFacts,
    ) -> Result<Arc<ProxyEntry>, ProxyRefusal> {
        let now = self.now();
        let caller = self.proxy_caller(token, facts, now).await?;
        let entry = self
            .proxies
            .get(target)
            .filter(|e| e.settings.enabled)
            .ok_or(ProxyRefusal::NotFound)?;
        let token_required =
            || ProxyRefusal::Unauthorized("A token is required to use this service.".into());
        match target {
            ProxyTarget::Item(_) => {
                let shared = entry.item.as_ref().ok_or(ProxyRefusal::NotFound)?;
                let view = Operation::ViewItem {
                    item: &shared.item,
                    groups: &shared.group_ids,
                };
                if !caller.allows(&view) {
                    self.count_key_denial(&caller, DenyReason::Item);
                    return Err(match caller {
                        Caller::Anonymous => token_required(),
                        _ => ProxyRefusal::Forbidden(
                            "The token does not give access to this item.".into(),
                        ),
                    });
                }
            }
            ProxyTarget::Service(_) => {
                let needed = &entry.privileges;
                let allowed = match &caller {
                    Caller::Anonymous => return Err(token_required()),
                    Caller::Key(key) => needed.iter().any(|p| key.allows(p)),
                    Caller::Member(member) => needed.iter().any(|p| member.has(p)),
                    Caller::System { .. } => true,
                };
                if !allowed {
                    self.count_key_denial(&caller, DenyReason::Service);
                    return Err(ProxyRefusal::Forbidden(format!(
                        "One of these privileges is required: {}.",
                        needed.join(", ")
                    )));
                }
            }
        }
        if !matches_any(&entry.referrers, facts.referer.as_deref()) {
            self.count_key_denial(&caller, DenyReason::TargetReferrer);
            return Err(ProxyRefusal::Forbidden(
                "The request's referrer is not allowed for this service.".into(),
            ));
        }
        // Only callers who may use the target learn that its upstream is refused.
        check_origin(&self.proxies.allow_list(), entry.origin.as_ref())
            .map_err(ProxyRefusal::UpstreamRefused)?;
        if entry.secrets.is_none() {
            return Err(ProxyRefusal::Internal(
                "the proxy's upstream credentials cannot be opened with this node's secret key"
                    .into(),
            ));
        }
        if let Some(rate) = entry.settings.rate_limit_per_key {
            let who = match &caller {
                Caller::Key(key) => format!(
                    "key:{}:{}",
                    key.grant.usage_key(),
                    key.grant.kind.slot_number()
                ),
                Caller::Member(member) => format!("user:{}", member.user.username),
                Caller::Anonymous | Caller::System { .. } => format!(
                    "address:{}",
                    facts.client_ip.as_deref().unwrap_or("unknown")
                ),
            };
            if let Err(wait) = self.proxies.take(target, who, rate, now) {
                if let Caller::Key(key) = &caller {
                    self.count_key_check(KeyCheck::Limited(LimitedBy::ProxyRate));
                    self.usage.record(key, THROTTLED_SERVICE, now);
                }
                return Err(ProxyRefusal::RateLimited {
                    retry_after_ms: wait,
                });
            }
        }
        if let Caller::Key(key) = &caller {
            match self.check_limits(key, self.now()) {
                Ok(()) => {}
                Err(ServiceError::RateLimited(limited)) => {
                    return Err(ProxyRefusal::RateLimited {
                        retry_after_ms: limited.retry_after_ms,
                    })
                }
                Err(error) => return Err(internal(error)),
            }
            self.count_key_check(KeyCheck::Allowed);
            self.usage.record(key, target.name(), now);
        }
        Ok(entry)
    }

    /// Counts a refusal of a proxied request as a key decision when a key made it.
    fn count_key_denial(&self, caller: &Caller, reason: DenyReason) {
        if matches!(caller, Caller::Key(_)) {
            self.count_key_check(KeyCheck::Denied(reason));
        }
    }

    /// Whether this node holds settings for the target (tests and diagnostics).
    pub fn proxy_cached(&self, target: &ProxyTarget) -> Option<Arc<ProxyEntry>> {
        self.proxies.get(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_per_target_and_caller() {
        let proxies = Proxies::default();
        let a = ProxyTarget::Item("a".repeat(32));
        let b = ProxyTarget::Service("geocode".into());
        assert!(proxies.take(&a, "key:x:1".into(), 1, 0).is_ok());
        assert!(proxies.take(&a, "key:x:1".into(), 1, 0).is_err());
        assert!(
            proxies.take(&a, "key:x:2".into(), 1, 0).is_ok(),
            "other key"
        );
        assert!(
            proxies.take(&b, "key:x:1".into(), 1, 0).is_ok(),
            "other target"
        );
        assert!(
            proxies.take(&a, "key:x:1".into(), 1, 1_000).is_ok(),
            "refilled"
        );
    }

    #[test]
    fn unparsable_stored_referrers_close_the_proxy() {
        let open = parse_referrers(&[]);
        assert!(matches_any(&open, None));
        let closed = parse_referrers(&["not a referrer".into()]);
        assert!(!matches_any(&closed, Some("https://app.example.com")));
    }
}
