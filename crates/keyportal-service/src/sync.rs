//! Keeping the in-memory key table exact: a full load at start, then the change feed (every
//! node publishes what it changed; every node reloads what others changed), and the batched
//! write of key `last_used` times.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use keyportal_domain::credential::AppToken;
use keyportal_domain::role::Role;
use keyportal_domain::user::{effective_privileges, User};

use crate::error::ServiceResult;
use crate::key_table::{KeyTable, OwnerState};
use crate::Portal;

fn owner_state_with(user: &User, role: &Role) -> OwnerState {
    OwnerState {
        org_id: user.org_id.clone(),
        privileges: effective_privileges(role, user.user_type, user.disabled),
        disabled: user.disabled,
    }
}

/// Members read per query when the key table loads its owners.
const MEMBER_PAGE: usize = 1_000;

/// Setting that holds the legacy-key retirement date (epoch ms).
pub const LEGACY_RETIREMENT_SETTING: &str = "legacy_key_retirement";

impl Portal {
    /// Loads every credential, app token, legacy key and owner: at start, when the change
    /// feed was purged past this node's position, and after the database was out of reach
    /// (a write may have committed while its notice could not be published).
    ///
    /// The new table is built aside and swapped in at once, so requests never meet a
    /// half-loaded table. The refresh lock is held meanwhile: a refresh after a local write
    /// waits and then applies what it reads on top, instead of being overwritten by this
    /// older snapshot.
    pub async fn load_key_table(&self) -> ServiceResult<()> {
        let serial = self.refresh_lock.lock().await;
        let started = std::time::Instant::now();
        let seq = self.store.latest_change().await?;
        let now = self.now();
        let mut tokens: HashMap<String, Vec<AppToken>> = HashMap::new();
        for token in self.store.list_app_tokens(now).await? {
            tokens
                .entry(token.client_id.clone())
                .or_default()
                .push(token);
        }
        let staging = KeyTable::new();
        let apps = self.store.list_apps().await?;
        for app in &apps {
            let own = tokens
                .get(&app.client_id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            staging.put_app(app, own);
        }
        // Streamed: a million legacy keys never sit in memory as rows, only as grants.
        let scan_started = std::time::Instant::now();
        let legacy = self
            .store
            .scan_active_legacy_keys(&mut |key| staging.put_legacy_grant(key))
            .await?;
        let scan_ms = scan_started.elapsed().as_millis();
        self.each_member(|username, state| staging.put_owner(username, Some(state)))
            .await?;
        staging.set_legacy_retirement(self.stored_legacy_retirement().await?);
        let keys = staging.len();
        self.key_table.replace_with(staging);
        self.key_table_loaded
            .store(true, std::sync::atomic::Ordering::Release);
        drop(serial);
        tracing::info!(
            keys,
            legacy,
            legacy_ms = scan_ms,
            ms = started.elapsed().as_millis(),
            "key table loaded"
        );
        self.refresh_settings().await?;
        for app in &apps {
            self.refresh_limits(&app.client_id).await?;
        }
        self.refresh_quota_usage().await?;
        self.load_proxies().await?;
        // Read once here, the organization is answered from memory from now on (`org`), also
        // while the database is away. A store without one yet is not an error for the table.
        if self.org().await.is_err() {
            tracing::debug!("no organization to cache yet");
        }
        self.last_change.store(seq, Ordering::SeqCst);
        Ok(())
    }

    async fn owner_state(&self, user: &User) -> ServiceResult<OwnerState> {
        let role = self.role_by_id(&user.role_id).await?;
        Ok(owner_state_with(user, &role))
    }

    /// Re-reads one member's privileges and state (after a role, type or status change).
    pub async fn refresh_owner(&self, username: &str) -> ServiceResult<()> {
        // Every "read the database, then update the table" runs under one lock: a slower
        // refresh that read older rows can never overwrite a newer one.
        let _serial = self.refresh_lock.lock().await;
        let state = match self.store.get_user(username).await? {
            Some(user) => Some(self.owner_state(&user).await?),
            None => None,
        };
        self.key_table.put_owner(username, state);
        Ok(())
    }

    /// Re-reads one credential (its slots and app tokens) into the table, or drops it.
    pub(crate) async fn refresh_app(&self, item_id: &str) -> ServiceResult<()> {
        let _serial = self.refresh_lock.lock().await;
        match self.store.get_app_by_item(item_id).await? {
            Some(stored) => {
                let tokens: Vec<AppToken> = self
                    .store
                    .list_app_tokens(self.now())
                    .await?
                    .into_iter()
                    .filter(|t| t.client_id == stored.app.client_id)
                    .collect();
                self.key_table.put_app(&stored.app, &tokens);
            }
            None => self.key_table.remove_item(item_id),
        }
        Ok(())
    }

    /// Re-reads one legacy key into the table, or drops it.
    pub(crate) async fn refresh_legacy(&self, item_id: &str) -> ServiceResult<()> {
        let _serial = self.refresh_lock.lock().await;
        match self.store.get_legacy_key(item_id).await? {
            Some(key) => self.key_table.put_legacy(&key),
            None => self.key_table.remove_item(item_id),
        }
        Ok(())
    }

    /// Re-reads every member (after a custom role's privileges change).
    pub async fn refresh_all_owners(&self) -> ServiceResult<()> {
        let _serial = self.refresh_lock.lock().await;
        self.each_member(|username, state| self.key_table.put_owner(username, Some(state)))
            .await
    }

    /// Shows `put` every member's current state, reading the members a page at a time by
    /// username (the key table keeps one small entry per member; the rows are not kept).
    /// Each role is read once, however many members hold it.
    async fn each_member(&self, mut put: impl FnMut(&str, OwnerState)) -> ServiceResult<()> {
        let mut roles: HashMap<String, Role> = HashMap::new();
        let mut after = String::new();
        loop {
            let page = self.store.users_after(&after, MEMBER_PAGE).await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = last.username.clone();
            for user in &page {
                if !roles.contains_key(&user.role_id) {
                    let role = self.role_by_id(&user.role_id).await?;
                    roles.insert(user.role_id.clone(), role);
                }
                if let Some(role) = roles.get(&user.role_id) {
                    put(&user.username, owner_state_with(user, role));
                }
            }
        }
    }

    async fn stored_legacy_retirement(&self) -> ServiceResult<Option<i64>> {
        Ok(self
            .store
            .get_setting(LEGACY_RETIREMENT_SETTING)
            .await?
            .and_then(|v| v.parse::<i64>().ok()))
    }

    async fn refresh_settings(&self) -> ServiceResult<()> {
        let retirement = self.stored_legacy_retirement().await?;
        self.key_table.set_legacy_retirement(retirement);
        let start = self.billing_start_day().await?;
        self.billing_start.store(start, Ordering::SeqCst);
        self.refresh_proxy_allow_list().await?;
        Ok(())
    }

    /// Reloads what a change notice names.
    async fn refresh_subject(&self, subject: &str) -> ServiceResult<()> {
        let (kind, name) = subject.split_once(':').unwrap_or((subject, ""));
        match kind {
            "app" => self.refresh_app(name).await?,
            "legacy" => self.refresh_legacy(name).await?,
            crate::legacy_import::LEGACY_IMPORT_SUBJECT => self.refresh_legacy_import(name).await?,
            "user" => self.refresh_owner(name).await?,
            "roles" => self.refresh_all_owners().await?,
            "settings" => self.refresh_settings().await?,
            "limits" => self.refresh_limits(name).await?,
            "proxy" => self.refresh_proxy(name).await?,
            other => tracing::warn!(subject = other, "unknown change notice"),
        }
        Ok(())
    }

    /// Applies the change notices published since the last call; returns how many.
    ///
    /// Numbers are consecutive (each is the previous one + 1, see the store's change feed),
    /// so a first notice beyond the next number means the notices this node still needed
    /// were purged (it was cut off longer than they are kept): then the whole table is
    /// reloaded instead.
    pub async fn sync_changes(&self) -> ServiceResult<usize> {
        let mut applied = 0;
        loop {
            let since = self.last_change.load(Ordering::SeqCst);
            let notices = self.store.changes_since(since, 500).await?;
            let Some((last, _)) = notices.last().cloned() else {
                return Ok(applied);
            };
            if notices.first().is_some_and(|(first, _)| *first > since + 1) {
                tracing::warn!(
                    position = since,
                    oldest_kept = notices.first().map(|(seq, _)| *seq),
                    "the change feed was purged past this node's position; reloading the key table"
                );
                self.load_key_table().await?;
                return Ok(applied + notices.len());
            }
            let mut seen = std::collections::HashSet::new();
            for (_, subject) in &notices {
                if seen.insert(subject.clone()) {
                    self.refresh_subject(subject).await?;
                }
            }
            applied += notices.len();
            self.last_change.store(last, Ordering::SeqCst);
        }
    }

    /// Announces a change of a member (role, type, status) and applies it here.
    pub(crate) async fn member_changed(&self, username: &str) -> ServiceResult<()> {
        self.refresh_owner(username).await?;
        self.store
            .publish_change(&format!("user:{username}"))
            .await?;
        Ok(())
    }

    /// Announces a change of custom roles and applies it here.
    pub(crate) async fn roles_changed(&self) -> ServiceResult<()> {
        self.refresh_all_owners().await?;
        self.store.publish_change("roles").await?;
        Ok(())
    }

    /// Writes the key uses seen since the last flush (one batch, never per request). Uses
    /// whose write failed are kept and written with the next batch (the store only ever
    /// raises a slot's time, so writing one late or twice is harmless).
    pub async fn flush_key_uses(&self) -> ServiceResult<usize> {
        let mut uses = std::mem::take(
            &mut *self
                .unwritten_key_uses
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        uses.extend(self.key_table.take_key_uses());
        if uses.is_empty() {
            return Ok(0);
        }
        if let Err(error) = self.store.record_key_uses(&uses).await {
            let mut kept = self
                .unwritten_key_uses
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            // One use per slot is enough: the latest.
            uses.sort_by(|a, b| {
                (&a.client_id, a.slot, b.when).cmp(&(&b.client_id, b.slot, a.when))
            });
            uses.dedup_by(|later, kept| {
                later.client_id == kept.client_id && later.slot == kept.slot
            });
            kept.extend(uses);
            return Err(error.into());
        }
        Ok(uses.len())
    }

    /// Writes the key uses, then the usage counts, gathered since the last batch (what the
    /// background task does every second). A batch that had something to write is timed and
    /// counted for the metrics; what fails to be written is kept for the next.
    pub async fn write_counts(&self) -> ServiceResult<()> {
        let started = std::time::Instant::now();
        let written = match self.flush_key_uses().await {
            Ok(uses) => self.flush_usage().await.map(|rows| uses + rows),
            Err(error) => Err(error),
        };
        // Recent refusals ride the same tick (kept and retried when their write fails).
        let written = match (written, self.flush_refusals().await) {
            (Ok(n), Ok(m)) => Ok(n + m),
            (Err(error), _) | (_, Err(error)) => Err(error),
        };
        match &written {
            Ok(0) => {}
            Ok(_) => self.metrics.flushed(started.elapsed(), true),
            Err(_) => self.metrics.flushed(started.elapsed(), false),
        }
        written.map(drop)
    }

    /// Housekeeping: expired user tokens, old change notices and old refusals.
    pub async fn purge_expired(&self) -> ServiceResult<()> {
        let now = self.now();
        self.store.purge_expired_tokens(now).await?;
        self.store.purge_expired_oauth(now).await?;
        self.key_table.drop_expired_app_tokens(now);
        self.store
            .prune_changes(now - keyportal_domain::time::DAY_MS)
            .await?;
        self.prune_refusals().await?;
        Ok(())
    }
}
