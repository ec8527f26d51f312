//! Counting what API keys are used for, and the verify decision for services that sit
//! elsewhere. Counts live in memory per (UTC day, credential, slot, service) and are written
//! in batches by `flush_usage`, never once per request; reports add the counts not yet written.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keyportal_domain::proxy::ProxyTarget;
use keyportal_domain::service_catalog::catalog_service;
use keyportal_domain::usage::{
    day_of, validate_service_name, DayRange, ReportPeriod, UsageDay, UsageRow,
};
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::key_table::{Denial, KeyRequest, Resolved};
use crate::metrics::key_checks::{DenyReason, KeyCheck};
use crate::usage_report::{ReportBuilder, UsageReport};
use crate::Portal;

/// The service name of Sharing API calls made with a key.
pub const PORTAL_SERVICE: &str = "portal";
/// `/verify` requests that name no service are counted under this name.
pub const VERIFY_SERVICE: &str = "verify";
/// `/verify` requests that name a service the organization does not know (neither in the
/// catalog of location services nor configured here) are counted under this one name: usage
/// rows exist only for names the organization chose, so whoever holds a key cannot create
/// rows without end by inventing service names.
pub const OTHER_SERVICE: &str = "other";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CountKey {
    day: UsageDay,
    client: Arc<str>,
    slot: u8,
    service: Arc<str>,
}

/// A [`CountKey`] borrowed from a request, to find its counter without building the key.
/// Same fields in the same order, so it hashes as the key does.
#[derive(Hash)]
struct CountProbe<'a> {
    day: UsageDay,
    client: &'a str,
    slot: u8,
    service: &'a str,
}

impl hashbrown::Equivalent<CountKey> for CountProbe<'_> {
    fn equivalent(&self, key: &CountKey) -> bool {
        self.day == key.day
            && self.slot == key.slot
            && self.client == &*key.client
            && self.service == &*key.service
    }
}

/// In-memory counters behind one short lock. A count that already has its counter is found
/// with a borrowed probe (no `Arc` touched); the first count of a (day, key, service) builds
/// the key, interning the service name. The map hashes with foldhash (randomly seeded per
/// process): counting runs on every key request, where SipHash was most of its cost.
#[derive(Debug, Default)]
pub struct UsageMeter {
    counts: Mutex<hashbrown::HashMap<CountKey, u64, foldhash::fast::RandomState>>,
    services: Mutex<HashMap<String, Arc<str>, foldhash::fast::RandomState>>,
}

impl UsageMeter {
    fn service(&self, name: &str) -> Arc<str> {
        let mut services = self.services.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(interned) = services.get(name) {
            return Arc::clone(interned);
        }
        let interned: Arc<str> = Arc::from(name);
        services.insert(name.to_string(), Arc::clone(&interned));
        interned
    }

    /// Counts one use of a key for `service` on the day of `now`.
    pub fn record(&self, key: &Resolved, service: &str, now: i64) {
        let probe = CountProbe {
            day: day_of(now),
            client: key.grant.usage_key(),
            slot: key.grant.kind.slot_number(),
            service,
        };
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&probe) {
            *count += 1;
            return;
        }
        let first = CountKey {
            day: probe.day,
            client: Arc::clone(key.grant.usage_key()),
            slot: probe.slot,
            service: self.service(service),
        };
        counts.insert(first, 1);
    }

    /// Takes every count (to write them).
    pub fn take(&self) -> Vec<UsageRow> {
        let counts = std::mem::take(&mut *self.counts.lock().unwrap_or_else(|p| p.into_inner()));
        counts
            .into_iter()
            .map(|(k, count)| UsageRow {
                day: k.day,
                client_id: k.client.to_string(),
                slot: k.slot,
                service: k.service.to_string(),
                count,
            })
            .collect()
    }

    /// Puts counts back after a failed write, so none is lost.
    pub fn restore(&self, rows: Vec<UsageRow>) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        for row in rows {
            let key = CountKey {
                day: row.day,
                client: Arc::from(row.client_id.as_str()),
                slot: row.slot,
                service: self.service(&row.service),
            };
            *counts.entry(key).or_insert(0) += row.count;
        }
    }

    /// The sum of the counts not yet written (the `keyportal_usage_pending` gauge).
    pub fn pending_total(&self) -> u64 {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.values().sum()
    }

    /// Counts not yet written, for reports and quotas.
    pub(crate) fn pending(&self, client_id: Option<&str>, range: DayRange) -> Vec<UsageRow> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts
            .iter()
            .filter(|(k, _)| range.contains(k.day) && client_id.is_none_or(|c| &*k.client == c))
            .map(|(k, count)| UsageRow {
                day: k.day,
                client_id: k.client.to_string(),
                slot: k.slot,
                service: k.service.to_string(),
                count: *count,
            })
            .collect()
    }
}

/// What `/verify` decided.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// A rate limit or quota refused the request.
    Limited(keyportal_domain::rate_limit::Limited),
    Allowed(Box<Resolved>),
    /// No key was given.
    Missing,
    /// The key is not honoured (unknown, expired, referrer, owner…): authentication failed.
    Invalid(Denial),
    /// The key is valid but may not do this: the names say what is missing.
    Forbidden {
        reason: &'static str,
        needed: Vec<String>,
    },
}

/// What a verify request asks.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest<'a> {
    pub token: Option<&'a str>,
    pub referer: Option<&'a str>,
    /// The client's address (the peer, or what a trusted proxy says).
    pub address: Option<std::net::IpAddr>,
    /// A location service name (`geocode`, `basemaps`…) or another name usage is counted under.
    pub service: Option<&'a str>,
    /// A privilege the key must hold (in addition to the service's).
    pub privilege: Option<&'a str>,
    /// An item the key must have item access to.
    pub item: Option<&'a str>,
}

/// What a valid key may still not do for `request`: a service, a privilege or an item it
/// lacks (`Verdict::Forbidden`), checked in that order. `checkAccess` asks the same.
pub(crate) fn forbidden(resolved: &Resolved, request: &VerifyRequest<'_>) -> Option<Verdict> {
    if let Some((_, needed)) = request.service.and_then(catalog_service) {
        if !needed.iter().any(|p| resolved.allows(p)) {
            return Some(Verdict::Forbidden {
                reason: "service",
                needed: needed.iter().map(|p| p.to_string()).collect(),
            });
        }
    }
    if let Some(privilege) = request.privilege {
        if !resolved.allows(privilege) {
            return Some(Verdict::Forbidden {
                reason: "privilege",
                needed: vec![privilege.to_string()],
            });
        }
    }
    if let Some(item) = request.item {
        if !resolved.grants_item(&item.to_ascii_lowercase()) {
            return Some(Verdict::Forbidden {
                reason: "item",
                needed: vec![format!("portal:app:access:item:{item}")],
            });
        }
    }
    None
}

/// Organization setting: the day of the month billing cycles start (1–28).
pub const BILLING_START_DAY_SETTING: &str = "billing_cycle_start_day";

impl Portal {
    /// Decides a verify request entirely in memory and counts it when allowed; every
    /// decision is counted in the key-check metrics.
    pub fn verify(&self, request: &VerifyRequest<'_>) -> ServiceResult<Verdict> {
        let verdict = self.decide_verify(request);
        self.count_key_check(match &verdict {
            Ok(Verdict::Allowed(_)) => KeyCheck::Allowed,
            // `check_limits` counted it.
            Ok(Verdict::Limited(_)) => return verdict,
            Ok(Verdict::Missing) => KeyCheck::Denied(DenyReason::Missing),
            Ok(Verdict::Invalid(denial)) => KeyCheck::Denied(DenyReason::Key(*denial)),
            Ok(Verdict::Forbidden { reason, .. }) => KeyCheck::Denied(match *reason {
                "service" => DenyReason::Service,
                "item" => DenyReason::Item,
                _ => DenyReason::Privilege,
            }),
            Err(_) => KeyCheck::Denied(DenyReason::BadRequest),
        });
        verdict
    }

    fn decide_verify(&self, request: &VerifyRequest<'_>) -> ServiceResult<Verdict> {
        let Some(token) = request.token.filter(|t| !t.is_empty()) else {
            return Ok(Verdict::Missing);
        };
        if let Some(service) = request.service {
            validate_service_name(service)?;
        }
        let now = self.now();
        let key_request = KeyRequest {
            referer: request.referer,
            address: request.address,
            service: request.service,
        };
        let resolved = match self.key_table.check(token, &key_request, now) {
            Ok(resolved) => resolved,
            Err(denial) => return Ok(Verdict::Invalid(denial)),
        };
        let catalog = request.service.and_then(catalog_service);
        if let Some(forbidden) = forbidden(&resolved, request) {
            if let Verdict::Forbidden { reason, .. } = &forbidden {
                self.key_table.refusals().record(
                    &resolved.grant,
                    reason,
                    &key_request.facts(),
                    now,
                );
            }
            return Ok(forbidden);
        }
        if let Err(ServiceError::RateLimited(limited)) = self.check_limits(&resolved, now) {
            return Ok(Verdict::Limited(limited));
        }
        let counted_under = match (request.service, catalog) {
            (None, _) => Cow::Borrowed(VERIFY_SERVICE),
            (Some(_), Some((name, _))) => Cow::Borrowed(name),
            (Some(name), None) => self.configured_service(name),
        };
        self.usage.record(&resolved, &counted_under, now);
        Ok(Verdict::Allowed(Box::new(resolved)))
    }

    /// A service name outside the catalog: its own (lower-case) name when a location service
    /// of that name is configured here, otherwise [`OTHER_SERVICE`].
    fn configured_service(&self, name: &str) -> Cow<'static, str> {
        let target = ProxyTarget::Service(name.to_ascii_lowercase());
        match self.proxy_cached(&target) {
            Some(_) => Cow::Owned(target.name().to_string()),
            None => Cow::Borrowed(OTHER_SERVICE),
        }
    }

    /// Counts a Sharing API request made with a key.
    pub(crate) fn count_portal_use(&self, resolved: &Resolved) {
        self.usage.record(resolved, PORTAL_SERVICE, self.now());
    }

    /// Writes the counts gathered since the last flush in one batch; on failure they are kept
    /// for the next attempt. Quotas are re-read separately (`refresh_quota_usage`).
    pub async fn flush_usage(&self) -> ServiceResult<usize> {
        self.flush_quota_events().await?;
        let rows = self.usage.take();
        if rows.is_empty() {
            return Ok(0);
        }
        let written = rows.len();
        if let Err(error) = self.store.add_usage(&rows).await {
            self.usage.restore(rows);
            return Err(error.into());
        }
        Ok(written)
    }

    pub(crate) async fn billing_start_day(&self) -> ServiceResult<u8> {
        Ok(self
            .store
            .get_setting(BILLING_START_DAY_SETTING)
            .await?
            .and_then(|v| v.parse::<u8>().ok())
            .filter(|d| (1..=28).contains(d))
            .unwrap_or(1))
    }

    /// Sets the day of the month billing cycles start (administrators).
    pub async fn set_billing_start_day(&self, caller: &Caller, day: u8) -> ServiceResult<()> {
        caller.authorize(&keyportal_domain::authz::Operation::ManageSecuritySettings)?;
        if !(1..=28).contains(&day) {
            return Err(
                DomainError::invalid("A billing cycle starts on day 1 to 28 of a month.").into(),
            );
        }
        self.store
            .set_setting(BILLING_START_DAY_SETTING, &day.to_string())
            .await?;
        self.billing_start
            .store(day, std::sync::atomic::Ordering::Relaxed);
        self.store.publish_change("settings").await?;
        Ok(())
    }

    /// The day of the month billing cycles start.
    pub fn billing_cycle_start_day(&self) -> u8 {
        self.billing_start
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn report(
        &self,
        client_id: Option<&str>,
        period: ReportPeriod,
    ) -> ServiceResult<UsageReport> {
        let range = period.range(self.now(), self.billing_start_day().await?)?;
        let mut builder = ReportBuilder::default();
        self.store
            .scan_usage(client_id, range.first, range.last, &mut |row| {
                builder.add(row)
            })
            .await?;
        for row in self.usage.pending(client_id, range) {
            builder.add(row.borrowed());
        }
        Ok(builder.finish(range))
    }

    /// Usage of one credential (owner and administrators who may see it).
    pub async fn credential_usage(
        &self,
        caller: &Caller,
        item_id: &str,
        period: ReportPeriod,
    ) -> ServiceResult<UsageReport> {
        let view = self.app_info(caller, item_id).await?;
        self.report(Some(&view.app.client_id), period).await
    }

    /// Usage of the whole organization (administrators), optionally of one credential.
    pub async fn org_usage(
        &self,
        caller: &Caller,
        client_id: Option<&str>,
        period: ReportPeriod,
    ) -> ServiceResult<UsageReport> {
        caller.authorize(&keyportal_domain::authz::Operation::ViewOrgUsage)?;
        self.report(client_id, period).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn a_probe_hashes_and_compares_as_its_key() {
        let state = foldhash::fast::RandomState::default();
        let key = CountKey {
            day: 20_000,
            client: Arc::from("cid"),
            slot: 2,
            service: Arc::from("geocode"),
        };
        let probe = |day, client, slot, service| CountProbe {
            day,
            client,
            slot,
            service,
        };
        let same = probe(20_000, "cid", 2, "geocode");
        assert_eq!(state.hash_one(&same), state.hash_one(&key));
        assert!(hashbrown::Equivalent::equivalent(&same, &key));
        for other in [
            probe(20_001, "cid", 2, "geocode"),
            probe(20_000, "cie", 2, "geocode"),
            probe(20_000, "cid", 1, "geocode"),
            probe(20_000, "cid", 2, "geocodf"),
        ] {
            assert!(!hashbrown::Equivalent::equivalent(&other, &key));
        }
    }
}
