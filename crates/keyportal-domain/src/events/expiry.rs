//! Expiry warnings as a pure rule: which notice, if any, a key slot is due at `now`, given the
//! organization's lead times and the notices already recorded for the slot's current key.

use crate::time::{EpochMillis, DAY_MS};
use crate::DomainError;

/// The lead times (days before expiry) when nothing is configured.
pub const DEFAULT_EXPIRY_WARNING_DAYS: &[u32] = &[30, 7, 1];

/// At most this many lead times, each 1 to 365 days.
const MAX_LEAD_TIMES: usize = 10;
const MAX_LEAD_DAYS: u32 = 365;

/// A notice due for a key slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryNotice {
    /// `key.expiring` for this lead time (the smallest one crossed), with the whole days left
    /// (rounded up).
    Expiring { lead_days: u32, days_left: i64 },
    /// `key.expired`.
    Expired,
}

impl ExpiryNotice {
    /// The key that makes the notice once per key: another node (or a later check) that
    /// tries to record the same notice finds it taken. `key_created` tells keys in the same
    /// slot apart (a regenerated key gets its own warnings).
    pub fn once_key(&self, item_id: &str, slot: u8, key_created: EpochMillis) -> String {
        match self {
            ExpiryNotice::Expiring { lead_days, .. } => {
                expiring_once_key(item_id, slot, key_created, *lead_days)
            }
            ExpiryNotice::Expired => format!("key.expired:{item_id}:{slot}:{key_created}"),
        }
    }
}

/// The once-key of a `key.expiring` notice for one lead time.
pub fn expiring_once_key(item_id: &str, slot: u8, key_created: EpochMillis, lead: u32) -> String {
    format!("key.expiring:{item_id}:{slot}:{key_created}:{lead}")
}

/// The notice due for a key expiring at `expires`, or `None`. `warned` holds the lead times
/// already warned for this key, `expired_recorded` whether `key.expired` was. When several
/// lead times are crossed at once (a key created 36 hours before it expires), only the
/// smallest one crossed is due; once a lead time is warned, no larger one is.
pub fn due_notice(
    expires: EpochMillis,
    now: EpochMillis,
    leads: &[u32],
    warned: &[u32],
    expired_recorded: bool,
) -> Option<ExpiryNotice> {
    if expires <= 0 {
        return None;
    }
    if now >= expires {
        return (!expired_recorded).then_some(ExpiryNotice::Expired);
    }
    let left = expires - now;
    let crossed = leads
        .iter()
        .copied()
        .filter(|lead| left <= i64::from(*lead) * DAY_MS)
        .min()?;
    if warned.iter().any(|w| *w <= crossed) || expired_recorded {
        return None;
    }
    Some(ExpiryNotice::Expiring {
        lead_days: crossed,
        days_left: (left + DAY_MS - 1) / DAY_MS,
    })
}

/// `expiryWarningDays`: a JSON array (`[30,7,1]`) or a comma list of whole days, 1 to 365,
/// at most ten; returned without duplicates, largest first. An empty list turns the warnings
/// off (`key.expired` is still recorded).
pub fn parse_lead_days(text: &str) -> Result<Vec<u32>, DomainError> {
    let trimmed = text.trim();
    let inner = trimmed
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(trimmed);
    let mut days = Vec::new();
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let day: u32 = part
            .parse()
            .ok()
            .filter(|d| (1..=MAX_LEAD_DAYS).contains(d))
            .ok_or_else(|| {
                DomainError::invalid(format!(
                    "'expiryWarningDays' holds whole days from 1 to {MAX_LEAD_DAYS}, such as [30,7,1]."
                ))
            })?;
        if !days.contains(&day) {
            days.push(day);
        }
    }
    if days.len() > MAX_LEAD_TIMES {
        return Err(DomainError::invalid(format!(
            "'expiryWarningDays' holds at most {MAX_LEAD_TIMES} lead times."
        )));
    }
    days.sort_unstable_by(|a, b| b.cmp(a));
    Ok(days)
}
