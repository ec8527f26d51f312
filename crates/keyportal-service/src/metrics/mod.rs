//! What a node tells Prometheus about its key decisions, its key table and its usage writes.
//! Counting happens where each decision is made (`verify`, `authenticate`, the proxy), with
//! atomics only: nothing here locks or allocates on a request. The scrape itself is written
//! by [`Portal::write_metrics`] into an [`Exposition`](exposition::Exposition); the HTTP
//! layer and the binary add their own families to the same text.

pub mod exposition;
pub mod histogram;
pub mod key_checks;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use exposition::{Exposition, Kind};
use histogram::{Histogram, WRITE_BOUNDS};
use key_checks::{KeyCheck, KeyChecks};

use crate::Portal;

/// The portal's own counters.
#[derive(Debug)]
pub struct PortalMetrics {
    key_checks: KeyChecks,
    usage_flush: Histogram,
    flushes_ok: AtomicU64,
    flushes_failed: AtomicU64,
}

impl Default for PortalMetrics {
    fn default() -> Self {
        PortalMetrics {
            key_checks: KeyChecks::default(),
            usage_flush: Histogram::new(WRITE_BOUNDS),
            flushes_ok: AtomicU64::new(0),
            flushes_failed: AtomicU64::new(0),
        }
    }
}

impl PortalMetrics {
    /// A batch write of usage counts and key uses that had something to write.
    pub(crate) fn flushed(&self, took: Duration, ok: bool) {
        self.usage_flush.observe(took);
        let counter = if ok {
            &self.flushes_ok
        } else {
            &self.flushes_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl Portal {
    /// Counts one key decision.
    pub(crate) fn count_key_check(&self, check: KeyCheck) {
        self.metrics.key_checks.count(check);
    }

    /// The portal's families: key decisions, the key table, usage writes and pending counts.
    pub fn write_metrics(&self, out: &mut Exposition) {
        out.family(
            "keyportal_key_checks_total",
            "Key decisions (/verify, Sharing and proxied requests made with a key) by result and reason.",
            Kind::Counter,
        );
        for (result, reason, count) in self.metrics.key_checks.read() {
            out.sample(
                "keyportal_key_checks_total",
                &[("result", result), ("reason", reason)],
                count as f64,
            );
        }
        let states = self.key_table.key_states(self.now());
        out.family(
            "keyportal_keys",
            "Keys and app tokens in the in-memory key table: active, expired (counted by the 10-minute housekeeping) and retired legacy keys.",
            Kind::Gauge,
        );
        for (state, count) in [
            ("active", states.active),
            ("expired", states.expired),
            ("retired", states.retired),
        ] {
            out.sample("keyportal_keys", &[("state", state)], count as f64);
        }
        out.family(
            "keyportal_usage_flush_duration_seconds",
            "Time to write one batch of usage counts and key uses (batches with something to write).",
            Kind::Histogram,
        );
        out.histogram(
            "keyportal_usage_flush_duration_seconds",
            &[],
            &self.metrics.usage_flush.snapshot(),
        );
        out.family(
            "keyportal_usage_flushes_total",
            "Batch writes of usage counts and key uses, by result (a failed batch is kept and retried).",
            Kind::Counter,
        );
        for (result, counter) in [
            ("ok", &self.metrics.flushes_ok),
            ("error", &self.metrics.flushes_failed),
        ] {
            out.sample(
                "keyportal_usage_flushes_total",
                &[("result", result)],
                counter.load(Ordering::Relaxed) as f64,
            );
        }
        out.family(
            "keyportal_usage_pending",
            "Key uses counted in memory and not yet written to the database.",
            Kind::Gauge,
        );
        out.sample(
            "keyportal_usage_pending",
            &[],
            self.usage.pending_total() as f64,
        );
    }
}
