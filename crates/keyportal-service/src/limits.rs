//! Rate limits and quotas per credential: requests per second (per node, a token bucket) and
//! per UTC day / billing month (all nodes: the stored counts, re-read after every usage flush,
//! plus this node's requests since). A refused request is counted under `throttled`, so owners
//! see it in their usage report.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use keyportal_domain::events::EventType;
use keyportal_domain::rate_limit::{LimitReason, Limited, Limits, TokenBucket};
use keyportal_domain::time::DAY_MS;
use keyportal_domain::usage::{day_of, start_of_day, ReportPeriod, UsageDay};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::key_table::Resolved;
use crate::metrics::key_checks::{KeyCheck, LimitedBy};
use crate::Portal;

/// Usage is counted under this service name when a limit refuses a request.
pub const THROTTLED_SERVICE: &str = "throttled";

fn setting_name(client_id: &str) -> String {
    format!("limits:{client_id}")
}

#[derive(Debug, Clone)]
struct Counters {
    bucket: Option<TokenBucket>,
    day: UsageDay,
    used_day: u64,
    month_first: UsageDay,
    used_month: u64,
}

/// Limits by client id and the counters that enforce them.
#[derive(Debug, Default)]
pub struct Limiter {
    limits: RwLock<HashMap<String, Limits>>,
    counters: Mutex<HashMap<Arc<str>, Counters>>,
}

impl Limiter {
    fn limits_of(&self, client_id: &str) -> Option<Limits> {
        self.limits
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(client_id)
            .copied()
    }

    fn set(&self, client_id: &str, limits: Option<Limits>) {
        let mut all = self.limits.write().unwrap_or_else(|p| p.into_inner());
        match limits.filter(|l| !l.is_unlimited()) {
            Some(limits) => {
                all.insert(client_id.to_string(), limits);
            }
            None => {
                all.remove(client_id);
            }
        }
    }

    fn limited_clients(&self) -> Vec<String> {
        self.limits
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// Decides one request of `key` at `now`; billing cycles start on `billing_start_day`.
    fn check(&self, key: &Resolved, now: i64, billing_start_day: u8) -> Result<(), Limited> {
        let Some(limits) = self.limits_of(key.grant.usage_key()) else {
            return Ok(());
        };
        let today = day_of(now);
        let month_first = billing_cycle_first_day(now, billing_start_day);
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let c = counters
            .entry(Arc::clone(key.grant.usage_key()))
            .or_insert(Counters {
                bucket: None,
                day: today,
                used_day: 0,
                month_first,
                used_month: 0,
            });
        if c.day != today {
            c.day = today;
            c.used_day = 0;
        }
        if c.month_first != month_first {
            c.month_first = month_first;
            c.used_month = 0;
        }
        if let Some(quota) = limits.per_day {
            if c.used_day >= quota {
                return Err(Limited {
                    reason: LimitReason::PerDay,
                    retry_after_ms: start_of_day(today + 1) - now,
                });
            }
        }
        if let Some(quota) = limits.per_month {
            if c.used_month >= quota {
                // The next cycle starts at the latest 31 days after this one did.
                let next = ReportPeriod::BillingCycle
                    .range(start_of_day(month_first + 31), 1)
                    .map(|r| r.first)
                    .unwrap_or(today + 1);
                return Err(Limited {
                    reason: LimitReason::PerMonth,
                    retry_after_ms: (start_of_day(next) - now).max(DAY_MS),
                });
            }
        }
        if let Some(rate) = limits.per_second {
            let bucket = c.bucket.get_or_insert_with(|| TokenBucket::full(rate, now));
            if let Err(wait) = bucket.take(rate, now) {
                return Err(Limited {
                    reason: LimitReason::PerSecond,
                    retry_after_ms: wait,
                });
            }
        }
        c.used_day += 1;
        c.used_month += 1;
        Ok(())
    }

    fn set_used(
        &self,
        client_id: &str,
        day: UsageDay,
        used_day: u64,
        month_first: UsageDay,
        used_month: u64,
    ) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let c = counters.entry(Arc::from(client_id)).or_insert(Counters {
            bucket: None,
            day,
            used_day: 0,
            month_first,
            used_month: 0,
        });
        c.day = day;
        c.used_day = used_day;
        c.month_first = month_first;
        c.used_month = used_month;
    }
}

/// The first day of the billing cycle `now` is in.
fn billing_cycle_first_day(now: i64, billing_start_day: u8) -> UsageDay {
    ReportPeriod::BillingCycle
        .range(now, billing_start_day)
        .map(|r| r.first)
        .unwrap_or(day_of(now))
}

impl Portal {
    /// Applies the credential's limits to one request made with `key`; a refusal is counted
    /// (as usage, and as a key decision).
    pub(crate) fn check_limits(&self, key: &Resolved, now: i64) -> ServiceResult<()> {
        let billing_start_day = self
            .billing_start
            .load(std::sync::atomic::Ordering::Relaxed);
        match self.limiter.check(key, now, billing_start_day) {
            Ok(()) => Ok(()),
            Err(limited) => {
                let period = match limited.reason {
                    LimitReason::PerMonth => billing_cycle_first_day(now, billing_start_day),
                    _ => day_of(now),
                };
                self.note_quota_reached(key, limited.reason, period, now);
                self.count_key_check(KeyCheck::Limited(LimitedBy::Credential(limited.reason)));
                self.usage.record(key, THROTTLED_SERVICE, now);
                Err(ServiceError::RateLimited(limited))
            }
        }
    }

    /// The limits of a credential (its owner and administrators), as stored: a process that
    /// has not loaded the key table (the CLI) reads the same as a running node.
    pub async fn credential_limits(&self, caller: &Caller, item_id: &str) -> ServiceResult<Limits> {
        let view = self.app_info(caller, item_id).await?;
        Ok(self
            .store
            .get_setting(&setting_name(&view.app.client_id))
            .await?
            .and_then(|text| serde_json::from_str::<Limits>(&text).ok())
            .unwrap_or_default())
    }

    /// Sets (or, with all fields `None`, removes) a credential's limits.
    pub async fn set_credential_limits(
        &self,
        caller: &Caller,
        item_id: &str,
        limits: Limits,
    ) -> ServiceResult<Limits> {
        limits.validate()?;
        let view = self.app_info(caller, item_id).await?;
        let name = setting_name(&view.app.client_id);
        let changed = self
            .event(EventType::LimitsChanged, caller)
            .credential(&view.app.item_id, Some(&view.app.client_id))
            .member(&view.app.owner)
            .detail(
                "limits",
                serde_json::to_value(limits).map_err(|e| ServiceError::Internal(e.to_string()))?,
            );
        let events = std::slice::from_ref(&changed);
        if limits.is_unlimited() {
            self.store.delete_setting_recorded(&name, events).await?;
        } else {
            let text = serde_json::to_string(&limits)
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            self.store
                .set_setting_recorded(&name, &text, events)
                .await?;
        }
        self.limiter.set(&view.app.client_id, Some(limits));
        self.store.publish_change(&name).await?;
        Ok(limits)
    }

    /// Re-reads one credential's limits (change feed, start).
    pub(crate) async fn refresh_limits(&self, client_id: &str) -> ServiceResult<()> {
        let limits = self
            .store
            .get_setting(&setting_name(client_id))
            .await?
            .and_then(|text| serde_json::from_str::<Limits>(&text).ok());
        self.limiter.set(client_id, limits);
        Ok(())
    }

    /// Re-reads what every limited credential used today and this cycle, from the stored counts
    /// of all nodes plus this node's counts not yet written. Called after each usage flush.
    pub async fn refresh_quota_usage(&self) -> ServiceResult<()> {
        let now = self.now();
        let today = day_of(now);
        let month_first = billing_cycle_first_day(
            now,
            self.billing_start
                .load(std::sync::atomic::Ordering::Relaxed),
        );
        for client_id in self.limiter.limited_clients() {
            let range = keyportal_domain::usage::DayRange {
                first: month_first.min(today),
                last: today,
            };
            let mut rows = self
                .store
                .usage_between(Some(&client_id), range.first, range.last)
                .await?;
            rows.extend(self.usage.pending(Some(&client_id), range));
            let counted =
                |row: &&keyportal_domain::usage::UsageRow| row.service != THROTTLED_SERVICE;
            let used_month: u64 = rows.iter().filter(counted).map(|r| r.count).sum();
            let used_day: u64 = rows
                .iter()
                .filter(counted)
                .filter(|r| r.day == today)
                .map(|r| r.count)
                .sum();
            self.limiter
                .set_used(&client_id, today, used_day, month_first, used_month);
        }
        Ok(())
    }
}
