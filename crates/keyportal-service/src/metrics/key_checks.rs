//! Every key decision, counted by result and reason: `/verify`, a Sharing request made with a
//! key, a proxied request made with one. The reasons are the `/verify` vocabulary (its
//! `reason` field) plus the proxy's own rate; each (result, reason) pair is one atomic
//! counter in a fixed array, so counting is one relaxed increment.

use std::sync::atomic::{AtomicU64, Ordering};

use keyportal_domain::rate_limit::LimitReason;

use crate::key_table::Denial;

/// One decision about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    Allowed,
    /// Refused: no key, a key not honoured here, or one that may not do this.
    Denied(DenyReason),
    /// Refused by a rate limit or a quota.
    Limited(LimitedBy),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// `/verify` without a key.
    Missing,
    /// The key table said no ([`Denial`]).
    Key(Denial),
    /// A location service the key's privileges do not cover.
    Service,
    /// A privilege the key does not hold.
    Privilege,
    /// An item outside the key's item access.
    Item,
    /// A proxied target's own referrer list refused the request.
    TargetReferrer,
    /// `/verify` with an unusable parameter (a service name that is not one).
    BadRequest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitedBy {
    Credential(LimitReason),
    /// A proxied target's per-key rate.
    ProxyRate,
}

/// Every (result, reason) pair, in the order of the counters.
const SERIES: [(&str, &str); 18] = [
    ("allowed", "none"),
    ("denied", "missing"),
    ("denied", "malformed"),
    ("denied", "unknown"),
    ("denied", "expired"),
    ("denied", "referrer"),
    ("denied", "owner_inactive"),
    ("denied", "retired"),
    ("denied", "service"),
    ("denied", "privilege"),
    ("denied", "item"),
    ("denied", "target_referrer"),
    ("denied", "bad_request"),
    ("limited", "rate_per_second"),
    ("limited", "quota_per_day"),
    ("limited", "quota_per_month"),
    ("limited", "proxy_rate"),
    ("denied", "address"),
];

impl KeyCheck {
    fn index(self) -> usize {
        match self {
            KeyCheck::Allowed => 0,
            KeyCheck::Denied(reason) => match reason {
                DenyReason::Missing => 1,
                DenyReason::Key(Denial::Malformed(_)) => 2,
                DenyReason::Key(Denial::Unknown) => 3,
                DenyReason::Key(Denial::Expired) => 4,
                DenyReason::Key(Denial::Referrer) => 5,
                DenyReason::Key(Denial::OwnerInactive) => 6,
                DenyReason::Key(Denial::Retired) => 7,
                DenyReason::Key(Denial::Address) => 17,
                DenyReason::Service => 8,
                DenyReason::Privilege => 9,
                DenyReason::Item => 10,
                DenyReason::TargetReferrer => 11,
                DenyReason::BadRequest => 12,
            },
            KeyCheck::Limited(by) => match by {
                LimitedBy::Credential(LimitReason::PerSecond) => 13,
                LimitedBy::Credential(LimitReason::PerDay) => 14,
                LimitedBy::Credential(LimitReason::PerMonth) => 15,
                LimitedBy::ProxyRate => 16,
            },
        }
    }
}

/// The counters.
#[derive(Debug, Default)]
pub struct KeyChecks {
    counts: [AtomicU64; SERIES.len()],
}

impl KeyChecks {
    pub fn count(&self, check: KeyCheck) {
        self.counts[check.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// `(result, reason, count)` for every pair, zeros included (a rate over a series that
    /// exists from the start needs no special case in alert rules).
    pub fn read(&self) -> impl Iterator<Item = (&'static str, &'static str, u64)> + '_ {
        SERIES
            .iter()
            .zip(&self.counts)
            .map(|(&(result, reason), count)| (result, reason, count.load(Ordering::Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use keyportal_domain::api_key::KeyFormatError;

    use super::*;

    #[test]
    fn each_decision_has_its_own_series_named_as_verify_names_it() {
        let checks = KeyChecks::default();
        let denials = [
            Denial::Malformed(KeyFormatError::WrongLength),
            Denial::Unknown,
            Denial::Expired,
            Denial::Referrer,
            Denial::Address,
            Denial::OwnerInactive,
            Denial::Retired,
        ];
        for denial in denials {
            checks.count(KeyCheck::Denied(DenyReason::Key(denial)));
            let (result, reason, count) = checks
                .read()
                .find(|&(_, _, n)| n == 1)
                .expect("one counter moved");
            assert_eq!((result, reason, count), ("denied", denial.reason(), 1));
            checks.counts[KeyCheck::Denied(DenyReason::Key(denial)).index()]
                .store(0, Ordering::Relaxed);
        }
        for reason in [
            LimitReason::PerSecond,
            LimitReason::PerDay,
            LimitReason::PerMonth,
        ] {
            let at = KeyCheck::Limited(LimitedBy::Credential(reason)).index();
            assert_eq!(SERIES[at], ("limited", reason.as_str()));
        }
        checks.count(KeyCheck::Allowed);
        checks.count(KeyCheck::Allowed);
        checks.count(KeyCheck::Limited(LimitedBy::ProxyRate));
        let read: Vec<_> = checks.read().filter(|&(_, _, n)| n > 0).collect();
        assert_eq!(
            read,
            vec![("allowed", "none", 2), ("limited", "proxy_rate", 1)]
        );
        assert_eq!(checks.read().count(), SERIES.len());
    }
}
