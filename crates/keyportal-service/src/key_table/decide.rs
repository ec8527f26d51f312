//! The one decision about a held key — its date (or the legacy retirement), its referrers,
//! its addresses, an enabled owner — shared by `KeyTable::check` (every request) and
//! `KeyTable::check_digest` (`checkAccess`), and what a request presents besides the key.

use std::net::IpAddr;
use std::sync::Arc;

use keyportal_domain::address;
use keyportal_domain::referrer::matches_any;

use super::grant::{Grant, GrantKind};
use super::{Denial, OwnerState, RefusalFacts, TableState};

/// What a request presents with its key, besides the key.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyRequest<'a> {
    /// `Referer`, or `Origin` when there is none.
    pub referer: Option<&'a str>,
    /// The client's address (the peer, or what trusted proxies say).
    pub address: Option<IpAddr>,
    /// The service asked for, when known (recorded with a refusal).
    pub service: Option<&'a str>,
}

impl<'a> KeyRequest<'a> {
    pub fn facts(&self) -> RefusalFacts<'a> {
        RefusalFacts {
            referer: self.referer,
            address: self.address,
            service: self.service,
        }
    }
}

/// The rules a held key must pass: its date (or the legacy retirement), its referrers, its
/// addresses, an enabled owner. Slices and integer compares only: nothing is allocated.
pub(super) fn decide<'s>(
    state: &'s TableState,
    grant: &Grant,
    request: &KeyRequest<'_>,
    now: i64,
) -> Result<&'s Arc<OwnerState>, Denial> {
    if grant.kind == GrantKind::Legacy {
        if state.legacy_retirement.is_some_and(|date| now >= date) {
            return Err(Denial::Retired);
        }
    } else if now >= grant.expires {
        return Err(Denial::Expired);
    }
    if !matches_any(grant.referrers(), request.referer) {
        return Err(Denial::Referrer);
    }
    if !address::matches_any(grant.addresses(), request.address) {
        return Err(Denial::Address);
    }
    let owner = state
        .owners
        .get(grant.owner())
        .ok_or(Denial::OwnerInactive)?;
    if owner.disabled {
        return Err(Denial::OwnerInactive);
    }
    Ok(owner)
}
