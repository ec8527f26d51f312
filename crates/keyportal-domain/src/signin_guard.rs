//! Slowing down and then refusing repeated failed sign-ins, per username and per address.
//! Pure state: the caller supplies `now` and keeps the guard behind a lock.

use std::collections::HashMap;

use crate::time::{EpochMillis, MINUTE_MS};

/// How strict the guard is. The defaults suit a portal facing people and scripts.
#[derive(Debug, Clone, Copy)]
pub struct SigninPolicy {
    /// Failures counted within this window.
    pub window_ms: EpochMillis,
    /// Failures after which the key is refused for `lockout_ms`.
    pub max_failures: u32,
    pub lockout_ms: EpochMillis,
    /// Delay added to each failed attempt, doubling per failure (capped at `max_delay_ms`).
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
}

impl SigninPolicy {
    pub const FOR_USERNAMES: SigninPolicy = SigninPolicy {
        window_ms: 15 * MINUTE_MS,
        max_failures: 5,
        lockout_ms: 15 * MINUTE_MS,
        base_delay_ms: 250,
        max_delay_ms: 2_000,
    };
    /// An address may try several accounts (an office behind one NAT), so it gets more room.
    pub const FOR_ADDRESSES: SigninPolicy = SigninPolicy {
        window_ms: 15 * MINUTE_MS,
        max_failures: 30,
        lockout_ms: 15 * MINUTE_MS,
        base_delay_ms: 0,
        max_delay_ms: 0,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigninVerdict {
    /// Go ahead.
    Allowed,
    /// Refused without checking the password until `until`.
    LockedOut { until: EpochMillis },
}

#[derive(Debug, Clone, Copy)]
struct Attempts {
    failures: u32,
    window_start: EpochMillis,
    locked_until: EpochMillis,
}

/// Failure counters keyed by username or address.
#[derive(Debug)]
pub struct SigninGuard {
    policy: SigninPolicy,
    attempts: HashMap<String, Attempts>,
}

impl SigninGuard {
    pub fn new(policy: SigninPolicy) -> Self {
        SigninGuard {
            policy,
            attempts: HashMap::new(),
        }
    }

    pub fn check(&self, key: &str, now: EpochMillis) -> SigninVerdict {
        match self.attempts.get(key) {
            Some(a) if a.locked_until > now => SigninVerdict::LockedOut {
                until: a.locked_until,
            },
            _ => SigninVerdict::Allowed,
        }
    }

    /// Records a failure and returns how long to hold the answer back (milliseconds).
    pub fn record_failure(&mut self, key: &str, now: EpochMillis) -> u64 {
        let policy = self.policy;
        let entry = self.attempts.entry(key.to_string()).or_insert(Attempts {
            failures: 0,
            window_start: now,
            locked_until: 0,
        });
        if now - entry.window_start > policy.window_ms {
            *entry = Attempts {
                failures: 0,
                window_start: now,
                locked_until: 0,
            };
        }
        entry.failures += 1;
        if entry.failures >= policy.max_failures {
            entry.locked_until = now + policy.lockout_ms;
        }
        let doublings = entry.failures.saturating_sub(1).min(16);
        policy
            .base_delay_ms
            .saturating_mul(1u64 << doublings)
            .min(policy.max_delay_ms)
    }

    pub fn record_success(&mut self, key: &str) {
        self.attempts.remove(key);
    }

    /// Drops entries that no longer matter, so the map cannot grow without bound.
    pub fn prune(&mut self, now: EpochMillis) {
        let window = self.policy.window_ms;
        self.attempts
            .retain(|_, a| a.locked_until > now || now - a.window_start <= window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_down_then_lock_out_then_expire() {
        let policy = SigninPolicy::FOR_USERNAMES;
        let mut guard = SigninGuard::new(policy);
        let now = 1_000_000;
        let delays: Vec<u64> = (0..4).map(|_| guard.record_failure("jdoe", now)).collect();
        assert_eq!(delays, vec![250, 500, 1000, 2000]);
        assert_eq!(guard.check("jdoe", now), SigninVerdict::Allowed);
        guard.record_failure("jdoe", now);
        assert_eq!(
            guard.check("jdoe", now + 1),
            SigninVerdict::LockedOut {
                until: now + policy.lockout_ms
            }
        );
        assert_eq!(guard.check("other", now), SigninVerdict::Allowed);
        assert_eq!(
            guard.check("jdoe", now + policy.lockout_ms),
            SigninVerdict::Allowed
        );
    }

    #[test]
    fn success_and_window_reset_counts() {
        let mut guard = SigninGuard::new(SigninPolicy::FOR_USERNAMES);
        for _ in 0..4 {
            guard.record_failure("a", 0);
        }
        guard.record_success("a");
        assert_eq!(guard.record_failure("a", 0), 250);
        // After the window, counting starts again.
        assert_eq!(guard.record_failure("a", 16 * MINUTE_MS), 250);
        guard.prune(40 * MINUTE_MS);
        assert_eq!(guard.check("a", 40 * MINUTE_MS), SigninVerdict::Allowed);
    }
}
