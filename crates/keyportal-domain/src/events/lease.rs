//! Which node runs the periodic checks: a lease kept in one setting, renewed by its holder
//! at every check and taken over by another node only once it has lapsed.

use crate::time::{EpochMillis, SECOND_MS};

/// How long a lease lasts without renewal: longer than the interval between checks (at most
/// a minute), so the holder renews it in time, short enough that another node takes over
/// soon after the holder stops.
pub const LEASE_MS: EpochMillis = 90 * SECOND_MS;

/// A lease: the node holding it and when it lapses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub holder: String,
    pub until: EpochMillis,
}

impl Lease {
    /// The stored form `"<until> <holder>"`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Lease> {
        let (until, holder) = text.split_once(' ')?;
        Some(Lease {
            holder: holder.to_string(),
            until: until.parse().ok()?,
        })
    }

    pub fn to_text(&self) -> String {
        format!("{} {}", self.until, self.holder)
    }

    /// Whether `node` may take (or renew) the lease at `now`: nobody holds it, it has lapsed,
    /// or `node` holds it already. A stored value that does not parse counts as no lease.
    pub fn may_take(current: Option<&str>, node: &str, now: EpochMillis) -> bool {
        match current.and_then(Lease::parse) {
            None => true,
            Some(lease) => lease.holder == node || lease.until <= now,
        }
    }

    /// The lease `node` holds from `now`.
    pub fn taken_by(node: &str, now: EpochMillis) -> Lease {
        Lease {
            holder: node.to_string(),
            until: now + LEASE_MS,
        }
    }
}
