//! Slowing down and then refusing repeated failed sign-ins, per username and per address.
//! Pure state: the caller supplies `now` and keeps the guard behind a lock.
//!
//! The guard's memory is bounded whatever it is sent: a key longer than [`MAX_KEY_BYTES`] is
//! stored as its SHA-256 (so a megabyte username costs 64 bytes), and it holds at most
//! `capacity` keys. When full it drops expired entries, then the oldest tenth — entries that
//! are not locked out first, so a flood of new names cannot free a locked-out account early
//! unless it locks out a tenth of the table itself.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::secret::sha256_hex;
use crate::time::{EpochMillis, MINUTE_MS};

/// Keys up to this length are kept as they are; longer ones as their SHA-256 in hex.
pub const MAX_KEY_BYTES: usize = 256;
/// Keys a guard holds at most: about 16 MiB with maximal keys, a few MiB with real ones.
pub const DEFAULT_CAPACITY: usize = 50_000;

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
    /// Whether attempts under way crowd out new ones before any has failed. Addresses: yes
    /// (a burst from one address never checks more passwords than its allowance). Usernames:
    /// only once one has failed in the window, so an account signing in from several
    /// processes at once is never turned away; an attacker's first burst is bounded by the
    /// hashing queue instead.
    pub crowd_before_failures: bool,
}

impl SigninPolicy {
    pub const FOR_USERNAMES: SigninPolicy = SigninPolicy {
        window_ms: 15 * MINUTE_MS,
        max_failures: 5,
        lockout_ms: 15 * MINUTE_MS,
        base_delay_ms: 250,
        max_delay_ms: 2_000,
        crowd_before_failures: false,
    };
    /// An address may try several accounts (an office behind one NAT), so it gets more room.
    pub const FOR_ADDRESSES: SigninPolicy = SigninPolicy {
        window_ms: 15 * MINUTE_MS,
        max_failures: 30,
        lockout_ms: 15 * MINUTE_MS,
        base_delay_ms: 0,
        max_delay_ms: 0,
        crowd_before_failures: true,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigninVerdict {
    /// Go ahead.
    Allowed,
    /// Refused without checking the password until `until`.
    LockedOut { until: EpochMillis },
    /// So many attempts are being checked right now that, were they all to fail, the key
    /// would be locked out: this one waits its turn ("busy, try again"), and nobody is locked
    /// out by attempts that may yet succeed.
    Crowded,
}

#[derive(Debug, Clone, Copy)]
struct Attempts {
    failures: u32,
    /// Attempts begun and not yet decided (their passwords are being checked).
    pending: u32,
    window_start: EpochMillis,
    locked_until: EpochMillis,
    last: EpochMillis,
}

/// Failure counters keyed by username or address.
#[derive(Debug)]
pub struct SigninGuard {
    policy: SigninPolicy,
    capacity: usize,
    attempts: HashMap<String, Attempts>,
    /// When expired entries were last dropped (at most once a minute, on a failure).
    pruned_at: EpochMillis,
}

/// The key as stored: itself, or its digest when it is too long to keep.
fn stored_key(key: &str) -> Cow<'_, str> {
    if key.len() <= MAX_KEY_BYTES {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(sha256_hex(key))
    }
}

impl SigninGuard {
    pub fn new(policy: SigninPolicy) -> Self {
        Self::with_capacity(policy, DEFAULT_CAPACITY)
    }

    pub fn with_capacity(policy: SigninPolicy, capacity: usize) -> Self {
        SigninGuard {
            policy,
            capacity: capacity.max(1),
            attempts: HashMap::new(),
            pruned_at: 0,
        }
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.attempts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.attempts.is_empty()
    }

    pub fn check(&self, key: &str, now: EpochMillis) -> SigninVerdict {
        match self.attempts.get(stored_key(key).as_ref()) {
            Some(a) if a.locked_until > now => SigninVerdict::LockedOut {
                until: a.locked_until,
            },
            _ => SigninVerdict::Allowed,
        }
    }

    /// Begins an attempt before its password is checked: refused when locked out, crowded
    /// when the failures so far plus the attempts under way reach the limit (so a burst of
    /// concurrent attempts never checks more passwords than the limit allows), otherwise
    /// counted as under way until [`SigninGuard::fail_attempt`], [`SigninGuard::record_success`]
    /// or [`SigninGuard::end_attempt`] decides it.
    pub fn begin_attempt(&mut self, key: &str, now: EpochMillis) -> SigninVerdict {
        if let verdict @ SigninVerdict::LockedOut { .. } = self.check(key, now) {
            return verdict;
        }
        let max = self.policy.max_failures;
        let window = self.policy.window_ms;
        let crowd_before_failures = self.policy.crowd_before_failures;
        let entry = self.entry(key, now);
        if now - entry.window_start > window && entry.pending == 0 {
            entry.failures = 0;
            entry.window_start = now;
        }
        let crowding = crowd_before_failures || entry.failures > 0;
        if crowding && entry.failures.saturating_add(entry.pending) >= max {
            return SigninVerdict::Crowded;
        }
        entry.pending += 1;
        SigninVerdict::Allowed
    }

    /// The attempt failed: counted as a failure (which may lock the key out); returns how long
    /// to hold the answer back (milliseconds).
    pub fn fail_attempt(&mut self, key: &str, now: EpochMillis) -> u64 {
        if let Some(entry) = self.attempts.get_mut(stored_key(key).as_ref()) {
            entry.pending = entry.pending.saturating_sub(1);
        }
        self.record_failure(key, now)
    }

    /// The attempt never ran (the server was busy) or succeeded for an address: it no longer
    /// counts as under way.
    pub fn end_attempt(&mut self, key: &str) {
        let key = stored_key(key);
        let Some(entry) = self.attempts.get_mut(key.as_ref()) else {
            return;
        };
        entry.pending = entry.pending.saturating_sub(1);
        if entry.failures == 0 && entry.pending == 0 {
            self.attempts.remove(key.as_ref());
        }
    }

    /// The entry for `key`, made room for and created when new.
    fn entry(&mut self, key: &str, now: EpochMillis) -> &mut Attempts {
        let key = stored_key(key);
        if now - self.pruned_at >= MINUTE_MS {
            self.prune(now);
        }
        if !self.attempts.contains_key(key.as_ref()) && self.attempts.len() >= self.capacity {
            self.make_room(now);
        }
        self.attempts.entry(key.into_owned()).or_insert(Attempts {
            failures: 0,
            pending: 0,
            window_start: now,
            locked_until: 0,
            last: now,
        })
    }

    /// Records a failure and returns how long to hold the answer back (milliseconds).
    pub fn record_failure(&mut self, key: &str, now: EpochMillis) -> u64 {
        let policy = self.policy;
        let key = stored_key(key);
        if now - self.pruned_at >= MINUTE_MS {
            self.prune(now);
        }
        if !self.attempts.contains_key(key.as_ref()) && self.attempts.len() >= self.capacity {
            self.make_room(now);
        }
        let fresh = Attempts {
            failures: 0,
            pending: 0,
            window_start: now,
            locked_until: 0,
            last: now,
        };
        let entry = self.attempts.entry(key.into_owned()).or_insert(fresh);
        if now - entry.window_start > policy.window_ms && entry.locked_until <= now {
            // A new window; attempts under way still are.
            *entry = Attempts {
                pending: entry.pending,
                ..fresh
            };
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last = now;
        if entry.failures >= policy.max_failures {
            entry.locked_until = now + policy.lockout_ms;
        }
        let doublings = entry.failures.saturating_sub(1).min(16);
        policy
            .base_delay_ms
            .saturating_mul(1u64 << doublings)
            .min(policy.max_delay_ms)
    }

    /// Takes back one recorded failure (the attempt succeeded, or never ran); lifts a
    /// lockout that failure caused.
    pub fn forget_failure(&mut self, key: &str) {
        let key = stored_key(key);
        let Some(entry) = self.attempts.get_mut(key.as_ref()) else {
            return;
        };
        entry.failures = entry.failures.saturating_sub(1);
        if entry.failures < self.policy.max_failures {
            entry.locked_until = 0;
        }
        if entry.failures == 0 {
            self.attempts.remove(key.as_ref());
        }
    }

    /// The password was right: the key's failures are forgiven; attempts still under way
    /// keep counting as such.
    pub fn record_success(&mut self, key: &str) {
        let key = stored_key(key);
        let Some(entry) = self.attempts.get_mut(key.as_ref()) else {
            return;
        };
        entry.pending = entry.pending.saturating_sub(1);
        entry.failures = 0;
        entry.locked_until = 0;
        if entry.pending == 0 {
            self.attempts.remove(key.as_ref());
        }
    }

    /// Drops entries that no longer matter.
    pub fn prune(&mut self, now: EpochMillis) {
        self.pruned_at = now;
        let window = self.policy.window_ms;
        self.attempts
            .retain(|_, a| a.pending > 0 || a.locked_until > now || now - a.window_start <= window);
    }

    /// Makes room for a new key: expired entries go, then (if still above nine tenths of the
    /// capacity) the oldest entries, unlocked ones before locked ones. Amortised O(1) per
    /// insertion: after a pass at least a tenth of the capacity is free.
    fn make_room(&mut self, now: EpochMillis) {
        self.prune(now);
        let keep = self.capacity - self.capacity / 10 - 1;
        if self.attempts.len() <= keep {
            return;
        }
        // Rank: unlocked entries first, then by last activity.
        let rank = |a: &Attempts| (a.locked_until > now, a.last);
        let mut ranks: Vec<(bool, EpochMillis)> = self.attempts.values().map(rank).collect();
        let drop = self.attempts.len() - keep;
        let (_, &mut threshold, _) = ranks.select_nth_unstable(drop - 1);
        let mut dropped = 0;
        self.attempts.retain(|_, a| {
            if dropped < drop && rank(a) <= threshold {
                dropped += 1;
                false
            } else {
                true
            }
        });
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
        assert!(guard.is_empty());
    }

    #[test]
    fn a_forgotten_failure_lifts_the_lockout_it_caused() {
        let policy = SigninPolicy::FOR_ADDRESSES;
        let mut guard = SigninGuard::new(policy);
        for _ in 0..policy.max_failures {
            guard.record_failure("10.0.0.1", 0);
        }
        assert!(matches!(
            guard.check("10.0.0.1", 1),
            SigninVerdict::LockedOut { .. }
        ));
        guard.forget_failure("10.0.0.1");
        assert_eq!(guard.check("10.0.0.1", 1), SigninVerdict::Allowed);
        for _ in 1..policy.max_failures {
            guard.forget_failure("10.0.0.1");
        }
        assert!(guard.is_empty());
        guard.forget_failure("never seen");
        assert!(guard.is_empty());
    }

    #[test]
    fn long_keys_are_kept_as_digests_and_still_counted() {
        let mut guard = SigninGuard::new(SigninPolicy::FOR_USERNAMES);
        let huge = "x".repeat(1 << 20);
        for _ in 0..5 {
            guard.record_failure(&huge, 0);
        }
        assert!(matches!(
            guard.check(&huge, 1),
            SigninVerdict::LockedOut { .. }
        ));
        assert_eq!(guard.check(&huge[1..], 1), SigninVerdict::Allowed);
        assert!(guard.attempts.keys().all(|k| k.len() <= MAX_KEY_BYTES));
    }

    #[test]
    fn the_guard_never_holds_more_than_its_capacity_and_keeps_lockouts() {
        let policy = SigninPolicy::FOR_USERNAMES;
        let mut guard = SigninGuard::with_capacity(policy, 1_000);
        for _ in 0..policy.max_failures {
            guard.record_failure("victim", 0);
        }
        let mut largest = 0;
        for i in 0..100_000u32 {
            // Distinct, maximal keys, all within the window (nothing expires).
            let key = format!("{i:0>256}");
            guard.record_failure(&key, 1 + EpochMillis::from(i % 1_000));
            largest = largest.max(guard.len());
        }
        assert!(largest <= 1_000, "held {largest} keys");
        let bytes: usize = guard.attempts.keys().map(String::len).sum();
        assert!(bytes <= 1_000 * MAX_KEY_BYTES);
        assert!(matches!(
            guard.check("victim", 2_000),
            SigninVerdict::LockedOut { .. }
        ));
        // The newest keys are still counted.
        assert!(guard.check(&format!("{:0>256}", 99_999), 2_000) == SigninVerdict::Allowed);
        assert!(guard.attempts.contains_key(&format!("{:0>256}", 99_999)));
    }

    #[test]
    fn expired_entries_make_room_first() {
        let policy = SigninPolicy::FOR_USERNAMES;
        let mut guard = SigninGuard::with_capacity(policy, 10);
        for i in 0..10 {
            guard.record_failure(&format!("old{i}"), 0);
        }
        let later = policy.window_ms + 1;
        guard.record_failure("new", later);
        assert_eq!(guard.len(), 1);
    }

    #[test]
    fn attempts_under_way_crowd_but_never_lock_out() {
        let mut guard = SigninGuard::new(SigninPolicy::FOR_USERNAMES);
        let now = 1_000_000;
        // Eight concurrent attempts of one account that has not failed: all go ahead.
        for _ in 0..8 {
            assert_eq!(guard.begin_attempt("ci", now), SigninVerdict::Allowed);
        }
        // They all succeed: nobody was locked out, and the account is clean again.
        for _ in 0..8 {
            guard.record_success("ci");
        }
        assert_eq!(guard.check("ci", now), SigninVerdict::Allowed);
        assert!(guard.is_empty());
        // Once one has failed, attempts under way crowd at the limit.
        assert_eq!(guard.begin_attempt("ci", now), SigninVerdict::Allowed);
        guard.fail_attempt("ci", now);
        for _ in 0..4 {
            assert_eq!(guard.begin_attempt("ci", now), SigninVerdict::Allowed);
        }
        assert_eq!(guard.begin_attempt("ci", now), SigninVerdict::Crowded);
        for _ in 0..4 {
            guard.fail_attempt("ci", now);
        }
        // Five confirmed failures lock it out.
        assert!(matches!(
            guard.begin_attempt("ci", now),
            SigninVerdict::LockedOut { .. }
        ));
    }

    #[test]
    fn an_attempt_that_never_ran_leaves_nothing_behind() {
        let mut guard = SigninGuard::new(SigninPolicy::FOR_ADDRESSES);
        assert_eq!(guard.begin_attempt("10.0.0.1", 0), SigninVerdict::Allowed);
        guard.end_attempt("10.0.0.1");
        assert!(guard.is_empty());
    }
}
