//! The organization's proxy allow-list (design §2.13): the upstream hosts proxied items and
//! location services may forward to. Administrators holding `portal:admin:manageSecurity`
//! read and change it (REST, web page, CLI); it is stored as one setting and held in memory by
//! every node, which re-reads it on the `settings` change notice.

use std::sync::Arc;

use keyportal_domain::privilege::names;
use keyportal_domain::proxy::allow_list::{Refusal, UpstreamAllowList, UpstreamHost};
use keyportal_domain::proxy::{upstream_origin, ProxyTarget};
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::Portal;

/// The setting holding the list: a JSON array of canonical entries.
pub const PROXY_ALLOW_LIST_SETTING: &str = "proxy_allow_list";
/// The privilege to read and change the list: it is a security boundary, so it is not the
/// location-services privilege.
pub const MANAGE_PROXY_ALLOW_LIST: &str = names::ADMIN_MANAGE_SECURITY;

/// Compare-and-set attempts of an add/remove before reporting a conflict.
const EDIT_ATTEMPTS: usize = 8;

/// A proxy this node serves whose upstream host the list does not allow (enabled ones only):
/// what an administrator needs to see after tightening the list, or after an upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedUpstream {
    pub target: ProxyTarget,
    pub host: String,
    pub port: u16,
}

/// The list as administrators see it.
#[derive(Debug, Clone)]
pub struct AllowListView {
    /// Canonical entries, in the order they were added.
    pub entries: Vec<String>,
    /// Enabled proxies whose upstream host is not on the list.
    pub refused: Vec<RefusedUpstream>,
}

/// Whether the list allows an upstream's host and port (`None`: its URL no longer reads).
pub(crate) fn check_origin(
    list: &UpstreamAllowList,
    origin: Option<&(UpstreamHost, u16)>,
) -> Result<(), String> {
    match origin {
        Some((host, port)) => list
            .check_host(host, *port)
            .map_err(|refusal: Refusal| refusal.to_string()),
        None => {
            Err("The proxy's upstream URL can no longer be read; save its settings again.".into())
        }
    }
}

impl Portal {
    fn require_allow_list_admin(&self, caller: &Caller) -> ServiceResult<()> {
        caller.authorize(&keyportal_domain::authz::Operation::ManageProxyAllowList)
    }

    /// The list this node applies now (a cheap snapshot for every proxied request).
    pub fn upstream_allow_list(&self) -> Arc<UpstreamAllowList> {
        self.proxies.allow_list()
    }

    /// Re-reads the stored list into memory (at start and on the `settings` notice).
    pub(crate) async fn refresh_proxy_allow_list(&self) -> ServiceResult<()> {
        let stored = self.store.get_setting(PROXY_ALLOW_LIST_SETTING).await?;
        let list = match stored {
            Some(text) => {
                let (list, unreadable) = UpstreamAllowList::from_stored(&text);
                if !unreadable.is_empty() {
                    tracing::error!(
                        count = unreadable.len(),
                        "stored proxy allow-list entries no longer read; they allow nothing"
                    );
                }
                list
            }
            None => UpstreamAllowList::default(),
        };
        self.proxies.set_allow_list(list);
        Ok(())
    }

    /// The view of `list`, with the stored enabled proxies it refuses (read from the store, so
    /// the CLI sees them too).
    async fn allow_list_view(&self, list: &UpstreamAllowList) -> ServiceResult<AllowListView> {
        let mut refused: Vec<RefusedUpstream> = self
            .store
            .list_proxies()
            .await?
            .into_iter()
            .map(|p| p.settings)
            .filter(|s| s.enabled)
            .filter_map(|s| {
                let origin = upstream_origin(&s.url).ok();
                check_origin(list, origin.as_ref()).err()?;
                let (host, port) = origin
                    .map(|(h, p)| (h.to_string(), p))
                    .unwrap_or_else(|| ("(an unreadable URL)".into(), 0));
                Some(RefusedUpstream {
                    target: s.target,
                    host,
                    port,
                })
            })
            .collect();
        refused.sort_by(|a, b| a.target.cmp(&b.target));
        Ok(AllowListView {
            entries: list.texts(),
            refused,
        })
    }

    pub(crate) async fn stored_allow_list(
        &self,
    ) -> ServiceResult<(Option<String>, UpstreamAllowList)> {
        let stored = self.store.get_setting(PROXY_ALLOW_LIST_SETTING).await?;
        let list = stored
            .as_deref()
            .map(|text| UpstreamAllowList::from_stored(text).0)
            .unwrap_or_default();
        Ok((stored, list))
    }

    /// The list (administrators).
    pub async fn proxy_allow_list(&self, caller: &Caller) -> ServiceResult<AllowListView> {
        self.require_allow_list_admin(caller)?;
        let (_, list) = self.stored_allow_list().await?;
        self.allow_list_view(&list).await
    }

    /// Replaces every entry (administrators). Nothing changes when an entry is refused.
    pub async fn set_proxy_allow_list(
        &self,
        caller: &Caller,
        entries: &[String],
    ) -> ServiceResult<AllowListView> {
        self.require_allow_list_admin(caller)?;
        let list = UpstreamAllowList::replaced(entries)?;
        self.store
            .set_setting(PROXY_ALLOW_LIST_SETTING, &list.to_stored())
            .await?;
        self.allow_list_changed(&list).await
    }

    /// Adds and removes entries (administrators). Concurrent edits from any node or the CLI
    /// never undo each other: the write succeeds only over the value it was computed from.
    pub async fn change_proxy_allow_list(
        &self,
        caller: &Caller,
        add: &[String],
        remove: &[String],
    ) -> ServiceResult<AllowListView> {
        self.require_allow_list_admin(caller)?;
        for _ in 0..EDIT_ATTEMPTS {
            let (stored, current) = self.stored_allow_list().await?;
            let next = current.changed(add, remove)?;
            let written = self
                .store
                .replace_setting(
                    PROXY_ALLOW_LIST_SETTING,
                    stored.as_deref(),
                    &next.to_stored(),
                )
                .await?;
            if written {
                return self.allow_list_changed(&next).await;
            }
        }
        Err(ServiceError::Domain(DomainError::Conflict(
            "The proxy allow-list kept changing meanwhile; try again.".into(),
        )))
    }

    async fn allow_list_changed(&self, list: &UpstreamAllowList) -> ServiceResult<AllowListView> {
        self.proxies.set_allow_list(list.clone());
        self.store.publish_change("settings").await?;
        self.allow_list_view(list).await
    }
}
