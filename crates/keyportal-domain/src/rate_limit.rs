//! Per-credential limits, which ArcGIS lacks: requests per second (a token bucket) and quotas
//! per UTC day and per billing month. Pure: time is a parameter.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::time::{EpochMillis, SECOND_MS};

/// A credential's limits; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub per_second: Option<u32>,
    pub per_day: Option<u64>,
    pub per_month: Option<u64>,
}

impl Limits {
    pub fn is_unlimited(&self) -> bool {
        self.per_second.is_none() && self.per_day.is_none() && self.per_month.is_none()
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        let mut problems = Vec::new();
        if self.per_second.is_some_and(|r| r == 0 || r > 1_000_000) {
            problems.push("'perSecond' must be 1 to 1,000,000.".to_string());
        }
        if self.per_day.is_some_and(|q| q == 0) {
            problems.push("'perDay' must be at least 1.".to_string());
        }
        if self.per_month.is_some_and(|q| q == 0) {
            problems.push("'perMonth' must be at least 1.".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DomainError::invalid_with("Invalid limits.", problems))
        }
    }
}

/// Why a request was refused, and when to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub reason: LimitReason,
    /// Milliseconds until a retry can succeed.
    pub retry_after_ms: EpochMillis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReason {
    PerSecond,
    PerDay,
    PerMonth,
}

impl LimitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitReason::PerSecond => "rate_per_second",
            LimitReason::PerDay => "quota_per_day",
            LimitReason::PerMonth => "quota_per_month",
        }
    }
}

/// A token bucket holding up to `rate` tokens, refilled at `rate` per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenBucket {
    tokens: f64,
    last: EpochMillis,
}

impl TokenBucket {
    pub fn full(rate: u32, now: EpochMillis) -> TokenBucket {
        TokenBucket {
            tokens: f64::from(rate),
            last: now,
        }
    }

    /// Takes one token, or says how long until one is available.
    pub fn take(&mut self, rate: u32, now: EpochMillis) -> Result<(), EpochMillis> {
        let rate = f64::from(rate.max(1));
        let elapsed = (now - self.last).max(0) as f64 / SECOND_MS as f64;
        self.tokens = (self.tokens + elapsed * rate).min(rate);
        self.last = now.max(self.last);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - self.tokens) / rate * SECOND_MS as f64).ceil() as EpochMillis;
            Err(wait.max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_allow_bursts_up_to_the_rate_then_refill() {
        let mut bucket = TokenBucket::full(3, 0);
        assert!(bucket.take(3, 0).is_ok());
        assert!(bucket.take(3, 0).is_ok());
        assert!(bucket.take(3, 0).is_ok());
        let wait = bucket.take(3, 0).expect_err("empty");
        assert_eq!(wait, 334);
        assert!(
            bucket.take(3, 334).is_ok(),
            "one token back after a third of a second"
        );
        assert!(bucket.take(3, 334).is_err());
        assert!(
            bucket.take(3, 10_000).is_ok(),
            "a long pause refills, capped at the rate"
        );
        assert!(bucket.take(3, 10_000).is_ok());
        assert!(bucket.take(3, 10_000).is_ok());
        assert!(bucket.take(3, 10_000).is_err());
    }

    #[test]
    fn limits_are_validated() {
        assert!(Limits {
            per_second: Some(10),
            per_day: Some(1000),
            per_month: None
        }
        .validate()
        .is_ok());
        assert!(Limits {
            per_second: Some(0),
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(Limits {
            per_day: Some(0),
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(Limits::default().is_unlimited());
    }

    #[test]
    fn bucket_time_never_runs_backwards() {
        let mut bucket = TokenBucket::full(1, 1_000);
        assert!(bucket.take(1, 1_000).is_ok());
        assert!(
            bucket.take(1, 500).is_err(),
            "an earlier clock reading adds nothing"
        );
    }
}
