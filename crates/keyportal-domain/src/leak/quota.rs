//! How many leak reports one client address may send: a fixed number per window (60 an hour
//! for `oauth2/revokeLeakedKeys`), counted from the address's first request of the window.
//! Memory is bounded: at most `max_addresses` windows are held; ended ones are dropped when
//! room is needed, and while every slot is taken by a running window, new addresses wait.

use std::collections::HashMap;

use crate::time::EpochMillis;

/// A report refused by the quota, and when the address may report again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExceeded {
    pub retry_after_ms: EpochMillis,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: EpochMillis,
    used: u32,
}

/// Requests per address per window.
#[derive(Debug)]
pub struct AddressQuota {
    limit: u32,
    window_ms: EpochMillis,
    max_addresses: usize,
    windows: HashMap<String, Window>,
}

impl AddressQuota {
    /// Reports of `oauth2/revokeLeakedKeys`: 60 an hour per address, 100,000 addresses held.
    pub fn for_leak_reports() -> AddressQuota {
        AddressQuota::new(60, 60 * 60 * 1000, 100_000)
    }

    pub fn new(limit: u32, window_ms: EpochMillis, max_addresses: usize) -> AddressQuota {
        AddressQuota {
            limit,
            window_ms,
            max_addresses,
            windows: HashMap::new(),
        }
    }

    /// Counts one request from `address` at `now`, or refuses it.
    pub fn admit(&mut self, address: &str, now: EpochMillis) -> Result<(), QuotaExceeded> {
        if let Some(window) = self.windows.get_mut(address) {
            if now - window.started >= self.window_ms || now < window.started {
                *window = Window {
                    started: now,
                    used: 0,
                };
            }
            if window.used >= self.limit {
                return Err(QuotaExceeded {
                    retry_after_ms: window.started + self.window_ms - now,
                });
            }
            window.used += 1;
            return Ok(());
        }
        if self.windows.len() >= self.max_addresses {
            let window_ms = self.window_ms;
            self.windows
                .retain(|_, w| now - w.started < window_ms && now >= w.started);
            if self.windows.len() >= self.max_addresses {
                let soonest = self
                    .windows
                    .values()
                    .map(|w| w.started + window_ms - now)
                    .min()
                    .unwrap_or(window_ms);
                return Err(QuotaExceeded {
                    retry_after_ms: soonest.max(1),
                });
            }
        }
        self.windows.insert(
            address.to_string(),
            Window {
                started: now,
                used: 1,
            },
        );
        Ok(())
    }

    /// Addresses currently held.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn sixty_an_hour_per_address() {
        let mut quota = AddressQuota::for_leak_reports();
        for n in 0..60 {
            assert_eq!(quota.admit("192.0.2.1", 1_000 + n), Ok(()), "request {n}");
        }
        assert_eq!(
            quota.admit("192.0.2.1", 2_000),
            Err(QuotaExceeded {
                retry_after_ms: HOUR - 1_000
            })
        );
        // Another address has its own allowance.
        assert_eq!(quota.admit("192.0.2.2", 2_000), Ok(()));
        // An hour after the window began, the address may report again.
        assert!(quota.admit("192.0.2.1", 1_000 + HOUR - 1).is_err());
        assert_eq!(quota.admit("192.0.2.1", 1_000 + HOUR), Ok(()));
    }

    #[test]
    fn a_clock_going_back_starts_a_new_window() {
        let mut quota = AddressQuota::new(1, HOUR, 10);
        assert!(quota.admit("a", 10 * HOUR).is_ok());
        assert!(quota.admit("a", 10 * HOUR + 1).is_err());
        assert!(quota.admit("a", HOUR).is_ok());
    }

    #[test]
    fn memory_is_bounded_and_ended_windows_make_room() {
        let mut quota = AddressQuota::new(5, HOUR, 3);
        for address in ["a", "b", "c"] {
            assert!(quota.admit(address, 0).is_ok());
        }
        let refused = quota.admit("d", 10).unwrap_err();
        assert_eq!(refused.retry_after_ms, HOUR - 10);
        assert_eq!(quota.len(), 3);
        // Known addresses keep being served while the table is full.
        assert!(quota.admit("a", 20).is_ok());
        // Once the windows end, new addresses get their place.
        assert!(quota.admit("d", HOUR).is_ok());
        assert_eq!(quota.len(), 1);
    }
}
